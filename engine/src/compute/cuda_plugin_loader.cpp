// Finds and opens the CUDA backend library (libmoe_cuda.so) once per process, and
// turns its C entry points back into C++ objects and moe::Error.
//
// Search order: $MOE_CUDA_BACKEND (a path), next to the executable, the installed
// layout (<prefix>/lib/moe-workbench/), then the build tree this engine was built in.
#include "compute/cuda_plugin_abi.h"

#include "moe/backend.h"
#include "moe/communicator.h"
#include "moe/devices.h"
#include "moe/error.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <vector>

namespace moe {
namespace {

constexpr const char* kLibraryName = "libmoe_cuda.so";

struct LoadedPlugin {
    const MoeCudaPlugin* api = nullptr;
    CudaBackendStatus status;
};

std::string executableDir()
{
    char buf[PATH_MAX] = {};
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return {};
    std::string path(buf, size_t(n));
    return path.substr(0, path.find_last_of('/'));
}

std::vector<std::string> candidatePaths()
{
    if (const char* env = std::getenv("MOE_CUDA_BACKEND"); env && *env)
        return {env}; // an explicit choice is the only one tried
    std::vector<std::string> paths;
    const std::string exe = executableDir();
    if (!exe.empty()) {
        paths.push_back(exe + "/" + kLibraryName);
        paths.push_back(exe + "/../lib/moe-workbench/" + kLibraryName);
    }
#ifdef MOE_CUDA_PLUGIN_BUILD_DIR
    paths.push_back(std::string(MOE_CUDA_PLUGIN_BUILD_DIR) + "/" + kLibraryName);
#endif
    return paths;
}

LoadedPlugin load()
{
    LoadedPlugin p;
    std::string tried;
    for (const std::string& path : candidatePaths()) {
        if (access(path.c_str(), R_OK) != 0) {
            tried += (tried.empty() ? "" : ", ") + path;
            continue;
        }
        p.status.library = path;
        void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            // Typically a missing libcublas / libnccl: dlerror() names it.
            p.status.reason = std::string("cannot open the CUDA backend: ") + dlerror();
            return p;
        }
        auto entry = reinterpret_cast<MoeCudaPluginEntry>(dlsym(handle, MOE_CUDA_PLUGIN_ENTRY));
        const MoeCudaPlugin* api = entry ? entry() : nullptr;
        if (!api) {
            p.status.reason = path + " is not a MoE Workbench CUDA backend (no " MOE_CUDA_PLUGIN_ENTRY ")";
            return p;
        }
        if (api->abiVersion != MOE_CUDA_PLUGIN_ABI) {
            p.status.reason = path + " was built for interface version " + std::to_string(api->abiVersion) +
                              ", this program needs " + std::to_string(MOE_CUDA_PLUGIN_ABI) + " (rebuild it)";
            return p;
        }
        // Never dlclose()d: objects it made may live until exit.
        p.api = api;
        p.status.loaded = true;
        p.status.buildInfo = api->buildInfo ? api->buildInfo : "";
        return p;
    }
    p.status.reason = "this build has no CUDA backend library (" + std::string(kLibraryName) +
                      " not found; looked at " + (tried.empty() ? "nothing" : tried) + ")";
    return p;
}

const LoadedPlugin& plugin()
{
    static const LoadedPlugin loaded = load();
    return loaded;
}

[[noreturn]] void rethrow(const MoeCudaPluginError& e)
{
    throw Error(ErrorCode(e.code), e.file, e.field, e.detail);
}

} // namespace

CudaBackendStatus cudaBackendStatus() { return plugin().status; }

std::unique_ptr<Backend> createCudaBackend(int device)
{
    // The driver's own view first: "no driver" and "no such GPU" read better from it
    // than from the runtime's "driver version is insufficient".
    const DeviceReport report = discoverDevices();
    const std::string label = "cuda:" + std::to_string(device);
    if (report.cuda.empty())
        throw Error(ErrorCode::UnsupportedType, label, "devices", report.reason);
    if (device < 0 || device >= int(report.cuda.size())) {
        std::string list;
        for (const CudaDeviceInfo& d : report.cuda)
            list += (list.empty() ? "" : ", ") + ("cuda:" + std::to_string(d.index)) + " " + d.name;
        throw Error(ErrorCode::InvalidArgument, label, "devices",
                    label + " does not exist; this machine has " + list);
    }
    const LoadedPlugin& p = plugin();
    if (!p.api)
        throw Error(ErrorCode::UnsupportedType, p.status.library, "devices", p.status.reason);
    MoeCudaPluginError err{};
    Backend* backend = p.api->createBackend(device, &err);
    if (!backend)
        rethrow(err);
    return std::unique_ptr<Backend>(backend);
}

std::unique_ptr<Communicator> createNcclCommunicator(std::span<const int> cudaDevices)
{
    const LoadedPlugin& p = plugin();
    if (!p.api || !p.api->createNcclCommunicator)
        throw Error(ErrorCode::UnsupportedType, p.status.library, "devices",
                    p.api ? "the CUDA backend was built without NCCL" : p.status.reason);
    MoeCudaPluginError err{};
    Communicator* comm = p.api->createNcclCommunicator(cudaDevices.data(), int(cudaDevices.size()), &err);
    if (!comm)
        rethrow(err);
    return std::unique_ptr<Communicator>(comm);
}

bool ncclAvailable()
{
    const LoadedPlugin& p = plugin();
    return p.api && p.api->createNcclCommunicator;
}

} // namespace moe
