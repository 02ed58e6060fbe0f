#include "moe/dtype.h"

#include "moe/quant_blocks.h"
#include "quant/block_codecs.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <cmath>
#include <string>

namespace moe {

const DTypeInfo& dtypeInfo(DType t)
{
    static const DTypeInfo infos[] = {
        {"f32", 1, 4},
        {"f16", 1, 2},
        {"bf16", 1, 2},
        {"q8_0", kQ8_0Block, int(sizeof(BlockQ8_0))},
        {"q4_0", kQ4_0Block, int(sizeof(BlockQ4_0))},
        {"q4_1", kQK, int(sizeof(BlockQ4_1))},
        {"q5_0", kQK, int(sizeof(BlockQ5_0))},
        {"q5_1", kQK, int(sizeof(BlockQ5_1))},
        {"q2_k", kQK_K, int(sizeof(BlockQ2_K))},
        {"q3_k", kQK_K, int(sizeof(BlockQ3_K))},
        {"q4_k", kQK_K, int(sizeof(BlockQ4_K))},
        {"q5_k", kQK_K, int(sizeof(BlockQ5_K))},
        {"q6_k", kQK_K, int(sizeof(BlockQ6_K))},
        {"q8_k", kQK_K, int(sizeof(BlockQ8_K))},
        {"iq4_nl", kQK, int(sizeof(BlockIQ4_NL))},
        {"iq4_xs", kQK_K, int(sizeof(BlockIQ4_XS))},
        {"mxfp4", kQK, int(sizeof(BlockMXFP4))},
    };
    static_assert(std::size(infos) == kDTypeCount);
    return infos[static_cast<int>(t)];
}

std::optional<DType> dtypeFromName(std::string_view name)
{
    std::string lower(name);
    for (char& c : lower)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    for (int i = 0; i < kDTypeCount; ++i)
        if (lower == dtypeInfo(DType(i)).name)
            return DType(i);
    return std::nullopt;
}

bool isQuantized(DType t) { return dtypeInfo(t).blockElements > 1; }

std::optional<uint64_t> rowBytes(DType t, uint64_t elements)
{
    const DTypeInfo& info = dtypeInfo(t);
    if (elements % uint64_t(info.blockElements) != 0)
        return std::nullopt;
    uint64_t blocks = elements / uint64_t(info.blockElements);
    if (blocks > UINT64_MAX / uint64_t(info.blockBytes))
        return std::nullopt;
    return blocks * uint64_t(info.blockBytes);
}

float f16ToF32(uint16_t h)
{
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { // subnormal: normalise
            int e = -1;
            do {
                ++e;
                mant <<= 1;
            } while ((mant & 0x400u) == 0);
            mant &= 0x3ffu;
            bits = sign | (uint32_t(127 - 15 - e) << 23) | (mant << 13);
        }
    } else if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

uint16_t f32ToF16(float f)
{
    uint32_t x;
    std::memcpy(&x, &f, 4);
    const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
    const uint32_t absx = x & 0x7fffffffu;
    if (absx > 0x7f800000u) // NaN
        return uint16_t(sign | 0x7e00u);
    if (absx >= 0x477ff000u) // rounds to >= 65520 -> inf
        return uint16_t(sign | 0x7c00u);
    if (absx < 0x38800000u) { // below smallest normal f16 (2^-14): subnormal or zero
        if (absx < 0x33000000u) // < 2^-25 rounds to zero
            return sign;
        const uint32_t exp = absx >> 23;
        const uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126 - exp; // 14..24 for this range (+ 13 mantissa drop)
        uint32_t half = mant >> (shift - 1 + 1);
        const uint32_t rem = mant & ((1u << (shift)) - 1u);
        const uint32_t halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (half & 1u)))
            ++half;
        return uint16_t(sign | half);
    }
    uint32_t h = ((absx >> 13) - ((127 - 15) << 10));
    const uint32_t rem = absx & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
        ++h;
    return uint16_t(sign | h);
}

void dequantizeRow(DType t, const void* src, float* dst, size_t n)
{
    switch (t) {
    case DType::F32:
        std::memcpy(dst, src, n * 4);
        return;
    case DType::F16: {
        const auto* s = static_cast<const uint16_t*>(src);
        for (size_t i = 0; i < n; ++i)
            dst[i] = f16ToF32(s[i]);
        return;
    }
    case DType::BF16: {
        const auto* s = static_cast<const uint16_t*>(src);
        for (size_t i = 0; i < n; ++i)
            dst[i] = bf16ToF32(s[i]);
        return;
    }
    case DType::Q8_0: {
        const auto* b = static_cast<const BlockQ8_0*>(src);
        for (size_t i = 0; i < n / kQ8_0Block; ++i) {
            const float d = f16ToF32(b[i].d);
            for (int j = 0; j < kQ8_0Block; ++j)
                dst[i * kQ8_0Block + j] = d * float(b[i].q[j]);
        }
        return;
    }
    case DType::Q4_0: {
        const auto* b = static_cast<const BlockQ4_0*>(src);
        for (size_t i = 0; i < n / kQ4_0Block; ++i) {
            const float d = f16ToF32(b[i].d);
            for (int j = 0; j < kQ4_0Block / 2; ++j) {
                dst[i * kQ4_0Block + j] = d * float(int(b[i].q[j] & 0x0f) - 8);
                dst[i * kQ4_0Block + j + kQ4_0Block / 2] = d * float(int(b[i].q[j] >> 4) - 8);
            }
        }
        return;
    }
    default:
        quant::dequantizeBlocks(t, src, dst, n);
        return;
    }
}

void quantizeRow(DType t, const float* src, void* dst, size_t n)
{
    switch (t) {
    case DType::F32:
        std::memcpy(dst, src, n * 4);
        return;
    case DType::F16: {
        auto* d = static_cast<uint16_t*>(dst);
        for (size_t i = 0; i < n; ++i)
            d[i] = f32ToF16(src[i]);
        return;
    }
    case DType::BF16: {
        auto* d = static_cast<uint16_t*>(dst);
        for (size_t i = 0; i < n; ++i)
            d[i] = f32ToBf16(src[i]);
        return;
    }
    case DType::Q8_0: { // GGML quantize_row_q8_0_ref
        auto* b = static_cast<BlockQ8_0*>(dst);
        for (size_t i = 0; i < n / kQ8_0Block; ++i) {
            float amax = 0.f;
            for (int j = 0; j < kQ8_0Block; ++j)
                amax = std::max(amax, std::fabs(src[i * kQ8_0Block + j]));
            const float d = amax / 127.f;
            const float id = d != 0.f ? 1.f / d : 0.f;
            b[i].d = f32ToF16(d);
            for (int j = 0; j < kQ8_0Block; ++j)
                b[i].q[j] = int8_t(std::lround(src[i * kQ8_0Block + j] * id));
        }
        return;
    }
    case DType::Q4_0: { // GGML quantize_row_q4_0_ref
        auto* b = static_cast<BlockQ4_0*>(dst);
        for (size_t i = 0; i < n / kQ4_0Block; ++i) {
            const float* x = src + i * kQ4_0Block;
            float amax = 0.f, max = 0.f;
            for (int j = 0; j < kQ4_0Block; ++j) {
                if (std::fabs(x[j]) > amax) {
                    amax = std::fabs(x[j]);
                    max = x[j];
                }
            }
            const float d = max / -8.f;
            const float id = d != 0.f ? 1.f / d : 0.f;
            b[i].d = f32ToF16(d);
            for (int j = 0; j < kQ4_0Block / 2; ++j) {
                const uint8_t x0 = uint8_t(std::min(15, int(x[j] * id + 8.5f)));
                const uint8_t x1 = uint8_t(std::min(15, int(x[j + kQ4_0Block / 2] * id + 8.5f)));
                b[i].q[j] = uint8_t(x0 | (x1 << 4));
            }
        }
        return;
    }
    default:
        quant::quantizeBlocks(t, src, dst, n);
        return;
    }
}

} // namespace moe
