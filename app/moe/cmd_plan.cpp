// `moe plan` — the what-if planner: memory per GPU, GPU count, throughput and cost of
// serving a model on rented hardware, from the catalog or a model the user has.
#include "cli_args.h"
#include "cli_common.h"
#include "commands.h"
#include "plan_scenario.h"

#include "moe/error.h"
#include "moe/planner.h"
#include "moe/safetensors.h"

#include <cstdio>

namespace moecli {
namespace {

using nlohmann::json;

const char* const kUsage = R"(usage: moe plan --model NAME|config.json|GGUF [options] [--json]
       moe plan --fit --model NAME [--context N --batch N --quant Q] [--json]
       moe plan --compare A.json B.json [...]
       moe plan --validate -m PATH [--devices cpu:1] [--prompt N --gen N --threads T] [--json]
       moe plan --list

Predicts per-GPU memory (attention, experts, shared experts, embeddings, KV cache,
activations, overhead) against capacity, whether it fits and by how much, the most
concurrent sequences, decode tokens/s from a roofline (distinct experts read for the
batch, KV reads, FLOPs, all-reduce / all-to-all over the interconnect), prefill speed
and time to first token, and $/hour, $ per million output tokens and $/month (730 h).

Model and workload:
  -m, --model M           catalog key (see --list), a config.json, a .gguf or a model folder
  --quant Q               weight format (default bf16): bf16 fp16 fp32 fp8 int8 int4-awq
                          int4-gptq q8_0 q6_k q5_k q4_k q5_k_m q4_k_m q4_0
  --kv-dtype D            KV-cache dtype: bf16 (default), fp16, fp8, fp32
  --context N             tokens of KV per sequence (default 4096)
  --prompt N              prompt tokens for time to first token (default context / 2)
  --batch N               concurrent sequences (default 1)
  --score X               benchmark score: adds $ per million tokens per quality point
Hardware and layout:
  --gpu G                 catalog GPU (default h100-sxm)
  --count N               GPUs (default tp x pp x dp; alone it means --tp N)
  --tp N --ep N --pp N    tensor, expert, pipeline parallel degrees
  --dp N [--dp-attention] data-parallel replicas; with --dp-attention they share the MoE layers
  --interconnect L        in-node link (default: the GPU's; nvlink3/4/5, pcie-gen4/5, ...)
  --interconnect-bw GB/s  custom link bandwidth per GPU and direction
  --interconnect-latency-us US   custom link latency
  --scale-out L           link between nodes (default infiniband-ndr)
  --price USD             per GPU-hour (default: the catalog's indicative price)
Runtime overheads:
  --usable-memory-fraction F   (default 0.90, vLLM's gpu_memory_utilization)
  --bandwidth-efficiency F     achieved / peak memory bandwidth (default 0.80)
  --compute-efficiency F       achieved / peak dense TFLOPS (default 0.60)
  --max-batched-tokens N       activation peak size (default 8192)
  --cuda-context-mib N --workspace-mib N   (default 512, 1024)
Other:
  --fit                   cheapest layouts over every catalog GPU that fit (--limit N, default 10)
  --compare A.json B.json plans saved with --json (or {"scenario": {...}} files), side by side
  --validate              predict this machine's decode speed for -m PATH, run bench, print the error
  --catalog DIR           catalog folder (default: found next to the binary or in the sources)
  --json                  print JSON: {"scenario", "model", "hardware", "result", "fewest_gpus"}
  -h, --help              show this help
)";

std::vector<OptionSpec> planOptions()
{
    std::vector<OptionSpec> specs = {{"--model", "-m", true}, {"--fit", "", false}, {"--compare", "", false},
                                     {"--validate", "", false}, {"--list", "", false}, {"--devices", "", true},
                                     {"--gen", "", true}, {"--threads", "", true}, {"--limit", "", true},
                                     {"--catalog", "", true}, {"--json", "", false}, {"--dp-attention", "", false}};
    for (const char* name : {"--quant", "--kv-dtype", "--gpu", "--interconnect", "--scale-out", "--count", "--tp",
                             "--ep", "--pp", "--dp", "--context", "--prompt", "--batch", "--max-batched-tokens",
                             "--cuda-context-mib", "--workspace-mib", "--price", "--score", "--interconnect-bw",
                             "--interconnect-latency-us", "--usable-memory-fraction", "--bandwidth-efficiency",
                             "--compute-efficiency"})
        specs.push_back({name, "", true});
    return withCommonOptions(specs);
}

moe::Catalog openCatalog(const Args& a)
{
    return moe::loadCatalog(a.has("--catalog") ? a.value("--catalog") : moe::findCatalogDirectory());
}

int runList(const moe::Catalog& c)
{
    std::printf("catalog: %s\n\nmodels:\n", c.directory.c_str());
    for (const auto& m : c.models) {
        const auto counts = m.model.spec.parameterCounts();
        std::printf("  %-20s %-40s %7.1f B (%.1f B active)\n", m.model.key.c_str(), m.model.spec.name.c_str(),
                    double(counts.total) / 1e9, double(counts.active) / 1e9);
    }
    std::printf("\nGPUs:\n");
    for (const auto& g : c.gpus)
        std::printf("  %-10s %-32s %8s %6.0f GB/s %7.1f BF16 TFLOPS  %-16s $%.2f/h\n", g.key.c_str(), g.name.c_str(),
                    formatGb(double(g.memoryBytes)).c_str(), g.memoryBandwidthGbPerSecond, g.tflopsBf16,
                    g.scaleUpLink.c_str(), g.usdPerHour);
    std::printf("\ninterconnects:\n");
    for (const auto& ic : c.interconnects)
        std::printf("  %-16s %-44s %6.0f GB/s %5.0f us\n", ic.key.c_str(), ic.name.c_str(), ic.bandwidthGbPerSecond,
                    ic.latencyMicroseconds);
    std::printf("\nformats:\n");
    for (const auto& q : moe::quantFormats())
        std::printf("  %-10s %.6f bytes/weight  %s\n", q.key.c_str(), q.bytesPerWeight(), q.description.c_str());
    return 0;
}

int runCompare(const Args& a, const moe::Catalog& catalog)
{
    if (a.positionals().size() < 2)
        throw UsageError("--compare needs two or more plan files (saved with --json)");
    std::vector<std::string> names;
    std::vector<moe::PlanInput> inputs;
    std::vector<moe::PlanResult> results;
    json out = json::array();
    for (const std::string& file : a.positionals()) {
        const json j = moe::readJsonFile(file);
        if (!j.is_object() || !j.contains("scenario"))
            throw moe::Error(moe::ErrorCode::MissingField, file, "scenario", "not a plan saved by 'moe plan --json'");
        inputs.push_back(planInputFromScenario(j.at("scenario"), catalog, file));
        results.push_back(moe::planDeployment(inputs.back()));
        names.push_back(file);
        out.push_back(planResultJson(j.at("scenario"), inputs.back(), results.back()));
    }
    if (a.has("--json"))
        std::printf("%s\n", dumpJson(out).c_str());
    else
        printComparison(names, inputs, results);
    return 0;
}

int runFit(const Args& a, const moe::Catalog& catalog)
{
    json scenario = scenarioFromArgs(a);
    // --fit searches GPUs and layouts itself; any given is only a starting point.
    for (const char* key : {"count", "tp", "ep", "pp", "dp", "dp_attention"})
        scenario.erase(key);
    const moe::PlanInput in = planInputFromScenario(scenario, catalog, "command line");
    const auto options = moe::cheapestFittingLayouts(in, catalog, size_t(a.intValue("--limit", 10, 1, 1000)));
    if (a.has("--json")) {
        std::printf("%s\n", dumpJson({{"scenario", scenario}, {"cheapest_fits", layoutOptionsJson(options)}}).c_str());
        return 0;
    }
    std::printf("%s, %s, context %lld, batch %lld\n\n", in.model.spec.name.c_str(),
                moe::quantFormat(in.weightFormat).key.c_str(), (long long)in.contextTokens, (long long)in.batch);
    printLayoutOptions(options, "cheapest layouts that fit (fewest GPUs per layout family and GPU type):");
    return 0;
}

int run(const std::vector<std::string>& argList)
{
    const Args a = Args::parse(planOptions(), argList);
    if (a.has("--help")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (a.has("--validate"))
        return runPlanValidation(a);
    const moe::Catalog catalog = openCatalog(a);
    if (a.has("--list"))
        return runList(catalog);
    if (a.has("--compare"))
        return runCompare(a, catalog);
    if (!a.positionals().empty())
        throw UsageError("unexpected argument '" + a.positionals()[0] + "'");
    if (!a.has("--model"))
        throw UsageError("--model NAME|config.json|GGUF is required");
    if (a.has("--fit"))
        return runFit(a, catalog);

    const json scenario = scenarioFromArgs(a);
    const moe::PlanInput in = planInputFromScenario(scenario, catalog, "command line");
    const moe::PlanResult result = moe::planDeployment(in);
    const auto fewest = moe::fewestGpusPerLayout(in);
    if (a.has("--json")) {
        json j = planResultJson(scenario, in, result);
        j["fewest_gpus"] = layoutOptionsJson(fewest);
        std::printf("%s\n", dumpJson(j).c_str());
        return 0;
    }
    printPlan(in, result);
    std::printf("\n");
    printLayoutOptions(fewest, ("fewest " + in.gpu.key + " GPUs per layout for this context and batch:").c_str());
    return 0;
}

} // namespace

const Command kPlanCommand = {"plan", "what-if planner: memory, GPUs, throughput and cost of a deployment", kUsage, run};

} // namespace moecli
