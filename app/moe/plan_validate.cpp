// `moe plan --validate`: the planner's decode prediction for this machine against a
// measured `moe bench` run. The CPU is planned as one "GPU" whose bandwidth is the
// probe's measurement (a plain read loop). Like a GPU's bandwidth efficiency (the
// planner's 0.80 for tuned servers), the CPU's comes from a measurement: the engine's
// decode kernel (one-token matmuls) streaming DRAM-sized pools of matrices of the
// model's weight type and expert shape — a calibration of the kernel, not a run of
// the model. The check then tests the planner's byte counting (weights actually read,
// distinct experts, KV reads) against the whole engine's decode.
#include "cli_common.h"
#include "plan_scenario.h"

#include "moe/bandwidth_probe.h"
#include "moe/engine.h"
#include "moe/error.h"

#include <array>
#include <vector>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>
#include <unistd.h>

namespace moecli {
namespace {

using nlohmann::json;

// The format holding most of the file's weight bytes, as a planner format.
moe::QuantFormatId formatOf(const moe::ModelInfo& info)
{
    const std::string best = moe::dominantTensorType(info);
    if (const moe::QuantFormat* q = moe::findQuantFormat(best))
        return q->id;
    throw moe::Error(moe::ErrorCode::UnsupportedType, info.path, "dtype",
                     "the planner has no bytes-per-weight entry for '" + best + "'");
}

std::string shellQuote(const std::string& s)
{
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Runs this executable's `bench --json` and returns its JSON (bench's own stderr passes through).
json runBench(const std::string& path, int64_t prompt, int64_t gen, int64_t threads)
{
    std::error_code ec;
    const std::string exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    if (ec)
        throw moe::Error(moe::ErrorCode::Io, "/proc/self/exe", "", "cannot find the moe executable to run bench");
    // Median of three runs: one run on a busy machine swings by 10 %.
    std::string cmd = shellQuote(exe) + " bench -m " + shellQuote(path) + " --json --repeat 3 --prompt " +
                      std::to_string(prompt) + " --gen " + std::to_string(gen);
    if (threads > 0)
        cmd += " --threads " + std::to_string(threads);
    std::fflush(stdout);
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p)
        throw moe::Error(moe::ErrorCode::Io, exe, "bench", "cannot start bench");
    std::string out;
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
        out.append(buf.data(), n);
    const int status = ::pclose(p);
    if (status != 0)
        throw moe::Error(moe::ErrorCode::Io, path, "bench", "moe bench failed (status " + std::to_string(status) + ")");
    try {
        return json::parse(out);
    } catch (const json::exception& e) {
        throw moe::Error(moe::ErrorCode::BadJson, path, "bench", std::string("bench printed no JSON: ") + e.what());
    }
}

// The weight matrices one decode token multiplies, by shape, and how many of each.
struct TokenMatmul {
    std::string what;
    int64_t rows = 0, cols = 0;
    double perToken = 0;
};

std::vector<TokenMatmul> tokenMatmuls(const moe::ModelSpec& s)
{
    std::vector<TokenMatmul> out;
    const int64_t q = s.numHeads * s.headDim, kv = s.numKvHeads * s.headDim;
    int64_t moeLayers = 0;
    for (int64_t l = 0; l < s.numLayers; ++l)
        moeLayers += s.isMoeLayer(l) ? 1 : 0;
    const double layers = double(s.numLayers), dense = double(s.numLayers - moeLayers), moe = double(moeLayers);
    out.push_back({"attention q", q, s.hiddenSize, layers});
    out.push_back({"attention k, v", kv, s.hiddenSize, 2 * layers});
    out.push_back({"attention output", s.hiddenSize, q, layers});
    if (moe > 0) {
        out.push_back({"expert gate, up", s.moeIntermediateSize, s.hiddenSize, 2 * moe * double(s.numExpertsPerToken)});
        out.push_back({"expert down", s.hiddenSize, s.moeIntermediateSize, moe * double(s.numExpertsPerToken)});
        if (s.sharedExpertIntermediateSize > 0) {
            out.push_back({"shared expert gate, up", s.sharedExpertIntermediateSize, s.hiddenSize, 2 * moe});
            out.push_back({"shared expert down", s.hiddenSize, s.sharedExpertIntermediateSize, moe});
        }
    }
    if (dense > 0 && s.intermediateSize > 0) {
        out.push_back({"dense FFN gate, up", s.intermediateSize, s.hiddenSize, 2 * dense});
        out.push_back({"dense FFN down", s.hiddenSize, s.intermediateSize, dense});
    }
    out.push_back({"LM head", s.vocabSize, s.hiddenSize, 1});
    std::erase_if(out, [](const TokenMatmul& m) { return m.rows <= 0 || m.cols <= 0 || m.perToken <= 0; });
    return out;
}

moe::PlanInput cpuPlanInput(const moe::ModelInfo& info, double bandwidthGbPerSecond, int threads, int64_t prompt,
                            int64_t gen)
{
    moe::PlanInput in;
    in.model.spec = info.spec;
    in.model.key = info.path;
    in.weightFormat = formatOf(info);
    in.kvBytesPerElement = 4.0;               // the CPU engine caches K/V in F32
    in.contextTokens = prompt + gen / 2;      // the average KV length over the decoded tokens
    in.promptTokens = prompt;
    in.gpu.key = "cpu";
    in.gpu.name = cpuModelName();
    in.gpu.memoryBytes = uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE));
    in.gpu.memoryBandwidthGbPerSecond = bandwidthGbPerSecond;
    // Nominal AVX2 FMA peak: 2 units x 8 lanes x 2 FLOP x ~3 GHz per core; decode of a
    // model this size is far from it, so the figure only has to be roughly right.
    in.gpu.tflopsBf16 = double(threads) * 0.096;
    in.gpu.gpusPerNode = 1;
    in.scaleUp = in.scaleOut = {"none", "none", 1.0, 0.0};
    in.overheads.usableMemoryFraction = 1.0;
    in.overheads.cudaContextBytes = 0;
    in.overheads.workspaceBytes = 0;
    in.overheads.bandwidthEfficiency = 1.0;   // set from the decode-kernel probe by the caller
    in.overheads.computeEfficiency = 1.0;
    in.overheads.maxBatchedTokens = prompt;
    return in;
}

} // namespace

int runPlanValidation(const Args& a)
{
    if (!a.has("--model"))
        throw UsageError("--validate needs -m PATH (a local model)");
    const std::string devices = a.value("--devices", "cpu:1");
    if (devices != "cpu:1")
        throw UsageError("--devices '" + devices + "': only cpu:1 (this machine's CPU) can be validated here");
    const std::string path = resolveModelPath(a.value("--model"));
    const int64_t prompt = a.intValue("--prompt", 128, 1, 1 << 20);
    const int64_t gen = a.intValue("--gen", 64, 1, 1 << 20);
    const int64_t threadsArg = a.intValue("--threads", 0, 0, 1024);
    const int threads = threadsArg > 0 ? int(threadsArg) : int(std::max(1u, std::thread::hardware_concurrency()));

    const moe::ModelInfo info = moe::inspectModel(path);
    moe::BandwidthProbeOptions bo;
    bo.threads = threads;
    const moe::BandwidthProbeResult bw = moe::probeMemoryBandwidth(bo);
    moe::PlanInput in = cpuPlanInput(info, bw.gbPerSecond, threads, prompt, gen);
    // The decode kernel on the model's dominant weight type, at every matrix shape a
    // token reads (attention, routed / shared expert or dense FFN, LM head): the time
    // a token's matmuls take at the bandwidth each shape streams at, against the plain
    // read loop, is the CPU's bandwidth efficiency for this model.
    const auto dtype = moe::dtypeFromName(moe::dominantTensorType(info));
    const moe::DType kernelType = dtype ? *dtype : moe::DType::F16;
    const std::vector<TokenMatmul> matmuls = tokenMatmuls(info.spec);
    double bytesPerToken = 0, secondsPerToken = 0;
    json kernels = json::array();
    std::map<std::pair<int64_t, int64_t>, moe::MatmulProbeResult> probed;
    for (const TokenMatmul& m : matmuls) {
        moe::MatmulProbeOptions mo;
        mo.threads = threads;
        mo.passes = 10; // a pass streams the pool once (~25 ms): a few would be noise
        mo.dtype = kernelType;
        mo.rows = m.rows;
        mo.cols = m.cols;
        const int64_t block = moe::dtypeInfo(kernelType).blockElements;
        if (mo.cols % block != 0)
            mo.cols = (mo.cols / block + 1) * block;
        auto it = probed.find({mo.rows, mo.cols});
        if (it == probed.end())
            it = probed.emplace(std::make_pair(mo.rows, mo.cols), moe::probeMatmulBandwidth(mo)).first;
        const moe::MatmulProbeResult& k = it->second;
        bytesPerToken += m.perToken * double(k.matrixBytes);
        secondsPerToken += m.perToken * k.secondsPerMatmul;
        kernels.push_back({{"matrix", m.what}, {"rows", mo.rows}, {"cols", mo.cols}, {"per_token", m.perToken},
                           {"gb_per_second", k.gbPerSecond}, {"microseconds_per_matmul", k.secondsPerMatmul * 1e6}});
    }
    const double kernelGbPerSecond = secondsPerToken > 0 ? bytesPerToken / secondsPerToken / 1e9 : bw.gbPerSecond;
    in.overheads.bandwidthEfficiency = std::min(1.0, kernelGbPerSecond / bw.gbPerSecond);
    const moe::PlanResult plan = moe::planDeployment(in);
    const double predicted = plan.decode.tokensPerSecond;
    const bool asJson = a.has("--json");
    if (!asJson) {
        std::printf("model:      %s (%s, %s)\n", info.spec.name.c_str(), path.c_str(),
                    moe::quantFormat(in.weightFormat).key.c_str());
        std::printf("machine:    %s, %d threads, measured bandwidth %.1f GB/s\n", in.gpu.name.c_str(), threads,
                    bw.gbPerSecond);
        for (const json& k : kernels)
            std::printf("kernel:     %-22s %s [%lld x %lld] x %.0f per token: %.1f GB/s, %.1f us each\n",
                        k.at("matrix").get<std::string>().c_str(), moe::dtypeName(kernelType),
                        (long long)k.at("rows").get<int64_t>(), (long long)k.at("cols").get<int64_t>(),
                        k.at("per_token").get<double>(), k.at("gb_per_second").get<double>(),
                        k.at("microseconds_per_matmul").get<double>());
        std::printf("efficiency: the token's matmuls stream %.1f GB/s = %.0f %% of the read loop\n", kernelGbPerSecond,
                    in.overheads.bandwidthEfficiency * 100.0);
        std::printf("predicted:  %.2f decode tokens/s (%s weights + %s KV read per token)\n", predicted,
                    formatGb(plan.decode.weightBytesReadPerGpu).c_str(), formatGb(plan.decode.kvBytesReadPerGpu).c_str());
        std::printf("running:    moe bench -m %s --prompt %lld --gen %lld ...\n", path.c_str(), (long long)prompt,
                    (long long)gen);
    }
    const json bench = runBench(path, prompt, gen, threadsArg);
    const double measured = bench.at("decode").at("tokens_per_second").get<double>();
    const double benchBandwidth = bench.at("machine").at("memory_bandwidth_gb_per_second").get<double>();
    // Bench probes again after its run; the same prediction at that bandwidth shows how
    // much of the error is the probe's run-to-run spread.
    const double predictedAtBenchBandwidth = predicted * benchBandwidth / bw.gbPerSecond;
    const double error = measured > 0 ? (predicted - measured) / measured : 0.0;
    const double errorAtBench = measured > 0 ? (predictedAtBenchBandwidth - measured) / measured : 0.0;
    if (asJson) {
        std::printf("%s\n", dumpJson({{"model", path}, {"format", moe::quantFormat(in.weightFormat).key},
                                      {"bandwidth_gb_per_second", bw.gbPerSecond},
                                      {"kernel_bandwidth_gb_per_second", kernelGbPerSecond},
                                      {"kernel_dtype", moe::dtypeName(kernelType)},
                                      {"kernels", kernels},
                                      {"bandwidth_efficiency", in.overheads.bandwidthEfficiency},
                                      {"predicted_decode_tokens_per_second", predicted},
                                      {"planner_weight_bytes_per_token", plan.decode.weightBytesReadPerGpu},
                                      {"planner_kv_bytes_per_token", plan.decode.kvBytesReadPerGpu},
                                      {"measured_decode_tokens_per_second", measured},
                                      {"relative_error", error},
                                      {"bench_bandwidth_gb_per_second", benchBandwidth},
                                      {"relative_error_at_bench_bandwidth", errorAtBench},
                                      {"bench", bench}})
                                .c_str());
        return 0;
    }
    std::printf("measured:   %.2f decode tokens/s (bench; its probe: %.1f GB/s)\n", measured, benchBandwidth);
    std::printf("error:      %+.1f %% (prediction - measured) / measured; %+.1f %% at bench's bandwidth\n",
                error * 100.0, errorAtBench * 100.0);
    return 0;
}

} // namespace moecli
