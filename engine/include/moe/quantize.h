// moe/quantize.h — quantizing F32 / F16 / BF16 weights to GGML block types, in memory
// while a model loads (EngineOptions::quantize, `--quant TYPE`) or into a new GGUF file
// (`moe quantize`). Both paths make the same decisions and the same bytes.
//
// Which tensors: the attention projections and every FFN matrix (routed experts, shared
// expert, dense FFN); the token embedding and the LM head only when asked. Routers, the
// shared-expert gate, norms and biases always stay as they are: they are a tiny share of
// the bytes and the router's logits decide which experts run at all. Tensors already
// block-quantized are kept as they are (quantizing twice only adds error). A matrix
// whose rows are not whole blocks of the type falls back as llama-quantize does
// (q4_k -> q5_0, q5_k -> q5_1, q6_k -> q8_0; see quantizeTypeForRow), or stays as it is
// when no fallback fits either.
//
// The block encoders are our reference quantisers (quantizeRow in moe/dtype.h): Q8_0 /
// Q4_0 / Q4_1 / Q5_0 / Q5_1 as ggml's quantize_row_*_ref, the K-quants with plain
// round-to-nearest scales (see engine/src/quant/block_quantize.cpp).
#pragma once

#include "moe/dtype.h"
#include "moe/tensor.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace moe {

struct QuantizeOptions {
    DType type = DType::Q8_0;
    bool embeddings = false; // also quantize the token embedding and the LM head
};

// The types we quantize to, best quality first: q8_0, q6_k, q5_k, q5_1, q5_0, q4_k,
// q4_1, q4_0, q8_k. (q8_k is ggml's activation format; llama.cpp cannot run it as a
// weight type, our engine can.)
const std::vector<DType>& quantizeTargetTypes();
std::string quantizeTargetNames(); // "q8_0, q6_k, ..." for messages and help
// Parses a --quant / --type value (any case). Throws Error(InvalidArgument) on `field`
// naming the allowed types; int4-g128 / fp8 / awq / gptq get a message saying they are
// GPU checkpoint formats the CPU engine does not produce.
DType parseQuantizeType(const std::string& name, const std::string& field);
// The type a matrix whose rows hold `cols` values gets when `target` is asked for:
// `target` when rows are whole blocks, else llama-quantize's fallback
// (llama_tensor_get_type, "convert_incompatible_tensor"), else nullopt (keep as is).
std::optional<DType> quantizeTypeForRow(DType target, int64_t cols);

// What happened to one tensor.
enum class QuantDecision : uint8_t {
    Quantized,        // to the asked type
    Fallback,         // to the fallback type (rows not whole blocks of the asked type)
    AlreadyQuantized, // block-quantized in the source: kept
    NotWholeBlocks,   // no type fits the row length: kept
    KeptHighPrecision // router, norm, bias, gate, embeddings unless asked: kept
};
const char* quantDecisionName(QuantDecision d);

struct TensorQuantization {
    std::string name;   // in the source (GGUF or Hugging Face name)
    Shape shape;        // as the source stores it (stacked experts: [E, out, in])
    DType source = DType::F32;
    DType stored = DType::F32; // after quantization (== source when kept)
    QuantDecision decision = QuantDecision::KeptHighPrecision;
    uint64_t sourceBytes = 0;
    uint64_t storedBytes = 0;
};

// Totals of a quantization, shown by the CLI, the bench JSON and ModelInfo.
struct QuantizeSummary {
    DType type = DType::Q8_0;
    bool embeddings = false;
    int64_t tensorsQuantized = 0;
    int64_t tensorsFallback = 0;
    int64_t tensorsAlreadyQuantized = 0;
    int64_t tensorsNotWholeBlocks = 0;
    int64_t tensorsKept = 0;       // KeptHighPrecision
    uint64_t bytesBefore = 0;      // every tensor, as the source stores it
    uint64_t bytesAfter = 0;       // every tensor after quantization
    double seconds = 0;            // time the weights took to load / write, converting included
    std::vector<DType> fallbackTypes; // distinct fallback types used
};
QuantizeSummary summarizeQuantization(const std::vector<TensorQuantization>& plan, const QuantizeOptions& options);

struct QuantizeProgress {
    uint64_t tensorsDone = 0;
    uint64_t tensorsTotal = 0;
    uint64_t bytesDone = 0;   // source bytes read so far
    uint64_t bytesTotal = 0;
};

struct QuantizeFileOptions {
    std::string input;        // a .gguf file or a Hugging Face folder (resolveModelPath rules)
    std::string output;       // a .gguf file; written as OUTPUT.tmp-XXXXXX, then renamed
    QuantizeOptions quant{DType::Q8_0, true};
    int threads = 0;          // 0 = all cores
    std::function<void(const QuantizeProgress&)> onProgress;
    const std::atomic<bool>* cancel = nullptr; // checked per tensor; throws Error(Cancelled)
};

struct QuantizeFileResult {
    QuantizeSummary summary;
    std::vector<TensorQuantization> tensors;
    uint64_t fileBytes = 0;
    std::string output;
};

// Reads a GGUF or Hugging Face model and writes a GGUF with the same metadata (HF input:
// the spec and tokenizer as GGUF keys, experts stacked, tensor names llama.cpp's) and
// the quantized tensors; general.file_type names the new type. Throws Error naming the
// file and field: unknown input, input == output, an output folder that does not exist
// or is not writable, an architecture the engine cannot run (HF input). Nothing is left
// at `output` when it fails or is cancelled.
QuantizeFileResult quantizeModelFile(const QuantizeFileOptions& options);

} // namespace moe
