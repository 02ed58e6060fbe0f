// The library's one exported symbol (see engine/src/compute/cuda_plugin_abi.h): errors
// are caught here and handed back as code + text, never unwound across dlsym.
#include "compute/cuda_plugin_abi.h"

#include "cuda_backend.h"

#include "moe/communicator.h"
#include "moe/error.h"

#include <cublas_api.h>
#include <cuda_runtime_api.h>
#ifdef MOE_CUDA_WITH_NCCL
#include <nccl.h>
#endif

#include <cstdio>
#include <cstring>
#include <span>

namespace moe {
#ifdef MOE_CUDA_WITH_NCCL
Communicator* newNcclCommunicator(std::span<const int> cudaDevices); // nccl_communicator.cpp
#endif
} // namespace moe

namespace {

void copyText(char* dst, size_t size, const std::string& text)
{
    std::snprintf(dst, size, "%s", text.c_str());
}

void report(MoeCudaPluginError* err, const moe::Error& e)
{
    if (!err)
        return;
    err->code = int(e.code());
    copyText(err->file, sizeof err->file, e.file());
    copyText(err->field, sizeof err->field, e.field());
    copyText(err->detail, sizeof err->detail, e.detail());
}

template <class Fn>
auto guarded(MoeCudaPluginError* err, Fn&& fn) -> decltype(fn())
{
    try {
        return fn();
    } catch (const moe::Error& e) {
        report(err, e);
    } catch (const std::bad_alloc&) {
        report(err, moe::Error(moe::ErrorCode::OutOfMemory, "", "cuda", "out of host memory"));
    } catch (const std::exception& e) {
        report(err, moe::Error(moe::ErrorCode::Io, "", "cuda", e.what()));
    }
    return nullptr;
}

moe::Backend* createBackend(int device, MoeCudaPluginError* err)
{
    return guarded(err, [&]() -> moe::Backend* { return new moe::cuda::CudaBackend(device); });
}

#ifdef MOE_CUDA_WITH_NCCL
moe::Communicator* createNccl(const int* devices, int count, MoeCudaPluginError* err)
{
    return guarded(err, [&]() -> moe::Communicator* {
        return moe::newNcclCommunicator(std::span<const int>(devices, size_t(count)));
    });
}
#endif

std::string buildInfo()
{
    std::string s = "CUDA runtime " + std::to_string(CUDART_VERSION / 1000) + "." +
                    std::to_string(CUDART_VERSION % 1000 / 10) + ", cuBLAS " + std::to_string(CUBLAS_VER_MAJOR) + "." +
                    std::to_string(CUBLAS_VER_MINOR);
#ifdef MOE_CUDA_WITH_NCCL
    s += ", NCCL " + std::to_string(NCCL_MAJOR) + "." + std::to_string(NCCL_MINOR) + "." + std::to_string(NCCL_PATCH);
#else
    s += ", no NCCL";
#endif
    s += ", kernels for sm_" MOE_CUDA_ARCHITECTURES;
    return s;
}

} // namespace

extern "C" __attribute__((visibility("default"))) const MoeCudaPlugin* moe_cuda_plugin(void)
{
    static const std::string info = buildInfo();
    static const MoeCudaPlugin plugin = {
        MOE_CUDA_PLUGIN_ABI,
        info.c_str(),
        &createBackend,
#ifdef MOE_CUDA_WITH_NCCL
        &createNccl,
#else
        nullptr,
#endif
    };
    return &plugin;
}
