// The routed experts of a decode step without a host round trip: each (token, choice)
// assignment a = t * topK + s runs expert ids[a]'s GEMVs, the expert's weights found on
// the device through per-layer pointer tables, so nothing waits for the routing.
//   gateUp: act[a, j] = silu(gate_e[j] . x[t]) * (up_e[j] . x[t])     j < ffn
//   down:   rows[a, i] = down_e[i] . act[a]                            i < hidden
// launchCombineExperts (slotOf null) then adds sum_s weight[a] * rows[a] into the
// residual. A token that picks an expert twice is impossible (top-k is distinct), so
// each expert's weights are read once per token; larger batches group tokens per expert
// on the host and use cuBLAS (cuda_backend.cpp).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moe::cuda {

// Device arrays of E weight pointers each; an id outside [0, experts) gives zeros.
struct ExpertPointers {
    const void* const* gate = nullptr;
    const void* const* up = nullptr;
    const void* const* down = nullptr;
    int64_t experts = 0;
    int gateUpType = 0; // WeightType of every gate and up matrix
    int downType = 0;   // WeightType of every down matrix
};

// hidden % 4 == 0 and ffn % 4 == 0 (% 32 for block types), as launchGemv.
void launchMoeGateUp(const ExpertPointers& w, const int32_t* ids, int64_t assignments, int64_t topK, const float* x,
                     int64_t hidden, int64_t ffn, float* act, cudaStream_t stream);
void launchMoeDown(const ExpertPointers& w, const int32_t* ids, int64_t assignments, const float* act, int64_t ffn,
                   int64_t hidden, float* rows, cudaStream_t stream);

} // namespace moe::cuda
