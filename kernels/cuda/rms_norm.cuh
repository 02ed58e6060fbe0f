// RMSNorm over groups of `group` consecutive columns (group = cols for a whole row,
// = headDim for per-head q/k norm). w has `group` elements (shared by every group) or
// `cols` elements (one per column). out may alias x.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moe::cuda {

void launchRmsNorm(const float* x, const float* w, int64_t wCount, float eps, int64_t n, int64_t cols, int64_t group,
                   float* out, cudaStream_t stream);

} // namespace moe::cuda
