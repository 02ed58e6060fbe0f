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
// The same for a few queries (decode): keys split into chunks of 256 over blocks, then
// merged. `chunks` = attentionSplitChunks(cache rows) so the grid covers the whole cache
// whatever the position; `partial` holds n * heads * chunks * (headDim + 2) floats.
int64_t attentionSplitChunks(int64_t cacheRows);
void launchAttentionSplit(const float* q, const float* kCache, const float* vCache, float* out, int64_t n,
                          int64_t startPos, const int64_t* devicePos, int64_t heads, int64_t kvHeads, int64_t headDim,
                          float scale, int64_t chunks, float* partial, cudaStream_t stream);
// Rows [startPos, startPos + n) of both caches [context, width] = k, v [n, width].
void launchStoreKv(const float* k, const float* v, float* kCache, float* vCache, int64_t n, int64_t width,
                   int64_t startPos, const int64_t* devicePos, cudaStream_t stream);

} // namespace moe::cuda
