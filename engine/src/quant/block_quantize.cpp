// Reference quantisers for the GGML block types after Q4_0. Q4_1, Q5_0, Q5_1, Q8_K and
// MXFP4 follow ggml's quantize_row_*_ref (ggml/src/ggml-quants.c); the K-quants and
// IQ4 types use plain round-to-nearest with scales from each sub-block's range, not
// ggml's weighted scale search: the blocks are valid and decode with the usual error
// of the format, only a little worse than llama-quantize's. They exist so tests and
// `--quant` can produce any type the loader reads, not to compete with llama-quantize.
#include "quant/block_codecs.h"

#include "moe/quant_blocks.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace moe::quant {

namespace {

// ggml nearest_int: round half to even via the 1.5 * 2^23 trick, for |v| < 2^22.
int nearestInt(float v)
{
    const float f = v + 12582912.f;
    int32_t i;
    std::memcpy(&i, &f, 4);
    return (i & 0x007fffff) - 0x00400000;
}

float maxAbsSigned(const float* x, int n) // the element of largest magnitude, with its sign
{
    float amax = 0.f, max = 0.f;
    for (int j = 0; j < n; ++j)
        if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    return max;
}

void q4_1(const float* x, BlockQ4_1* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i, x += kQK) {
        const float mn = *std::min_element(x, x + kQK), mx = *std::max_element(x, x + kQK);
        const float d = (mx - mn) / 15.f, id = d != 0.f ? 1.f / d : 0.f;
        y[i].d = f32ToF16(d);
        y[i].m = f32ToF16(mn);
        for (int j = 0; j < kQK / 2; ++j) {
            const int q0 = std::min(15, int((x[j] - mn) * id + 0.5f));
            const int q1 = std::min(15, int((x[j + kQK / 2] - mn) * id + 0.5f));
            y[i].qs[j] = uint8_t(q0 | (q1 << 4));
        }
    }
}

template <class Block>
void setQh(Block& b, uint32_t qh)
{
    std::memcpy(b.qh, &qh, 4);
}

void q5_0(const float* x, BlockQ5_0* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i, x += kQK) {
        const float d = maxAbsSigned(x, kQK) / -16.f, id = d != 0.f ? 1.f / d : 0.f;
        y[i].d = f32ToF16(d);
        uint32_t qh = 0;
        for (int j = 0; j < kQK / 2; ++j) {
            const int q0 = std::min(31, int(x[j] * id + 16.5f));
            const int q1 = std::min(31, int(x[j + kQK / 2] * id + 16.5f));
            y[i].qs[j] = uint8_t((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= uint32_t((q0 & 0x10) >> 4) << j;
            qh |= uint32_t((q1 & 0x10) >> 4) << (j + kQK / 2);
        }
        setQh(y[i], qh);
    }
}

void q5_1(const float* x, BlockQ5_1* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i, x += kQK) {
        const float mn = *std::min_element(x, x + kQK), mx = *std::max_element(x, x + kQK);
        const float d = (mx - mn) / 31.f, id = d != 0.f ? 1.f / d : 0.f;
        y[i].d = f32ToF16(d);
        y[i].m = f32ToF16(mn);
        uint32_t qh = 0;
        for (int j = 0; j < kQK / 2; ++j) {
            const int q0 = std::min(31, int((x[j] - mn) * id + 0.5f));
            const int q1 = std::min(31, int((x[j + kQK / 2] - mn) * id + 0.5f));
            y[i].qs[j] = uint8_t((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= uint32_t((q0 & 0x10) >> 4) << j;
            qh |= uint32_t((q1 & 0x10) >> 4) << (j + kQK / 2);
        }
        setQh(y[i], qh);
    }
}

// Sub-block scale and (non-negative) min for "w = d * q - m" types with q in 0..nmax.
void rangeScaleMin(const float* x, int n, int nmax, float& scale, float& min)
{
    const float mn = std::min(0.f, *std::min_element(x, x + n)), mx = *std::max_element(x, x + n);
    scale = mx > mn ? (mx - mn) / float(nmax) : 0.f;
    min = -mn;
}

void q2_K(const float* x, BlockQ2_K* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i, x += kQK_K) {
        float scales[16], mins[16], maxScale = 0.f, maxMin = 0.f;
        for (int j = 0; j < 16; ++j) {
            rangeScaleMin(x + 16 * j, 16, 3, scales[j], mins[j]);
            maxScale = std::max(maxScale, scales[j]);
            maxMin = std::max(maxMin, mins[j]);
        }
        const float is = maxScale > 0 ? 15.f / maxScale : 0.f, im = maxMin > 0 ? 15.f / maxMin : 0.f;
        for (int j = 0; j < 16; ++j)
            y[i].scales[j] = uint8_t(std::min(15, nearestInt(is * scales[j])) | (std::min(15, nearestInt(im * mins[j])) << 4));
        y[i].d = f32ToF16(maxScale / 15.f);
        y[i].dmin = f32ToF16(maxMin / 15.f);
        uint8_t L[kQK_K] = {};
        for (int j = 0; j < 16; ++j) {
            const float d = f16ToF32(y[i].d) * float(y[i].scales[j] & 0xF);
            if (d == 0.f)
                continue;
            const float m = f16ToF32(y[i].dmin) * float(y[i].scales[j] >> 4);
            for (int l = 0; l < 16; ++l)
                L[16 * j + l] = uint8_t(std::clamp(nearestInt((x[16 * j + l] + m) / d), 0, 3));
        }
        for (int j = 0; j < kQK_K; j += 128)
            for (int l = 0; l < 32; ++l)
                y[i].qs[j / 4 + l] =
                    uint8_t(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
    }
}

void q3_K(const float* x, BlockQ3_K* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i, x += kQK_K) {
        float scales[16], maxScale = 0.f;
        for (int j = 0; j < 16; ++j) {
            scales[j] = maxAbsSigned(x + 16 * j, 16) / -4.f; // q in -4..3, the extreme maps to -4
            if (std::fabs(scales[j]) > std::fabs(maxScale))
                maxScale = scales[j];
        }
        std::memset(y[i].scales, 0, 12);
        const float iscale = maxScale != 0.f ? -32.f / maxScale : 0.f;
        for (int j = 0; j < 16; ++j) {
            const int l = std::clamp(nearestInt(iscale * scales[j]), -32, 31) + 32;
            if (j < 8)
                y[i].scales[j] = uint8_t(l & 0xF);
            else
                y[i].scales[j - 8] |= uint8_t((l & 0xF) << 4);
            y[i].scales[j % 4 + 8] |= uint8_t((l >> 4) << (2 * (j / 4)));
        }
        y[i].d = f32ToF16(iscale != 0.f ? 1.f / iscale : 0.f);
        uint8_t L[kQK_K];
        for (int j = 0; j < 16; ++j) {
            const int low = j < 8 ? y[i].scales[j] & 0xF : y[i].scales[j - 8] >> 4;
            const int sc = (low | (((y[i].scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
            const float d = f16ToF32(y[i].d) * float(sc);
            for (int l = 0; l < 16; ++l)
                L[16 * j + l] = uint8_t(d != 0.f ? std::clamp(nearestInt(x[16 * j + l] / d), -4, 3) + 4 : 4);
        }
        std::memset(y[i].hmask, 0, sizeof y[i].hmask);
        for (int j = 0; j < kQK_K; ++j) // high bit of element j: bit j / 32 of hmask[j % 32]
            if (L[j] > 3) {
                y[i].hmask[j % 32] |= uint8_t(1u << (j / 32));
                L[j] = uint8_t(L[j] - 4);
            }
        for (int j = 0; j < kQK_K; j += 128)
            for (int l = 0; l < 32; ++l)
                y[i].qs[j / 4 + l] =
                    uint8_t(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
    }
}

// Q4_K / Q5_K share the 6-bit scale/min packing (inverse of get_scale_min_k4).
void packScalesK4(const uint8_t ls[8], const uint8_t lm[8], uint8_t s[12])
{
    std::memset(s, 0, 12);
    for (int j = 0; j < 8; ++j) {
        if (j < 4) {
            s[j] = ls[j];
            s[j + 4] = lm[j];
        } else {
            s[j + 4] = uint8_t((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
            s[j - 4] |= uint8_t((ls[j] >> 4) << 6);
            s[j] |= uint8_t((lm[j] >> 4) << 6);
        }
    }
}

// Shared by Q4_K (nmax 15) and Q5_K (nmax 31): sub-block levels L[256], scales, d/dmin.
template <class Block>
void quantizeK4Levels(const float* x, Block& b, int nmax, uint8_t L[kQK_K])
{
    float scales[8], mins[8], maxScale = 0.f, maxMin = 0.f;
    for (int j = 0; j < 8; ++j) {
        rangeScaleMin(x + 32 * j, 32, nmax, scales[j], mins[j]);
        maxScale = std::max(maxScale, scales[j]);
        maxMin = std::max(maxMin, mins[j]);
    }
    const float is = maxScale > 0 ? 63.f / maxScale : 0.f, im = maxMin > 0 ? 63.f / maxMin : 0.f;
    uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; ++j) {
        ls[j] = uint8_t(std::min(63, nearestInt(is * scales[j])));
        lm[j] = uint8_t(std::min(63, nearestInt(im * mins[j])));
    }
    packScalesK4(ls, lm, b.scales);
    b.d = f32ToF16(maxScale / 63.f);
    b.dmin = f32ToF16(maxMin / 63.f);
    for (int j = 0; j < 8; ++j) {
        const float d = f16ToF32(b.d) * float(ls[j]), m = f16ToF32(b.dmin) * float(lm[j]);
        for (int l = 0; l < 32; ++l)
            L[32 * j + l] = uint8_t(d != 0.f ? std::clamp(nearestInt((x[32 * j + l] + m) / d), 0, nmax) : 0);
    }
}

void q4_K(const float* x, BlockQ4_K* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i, x += kQK_K) {
        uint8_t L[kQK_K];
        quantizeK4Levels(x, y[i], 15, L);
        for (int j = 0; j < kQK_K; j += 64)
            for (int l = 0; l < 32; ++l)
                y[i].qs[j / 2 + l] = uint8_t(L[j + l] | (L[j + l + 32] << 4));
    }
}

void q5_K(const float* x, BlockQ5_K* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i, x += kQK_K) {
        uint8_t L[kQK_K];
        quantizeK4Levels(x, y[i], 31, L);
        std::memset(y[i].qh, 0, sizeof y[i].qh);
        uint8_t m1 = 1, m2 = 2;
        for (int n = 0; n < kQK_K; n += 64) {
            for (int j = 0; j < 32; ++j) {
                int l1 = L[n + j], l2 = L[n + j + 32];
                if (l1 > 15) {
                    l1 -= 16;
                    y[i].qh[j] |= m1;
                }
                if (l2 > 15) {
                    l2 -= 16;
                    y[i].qh[j] |= m2;
                }
                y[i].qs[n / 2 + j] = uint8_t(l1 | (l2 << 4));
            }
            m1 = uint8_t(m1 << 2);
            m2 = uint8_t(m2 << 2);
        }
    }
}

void q6_K(const float* x, BlockQ6_K* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i, x += kQK_K) {
        float scales[16], maxScale = 0.f;
        for (int j = 0; j < 16; ++j) {
            scales[j] = maxAbsSigned(x + 16 * j, 16) / -32.f; // q in -32..31
            if (std::fabs(scales[j]) > std::fabs(maxScale))
                maxScale = scales[j];
        }
        const float iscale = maxScale != 0.f ? -128.f / maxScale : 0.f;
        y[i].d = f32ToF16(iscale != 0.f ? 1.f / iscale : 0.f);
        for (int j = 0; j < 16; ++j)
            y[i].scales[j] = int8_t(std::min(127, nearestInt(iscale * scales[j])));
        uint8_t L[kQK_K];
        for (int j = 0; j < 16; ++j) {
            const float d = f16ToF32(y[i].d) * float(y[i].scales[j]);
            for (int l = 0; l < 16; ++l)
                L[16 * j + l] = uint8_t(d != 0.f ? std::clamp(nearestInt(x[16 * j + l] / d), -32, 31) + 32 : 32);
        }
        for (int j = 0; j < kQK_K; j += 128) {
            uint8_t* ql = y[i].ql + j / 2;
            uint8_t* qh = y[i].qh + j / 4;
            for (int l = 0; l < 32; ++l) {
                const uint8_t* v = L + j + l;
                ql[l] = uint8_t((v[0] & 0xF) | ((v[64] & 0xF) << 4));
                ql[l + 32] = uint8_t((v[32] & 0xF) | ((v[96] & 0xF) << 4));
                qh[l] = uint8_t((v[0] >> 4) | ((v[32] >> 4) << 2) | ((v[64] >> 4) << 4) | ((v[96] >> 4) << 6));
            }
        }
    }
}

void q8_K(const float* x, BlockQ8_K* y, size_t nb) // quantize_row_q8_K_ref
{
    for (size_t i = 0; i < nb; ++i, x += kQK_K) {
        const float max = maxAbsSigned(x, kQK_K);
        if (max == 0.f) {
            std::memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < kQK_K; ++j)
            y[i].qs[j] = int8_t(std::min(127, nearestInt(iscale * x[j])));
        for (int j = 0; j < kQK_K / 16; ++j) {
            int sum = 0;
            for (int l = 0; l < 16; ++l)
                sum += y[i].qs[16 * j + l];
            y[i].bsums[j] = int16_t(sum);
        }
        y[i].d = 1.f / iscale;
    }
}

int nearestIq4(float v) // index of the grid value nearest to v
{
    int best = 0;
    for (int k = 1; k < 16; ++k)
        if (std::fabs(float(kIq4nlValues[k]) - v) < std::fabs(float(kIq4nlValues[best]) - v))
            best = k;
    return best;
}

void iq4_nl(const float* x, BlockIQ4_NL* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i, x += kQK) {
        const float d = maxAbsSigned(x, kQK) / float(kIq4nlValues[0]), id = d != 0.f ? 1.f / d : 0.f;
        y[i].d = f32ToF16(d);
        for (int j = 0; j < kQK / 2; ++j)
            y[i].qs[j] = uint8_t(nearestIq4(x[j] * id) | (nearestIq4(x[j + kQK / 2] * id) << 4));
    }
}

void iq4_xs(const float* x, BlockIQ4_XS* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i, x += kQK_K) {
        float scales[8], maxScale = 0.f;
        for (int j = 0; j < 8; ++j) {
            scales[j] = maxAbsSigned(x + 32 * j, 32) / float(kIq4nlValues[0]);
            if (std::fabs(scales[j]) > std::fabs(maxScale))
                maxScale = scales[j];
        }
        const float d = -maxScale / 32.f, id = d != 0.f ? 1.f / d : 0.f;
        y[i].d = f32ToF16(d);
        y[i].scalesH = 0;
        std::memset(y[i].scalesL, 0, sizeof y[i].scalesL);
        for (int j = 0; j < 8; ++j) {
            const int ls = std::clamp(nearestInt(id * scales[j]), -32, 31) + 32;
            y[i].scalesL[j / 2] |= uint8_t((ls & 0xF) << (4 * (j % 2)));
            y[i].scalesH = uint16_t(y[i].scalesH | ((ls >> 4) << (2 * j)));
            const float dl = f16ToF32(y[i].d) * float(ls - 32), idl = dl != 0.f ? 1.f / dl : 0.f;
            for (int l = 0; l < 16; ++l)
                y[i].qs[16 * j + l] =
                    uint8_t(nearestIq4(x[32 * j + l] * idl) | (nearestIq4(x[32 * j + l + 16] * idl) << 4));
        }
    }
}

int nearestMxfp4(float v, float e) // ggml best_index_mxfp4
{
    int best = 0;
    float bestErr = std::fabs(float(kMxfp4Values[0]) * e - v);
    for (int k = 1; k < 16; ++k) {
        const float err = std::fabs(float(kMxfp4Values[k]) * e - v);
        if (err < bestErr) {
            best = k;
            bestErr = err;
        }
    }
    return best;
}

void mxfp4(const float* x, BlockMXFP4* y, size_t nb) // quantize_row_mxfp4_ref
{
    for (size_t i = 0; i < nb; ++i, x += kQK) {
        float amax = 0.f;
        for (int j = 0; j < kQK; ++j)
            amax = std::max(amax, std::fabs(x[j]));
        const uint8_t e = amax > 0.f ? uint8_t(std::floor(std::log2(amax)) - 2 + 127) : 0;
        const uint32_t bits = e < 2 ? 0x00200000u << e : uint32_t(e - 1) << 23;
        float d;
        std::memcpy(&d, &bits, 4);
        y[i].e = e;
        for (int j = 0; j < kQK / 2; ++j)
            y[i].qs[j] = uint8_t(nearestMxfp4(x[j], d) | (nearestMxfp4(x[j + kQK / 2], d) << 4));
    }
}

template <class Block>
Block* as(void* p)
{
    return static_cast<Block*>(p);
}

} // namespace

void quantizeBlocks(DType t, const float* src, void* dst, size_t n)
{
    const size_t nb = n / size_t(dtypeInfo(t).blockElements);
    switch (t) {
    case DType::Q4_1: return q4_1(src, as<BlockQ4_1>(dst), nb);
    case DType::Q5_0: return q5_0(src, as<BlockQ5_0>(dst), nb);
    case DType::Q5_1: return q5_1(src, as<BlockQ5_1>(dst), nb);
    case DType::Q2_K: return q2_K(src, as<BlockQ2_K>(dst), nb);
    case DType::Q3_K: return q3_K(src, as<BlockQ3_K>(dst), nb);
    case DType::Q4_K: return q4_K(src, as<BlockQ4_K>(dst), nb);
    case DType::Q5_K: return q5_K(src, as<BlockQ5_K>(dst), nb);
    case DType::Q6_K: return q6_K(src, as<BlockQ6_K>(dst), nb);
    case DType::Q8_K: return q8_K(src, as<BlockQ8_K>(dst), nb);
    case DType::IQ4_NL: return iq4_nl(src, as<BlockIQ4_NL>(dst), nb);
    case DType::IQ4_XS: return iq4_xs(src, as<BlockIQ4_XS>(dst), nb);
    case DType::MXFP4: return mxfp4(src, as<BlockMXFP4>(dst), nb);
    case DType::F32:
    case DType::F16:
    case DType::BF16:
    case DType::Q8_0:
    case DType::Q4_0: return; // dtype.cpp handles these itself
    }
}

} // namespace moe::quant
