// loadQuad / loadOct: four or eight consecutive weights of a row as floats, for every
// weight type the backend runs; shared by the dense GEMV and the MoE expert GEMVs.
// Device code only.
#pragma once

#include "common.cuh"

namespace moe::cuda {

// Two F16 / BF16 weights packed in one 32-bit word, as floats.
template <WeightType T>
__device__ __forceinline__ float2 halfPair(uint32_t word)
{
    if constexpr (T == WeightType::F16)
        return __half22float2(*reinterpret_cast<const __half2*>(&word));
    else
        return __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&word));
}

// The Q8_0 / Q4_0 block holding element e of row r.
template <WeightType T>
__device__ __forceinline__ const uint8_t* quantBlock(const void* base, int64_t r, int64_t in, int64_t e)
{
    constexpr int blockBytes = T == WeightType::Q8_0 ? kQ8_0Bytes : kQ4_0Bytes;
    return static_cast<const uint8_t*>(base) + (r * (in / kQBlock) + e / kQBlock) * blockBytes;
}

// The 4 weights at elements [e, e + 4) of row r.
template <WeightType T>
__device__ __forceinline__ float4 loadQuad(const void* base, int64_t r, int64_t in, int64_t e)
{
    if constexpr (T == WeightType::F32) {
        return *reinterpret_cast<const float4*>(static_cast<const float*>(base) + r * in + e);
    } else if constexpr (T == WeightType::F16 || T == WeightType::BF16) {
        // 2-byte elements: 4 of them are 8 bytes.
        const uint2 raw = *reinterpret_cast<const uint2*>(static_cast<const uint16_t*>(base) + r * in + e);
        const float2 a = halfPair<T>(raw.x), b = halfPair<T>(raw.y);
        return make_float4(a.x, a.y, b.x, b.y);
    } else {
        const uint8_t* block = quantBlock<T>(base, r, in, e);
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

// The 8 weights at elements [e, e + 8) of row r (e % 8 == 0, in % 8 == 0): one 16-byte
// load for F16 / BF16, two for F32, four 2-byte loads for a Q8_0 / Q4_0 quarter block
// (blocks of 34 / 18 bytes keep only 2-byte alignment).
template <WeightType T>
__device__ __forceinline__ void loadOct(const void* base, int64_t r, int64_t in, int64_t e, float (&w)[8])
{
    if constexpr (T == WeightType::F32) {
        const float4* p = reinterpret_cast<const float4*>(static_cast<const float*>(base) + r * in + e);
        const float4 a = p[0], b = p[1];
        w[0] = a.x, w[1] = a.y, w[2] = a.z, w[3] = a.w, w[4] = b.x, w[5] = b.y, w[6] = b.z, w[7] = b.w;
    } else if constexpr (T == WeightType::F16 || T == WeightType::BF16) {
        const uint4 raw = *reinterpret_cast<const uint4*>(static_cast<const uint16_t*>(base) + r * in + e);
        const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const float2 f = halfPair<T>(words[i]);
            w[2 * i] = f.x;
            w[2 * i + 1] = f.y;
        }
    } else {
        const uint8_t* block = quantBlock<T>(base, r, in, e);
        const float d = blockScale(block);
        const int j = int(e % kQBlock);
        if constexpr (T == WeightType::Q8_0) {
            const uint16_t* q = reinterpret_cast<const uint16_t*>(block + 2 + j);
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const uint16_t v = q[i];
                w[2 * i] = d * float(int8_t(v & 0xff));
                w[2 * i + 1] = d * float(int8_t(v >> 8));
            }
        } else {
            // Elements j..j+7 are the low nibbles of bytes j..j+7 (j < 16) or the high
            // nibbles of bytes j-16..j-9.
            const uint16_t* q = reinterpret_cast<const uint16_t*>(block + 2 + (j & 15));
            const int shift = j < 16 ? 0 : 4;
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const uint16_t v = q[i];
                w[2 * i] = d * float(int((v >> shift) & 0xF) - 8);
                w[2 * i + 1] = d * float(int((v >> (8 + shift)) & 0xF) - 8);
            }
        }
    }
}

// W = 4 or 8 consecutive weights (loadQuad / loadOct).
template <WeightType T, int W>
__device__ __forceinline__ void loadWeights(const void* base, int64_t r, int64_t in, int64_t e, float (&w)[W])
{
    if constexpr (W == 8) {
        loadOct<T>(base, r, in, e, w);
    } else {
        const float4 q = loadQuad<T>(base, r, in, e);
        w[0] = q.x, w[1] = q.y, w[2] = q.z, w[3] = q.w;
    }
}

// sum_i w[i] * x[i] over W activations at x (16-byte aligned).
template <int W>
__device__ __forceinline__ float dotChunk(const float (&w)[W], const float* x)
{
    float s = 0.f;
#pragma unroll
    for (int i = 0; i < W / 4; ++i) {
        const float4 v = reinterpret_cast<const float4*>(x)[i];
        s += w[4 * i] * v.x + w[4 * i + 1] * v.y + w[4 * i + 2] * v.z + w[4 * i + 3] * v.w;
    }
    return s;
}

} // namespace moe::cuda
