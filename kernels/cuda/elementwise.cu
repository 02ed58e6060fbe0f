#include "elementwise.cuh"

#include "common.cuh"

namespace moe::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void addKernel(float* x, const float* y, int64_t count)
{
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count)
        x[i] += y[i];
}

__global__ void addScaledRowsKernel(float* x, const float* y, const float* rowScale, int64_t cols, int64_t count)
{
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count)
        x[i] += rowScale[i / cols] * y[i];
}

__global__ void swigluKernel(const float* gate, const float* up, float* out, int64_t count)
{
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count) {
        const float g = gate[i];
        out[i] = g / (1.f + expf(-g)) * up[i];
    }
}

__global__ void sigmoidKernel(float* x, int64_t count)
{
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count)
        x[i] = 1.f / (1.f + expf(-x[i]));
}

__global__ void rowSumSquaresKernel(const float* x, int64_t cols, float* out)
{
    __shared__ float partial[kThreads / 32];
    const float* row = x + int64_t(blockIdx.x) * cols;
    float ss = 0.f;
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x)
        ss += row[i] * row[i];
    for (int offset = 16; offset > 0; offset /= 2)
        ss += __shfl_xor_sync(0xffffffffu, ss, offset);
    if (threadIdx.x % 32 == 0)
        partial[threadIdx.x / 32] = ss;
    __syncthreads();
    if (threadIdx.x == 0) {
        float sum = 0.f;
        for (int w = 0; w < kThreads / 32; ++w)
            sum += partial[w];
        out[blockIdx.x] = sum;
    }
}

__global__ void scaleByRmsKernel(float* x, int64_t cols, const float* sumSq, float width, float eps, const float* w,
                                 int64_t count)
{
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count)
        x[i] = x[i] * rsqrtf(sumSq[i / cols] / width + eps) * w[i % cols];
}

__global__ void addBiasKernel(float* y, const float* bias, int64_t cols, int64_t count)
{
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count)
        y[i] += bias[i % cols];
}

__global__ void toF16Kernel(const float* x, __half* out, int64_t count)
{
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count)
        out[i] = __float2half_rn(x[i]);
}

__global__ void toBf16Kernel(const float* x, __nv_bfloat16* out, int64_t count)
{
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < count)
        out[i] = __float2bfloat16_rn(x[i]);
}

template <WeightType T>
__global__ void dequantizeKernel(const void* w, int64_t rows, int64_t cols, __half* out)
{
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < rows * cols)
        out[i] = __float2half_rn(loadWeight<T>(w, i / cols, cols, i % cols));
}

} // namespace

void launchAdd(float* x, const float* y, int64_t count, cudaStream_t stream)
{
    if (count > 0)
        addKernel<<<blocksFor(count, kThreads), kThreads, 0, stream>>>(x, y, count);
}

void launchRowSumSquares(const float* x, int64_t n, int64_t cols, float* out, cudaStream_t stream)
{
    if (n > 0)
        rowSumSquaresKernel<<<unsigned(n), kThreads, 0, stream>>>(x, cols, out);
}

void launchScaleByRms(float* x, int64_t n, int64_t cols, const float* sumSq, int64_t width, float eps, const float* w,
                      cudaStream_t stream)
{
    if (n * cols > 0)
        scaleByRmsKernel<<<blocksFor(n * cols, kThreads), kThreads, 0, stream>>>(x, cols, sumSq, float(width), eps, w,
                                                                                 n * cols);
}

void launchAddScaledRows(float* x, const float* y, const float* rowScale, int64_t n, int64_t cols, cudaStream_t stream)
{
    if (n * cols > 0)
        addScaledRowsKernel<<<blocksFor(n * cols, kThreads), kThreads, 0, stream>>>(x, y, rowScale, cols, n * cols);
}

void launchSwiglu(const float* gate, const float* up, float* out, int64_t count, cudaStream_t stream)
{
    if (count > 0)
        swigluKernel<<<blocksFor(count, kThreads), kThreads, 0, stream>>>(gate, up, out, count);
}

void launchSigmoid(float* x, int64_t count, cudaStream_t stream)
{
    if (count > 0)
        sigmoidKernel<<<blocksFor(count, kThreads), kThreads, 0, stream>>>(x, count);
}

void launchAddBias(float* y, const float* bias, int64_t n, int64_t cols, cudaStream_t stream)
{
    if (n * cols > 0)
        addBiasKernel<<<blocksFor(n * cols, kThreads), kThreads, 0, stream>>>(y, bias, cols, n * cols);
}

void launchConvertActivations(const float* x, void* out, int64_t count, bool toBf16, cudaStream_t stream)
{
    if (count <= 0)
        return;
    if (toBf16)
        toBf16Kernel<<<blocksFor(count, kThreads), kThreads, 0, stream>>>(x, static_cast<__nv_bfloat16*>(out), count);
    else
        toF16Kernel<<<blocksFor(count, kThreads), kThreads, 0, stream>>>(x, static_cast<__half*>(out), count);
}

void launchDequantizeToF16(int weightType, const void* w, int64_t rows, int64_t cols, void* out, cudaStream_t stream)
{
    const int64_t count = rows * cols;
    if (count <= 0)
        return;
    auto* o = static_cast<__half*>(out);
    const unsigned grid = blocksFor(count, kThreads);
    switch (WeightType(weightType)) {
    case WeightType::F32: dequantizeKernel<WeightType::F32><<<grid, kThreads, 0, stream>>>(w, rows, cols, o); break;
    case WeightType::F16: dequantizeKernel<WeightType::F16><<<grid, kThreads, 0, stream>>>(w, rows, cols, o); break;
    case WeightType::BF16: dequantizeKernel<WeightType::BF16><<<grid, kThreads, 0, stream>>>(w, rows, cols, o); break;
    case WeightType::Q8_0: dequantizeKernel<WeightType::Q8_0><<<grid, kThreads, 0, stream>>>(w, rows, cols, o); break;
    case WeightType::Q4_0: dequantizeKernel<WeightType::Q4_0><<<grid, kThreads, 0, stream>>>(w, rows, cols, o); break;
    }
}

} // namespace moe::cuda
