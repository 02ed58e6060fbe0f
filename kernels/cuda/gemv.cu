// One warp per output row; lane l reads 4 consecutive weights per step (8 lanes cover
// one 32-element block of Q8_0 / Q4_0), so a warp streams 128 weights per step with
// coalesced loads and keeps up to kGemvMaxTokens dot products in registers.
#include "gemv.cuh"

#include "common.cuh"

namespace moe::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;
constexpr int kN = int(kGemvMaxTokens);

// The 4 weights at elements [e, e + 4) of row r.
template <WeightType T>
__device__ __forceinline__ float4 loadQuad(const void* base, int64_t r, int64_t in, int64_t e)
{
    if constexpr (T == WeightType::F32) {
        return *reinterpret_cast<const float4*>(static_cast<const float*>(base) + r * in + e);
    } else if constexpr (T == WeightType::F16) {
        const uint2 raw = *reinterpret_cast<const uint2*>(static_cast<const __half*>(base) + r * in + e);
        const float2 a = __half22float2(*reinterpret_cast<const __half2*>(&raw.x));
        const float2 b = __half22float2(*reinterpret_cast<const __half2*>(&raw.y));
        return make_float4(a.x, a.y, b.x, b.y);
    } else if constexpr (T == WeightType::BF16) {
        const uint2 raw = *reinterpret_cast<const uint2*>(static_cast<const __nv_bfloat16*>(base) + r * in + e);
        const float2 a = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.x));
        const float2 b = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.y));
        return make_float4(a.x, a.y, b.x, b.y);
    } else {
        constexpr int blockBytes = T == WeightType::Q8_0 ? kQ8_0Bytes : kQ4_0Bytes;
        const uint8_t* block = static_cast<const uint8_t*>(base) + (r * (in / kQBlock) + e / kQBlock) * blockBytes;
        const float d = blockScale(block);
        const int j = int(e % kQBlock);
        if constexpr (T == WeightType::Q8_0) {
            const int8_t* q = reinterpret_cast<const int8_t*>(block + 2 + j);
            return make_float4(d * q[0], d * q[1], d * q[2], d * q[3]);
        } else {
            return make_float4(d * q4Value(block, j), d * q4Value(block, j + 1), d * q4Value(block, j + 2),
                               d * q4Value(block, j + 3));
        }
    }
}

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
