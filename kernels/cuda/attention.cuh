// Causal grouped-query attention over the KV cache, for prefill (n queries) and decode
// (n = 1) alike: query i sees cache rows [0, startPos + i]. Head h reads KV head
// h / (heads / kvHeads). headDim <= 256.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moe::cuda {

constexpr int64_t kAttentionMaxHeadDim = 256;

void launchAttention(const float* q, const float* kCache, const float* vCache, float* out, int64_t n, int64_t startPos,
                     int64_t heads, int64_t kvHeads, int64_t headDim, float scale, cudaStream_t stream);

} // namespace moe::cuda
