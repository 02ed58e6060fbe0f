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
    (void)simd;
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
