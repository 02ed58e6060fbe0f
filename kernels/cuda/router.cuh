// Router top-k on the device, the same rules as the CPU's (compute/router_cpu.cpp):
// softmax or sigmoid scores, optional selection bias (DeepSeek-V3), group-limited
// choice (n_group / topk_group), renormalisation and routed_scaling_factor. Ties go to
// the lower id; NaN never wins. numExperts <= 256 and numGroups <= 256.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moe::cuda {

constexpr int64_t kRouterMaxExperts = 256;
constexpr int64_t kRouterMaxGroups = 256; // as the CPU: groups beyond this switch grouping off

struct RouterLaunch {
    int64_t topK = 1;
    bool sigmoid = false;
    bool normTopkProb = false;
    float routedScalingFactor = 1.f;
    int64_t numGroups = 1;
    int64_t topkGroups = 1;
    const float* selectionBias = nullptr; // device [E] or null
};

void launchRouteTopK(const float* logits, int64_t n, int64_t experts, const RouterLaunch& p, int32_t* ids,
                     float* weights, cudaStream_t stream);

} // namespace moe::cuda
