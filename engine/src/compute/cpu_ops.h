// compute/cpu_ops.h — the CPU backend's non-matmul ops as free functions over raw F32
// rows, so the backend class only validates shapes and hands out scratch.
#pragma once

#include "compute/cpu_features.h"
#include "core/thread_pool.h"
#include "moe/backend.h"

#include <cstdint>

namespace moe::cpu {

// out = x / rms(x) * w per group of `group` columns; w has `group` (per-head) or `cols`
// (whole-row) entries. out may alias x.
void rmsNorm(ThreadPool& pool, const float* x, const float* w, int64_t wCount, float eps, int64_t n, int64_t cols,
             int64_t group, float* out);

// In-place rotary embedding; `scratch` holds rotaryDim floats per thread (cos / sin table
// of the token being processed).
void rope(ThreadPool& pool, float* x, int64_t n, int64_t cols, int64_t startPos, int64_t heads, int64_t headDim,
          int64_t rotaryDim, float theta, RopeLayout layout, float* scratch);

// Causal GQA softmax attention over an F32 cache; `scores` holds max(context, 1024) floats
// per thread.
void attention(ThreadPool& pool, CpuSimd simd, const AttentionParams& p, float* scores, int64_t scoresPerThread);

void add(ThreadPool& pool, float* x, const float* y, int64_t count);
void addScaledRows(ThreadPool& pool, float* x, const float* y, const float* rowScale, int64_t n, int64_t cols);
void swiglu(ThreadPool& pool, const float* gate, const float* up, float* out, int64_t count);
void sigmoid(ThreadPool& pool, float* x, int64_t count);
// Row moves of [*, cols] F32 rows; see Backend::gatherRows / scatterAddRows.
void gatherRows(ThreadPool& pool, const float* src, const int32_t* rows, int64_t count, int64_t cols, float* dst);
void scatterAddRows(ThreadPool& pool, float* dst, const int32_t* rows, int64_t count, int64_t cols, const float* src);
// out[t] = sum of x[t, :]^2 (double sums); x[t, i] *= w[i] / sqrt(sumSq[t] / width + eps).
void rowSumSquares(ThreadPool& pool, const float* x, int64_t n, int64_t cols, float* out);
void scaleByRms(ThreadPool& pool, float* x, int64_t n, int64_t cols, const float* sumSq, int64_t width, float eps,
                const float* w);

// Router top-k for n tokens (see RouterParams). `bias` is F32 [E] or null; `scratch`
// holds 3 * E floats. Writes ids / weights [n, topK], best first.
void routeTopK(const float* logits, int64_t n, int64_t numExperts, const RouterParams& p, const float* bias,
               int32_t* ids, float* weights, float* scratch);

} // namespace moe::cpu
