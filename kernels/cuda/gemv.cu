// One warp per output row; lane l reads 8 consecutive weights per step (16 bytes of F16:
// 4 lanes cover one 32-element block of Q8_0 / Q4_0), so a warp streams 256 weights per
// step with coalesced loads and keeps up to kGemvMaxTokens dot products in registers.
// Rows whose length is not a multiple of 8 take 4 weights per step.
#include "gemv.cuh"

#include "common.cuh"
#include "gemv_load.cuh"

namespace moe::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;
constexpr int kN = int(kGemvMaxTokens);

template <WeightType T, int W>
__global__ void gemvKernel(const void* w, int64_t out, int64_t in, const float* x, int n, const float* bias, float* y)
{
    const int lane = threadIdx.x & 31;
    const int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
    if (r >= out)
        return;
    float acc[kN];
#pragma unroll
    for (int t = 0; t < kN; ++t)
        acc[t] = 0.f;
#pragma unroll 2
    for (int64_t e = int64_t(lane) * W; e < in; e += 32 * W) {
        float wv[W];
        loadWeights<T, W>(w, r, in, e, wv);
#pragma unroll
        for (int t = 0; t < kN; ++t)
            if (t < n)
                acc[t] += dotChunk<W>(wv, x + int64_t(t) * in + e);
    }
#pragma unroll
    for (int t = 0; t < kN; ++t) {
        if (t < n) {
            const float s = warpSum(acc[t]);
            if (lane == 0)
                y[int64_t(t) * out + r] = s + (bias ? bias[r] : 0.f);
        }
    }
}

template <WeightType T>
void gemv(const void* w, int64_t out, int64_t in, const float* x, int tokens, const float* bias, float* y,
          cudaStream_t stream)
{
    const unsigned grid = blocksFor(out, kWarpsPerBlock);
    const int threads = kWarpsPerBlock * 32;
    if (in % 8 == 0)
        gemvKernel<T, 8><<<grid, threads, 0, stream>>>(w, out, in, x, tokens, bias, y);
    else
        gemvKernel<T, 4><<<grid, threads, 0, stream>>>(w, out, in, x, tokens, bias, y);
}

} // namespace

void launchGemv(int weightType, const void* w, int64_t out, int64_t in, const float* x, int64_t n, const float* bias,
                float* y, cudaStream_t stream)
{
    const int tokens = int(n);
    switch (WeightType(weightType)) {
    case WeightType::F32: return gemv<WeightType::F32>(w, out, in, x, tokens, bias, y, stream);
    case WeightType::F16: return gemv<WeightType::F16>(w, out, in, x, tokens, bias, y, stream);
    case WeightType::BF16: return gemv<WeightType::BF16>(w, out, in, x, tokens, bias, y, stream);
    case WeightType::Q8_0: return gemv<WeightType::Q8_0>(w, out, in, x, tokens, bias, y, stream);
    case WeightType::Q4_0: return gemv<WeightType::Q4_0>(w, out, in, x, tokens, bias, y, stream);
    }
}

} // namespace moe::cuda
