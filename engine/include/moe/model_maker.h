// moe/model_maker.h — deterministic random-weight MoE models for tests, demos and
// benchmarks (`moe make-model`, the GUI's demo model).
//
// A made model has the shape of a real family (Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE) and
// a byte-level BPE tokenizer trained on a built-in corpus, but its weights are random: it
// produces fluent-looking nonsense. Every file it writes says so
// (GGUF `general.moe_workbench.random_weights`, config.json
// `moe_workbench_random_weights`), so displays can label it.
//
// The weights come from our own RNG (splitmix64-seeded xoshiro256** + Box-Muller), never
// from std:: distributions, whose output differs between standard libraries: the same
// options give byte-identical files on every machine, and the GGUF and safetensors copies
// hold the same values.
#pragma once

#include "moe/dtype.h"
#include "moe/model_spec.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moe {

enum class MakeFormat { Gguf, Safetensors, Both };

// One row of the preset table (model_maker.cpp keeps all of them in one place).
struct ModelPreset {
    std::string name;          // "tiny", "small", "bench"
    int64_t hiddenSize = 0;
    int64_t numLayers = 0;
    int64_t numHeads = 0;
    int64_t numKvHeads = 0;
    int64_t headDim = 0;
    int64_t numExperts = 0;
    int64_t numExpertsPerToken = 0;
    int64_t expertFfn = 0;
    int64_t sharedExpertFfn = 0; // Qwen2-MoE's shared expert width
    int64_t vocabSize = 0;       // tokenizer trained up to this, then padded
    int64_t maxContext = 0;
    uint64_t maxShardBytes = 0;  // safetensors: 0 = one model.safetensors, else shards
    DType defaultDtype = DType::F32;
};

const std::vector<ModelPreset>& modelPresets();
const ModelPreset* findModelPreset(const std::string& name);
// Architectures make-model can build ("mixtral", "qwen2moe", "qwen3moe", "olmoe").
const std::vector<std::string>& makeableArchitectures();

struct MakeModelProgress {
    std::string stage;        // "tokenizer", "safetensors", "gguf", "writing"
    uint64_t tensorsDone = 0;
    uint64_t tensorsTotal = 0;
    uint64_t bytesDone = 0;   // tensor bytes produced in this stage
    uint64_t bytesTotal = 0;
};

struct MakeModelOptions {
    std::string architecture = "qwen3moe";
    std::string preset = "tiny";
    uint64_t seed = 0;
    MakeFormat format = MakeFormat::Both;
    // Element type of the weights; unset = the preset's default. Quantized types (q8_0,
    // q4_0) are GGUF only: safetensors cannot hold GGML blocks.
    std::optional<DType> dtype;
    std::string outDir;       // GGUF → outDir/model.gguf, safetensors → outDir/hf/
    std::function<void(const MakeModelProgress&)> onProgress;
};

struct MadeModel {
    ModelSpec spec;
    DType dtype = DType::F32;
    std::string ggufPath;     // empty when not written
    std::string hfDir;        // empty when not written
    int64_t tokenizerTokens = 0; // tokens the trained tokenizer learned (before padding)
    int64_t parameters = 0;
};

// The ModelSpec make-model builds for an architecture and preset (the tokenizer ids are
// filled in by makeModel). Throws Error(InvalidArgument) naming the unknown value.
ModelSpec makeModelSpec(const std::string& architecture, const ModelPreset& preset);

// Writes the model. Throws moe::Error (InvalidArgument for bad options, Io when the
// output cannot be written).
MadeModel makeModel(const MakeModelOptions& options);

// The text the make-model tokenizer is trained on (our own writing, English prose).
std::string_view builtinTokenizerCorpus();

} // namespace moe
