// moe/bandwidth_probe.h — measured memory read bandwidth, the denominator of every
// roofline figure (`moe bench`, the planner's "what would this machine do" check).
//
// Decode of an MoE model reads the active weights once per token, so tokens per second
// cannot exceed bandwidth / active bytes. The probe streams a buffer several times the
// last-level cache with wide loads from `threads` threads and keeps the best pass.
#pragma once

#include "moe/dtype.h"

#include <cstdint>

namespace moe {

struct BandwidthProbeOptions {
    int threads = 0;        // 0 = hardware concurrency
    uint64_t bytes = 0;     // buffer size; 0 = max(4 x last-level cache, 1 GiB)
    int passes = 5;         // timed passes; the best one is reported
};

struct BandwidthProbeResult {
    double gbPerSecond = 0; // 1e9 bytes per second, best pass
    uint64_t bytes = 0;     // buffer actually used
    int threads = 0;
    int passes = 0;
    bool avx2 = false;      // the AVX2 loop ran (else the scalar fallback)
};

// Throws Error(OutOfMemory) when the buffer cannot be allocated.
BandwidthProbeResult probeMemoryBandwidth(const BandwidthProbeOptions& options = {});

// What the engine's own decode kernel reaches: one-token matmuls (y = x · Wᵀ, the GEMV a
// decode step runs per weight matrix) through the CPU backend, over a pool of distinct
// [rows, cols] matrices of `dtype` too large for the caches, so every matrix streams
// from DRAM as decode weights do. Includes the per-matmul costs a raw read loop does
// not pay (thread hand-off, dequantising, the activation row). `moe plan --validate`
// uses it as the CPU's achievable bandwidth for the model's weight type and shape.
struct MatmulProbeOptions {
    int threads = 0;        // 0 = hardware concurrency
    DType dtype = DType::F16;
    int64_t rows = 1408;    // output features (a typical expert FFN width)
    int64_t cols = 2048;    // input features; a multiple of the dtype's block size
    uint64_t bytes = 0;     // weight pool; 0 = max(4 x last-level cache, 512 MiB)
    int passes = 3;         // timed passes over the pool; their mean is reported
};
struct MatmulProbeResult {
    double gbPerSecond = 0;       // weight bytes streamed per second, mean of the passes
    double secondsPerMatmul = 0;  // mean pass / matrices
    uint64_t matrixBytes = 0;
    int64_t matrices = 0;
    int threads = 0;
};
MatmulProbeResult probeMatmulBandwidth(const MatmulProbeOptions& options = {});

// Read bandwidth in GB/s (1e9 bytes / s); `bytes` = 0 picks the default size.
double measureMemoryBandwidth(int threads = 0, uint64_t bytes = 0);

// Size of the last-level cache in bytes (0 when the system does not say).
uint64_t lastLevelCacheBytes();

} // namespace moe
