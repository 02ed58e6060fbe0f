// Causal grouped-query attention over the KV cache, for prefill (n queries) and decode
// (n = 1) alike: query i sees cache rows [0, startPos + i]. Head h reads KV head
// h / (heads / kvHeads). headDim <= 256.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moe::cuda {

constexpr int64_t kAttentionMaxHeadDim = 256;

// devicePos, when not null, holds startPos in device memory (a recorded step reads its
// position there); the same for launchStoreKv.
void launchAttention(const float* q, const float* kCache, const float* vCache, float* out, int64_t n, int64_t startPos,
                     const int64_t* devicePos, int64_t heads, int64_t kvHeads, int64_t headDim, float scale,
                     cudaStream_t stream);
// Rows [startPos, startPos + n) of both caches [context, width] = k, v [n, width].
void launchStoreKv(const float* k, const float* v, float* kCache, float* vCache, int64_t n, int64_t width,
                   int64_t startPos, const int64_t* devicePos, cudaStream_t stream);

} // namespace moe::cuda
