// test_backend_ops [--perf] [--filter TEXT] [--cpu-only]: every registered op on the
// CPU backend (reference) and the CUDA backend, compared by normalised MSE (see
// backend_ops.h). --cpu-only puts a one-thread CPU backend under test instead: it keeps
// the harness itself exercised on machines without a GPU (CI).
// Exit 0: all within bounds; 1: a case failed; 77: skipped (no GPU, or no CUDA backend
// in a build without CUDA) — ctest reports 77 as skipped.
#include "backend_ops.h"

#include "moe/devices.h"
#include "moe/error.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

using namespace moe;
using namespace moe::test;

namespace {

constexpr int kSkip = 77;
constexpr uint64_t kSeed = 1234;

std::vector<float> runOn(Backend& backend, const OpCase& c)
{
    OpContext ctx(backend, kSeed);
    OpRun run = c.setup(ctx);
    run.run();
    backend.synchronize();
    return run.result();
}

void perf(Backend& backend, const OpCase& c)
{
    OpContext ctx(backend, kSeed);
    OpRun run = c.setup(ctx);
    run.run(); // warm-up
    backend.synchronize();
    constexpr int kRepeats = 50;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRepeats; ++i)
        run.run();
    backend.synchronize();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / kRepeats;
    std::printf("    %9.2f us", seconds * 1e6);
    if (run.bytes > 0)
        std::printf("  %8.1f GB/s", run.bytes / seconds / 1e9);
    if (run.flops > 0)
        std::printf("  %8.3f TFLOP/s", run.flops / seconds / 1e12);
    std::printf("\n");
}

} // namespace

int main(int argc, char** argv)
{
    bool withPerf = false, cpuOnly = false;
    std::string filter;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--perf") == 0)
            withPerf = true;
        else if (std::strcmp(argv[i], "--cpu-only") == 0)
            cpuOnly = true;
        else if (std::strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else {
            std::fprintf(stderr, "usage: test_backend_ops [--perf] [--filter TEXT] [--cpu-only]\n");
            return 2;
        }
    }
    std::unique_ptr<Backend> cuda;
    if (cpuOnly) {
        CpuBackendOptions one;
        one.threads = 1;
        cuda = createCpuBackend(one);
    } else if (const DeviceReport devices = discoverDevices(); devices.cuda.empty()) {
        std::printf("SKIP: no CUDA device: %s\n", devices.reason.c_str());
        return kSkip;
    } else try {
        cuda = createCudaBackend(0);
    } catch (const Error& e) {
#ifdef MOE_TEST_HAS_CUDA
        std::printf("FAIL: a GPU is present but the CUDA backend does not start: %s\n", e.what());
        return 1;
#else
        std::printf("SKIP: built without CUDA: %s\n", e.what());
        return kSkip;
#endif
    }
    std::unique_ptr<Backend> cpu = createCpuBackend();
    std::printf("reference %s\nunder test %s\n", cpu->name().c_str(), cuda->name().c_str());
    int failed = 0, ran = 0;
    for (const OpCase& c : registerCases()) {
        if (!filter.empty() && c.name.find(filter) == std::string::npos)
            continue;
        ++ran;
        try {
            const std::vector<float> want = runOn(*cpu, c);
            const std::vector<float> got = runOn(*cuda, c);
            const double nmse = normalisedMse(got, want);
            const bool ok = nmse <= c.maxNmse;
            failed += ok ? 0 : 1;
            std::printf("%-4s %-58s nmse %.3e (bound %.0e)\n", ok ? "ok" : "FAIL", c.name.c_str(), nmse, c.maxNmse);
            if (withPerf)
                perf(*cuda, c);
        } catch (const std::exception& e) {
            ++failed;
            std::printf("FAIL %-58s %s\n", c.name.c_str(), e.what());
        }
    }
    std::printf("%d of %d cases within bounds\n", ran - failed, ran);
    return failed == 0 ? 0 : 1;
}
