// `moe bench` — prefill and decode speed of a model on this machine, set against the
// memory-bandwidth roofline: decode reads every active weight once per token, so
// bandwidth / active bytes per token bounds tokens per second.
#include "cli_args.h"
#include "parallel_args.h"
#include "quant_args.h"
#include "cli_common.h"
#include "commands.h"

#include "moe/bandwidth_probe.h"
#include "moe/devices.h"
#include "moe/engine.h"
#include "moe/sampler.h"
#include "moe/tokenizer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <sys/resource.h>
#include <thread>

namespace moecli {
namespace {

const char* const kUsage = R"(usage: moe bench -m PATH [--prompt N] [--gen N] [--threads T] [--repeat R] [--seed S]
                 [--quant TYPE] [--json]

Measures prefill (N random prompt tokens in one pass) and decode (greedy, end-of-
sequence ignored; chosen on the GPU when the model runs on one) speed, then compares
decode with the memory-bandwidth roofline.

Options:
  -m, --model PATH        a .gguf file or a Hugging Face folder
  --prompt N              prompt tokens (default 128)
  --gen N                 decoded tokens (default 64)
  --threads T             CPU threads (default: all cores)
  --repeat R              runs; speeds are the median run (default 1)
  --seed S                seed of the random prompt ids (default 0)
  --probe-bytes B         bandwidth probe buffer (default: max(4 x LLC, 1 GiB))
  --no-telemetry          switch routing telemetry off (to measure its overhead)
  --json                  print one JSON object (schema below)
  -h, --help              show this help

JSON schema:
  {"model":    {"path", "name", "format", "architecture", "dtype", "file_dtype", "random_weights",
                "parameters_total", "parameters_active", "weight_bytes",
                "quantized_at_load": null or {"type", "embeddings", "tensors_quantized",
                  "tensors_fallback", "fallback_types", "tensors_already_quantized",
                  "tensors_not_whole_blocks", "tensors_kept", "bytes_before",
                  "bytes_after", "seconds"}},
   "machine":  {"cpu", "logical_cpus", "threads", "backend",
                "memory_bandwidth_gb_per_second", "bandwidth_probe_bytes",
                "bandwidth_source" ("probe", or the GPU's peak on cuda:N, summed over
                the GPUs of a parallel plan),
                "device_fallback" (why --devices auto ran on the CPU, or ""),
                "step_recording" (GPU: "on" when decode steps replay as CUDA graphs,
                  else why not; "off ..." for a plan over several GPUs; "" on the CPU)},
   "settings": {"prompt_tokens", "gen_tokens", "repeat", "seed", "context", "telemetry"},
   "prefill":  {"tokens_per_second", "seconds"},
   "decode":   {"tokens_per_second", "seconds",
                "latency_ms": {"mean", "p50", "p90", "p99"}},
   "prefill_decode_ratio",            prefill tokens/s divided by decode tokens/s
   "roofline": {"active_weight_bytes_per_token", "tokens_per_second", "decode_fraction"},
   "peak_rss_bytes",
   "runs":     [{"prefill_tokens_per_second", "decode_tokens_per_second"}, ...]}
  Bandwidth is in 1e9 bytes per second; tokens_per_second of the roofline is
  bandwidth / active_weight_bytes_per_token; decode_fraction = measured / roofline.
  "dtype" and the byte counts describe the weights in memory (after --quant);
  "file_dtype" the file's own.

)";

using Clock = std::chrono::steady_clock;

struct RunResult {
    double prefillSeconds = 0;
    double decodeSeconds = 0;
    std::vector<double> latencies;
};

std::vector<int32_t> randomPrompt(int64_t n, int32_t vocab, uint64_t seed)
{
    // splitmix64: the same ids on every machine, so runs are comparable.
    std::vector<int32_t> ids(static_cast<size_t>(n));
    uint64_t s = seed;
    for (int32_t& id : ids) {
        uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        id = int32_t((z ^ (z >> 31)) % uint64_t(vocab));
    }
    return ids;
}

RunResult runOnce(moe::Engine& engine, const std::vector<int32_t>& prompt, int64_t gen)
{
    RunResult r;
    engine.reset();
    auto t0 = Clock::now();
    std::span<const float> logits = engine.forward(prompt);
    r.prefillSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
    int32_t token = moe::argmax(logits);
    r.latencies.reserve(size_t(gen));
    // Greedy as chat would run it: on a GPU the choice is made there and only the token
    // comes back.
    moe::Sampler greedy(engine.spec().vocabSize, moe::SamplingParams::greedy());
    const std::span<const int32_t> none;
    for (int64_t i = 0; i < gen; ++i) {
        const auto s = Clock::now();
        token = engine.forwardAndSample(std::span<const int32_t>(&token, 1), greedy, none);
        r.latencies.push_back(std::chrono::duration<double>(Clock::now() - s).count());
    }
    for (double l : r.latencies)
        r.decodeSeconds += l;
    return r;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const double rank = p / 100.0 * double(v.size() - 1);
    const size_t lo = size_t(rank);
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (rank - double(lo));
}

double median(std::vector<double> v) { return percentile(std::move(v), 50); }


uint64_t peakRssBytes()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return uint64_t(u.ru_maxrss) * 1024; // Linux reports KiB
}

// The bandwidth decode is measured against: the CPU's, probed with the engine's
// threads, or the GPU's peak (memory clock x bus width, as the driver reports it),
// summed over the GPUs of a parallel plan (each reads its share of the weights).
moe::BandwidthProbeResult rooflineBandwidth(moe::Engine& engine, const moe::EngineOptions& options, const Args& a)
{
    if (engine.backend().isHost()) {
        moe::BandwidthProbeOptions bo;
        bo.threads = engine.backend().threadCount();
        bo.bytes = a.uintValue("--probe-bytes", 0);
        return moe::probeMemoryBandwidth(bo);
    }
    std::vector<int> cuda = options.parallel.cudaDevices;
    if (cuda.empty())
        cuda.push_back(0);
    moe::BandwidthProbeResult bw;
    for (const moe::CudaDeviceInfo& d : moe::discoverDevices().cuda)
        if (std::find(cuda.begin(), cuda.end(), d.index) != cuda.end())
            bw.gbPerSecond += d.memoryBandwidthGbPerSecond;
    return bw; // bytes = 0: not a probe
}

nlohmann::json benchJson(moe::Engine& engine, const std::vector<RunResult>& runs, const moe::BandwidthProbeResult& bw,
                         const Args& a, int64_t promptN, int64_t gen)
{
    const moe::ModelInfo& info = engine.info();
    const auto counts = info.spec.parameterCounts();
    std::vector<double> prefillTps, decodeTps, latencies, prefillSec, decodeSec;
    nlohmann::json runList = nlohmann::json::array();
    for (const RunResult& r : runs) {
        prefillTps.push_back(r.prefillSeconds > 0 ? double(promptN) / r.prefillSeconds : 0);
        decodeTps.push_back(r.decodeSeconds > 0 ? double(gen) / r.decodeSeconds : 0);
        prefillSec.push_back(r.prefillSeconds);
        decodeSec.push_back(r.decodeSeconds);
        latencies.insert(latencies.end(), r.latencies.begin(), r.latencies.end());
        runList.push_back({{"prefill_tokens_per_second", prefillTps.back()}, {"decode_tokens_per_second", decodeTps.back()}});
    }
    double mean = 0;
    for (double l : latencies)
        mean += l;
    mean = latencies.empty() ? 0 : mean / double(latencies.size());
    const double decode = median(decodeTps), prefill = median(prefillTps);
    const double rooflineTps = info.activeWeightBytesPerToken > 0 ? bw.gbPerSecond * 1e9 / double(info.activeWeightBytesPerToken) : 0;
    return {
        {"model", {{"path", info.path}, {"name", info.spec.name}, {"format", moe::modelFormatName(info.format)},
                   {"architecture", info.spec.architecture}, {"dtype", moe::dominantTensorType(info)},
                   {"file_dtype", moe::dominantFileTensorType(info)},
                   {"random_weights", info.randomWeights}, {"parameters_total", counts.total},
                   {"parameters_active", counts.active}, {"weight_bytes", info.weightBytes},
                   {"quantized_at_load", quantSummaryJson(info.quantizedAtLoad)}}},
        {"machine", {{"cpu", cpuModelName()}, {"logical_cpus", std::thread::hardware_concurrency()},
                     {"threads", engine.backend().threadCount()}, {"backend", engine.backend().name()},
                     {"memory_bandwidth_gb_per_second", bw.gbPerSecond}, {"bandwidth_probe_bytes", bw.bytes},
                     {"bandwidth_source", engine.backend().isHost() ? "probe" : "gpu peak (memory clock x bus width)"},
                     {"device_fallback", engine.deviceFallbackReason()},
                     {"step_recording", engine.parallelPlan() ? std::string(engine.backend().isHost() ? "" : "off (parallel plan)")
                                                                  : engine.backend().stepRecordingStatus()}}},
        {"settings", {{"prompt_tokens", promptN}, {"gen_tokens", gen}, {"repeat", runs.size()},
                      {"seed", a.uintValue("--seed", 0)}, {"context", engine.contextLength()},
                      {"telemetry", !a.has("--no-telemetry")}}},
        {"prefill", {{"tokens_per_second", prefill}, {"seconds", median(prefillSec)}}},
        {"decode", {{"tokens_per_second", decode}, {"seconds", median(decodeSec)},
                    {"latency_ms", {{"mean", mean * 1e3}, {"p50", percentile(latencies, 50) * 1e3},
                                    {"p90", percentile(latencies, 90) * 1e3}, {"p99", percentile(latencies, 99) * 1e3}}}}},
        {"prefill_decode_ratio", decode > 0 ? prefill / decode : 0.0},
        {"roofline", {{"active_weight_bytes_per_token", info.activeWeightBytesPerToken},
                      {"tokens_per_second", rooflineTps}, {"decode_fraction", rooflineTps > 0 ? decode / rooflineTps : 0.0}}},
        {"peak_rss_bytes", peakRssBytes()},
        {"runs", runList},
    };
}

void printText(const nlohmann::json& j)
{
    const auto& m = j["model"];
    const auto& mc = j["machine"];
    const std::string dtype = m["dtype_label"].get<std::string>();
    std::printf("model:     %s (%s, %s, %s)%s\n", m["name"].get<std::string>().c_str(), m["format"].get<std::string>().c_str(),
                m["architecture"].get<std::string>().c_str(), dtype.c_str(),
                m["random_weights"].get<bool>() ? " [random weights]" : "");
    std::printf("machine:   %s, %u logical CPUs, %d threads used (%s)\n", mc["cpu"].get<std::string>().c_str(),
                mc["logical_cpus"].get<unsigned>(), mc["threads"].get<int>(), mc["backend"].get<std::string>().c_str());
    if (mc["bandwidth_probe_bytes"].get<uint64_t>() > 0)
        std::printf("bandwidth: %.1f GB/s (probe over %s)\n", mc["memory_bandwidth_gb_per_second"].get<double>(),
                    formatBytes(mc["bandwidth_probe_bytes"].get<uint64_t>()).c_str());
    else
        std::printf("bandwidth: %.1f GB/s (%s)\n", mc["memory_bandwidth_gb_per_second"].get<double>(),
                    mc["bandwidth_source"].get<std::string>().c_str());
    std::printf("prefill:   %.1f tokens/s (%lld tokens)\n", j["prefill"]["tokens_per_second"].get<double>(),
                (long long)j["settings"]["prompt_tokens"].get<int64_t>());
    const auto& lat = j["decode"]["latency_ms"];
    std::printf("decode:    %.2f tokens/s (%lld tokens), latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n",
                j["decode"]["tokens_per_second"].get<double>(), (long long)j["settings"]["gen_tokens"].get<int64_t>(),
                lat["p50"].get<double>(), lat["p90"].get<double>(), lat["p99"].get<double>());
    const auto& rl = j["roofline"];
    std::printf("roofline:  %s active weights per token -> %.1f tokens/s; decode reaches %.1f %%\n",
                formatBytes(rl["active_weight_bytes_per_token"].get<uint64_t>()).c_str(),
                rl["tokens_per_second"].get<double>(), rl["decode_fraction"].get<double>() * 100.0);
    std::printf("ratio:     prefill / decode = %.1f\n", j["prefill_decode_ratio"].get<double>());
    std::printf("peak RSS:  %s\n", formatBytes(j["peak_rss_bytes"].get<uint64_t>()).c_str());
}

int run(const std::vector<std::string>& argList)
{
    std::vector<OptionSpec> specs = {{"--model", "-m", true}, {"--prompt", "", true},     {"--gen", "", true},
                                     {"--threads", "", true}, {"--repeat", "", true},     {"--seed", "", true},
                                     {"--probe-bytes", "", true}, {"--json", "", false}, {"--no-telemetry", "", false}};
    for (const OptionSpec& s : parallelOptions())
        specs.push_back(s);
    for (const OptionSpec& s : quantOptions())
        specs.push_back(s);
    const Args a = Args::parse(withCommonOptions(specs), argList);
    if (a.has("--help")) {
        std::fputs(kUsage, stdout);
        std::fputs(kQuantHelp, stdout);
        std::fputs(kParallelHelp, stdout);
        return 0;
    }
    if (!a.has("--model"))
        throw UsageError("-m PATH is required");
    if (!a.positionals().empty())
        throw UsageError("unexpected argument '" + a.positionals()[0] + "'");
    const int64_t promptN = a.intValue("--prompt", 128, 1, 1 << 20);
    const int64_t gen = a.intValue("--gen", 64, 1, 1 << 20);
    const int64_t repeat = a.intValue("--repeat", 1, 1, 1000);
    const std::string path = resolveModelPath(a.value("--model"));

    const moe::ModelInfo probe = moe::inspectModel(path);
    if (promptN + gen > probe.spec.maxContext)
        throw UsageError("--prompt + --gen (" + std::to_string(promptN + gen) + ") exceeds the model's context of " +
                         std::to_string(probe.spec.maxContext));
    moe::EngineOptions options;
    options.threads = int(a.intValue("--threads", 0, 0, 1024));
    options.contextLength = promptN + gen;
    options.maxBatch = std::max<int64_t>(promptN, 1);
    options.telemetry = !a.has("--no-telemetry");
    applyParallelArgs(a, options);
    applyQuantArgs(a, options);
    auto engine = moe::Engine::load(path, options);
    reportLoad(*engine);
    const int32_t vocab = std::min<int32_t>(int32_t(engine->spec().vocabSize), engine->tokenizer().vocabSize());
    const std::vector<int32_t> prompt = randomPrompt(promptN, vocab, a.uintValue("--seed", 0));

    std::vector<RunResult> runs;
    for (int64_t i = 0; i < repeat; ++i)
        runs.push_back(runOnce(*engine, prompt, gen));
    const moe::BandwidthProbeResult bw = rooflineBandwidth(*engine, options, a);

    nlohmann::json j = benchJson(*engine, runs, bw, a, promptN, gen);
    if (!a.has("--json"))
        j["model"]["dtype_label"] = dtypeLabel(engine->info());
    if (engine->parallelPlan()) {
        // The last forward call was a decode step: its matrix is the per-step figure.
        const moe::TrafficMatrix& t = *engine->lastTraffic();
        j["parallel"] = planJson(*engine->parallelPlan());
        j["parallel"]["decode_step_traffic"] = trafficJson(t);
        j["parallel"]["estimated_communication_seconds_per_decode_step"] = t.estimatedSeconds;
        j["parallel"]["estimate_note"] = "link-model estimate for the modelled link, not a measurement";
    }
    if (a.has("--json")) {
        std::printf("%s\n", dumpJson(j).c_str());
    } else {
        printText(j);
        if (engine->lastTraffic())
            printTraffic(*engine->lastTraffic(), "one decode step");
    }
    return 0;
}

} // namespace

const Command kBenchCommand = {"bench", "measure prefill / decode speed against the memory-bandwidth roofline", kUsage,
                               run};

} // namespace moecli
