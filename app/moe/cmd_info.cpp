// `moe info PATH` — what a model file is, without loading its weights.
#include "cli_args.h"
#include "cli_common.h"
#include "parallel_args.h"
#include "commands.h"

#include "moe/devices.h"
#include "moe/engine.h"
#include "moe/model_spec.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace moecli {
namespace {

const char* const kUsage = R"(usage: moe info PATH [--json] [--ctx N] [--no-tensors]
       moe info --devices [--json]

Describes a model (a .gguf file or a Hugging Face folder with config.json; for a
folder written by 'moe make-model' its model.gguf is used) without loading weights:
architecture, whether the weights are random, parameters (total and active per token),
every tensor's type, shape and bytes, and the memory needed to run it.

With --devices and no PATH: what this machine offers the engine — the CPU (cores,
memory, SIMD kernels) and the NVIDIA GPUs the CUDA driver reports, or why none were
found ($MOE_CUDA_DRIVER names another driver library than libcuda.so.1).

Options:
  --json          print one JSON object instead of text
  --ctx N         context length for the KV-cache estimate (default: the model's)
  --no-tensors    leave out the per-tensor list
  -h, --help      show this help
)";

const char* qkNormName(moe::QkNorm n)
{
    switch (n) {
    case moe::QkNorm::PerHead: return "per-head";
    case moe::QkNorm::Full: return "full";
    default: return "none";
    }
}

nlohmann::json specJson(const moe::ModelSpec& s)
{
    return {
        {"architecture", s.architecture}, {"vocab_size", s.vocabSize}, {"hidden_size", s.hiddenSize},
        {"layers", s.numLayers}, {"heads", s.numHeads}, {"kv_heads", s.numKvHeads}, {"head_dim", s.headDim},
        {"max_context", s.maxContext}, {"experts", s.numExperts}, {"experts_per_token", s.numExpertsPerToken},
        {"expert_ffn", s.moeIntermediateSize}, {"shared_experts", s.numSharedExperts},
        {"shared_expert_ffn", s.sharedExpertIntermediateSize}, {"norm_topk_prob", s.normTopkProb},
        {"qk_norm", qkNormName(s.qkNorm)}, {"attention_bias", s.attentionBias},
        {"rope_theta", s.ropeTheta}, {"rope_layout", s.ropeLayout == moe::RopeLayout::NeoX ? "neox" : "interleaved"},
    };
}

nlohmann::json infoJson(const moe::ModelInfo& info, int64_t ctx, bool tensors)
{
    const auto counts = info.spec.parameterCounts();
    const uint64_t kvBytes = info.kvBytesPerToken * uint64_t(ctx);
    nlohmann::json j = {
        {"path", info.path},
        {"format", moe::modelFormatName(info.format)},
        {"name", info.spec.name},
        {"architecture", info.spec.architecture},
        {"architecture_name", info.architectureName},
        {"runnable", info.runnable},
        {"random_weights", info.randomWeights},
        {"checkpoint_quantization", info.checkpointQuantization},
        {"parameters", {{"total", counts.total}, {"active", counts.active}, {"routed_experts", counts.routedExperts},
                        {"attention", counts.attention}, {"embeddings", counts.embeddings}}},
        {"spec", specJson(info.spec)},
        {"memory", {{"weight_bytes", info.weightBytes}, {"active_weight_bytes_per_token", info.activeWeightBytesPerToken},
                    {"kv_bytes_per_token", info.kvBytesPerToken}, {"context", ctx}, {"kv_cache_bytes", kvBytes},
                    {"total_bytes", info.weightBytes + kvBytes}}},
    };
    if (tensors) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& t : info.tensors)
            list.push_back({{"name", t.name}, {"type", t.type}, {"shape", t.shape}, {"bytes", t.bytes},
                            {"supported", t.supported}});
        j["tensors"] = std::move(list);
    }
    return j;
}

void printText(const moe::ModelInfo& info, int64_t ctx, bool tensors)
{
    const moe::ModelSpec& s = info.spec;
    const auto counts = s.parameterCounts();
    std::printf("model:        %s\n", s.name.c_str());
    std::printf("path:         %s\n", info.path.c_str());
    std::printf("format:       %s\n", moe::modelFormatName(info.format));
    std::printf("architecture: %s (%s)%s\n", info.architectureName.c_str(), s.architecture.c_str(),
                info.runnable ? "" : " — planner only, the engine cannot run it");
    if (!info.checkpointQuantization.empty())
        std::printf("quantization: %s (dequantized to F16 at load)\n", info.checkpointQuantization.c_str());
    if (info.randomWeights)
        std::printf("weights:      RANDOM — made by 'moe make-model' for tests and demos; output is meaningless\n");
    std::printf("parameters:   %s total, %s active per token\n", formatCount(counts.total).c_str(),
                formatCount(counts.active).c_str());
    std::printf("shape:        hidden %lld, %lld layers, %lld heads (%lld kv, head dim %lld), vocab %lld, context %lld\n",
                (long long)s.hiddenSize, (long long)s.numLayers, (long long)s.numHeads, (long long)s.numKvHeads,
                (long long)s.headDim, (long long)s.vocabSize, (long long)s.maxContext);
    std::printf("experts:      %lld routed, top-%lld, width %lld", (long long)s.numExperts,
                (long long)s.numExpertsPerToken, (long long)s.moeIntermediateSize);
    if (s.numSharedExperts > 0)
        std::printf(", shared expert width %lld", (long long)s.sharedExpertIntermediateSize);
    std::printf("%s\n", s.normTopkProb ? ", top-k weights renormalised" : "");
    const uint64_t kvBytes = info.kvBytesPerToken * uint64_t(ctx);
    std::printf("memory:       weights %s + KV cache %s at %lld tokens = %s\n", formatBytes(info.weightBytes).c_str(),
                formatBytes(kvBytes).c_str(), (long long)ctx, formatBytes(info.weightBytes + kvBytes).c_str());
    std::printf("per token:    %s of weights read per decoded token\n",
                formatBytes(info.activeWeightBytesPerToken).c_str());
    if (!tensors)
        return;
    std::printf("tensors (%zu):\n", info.tensors.size());
    for (const auto& t : info.tensors)
        std::printf("  %-44s %-6s %-20s %12s%s\n", t.name.c_str(), t.type.c_str(), t.shape.c_str(),
                    formatBytes(t.bytes).c_str(), t.supported ? "" : "  (unsupported type)");
}

nlohmann::json devicesJson(const moe::DeviceReport& r)
{
    nlohmann::json gpus = nlohmann::json::array();
    for (const moe::CudaDeviceInfo& d : r.cuda)
        gpus.push_back({{"index", d.index}, {"name", d.name}, {"memory_bytes", d.memoryBytes},
                        {"compute_capability", std::to_string(d.computeMajor) + "." + std::to_string(d.computeMinor)},
                        {"multiprocessors", d.multiprocessors},
                        {"memory_bandwidth_gb_per_second", d.memoryBandwidthGbPerSecond}, {"pci_bus_id", d.pciBusId}});
    return {{"cpu", {{"name", r.cpu.name}, {"logical_cores", r.cpu.logicalCores}, {"memory_bytes", r.cpu.memoryBytes},
                     {"available_bytes", r.cpu.availableBytes}, {"avx2", r.cpu.avx2}, {"avx512", r.cpu.avx512},
                     {"kernels", r.cpu.simd}}},
            {"cuda", {{"devices", gpus}, {"driver_library", r.cudaDriverLibrary},
                      {"driver_version", r.cudaDriverVersion}, {"reason", r.reason}, {"nccl_built", r.ncclBuilt},
                      {"compute_available", r.cudaComputeAvailable},
                      {"backend", {{"loaded", r.cudaBackendLoaded}, {"library", r.cudaBackendLibrary},
                                   {"build", r.cudaBackendBuild}, {"reason", r.cudaBackendReason}}}}}};
}

int printDevices(bool asJson)
{
    const moe::DeviceReport r = moe::discoverDevices();
    if (asJson) {
        std::printf("%s\n", dumpJson(devicesJson(r)).c_str());
        return 0;
    }
    std::printf("cpu:       %s, %d logical cores, %s memory (%s available), kernels %s%s\n", r.cpu.name.c_str(),
                r.cpu.logicalCores, formatBytes(r.cpu.memoryBytes).c_str(), formatBytes(r.cpu.availableBytes).c_str(),
                r.cpu.simd.c_str(), r.cpu.avx512 ? " (AVX-512 present)" : "");
    if (r.cudaBackendLoaded)
        std::printf("backend:   %s (%s)\n", r.cudaBackendLibrary.c_str(), r.cudaBackendBuild.c_str());
    else
        std::printf("backend:   no CUDA backend: %s\n", r.cudaBackendReason.c_str());
    if (r.cuda.empty()) {
        std::printf("cuda:      none found: %s\n", r.reason.c_str());
        return 0;
    }
    std::printf("cuda:      driver %d.%d (%s)\n", r.cudaDriverVersion / 1000, (r.cudaDriverVersion % 1000) / 10,
                r.cudaDriverLibrary.c_str());
    for (const moe::CudaDeviceInfo& d : r.cuda)
        std::printf("  cuda:%d  %s, %s, compute %d.%d, %d SMs, %.0f GB/s peak, %s\n", d.index, d.name.c_str(),
                    formatBytes(d.memoryBytes).c_str(), d.computeMajor, d.computeMinor, d.multiprocessors,
                    d.memoryBandwidthGbPerSecond, d.pciBusId.c_str());
    if (!r.cudaComputeAvailable)
        std::printf("note:      GPUs are listed and planned for, but models run on the CPU (no CUDA backend)\n");
    return 0;
}

int run(const std::vector<std::string>& argList)
{
    // `--devices` with no value (last, or followed by another option) lists the devices.
    for (size_t i = 0; i < argList.size(); ++i)
        if (argList[i] == "--devices" && (i + 1 == argList.size() || argList[i + 1].rfind("-", 0) == 0)) {
            for (const std::string& other : argList)
                if (other != "--devices" && other != "--json")
                    throw UsageError("--devices without a value lists the devices and takes only --json, got '" + other + "'");
            return printDevices(std::find(argList.begin(), argList.end(), "--json") != argList.end());
        }
    std::vector<OptionSpec> specs = {{"--json", "", false}, {"--ctx", "", true}, {"--no-tensors", "", false}};
    for (const OptionSpec& s : parallelOptions())
        specs.push_back(s);
    const Args a = Args::parse(withCommonOptions(specs), argList);
    if (a.has("--help")) {
        std::fputs(kUsage, stdout);
        std::fputs(kParallelHelp, stdout);
        return 0;
    }
    if (a.positionals().size() != 1)
        throw UsageError("expected exactly one PATH");
    const moe::ModelInfo info = moe::inspectModel(resolveModelPath(a.positionals()[0]));
    const int64_t ctx = a.intValue("--ctx", info.spec.maxContext, 1, int64_t(1) << 24);
    const bool tensors = !a.has("--no-tensors");
    const bool parallel = a.has("--devices") || a.has("--tp") || a.has("--ep");
    if (a.has("--json")) {
        nlohmann::json j = infoJson(info, ctx, tensors);
        if (parallel)
            j["devices"] = deviceMemoryJson(info, ctx, a);
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        printText(info, ctx, tensors);
        if (parallel)
            printDeviceMemory(info, ctx, a);
    }
    return 0;
}

} // namespace

const Command kInfoCommand = {"info", "describe a model file: architecture, parameters, tensors, memory", kUsage, run};

} // namespace moecli
