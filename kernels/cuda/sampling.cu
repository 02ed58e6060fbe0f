#include "sampling.cuh"

#include "common.cuh"

#include <cfloat>
#include <climits>

namespace moe::cuda {
namespace {

constexpr int kSortThreads = 512;

__global__ void banKernel(float* work, const int32_t* banned, int64_t count)
{
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count)
        work[banned[i]] = -INFINITY;
}

// Each id appears once in the list, so threads never touch the same logit. The
// arithmetic is rounded step by step (no fused multiply-add), as on the host.
__global__ void penaltyKernel(float* work, const int32_t* ids, const int32_t* counts, int64_t count, float repetition,
                              float frequency, float presence)
{
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= count)
        return;
    float l = work[ids[i]];
    l = l > 0.f ? __fdiv_rn(l, repetition) : __fmul_rn(l, repetition);
    l = __fsub_rn(l, __fadd_rn(__fmul_rn(float(counts[i]), frequency), presence));
    work[ids[i]] = l;
}

// a goes before b: the larger value, the lower id on ties.
__device__ __forceinline__ bool before(float va, int32_t ia, float vb, int32_t ib)
{
    return va > vb || (va == vb && ia < ib);
}

__global__ void topKRoundKernel(const float* values, const int32_t* ids, int64_t n, int64_t k, float* outValues,
                                int32_t* outIds)
{
    __shared__ float v[kSampleChunk];
    __shared__ int32_t id[kSampleChunk];
    const int64_t base = int64_t(blockIdx.x) * kSampleChunk;
    for (int i = threadIdx.x; i < kSampleChunk; i += blockDim.x) {
        const int64_t g = base + i;
        float x = g < n ? values[g] : -INFINITY;
        if (x != x) // NaN sorts as -inf
            x = -INFINITY;
        v[i] = x;
        id[i] = g < n ? (ids ? ids[g] : int32_t(g)) : INT32_MAX;
    }
    __syncthreads();
    // Bitonic sort into "before" order.
    for (int size = 2; size <= kSampleChunk; size <<= 1) {
        for (int stride = size >> 1; stride > 0; stride >>= 1) {
            for (int i = threadIdx.x; i < kSampleChunk; i += blockDim.x) {
                const int j = i ^ stride;
                if (j <= i)
                    continue;
                const bool ascending = (i & size) == 0; // this pair's run ends in "before" order
                const bool swap = ascending ? before(v[j], id[j], v[i], id[i]) : before(v[i], id[i], v[j], id[j]);
                if (swap) {
                    const float tv = v[i];
                    v[i] = v[j];
                    v[j] = tv;
                    const int32_t ti = id[i];
                    id[i] = id[j];
                    id[j] = ti;
                }
            }
            __syncthreads();
        }
    }
    for (int64_t i = threadIdx.x; i < k; i += blockDim.x) {
        outValues[int64_t(blockIdx.x) * k + i] = i < kSampleChunk ? v[i] : -INFINITY;
        outIds[int64_t(blockIdx.x) * k + i] = i < kSampleChunk ? id[i] : INT32_MAX;
    }
}

// One thread: k is at most kMaxDeviceTopK, and the host's sequential sums are kept.
__global__ void pickKernel(const float* values, const int32_t* ids, int64_t k, float temperature, float invT,
                           float minP, float topP, double uniform, float* probs, int32_t* token)
{
    if (threadIdx.x != 0 || blockIdx.x != 0)
        return;
    if (temperature <= 0.f) {
        *token = ids[0];
        return;
    }
    const float maxLogit = values[0];
    double sum = 0.0;
    for (int64_t i = 0; i < k; ++i) {
        probs[i] = expf(__fmul_rn(__fsub_rn(values[i], maxLogit), invT));
        sum += probs[i];
    }
    for (int64_t i = 0; i < k; ++i)
        probs[i] = float(double(probs[i]) / sum);
    int64_t count = k;
    if (minP > 0.f) {
        const float threshold = __fmul_rn(minP, probs[0]);
        int64_t keep = 1;
        while (keep < count && probs[keep] >= threshold)
            ++keep;
        count = keep;
    }
    if (topP < 1.f) {
        double cum = 0.0;
        int64_t keep = 0;
        while (keep < count) {
            cum += probs[keep++];
            if (cum >= topP)
                break;
        }
        count = keep > 1 ? keep : 1;
    }
    double mass = 0.0;
    for (int64_t i = 0; i < count; ++i)
        mass += probs[i];
    const double u = uniform * mass;
    double cum = 0.0;
    for (int64_t i = 0; i < count; ++i) {
        cum += probs[i];
        if (u < cum) {
            *token = ids[i];
            return;
        }
    }
    *token = ids[count - 1];
}

} // namespace

void launchBanAndPenalise(float* work, const int32_t* banned, int64_t bannedCount, const int32_t* penaltyIds,
                          const int32_t* penaltyCounts, int64_t penaltyCount, float repetition, float frequency,
                          float presence, cudaStream_t stream)
{
    if (bannedCount > 0)
        banKernel<<<blocksFor(bannedCount, 256), 256, 0, stream>>>(work, banned, bannedCount);
    if (penaltyCount > 0)
        penaltyKernel<<<blocksFor(penaltyCount, 256), 256, 0, stream>>>(work, penaltyIds, penaltyCounts, penaltyCount,
                                                                        repetition, frequency, presence);
}

int64_t launchTopKRound(const float* values, const int32_t* ids, int64_t n, int64_t k, float* outValues,
                        int32_t* outIds, cudaStream_t stream)
{
    const int64_t chunks = (n + kSampleChunk - 1) / kSampleChunk;
    topKRoundKernel<<<unsigned(chunks), kSortThreads, 0, stream>>>(values, ids, n, k, outValues, outIds);
    return chunks;
}

void launchPickToken(const float* values, const int32_t* ids, int64_t k, float temperature, float invTemperature,
                     float minP, float topP, double uniform, float* probs, int32_t* token, cudaStream_t stream)
{
    pickKernel<<<1, 32, 0, stream>>>(values, ids, k, temperature, invTemperature, minP, topP, uniform, probs, token);
}

} // namespace moe::cuda
