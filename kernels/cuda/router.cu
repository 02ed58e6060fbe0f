// One thread per token: E <= 256 scores fit in local memory and k is small, so a
// serial selection per token is cheaper than a cooperative one at decode batch sizes,
// and it keeps the tie rules identical to the CPU's.
#include "router.cuh"

#include "common.cuh"

namespace moe::cuda {
namespace {

__device__ int64_t argmaxAllowed(const float* v, const bool* taken, int64_t count)
{
    int64_t best = -1;
    for (int64_t i = 0; i < count; ++i)
        if (!taken[i] && (best < 0 || v[i] > v[best]))
            best = i;
    return best;
}

__global__ void routeKernel(const float* logits, int64_t n, int64_t e, RouterLaunch p, int32_t* ids, float* weights)
{
    const int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= n)
        return;
    float scores[kRouterMaxExperts], choice[kRouterMaxExperts];
    bool taken[kRouterMaxExperts];
    const float* l = logits + t * e;
    if (p.sigmoid) {
        for (int64_t i = 0; i < e; ++i)
            scores[i] = 1.f / (1.f + expf(-l[i]));
    } else {
        float maxLogit = -INFINITY;
        for (int64_t i = 0; i < e; ++i)
            maxLogit = fmaxf(maxLogit, l[i]);
        double sum = 0.0;
        for (int64_t i = 0; i < e; ++i) {
            scores[i] = expf(l[i] - maxLogit);
            sum += scores[i];
        }
        for (int64_t i = 0; i < e; ++i)
            scores[i] = float(scores[i] / sum);
    }
    for (int64_t i = 0; i < e; ++i) {
        const float c = scores[i] + (p.selectionBias ? p.selectionBias[i] : 0.f);
        choice[i] = isnan(c) ? -INFINITY : c;
        taken[i] = false;
    }
    const bool grouped = p.numGroups > 1 && p.numGroups <= kRouterMaxGroups && e % p.numGroups == 0;
    if (grouped) {
        // DeepSeek: V3 (sigmoid + bias) scores a group by its two best experts, V2 by its best.
        const bool sumTop2 = p.sigmoid && p.selectionBias;
        const int64_t groups = p.numGroups, size = e / groups;
        float groupScore[kRouterMaxGroups];
        bool groupTaken[kRouterMaxGroups];
        for (int64_t g = 0; g < groups; ++g) {
            float best = -INFINITY, second = -INFINITY;
            for (int64_t i = g * size; i < (g + 1) * size; ++i) {
                if (choice[i] > best) {
                    second = best;
                    best = choice[i];
                } else if (choice[i] > second) {
                    second = choice[i];
                }
            }
            groupScore[g] = sumTop2 && size >= 2 ? best + second : best;
            groupTaken[g] = false;
        }
        bool kept[kRouterMaxGroups];
        for (int64_t g = 0; g < groups; ++g)
            kept[g] = false;
        const int64_t keep = p.topkGroups < groups ? p.topkGroups : groups;
        for (int64_t picked = 0; picked < keep; ++picked) {
            const int64_t g = argmaxAllowed(groupScore, groupTaken, groups);
            groupTaken[g] = true;
            kept[g] = true;
        }
        for (int64_t g = 0; g < groups; ++g)
            if (!kept[g])
                for (int64_t i = g * size; i < (g + 1) * size; ++i)
                    taken[i] = true;
    }
    const int64_t k = p.topK;
    double sum = 0.0;
    for (int64_t s = 0; s < k; ++s) {
        const int64_t best = argmaxAllowed(choice, taken, e);
        if (best < 0) { // fewer allowed experts than k (bad config): expert 0, weight 0
            ids[t * k + s] = 0;
            weights[t * k + s] = 0.f;
            continue;
        }
        taken[best] = true;
        ids[t * k + s] = int32_t(best);
        weights[t * k + s] = scores[best];
        sum += scores[best];
    }
    const double norm = p.normTopkProb ? 1.0 / (sum + 1e-20) : 1.0;
    for (int64_t s = 0; s < k; ++s)
        weights[t * k + s] = float(weights[t * k + s] * norm * p.routedScalingFactor);
}

} // namespace

void launchRouteTopK(const float* logits, int64_t n, int64_t experts, const RouterLaunch& p, int32_t* ids,
                     float* weights, cudaStream_t stream)
{
    if (n > 0)
        routeKernel<<<blocksFor(n, 64), 64, 0, stream>>>(logits, n, experts, p, ids, weights);
}

} // namespace moe::cuda
