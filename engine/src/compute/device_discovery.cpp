// discoverDevices(): the CPU from /proc and cpuid, NVIDIA GPUs through the CUDA driver
// API loaded with dlopen (no link-time dependency on the driver).
#include "moe/devices.h"

#include "cpu_features.h"

#include "moe/backend.h"
#include "moe/communicator.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace moe {
namespace {

std::string procField(const char* file, const char* key)
{
    std::ifstream f(file);
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(key, 0) == 0) {
            const size_t colon = line.find(':');
            if (colon == std::string::npos)
                return {};
            std::string v = line.substr(colon + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            return v;
        }
    return {};
}

CpuDeviceInfo cpuInfo()
{
    CpuDeviceInfo c;
    c.name = procField("/proc/cpuinfo", "model name");
    c.logicalCores = int(std::max(1u, std::thread::hardware_concurrency()));
    c.memoryBytes = uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE));
    c.availableBytes = std::strtoull(procField("/proc/meminfo", "MemAvailable").c_str(), nullptr, 10) * 1024;
    c.avx2 = cpuSupportsAvx2();
    __builtin_cpu_init();
    c.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    c.simd = cpuSimdName(cpuSimdLevel());
    return c;
}

// The CUDA driver API entry points we use (cuda.h's signatures; CUresult is an int).
using CuInit = int (*)(unsigned);
using CuDriverGetVersion = int (*)(int*);
using CuDeviceGetCount = int (*)(int*);
using CuDeviceGet = int (*)(int*, int);
using CuDeviceGetName = int (*)(char*, int, int);
using CuDeviceTotalMem = int (*)(size_t*, int);
using CuDeviceGetAttribute = int (*)(int*, int, int);
using CuDeviceGetPciBusId = int (*)(char*, int, int);
using CuGetErrorString = int (*)(int, const char**);

// cuda.h's CUdevice_attribute values.
constexpr int kAttrMultiprocessors = 16;
constexpr int kAttrMemoryClockKhz = 36;
constexpr int kAttrBusWidthBits = 37;
constexpr int kAttrComputeMajor = 75;
constexpr int kAttrComputeMinor = 76;

template <class F>
F symbol(void* lib, const char* name)
{
    return reinterpret_cast<F>(dlsym(lib, name));
}

void discoverCuda(DeviceReport& r)
{
    const char* env = std::getenv("MOE_CUDA_DRIVER");
    r.cudaDriverLibrary = env && *env ? env : "libcuda.so.1";
    dlerror();
    void* lib = dlopen(r.cudaDriverLibrary.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char* why = dlerror();
        r.reason = "no NVIDIA driver: cannot load " + r.cudaDriverLibrary + " (" + (why ? why : "unknown error") + ")";
        return;
    }
    auto init = symbol<CuInit>(lib, "cuInit");
    auto version = symbol<CuDriverGetVersion>(lib, "cuDriverGetVersion");
    auto count = symbol<CuDeviceGetCount>(lib, "cuDeviceGetCount");
    auto get = symbol<CuDeviceGet>(lib, "cuDeviceGet");
    auto name = symbol<CuDeviceGetName>(lib, "cuDeviceGetName");
    auto totalMem = symbol<CuDeviceTotalMem>(lib, "cuDeviceTotalMem_v2");
    auto attribute = symbol<CuDeviceGetAttribute>(lib, "cuDeviceGetAttribute");
    auto busId = symbol<CuDeviceGetPciBusId>(lib, "cuDeviceGetPCIBusId");
    auto errorString = symbol<CuGetErrorString>(lib, "cuGetErrorString");
    if (!init || !version || !count || !get || !name || !totalMem || !attribute) {
        r.reason = r.cudaDriverLibrary + " is not a usable CUDA driver (missing driver API entry points)";
        dlclose(lib);
        return;
    }
    auto describe = [&](int rc) {
        const char* text = nullptr;
        if (errorString && errorString(rc, &text) == 0 && text)
            return std::string(text) + " (" + std::to_string(rc) + ")";
        return "error " + std::to_string(rc);
    };
    if (const int rc = init(0); rc != 0) {
        r.reason = "the NVIDIA driver did not start: cuInit failed: " + describe(rc);
        dlclose(lib);
        return;
    }
    version(&r.cudaDriverVersion);
    int n = 0;
    if (const int rc = count(&n); rc != 0 || n == 0) {
        r.reason = rc != 0 ? "cuDeviceGetCount failed: " + describe(rc) : "the NVIDIA driver reports no device";
        dlclose(lib);
        return;
    }
    for (int i = 0; i < n; ++i) {
        int dev = 0;
        if (get(&dev, i) != 0)
            continue;
        CudaDeviceInfo d;
        d.index = i;
        char buf[256] = {};
        if (name(buf, sizeof buf - 1, dev) == 0)
            d.name = buf;
        size_t bytes = 0;
        if (totalMem(&bytes, dev) == 0)
            d.memoryBytes = bytes;
        int clockKhz = 0, busBits = 0;
        attribute(&d.computeMajor, kAttrComputeMajor, dev);
        attribute(&d.computeMinor, kAttrComputeMinor, dev);
        attribute(&d.multiprocessors, kAttrMultiprocessors, dev);
        attribute(&clockKhz, kAttrMemoryClockKhz, dev);
        attribute(&busBits, kAttrBusWidthBits, dev);
        d.memoryBandwidthGbPerSecond = 2.0 * double(clockKhz) * 1e3 * double(busBits) / 8.0 / 1e9;
        char bus[64] = {};
        if (busId && busId(bus, sizeof bus - 1, dev) == 0)
            d.pciBusId = bus;
        r.cuda.push_back(d);
    }
    // The driver stays loaded: a CUDA backend loaded later uses the same one.
}

} // namespace

DeviceReport discoverDevices()
{
    DeviceReport r;
    r.cpu = cpuInfo();
    discoverCuda(r);
    const CudaBackendStatus backend = cudaBackendStatus();
    r.cudaBackendLoaded = backend.loaded;
    r.cudaBackendLibrary = backend.library;
    r.cudaBackendBuild = backend.buildInfo;
    r.cudaBackendReason = backend.reason;
    r.ncclBuilt = ncclAvailable();
    r.cudaComputeAvailable = backend.loaded && !r.cuda.empty();
    return r;
}

} // namespace moe
