// Memory read bandwidth probe: each thread streams its own slice of a large buffer
// (first-touched by that thread, so pages sit on its NUMA node), all threads start
// together, and the slowest thread's end closes the pass.
#include "moe/bandwidth_probe.h"

#include "moe/backend.h"
#include "moe/error.h"
#include "moe/tensor.h"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>
#include <vector>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MOE_PROBE_X86 1
#endif

namespace moe {
namespace {

// 1 GiB at least: on this project's VMs a 256 MiB buffer still read partly from cache
// (43 GB/s against 23.5 GB/s for 1 GiB, the rate a 1-2 GB model's decode actually sees),
// which inflated the roofline.
constexpr uint64_t kMinBytes = uint64_t(1) << 30;
constexpr uint64_t kChunk = 256; // bytes per loop iteration in both paths

uint64_t readScalar(const uint8_t* p, uint64_t bytes)
{
    const auto* w = reinterpret_cast<const uint64_t*>(p);
    uint64_t a = 0, b = 0, c = 0, d = 0;
    for (uint64_t i = 0; i < bytes / 8; i += 32) {
        for (int j = 0; j < 32; j += 4) {
            a ^= w[i + j];
            b ^= w[i + j + 1];
            c ^= w[i + j + 2];
            d ^= w[i + j + 3];
        }
    }
    return a ^ b ^ c ^ d;
}

#ifdef MOE_PROBE_X86
// Eight independent 32-byte loads per iteration keep enough requests in flight to
// saturate the memory controller; XOR is the cheapest way to make them observable.
__attribute__((target("avx2"))) uint64_t readAvx2(const uint8_t* p, uint64_t bytes)
{
    __m256i acc[8];
    for (__m256i& a : acc)
        a = _mm256_setzero_si256();
    for (uint64_t off = 0; off < bytes; off += kChunk) {
        const auto* v = reinterpret_cast<const __m256i*>(p + off);
        for (int j = 0; j < 8; ++j)
            acc[j] = _mm256_xor_si256(acc[j], _mm256_load_si256(v + j));
    }
    for (int j = 1; j < 8; ++j)
        acc[0] = _mm256_xor_si256(acc[0], acc[j]);
    alignas(32) uint64_t lanes[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc[0]);
    return lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3];
}

bool haveAvx2() { return __builtin_cpu_supports("avx2"); }
#else
uint64_t readAvx2(const uint8_t* p, uint64_t bytes) { return readScalar(p, bytes); }
bool haveAvx2() { return false; }
#endif

uint64_t parseCacheSize(const std::string& text)
{
    // sysfs spells it "32768K" or "36M".
    char* end = nullptr;
    uint64_t v = std::strtoull(text.c_str(), &end, 10);
    if (end && (*end == 'K' || *end == 'k'))
        v <<= 10;
    else if (end && (*end == 'M' || *end == 'm'))
        v <<= 20;
    return v;
}

struct AlignedBuffer {
    explicit AlignedBuffer(uint64_t bytes)
        : data(static_cast<uint8_t*>(std::aligned_alloc(4096, bytes)))
    {
        if (!data)
            throw Error(ErrorCode::OutOfMemory, "", "bytes",
                        "cannot allocate " + std::to_string(bytes) + " bytes for the bandwidth probe");
    }
    ~AlignedBuffer() { std::free(data); }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    uint8_t* data;
};

} // namespace

uint64_t lastLevelCacheBytes()
{
    uint64_t best = 0;
    for (int index = 0; index < 8; ++index) {
        std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/size");
        std::string text;
        if (!(f >> text))
            break;
        best = std::max(best, parseCacheSize(text));
    }
#ifdef _SC_LEVEL3_CACHE_SIZE
    if (best == 0) {
        const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
        if (l3 > 0)
            best = uint64_t(l3);
    }
#endif
    return best;
}

BandwidthProbeResult probeMemoryBandwidth(const BandwidthProbeOptions& options)
{
    BandwidthProbeResult r;
    r.threads = options.threads > 0 ? options.threads : int(std::max(1u, std::thread::hardware_concurrency()));
    r.passes = std::max(1, options.passes);
    r.avx2 = haveAvx2();
    uint64_t bytes = options.bytes > 0 ? options.bytes : std::max(kMinBytes, 4 * lastLevelCacheBytes());
    // Every thread gets a whole number of 4 KiB pages (a multiple of the loop's chunk).
    const uint64_t perThread = std::max<uint64_t>(4096, (bytes / uint64_t(r.threads)) / 4096 * 4096);
    r.bytes = perThread * uint64_t(r.threads);
    AlignedBuffer buffer(r.bytes);

    std::barrier sync(r.threads + 1);
    std::atomic<uint64_t> sink{0};
    std::vector<std::thread> workers;
    workers.reserve(size_t(r.threads));
    for (int t = 0; t < r.threads; ++t) {
        workers.emplace_back([&, t] {
            uint8_t* mine = buffer.data + perThread * uint64_t(t);
            std::memset(mine, t + 1, perThread); // first touch on this thread's node
            sync.arrive_and_wait();
            uint64_t local = 0;
            for (int pass = 0; pass < r.passes; ++pass) {
                sync.arrive_and_wait(); // start together
                local ^= r.avx2 ? readAvx2(mine, perThread) : readScalar(mine, perThread);
                sync.arrive_and_wait(); // the pass ends when the slowest thread is done
            }
            sink.fetch_xor(local, std::memory_order_relaxed);
        });
    }
    sync.arrive_and_wait(); // buffer initialised
    double bestSeconds = 0;
    for (int pass = 0; pass < r.passes; ++pass) {
        sync.arrive_and_wait();
        const auto t0 = std::chrono::steady_clock::now();
        sync.arrive_and_wait();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (pass == 0 || s < bestSeconds)
            bestSeconds = s;
    }
    for (std::thread& w : workers)
        w.join();
    r.gbPerSecond = bestSeconds > 0 ? double(r.bytes) / bestSeconds / 1e9 : 0.0;
    return r;
}

double measureMemoryBandwidth(int threads, uint64_t bytes)
{
    BandwidthProbeOptions o;
    o.threads = threads;
    o.bytes = bytes;
    return probeMemoryBandwidth(o).gbPerSecond;
}

} // namespace moe

// ---- the decode-kernel probe ----
namespace moe {

MatmulProbeResult probeMatmulBandwidth(const MatmulProbeOptions& options)
{
    if (options.rows < 1 || options.cols < 1 || options.passes < 1)
        throw Error(ErrorCode::InvalidArgument, "", "matmul probe", "rows, cols and passes must be positive");
    const DTypeInfo& info = dtypeInfo(options.dtype);
    if (options.cols % info.blockElements != 0)
        throw Error(ErrorCode::InvalidArgument, "", "matmul probe",
                    std::string("cols must be a multiple of the ") + info.name + " block size");
    const uint64_t rowSize = *rowBytes(options.dtype, uint64_t(options.cols));
    const uint64_t matrixBytes = rowSize * uint64_t(options.rows);
    const uint64_t pool = options.bytes ? options.bytes : std::max<uint64_t>(4 * lastLevelCacheBytes(), 512ull << 20);
    const int64_t matrices = int64_t(std::max<uint64_t>(2, (pool + matrixBytes - 1) / matrixBytes));

    // One matrix of random values in the dtype, copied into every slot of the pool
    // (same bytes, different memory: each matmul still streams from DRAM).
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.f, 0.02f);
    std::vector<float> row(size_t(options.cols));
    std::vector<uint8_t> first(matrixBytes);
    for (int64_t r = 0; r < options.rows; ++r) {
        for (float& v : row)
            v = normal(rng);
        quantizeRow(options.dtype, row.data(), first.data() + uint64_t(r) * rowSize, row.size());
    }
    std::vector<uint8_t> weights(matrixBytes * uint64_t(matrices));
    for (int64_t m = 0; m < matrices; ++m)
        std::memcpy(weights.data() + uint64_t(m) * matrixBytes, first.data(), matrixBytes);

    CpuBackendOptions bo;
    bo.threads = options.threads;
    std::unique_ptr<Backend> backend = createCpuBackend(bo);
    BackendReservation reservation;
    reservation.maxTokens = 1;
    reservation.maxWidth = std::max(options.rows, options.cols);
    reservation.hiddenSize = options.cols;
    backend->reserve(reservation);
    std::vector<DeviceTensor> w;
    w.reserve(size_t(matrices));
    for (int64_t m = 0; m < matrices; ++m) {
        WeightView v;
        v.dtype = options.dtype;
        v.shape = Shape{options.rows, options.cols};
        v.data = weights.data() + uint64_t(m) * matrixBytes;
        v.bytes = matrixBytes;
        w.push_back(backend->weight(v));
    }
    DeviceTensor x = backend->allocate(DType::F32, Shape{1, options.cols});
    DeviceTensor y = backend->allocate(DType::F32, Shape{1, options.rows});
    for (float& v : row)
        v = normal(rng);
    backend->upload(row.data(), x, uint64_t(options.cols) * sizeof(float));

    MatmulProbeResult result;
    result.matrixBytes = matrixBytes;
    result.matrices = matrices;
    result.threads = backend->threadCount();
    // The mean of the timed passes, not the best: decode is sustained, and a run's
    // tokens/s averages over every step, slow ones included.
    double total = 0;
    for (int pass = 0; pass <= options.passes; ++pass) { // pass 0 warms up (page faults)
        const auto start = std::chrono::steady_clock::now();
        for (const DeviceTensor& t : w)
            backend->matmul(x, t, nullptr, y);
        backend->synchronize();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (pass > 0)
            total += s;
    }
    const double mean = total / double(options.passes);
    backend->release(x);
    backend->release(y);
    result.gbPerSecond = double(matrixBytes) * double(matrices) / mean / 1e9;
    result.secondsPerMatmul = mean / double(matrices);
    return result;
}

} // namespace moe
