// moe/devices.h — what this machine offers the engine: the CPU (cores, memory, SIMD)
// and NVIDIA GPUs. GPUs are found through the CUDA driver library loaded at run time
// (dlopen "libcuda.so.1", or $MOE_CUDA_DRIVER), so one binary runs on machines with and
// without NVIDIA drivers; when none is found, `reason` says why (no driver library, the
// driver refused to start, no device), which `moe info --devices` and the load dialog show.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moe {

struct CpuDeviceInfo {
    std::string name;          // "AMD EPYC 7B13"
    int logicalCores = 0;
    uint64_t memoryBytes = 0;  // physical memory
    uint64_t availableBytes = 0; // MemAvailable
    bool avx2 = false;
    bool avx512 = false;
    std::string simd;          // the kernels the engine will use ("avx2", "scalar")
};

struct CudaDeviceInfo {
    int index = 0;
    std::string name;          // "NVIDIA H100 80GB HBM3"
    uint64_t memoryBytes = 0;
    int computeMajor = 0, computeMinor = 0;
    int multiprocessors = 0;
    double memoryBandwidthGbPerSecond = 0; // 2 x memory clock x bus width (theoretical peak)
    std::string pciBusId;      // "0000:3b:00.0"
};

struct DeviceReport {
    CpuDeviceInfo cpu;
    std::vector<CudaDeviceInfo> cuda;
    int cudaDriverVersion = 0; // e.g. 12040 for 12.4; 0 when no driver was loaded
    std::string cudaDriverLibrary; // the library that was loaded or tried
    std::string reason;        // why there are no CUDA devices ("" when some were found)
    // The CUDA backend library (kernels/, opened at run time): where, what it was built
    // with, or why it could not be opened.
    bool cudaBackendLoaded = false;
    std::string cudaBackendLibrary;
    std::string cudaBackendBuild;  // "CUDA runtime 13.0, cuBLAS 13.0, NCCL 2.27.7, ..."
    std::string cudaBackendReason;
    bool ncclBuilt = false;    // the CUDA backend has the NCCL communicator
    // Whether the engine can compute on the GPUs found: a GPU and the backend library.
    bool cudaComputeAvailable = false;
};

// Never throws for a missing driver or device: the report says why.
DeviceReport discoverDevices();

} // namespace moe
