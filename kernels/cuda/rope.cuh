// Rotary position embedding in place over x [n, cols] (heads of headDim; the first
// rotaryDim dimensions rotate). NeoX pairs (i, i + rotaryDim/2); interleaved (2i, 2i+1).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moe::cuda {

// devicePos, when not null, holds startPos in device memory (recorded steps).
void launchRope(float* x, int64_t n, int64_t cols, int64_t startPos, const int64_t* devicePos, int64_t heads,
                int64_t headDim, int64_t rotaryDim, float theta, bool neox, cudaStream_t stream);

} // namespace moe::cuda
