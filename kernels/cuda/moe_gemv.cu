#include "moe_gemv.cuh"

#include "common.cuh"
#include "gemv_load.cuh"

namespace moe::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;

// One warp per output row, as gemvKernel (W weights per lane and step); blockIdx.y is
// the assignment.
template <WeightType T, int W>
__global__ void moeGateUpKernel(const void* const* gate, const void* const* up, int64_t experts, const int32_t* ids,
                                int64_t topK, const float* x, int64_t hidden, int64_t ffn, float* act)
{
    const int lane = threadIdx.x & 31;
    const int64_t a = blockIdx.y;
    const int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
    if (r >= ffn)
        return;
    const int32_t e = ids[a];
    float g = 0.f, u = 0.f;
    if (e >= 0 && e < experts) {
        const void* wg = gate[e];
        const void* wu = up[e];
        const float* xt = x + (a / topK) * hidden;
        for (int64_t i = int64_t(lane) * W; i < hidden; i += 32 * W) {
            float gw[W], uw[W];
            loadWeights<T, W>(wg, r, hidden, i, gw);
            loadWeights<T, W>(wu, r, hidden, i, uw);
            g += dotChunk<W>(gw, xt + i);
            u += dotChunk<W>(uw, xt + i);
        }
        g = warpSum(g);
        u = warpSum(u);
    }
    if (lane == 0) // silu(g) * u as swigluKernel computes it
        act[a * ffn + r] = e >= 0 && e < experts ? g / (1.f + expf(-g)) * u : 0.f;
}

template <WeightType T, int W>
__global__ void moeDownKernel(const void* const* down, int64_t experts, const int32_t* ids, const float* act,
                              int64_t ffn, int64_t hidden, float* rows)
{
    const int lane = threadIdx.x & 31;
    const int64_t a = blockIdx.y;
    const int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
    if (r >= hidden)
        return;
    const int32_t e = ids[a];
    float d = 0.f;
    if (e >= 0 && e < experts) {
        const void* w = down[e];
        const float* in = act + a * ffn;
        for (int64_t i = int64_t(lane) * W; i < ffn; i += 32 * W) {
            float wv[W];
            loadWeights<T, W>(w, r, ffn, i, wv);
            d += dotChunk<W>(wv, in + i);
        }
        d = warpSum(d);
    }
    if (lane == 0)
        rows[a * hidden + r] = d;
}

template <WeightType T>
void gateUp(const ExpertPointers& w, const int32_t* ids, int64_t assignments, int64_t topK, const float* x,
            int64_t hidden, int64_t ffn, float* act, cudaStream_t stream)
{
    const dim3 grid(blocksFor(ffn, kWarpsPerBlock), unsigned(assignments));
    if (hidden % 8 == 0)
        moeGateUpKernel<T, 8><<<grid, kWarpsPerBlock * 32, 0, stream>>>(w.gate, w.up, w.experts, ids, topK, x, hidden,
                                                                          ffn, act);
    else
        moeGateUpKernel<T, 4><<<grid, kWarpsPerBlock * 32, 0, stream>>>(w.gate, w.up, w.experts, ids, topK, x, hidden,
                                                                          ffn, act);
}

template <WeightType T>
void downProj(const ExpertPointers& w, const int32_t* ids, int64_t assignments, const float* act, int64_t ffn,
              int64_t hidden, float* rows, cudaStream_t stream)
{
    const dim3 grid(blocksFor(hidden, kWarpsPerBlock), unsigned(assignments));
    if (ffn % 8 == 0)
        moeDownKernel<T, 8><<<grid, kWarpsPerBlock * 32, 0, stream>>>(w.down, w.experts, ids, act, ffn, hidden, rows);
    else
        moeDownKernel<T, 4><<<grid, kWarpsPerBlock * 32, 0, stream>>>(w.down, w.experts, ids, act, ffn, hidden, rows);
}

} // namespace

void launchMoeGateUp(const ExpertPointers& w, const int32_t* ids, int64_t assignments, int64_t topK, const float* x,
                     int64_t hidden, int64_t ffn, float* act, cudaStream_t stream)
{
    if (assignments <= 0 || ffn <= 0)
        return;
    switch (WeightType(w.gateUpType)) {
    case WeightType::F32: return gateUp<WeightType::F32>(w, ids, assignments, topK, x, hidden, ffn, act, stream);
    case WeightType::F16: return gateUp<WeightType::F16>(w, ids, assignments, topK, x, hidden, ffn, act, stream);
    case WeightType::BF16: return gateUp<WeightType::BF16>(w, ids, assignments, topK, x, hidden, ffn, act, stream);
    case WeightType::Q8_0: return gateUp<WeightType::Q8_0>(w, ids, assignments, topK, x, hidden, ffn, act, stream);
    case WeightType::Q4_0: return gateUp<WeightType::Q4_0>(w, ids, assignments, topK, x, hidden, ffn, act, stream);
    }
}

void launchMoeDown(const ExpertPointers& w, const int32_t* ids, int64_t assignments, const float* act, int64_t ffn,
                   int64_t hidden, float* rows, cudaStream_t stream)
{
    if (assignments <= 0 || hidden <= 0)
        return;
    switch (WeightType(w.downType)) {
    case WeightType::F32: return downProj<WeightType::F32>(w, ids, assignments, act, ffn, hidden, rows, stream);
    case WeightType::F16: return downProj<WeightType::F16>(w, ids, assignments, act, ffn, hidden, rows, stream);
    case WeightType::BF16: return downProj<WeightType::BF16>(w, ids, assignments, act, ffn, hidden, rows, stream);
    case WeightType::Q8_0: return downProj<WeightType::Q8_0>(w, ids, assignments, act, ffn, hidden, rows, stream);
    case WeightType::Q4_0: return downProj<WeightType::Q4_0>(w, ids, assignments, act, ffn, hidden, rows, stream);
    }
}

} // namespace moe::cuda
