// hf_quantization.h — Hugging Face quantized checkpoints (config.json
// `quantization_config`): AWQ and GPTQ int4 group quantization and FP8 E4M3 weights.
//
// The CPU kernels compute with F32 / F16 / GGML block types, so each quantized linear
// layer is dequantized once while the model loads, to F16 in memory the checkpoint
// source owns (or, with quantize-at-load, straight on to the asked block type). Every
// other tensor stays mapped from the file.
//
// Packings (all little-endian int32 words, out = output features, in = input features):
//   AWQ (AutoAWQ "gemm"): qweight I32 [in, out/8], qzeros I32 [in/group, out/8], both
//     packed along the output dim with nibble order [0,2,4,6,1,3,5,7] (column c of a
//     word sits in nibble kAwqNibbleOfColumn[c]); scales [in/group, out];
//     w = (q - z) * s.
//   GPTQ (v1): qweight I32 [in*bits/32, out] packed along the input dim in plain order,
//     qzeros I32 [groups, out*bits/32] plain order, stored minus one (z = stored + 1;
//     checkpoint_format gptq_v2 stores z itself), scales [groups, out], g_idx I32 [in]
//     (the group of each input row; act-order shuffles it; absent: row / group_size);
//     w = (q - z) * s.
//   FP8 (quant_method "fp8"): weight F8_E4M3 [out, in] with weight_scale (a scalar, [1],
//     or per output channel [out] / [out, 1]) or weight_scale_inv with
//     weight_block_size [bo, bi] as DeepSeek-V3 ships it, [ceil(out/bo), ceil(in/bi)];
//     both are multipliers: w = fp8 * scale (DeepSeek-V3 inference/kernel.py
//     weight_dequant).
// In every case the product is taken in F32: float(q - z) * float(s), then rounded
// once to the stored type.
#pragma once

#include "moe/safetensors.h"
#include "moe/weight_source.h"

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace moe {

struct HfQuantization {
    enum class Method { Awq, Gptq, Fp8 };
    Method method = Method::Awq;
    int bits = 4;
    int64_t groupSize = 128;   // 0: one group over the whole input row (GPTQ group_size -1)
    bool descAct = false;      // GPTQ act-order
    bool sym = true;           // GPTQ, informational (zeros are stored either way)
    int zeroOffset = 1;        // GPTQ v1 stores zero - 1
    std::array<int64_t, 2> fp8Block = {0, 0}; // weight_block_size; {0, 0} when absent
    std::string label() const; // "AWQ int4 g128", "GPTQ int4 g128 act-order", "FP8 E4M3 block 128x128"
};

// nullopt when config.json has no quantization_config. Throws Error(UnsupportedType)
// naming `configPath` and the field for methods, bit widths and variants we cannot
// read, Error(BadValue / MissingField) for malformed fields.
std::optional<HfQuantization> parseHfQuantization(const nlohmann::json& config, const std::string& configPath);

inline constexpr std::array<int, 8> kAwqNibbleOfColumn = {0, 4, 1, 5, 2, 6, 3, 7};

// One integer-quantized linear layer as the file stores it. Pointers are into the
// mapping (any alignment); scales already converted to F32.
struct IntQuantLinear {
    int64_t out = 0, in = 0, groups = 0;
    int bits = 4;
    int64_t groupSize = 0;        // rows per group when gIdx is null
    int zeroOffset = 0;           // added to every stored zero (GPTQ v1: 1)
    const uint8_t* qweight = nullptr;
    const uint8_t* qzeros = nullptr;
    const float* scales = nullptr; // [groups, out]
    const uint8_t* gIdx = nullptr; // I32 [in], GPTQ only; values checked < groups
};

// Rows [row0, row0 + rows) of the [out, in] weight into dst (rows * in floats).
void dequantizeAwqRows(const IntQuantLinear& l, int64_t row0, int64_t rows, float* dst);
void dequantizeGptqRows(const IntQuantLinear& l, int64_t row0, int64_t rows, float* dst);

float fp8E4M3ToF32(uint8_t v); // OCP E4M3 ("fn"): bias 7, no infinities, S.1111.111 is NaN

struct Fp8Linear {
    int64_t out = 0, in = 0;
    const uint8_t* weight = nullptr; // [out, in]
    const float* scales = nullptr;
    enum class Scale { PerTensor, PerChannel, Block } scale = Scale::PerTensor;
    int64_t blockOut = 0, blockIn = 0; // Block: scales are [ceil(out/bo), ceil(in/bi)]
};
void dequantizeFp8Rows(const Fp8Linear& l, int64_t row0, int64_t rows, float* dst);

// A Hugging Face checkpoint whose quantized linear layers read as F16 `X.weight`
// tensors: P.qweight (+ qzeros, scales, g_idx) or an F8_E4M3 P.weight (+ its scale)
// becomes one F16 entry P.weight; the packed parts are not listed. Other tensors pass
// through. Companion tensors and their shapes are checked when it opens; packed values
// (g_idx range) when a layer is dequantized.
class QuantizedHfCheckpoint final : public WeightSource {
public:
    QuantizedHfCheckpoint(std::unique_ptr<HfCheckpoint> inner, HfQuantization quant);
    ~QuantizedHfCheckpoint() override;

    const HfCheckpoint& checkpoint() const { return *m_inner; }
    const HfQuantization& quantization() const { return m_quant; }

    const std::string& path() const override { return m_inner->path(); }
    const std::vector<TensorEntry>& tensorEntries() const override { return m_entries; }
    bool has(const std::string& name) const override;
    // Quantized layers: dequantized on first use into memory this source owns until
    // releaseConverted(name) or destruction. Not a hot path.
    WeightView weight(const std::string& name) const override;
    uint64_t totalTensorBytes() const override { return m_totalBytes; }
    void releaseConverted(const std::string& name) const override;

private:
    struct Layer {
        std::string prefix;    // "model.layers.0.self_attn.q_proj"
        int64_t out = 0, in = 0;
        std::string scaleName; // FP8: weight_scale or weight_scale_inv; int: scales
    };
    void addIntLayer(const TensorEntry& qweight);
    void addFp8Layer(const TensorEntry& weight);
    void dequantize(const Layer& layer, uint16_t* dst) const;
    std::vector<float> floatTensor(const std::string& name) const;

    std::unique_ptr<HfCheckpoint> m_inner;
    HfQuantization m_quant;
    std::vector<TensorEntry> m_entries;
    std::unordered_map<std::string, size_t> m_entryIndex;
    std::unordered_map<std::string, Layer> m_layers; // by virtual tensor name
    uint64_t m_totalBytes = 0;
    mutable std::mutex m_mutex;
    mutable std::unordered_map<std::string, std::unique_ptr<uint16_t[]>> m_converted;
};

} // namespace moe
