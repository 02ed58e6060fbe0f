// AVX2 dequantisation of Q4_K and Q6_K rows, bit-identical to dequantizeRow (ggml's
// dequantize_row_q4_K / _q6_K): each weight is the same two f32 roundings, product
// then difference (Q4_K: (d * sc) * q - dmin * m; Q6_K: (d * sc) * q). This file is
// compiled with -ffp-contract=off (engine/CMakeLists.txt) so the compiler cannot fuse
// them into one FMA rounding. GEMV for these types dequantises a block of rows into
// the per-thread tile, so this sets how fast Q4_K_M decode runs.
#include "compute/gemm_kernels.h"
#include "compute/simd_avx2.h"
#include "moe/quant_blocks.h"

namespace moe::kern {

#if MOE_HAVE_AVX2_PATH
MOE_AVX2_BEGIN
namespace {

// Eight consecutive bytes as eight i32 lanes.
inline __m256i bytes8(const uint8_t* p) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))); }

// Same unpacking as get_scale_min_k4 (quant/block_dequantize.cpp).
inline void scaleMinK4(int j, const uint8_t* q, int& d, int& m)
{
    if (j < 4) {
        d = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

void q4KRow(const BlockQ4_K* x, float* y, int64_t nb)
{
    const __m256i low4 = _mm256_set1_epi32(0xF);
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
                const __m256 lo = _mm256_cvtepi32_ps(_mm256_and_si256(v, low4));
                const __m256 hi = _mm256_cvtepi32_ps(_mm256_srli_epi32(v, 4));
                _mm256_storeu_ps(y + l, _mm256_sub_ps(_mm256_mul_ps(d1, lo), m1));
                _mm256_storeu_ps(y + 32 + l, _mm256_sub_ps(_mm256_mul_ps(d2, hi), m2));
            }
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

} // namespace
MOE_AVX2_END
#endif

bool dequantizeRowSimd(CpuSimd simd, DType wtype, const void* src, float* dst, int64_t k)
{
#if MOE_HAVE_AVX2_PATH
    if (simd == CpuSimd::Avx2) {
        if (wtype == DType::Q4_K) {
            q4KRow(static_cast<const BlockQ4_K*>(src), dst, k / kQK_K);
            return true;
        }
        if (wtype == DType::Q6_K) {
            q6KRow(static_cast<const BlockQ6_K*>(src), dst, k / kQK_K);
            return true;
        }
    }
#endif
    (void)simd, (void)wtype, (void)src, (void)dst, (void)k;
    return false;
}

} // namespace moe::kern
