// Elementwise ops on F32 activations, and the conversions the cuBLAS path needs
// (activations to F16 / BF16, quantized weights to F16).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moe::cuda {

void launchAdd(float* x, const float* y, int64_t count, cudaStream_t stream);                 // x += y
void launchAddScaledRows(float* x, const float* y, const float* rowScale, int64_t n, int64_t cols,
                         cudaStream_t stream);                                                  // x[t] += s[t] y[t]
void launchSwiglu(const float* gate, const float* up, float* out, int64_t count, cudaStream_t stream);
void launchSigmoid(float* x, int64_t count, cudaStream_t stream);
// out[t] = sum of x[t, :]^2; x[t, i] *= w[i] / sqrt(sumSq[t] / width + eps) (a norm split
// over devices: Backend::rowSumSquares / scaleByRms).
void launchRowSumSquares(const float* x, int64_t n, int64_t cols, float* out, cudaStream_t stream);
void launchScaleByRms(float* x, int64_t n, int64_t cols, const float* sumSq, int64_t width, float eps, const float* w,
                      cudaStream_t stream);
void launchAddBias(float* y, const float* bias, int64_t n, int64_t cols, cudaStream_t stream); // y[t] += bias
// F32 -> F16 (toBf16 = false) or BF16, `count` elements.
void launchConvertActivations(const float* x, void* out, int64_t count, bool toBf16, cudaStream_t stream);
// Any weight type -> F16 matrix [rows, cols].
void launchDequantizeToF16(int weightType, const void* w, int64_t rows, int64_t cols, void* out, cudaStream_t stream);

} // namespace moe::cuda
