// Hugging Face quantized checkpoints: config parsing, the AWQ / GPTQ / FP8 dequantizers
// and the checkpoint view that serves quantized layers as F16. Conventions: AutoAWQ
// (awq/utils/packing_utils.py, AWQ_ORDER / AWQ_REVERSE_ORDER), AutoGPTQ / GPTQModel
// (QuantLinear.pack, v1 zeros stored minus one), DeepSeek-V3 (inference/kernel.py
// weight_dequant), Hugging Face transformers (FineGrainedFP8Config, weight_scale_inv).
#include "model/hf_quantization.h"

#include "moe/dtype.h"
#include "moe/error.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

namespace moe {

namespace {

constexpr const char* kField = "quantization_config";

std::string lowerCase(std::string s)
{
    for (char& c : s)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

int64_t intField(const nlohmann::json& q, const char* key, int64_t fallback, const std::string& file)
{
    const auto it = q.find(key);
    if (it == q.end() || it->is_null())
        return fallback;
    if (!it->is_number_integer())
        throw Error(ErrorCode::BadValue, file, std::string(kField) + "." + key, "must be an integer");
    return it->get<int64_t>();
}

bool boolField(const nlohmann::json& q, const char* key, bool fallback, const std::string& file)
{
    const auto it = q.find(key);
    if (it == q.end() || it->is_null())
        return fallback;
    if (!it->is_boolean())
        throw Error(ErrorCode::BadValue, file, std::string(kField) + "." + key, "must be true or false");
    return it->get<bool>();
}

std::string stringField(const nlohmann::json& q, const char* key, const std::string& file)
{
    const auto it = q.find(key);
    if (it == q.end() || it->is_null())
        return {};
    if (!it->is_string())
        throw Error(ErrorCode::BadValue, file, std::string(kField) + "." + key, "must be a string");
    return lowerCase(it->get<std::string>());
}

[[noreturn]] void unsupported(const std::string& file, const std::string& key, const std::string& detail)
{
    throw Error(ErrorCode::UnsupportedType, file, std::string(kField) + "." + key, detail);
}

int32_t loadI32(const uint8_t* base, uint64_t index)
{
    int32_t v;
    std::memcpy(&v, base + index * 4, 4); // the mapping gives no alignment guarantee
    return v;
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

} // namespace

std::string HfQuantization::label() const
{
    switch (method) {
    case Method::Awq: return "AWQ int" + std::to_string(bits) + " g" + std::to_string(groupSize);
    case Method::Gptq:
        return "GPTQ int" + std::to_string(bits) + (groupSize > 0 ? " g" + std::to_string(groupSize) : " per-channel")
             + (descAct ? " act-order" : "");
    case Method::Fp8:
        return fp8Block[0] > 0 ? "FP8 E4M3 block " + std::to_string(fp8Block[0]) + "x" + std::to_string(fp8Block[1])
                               : "FP8 E4M3";
    }
    return "?";
}

std::optional<HfQuantization> parseHfQuantization(const nlohmann::json& config, const std::string& configPath)
{
    const auto it = config.find(kField);
    if (it == config.end() || it->is_null())
        return std::nullopt;
    const nlohmann::json& q = *it;
    if (!q.is_object())
        throw Error(ErrorCode::BadValue, configPath, kField, "must be an object");
    if (!q.contains("quant_method"))
        throw Error(ErrorCode::MissingField, configPath, std::string(kField) + ".quant_method",
                    "quantization_config has no quant_method");
    const std::string method = stringField(q, "quant_method", configPath);

    HfQuantization h;
    if (method == "awq") {
        h.method = HfQuantization::Method::Awq;
        h.bits = int(intField(q, "bits", intField(q, "w_bit", 4, configPath), configPath));
        h.groupSize = intField(q, "group_size", intField(q, "q_group_size", 128, configPath), configPath);
        if (h.bits != 4)
            unsupported(configPath, "bits", "AWQ with " + std::to_string(h.bits) + " bits; only 4-bit AWQ is supported");
        const std::string version = stringField(q, "version", configPath);
        if (!version.empty() && version != "gemm")
            unsupported(configPath, "version", "AWQ packing '" + version + "'; only the GEMM packing is supported");
        if (!boolField(q, "zero_point", true, configPath))
            unsupported(configPath, "zero_point", "AWQ without zero points is not supported");
        if (h.groupSize <= 0)
            unsupported(configPath, "group_size", "AWQ needs a positive group_size");
    } else if (method == "gptq") {
        h.method = HfQuantization::Method::Gptq;
        h.bits = int(intField(q, "bits", 4, configPath));
        if (h.bits != 2 && h.bits != 4 && h.bits != 8)
            unsupported(configPath, "bits",
                        "GPTQ with " + std::to_string(h.bits) + " bits; 2, 4 and 8 are supported");
        h.groupSize = intField(q, "group_size", 128, configPath);
        if (h.groupSize == -1)
            h.groupSize = 0;
        else if (h.groupSize <= 0)
            throw Error(ErrorCode::BadValue, configPath, std::string(kField) + ".group_size",
                        "must be positive or -1");
        h.descAct = boolField(q, "desc_act", false, configPath);
        h.sym = boolField(q, "sym", true, configPath);
        const std::string format = stringField(q, "checkpoint_format", configPath);
        if (format == "gptq_v2")
            h.zeroOffset = 0;
        else if (!format.empty() && format != "gptq")
            unsupported(configPath, "checkpoint_format", "GPTQ checkpoint format '" + format + "' is not supported");
    } else if (method == "fp8") {
        h.method = HfQuantization::Method::Fp8;
        const std::string fmt = stringField(q, "fmt", configPath);
        if (!fmt.empty() && fmt != "e4m3")
            unsupported(configPath, "fmt", "FP8 format '" + fmt + "'; only e4m3 is supported");
        if (const auto b = q.find("weight_block_size"); b != q.end() && !b->is_null()) {
            if (!b->is_array() || b->size() != 2 || !(*b)[0].is_number_integer() || !(*b)[1].is_number_integer()
                || (*b)[0].get<int64_t>() <= 0 || (*b)[1].get<int64_t>() <= 0)
                throw Error(ErrorCode::BadValue, configPath, std::string(kField) + ".weight_block_size",
                            "must be two positive integers");
            h.fp8Block = {(*b)[0].get<int64_t>(), (*b)[1].get<int64_t>()};
        }
    } else {
        unsupported(configPath, "quant_method",
                    "quantization method '" + method + "' is not supported (supported: awq, gptq, fp8)");
    }
    return h;
}

void dequantizeAwqRows(const IntQuantLinear& l, int64_t row0, int64_t rows, float* dst)
{
    const int64_t words = l.out / 8; // per input row
    for (int64_t j = row0; j < row0 + rows; ++j) {
        const int shift = 4 * kAwqNibbleOfColumn[size_t(j % 8)];
        float* outRow = dst + (j - row0) * l.in;
        for (int64_t k = 0; k < l.in; ++k) {
            const int64_t g = k / l.groupSize;
            const int32_t q = (loadI32(l.qweight, uint64_t(k * words + j / 8)) >> shift) & 15;
            const int32_t z = (loadI32(l.qzeros, uint64_t(g * words + j / 8)) >> shift) & 15;
            outRow[k] = float(q - z) * l.scales[g * l.out + j];
        }
    }
}

void dequantizeGptqRows(const IntQuantLinear& l, int64_t row0, int64_t rows, float* dst)
{
    const int perWord = 32 / l.bits;
    const int32_t mask = (int32_t(1) << l.bits) - 1;
    const int64_t zeroWords = l.out / perWord;
    for (int64_t j = row0; j < row0 + rows; ++j) {
        float* outRow = dst + (j - row0) * l.in;
        const int zeroShift = l.bits * int(j % perWord);
        for (int64_t k = 0; k < l.in; ++k) {
            const int64_t g = l.gIdx ? loadI32(l.gIdx, uint64_t(k)) : k / l.groupSize;
            const int32_t q = (loadI32(l.qweight, uint64_t((k / perWord) * l.out + j)) >> (l.bits * int(k % perWord))) & mask;
            const int32_t z = ((loadI32(l.qzeros, uint64_t(g * zeroWords + j / perWord)) >> zeroShift) & mask) + l.zeroOffset;
            outRow[k] = float(q - z) * l.scales[g * l.out + j];
        }
    }
}

float fp8E4M3ToF32(uint8_t v)
{
    const bool negative = v & 0x80;
    const int exponent = (v >> 3) & 15, mantissa = v & 7;
    float f;
    if (exponent == 15 && mantissa == 7)
        f = std::numeric_limits<float>::quiet_NaN();
    else if (exponent == 0)
        f = std::ldexp(float(mantissa), -9); // subnormal: m/8 * 2^-6
    else
        f = std::ldexp(float(8 + mantissa), exponent - 10); // (1 + m/8) * 2^(e-7)
    return negative ? -f : f;
}

void dequantizeFp8Rows(const Fp8Linear& l, int64_t row0, int64_t rows, float* dst)
{
    const int64_t blocksIn = l.scale == Fp8Linear::Scale::Block ? ceilDiv(l.in, l.blockIn) : 0;
    for (int64_t j = row0; j < row0 + rows; ++j) {
        const uint8_t* w = l.weight + j * l.in;
        float* outRow = dst + (j - row0) * l.in;
        for (int64_t k = 0; k < l.in; ++k) {
            float s = l.scales[0];
            if (l.scale == Fp8Linear::Scale::PerChannel)
                s = l.scales[j];
            else if (l.scale == Fp8Linear::Scale::Block)
                s = l.scales[(j / l.blockOut) * blocksIn + k / l.blockIn];
            outRow[k] = fp8E4M3ToF32(w[k]) * s;
        }
    }
}

} // namespace moe
