#include "embedding.cuh"

#include "common.cuh"

namespace moe::cuda {
namespace {

template <WeightType T>
__global__ void embedKernel(const void* table, int64_t hidden, const int32_t* tokens, float* out)
{
    const int64_t t = blockIdx.x;
    const int64_t row = tokens[t];
    for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x)
        out[t * hidden + i] = loadWeight<T>(table, row, hidden, i);
}

} // namespace

void launchEmbed(int weightType, const void* table, int64_t hidden, const int32_t* tokens, int64_t n, float* out,
                 cudaStream_t stream)
{
    if (n <= 0)
        return;
    const dim3 grid{unsigned(n)}, block{256};
    switch (WeightType(weightType)) {
    case WeightType::F32: embedKernel<WeightType::F32><<<grid, block, 0, stream>>>(table, hidden, tokens, out); break;
    case WeightType::F16: embedKernel<WeightType::F16><<<grid, block, 0, stream>>>(table, hidden, tokens, out); break;
    case WeightType::BF16: embedKernel<WeightType::BF16><<<grid, block, 0, stream>>>(table, hidden, tokens, out); break;
    case WeightType::Q8_0: embedKernel<WeightType::Q8_0><<<grid, block, 0, stream>>>(table, hidden, tokens, out); break;
    case WeightType::Q4_0: embedKernel<WeightType::Q4_0><<<grid, block, 0, stream>>>(table, hidden, tokens, out); break;
    }
}

} // namespace moe::cuda
