// moe/bandwidth_probe.h — measured memory read bandwidth, the denominator of every
// roofline figure (`moe bench`, the planner's "what would this machine do" check).
//
// Decode of an MoE model reads the active weights once per token, so tokens per second
// cannot exceed bandwidth / active bytes. The probe streams a buffer several times the
// last-level cache with wide loads from `threads` threads and keeps the best pass.
#pragma once

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

// Read bandwidth in GB/s (1e9 bytes / s); `bytes` = 0 picks the default size.
double measureMemoryBandwidth(int threads = 0, uint64_t bytes = 0);

// Size of the last-level cache in bytes (0 when the system does not say).
uint64_t lastLevelCacheBytes();

} // namespace moe
