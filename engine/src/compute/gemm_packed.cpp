// Prefill GEMM (AVX2): weights packed into F32 panels, register-blocked microkernel.
//
// BLIS-style: a call covers up to kPackRows weight rows and every token, one panel of
// kPackNr rows x one k-block (kPackKc columns) at a time. The panel is converted to
// F32 once (F16 / BF16 widened, block types dequantised) and transposed k-major, so
// the microkernel loads kPackNr consecutive outputs' weights with kPackNr / 8 aligned
// loads and broadcasts one activation per token: kPackMr x kPackNr accumulators
// (12 ymm) stay in registers for the whole k-block. The panel (24 KiB) stays in L1
// while every token group passes over it; the activations of the k-block come from L2.
// The conversion is paid once per weight and amortised over all tokens, which is why
// this also beats the integer dot products for quantised weights from about a dozen
// tokens on (cpu_matmul.cpp holds the measured thresholds).
//
// Determinism: every output element is one f32 lane that starts at bias (or 0) and
// takes one FMA per k in increasing k order, resuming from y across k-blocks. Nothing
// depends on which tokens or rows share a tile, so any partition gives the same bits.
#include "compute/gemm_kernels.h"
#include "compute/simd_avx2.h"

#include <algorithm>
#include <cstring>

namespace moe::kern {

#if MOE_HAVE_AVX2_PATH
MOE_AVX2_BEGIN
#include "compute/nibbles_avx2.h"
namespace {

constexpr int kNv = kPackNr / 8; // ymm per accumulator row

// 8 consecutive weights of one row from column k (k % 8 == 0) as F32.
struct PackF32 {
    static __m256 load8(const uint8_t* row, int64_t k) { return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + k); }
};
struct PackF16 {
    static __m256 load8(const uint8_t* row, int64_t k)
    {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + k * 2)));
    }
};
struct PackBF16 {
    static __m256 load8(const uint8_t* row, int64_t k)
    {
        const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + k * 2)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    }
};
// d * q in f32, the same single rounding as dequantizeRow.
struct PackQ8 {
    static __m256 load8(const uint8_t* row, int64_t k)
    {
        const auto* b = reinterpret_cast<const BlockQ8_0*>(row) + k / 32;
        const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b->q + (k & 31)));
        return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), _mm256_set1_ps(_cvtsh_ss(b->d)));
    }
};
struct PackQ4 {
    // Elements 0..15 are the low nibbles of q[0..15], 16..31 the high nibbles (GGML).
    static __m256 load8(const uint8_t* row, int64_t k)
    {
        const auto* b = reinterpret_cast<const BlockQ4_0*>(row) + k / 32;
        const int j = int(k & 31);
        __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b->q + (j & 15))));
        if (j >= 16)
            v = _mm256_srli_epi32(v, 4);
        v = _mm256_sub_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0x0f)), _mm256_set1_epi32(8));
        return _mm256_mul_ps(_mm256_cvtepi32_ps(v), _mm256_set1_ps(_cvtsh_ss(b->d)));
    }
};

// The other nibble types: the same value expressions as dequantizeRow (d * q, q * d + m,
// d * table[q]), so the panels hold the dequantised weights.
struct PackQ4_1 {
    static __m256 load8(const uint8_t* row, int64_t k)
    {
        const auto* b = reinterpret_cast<const BlockQ4_1*>(row) + k / 32;
        const __m256 q = _mm256_cvtepi32_ps(nibbles8(b->qs, int(k & 31)));
        return _mm256_add_ps(_mm256_mul_ps(q, _mm256_set1_ps(_cvtsh_ss(b->d))), _mm256_set1_ps(_cvtsh_ss(b->m)));
    }
};
struct PackQ5_0 {
    static __m256 load8(const uint8_t* row, int64_t k)
    {
        const auto* b = reinterpret_cast<const BlockQ5_0*>(row) + k / 32;
        const int j = int(k & 31);
        const __m256i q = _mm256_or_si256(nibbles8(b->qs, j), fifthBits8(b->qh, j));
        return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(q, _mm256_set1_epi32(16))),
                             _mm256_set1_ps(_cvtsh_ss(b->d)));
    }
};
struct PackQ5_1 {
    static __m256 load8(const uint8_t* row, int64_t k)
    {
        const auto* b = reinterpret_cast<const BlockQ5_1*>(row) + k / 32;
        const int j = int(k & 31);
        const __m256i q = _mm256_or_si256(nibbles8(b->qs, j), fifthBits8(b->qh, j));
        return _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(q), _mm256_set1_ps(_cvtsh_ss(b->d))),
                             _mm256_set1_ps(_cvtsh_ss(b->m)));
    }
};
struct PackIQ4NL {
    static __m256 load8(const uint8_t* row, int64_t k)
    {
        const auto* b = reinterpret_cast<const BlockIQ4_NL*>(row) + k / 32;
        return _mm256_mul_ps(_mm256_set1_ps(_cvtsh_ss(b->d)),
                             _mm256_cvtepi32_ps(lookup16(kIq4nlValues, nibbles8(b->qs, int(k & 31)))));
    }
};
struct PackMXFP4 {
    static __m256 load8(const uint8_t* row, int64_t k)
    {
        const auto* b = reinterpret_cast<const BlockMXFP4*>(row) + k / 32;
        return _mm256_mul_ps(_mm256_cvtepi32_ps(lookup16(kMxfp4Values, nibbles8(b->qs, int(k & 31)))),
                             _mm256_set1_ps(e8m0ToF32Half(b->e)));
    }
};

// r[i] = row i  ->  r[j] = column j.
inline void transpose8(__m256 r[8])
{
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xee);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xee);
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xee);
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xee);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

float scalarWeight(DType t, const uint8_t* row, int64_t k)
{
    float v;
    dequantizeRow(t, row + (k * dtypeInfo(t).blockBytes), &v, 1); // float dtypes only (blockBytes = element size)
    return v;
}

// Rows [0, rows) (rows <= kPackNr) x columns [0, kc) of w -> one k-major panel
// dst[k * kPackNr + r]; rows past `rows` are 0.
template <class L>
void packPanel(DType wtype, const uint8_t* w, size_t wrb, int rows, int64_t kc, float* dst)
{
    const int64_t kc8 = kc / 8 * 8;
    for (int h = 0; h < kNv; ++h) {
        const int valid = std::clamp(rows - h * 8, 0, 8);
        const uint8_t* src = w + size_t(h * 8) * wrb;
        float* d = dst + h * 8;
        if (valid == 8) {
            // The common case, branch-free so the eight row loads are in flight together.
            for (int64_t k = 0; k < kc8; k += 8) {
                __m256 v[8];
#pragma GCC unroll 8
                for (int i = 0; i < 8; ++i)
                    v[i] = L::load8(src + size_t(i) * wrb, k);
                transpose8(v);
#pragma GCC unroll 8
                for (int j = 0; j < 8; ++j)
                    _mm256_store_ps(d + (k + j) * kPackNr, v[j]);
            }
        } else {
            for (int64_t k = 0; k < kc8; k += 8) {
                __m256 v[8];
                for (int i = 0; i < 8; ++i)
                    v[i] = i < valid ? L::load8(src + size_t(i) * wrb, k) : _mm256_setzero_ps();
                transpose8(v);
                for (int j = 0; j < 8; ++j)
                    _mm256_store_ps(d + (k + j) * kPackNr, v[j]);
            }
        }
        for (int64_t k = kc8; k < kc; ++k) // ragged k (float dtypes only: quantised k is a multiple of 32)
            for (int i = 0; i < 8; ++i)
                d[k * kPackNr + i] = i < valid ? scalarWeight(wtype, src + size_t(i) * wrb, k) : 0.f;
    }
}

// Block types without a load8 (K-quants, IQ4, MXFP4, Q4_1, ...): dequantise each row's
// k-block with dequantizeRow (kc is a whole number of blocks: k0 and kPackKc are
// multiples of every block size) and scatter it into the panel.
void packPanelGeneric(DType wtype, const uint8_t* w, size_t wrb, int rows, int64_t kc, float* dst)
{
    alignas(32) float row[kPackKc];
    for (int r = 0; r < kPackNr; ++r) {
        if (r < rows && !dequantizeRowSimd(CpuSimd::Avx2, wtype, w + size_t(r) * wrb, row, kc))
            dequantizeRow(wtype, w + size_t(r) * wrb, row, size_t(kc));
        for (int64_t k = 0; k < kc; ++k)
            dst[k * kPackNr + r] = r < rows ? row[k] : 0.f;
    }
}

void packWeights(DType wtype, const uint8_t* w, size_t wrb, int rows, int64_t kc, float* dst)
{
    switch (wtype) {
    case DType::Q4_1: return packPanel<PackQ4_1>(wtype, w, wrb, rows, kc, dst);
    case DType::Q5_0: return packPanel<PackQ5_0>(wtype, w, wrb, rows, kc, dst);
    case DType::Q5_1: return packPanel<PackQ5_1>(wtype, w, wrb, rows, kc, dst);
    case DType::IQ4_NL: return packPanel<PackIQ4NL>(wtype, w, wrb, rows, kc, dst);
    case DType::MXFP4: return packPanel<PackMXFP4>(wtype, w, wrb, rows, kc, dst);
    default: break;
    }
    if (isQuantized(wtype) && wtype != DType::Q8_0 && wtype != DType::Q4_0)
        return packPanelGeneric(wtype, w, wrb, rows, kc, dst);
    switch (wtype) {
    case DType::F16: return packPanel<PackF16>(wtype, w, wrb, rows, kc, dst);
    case DType::BF16: return packPanel<PackBF16>(wtype, w, wrb, rows, kc, dst);
    case DType::Q8_0: return packPanel<PackQ8>(wtype, w, wrb, rows, kc, dst);
    case DType::Q4_0: return packPanel<PackQ4>(wtype, w, wrb, rows, kc, dst);
    default: return packPanel<PackF32>(wtype, w, wrb, rows, kc, dst);
    }
}

// c[MR x kPackNr] = (init ? init : c) + a[MR x kc] * b[kc x kPackNr]; a rows lda apart,
// b one packed panel. 12 accumulators + kNv weight vectors + 1 broadcast = 16 ymm.
template <int MR>
void microKernel(const float* a, int64_t lda, const float* b, int64_t kc, float* c, int64_t ldc, const float* init)
{
    __m256 acc[MR][kNv];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < kNv; ++v)
            acc[i][v] = _mm256_loadu_ps((init ? init : c + i * ldc) + v * 8);
    for (int64_t k = 0; k < kc; ++k) {
        __m256 bv[kNv];
#pragma GCC unroll 4
        for (int v = 0; v < kNv; ++v)
            bv[v] = _mm256_load_ps(b + k * kPackNr + v * 8);
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
            const __m256 av = _mm256_broadcast_ss(a + i * lda + k);
#pragma GCC unroll 4
            for (int v = 0; v < kNv; ++v)
                acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < kNv; ++v)
            _mm256_storeu_ps(c + i * ldc + v * 8, acc[i][v]);
}

// mr < MR tokens (the last group) take the kernel instantiated for exactly mr rows.
template <int MR = kPackMr>
void microDispatch(int mr, const float* a, int64_t lda, const float* b, int64_t kc, float* c, int64_t ldc,
                   const float* init)
{
    if constexpr (MR > 1)
        if (mr < MR)
            return microDispatch<MR - 1>(mr, a, lda, b, kc, c, ldc, init);
    microKernel<MR>(a, lda, b, kc, c, ldc, init);
}

// Source bytes of columns [k, k + n) of a row (n and k multiples of 32 for quantised).
size_t columnBytes(DType t, int64_t n)
{
    const DTypeInfo& info = dtypeInfo(t);
    return size_t(n) / size_t(info.blockElements) * size_t(info.blockBytes);
}

// Requests rows x [off, off + len) bytes of w into L2 a few lines at a time, spread
// over the microkernel calls of the current panel: a burst of a few hundred prefetches
// would overflow the miss queue and stall, while the calls leave plenty of time.
class PanelPrefetcher {
public:
    void start(const uint8_t* w, size_t wrb, int64_t rows, size_t off, size_t len, int64_t calls)
    {
        m_w = w + off;
        m_wrb = wrb;
        m_linesPerRow = int64_t((len + 63) / 64);
        m_total = rows * m_linesPerRow;
        m_next = 0;
        m_perCall = (m_total + std::max<int64_t>(calls, 1) - 1) / std::max<int64_t>(calls, 1);
    }
    void step() { issue(m_perCall); }
    void finish() { issue(m_total); }

private:
    void issue(int64_t count)
    {
        for (const int64_t end = std::min(m_total, m_next + count); m_next < end; ++m_next)
            _mm_prefetch(reinterpret_cast<const char*>(m_w + size_t(m_next / m_linesPerRow) * m_wrb +
                                                       size_t(m_next % m_linesPerRow) * 64),
                         _MM_HINT_T1);
    }
    const uint8_t* m_w = nullptr;
    size_t m_wrb = 0;
    int64_t m_linesPerRow = 0, m_total = 0, m_next = 0, m_perCall = 0;
};

void packedGemmAvx2(DType wtype, const uint8_t* w, size_t wrb, int64_t rows, const float* x, int64_t ldx,
                    int64_t tokens, int64_t k, const float* bias, float* y, int64_t ldy, float* scratch)
{
    const int64_t panels = (rows + kPackNr - 1) / kPackNr;
    // 64-byte aligned: panel loads never split a cache line.
    auto* packed = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~uintptr_t(63));
    float* biasPad = packed + kPackKc * kPackNr;
    float* edge = biasPad + panels * kPackNr; // kPackMr x kPackNr, for the last partial panel
    for (int64_t r = 0; r < panels * kPackNr; ++r)
        biasPad[r] = bias && r < rows ? bias[r] : 0.f;

    // Pack one panel (kPackNr rows x one k-block), multiply every token by it while it is
    // in L1, move on. Each row contributes a short segment per panel (0.5 KiB of F16):
    // too short for the hardware prefetcher, so the next panel's segments are requested
    // while this panel's tokens are multiplied, which hides their memory latency.
    const size_t blockBytes = columnBytes(wtype, kPackKc);
    const int64_t calls = (tokens + kPackMr - 1) / kPackMr;
    PanelPrefetcher prefetch;
    for (int64_t k0 = 0; k0 < k; k0 += kPackKc) {
        const int64_t kc = std::min<int64_t>(kPackKc, k - k0);
        const size_t off = columnBytes(wtype, k0);
        if (k0 == 0) {
            prefetch.start(w, wrb, std::min<int64_t>(rows, kPackNr), 0, blockBytes, 1);
            prefetch.finish();
        }
        for (int64_t p = 0; p < panels; ++p) {
            const int64_t r0 = p * kPackNr;
            const int64_t cols = std::min<int64_t>(kPackNr, rows - r0);
            if (p + 1 < panels)
                prefetch.start(w + size_t(r0 + kPackNr) * wrb, wrb, std::min<int64_t>(kPackNr, rows - r0 - kPackNr),
                               off, blockBytes, calls);
            else if (k0 + kc < k)
                prefetch.start(w, wrb, std::min<int64_t>(rows, kPackNr), off + blockBytes, blockBytes, calls);
            else
                prefetch.start(w, wrb, 0, 0, 0, 1);
            packWeights(wtype, w + size_t(r0) * wrb + off, wrb, int(cols), kc, packed);
            const float* init = k0 == 0 ? biasPad + r0 : nullptr;
            for (int64_t t = 0; t < tokens; t += kPackMr) {
                prefetch.step();
                const int mr = int(std::min<int64_t>(kPackMr, tokens - t));
                const float* a = x + t * ldx + k0;
                float* c = y + t * ldy + r0;
                if (cols == kPackNr) {
                    microDispatch(mr, a, ldx, packed, kc, c, ldy, init);
                    continue;
                }
                // Partial panel: run the full width on a copy (padding columns are 0).
                if (!init)
                    for (int i = 0; i < mr; ++i)
                        std::memcpy(edge + i * kPackNr, c + i * ldy, size_t(cols) * 4);
                microDispatch(mr, a, ldx, packed, kc, edge, kPackNr, init);
                for (int i = 0; i < mr; ++i)
                    std::memcpy(c + i * ldy, edge + i * kPackNr, size_t(cols) * 4);
            }
        }
    }
}

} // namespace
MOE_AVX2_END
#endif

size_t packedGemmScratchFloats(int64_t rows)
{
    const size_t panels = size_t((std::max<int64_t>(rows, 1) + kPackNr - 1) / kPackNr);
    return size_t(kPackKc * kPackNr) + panels * kPackNr + size_t(kPackMr * kPackNr) + 16;
}

bool packedGemmAvailable(CpuSimd simd) { return MOE_HAVE_AVX2_PATH && simd == CpuSimd::Avx2; }

void packedGemm(CpuSimd simd, DType wtype, const void* w, size_t wRowBytes, int64_t rows, const float* x, int64_t ldx,
                int64_t tokens, int64_t k, const float* bias, float* y, int64_t ldy, float* scratch)
{
#if MOE_HAVE_AVX2_PATH
    if (packedGemmAvailable(simd))
        packedGemmAvx2(wtype, static_cast<const uint8_t*>(w), wRowBytes, rows, x, ldx, tokens, k, bias, y, ldy,
                       scratch);
#else
    (void)simd, (void)wtype, (void)w, (void)wRowBytes, (void)rows, (void)x, (void)ldx, (void)tokens, (void)k,
        (void)bias, (void)y, (void)ldy, (void)scratch;
#endif
}

} // namespace moe::kern
