// Float-weight tiles (F32 / F16 / BF16) and weight-row conversion to F32.
#include "compute/gemm_kernels.h"
#include "compute/simd_avx2.h"

#include <cstring>

namespace moe::kern {

namespace {

// ---- scalar path ----

float loadScalar(DType t, const uint8_t* row, int64_t i)
{
    switch (t) {
    case DType::F16: {
        uint16_t h;
        std::memcpy(&h, row + i * 2, 2);
        return f16ToF32(h);
    }
    case DType::BF16: {
        uint16_t h;
        std::memcpy(&h, row + i * 2, 2);
        return bf16ToF32(h);
    }
    default: {
        float f;
        std::memcpy(&f, row + i * 4, 4);
        return f;
    }
    }
}

void floatTileScalar(DType wtype, const uint8_t* w, size_t wrb, const float* x, int64_t ldx, int64_t k, int rm,
                     int rn, const float* bias, float* y, int64_t ldy)
{
    for (int r = 0; r < rm; ++r) {
        const uint8_t* wr = w + size_t(r) * wrb;
        for (int t = 0; t < rn; ++t) {
            const float* xt = x + t * ldx;
            float acc = 0.f;
            for (int64_t i = 0; i < k; ++i)
                acc += loadScalar(wtype, wr, i) * xt[i];
            y[t * ldy + r] = acc + (bias ? bias[r] : 0.f);
        }
    }
}

} // namespace

#if MOE_HAVE_AVX2_PATH
MOE_AVX2_BEGIN
namespace {

struct LoadF32 {
    static __m256 load8(const uint8_t* row, int64_t i) { return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + i); }
};
struct LoadF16 {
    static __m256 load8(const uint8_t* row, int64_t i)
    {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + i * 2)));
    }
};
struct LoadBF16 {
    // bf16 is the high half of an f32: widen to 32 bits and shift into place.
    static __m256 load8(const uint8_t* row, int64_t i)
    {
        const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + i * 2)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    }
};

inline float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

template <class L, int RM, int RN>
void floatTileAvx2(DType wtype, const uint8_t* w, size_t wrb, const float* x, int64_t ldx, int64_t k,
                   const float* bias, float* y, int64_t ldy)
{
    __m256 acc[RM][RN];
#pragma GCC unroll 4
    for (int r = 0; r < RM; ++r)
#pragma GCC unroll 3
        for (int t = 0; t < RN; ++t)
            acc[r][t] = _mm256_setzero_ps();
    // Weight rows are short streams (4 KiB for an F16 row of 2048): the hardware
    // prefetcher barely ramps up before a stream ends, so fetch the next RM rows (they
    // follow ours in memory) at the pace we consume our own.
    const uint8_t* next = w + RM * wrb;
    const size_t nextStep = size_t(RM) * (wtype == DType::F32 ? 4 : 2); // bytes per element of ours
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        const uint8_t* pf = next + size_t(i) * nextStep;
        _mm_prefetch(reinterpret_cast<const char*>(pf), _MM_HINT_T0);
        if (nextStep * 8 > 64)
            _mm_prefetch(reinterpret_cast<const char*>(pf + 64), _MM_HINT_T0);
        __m256 wv[RM];
#pragma GCC unroll 4
        for (int r = 0; r < RM; ++r)
            wv[r] = L::load8(w + size_t(r) * wrb, i);
#pragma GCC unroll 3
        for (int t = 0; t < RN; ++t) {
            const __m256 xv = _mm256_loadu_ps(x + t * ldx + i);
#pragma GCC unroll 4
            for (int r = 0; r < RM; ++r)
                acc[r][t] = _mm256_fmadd_ps(wv[r], xv, acc[r][t]);
        }
    }
    for (int r = 0; r < RM; ++r)
        for (int t = 0; t < RN; ++t) {
            float s = hsum(acc[r][t]);
            for (int64_t j = i; j < k; ++j) // ragged tail (k % 8), rare for real models
                s += loadScalar(wtype, w + size_t(r) * wrb, j) * x[t * ldx + j];
            y[t * ldy + r] = s + (bias ? bias[r] : 0.f);
        }
}

template <class L>
void floatTileAvx2Dispatch(DType wtype, const uint8_t* w, size_t wrb, const float* x, int64_t ldx, int64_t k,
                           int rm, int rn, const float* bias, float* y, int64_t ldy)
{
#define MOE_TILE(RM, RN)                                                                                     \
    case RM * 8 + RN:                                                                                          \
        return floatTileAvx2<L, RM, RN>(wtype, w, wrb, x, ldx, k, bias, y, ldy);
    switch (rm * 8 + rn) {
        MOE_TILE(1, 1) MOE_TILE(1, 2) MOE_TILE(1, 3)
        MOE_TILE(2, 1) MOE_TILE(2, 2) MOE_TILE(2, 3)
        MOE_TILE(3, 1) MOE_TILE(3, 2) MOE_TILE(3, 3)
        MOE_TILE(4, 1) MOE_TILE(4, 2) MOE_TILE(4, 3)
    default:
        return floatTileScalar(wtype, w, wrb, x, ldx, k, rm, rn, bias, y, ldy); // unreachable by contract
    }
#undef MOE_TILE
}

void floatTileAvx2Entry(DType wtype, const uint8_t* w, size_t wrb, const float* x, int64_t ldx, int64_t k, int rm,
                        int rn, const float* bias, float* y, int64_t ldy)
{
    switch (wtype) {
    case DType::F16: return floatTileAvx2Dispatch<LoadF16>(wtype, w, wrb, x, ldx, k, rm, rn, bias, y, ldy);
    case DType::BF16: return floatTileAvx2Dispatch<LoadBF16>(wtype, w, wrb, x, ldx, k, rm, rn, bias, y, ldy);
    default: return floatTileAvx2Dispatch<LoadF32>(wtype, w, wrb, x, ldx, k, rm, rn, bias, y, ldy);
    }
}

void convertRowAvx2(DType wtype, const uint8_t* src, int64_t k, float* dst)
{
    int64_t i = 0;
    if (wtype == DType::F16)
        for (; i + 8 <= k; i += 8)
            _mm256_storeu_ps(dst + i, LoadF16::load8(src, i));
    else if (wtype == DType::BF16)
        for (; i + 8 <= k; i += 8)
            _mm256_storeu_ps(dst + i, LoadBF16::load8(src, i));
    for (; i < k; ++i)
        dst[i] = loadScalar(wtype, src, i);
}

} // namespace
MOE_AVX2_END
#endif

void floatTile(CpuSimd simd, DType wtype, const void* w, size_t wRowBytes, const float* x, int64_t ldx, int64_t k,
               int rm, int rn, const float* bias, float* y, int64_t ldy)
{
    const auto* wb = static_cast<const uint8_t*>(w);
#if MOE_HAVE_AVX2_PATH
    if (simd == CpuSimd::Avx2)
        return floatTileAvx2Entry(wtype, wb, wRowBytes, x, ldx, k, rm, rn, bias, y, ldy);
#endif
    (void)simd;
    floatTileScalar(wtype, wb, wRowBytes, x, ldx, k, rm, rn, bias, y, ldy);
}

void convertRowsToF32(CpuSimd simd, DType wtype, const void* w, size_t wRowBytes, int64_t rows, int64_t k, float* dst)
{
    const auto* wb = static_cast<const uint8_t*>(w);
    for (int64_t r = 0; r < rows; ++r) {
        const uint8_t* src = wb + size_t(r) * wRowBytes;
        float* d = dst + r * k;
#if MOE_HAVE_AVX2_PATH
        if (simd == CpuSimd::Avx2 && (wtype == DType::F16 || wtype == DType::BF16)) {
            convertRowAvx2(wtype, src, k, d);
            continue;
        }
#endif
        if (dequantizeRowSimd(simd, wtype, src, d, k))
            continue;
        if (wtype == DType::F32 || wtype == DType::BF16 || isQuantized(wtype))
            dequantizeRow(wtype, src, d, size_t(k));
        else
            for (int64_t i = 0; i < k; ++i)
                d[i] = loadScalar(wtype, src, i);
    }
    (void)simd;
}

} // namespace moe::kern
