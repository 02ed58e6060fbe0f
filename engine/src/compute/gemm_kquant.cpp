// Q4_K / Q5_K / Q6_K weight rows: fused integer dot products against activations
// quantised to Q8_K (256 per block, f32 scale, int16 sums of each 16), as ggml's
// ggml_vec_dot_q4_K_q8_K / _q5_K_q8_K / _q6_K_q8_K do. The weight stays in its file
// layout; per super-block the sums are exact in int32 and only the final scaling rounds:
//   Q4_K, Q5_K: d8 * (d * sum_j sc_j * (q . a)_j - dmin * sum_j m_j * bsum32_j)
//               (Q5_K's q has a fifth bit: bit j of qh[l] for element l of sub-block j)
//   Q6_K: d8 * d * sum_j sc_j * ((q . a)_j - 32 * bsum16_j)
//   IQ4_XS: d8 * d * sum_j (ls_j - 32) * (kIq4nlValues[q] . a)_j   (32-element j)
//   Q2_K: d8 * (d * sum_j sc_j * (q . a)_j - dmin * sum_j m_j * bsum16_j)
//   Q3_K: d8 * d * sum_j (sc_j - 32) * (q . a)_j, q = 2 low bits - (hmask bit ? 0 : 4)
// Q2_K / Q3_K hold four 2-bit planes per 32 bytes: element 128 h + 32 p + l is plane p
// (bits 2p) of byte l of qs[32 h ..]; their sub-blocks of 16 are in element order.
// Decode GEMV runs these instead of dequantising weight rows into an F32 tile.
#include "compute/gemm_kernels.h"
#include "compute/simd_avx2.h"
#include "moe/quant_blocks.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

namespace moe::kern {

namespace {

// ---- scalar path ----


// Q4_K and Q5_K share the layout of scales, mins and low nibbles; qh is Q5_K's fifth
// bit (null for Q4_K).
template <class Block>
float dotQ4Q5KScalar(const Block* w, const BlockQ8_K* a, int64_t nb)
{
    float acc = 0.f;
    for (int64_t i = 0; i < nb; ++i) {
        const uint8_t* q = w[i].qs;
        const int8_t* x = a[i].qs;
        int32_t sumScaled = 0, sumMins = 0;
        for (int j = 0; j < 8; ++j) {
            int sc, m;
            scaleMinK4(j, w[i].scales, sc, m);
            const uint8_t* qq = q + 32 * (j / 2);
            const int shift = (j & 1) * 4;
            int32_t isum = 0;
            for (int l = 0; l < 32; ++l) {
                int32_t v = (qq[l] >> shift) & 0xF;
                if constexpr (std::is_same_v<Block, BlockQ5_K>)
                    v |= ((w[i].qh[l] >> j) & 1) << 4;
                isum += v * int32_t(x[32 * j + l]);
            }
            sumScaled += sc * isum;
            sumMins += m * (int32_t(a[i].bsums[2 * j]) + int32_t(a[i].bsums[2 * j + 1]));
        }
        acc += a[i].d * (f16ToF32(w[i].d) * float(sumScaled) - f16ToF32(w[i].dmin) * float(sumMins));
    }
    return acc;
}

float dotQ6KScalar(const BlockQ6_K* w, const BlockQ8_K* a, int64_t nb)
{
    float acc = 0.f;
    for (int64_t i = 0; i < nb; ++i) {
        int32_t sub[16] = {};
        for (int h = 0; h < 2; ++h) {
            const uint8_t* ql = w[i].ql + 64 * h;
            const uint8_t* qh = w[i].qh + 32 * h;
            const int8_t* x = a[i].qs + 128 * h;
            int32_t* s = sub + 8 * h;
            for (int l = 0; l < 32; ++l) {
                const int is = l / 16;
                s[is] += ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) * int32_t(x[l]);
                s[is + 2] += ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) * int32_t(x[l + 32]);
                s[is + 4] += ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) * int32_t(x[l + 64]);
                s[is + 6] += ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) * int32_t(x[l + 96]);
            }
        }
        int32_t isum = 0;
        for (int j = 0; j < 16; ++j)
            isum += int32_t(w[i].scales[j]) * (sub[j] - 32 * int32_t(a[i].bsums[j]));
        acc += a[i].d * f16ToF32(w[i].d) * float(isum);
    }
    return acc;
}

inline int iq4xsScale(const BlockIQ4_XS& b, int ib)
{
    return (((b.scalesL[ib / 2] >> 4 * (ib % 2)) & 0xF) | (((b.scalesH >> 2 * ib) & 3) << 4)) - 32;
}

float dotIQ4XSScalar(const BlockIQ4_XS* w, const BlockQ8_K* a, int64_t nb)
{
    float acc = 0.f;
    for (int64_t i = 0; i < nb; ++i) {
        int32_t isum = 0;
        for (int ib = 0; ib < kQK_K / 32; ++ib) {
            const uint8_t* qs = w[i].qs + 16 * ib;
            const int8_t* x = a[i].qs + 32 * ib;
            int32_t sub = 0;
            for (int j = 0; j < 16; ++j)
                sub += kIq4nlValues[qs[j] & 0xF] * int32_t(x[j]) + kIq4nlValues[qs[j] >> 4] * int32_t(x[j + 16]);
            isum += iq4xsScale(w[i], ib) * sub;
        }
        acc += a[i].d * f16ToF32(w[i].d) * float(isum);
    }
    return acc;
}

float dotQ2KScalar(const BlockQ2_K* w, const BlockQ8_K* a, int64_t nb)
{
    float acc = 0.f;
    for (int64_t i = 0; i < nb; ++i) {
        int32_t isum = 0, minSum = 0;
        for (int sb = 0; sb < 16; ++sb) {
            const int h = sb / 8, p = (sb / 2) % 4, first = 16 * (sb % 2);
            const uint8_t* q = w[i].qs + 32 * h;
            const int8_t* x = a[i].qs + 128 * h + 32 * p;
            int32_t sub = 0;
            for (int l = first; l < first + 16; ++l)
                sub += ((q[l] >> (2 * p)) & 3) * int32_t(x[l]);
            isum += (w[i].scales[sb] & 0xF) * sub;
            minSum += (w[i].scales[sb] >> 4) * int32_t(a[i].bsums[sb]);
        }
        acc += a[i].d * (f16ToF32(w[i].d) * float(isum) - f16ToF32(w[i].dmin) * float(minSum));
    }
    return acc;
}

float dotQ3KScalar(const BlockQ3_K* w, const BlockQ8_K* a, int64_t nb)
{
    float acc = 0.f;
    for (int64_t i = 0; i < nb; ++i) {
        int8_t scales[16];
        q3kScales(w[i].scales, scales);
        int32_t isum = 0;
        for (int sb = 0; sb < 16; ++sb) {
            const int h = sb / 8, p = (sb / 2) % 4, first = 16 * (sb % 2);
            const uint8_t* q = w[i].qs + 32 * h;
            const int8_t* x = a[i].qs + 128 * h + 32 * p;
            const uint8_t bit = uint8_t(1u << (4 * h + p));
            int32_t sub = 0;
            for (int l = first; l < first + 16; ++l)
                sub += (((q[l] >> (2 * p)) & 3) - ((w[i].hmask[l] & bit) ? 0 : 4)) * int32_t(x[l]);
            isum += scales[sb] * sub;
        }
        acc += a[i].d * f16ToF32(w[i].d) * float(isum);
    }
    return acc;
}

void fillBsums(BlockQ8_K& b)
{
    for (int j = 0; j < kQK_K / 16; ++j) {
        int sum = 0;
        for (int l = 0; l < 16; ++l)
            sum += b.qs[16 * j + l];
        b.bsums[j] = int16_t(sum);
    }
}

void quantizeRowQ8KScalar(const float* x, int64_t k, BlockQ8_K* dst)
{
    for (int64_t b = 0; b < k / kQK_K; ++b) {
        const float* xb = x + b * kQK_K;
        float amax = 0.f;
        for (int j = 0; j < kQK_K; ++j)
            amax = std::max(amax, std::fabs(xb[j]));
        const float id = amax != 0.f ? 127.f / amax : 0.f;
        dst[b].d = amax / 127.f;
        for (int j = 0; j < kQK_K; ++j)
            dst[b].qs[j] = int8_t(std::nearbyint(xb[j] * id)); // ties to even, as _mm256_round_ps
        fillBsums(dst[b]);
    }
}

} // namespace

#if MOE_HAVE_AVX2_PATH
MOE_AVX2_BEGIN
namespace {

inline float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Scales as 16-bit lanes, picked with in-lane byte shuffles whose masks are constants
// once the loops over sub-blocks are unrolled (a broadcast of a scalar per sub-block
// cost three instructions on the critical path of these compute-bound dots).
// The byte-shuffle mask that copies 16-bit lane lo (0..7) of the low 128 bits into all
// of them and lane hi of the high 128 bits into all of those.
inline __m256i lanePairMask(int lo, int hi)
{
    return _mm256_set_m128i(_mm_set1_epi16(int16_t(0x0100 * (2 * hi + 1) + 2 * hi)),
                            _mm_set1_epi16(int16_t(0x0100 * (2 * lo + 1) + 2 * lo)));
}
// 8 x i16 in both 128-bit halves.
inline __m256i bothHalves(__m128i v) { return _mm256_set_m128i(v, v); }
// 16 scales (int8) as 16-bit lanes: .lo holds scales 0..7 in both halves, .hi 8..15.
struct Scales16 {
    __m256i lo, hi;
};
// From 16 int8 scales in a register.
inline Scales16 scales16(__m128i v)
{
    return {bothHalves(_mm_cvtepi8_epi16(v)), bothHalves(_mm_cvtepi8_epi16(_mm_unpackhi_epi64(v, v)))};
}
// Scale sb (0..15) for the low 16 elements and sb + 1 for the high 16 (sb even).
inline __m256i scalePair(const Scales16& s, int sb)
{
    return _mm256_shuffle_epi8(sb < 8 ? s.lo : s.hi, lanePairMask(sb % 8, sb % 8 + 1));
}

// Q4_K / Q5_K's 12 scale bytes s as 8 scales then 8 mins (get_scale_min_k4), in vector
// registers (the scalar unpacking was a third of this compute-bound dot):
//   j < 4: sc = s[j] & 63,                          m = s[j + 4] & 63
//   j >= 4: sc = (s[j + 4] & 15) | (s[j - 4] >> 6) << 4, m = (s[j + 4] >> 4) | (s[j] >> 6) << 4
// Reads 16 bytes at `scales` (the block goes on past them).
inline __m128i scalesMinsK4(const uint8_t* scales)
{
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(scales));
    // Output byte order: sc0..3, sc4..7, m0..3, m4..7.
    const __m128i low = _mm_shuffle_epi8(v, _mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11));
    const __m128i top = _mm_shuffle_epi8(v, _mm_setr_epi8(-1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1, 4, 5, 6, 7));
    // m4..7 take the high nibble of s[8..11]; the 16-bit shift leaves a byte's own bits
    // in its low nibble once masked.
    const __m128i highNibbles = _mm_srli_epi16(low, 4);
    const __m128i lowPart = _mm_and_si128(
        _mm_blendv_epi8(low, highNibbles, _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1)),
        _mm_setr_epi8(63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15));
    // (b >> 6) << 4 per byte: a 16-bit shift by 2 puts bits 6..7 at 4..5.
    const __m128i highPart = _mm_and_si128(_mm_srli_epi16(top, 2), _mm_set1_epi8(0x30));
    return _mm_or_si128(lowPart, highPart);
}

template <class Block>
float dotQ4Q5KAvx2(const Block* w, const BlockQ8_K* a, int64_t nb)
{
    constexpr bool kFifthBit = std::is_same_v<Block, BlockQ5_K>;
    const __m256i low4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps();
    __m128 accMins = _mm_setzero_ps();
    for (int64_t i = 0; i < nb; ++i) {
        // 16 x i16: lanes 0..7 scales, 8..15 mins.
        const __m256i scalesMins = _mm256_cvtepu8_epi16(scalesMinsK4(w[i].scales));

        // sum_j m_j * bsum32_j as 4 x i32, scaled by d8 * dmin in float lanes.
        const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].bsums));
        const __m128i bsum32 =
            _mm_hadd_epi16(_mm256_castsi256_si128(bsums), _mm256_extracti128_si256(bsums, 1)); // 8 x i16
        const __m128i prodMins = _mm_madd_epi16(_mm256_extracti128_si256(scalesMins, 1), bsum32);
        const float d8 = a[i].d;
        accMins = _mm_fmadd_ps(_mm_set1_ps(d8 * _cvtsh_ss(w[i].dmin)), _mm_cvtepi32_ps(prodMins), accMins);

        const __m128i sc128 = _mm256_castsi256_si128(scalesMins);
        const __m256i scales = bothHalves(sc128);
        __m256i sumi = _mm256_setzero_si256();
        const uint8_t* q = w[i].qs;
        const int8_t* x = a[i].qs;
        __m256i highBits = _mm256_setzero_si256();
        if constexpr (kFifthBit)
            highBits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i].qh));
        // Unrolled, the shuffle masks are constants.
#pragma GCC unroll 4
        for (int p = 0; p < 4; ++p, q += 32, x += 64) {
            const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
            __m256i lo = _mm256_and_si256(bits, low4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low4);
            if constexpr (kFifthBit) {
                // Bit 2p of each qh byte is sub-block 2p's fifth bit, bit 2p + 1 the next
                // one's; a 16-bit shift by < 8 keeps each byte's own bit in its bit 0.
                lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(highBits, 2 * p), one), 4));
                hi = _mm256_or_si256(hi,
                                     _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(highBits, 2 * p + 1), one), 4));
            }
            const __m256i xl = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
            const __m256i xh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32));
            // |pair| <= 2 * 31 * 128: no saturation.
            const __m256i pl =
                _mm256_madd_epi16(_mm256_maddubs_epi16(lo, xl), _mm256_shuffle_epi8(scales, lanePairMask(2 * p, 2 * p)));
            const __m256i ph = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, xh),
                                                 _mm256_shuffle_epi8(scales, lanePairMask(2 * p + 1, 2 * p + 1)));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d8 * _cvtsh_ss(w[i].d)), _mm256_cvtepi32_ps(sumi), acc);
    }
    __m128 m = _mm_add_ps(accMins, _mm_movehl_ps(accMins, accMins));
    m = _mm_add_ss(m, _mm_movehdup_ps(m));
    return hsum8(acc) - _mm_cvtss_f32(m);
}

float dotQ6KAvx2(const BlockQ6_K* w, const BlockQ8_K* a, int64_t nb)
{
    const __m256i low4 = _mm256_set1_epi8(0x0F), two = _mm256_set1_epi8(3);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < nb; ++i) {
        const int8_t* sc = w[i].scales;
        // sum_j sc_j * 32 * bsum_j, exact in int32 (|.| <= 16 * 128 * 32 * 2032).
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc)));
        const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].bsums));
        __m256i sumi = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
        const Scales16 scs{bothHalves(_mm256_castsi256_si128(sc16)), bothHalves(_mm256_extracti128_si256(sc16, 1))};
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
            const uint8_t* ql = w[i].ql + 64 * h;
            const int8_t* x = a[i].qs + 128 * h;
            const __m256i bits1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
            const __m256i bits2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
            const __m256i bitsH = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i].qh + 32 * h));
            const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(bitsH, two), 4);
            const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bitsH, 2), two), 4);
            const __m256i h2 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bitsH, 4), two), 4);
            const __m256i h3 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bitsH, 6), two), 4);
            const __m256i q0 = _mm256_or_si256(_mm256_and_si256(bits1, low4), h0);
            const __m256i q1 = _mm256_or_si256(_mm256_and_si256(bits2, low4), h1);
            const __m256i q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits1, 4), low4), h2);
            const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits2, 4), low4), h3);
            // q in 0..63, |pair| <= 2 * 63 * 128: no saturation.
            auto part = [&](__m256i qv, int c) {
                const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32 * c));
                return _mm256_madd_epi16(_mm256_maddubs_epi16(qv, xv), scalePair(scs, 8 * h + 2 * c));
            };
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(_mm256_add_epi32(part(q0, 0), part(q1, 1)),
                                                           _mm256_add_epi32(part(q2, 2), part(q3, 3))));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * _cvtsh_ss(w[i].d)), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum8(acc);
}

float dotIQ4XSAvx2(const BlockIQ4_XS* w, const BlockQ8_K* a, int64_t nb)
{
    const __m128i table128 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kIq4nlValues));
    const __m256i table = _mm256_set_m128i(table128, table128);
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < nb; ++i) {
        // The 8 scales (iq4xsScale) as 16-bit lanes in both halves: low 4 bits from
        // scalesL's nibbles in order, high 2 from scalesH bits 2 ib.
        uint32_t lowBytes;
        std::memcpy(&lowBytes, w[i].scalesL, 4);
        const __m128i l = _mm_cvtsi32_si128(int(lowBytes));
        const __m128i lowNibbles = _mm_and_si128(_mm_unpacklo_epi8(l, _mm_srli_epi16(l, 4)), _mm_set1_epi8(0x0F));
        const __m256i highBits = _mm256_and_si256(
            _mm256_srlv_epi32(_mm256_set1_epi32(w[i].scalesH), _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14)),
            _mm256_set1_epi32(3));
        const __m128i high16 = _mm_packus_epi32(_mm256_castsi256_si128(highBits), _mm256_extracti128_si256(highBits, 1));
        const __m256i scales = bothHalves(_mm_sub_epi16(
            _mm_or_si128(_mm_cvtepu8_epi16(lowNibbles), _mm_slli_epi16(high16, 4)), _mm_set1_epi16(32)));
        __m256i sumi = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (int ib = 0; ib < kQK_K / 32; ++ib) {
            const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[i].qs + 16 * ib));
            const __m256i idx = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), low4);
            const __m256i wv = _mm256_shuffle_epi8(table, idx);
            const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs + 32 * ib));
            // Signed x signed through maddubs: |x| (Q8_K may hold -128, whose |.| is 128
            // unsigned) times w carrying x's sign (|w| <= 127); pairs <= 2 * 128 * 127.
            const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(xv, xv), _mm256_sign_epi8(wv, xv));
            sumi = _mm256_add_epi32(sumi,
                                    _mm256_madd_epi16(pairs, _mm256_shuffle_epi8(scales, lanePairMask(ib, ib))));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * _cvtsh_ss(w[i].d)), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum8(acc);
}

// The 32 plane-p values (0..3) of the 32 bytes at q.
inline __m256i plane2(__m256i q, int p) { return _mm256_and_si256(_mm256_srli_epi16(q, 2 * p), _mm256_set1_epi8(3)); }

float dotQ2KAvx2(const BlockQ2_K* w, const BlockQ8_K* a, int64_t nb)
{
    __m256 acc = _mm256_setzero_ps(), accMins = _mm256_setzero_ps();
    for (int64_t i = 0; i < nb; ++i) {
        // Low nibbles: scales, high nibbles: mins (both 0..15).
        const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[i].scales));
        const __m128i low4 = _mm_set1_epi8(0x0F);
        const __m128i mins = _mm_and_si128(_mm_srli_epi16(raw, 4), low4);
        const __m256i prodMins = _mm256_madd_epi16(_mm256_cvtepu8_epi16(mins),
                                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].bsums)));
        const Scales16 scs = scales16(_mm_and_si128(raw, low4));
        __m256i sumi = _mm256_setzero_si256();
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
            const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i].qs + 32 * h));
#pragma GCC unroll 4
            for (int p = 0; p < 4; ++p) {
                const int sb = 8 * h + 2 * p;
                const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs + 128 * h + 32 * p));
                // q in 0..3 unsigned: |pair| <= 2 * 3 * 128.
                const __m256i pairs = _mm256_maddubs_epi16(plane2(q, p), xv);
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(pairs, scalePair(scs, sb)));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * _cvtsh_ss(w[i].d)), _mm256_cvtepi32_ps(sumi), acc);
        accMins = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * _cvtsh_ss(w[i].dmin)), _mm256_cvtepi32_ps(prodMins), accMins);
    }
    return hsum8(acc) - hsum8(accMins);
}

// q3kScales (moe/quant_blocks.h) with vector ops: scale j's low 4 bits are nibble (j / 8) of byte j % 8, its
// high 2 bits bits 2 (j / 4) of byte 8 + j % 4.
inline Scales16 q3kScales16(const BlockQ3_K& b)
{
    uint64_t lowBytes;
    uint32_t highBytes;
    std::memcpy(&lowBytes, b.scales, 8);
    std::memcpy(&highBytes, b.scales + 8, 4);
    const __m128i l = _mm_cvtsi64_si128(int64_t(lowBytes));
    const __m128i low = _mm_and_si128(_mm_unpacklo_epi64(l, _mm_srli_epi16(l, 4)), _mm_set1_epi8(0x0F));
    // Byte j of hb is byte 8 + j % 4; 32-bit lane j / 4 takes it shifted right by 2 (j / 4)
    // (a 16-bit shift by < 8 leaves each byte's own low bits in place).
    const __m128i hb = _mm_set1_epi32(int(highBytes));
    __m128i h = _mm_blend_epi16(hb, _mm_srli_epi16(hb, 2), 0x0C);
    h = _mm_blend_epi16(h, _mm_srli_epi16(hb, 4), 0x30);
    h = _mm_blend_epi16(h, _mm_srli_epi16(hb, 6), 0xC0);
    const __m128i high = _mm_and_si128(h, _mm_set1_epi8(3));
    return scales16(_mm_sub_epi8(_mm_or_si128(low, _mm_slli_epi16(high, 4)), _mm_set1_epi8(32)));
}

float dotQ3KAvx2(const BlockQ3_K* w, const BlockQ8_K* a, int64_t nb)
{
    __m256 acc = _mm256_setzero_ps();
    const __m256i four = _mm256_set1_epi8(4);
    for (int64_t i = 0; i < nb; ++i) {
        const Scales16 scs = q3kScales16(w[i]);
        const __m256i hmask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i].hmask));
        __m256i sumi = _mm256_setzero_si256();
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
            const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i].qs + 32 * h));
#pragma GCC unroll 4
            for (int p = 0; p < 4; ++p) {
                const int sb = 8 * h + 2 * p;
                const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs + 128 * h + 32 * p));
                // v = q2 - 4 (1 - hbit): q2 . x - (4 where the bit is clear) . x, both
                // unsigned x signed for maddubs (|pair| <= 2 * 4 * 128).
                const __m256i bit = _mm256_set1_epi8(char(1u << (4 * h + p)));
                const __m256i clear = _mm256_cmpeq_epi8(_mm256_and_si256(hmask, bit), _mm256_setzero_si256());
                const __m256i pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(plane2(q, p), xv),
                                                       _mm256_maddubs_epi16(_mm256_and_si256(clear, four), xv));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(pairs, scalePair(scs, sb)));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * _cvtsh_ss(w[i].d)), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum8(acc);
}

void quantizeRowQ8KAvx2(const float* x, int64_t k, BlockQ8_K* dst)
{
    const __m256 signBit = _mm256_set1_ps(-0.f);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const __m256i ones8 = _mm256_set1_epi8(1);
    const __m256i ones16 = _mm256_set1_epi16(1);
    for (int64_t b = 0; b < k / kQK_K; ++b) {
        const float* xb = x + b * kQK_K;
        __m256 amax = _mm256_setzero_ps();
        for (int i = 0; i < kQK_K / 8; ++i)
            amax = _mm256_max_ps(amax, _mm256_andnot_ps(signBit, _mm256_loadu_ps(xb + 8 * i)));
        __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
        m = _mm_max_ps(m, _mm_movehl_ps(m, m));
        m = _mm_max_ss(m, _mm_movehdup_ps(m));
        const float maxAbs = _mm_cvtss_f32(m);
        dst[b].d = maxAbs / 127.f;
        const __m256 id = _mm256_set1_ps(maxAbs != 0.f ? 127.f / maxAbs : 0.f);
        for (int g = 0; g < kQK_K / 32; ++g) {
            __m256i q[4];
            for (int i = 0; i < 4; ++i)
                q[i] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(xb + 32 * g + 8 * i), id),
                                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
            const __m256i q01 = _mm256_packs_epi32(q[0], q[1]);
            const __m256i q23 = _mm256_packs_epi32(q[2], q[3]);
            const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q01, q23), order);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst[b].qs + 32 * g), bytes);
            // Sums of 16: maddubs by 1 gives pair sums (exact), madd by 1 sums of 4.
            const __m256i s4 = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, bytes), ones16);
            // s4 lanes 0..3: elements 0..15, lanes 4..7: 16..31.
            __m128i lo = _mm256_castsi256_si128(s4), hi = _mm256_extracti128_si256(s4, 1);
            lo = _mm_hadd_epi32(lo, hi);  // [a01, a23, b01, b23]
            lo = _mm_hadd_epi32(lo, lo);  // [a, b, a, b]
            dst[b].bsums[2 * g] = int16_t(_mm_cvtsi128_si32(lo));
            dst[b].bsums[2 * g + 1] = int16_t(_mm_extract_epi32(lo, 1));
        }
    }
}

} // namespace
MOE_AVX2_END
#endif

float kquantDot(CpuSimd simd, DType wtype, const void* w, const BlockQ8_K* x, int64_t nb)
{
#if MOE_HAVE_AVX2_PATH
    if (simd == CpuSimd::Avx2) {
        switch (wtype) {
        case DType::Q4_K: return dotQ4Q5KAvx2(static_cast<const BlockQ4_K*>(w), x, nb);
        case DType::Q5_K: return dotQ4Q5KAvx2(static_cast<const BlockQ5_K*>(w), x, nb);
        case DType::IQ4_XS: return dotIQ4XSAvx2(static_cast<const BlockIQ4_XS*>(w), x, nb);
        case DType::Q2_K: return dotQ2KAvx2(static_cast<const BlockQ2_K*>(w), x, nb);
        case DType::Q3_K: return dotQ3KAvx2(static_cast<const BlockQ3_K*>(w), x, nb);
        default: return dotQ6KAvx2(static_cast<const BlockQ6_K*>(w), x, nb);
        }
    }
#endif
    (void)simd;
    switch (wtype) {
    case DType::Q4_K: return dotQ4Q5KScalar(static_cast<const BlockQ4_K*>(w), x, nb);
    case DType::Q5_K: return dotQ4Q5KScalar(static_cast<const BlockQ5_K*>(w), x, nb);
    case DType::IQ4_XS: return dotIQ4XSScalar(static_cast<const BlockIQ4_XS*>(w), x, nb);
    case DType::Q2_K: return dotQ2KScalar(static_cast<const BlockQ2_K*>(w), x, nb);
    case DType::Q3_K: return dotQ3KScalar(static_cast<const BlockQ3_K*>(w), x, nb);
    default: return dotQ6KScalar(static_cast<const BlockQ6_K*>(w), x, nb);
    }
}

void kquantTile(CpuSimd simd, DType wtype, const void* w, size_t wRowBytes, const BlockQ8_K* x, int64_t ldxBlocks,
                int64_t nb, int rm, int rn, const float* bias, float* y, int64_t ldy)
{
    const auto* wb = static_cast<const uint8_t*>(w);
    for (int r = 0; r < rm; ++r)
        for (int t = 0; t < rn; ++t)
            y[t * ldy + r] = kquantDot(simd, wtype, wb + size_t(r) * wRowBytes, x + t * ldxBlocks, nb) +
                             (bias ? bias[r] : 0.f);
}

void quantizeActRowQ8K(CpuSimd simd, const float* x, int64_t k, BlockQ8_K* dst)
{
#if MOE_HAVE_AVX2_PATH
    if (simd == CpuSimd::Avx2)
        return quantizeRowQ8KAvx2(x, k, dst);
#endif
    (void)simd;
    quantizeRowQ8KScalar(x, k, dst);
}

} // namespace moe::kern
