// Shared by the CUDA kernels: element loads for every weight dtype the backend runs
// (F32, F16, BF16, Q8_0, Q4_0 in GGML's block layout), warp reductions, and the
// launch geometry helpers. Device code only; host code includes cuda_check.h.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace moe::cuda {

// Mirrors moe::DType's first values (the only ones the CUDA backend accepts).
enum class WeightType : int { F32 = 0, F16 = 1, BF16 = 2, Q8_0 = 3, Q4_0 = 4 };

constexpr int kQBlock = 32;      // elements per Q8_0 / Q4_0 block
constexpr int kQ8_0Bytes = 34;   // f16 d + 32 x int8
constexpr int kQ4_0Bytes = 18;   // f16 d + 16 bytes of nibbles

// The f16 scale of a block, read byte-wise: blocks are 34 / 18 bytes, so the scale is
// only 2-byte aligned.
__device__ __forceinline__ float blockScale(const uint8_t* block)
{
    const uint16_t bits = uint16_t(block[0]) | uint16_t(block[1]) << 8;
    return __half2float(__ushort_as_half(bits));
}

// Element j (0..31) of a Q4_0 block: low nibbles hold 0..15, high nibbles 16..31.
__device__ __forceinline__ int q4Value(const uint8_t* block, int j)
{
    const uint8_t byte = block[2 + (j & 15)];
    return int(j < 16 ? (byte & 0x0f) : (byte >> 4)) - 8;
}

// Element `i` of row `row` of a weight with `cols` columns (cols % 32 == 0 for blocks).
template <WeightType T>
__device__ __forceinline__ float loadWeight(const void* base, int64_t row, int64_t cols, int64_t i)
{
    if constexpr (T == WeightType::F32) {
        return static_cast<const float*>(base)[row * cols + i];
    } else if constexpr (T == WeightType::F16) {
        return __half2float(static_cast<const __half*>(base)[row * cols + i]);
    } else if constexpr (T == WeightType::BF16) {
        return __bfloat162float(static_cast<const __nv_bfloat16*>(base)[row * cols + i]);
    } else if constexpr (T == WeightType::Q8_0) {
        const uint8_t* block = static_cast<const uint8_t*>(base) + (row * (cols / kQBlock) + i / kQBlock) * kQ8_0Bytes;
        return blockScale(block) * float(int8_t(block[2 + i % kQBlock]));
    } else {
        const uint8_t* block = static_cast<const uint8_t*>(base) + (row * (cols / kQBlock) + i / kQBlock) * kQ4_0Bytes;
        return blockScale(block) * float(q4Value(block, int(i % kQBlock)));
    }
}

__device__ __forceinline__ float warpSum(float v)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float warpMax(float v)
{
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// Sum over a block of up to 1024 threads (blockDim.x a multiple of 32); every thread
// gets the result. `shared` holds 32 floats.
__device__ __forceinline__ float blockSum(float v, float* shared)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warpSum(v);
    __syncthreads(); // `shared` may still be read from a previous call
    if (lane == 0)
        shared[warp] = v;
    __syncthreads();
    const int warps = (blockDim.x + 31) >> 5;
    v = lane < warps ? shared[lane] : 0.f;
    return warpSum(v);
}

inline unsigned blocksFor(int64_t count, int threads) { return unsigned((count + threads - 1) / threads); }

} // namespace moe::cuda
