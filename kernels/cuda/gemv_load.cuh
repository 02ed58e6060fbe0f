// loadQuad: four consecutive weights of a row as float4, for every weight type the
// backend runs; shared by the dense GEMV and the MoE expert GEMVs. Device code only.
#pragma once

#include "common.cuh"

namespace moe::cuda {

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

} // namespace moe::cuda
