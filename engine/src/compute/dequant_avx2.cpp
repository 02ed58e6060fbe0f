// AVX2 dequantisation of Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS and the 32-element block types with a nibble
// layout (Q4_1, Q5_0, Q5_1, IQ4_NL, MXFP4), bit-identical to dequantizeRow (ggml's
// dequantize_row_*): each weight is the same f32 roundings in the same order, e.g.
// Q4_K (d * sc) * q - dmin * m, Q4_1 q * d + m. This file is compiled with
// -ffp-contract=off (engine/CMakeLists.txt) so the compiler cannot fuse them into one
// FMA rounding. Prefill packs weight panels through these (gemm_packed.cpp), and the
// types without an integer dot dequantise rows into the GEMV tile.
#include "compute/gemm_kernels.h"
#include "compute/simd_avx2.h"
#include "moe/quant_blocks.h"

#include <cstring>
#include <type_traits>

namespace moe::kern {

#if MOE_HAVE_AVX2_PATH
MOE_AVX2_BEGIN
#include "compute/nibbles_avx2.h"
namespace {

// Eight consecutive bytes as eight i32 lanes.
inline __m256i bytes8(const uint8_t* p) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))); }


// Q4_K and Q5_K: (d * sc) * q - dmin * m per 32-element sub-block; Q5_K's q has a fifth
// bit, bit j of qh[l] for element l of sub-block j.
template <class Block>
void q45KRow(const Block* x, float* y, int64_t nb)
{
    constexpr bool kFifthBit = std::is_same_v<Block, BlockQ5_K>;
    const __m256i low4 = _mm256_set1_epi32(0xF), one = _mm256_set1_epi32(1);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = _cvtsh_ss(x[i].d), dmin = _cvtsh_ss(x[i].dmin);
        const uint8_t* q = x[i].qs;
        for (int is = 0; is < 8; is += 2, q += 32, y += 64) {
            int sc, m;
            scaleMinK4(is, x[i].scales, sc, m);
            const __m256 d1 = _mm256_set1_ps(d * float(sc)), m1 = _mm256_set1_ps(dmin * float(m));
            scaleMinK4(is + 1, x[i].scales, sc, m);
            const __m256 d2 = _mm256_set1_ps(d * float(sc)), m2 = _mm256_set1_ps(dmin * float(m));
            for (int l = 0; l < 32; l += 8) {
                const __m256i v = bytes8(q + l);
                __m256i lo = _mm256_and_si256(v, low4), hi = _mm256_srli_epi32(v, 4);
                if constexpr (kFifthBit) {
                    const __m256i h = bytes8(x[i].qh + l);
                    lo = _mm256_add_epi32(lo, _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, is), one), 4));
                    hi = _mm256_add_epi32(hi, _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, is + 1), one), 4));
                }
                _mm256_storeu_ps(y + l, _mm256_sub_ps(_mm256_mul_ps(d1, _mm256_cvtepi32_ps(lo)), m1));
                _mm256_storeu_ps(y + 32 + l, _mm256_sub_ps(_mm256_mul_ps(d2, _mm256_cvtepi32_ps(hi)), m2));
            }
        }
    }
}

// Q2_K: per 16 weights dl = d * (sc & 15), ml = dmin * (sc >> 4), then dl * q - ml;
// element 128 h + 32 p + l is bits 2p of byte l of qs[32 h ..].
void q2KRow(const BlockQ2_K* x, float* y, int64_t nb)
{
    const __m256i three = _mm256_set1_epi32(3);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = _cvtsh_ss(x[i].d), dmin = _cvtsh_ss(x[i].dmin);
        const uint8_t* q = x[i].qs;
        int is = 0;
        for (int h = 0; h < 2; ++h, q += 32)
            for (int shift = 0; shift < 8; shift += 2)
                for (int half = 0; half < 2; ++half, y += 16) {
                    const uint8_t sc = x[i].scales[is++];
                    const __m256 dl = _mm256_set1_ps(d * float(sc & 0xF)), ml = _mm256_set1_ps(dmin * float(sc >> 4));
                    for (int l = 0; l < 16; l += 8) {
                        const __m256i v = _mm256_and_si256(_mm256_srli_epi32(bytes8(q + 16 * half + l), shift), three);
                        _mm256_storeu_ps(y + l, _mm256_sub_ps(_mm256_mul_ps(dl, _mm256_cvtepi32_ps(v)), ml));
                    }
                }
    }
}

// Q3_K: dl = d * (6-bit scale - 32) per 16 weights, then dl * (2 low bits - (hmask bit ?
// 0 : 4)); q3kScales unpacks the scales.
void q3KRow(const BlockQ3_K* x, float* y, int64_t nb)
{
    const __m256i three = _mm256_set1_epi32(3), four = _mm256_set1_epi32(4);
    for (int64_t i = 0; i < nb; ++i) {
        const float dAll = _cvtsh_ss(x[i].d);
        int8_t scales[16];
        q3kScales(x[i].scales, scales);
        const uint8_t* q = x[i].qs;
        int is = 0, bit = 0;
        for (int h = 0; h < 2; ++h, q += 32)
            for (int shift = 0; shift < 8; shift += 2, ++bit) {
                const __m256i mask = _mm256_set1_epi32(1 << bit);
                for (int half = 0; half < 2; ++half, y += 16) {
                    const __m256 dl = _mm256_set1_ps(dAll * float(scales[is++]));
                    for (int l = 0; l < 16; l += 8) {
                        const int e = 16 * half + l;
                        const __m256i low = _mm256_and_si256(_mm256_srli_epi32(bytes8(q + e), shift), three);
                        const __m256i clear =
                            _mm256_cmpeq_epi32(_mm256_and_si256(bytes8(x[i].hmask + e), mask), _mm256_setzero_si256());
                        const __m256i v = _mm256_sub_epi32(low, _mm256_and_si256(clear, four));
                        _mm256_storeu_ps(y + l, _mm256_mul_ps(dl, _mm256_cvtepi32_ps(v)));
                    }
                }
            }
    }
}

// IQ4_XS: dl = d * (ls - 32) per 32, then dl * table[q].
void iq4XSRow(const BlockIQ4_XS* x, float* y, int64_t nb)
{
    for (int64_t i = 0; i < nb; ++i) {
        const float d = _cvtsh_ss(x[i].d);
        for (int ib = 0; ib < kQK_K / 32; ++ib, y += 32) {
            const int ls = ((x[i].scalesL[ib / 2] >> 4 * (ib % 2)) & 0xF) | (((x[i].scalesH >> 2 * ib) & 3) << 4);
            const __m256 dl = _mm256_set1_ps(d * float(ls - 32));
            const uint8_t* qs = x[i].qs + 16 * ib;
            for (int g = 0; g < 4; ++g)
                _mm256_storeu_ps(y + 8 * g,
                                 _mm256_mul_ps(dl, _mm256_cvtepi32_ps(lookup16(kIq4nlValues, nibbles8(qs, 8 * g)))));
        }
    }
}

void q6KRow(const BlockQ6_K* x, float* y, int64_t nb)
{
    const __m256i low4 = _mm256_set1_epi32(0xF), two = _mm256_set1_epi32(3), bias = _mm256_set1_epi32(32);
    for (int64_t i = 0; i < nb; ++i) {
        const float d = _cvtsh_ss(x[i].d);
        const uint8_t* ql = x[i].ql;
        const uint8_t* qh = x[i].qh;
        const int8_t* sc = x[i].scales;
        for (int n = 0; n < kQK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l += 8) {
                const int is = l / 16;
                const __m256i a = bytes8(ql + l), b = bytes8(ql + l + 32), h = bytes8(qh + l);
                const __m256i q1 = _mm256_or_si256(_mm256_and_si256(a, low4), _mm256_slli_epi32(_mm256_and_si256(h, two), 4));
                const __m256i q2 = _mm256_or_si256(_mm256_and_si256(b, low4),
                                                   _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, 2), two), 4));
                const __m256i q3 = _mm256_or_si256(_mm256_srli_epi32(a, 4),
                                                   _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(h, 4), two), 4));
                const __m256i q4 = _mm256_or_si256(_mm256_srli_epi32(b, 4), _mm256_slli_epi32(_mm256_srli_epi32(h, 6), 4));
                auto out = [&](float* dst, __m256i q, int s) {
                    const __m256 ds = _mm256_set1_ps(d * float(sc[s]));
                    _mm256_storeu_ps(dst, _mm256_mul_ps(ds, _mm256_cvtepi32_ps(_mm256_sub_epi32(q, bias))));
                };
                out(y + l, q1, is);
                out(y + l + 32, q2, is + 2);
                out(y + l + 64, q3, is + 4);
                out(y + l + 96, q4, is + 6);
            }
        }
    }
}

void nibbleRow(DType t, const uint8_t* src, float* y, int64_t nb)
{
    const size_t blockBytes = size_t(dtypeInfo(t).blockBytes);
    for (int64_t i = 0; i < nb; ++i, src += blockBytes, y += kQK) {
        for (int g = 0; g < 4; ++g) {
            __m256 out;
            switch (t) {
            case DType::Q4_1: {
                const auto* b = reinterpret_cast<const BlockQ4_1*>(src);
                const __m256 q = _mm256_cvtepi32_ps(nibbles8(b->qs, 8 * g));
                out = _mm256_add_ps(_mm256_mul_ps(q, _mm256_set1_ps(_cvtsh_ss(b->d))), _mm256_set1_ps(_cvtsh_ss(b->m)));
                break;
            }
            case DType::Q5_0: {
                const auto* b = reinterpret_cast<const BlockQ5_0*>(src);
                const __m256i q = _mm256_or_si256(nibbles8(b->qs, 8 * g), fifthBits8(b->qh, 8 * g));
                out = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(q, _mm256_set1_epi32(16))),
                                    _mm256_set1_ps(_cvtsh_ss(b->d)));
                break;
            }
            case DType::Q5_1: {
                const auto* b = reinterpret_cast<const BlockQ5_1*>(src);
                const __m256i q = _mm256_or_si256(nibbles8(b->qs, 8 * g), fifthBits8(b->qh, 8 * g));
                out = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(q), _mm256_set1_ps(_cvtsh_ss(b->d))),
                                    _mm256_set1_ps(_cvtsh_ss(b->m)));
                break;
            }
            case DType::IQ4_NL: {
                const auto* b = reinterpret_cast<const BlockIQ4_NL*>(src);
                out = _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(b->d)),
                                    _mm256_cvtepi32_ps(lookup16(kIq4nlValues, nibbles8(b->qs, 8 * g))));
                break;
            }
            default: { // MXFP4
                const auto* b = reinterpret_cast<const BlockMXFP4*>(src);
                out = _mm256_mul_ps(_mm256_cvtepi32_ps(lookup16(kMxfp4Values, nibbles8(b->qs, 8 * g))),
                                    _mm256_set1_ps(e8m0ToF32Half(b->e)));
                break;
            }
            }
            _mm256_storeu_ps(y + 8 * g, out);
        }
    }
}

} // namespace
MOE_AVX2_END
#endif

bool dequantizeRowSimd(CpuSimd simd, DType wtype, const void* src, float* dst, int64_t k)
{
#if MOE_HAVE_AVX2_PATH
    if (simd == CpuSimd::Avx2) {
        if (wtype == DType::Q4_K) {
            q45KRow(static_cast<const BlockQ4_K*>(src), dst, k / kQK_K);
            return true;
        }
        if (wtype == DType::Q6_K) {
            q6KRow(static_cast<const BlockQ6_K*>(src), dst, k / kQK_K);
            return true;
        }
        if (wtype == DType::Q5_K) {
            q45KRow(static_cast<const BlockQ5_K*>(src), dst, k / kQK_K);
            return true;
        }
        if (wtype == DType::Q2_K) {
            q2KRow(static_cast<const BlockQ2_K*>(src), dst, k / kQK_K);
            return true;
        }
        if (wtype == DType::Q3_K) {
            q3KRow(static_cast<const BlockQ3_K*>(src), dst, k / kQK_K);
            return true;
        }
        if (wtype == DType::IQ4_XS) {
            iq4XSRow(static_cast<const BlockIQ4_XS*>(src), dst, k / kQK_K);
            return true;
        }
        if (wtype == DType::Q4_1 || wtype == DType::Q5_0 || wtype == DType::Q5_1 || wtype == DType::IQ4_NL ||
            wtype == DType::MXFP4) {
            nibbleRow(wtype, static_cast<const uint8_t*>(src), dst, k / kQK);
            return true;
        }
    }
#endif
    (void)simd, (void)wtype, (void)src, (void)dst, (void)k;
    return false;
}

} // namespace moe::kern
