// Internal: the one entry point of the CUDA backend library (kernels/, libmoe_cuda.so),
// shared by the engine, which dlopen()s it, and the library, which implements it.
//
// Why a plugin: the engine links no CUDA library, so one binary runs on machines with
// and without NVIDIA drivers; the library brings cudart, cuBLAS and NCCL with it and
// is only opened when a model is loaded on a GPU (or `moe info --devices` asks).
// Both sides are built from the same tree by the same compiler, so C++ objects
// (Backend, Communicator) cross the boundary; errors cross as code + text, because an
// exception should not unwind through dlsym'd C entry points.
#pragma once

#include <cstddef>

namespace moe {
class Backend;
class Communicator;
} // namespace moe

extern "C" {

// Bumped whenever MoeCudaPlugin or the Backend / Communicator interfaces change, so a
// stale library from an older build is refused with a message instead of crashing.
#define MOE_CUDA_PLUGIN_ABI 4
#define MOE_CUDA_PLUGIN_ENTRY "moe_cuda_plugin"

struct MoeCudaPluginError {
    int code;            // moe::ErrorCode
    char file[256];
    char field[128];
    char detail[768];
};

struct MoeCudaPlugin {
    int abiVersion;
    const char* buildInfo; // "CUDA 13.0, cuBLAS 13.0.0, NCCL 2.27.3, sm_90"
    // The backend on CUDA device `device`; null with `error` filled when it cannot start.
    moe::Backend* (*createBackend)(int device, MoeCudaPluginError* error);
    // One NCCL communicator over `devices`; null with `error` filled on failure.
    moe::Communicator* (*createNcclCommunicator)(const int* devices, int count, MoeCudaPluginError* error);
};

typedef const MoeCudaPlugin* (*MoeCudaPluginEntry)(void);

} // extern "C"
