// Causal grouped-query attention over the F32 KV cache. One work item is one
// (query, head) pair: it scores every visible cache row, takes a max-shifted softmax
// and accumulates the weighted V rows. Decode has heads-many items, prefill n * heads.
#include "compute/cpu_ops.h"
#include "compute/simd_avx2.h"

#include <algorithm>
#include <cmath>

namespace moe::cpu {

namespace {

float dotScalar(const float* a, const float* b, int64_t d)
{
    float s = 0.f;
    for (int64_t i = 0; i < d; ++i)
        s += a[i] * b[i];
    return s;
}

void axpyScalar(float* y, float a, const float* x, int64_t d)
{
    for (int64_t i = 0; i < d; ++i)
        y[i] += a * x[i];
}

// The AVX2 path's work item: one query and up to kMaxGroup heads of one KV head, keys in
// blocks of kKeyBlock (scores of one block per head: kMaxGroup * kKeyBlock floats).
constexpr int64_t kKeyBlock = 64;
constexpr int64_t kMaxGroup = 8;
static_assert(kKeyBlock * kMaxGroup <= 1024, "cpu_backend sizes the per-thread scores for this");

} // namespace

#if MOE_HAVE_AVX2_PATH
MOE_AVX2_BEGIN
namespace {
float dotAvx2(const float* a, const float* b, int64_t d)
{
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= d; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= d; i += 8)
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    const __m256 acc = _mm256_add_ps(acc0, acc1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float r = _mm_cvtss_f32(s);
    for (; i < d; ++i)
        r += a[i] * b[i];
    return r;
}

// s[j] = scale * (q . k_j) for `count` keys at k (row stride `stride`), d % 8 == 0:
// eight keys per pass share the loads of q and one reduction of their eight sums.
void scoresAvx2(const float* q, const float* k, int64_t stride, int64_t count, int64_t d, float scale, float* s)
{
    int64_t j = 0;
    for (; j + 8 <= count; j += 8) {
        __m256 acc[8];
        for (int r = 0; r < 8; ++r)
            acc[r] = _mm256_setzero_ps();
        for (int64_t c = 0; c < d; c += 8) {
            const __m256 qv = _mm256_loadu_ps(q + c);
            for (int r = 0; r < 8; ++r)
                acc[r] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + (j + r) * stride + c), acc[r]);
        }
        // Lane r of the result: the sum of acc[r]'s eight lanes.
        const __m256 s01 = _mm256_hadd_ps(acc[0], acc[1]), s23 = _mm256_hadd_ps(acc[2], acc[3]);
        const __m256 s45 = _mm256_hadd_ps(acc[4], acc[5]), s67 = _mm256_hadd_ps(acc[6], acc[7]);
        const __m256 s0123 = _mm256_hadd_ps(s01, s23), s4567 = _mm256_hadd_ps(s45, s67);
        // s0123: [r0 r1 r2 r3 | r0 r1 r2 r3] halves of 128 bits hold the low / high lane sums.
        const __m256 lo = _mm256_permute2f128_ps(s0123, s4567, 0x20), hi = _mm256_permute2f128_ps(s0123, s4567, 0x31);
        _mm256_storeu_ps(s + j, _mm256_mul_ps(_mm256_add_ps(lo, hi), _mm256_set1_ps(scale)));
    }
    for (; j < count; ++j) {
        __m256 acc = _mm256_setzero_ps();
        for (int64_t c = 0; c < d; c += 8)
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + c), _mm256_loadu_ps(k + j * stride + c), acc);
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        h = _mm_add_ss(h, _mm_movehdup_ps(h));
        s[j] = _mm_cvtss_f32(h) * scale;
    }
}

// o += sum_j w[j] * v_j over `count` rows at v (stride `stride`), d % 8 == 0: blocks of
// keys, o kept in registers 64 floats at a time while a block's rows stream past.
void weightedSumAvx2(const float* w, const float* v, int64_t stride, int64_t count, int64_t d, float* o)
{
    constexpr int64_t kRows = 64, kCols = 64;
    for (int64_t j0 = 0; j0 < count; j0 += kRows) {
        const int64_t j1 = std::min(count, j0 + kRows);
        for (int64_t c0 = 0; c0 < d; c0 += kCols) {
            const int64_t width = std::min(kCols, d - c0) / 8;
            __m256 acc[kCols / 8];
            for (int64_t x = 0; x < width; ++x)
                acc[x] = _mm256_loadu_ps(o + c0 + 8 * x);
            for (int64_t j = j0; j < j1; ++j) {
                const __m256 wj = _mm256_set1_ps(w[j]);
                const float* vr = v + j * stride + c0;
                for (int64_t x = 0; x < width; ++x)
                    acc[x] = _mm256_fmadd_ps(wj, _mm256_loadu_ps(vr + 8 * x), acc[x]);
            }
            for (int64_t x = 0; x < width; ++x)
                _mm256_storeu_ps(o + c0 + 8 * x, acc[x]);
        }
    }
}

// The g (<= kMaxGroup) query heads at q (consecutive, d apart) that share one KV head, over
// keys [0, visible): each block of kKeyBlock K / V rows is read from memory once for
// all g heads (then from L1 / L2), with the flash-attention recurrence across blocks
// (a head's running max rescales its sum and output). Outputs at o, d apart.
void attendGroupAvx2(const float* q, int64_t g, const float* k, const float* v, int64_t stride, int64_t visible,
                     int64_t d, float scale, float* s, float* o)
{
    float maxScore[kMaxGroup];
    double sum[kMaxGroup];
    for (int64_t h = 0; h < g; ++h) {
        maxScore[h] = -INFINITY;
        sum[h] = 0.0;
        std::fill(o + h * d, o + h * d + d, 0.f);
    }
    for (int64_t j0 = 0; j0 < visible; j0 += kKeyBlock) {
        const int64_t count = std::min(kKeyBlock, visible - j0);
        for (int64_t h = 0; h < g; ++h) {
            float* sh = s + h * kKeyBlock;
            scoresAvx2(q + h * d, k + j0 * stride, stride, count, d, scale, sh);
            const float newMax = std::max(maxScore[h], *std::max_element(sh, sh + count));
            const float correction = std::exp(maxScore[h] - newMax); // 0 on the first block
            double blockSum = 0.0;
            for (int64_t j = 0; j < count; ++j) {
                sh[j] = std::exp(sh[j] - newMax);
                blockSum += sh[j];
            }
            sum[h] = sum[h] * correction + blockSum;
            maxScore[h] = newMax;
            if (correction != 1.f)
                for (int64_t c = 0; c < d; ++c)
                    o[h * d + c] *= correction;
            weightedSumAvx2(sh, v + j0 * stride, stride, count, d, o + h * d);
        }
    }
    for (int64_t h = 0; h < g; ++h) {
        const float inv = float(1.0 / sum[h]);
        for (int64_t c = 0; c < d; ++c)
            o[h * d + c] *= inv;
    }
}

void axpyAvx2(float* y, float a, const float* x, int64_t d)
{
    const __m256 av = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= d; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < d; ++i)
        y[i] += a * x[i];
}
} // namespace
MOE_AVX2_END
#endif

void attention(ThreadPool& pool, CpuSimd simd, const AttentionParams& p, float* scores, int64_t scoresPerThread)
{
    const int64_t n = p.q->rows();
    const int64_t heads = p.numHeads, d = p.headDim;
    const int64_t group = heads / p.numKvHeads; // query heads sharing one KV head
    const int64_t kvStride = p.numKvHeads * d;
    const auto* q = static_cast<const float*>(p.q->data);
    const auto* k = static_cast<const float*>(p.kCache->data);
    const auto* v = static_cast<const float*>(p.vCache->data);
    auto* out = static_cast<float*>(p.out->data);
    auto dot = dotScalar;
    auto axpy = axpyScalar;
#if MOE_HAVE_AVX2_PATH
    if (simd == CpuSimd::Avx2) {
        dot = dotAvx2;
        axpy = axpyAvx2;
    }
#endif
#if MOE_HAVE_AVX2_PATH
    if (simd == CpuSimd::Avx2 && d % 8 == 0) {
        const int64_t subGroups = (group + kMaxGroup - 1) / kMaxGroup;
        pool.parallelFor(n * p.numKvHeads * subGroups, [&](int64_t item, int thread) {
            const int64_t i = item / (p.numKvHeads * subGroups);
            const int64_t kvHead = (item / subGroups) % p.numKvHeads;
            const int64_t h0 = kvHead * group + (item % subGroups) * kMaxGroup;
            const int64_t g = std::min(kMaxGroup, (kvHead + 1) * group - h0);
            attendGroupAvx2(q + i * heads * d + h0 * d, g, k + kvHead * d, v + kvHead * d, kvStride,
                            p.startPos + i + 1, d, p.scale, scores + int64_t(thread) * scoresPerThread,
                            out + i * heads * d + h0 * d);
        });
        return;
    }
#endif
    pool.parallelFor(n * heads, [&](int64_t item, int thread) {
        const int64_t i = item / heads, h = item % heads;
        const int64_t visible = p.startPos + i + 1;
        const float* qv = q + i * heads * d + h * d;
        const int64_t kvOffset = (h / group) * d;
        float* s = scores + int64_t(thread) * scoresPerThread;
        float maxScore = -INFINITY;
        for (int64_t j = 0; j < visible; ++j) {
            s[j] = dot(qv, k + j * kvStride + kvOffset, d) * p.scale;
            maxScore = std::max(maxScore, s[j]);
        }
        double sum = 0.0;
        for (int64_t j = 0; j < visible; ++j) {
            s[j] = std::exp(s[j] - maxScore);
            sum += s[j];
        }
        float* o = out + i * heads * d + h * d;
        std::fill(o, o + d, 0.f);
        for (int64_t j = 0; j < visible; ++j)
            axpy(o, s[j], v + j * kvStride + kvOffset, d);
        const float inv = float(1.0 / sum);
        for (int64_t c = 0; c < d; ++c)
            o[c] *= inv;
    });
}

} // namespace moe::cpu
