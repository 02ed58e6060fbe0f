#include "rope.cuh"

#include "common.cuh"

namespace moe::cuda {
namespace {

__global__ void ropeKernel(float* x, int64_t n, int64_t cols, int64_t startPos, const int64_t* devicePos, int64_t heads,
                           int64_t headDim, int64_t rotaryDim, float theta, bool neox)
{
    if (devicePos)
        startPos = *devicePos;
    const int64_t half = rotaryDim / 2;
    const int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= n * heads * half)
        return;
    const int64_t i = idx % half, h = (idx / half) % heads, t = idx / (half * heads);
    // Angles in double, as the CPU does: at position 100k an f32 angle is off by ~0.01 rad.
    const double angle = double(startPos + t) * pow(double(theta), -2.0 * double(i) / double(rotaryDim));
    double s, c;
    sincos(angle, &s, &c);
    const float cs = float(c), sn = float(s);
    float* v = x + t * cols + h * headDim;
    const int64_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
    const float x0 = v[a], x1 = v[b];
    v[a] = x0 * cs - x1 * sn;
    v[b] = x0 * sn + x1 * cs;
}

} // namespace

void launchRope(float* x, int64_t n, int64_t cols, int64_t startPos, const int64_t* devicePos, int64_t heads,
                int64_t headDim, int64_t rotaryDim, float theta, bool neox, cudaStream_t stream)
{
    const int64_t count = n * heads * (rotaryDim / 2);
    if (count == 0)
        return;
    ropeKernel<<<blocksFor(count, 256), 256, 0, stream>>>(x, n, cols, startPos, devicePos, heads, headDim, rotaryDim, theta,
                                                            neox);
}

} // namespace moe::cuda
