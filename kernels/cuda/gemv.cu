// One warp per output row; lane l reads 4 consecutive weights per step (8 lanes cover
// one 32-element block of Q8_0 / Q4_0), so a warp streams 128 weights per step with
// coalesced loads and keeps up to kGemvMaxTokens dot products in registers.
#include "gemv.cuh"

#include "common.cuh"
#include "gemv_load.cuh"

namespace moe::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;
constexpr int kN = int(kGemvMaxTokens);

template <WeightType T>
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
    for (int64_t e = int64_t(lane) * 4; e < in; e += 128) {
        const float4 wq = loadQuad<T>(w, r, in, e);
#pragma unroll
        for (int t = 0; t < kN; ++t) {
            if (t < n) {
                const float4 xv = *reinterpret_cast<const float4*>(x + int64_t(t) * in + e);
                acc[t] += wq.x * xv.x + wq.y * xv.y + wq.z * xv.z + wq.w * xv.w;
            }
        }
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

} // namespace

void launchGemv(int weightType, const void* w, int64_t out, int64_t in, const float* x, int64_t n, const float* bias,
                float* y, cudaStream_t stream)
{
    const unsigned grid = blocksFor(out, kWarpsPerBlock);
    const int threads = kWarpsPerBlock * 32;
    const int tokens = int(n);
    switch (WeightType(weightType)) {
    case WeightType::F32: gemvKernel<WeightType::F32><<<grid, threads, 0, stream>>>(w, out, in, x, tokens, bias, y); break;
    case WeightType::F16: gemvKernel<WeightType::F16><<<grid, threads, 0, stream>>>(w, out, in, x, tokens, bias, y); break;
    case WeightType::BF16: gemvKernel<WeightType::BF16><<<grid, threads, 0, stream>>>(w, out, in, x, tokens, bias, y); break;
    case WeightType::Q8_0: gemvKernel<WeightType::Q8_0><<<grid, threads, 0, stream>>>(w, out, in, x, tokens, bias, y); break;
    case WeightType::Q4_0: gemvKernel<WeightType::Q4_0><<<grid, threads, 0, stream>>>(w, out, in, x, tokens, bias, y); break;
    }
}

} // namespace moe::cuda
