#include "moe_permute.cuh"

#include "common.cuh"

namespace moe::cuda {
namespace {

__global__ void gatherKernel(const float* x, int64_t cols, const int32_t* tokenOfSlot, float* rows)
{
    const int64_t s = blockIdx.x;
    const float* src = x + int64_t(tokenOfSlot[s]) * cols;
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x)
        rows[s * cols + i] = src[i];
}

__global__ void combineKernel(const float* rows, int64_t cols, const int32_t* slotOf, const float* weights,
                              int64_t topK, float* out)
{
    const int64_t t = blockIdx.x;
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
        float sum = 0.f;
        for (int64_t s = 0; s < topK; ++s)
            sum += weights[t * topK + s] * rows[(slotOf ? int64_t(slotOf[t * topK + s]) : t * topK + s) * cols + i];
        out[t * cols + i] += sum;
    }
}

__global__ void scatterAddKernel(float* dst, int64_t cols, const int32_t* packed, int64_t groups, const float* src)
{
    const int64_t g = blockIdx.x;
    const int32_t* start = packed + groups;
    const int32_t* order = start + groups + 1;
    float* row = dst + int64_t(packed[g]) * cols;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
        float acc = row[c];
        for (int32_t j = start[g]; j < start[g + 1]; ++j)
            acc += src[int64_t(order[j]) * cols + c];
        row[c] = acc;
    }
}

} // namespace

void launchScatterAddRows(float* dst, int64_t cols, const int32_t* packed, int64_t groups, const float* src,
                          cudaStream_t stream)
{
    if (groups > 0 && cols > 0)
        scatterAddKernel<<<unsigned(groups), 256, 0, stream>>>(dst, cols, packed, groups, src);
}

void launchGatherRows(const float* x, int64_t cols, const int32_t* tokenOfSlot, int64_t slots, float* rows,
                      cudaStream_t stream)
{
    if (slots > 0)
        gatherKernel<<<unsigned(slots), 256, 0, stream>>>(x, cols, tokenOfSlot, rows);
}

void launchCombineExperts(const float* rows, int64_t cols, const int32_t* slotOf, const float* weights, int64_t n,
                          int64_t topK, float* out, cudaStream_t stream)
{
    if (n > 0)
        combineKernel<<<unsigned(n), 256, 0, stream>>>(rows, cols, slotOf, weights, topK, out);
}

} // namespace moe::cuda
