// Embedding lookup: out[i] = table[tokens[i]] as F32, for any weight type the backend runs.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moe::cuda {

// tokens: device memory, already checked to lie in [0, vocab).
void launchEmbed(int weightType, const void* table, int64_t hidden, const int32_t* tokens, int64_t n, float* out,
                 cudaStream_t stream);

} // namespace moe::cuda
