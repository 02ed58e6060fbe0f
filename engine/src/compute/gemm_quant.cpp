// Weight tiles of the 32-element block types (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL,
// MXFP4): integer dot products against activations quantised to 8 bits per 32-block, as
// GGML does (the weight stays in its file layout). Per block and token:
//   d_w * d_x * (q_w . q_x)  [+ m_w * d_x * sum(q_x) for Q4_1 / Q5_1, w = d q + m]
// IQ4_NL and MXFP4 are 4-bit indices into a table of small integers (kIq4nlValues,
// kMxfp4Values), looked up in-register with pshufb; Q5_0 / Q5_1 take their fifth bit
// from a 32-bit mask (bit e of qh for element e).
#include "compute/gemm_kernels.h"
#include "compute/simd_avx2.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace moe::kern {

namespace {

// ---- scalar path ----

// The nibble of element j (0..31) in 16 bytes: low nibbles hold 0..15, high 16..31.
inline int nibbleAt(const uint8_t* q, int j) { return j < 16 ? (q[j & 15] & 0x0f) : (q[j & 15] >> 4); }

inline int fifthBit(const uint8_t* qh, int j) { return ((qh[j / 8] >> (j % 8)) & 1) << 4; }

inline int weightAt(DType t, const uint8_t* block, int j)
{
    switch (t) {
    case DType::Q8_0: return reinterpret_cast<const BlockQ8_0*>(block)->q[j];
    case DType::IQ4_NL: return kIq4nlValues[nibbleAt(reinterpret_cast<const BlockIQ4_NL*>(block)->qs, j)];
    case DType::MXFP4: return kMxfp4Values[nibbleAt(reinterpret_cast<const BlockMXFP4*>(block)->qs, j)];
    case DType::Q4_1: return nibbleAt(reinterpret_cast<const BlockQ4_1*>(block)->qs, j);
    case DType::Q5_0: {
        const auto* b = reinterpret_cast<const BlockQ5_0*>(block);
        return (nibbleAt(b->qs, j) | fifthBit(b->qh, j)) - 16;
    }
    case DType::Q5_1: {
        const auto* b = reinterpret_cast<const BlockQ5_1*>(block);
        return nibbleAt(b->qs, j) | fifthBit(b->qh, j);
    }
    default: return nibbleAt(reinterpret_cast<const BlockQ4_0*>(block)->q, j) - 8;
    }
}

// The f16 minimum m of w = d q + m (Q4_1 / Q5_1, right after d); 0 for the others.
inline float blockMin(DType t, const uint8_t* block)
{
    if (t != DType::Q4_1 && t != DType::Q5_1)
        return 0.f;
    uint16_t bits;
    std::memcpy(&bits, block + 2, 2);
    return f16ToF32(bits);
}

// The block's scale: an f16 first in every type but MXFP4, whose E8M0 byte is halved to
// match its doubled value table.
inline float blockScale(DType t, const uint8_t* block)
{
    if (t == DType::MXFP4)
        return e8m0ToF32Half(block[0]);
    uint16_t bits;
    std::memcpy(&bits, block, 2);
    return f16ToF32(bits);
}

void quantTileScalar(DType wtype, const uint8_t* w, size_t wrb, const ActQ8Block* x, int64_t ldxb, int64_t nb,
                     int rm, int rn, const float* bias, float* y, int64_t ldy)
{
    const size_t blockBytes = size_t(dtypeInfo(wtype).blockBytes);
    for (int r = 0; r < rm; ++r)
        for (int t = 0; t < rn; ++t) {
            float acc = 0.f;
            for (int64_t b = 0; b < nb; ++b) {
                const uint8_t* wb = w + size_t(r) * wrb + size_t(b) * blockBytes;
                const ActQ8Block& xb = x[t * ldxb + b];
                int32_t isum = 0, xsum = 0;
                for (int j = 0; j < 32; ++j) {
                    isum += weightAt(wtype, wb, j) * int32_t(xb.q[j]);
                    xsum += xb.q[j];
                }
                acc += blockScale(wtype, wb) * xb.d * float(isum) + blockMin(wtype, wb) * xb.d * float(xsum);
            }
            y[t * ldy + r] = acc + (bias ? bias[r] : 0.f);
        }
}

void quantizeActRowScalar(const float* x, int64_t k, ActQ8Block* dst)
{
    for (int64_t b = 0; b < k / 32; ++b) {
        const float* xb = x + b * 32;
        float amax = 0.f;
        for (int j = 0; j < 32; ++j)
            amax = std::max(amax, std::fabs(xb[j]));
        const float id = amax != 0.f ? 127.f / amax : 0.f;
        dst[b].d = amax / 127.f;
        for (int j = 0; j < 32; ++j)
            dst[b].q[j] = int8_t(std::nearbyint(xb[j] * id)); // ties to even, as _mm256_round_ps
    }
}

} // namespace

#if MOE_HAVE_AVX2_PATH
MOE_AVX2_BEGIN
namespace {

// The 32 nibbles of 16 bytes as bytes 0..31 in element order: low nibbles are elements
// 0..15, high nibbles 16..31 (GGML order).
inline __m256i nibbles(const uint8_t* q)
{
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
}

// A 16-entry int8 table in both 128-bit lanes, for _mm256_shuffle_epi8 lookups.
inline __m256i lookupTable(const int8_t* values)
{
    const __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(values));
    return _mm256_set_m128i(t, t);
}

// 0x10 in byte e where bit e of the 32-bit mask at qh is set: each byte picks its
// mask byte (shuffle), ORs in every bit but its own, and compares with all ones.
inline __m256i fifthBits(const uint8_t* qh)
{
    uint32_t bits;
    std::memcpy(&bits, qh, 4);
    const __m256i byteOfMask = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202,
                                                  0x0303030303030303);
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(int(bits)), byteOfMask);
    const __m256i allButOwn = _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe);
    const __m256i set = _mm256_cmpeq_epi8(_mm256_or_si256(spread, allButOwn), _mm256_set1_epi64x(-1));
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

// kUnsigned: load() gives q >= 0 and the weight is d (q - kOffset) [+ m]; maddubs takes
// q as is and kOffset * sum(x) comes off per token block. Otherwise load() gives the
// signed value and the dot moves its sign onto x.
struct LoadQ8 {
    using Block = BlockQ8_0;
    static constexpr bool kMin = false, kUnsigned = false;
    static constexpr int kOffset = 0;
    static __m256i load(const Block* b) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b->q)); }
    static float scale(const Block* b) { return _cvtsh_ss(b->d); }
};
struct LoadQ4 {
    using Block = BlockQ4_0;
    static constexpr bool kMin = false, kUnsigned = true;
    static constexpr int kOffset = 8;
    static __m256i load(const Block* b) { return nibbles(b->q); }
    static float scale(const Block* b) { return _cvtsh_ss(b->d); }
};
struct LoadIQ4NL {
    using Block = BlockIQ4_NL;
    static constexpr bool kMin = false, kUnsigned = false;
    static constexpr int kOffset = 0;
    static __m256i load(const Block* b) { return _mm256_shuffle_epi8(lookupTable(kIq4nlValues), nibbles(b->qs)); }
    static float scale(const Block* b) { return _cvtsh_ss(b->d); }
};
struct LoadMXFP4 {
    using Block = BlockMXFP4;
    static constexpr bool kMin = false, kUnsigned = false;
    static constexpr int kOffset = 0;
    static __m256i load(const Block* b) { return _mm256_shuffle_epi8(lookupTable(kMxfp4Values), nibbles(b->qs)); }
    static float scale(const Block* b) { return e8m0ToF32Half(b->e); }
};
struct LoadQ5_0 {
    using Block = BlockQ5_0;
    static constexpr bool kMin = false, kUnsigned = true;
    static constexpr int kOffset = 16;
    static __m256i load(const Block* b) { return _mm256_or_si256(nibbles(b->qs), fifthBits(b->qh)); }
    static float scale(const Block* b) { return _cvtsh_ss(b->d); }
};
struct LoadQ4_1 {
    using Block = BlockQ4_1;
    static constexpr bool kMin = true, kUnsigned = true;
    static constexpr int kOffset = 0;
    static __m256i load(const Block* b) { return nibbles(b->qs); }
    static float scale(const Block* b) { return _cvtsh_ss(b->d); }
    static float min(const Block* b) { return _cvtsh_ss(b->m); }
};
struct LoadQ5_1 {
    using Block = BlockQ5_1;
    static constexpr bool kMin = true, kUnsigned = true;
    static constexpr int kOffset = 0;
    static __m256i load(const Block* b) { return _mm256_or_si256(nibbles(b->qs), fifthBits(b->qh)); }
    static float scale(const Block* b) { return _cvtsh_ss(b->d); }
    static float min(const Block* b) { return _cvtsh_ss(b->m); }
};

// sum(q_x) of a 32-block as 8 f32 lane sums (exact: |sum| <= 4064).
inline __m256 sum32(__m256i x)
{
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), x), _mm256_set1_epi16(1)));
}

inline float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Signed x signed int8 dot of 32 pairs as 8 f32 lane sums. maddubs wants unsigned x
// signed, so move w's sign onto x (llama.cpp's trick); |w| <= 128 and |x| <= 127 keep
// the 16-bit pair sums below saturation.
inline __m256 dot32(__m256i w, __m256i x)
{
    const __m256i absW = _mm256_sign_epi8(w, w);
    const __m256i signedX = _mm256_sign_epi8(x, w);
    const __m256i pairs = _mm256_maddubs_epi16(absW, signedX);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

// Unsigned q (<= 31) x signed x as 8 i32 lane sums, minus `offset` (kOffset * x's lane
// sums, the same lanes): exactly (q - kOffset) . x. |pair| <= 2 * 31 * 127.
inline __m256 dot32Unsigned(__m256i q, __m256i x, __m256i offset)
{
    const __m256i sums = _mm256_madd_epi16(_mm256_maddubs_epi16(q, x), _mm256_set1_epi16(1));
    return _mm256_cvtepi32_ps(_mm256_sub_epi32(sums, offset));
}

template <class WL, int RM, int RN>
void quantTileAvx2(const uint8_t* w, size_t wrb, const ActQ8Block* x, int64_t ldxb, int64_t nb, const float* bias,
                   float* y, int64_t ldy)
{
    using Block = typename WL::Block;
    __m256 acc[RM][RN];
#pragma GCC unroll 4
    for (int r = 0; r < RM; ++r)
#pragma GCC unroll 2
        for (int t = 0; t < RN; ++t)
            acc[r][t] = _mm256_setzero_ps();
    // Prefetch the next RM rows as we go (see gemm_float.cpp: short row streams).
    const uint8_t* next = w + RM * wrb;
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* pf = next + size_t(b) * RM * sizeof(Block);
        for (size_t off = 0; off < RM * sizeof(Block); off += 64)
            _mm_prefetch(reinterpret_cast<const char*>(pf + off), _MM_HINT_T0);
        __m256i wq[RM];
        float dw[RM], mw[RM];
#pragma GCC unroll 4
        for (int r = 0; r < RM; ++r) {
            const Block* blk = reinterpret_cast<const Block*>(w + size_t(r) * wrb) + b;
            wq[r] = WL::load(blk);
            dw[r] = WL::scale(blk);
            if constexpr (WL::kMin)
                mw[r] = WL::min(blk);
        }
#pragma GCC unroll 2
        for (int t = 0; t < RN; ++t) {
            const ActQ8Block& xb = x[t * ldxb + b];
            const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.q));
            if constexpr (WL::kUnsigned) {
                // kOffset * x in the lanes madd(maddubs(q, x)) sums to (|pair| <= 2 * 16 * 127).
                const __m256i offset =
                    WL::kOffset == 0
                        ? _mm256_setzero_si256()
                        : _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(char(WL::kOffset)), xv),
                                            _mm256_set1_epi16(1));
#pragma GCC unroll 4
                for (int r = 0; r < RM; ++r)
                    acc[r][t] =
                        _mm256_fmadd_ps(dot32Unsigned(wq[r], xv, offset), _mm256_set1_ps(dw[r] * xb.d), acc[r][t]);
            } else {
#pragma GCC unroll 4
                for (int r = 0; r < RM; ++r)
                    acc[r][t] = _mm256_fmadd_ps(dot32(wq[r], xv), _mm256_set1_ps(dw[r] * xb.d), acc[r][t]);
            }
            if constexpr (WL::kMin) {
                const __m256 xs = sum32(xv);
#pragma GCC unroll 4
                for (int r = 0; r < RM; ++r)
                    acc[r][t] = _mm256_fmadd_ps(xs, _mm256_set1_ps(mw[r] * xb.d), acc[r][t]);
            }
        }
    }
    for (int r = 0; r < RM; ++r)
        for (int t = 0; t < RN; ++t)
            y[t * ldy + r] = hsum(acc[r][t]) + (bias ? bias[r] : 0.f);
}

template <class WL>
void quantTileAvx2Dispatch(const uint8_t* w, size_t wrb, const ActQ8Block* x, int64_t ldxb, int64_t nb, int rm,
                           int rn, const float* bias, float* y, int64_t ldy)
{
#define MOE_TILE(RM, RN)                                                                                     \
    case RM * 8 + RN:                                                                                          \
        return quantTileAvx2<WL, RM, RN>(w, wrb, x, ldxb, nb, bias, y, ldy);
    switch (rm * 8 + rn) {
        MOE_TILE(1, 1) MOE_TILE(1, 2)
        MOE_TILE(2, 1) MOE_TILE(2, 2)
        MOE_TILE(3, 1) MOE_TILE(3, 2)
        MOE_TILE(4, 1) MOE_TILE(4, 2)
    default:
        return;
    }
#undef MOE_TILE
}

void quantizeActRowAvx2(const float* x, int64_t k, ActQ8Block* dst)
{
    const __m256 signBit = _mm256_set1_ps(-0.f);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int64_t b = 0; b < k / 32; ++b) {
        const float* xb = x + b * 32;
        __m256 v[4];
        __m256 amax = _mm256_setzero_ps();
        for (int i = 0; i < 4; ++i) {
            v[i] = _mm256_loadu_ps(xb + 8 * i);
            amax = _mm256_max_ps(amax, _mm256_andnot_ps(signBit, v[i]));
        }
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        const float maxAbs = _mm_cvtss_f32(m);
        dst[b].d = maxAbs / 127.f;
        const __m256 id = _mm256_set1_ps(maxAbs != 0.f ? 127.f / maxAbs : 0.f);
        __m256i q[4];
        for (int i = 0; i < 4; ++i)
            q[i] = _mm256_cvtps_epi32(
                _mm256_round_ps(_mm256_mul_ps(v[i], id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        // packs work per 128-bit lane; the permute restores element order.
        const __m256i q01 = _mm256_packs_epi32(q[0], q[1]);
        const __m256i q23 = _mm256_packs_epi32(q[2], q[3]);
        const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q01, q23), order);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst[b].q), bytes);
    }
}

} // namespace
MOE_AVX2_END
#endif

void quantTile(CpuSimd simd, DType wtype, const void* w, size_t wRowBytes, const ActQ8Block* x, int64_t ldxBlocks,
               int64_t nb, int rm, int rn, const float* bias, float* y, int64_t ldy)
{
    const auto* wb = static_cast<const uint8_t*>(w);
#if MOE_HAVE_AVX2_PATH
    if (simd == CpuSimd::Avx2) {
        switch (wtype) {
        case DType::Q8_0: return quantTileAvx2Dispatch<LoadQ8>(wb, wRowBytes, x, ldxBlocks, nb, rm, rn, bias, y, ldy);
        case DType::IQ4_NL:
            return quantTileAvx2Dispatch<LoadIQ4NL>(wb, wRowBytes, x, ldxBlocks, nb, rm, rn, bias, y, ldy);
        case DType::MXFP4:
            return quantTileAvx2Dispatch<LoadMXFP4>(wb, wRowBytes, x, ldxBlocks, nb, rm, rn, bias, y, ldy);
        case DType::Q4_1: return quantTileAvx2Dispatch<LoadQ4_1>(wb, wRowBytes, x, ldxBlocks, nb, rm, rn, bias, y, ldy);
        case DType::Q5_0: return quantTileAvx2Dispatch<LoadQ5_0>(wb, wRowBytes, x, ldxBlocks, nb, rm, rn, bias, y, ldy);
        case DType::Q5_1: return quantTileAvx2Dispatch<LoadQ5_1>(wb, wRowBytes, x, ldxBlocks, nb, rm, rn, bias, y, ldy);
        default: return quantTileAvx2Dispatch<LoadQ4>(wb, wRowBytes, x, ldxBlocks, nb, rm, rn, bias, y, ldy);
        }
    }
#endif
    (void)simd;
    quantTileScalar(wtype, wb, wRowBytes, x, ldxBlocks, nb, rm, rn, bias, y, ldy);
}

void quantizeActRow(CpuSimd simd, const float* x, int64_t k, ActQ8Block* dst)
{
#if MOE_HAVE_AVX2_PATH
    if (simd == CpuSimd::Avx2)
        return quantizeActRowAvx2(x, k, dst);
#endif
    (void)simd;
    quantizeActRowScalar(x, k, dst);
}

} // namespace moe::kern
