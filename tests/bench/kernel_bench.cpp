// moe_kernel_bench — how close the CPU kernels get to the machine's limits.
//
//   read bandwidth: STREAM-like sum over 1 GiB, all pool threads (the decode roofline)
//   GEMV (n = 1):   W [5632, 2048] per dtype; weights rotate over >= 512 MiB of copies so
//                   they come from DRAM, not L3 — GB/s of weight bytes vs the read figure
//   GEMM (n = 128): GFLOP/s per dtype (prefill), one copy (cache-resident is realistic:
//                   each expert's weights are read once per prefill chunk anyway)
//   GEMM (n = 32):  the same for one expert's share of a 128-token prefill (top-2 of 8)
//
// Usage: moe_kernel_bench [threads] [--scalar]
#include "compute/cpu_features.h"
#include "core/thread_pool.h"
#include "moe/backend.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

using namespace moe;

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// Sum of 64-bit words with four independent chains; at -O2 this is a vector loop, and
// two chains per core are enough to keep the loads, not the adds, the bottleneck.
uint64_t sumWords(const uint64_t* p, size_t n)
{
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i < n; i += 4) {
        s0 += p[i];
        s1 += p[i + 1];
        s2 += p[i + 2];
        s3 += p[i + 3];
    }
    return s0 + s1 + s2 + s3;
}

double readBandwidthGBs(int threads)
{
    const size_t bytes = size_t(1) << 30;
    const size_t words = bytes / 8;
    std::vector<uint64_t> buf(words);
    for (size_t i = 0; i < words; i += 512)
        buf[i] = i;
    ThreadPool pool(threads);
    const int64_t chunks = 256;
    std::vector<uint64_t> sums(static_cast<size_t>(chunks));
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
        const auto t0 = Clock::now();
        pool.parallelFor(chunks, [&](int64_t c, int) {
            const size_t per = words / size_t(chunks);
            sums[size_t(c)] = sumWords(buf.data() + size_t(c) * per, per);
        });
        best = std::max(best, double(bytes) / seconds(t0, Clock::now()) / 1e9);
    }
    uint64_t total = 0;
    for (uint64_t s : sums)
        total += s;
    std::printf("# checksum %llu\n", static_cast<unsigned long long>(total));
    return best;
}

} // namespace

int main(int argc, char** argv)
{
    int threads = 2;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--scalar") == 0)
            setCpuSimdLevel(CpuSimd::Scalar);
        else
            threads = std::atoi(argv[i]);
    }
    const int64_t in = 2048, out = 5632;
    std::printf("threads %d, simd %s\n", threads, cpuSimdName(cpuSimdLevel()));
    const double readGBs = readBandwidthGBs(threads);
    std::printf("read bandwidth (1 GiB, %d threads): %.2f GB/s\n", threads, readGBs);

    auto backend = createCpuBackend({threads});
    BackendReservation r;
    r.maxTokens = 128;
    r.maxWidth = out;
    r.hiddenSize = in;
    backend->reserve(r);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    std::vector<float> src(size_t(in * out));
    for (float& f : src)
        f = dist(rng);
    std::vector<float> x(size_t(128 * in)), y(size_t(128 * out));
    for (float& f : x)
        f = dist(rng);

    std::printf("%-6s %10s %10s %8s %12s %12s\n", "dtype", "MiB", "GEMV GB/s", "of read", "GEMM GFLOP/s",
                "n=32 GFLOP/s");
    for (DType dtype : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0}) {
        const uint64_t rb = *rowBytes(dtype, uint64_t(in));
        const uint64_t matBytes = rb * uint64_t(out);
        const size_t copies = size_t(std::max<uint64_t>(2, (uint64_t(512) << 20) / matBytes + 1));
        std::vector<std::vector<uint8_t>> mats(copies, std::vector<uint8_t>(matBytes));
        for (int64_t row = 0; row < out; ++row)
            quantizeRow(dtype, src.data() + row * in, mats[0].data() + rb * uint64_t(row), size_t(in));
        for (size_t c = 1; c < copies; ++c)
            mats[c] = mats[0];
        auto tensor = [&](size_t c) {
            DeviceTensor t;
            t.dtype = dtype;
            t.shape = Shape{out, in};
            t.data = mats[c].data();
            t.bytes = matBytes;
            return t;
        };
        auto act = [&](float* p, int64_t n, int64_t cols) {
            DeviceTensor t;
            t.shape = Shape{n, cols};
            t.data = p;
            t.bytes = uint64_t(n * cols * 4);
            return t;
        };
        DeviceTensor x1 = act(x.data(), 1, in), y1 = act(y.data(), 1, out);
        // GEMV: several passes over all copies, best pass.
        double gemvBest = 0;
        for (int pass = 0; pass < 4; ++pass) {
            const auto t0 = Clock::now();
            for (size_t c = 0; c < copies; ++c)
                backend->matmul(x1, tensor(c), nullptr, y1);
            gemvBest = std::max(gemvBest, double(matBytes * copies) / seconds(t0, Clock::now()) / 1e9);
        }
        auto gemmGflops = [&](int64_t n) {
            DeviceTensor xn = act(x.data(), n, in), yn = act(y.data(), n, out);
            backend->matmul(xn, tensor(0), nullptr, yn); // warm-up
            double best = 0;
            for (int rep = 0; rep < 3; ++rep) {
                const auto t0 = Clock::now();
                backend->matmul(xn, tensor(0), nullptr, yn);
                best = std::max(best, 2.0 * double(n) * double(in) * double(out) / seconds(t0, Clock::now()) / 1e9);
            }
            return best;
        };
        const double gemm128 = gemmGflops(128), gemm32 = gemmGflops(32);
        std::printf("%-6s %10.1f %10.2f %7.0f%% %12.1f %12.1f\n", dtypeName(dtype), double(matBytes) / (1 << 20),
                    gemvBest, 100.0 * gemvBest / readGBs, gemm128, gemm32);
    }
    return 0;
}
