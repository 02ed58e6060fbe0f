// moe/quant_formats.h — how many bytes a weight takes in each storage format, the one
// table the planner sizes deployments with (and the quantizer can reuse).
//
// A format is a block layout: `blockBytes` bytes store `blockWeights` weights, scales
// and zero points included, so bytes per weight is an exact ratio (Q8_0: 34 / 32).
// Mixtures (llama.cpp's Q4_K_M / Q5_K_M) upgrade some tensors to another format; the
// rule lives in `tensorFormatFor()` so the planner applies it per tensor class and layer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moe {

enum class QuantFormatId : uint8_t {
    F32, BF16, F16, FP8, INT8, INT4_AWQ, INT4_GPTQ,
    GGUF_Q8_0, GGUF_Q6_K, GGUF_Q5_K, GGUF_Q4_K, GGUF_Q5_K_M, GGUF_Q4_K_M, GGUF_Q4_0,
};

// Which dense TFLOPS figure of a GPU a format's matmuls run at.
enum class ComputeDType : uint8_t { BF16, FP8, INT8 };

struct QuantFormat {
    QuantFormatId id;
    std::string key;          // CLI / catalog name: "int4-awq", "q4_k_m", ...
    std::string description;  // one line, with the arithmetic
    int64_t blockWeights = 1; // weights per block
    int64_t blockBytes = 2;   // bytes per block, scales and zeros included
    bool mixture = false;     // per-tensor upgrades apply (see tensorFormatFor)
    bool keepsHighPrecisionEdges = true; // embeddings / LM head / router stay BF16 (HF formats)
    ComputeDType computeDType = ComputeDType::BF16;

    double bytesPerWeight() const { return double(blockBytes) / double(blockWeights); }
    double bitsPerWeight() const { return 8.0 * bytesPerWeight(); }
};

// Every format, in the order `moe plan --help` lists them.
const std::vector<QuantFormat>& quantFormats();
// nullptr when unknown; accepts the key in any case and "fp16"/"bf16"/"int4" aliases.
const QuantFormat* findQuantFormat(const std::string& key);
const QuantFormat& quantFormat(QuantFormatId id);
// Comma-separated keys for error messages and help.
std::string quantFormatKeys();

// The tensor classes llama.cpp's mixture rules distinguish.
enum class TensorClass : uint8_t {
    AttnQ, AttnK, AttnV, AttnOutput, AttnOther, // AttnOther: MLA projections, fused qkv
    FfnGateUp, FfnDown,                          // dense FFN, shared and routed experts
    TokenEmbedding, LmHead, Router, Norm,
};

// The format a tensor of `cls` in layer `layer` of `numLayers` is stored in when the
// model is quantized to `base`. For HF formats (AWQ, GPTQ, FP8, INT8) embeddings, LM
// head, router and norms stay BF16 as AutoAWQ / AutoGPTQ / llm-compressor leave them;
// for GGUF formats this follows llama.cpp's llama_tensor_get_type (src/llama-quant.cpp).
// `numExperts` matters because llama.cpp bumps attn_k / attn_v of 8-expert models to Q8_0.
QuantFormatId tensorFormatFor(QuantFormatId base, TensorClass cls, int64_t layer, int64_t numLayers,
                              int64_t numExperts);

// llama.cpp's use_more_bits(): the first and last eighth of the layers and every third
// layer in between get the bigger type in Q4_K_M / Q5_K_M.
bool llamaCppUsesMoreBits(int64_t layer, int64_t numLayers);

} // namespace moe
