#include "moe/quant_formats.h"

#include "moe/error.h"

#include <algorithm>
#include <cctype>

namespace moe {

const std::vector<QuantFormat>& quantFormats()
{
    // blockBytes / blockWeights is exact; the arithmetic is in each description.
    static const std::vector<QuantFormat> formats = {
        {QuantFormatId::BF16, "bf16", "BF16: 2 bytes per weight", 1, 2, false, true, ComputeDType::BF16},
        {QuantFormatId::F16, "fp16", "FP16: 2 bytes per weight", 1, 2, false, true, ComputeDType::BF16},
        {QuantFormatId::F32, "fp32", "FP32: 4 bytes per weight", 1, 4, false, true, ComputeDType::BF16},
        // DeepSeek-V3 / llm-compressor block FP8: e4m3 weights with one FP32 scale per
        // 128 x 128 block (config weight_block_size [128, 128]): 16384 + 4 bytes per 16384 weights.
        {QuantFormatId::FP8, "fp8", "FP8 e4m3 + FP32 scale per 128x128 block: (16384 + 4) / 16384 B", 16384, 16388, false,
         true, ComputeDType::FP8},
        // W8A8 INT8 with a per-output-channel FP32 scale; counted as one scale per 4096
        // weights (a typical row; the exact row length changes it by < 0.1 %).
        {QuantFormatId::INT8, "int8", "INT8 + FP32 scale per channel (row of ~4096): (4096 + 4) / 4096 B", 4096, 4100,
         false, true, ComputeDType::INT8},
        // AutoAWQ GEMM layout, group 128: qweight 4 bits per weight (8 per int32), scales
        // FP16 per group and output column (16 / 128 bits), qzeros 4 bits per group and
        // column (4 / 128 bits): 4 + 0.125 + 0.03125 = 4.15625 bits = 133 B per 256 weights.
        {QuantFormatId::INT4_AWQ, "int4-awq", "INT4 AWQ g128: 4 + 16/128 (fp16 scale) + 4/128 (zero) = 4.15625 bits", 256,
         133, false, true, ComputeDType::BF16},
        // AutoGPTQ / GPTQModel g128: the same qweight / scales / qzeros packing as AWQ.
        // g_idx (one int32 per input row, act-order checkpoints) adds 32 / out_features
        // bits per weight (< 0.01 bits for out_features >= 4096) and is left out.
        {QuantFormatId::INT4_GPTQ, "int4-gptq", "INT4 GPTQ g128: 4 + 16/128 (fp16 scale) + 4/128 (zero) = 4.15625 bits",
         256, 133, false, true, ComputeDType::BF16},
        // ggml block layouts (ggml/src/ggml-common.h): block_q8_0 = fp16 d + 32 int8.
        {QuantFormatId::GGUF_Q8_0, "q8_0", "GGUF Q8_0: 34 bytes per 32 weights (fp16 scale + 32 x int8)", 32, 34, false,
         false, ComputeDType::BF16},
        // block_q6_K: ql[128] + qh[64] + scales[16] int8 + fp16 d = 210 bytes per 256.
        {QuantFormatId::GGUF_Q6_K, "q6_k", "GGUF Q6_K: 210 bytes per 256 weights (6.5625 bits)", 256, 210, false, false,
         ComputeDType::BF16},
        // block_q5_K: fp16 d + fp16 dmin + scales[12] + qh[32] + qs[128] = 176 bytes per 256.
        {QuantFormatId::GGUF_Q5_K, "q5_k", "GGUF Q5_K (every tensor): 176 bytes per 256 weights (5.5 bits)", 256, 176,
         false, false, ComputeDType::BF16},
        // block_q4_K: fp16 d + fp16 dmin + scales[12] + qs[128] = 144 bytes per 256.
        {QuantFormatId::GGUF_Q4_K, "q4_k", "GGUF Q4_K (every tensor): 144 bytes per 256 weights (4.5 bits)", 256, 144,
         false, false, ComputeDType::BF16},
        {QuantFormatId::GGUF_Q5_K_M, "q5_k_m", "GGUF Q5_K_M: Q5_K, with attn_v / ffn_down of half the layers in Q6_K",
         256, 176, true, false, ComputeDType::BF16},
        {QuantFormatId::GGUF_Q4_K_M, "q4_k_m", "GGUF Q4_K_M: Q4_K, with attn_v / ffn_down of half the layers in Q6_K",
         256, 144, true, false, ComputeDType::BF16},
        // block_q4_0: fp16 d + 16 bytes of nibbles = 18 bytes per 32.
        {QuantFormatId::GGUF_Q4_0, "q4_0", "GGUF Q4_0: 18 bytes per 32 weights (4.5 bits)", 32, 18, false, false,
         ComputeDType::BF16},
    };
    return formats;
}

const QuantFormat& quantFormat(QuantFormatId id)
{
    for (const QuantFormat& f : quantFormats())
        if (f.id == id)
            return f;
    throw Error(ErrorCode::InvalidArgument, "", "quant", "unknown format id");
}

const QuantFormat* findQuantFormat(const std::string& key)
{
    std::string k = key;
    std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    std::replace(k.begin(), k.end(), '_', '-');
    struct Alias { const char* name; const char* key; };
    static const Alias aliases[] = {{"f16", "fp16"}, {"f32", "fp32"}, {"int4", "int4-awq"}, {"awq", "int4-awq"},
                                    {"gptq", "int4-gptq"}, {"fp8-e4m3", "fp8"}, {"w8a8", "int8"}};
    for (const Alias& a : aliases)
        if (k == a.name)
            k = a.key;
    for (const QuantFormat& f : quantFormats()) {
        std::string fk = f.key;
        std::replace(fk.begin(), fk.end(), '_', '-');
        if (fk == k)
            return &f;
    }
    return nullptr;
}

std::string quantFormatKeys()
{
    std::string out;
    for (const QuantFormat& f : quantFormats())
        out += (out.empty() ? "" : ", ") + f.key;
    return out;
}

bool llamaCppUsesMoreBits(int64_t layer, int64_t numLayers)
{
    // Verbatim condition of llama.cpp's use_more_bits lambda (integer division included).
    return layer < numLayers / 8 || layer >= 7 * numLayers / 8 || (layer - numLayers / 8) % 3 == 2;
}

namespace {

bool isGguf(QuantFormatId f)
{
    switch (f) {
    case QuantFormatId::GGUF_Q8_0: case QuantFormatId::GGUF_Q6_K: case QuantFormatId::GGUF_Q5_K:
    case QuantFormatId::GGUF_Q4_K: case QuantFormatId::GGUF_Q5_K_M: case QuantFormatId::GGUF_Q4_K_M:
    case QuantFormatId::GGUF_Q4_0:
        return true;
    default:
        return false;
    }
}

// llama.cpp's rules (src/llama-quant.cpp, llama_tensor_get_type), without an imatrix
// and without --pure. Row lengths not divisible by 256 (gpt-oss: 2880) make llama.cpp
// fall back to a 32-block type of similar size; that is not modelled.
QuantFormatId ggufTensorFormat(QuantFormatId base, TensorClass cls, int64_t layer, int64_t numLayers, int64_t numExperts)
{
    const bool mixture = base == QuantFormatId::GGUF_Q4_K_M || base == QuantFormatId::GGUF_Q5_K_M;
    const QuantFormatId plain = base == QuantFormatId::GGUF_Q4_K_M   ? QuantFormatId::GGUF_Q4_K
                                : base == QuantFormatId::GGUF_Q5_K_M ? QuantFormatId::GGUF_Q5_K
                                                                     : base;
    switch (cls) {
    case TensorClass::Norm:
    case TensorClass::Router: // 1-D tensors and ffn_gate_inp are never quantized
        return QuantFormatId::F32;
    case TensorClass::LmHead: // output.weight -> Q6_K unless the file type is Q8_0
        return base == QuantFormatId::GGUF_Q8_0 ? QuantFormatId::GGUF_Q8_0 : QuantFormatId::GGUF_Q6_K;
    case TensorClass::AttnV:
    case TensorClass::AttnK:
        // "for the 8-expert model, bumping this to Q8_0 trades just ~128MB" (every file type)
        if (numExperts == 8)
            return QuantFormatId::GGUF_Q8_0;
        if (cls == TensorClass::AttnV && mixture && llamaCppUsesMoreBits(layer, numLayers))
            return QuantFormatId::GGUF_Q6_K;
        return plain;
    case TensorClass::AttnOutput:
        if (base == QuantFormatId::GGUF_Q4_K_M && numExperts == 8)
            return QuantFormatId::GGUF_Q5_K;
        return plain;
    case TensorClass::FfnDown:
        if (mixture && llamaCppUsesMoreBits(layer, numLayers))
            return QuantFormatId::GGUF_Q6_K;
        return plain;
    default:
        return plain;
    }
}

} // namespace

QuantFormatId tensorFormatFor(QuantFormatId base, TensorClass cls, int64_t layer, int64_t numLayers,
                              int64_t numExperts)
{
    if (isGguf(base))
        return ggufTensorFormat(base, cls, layer, numLayers, numExperts);
    if (!quantFormat(base).keepsHighPrecisionEdges)
        return base;
    switch (cls) {
    case TensorClass::TokenEmbedding:
    case TensorClass::LmHead:
    case TensorClass::Router:
    case TensorClass::Norm:
        // AutoAWQ / AutoGPTQ / llm-compressor quantize Linear layers of the decoder only:
        // embeddings, lm_head, the MoE gate and norms stay in the checkpoint's 16-bit type.
        return base == QuantFormatId::F32 ? QuantFormatId::F32 : QuantFormatId::BF16;
    default:
        return base;
    }
}

} // namespace moe
