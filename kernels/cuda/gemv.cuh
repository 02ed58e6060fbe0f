// y[n, out] = x[n, in] · W[out, in]^T (+ bias) for small n (decode, and the few tokens
// an expert gets): W is read once for all n tokens, in its own type (F32, F16, BF16, or
// dequantised on the fly from Q8_0 / Q4_0), with F32 activations and accumulation.
// Larger batches go to cuBLAS (cuda_backend.cpp).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moe::cuda {

constexpr int64_t kGemvMaxTokens = 8;

// Requires n <= kGemvMaxTokens and in % 4 == 0 (in % 32 == 0 for block types).
void launchGemv(int weightType, const void* w, int64_t out, int64_t in, const float* x, int64_t n, const float* bias,
                float* y, cudaStream_t stream);

} // namespace moe::cuda
