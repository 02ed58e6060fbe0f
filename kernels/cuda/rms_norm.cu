#include "rms_norm.cuh"

#include "common.cuh"

namespace moe::cuda {
namespace {

// One block per (row, group). Each thread reads its elements twice (sum of squares,
// then scale), so in-place use is safe: a thread only writes what it alone read.
__global__ void rmsNormKernel(const float* x, const float* w, int64_t wCount, float eps, int64_t cols, int64_t group,
                              float* out)
{
    __shared__ float partial[32];
    const int64_t groups = cols / group;
    const int64_t row = blockIdx.x / groups, g = blockIdx.x % groups;
    const float* xs = x + row * cols + g * group;
    float* os = out + row * cols + g * group;
    const float* ws = wCount == cols ? w + g * group : w;
    float ss = 0.f;
    for (int64_t i = threadIdx.x; i < group; i += blockDim.x)
        ss += xs[i] * xs[i];
    ss = blockSum(ss, partial);
    const float inv = rsqrtf(ss / float(group) + eps);
    for (int64_t i = threadIdx.x; i < group; i += blockDim.x)
        os[i] = xs[i] * inv * ws[i];
}

} // namespace

void launchRmsNorm(const float* x, const float* w, int64_t wCount, float eps, int64_t n, int64_t cols, int64_t group,
                   float* out, cudaStream_t stream)
{
    if (n <= 0)
        return;
    const int threads = group >= 1024 ? 1024 : group >= 256 ? 256 : 128;
    rmsNormKernel<<<unsigned(n * (cols / group)), threads, 0, stream>>>(x, w, wCount, eps, cols, group, out);
}

} // namespace moe::cuda
