// End to end: the same model on the CPU and on cuda:0 gives the same next token at every
// step. For each architecture, the `tiny` preset in F32 and F16 (GGUF): prefill a
// prompt, then 32 greedy steps fed by the CPU's choice, so both engines see the same
// tokens; every step's top-1 must agree and the logits stay within an NMSE bound. A
// Q8_0 file runs too, checked by the looser bound of 8-bit activations on the CPU.
// Telemetry is on, so the GPU copies each layer's routing to the host after the step's
// sync instead of waiting per layer; the experts each token got must match the CPU's.
// With two or more GPUs, tensor / expert parallel plans over them (NCCL) are compared
// with the CPU the same way. Exit 77 (skipped) without a GPU.
#include "backend_ops.h"

#include "test_support.h"

#include "moe/devices.h"
#include "moe/engine.h"
#include "moe/error.h"
#include "moe/model_maker.h"
#include "moe/sampler.h"
#include "moe/tokenizer.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <cstdio>
#include <vector>

using namespace moe;

namespace {

constexpr int kSkip = 77;
constexpr int kSteps = 32;

struct Variant {
    const char* arch;
    DType dtype;
    double maxNmse;
    bool top1Exact;
    int64_t tp = 1, ep = 1; // a parallel plan over tp * ep GPUs (NCCL)
};

bool compareModel(const Variant& v)
{
    test::TempDir dir;
    MakeModelOptions mo;
    mo.architecture = v.arch;
    mo.preset = "tiny";
    mo.seed = 7;
    mo.format = MakeFormat::Gguf;
    mo.dtype = v.dtype;
    mo.outDir = dir.path();
    const MadeModel made = makeModel(mo);

    EngineOptions cpuOptions;
    cpuOptions.contextLength = 128;
    cpuOptions.telemetry = true; // the GPU's routing copy arrives after each step's sync
    EngineOptions cudaOptions = cpuOptions;
    std::string list = "cuda:0";
    for (int64_t d = 1; d < v.tp * v.ep; ++d)
        list += "," + std::to_string(d);
    parseDeviceList(list, cudaOptions.parallel);
    cudaOptions.parallel.tp = v.tp;
    cudaOptions.parallel.ep = v.ep;
    auto cpu = Engine::load(made.ggufPath, cpuOptions);
    auto gpu = Engine::load(made.ggufPath, cudaOptions);
    const auto cpuSteps = cpu->telemetry().subscribe(kSteps + 8);
    const auto gpuSteps = gpu->telemetry().subscribe(kSteps + 8);

    std::vector<int32_t> tokens = cpu->tokenizer().encode("The quick brown fox jumps over the lazy dog, and then");
    std::span<const float> want = cpu->forward(tokens);
    std::span<const float> got = gpu->forward(tokens);
    int mismatches = 0;
    double worst = 0;
    for (int step = 0; step <= kSteps; ++step) {
        const std::vector<float> a(want.begin(), want.end()), b(got.begin(), got.end());
        const double nmse = test::normalisedMse(b, a);
        worst = std::max(worst, nmse);
        const int32_t next = argmax(want);
        if (argmax(got) != next)
            ++mismatches;
        if (nmse > v.maxNmse) {
            std::printf("FAIL %s %s step %d: logits nmse %.3e > %.0e\n", v.arch, dtypeName(v.dtype), step, nmse,
                        v.maxNmse);
            return false;
        }
        if (step == kSteps)
            break;
        const int32_t one[1] = {next};
        want = cpu->forward(one);
        got = gpu->forward(one);
    }
    // Telemetry: the same expert set per token and layer (near-ties of the router logits
    // may flip a few; a copy that never arrived would give zeros or garbage).
    std::vector<StepTelemetryPtr> a, b;
    cpuSteps->drainInto(a);
    gpuSteps->drainInto(b);
    int64_t pairs = 0, same = 0;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        for (size_t t = 0; t < a[i]->tokenRouting.size() && t < b[i]->tokenRouting.size(); ++t) {
            const TokenRouting &x = a[i]->tokenRouting[t], &y = b[i]->tokenRouting[t];
            const int64_t k = a[i]->topK;
            for (size_t l = 0; l + size_t(k) <= x.expertIds.size() && l + size_t(k) <= y.expertIds.size(); l += size_t(k)) {
                std::vector<int32_t> ex(x.expertIds.begin() + l, x.expertIds.begin() + l + k);
                std::vector<int32_t> ey(y.expertIds.begin() + l, y.expertIds.begin() + l + k);
                std::sort(ex.begin(), ex.end());
                std::sort(ey.begin(), ey.end());
                ++pairs;
                same += ex == ey ? 1 : 0;
            }
        }
    const double routingAgreement = pairs > 0 ? double(same) / double(pairs) : 0.0;
    // Q8_0: the CPU multiplies by 8-bit activations, the GPU by F32 ones.
    const double routingBound = v.top1Exact ? 0.98 : 0.8;
    const bool routingOk =
        a.size() == size_t(kSteps + 1) && b.size() == a.size() && routingAgreement >= routingBound;
    const bool ok = (!v.top1Exact || mismatches == 0) && routingOk;
    std::printf("%-4s %-9s %-5s tp%lld ep%lld top-1 mismatches %d of %d, worst logits nmse %.3e (bound %.0e), routing telemetry "
                "%zu/%zu steps, %.4f of %lld token-layer expert sets equal (bound %.2f)\n",
                ok ? "ok" : "FAIL", v.arch, dtypeName(v.dtype), (long long)v.tp, (long long)v.ep, mismatches, kSteps + 1, worst, v.maxNmse, b.size(),
                a.size(), routingAgreement, (long long)pairs, routingBound);
    return ok;
}

} // namespace

int main()
{
    const DeviceReport devices = discoverDevices();
    if (devices.cuda.empty()) {
        std::printf("SKIP: no CUDA device: %s\n", devices.reason.c_str());
        return kSkip;
    }
    if (!cudaBackendStatus().loaded) {
#ifdef MOE_TEST_HAS_CUDA
        std::printf("FAIL: a GPU is present but the CUDA backend is not: %s\n", cudaBackendStatus().reason.c_str());
        return 1;
#else
        std::printf("SKIP: built without CUDA\n");
        return kSkip;
#endif
    }
    const Variant variants[] = {
        {"mixtral", DType::F32, 1e-8, true},  {"mixtral", DType::F16, 1e-5, true},
        {"qwen2moe", DType::F32, 1e-8, true}, {"qwen2moe", DType::F16, 1e-5, true},
        {"qwen3moe", DType::F32, 1e-8, true}, {"qwen3moe", DType::F16, 1e-5, true},
        {"olmoe", DType::F32, 1e-8, true},    {"olmoe", DType::F16, 1e-5, true},
        {"mixtral", DType::Q8_0, 1e-3, false},
    };
    // Tensor / expert parallel plans over several GPUs through NCCL, where there are any.
    const Variant parallel[] = {
        {"olmoe", DType::F32, 1e-8, true, 2, 1},    {"qwen2moe", DType::F32, 1e-8, true, 1, 2},
        {"mixtral", DType::F16, 1e-5, true, 2, 1},  {"qwen3moe", DType::F32, 1e-8, true, 2, 2},
    };
    std::vector<Variant> all(std::begin(variants), std::end(variants));
    for (const Variant& v : parallel) {
        if (int64_t(devices.cuda.size()) >= v.tp * v.ep && devices.ncclBuilt)
            all.push_back(v);
        else
            std::printf("skip %s tp%lld ep%lld: %zu GPU(s)%s\n", v.arch, (long long)v.tp, (long long)v.ep,
                        devices.cuda.size(), devices.ncclBuilt ? "" : ", no NCCL");
    }
    int failed = 0;
    for (const Variant& v : all) {
        try {
            failed += compareModel(v) ? 0 : 1;
        } catch (const std::exception& e) {
            ++failed;
            std::printf("FAIL %s %s: %s\n", v.arch, dtypeName(v.dtype), e.what());
        }
    }
    return failed == 0 ? 0 : 1;
}
