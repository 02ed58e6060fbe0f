// model_maker_detail.h — internals of `moe make-model`: the portable RNG, the list of
// tensors a spec needs, and how each one's values are drawn.
#pragma once

#include "moe/architecture.h"
#include "moe/dtype.h"
#include "moe/model_maker.h"
#include "moe/model_spec.h"
#include "moe/tensor.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace moe {
struct TokenizerVocab;
}

namespace moe::detail {

// splitmix64 expands a seed into xoshiro256** state (the authors' recommendation);
// Box-Muller turns uniforms into normals. Bit-identical on every platform, unlike
// std::normal_distribution.
class MakerRng {
public:
    explicit MakerRng(uint64_t seed);
    uint64_t next();
    double uniform(); // [0, 1), 53 random bits
    float normal();   // N(0, 1)

private:
    uint64_t m_s[4];
    bool m_haveSpare = false;
    float m_spare = 0.f;
};

uint64_t splitmix64(uint64_t& state);

// How a tensor's values are drawn.
enum class FillKind {
    Linear,   // N(0, 1) * gain / sqrt(fan_in)
    Norm,     // 1 + N(0, 1) * 0.05 (RMSNorm weights ≈ 1)
    Bias,     // N(0, 1) * 0.02
    Embedding // N(0, 1) (RMSNorm follows, so the scale is free)
};

// One logical weight. Experts are one entry with `experts` > 0: Hugging Face stores
// `experts` tensors of `shape`, GGUF one stacked [experts, ...shape] tensor.
struct PlannedTensor {
    TensorRole role;
    int64_t layer = -1;   // -1 for model-level tensors
    int64_t experts = 0;  // 0 = a single tensor
    Shape shape;          // per expert for expert tensors
    FillKind fill = FillKind::Linear;
    float gain = 1.f;
};

std::vector<PlannedTensor> plannedTensors(const ModelSpec& spec);

// Values of `t` (expert `expert`, or 0 for non-expert tensors) as f32. Each (role, layer,
// expert) draws from its own stream seeded from `seed`, so tensors can be made in any
// order and one at a time.
std::vector<float> drawValues(const PlannedTensor& t, int64_t expert, uint64_t seed);

// Everything the format writers need.
struct MakeContext {
    const ModelSpec& spec;
    const TokenizerVocab& vocab;
    DType dtype;
    uint64_t seed;
    const ModelPreset& preset;
    const std::function<void(const MakeModelProgress&)>& onProgress;
};

// DIR/hf/: config.json, generation_config.json, tokenizer files, safetensors weights.
void writeHfModel(const MakeContext& ctx, const std::string& dir);
// One GGUF file with metadata, tokenizer and stacked expert tensors.
void writeGgufModel(const MakeContext& ctx, const std::string& path);

// The element type a tensor is stored in: GGUF keeps 1-D tensors (norms, biases) in F32
// as llama.cpp does, and keeps the router in F32 when the model is block-quantized.
DType storageDtype(const PlannedTensor& t, DType modelDtype, bool gguf);
// Values converted to `storage`, after rounding through `modelDtype` so that a norm
// stored as F32 in the GGUF equals the F16 / BF16 one in the safetensors.
std::vector<uint8_t> encodeValues(const std::vector<float>& values, DType modelDtype, DType storage);

} // namespace moe::detail
