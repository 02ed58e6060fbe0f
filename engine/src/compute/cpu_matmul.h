// compute/cpu_matmul.h — partitions matmuls over the thread pool.
//
// Several independent matmuls (the gate and up projections of every active expert)
// can be issued as one batch, so decode pays one pool dispatch for all of them.
// Work units are (job, block of output rows, chunk of tokens); each output element is
// computed by exactly one unit with the same arithmetic whatever thread runs it.
#pragma once

#include "compute/gemm_kernels.h"
#include "core/thread_pool.h"

namespace moe {

struct MatmulJob {
    const float* x = nullptr;              // F32 [n, in], rows contiguous
    const kern::ActQ8Block* xq = nullptr;  // x quantised [n, in / 32]; Q8_0 / Q4_0 weights, unless matmulUsesPackedGemm
    const BlockQ8_K* xqk = nullptr;        // x as Q8_K [n, in / 256]; Q4_K / Q5_K / Q6_K weights (fused dots), else dequantised
    int64_t n = 0;
    int64_t in = 0;
    int64_t out = 0;
    const void* w = nullptr;               // [out, in] of wtype
    DType wtype = DType::F32;
    const float* bias = nullptr;           // F32 [out] or null
    float* y = nullptr;                    // F32 [n, out], overwritten
};

// Per-thread F32 tiles that prefill converts F16 / BF16 weight rows into.
struct MatmulWorkspace {
    float* tiles = nullptr;   // threadCount * tileFloats
    size_t tileFloats = 0;
};

// Whether an n-token matmul takes the packed GEMM (F32 activations, any weight dtype)
// rather than the GEMV tiles; only those need quantised activations for Q8_0 / Q4_0.
bool matmulUsesPackedGemm(CpuSimd simd, DType wtype, int64_t n);

// Tile floats per thread for inputs up to maxIn wide.
size_t matmulTileFloats(int64_t maxIn);

void quantizeActivations(ThreadPool& pool, CpuSimd simd, const float* x, int64_t n, int64_t in,
                         kern::ActQ8Block* xq);

void quantizeActivationsQ8K(ThreadPool& pool, CpuSimd simd, const float* x, int64_t n, int64_t in, BlockQ8_K* xq);

// Whether an n-token matmul of wtype weights reads Q8_K activations (MatmulJob::xqk).
bool matmulUsesKQuantDot(CpuSimd simd, DType wtype, int64_t n);

// At most kMaxMatmulJobs jobs per call; ws must hold tiles for the widest `in`.
inline constexpr int kMaxMatmulJobs = 1024;
void runMatmulJobs(ThreadPool& pool, CpuSimd simd, const MatmulWorkspace& ws, const MatmulJob* jobs, int count);

} // namespace moe
