// Row-wise and elementwise ops: RMSNorm, RoPE, add, SwiGLU, sigmoid, row gather /
// scatter-add. They move a
// few bytes per weight byte the matmuls read, so plain loops (auto-vectorised) do.
#include "compute/cpu_ops.h"

#include <algorithm>
#include <cmath>

namespace moe::cpu {

namespace {
constexpr int64_t kChunk = 16 * 1024; // elements per work item: big enough to amortise dispatch

template <class Fn>
void forChunks(ThreadPool& pool, int64_t count, Fn&& fn)
{
    const int64_t chunks = (count + kChunk - 1) / kChunk;
    pool.parallelFor(chunks, [&](int64_t c, int) {
        const int64_t b = c * kChunk;
        fn(b, std::min(count, b + kChunk));
    });
}

inline float silu(float g) { return g / (1.f + std::exp(-g)); }
} // namespace

void rmsNorm(ThreadPool& pool, const float* x, const float* w, int64_t wCount, float eps, int64_t n, int64_t cols,
             int64_t group, float* out)
{
    const int64_t groups = cols / group;
    pool.parallelFor(n, [&](int64_t t, int) {
        for (int64_t g = 0; g < groups; ++g) {
            const float* xs = x + t * cols + g * group;
            float* os = out + t * cols + g * group;
            const float* ws = wCount == cols ? w + g * group : w;
            // Sum of squares in double: one row is cheap, and it keeps long rows exact enough.
            double ss = 0.0;
            for (int64_t i = 0; i < group; ++i)
                ss += double(xs[i]) * double(xs[i]);
            const float inv = float(1.0 / std::sqrt(ss / double(group) + double(eps)));
            for (int64_t i = 0; i < group; ++i)
                os[i] = xs[i] * inv * ws[i];
        }
    });
}

void rope(ThreadPool& pool, float* x, int64_t n, int64_t cols, int64_t startPos, int64_t heads, int64_t headDim,
          int64_t rotaryDim, float theta, RopeLayout layout, float* scratch)
{
    const int64_t half = rotaryDim / 2;
    pool.parallelFor(n, [&](int64_t t, int thread) {
        float* cosT = scratch + int64_t(thread) * rotaryDim;
        float* sinT = cosT + half;
        const double pos = double(startPos + t);
        for (int64_t i = 0; i < half; ++i) {
            // Angles in double: at position 100k an f32 angle would be off by ~0.01 rad.
            const double angle = pos * std::pow(double(theta), -2.0 * double(i) / double(rotaryDim));
            cosT[i] = float(std::cos(angle));
            sinT[i] = float(std::sin(angle));
        }
        for (int64_t h = 0; h < heads; ++h) {
            float* v = x + t * cols + h * headDim;
            for (int64_t i = 0; i < half; ++i) {
                // NeoX pairs (i, i + half); interleaved pairs (2i, 2i + 1).
                const int64_t a = layout == RopeLayout::NeoX ? i : 2 * i;
                const int64_t b = layout == RopeLayout::NeoX ? i + half : 2 * i + 1;
                const float x0 = v[a], x1 = v[b];
                v[a] = x0 * cosT[i] - x1 * sinT[i];
                v[b] = x0 * sinT[i] + x1 * cosT[i];
            }
        }
    });
}

void add(ThreadPool& pool, float* x, const float* y, int64_t count)
{
    forChunks(pool, count, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
            x[i] += y[i];
    });
}

void addScaledRows(ThreadPool& pool, float* x, const float* y, const float* rowScale, int64_t n, int64_t cols)
{
    pool.parallelFor(n, [&](int64_t t, int) {
        const float s = rowScale[t];
        for (int64_t i = 0; i < cols; ++i)
            x[t * cols + i] += s * y[t * cols + i];
    });
}

void swiglu(ThreadPool& pool, const float* gate, const float* up, float* out, int64_t count)
{
    forChunks(pool, count, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
            out[i] = silu(gate[i]) * up[i];
    });
}

void sigmoid(ThreadPool& pool, float* x, int64_t count)
{
    forChunks(pool, count, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
            x[i] = 1.f / (1.f + std::exp(-x[i]));
    });
}

void gatherRows(ThreadPool& pool, const float* src, const int32_t* rows, int64_t count, int64_t cols, float* dst)
{
    pool.parallelFor(count, [&](int64_t i, int) {
        std::copy_n(src + int64_t(rows[i]) * cols, cols, dst + i * cols);
    });
}

void scatterAddRows(ThreadPool& pool, float* dst, const int32_t* rows, int64_t count, int64_t cols, const float* src)
{
    // Split by columns, so each destination element takes its additions in order of i.
    const int64_t columnChunk = std::max<int64_t>(64, kChunk / std::max<int64_t>(count, 1));
    pool.parallelFor((cols + columnChunk - 1) / columnChunk, [&](int64_t c, int) {
        const int64_t b = c * columnChunk, e = std::min(cols, b + columnChunk);
        for (int64_t i = 0; i < count; ++i) {
            float* d = dst + int64_t(rows[i]) * cols;
            const float* s = src + i * cols;
            for (int64_t j = b; j < e; ++j)
                d[j] += s[j];
        }
    });
}

void rowSumSquares(ThreadPool& pool, const float* x, int64_t n, int64_t cols, float* out)
{
    pool.parallelFor(n, [&](int64_t t, int) {
        double ss = 0.0;
        for (int64_t i = 0; i < cols; ++i)
            ss += double(x[t * cols + i]) * double(x[t * cols + i]);
        out[t] = float(ss);
    });
}

void scaleByRms(ThreadPool& pool, float* x, int64_t n, int64_t cols, const float* sumSq, int64_t width, float eps,
                const float* w)
{
    pool.parallelFor(n, [&](int64_t t, int) {
        const float inv = float(1.0 / std::sqrt(double(sumSq[t]) / double(width) + double(eps)));
        for (int64_t i = 0; i < cols; ++i)
            x[t * cols + i] = x[t * cols + i] * inv * w[i];
    });
}

} // namespace moe::cpu
