// A planner scenario (JSON object of inputs) -> PlanInput against the catalog.
#include "moe/plan_scenario.h"

#include "moe/architecture.h"
#include "moe/engine.h"
#include "moe/error.h"
#include "moe/safetensors.h"

#include <algorithm>
#include <filesystem>

namespace moe {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Integer options go into the scenario unchecked: the planner's validation names the
// field of a bad value (zero GPUs, a negative price) as a Error.
std::string catalogKeys(const std::vector<std::string>& keys)
{
    std::string out;
    for (const std::string& k : keys)
        out += (out.empty() ? "" : ", ") + k;
    return out;
}

const json* find(const json& s, const char* key) { return s.contains(key) ? &s.at(key) : nullptr; }

[[noreturn]] void badField(const std::string& file, const std::string& key, const std::string& why)
{
    throw Error(ErrorCode::BadValue, file, key, why);
}

int64_t intOr(const json& s, const char* key, int64_t fallback, const std::string& file)
{
    const json* v = find(s, key);
    if (!v)
        return fallback;
    if (!v->is_number_integer())
        badField(file, key, "must be an integer");
    return v->get<int64_t>();
}

double numberOr(const json& s, const char* key, double fallback, const std::string& file)
{
    const json* v = find(s, key);
    if (!v)
        return fallback;
    if (!v->is_number())
        badField(file, key, "must be a number");
    return v->get<double>();
}

std::string stringOr(const json& s, const char* key, const std::string& fallback, const std::string& file)
{
    const json* v = find(s, key);
    if (!v)
        return fallback;
    if (!v->is_string())
        badField(file, key, "must be a string");
    return v->get<std::string>();
}

double kvBytesPerElement(const std::string& dtype)
{
    if (dtype == "bf16" || dtype == "fp16" || dtype == "f16")
        return 2.0;
    if (dtype == "fp8" || dtype == "int8" || dtype == "q8_0")
        return 1.0;
    if (dtype == "fp32" || dtype == "f32")
        return 4.0;
    throw Error(ErrorCode::InvalidArgument, "", "kv_dtype", "unknown KV dtype '" + dtype + "' (bf16, fp16, fp8, fp32)");
}

InterconnectSpec linkByKey(const Catalog& catalog, const std::string& key, const char* field)
{
    if (const InterconnectSpec* ic = catalog.findInterconnect(key))
        return *ic;
    std::vector<std::string> keys;
    for (const auto& ic : catalog.interconnects)
        keys.push_back(ic.key);
    throw Error(ErrorCode::InvalidArgument, catalog.directory + "/interconnects.json", field,
                     "unknown interconnect '" + key + "' (known: " + catalogKeys(keys) + ")");
}

void applyOverheads(RuntimeOverheads& o, const json& s, const std::string& file)
{
    o.usableMemoryFraction = numberOr(s, "usable_memory_fraction", o.usableMemoryFraction, file);
    o.bandwidthEfficiency = numberOr(s, "bandwidth_efficiency", o.bandwidthEfficiency, file);
    o.computeEfficiency = numberOr(s, "compute_efficiency", o.computeEfficiency, file);
    o.maxBatchedTokens = intOr(s, "max_batched_tokens", o.maxBatchedTokens, file);
    const int64_t contextMib = intOr(s, "cuda_context_mib", int64_t(o.cudaContextBytes >> 20), file);
    const int64_t workspaceMib = intOr(s, "workspace_mib", int64_t(o.workspaceBytes >> 20), file);
    if (contextMib < 0 || workspaceMib < 0)
        badField(file, contextMib < 0 ? "cuda_context_mib" : "workspace_mib", "must not be negative");
    o.cudaContextBytes = uint64_t(contextMib) << 20;
    o.workspaceBytes = uint64_t(workspaceMib) << 20;
}

} // namespace

PlanModel resolvePlanModel(const std::string& model, const Catalog& catalog)
{
    if (const Catalog::Model* m = catalog.findModel(model))
        return m->model;
    std::error_code ec;
    if (!fs::exists(model, ec)) {
        std::vector<std::string> keys;
        for (const auto& m : catalog.models)
            keys.push_back(m.model.key);
        throw Error(ErrorCode::InvalidArgument, catalog.directory + "/models.json", "model",
                         "unknown model '" + model + "': not in the catalog (" + catalogKeys(keys) + ") and no such file");
    }
    PlanModel pm;
    pm.key = model;
    if (fs::is_regular_file(model) && fs::path(model).extension() == ".json")
        pm.spec = specFromHfConfig(readJsonFile(model), model); // errors name the file and field
    else
        pm.spec = inspectModel(resolveModelPath(model)).spec;
    if (pm.spec.name.empty())
        pm.spec.name = fs::path(model).filename().string();
    return pm;
}

PlanInput planInputFromScenario(const json& s, const Catalog& catalog, const std::string& file)
{
    if (!s.is_object())
        throw Error(ErrorCode::BadValue, file, "scenario", "must be a JSON object");
    PlanInput in;
    const std::string model = stringOr(s, "model", "", file);
    if (model.empty())
        throw Error(ErrorCode::MissingField, file, "model", "no model given (--model NAME|config.json|GGUF)");
    in.model = resolvePlanModel(model, catalog);
    const std::string quant = stringOr(s, "quant", "bf16", file);
    const QuantFormat* q = findQuantFormat(quant);
    if (!q)
        throw Error(ErrorCode::InvalidArgument, "", "quant",
                         "unknown weight format '" + quant + "' (" + quantFormatKeys() + ")");
    in.weightFormat = q->id;
    in.kvBytesPerElement = kvBytesPerElement(stringOr(s, "kv_dtype", "bf16", file));

    const std::string gpuKey = stringOr(s, "gpu", "h100-sxm", file);
    const GpuSpec* gpu = catalog.findGpu(gpuKey);
    if (!gpu) {
        std::vector<std::string> keys;
        for (const auto& g : catalog.gpus)
            keys.push_back(g.key);
        throw Error(ErrorCode::InvalidArgument, catalog.directory + "/gpus.json", "gpu",
                         "unknown GPU '" + gpuKey + "' (known: " + catalogKeys(keys) + ")");
    }
    in.gpu = *gpu;
    in.layout.pp = intOr(s, "pp", 1, file);
    in.layout.dp = intOr(s, "dp", 1, file);
    in.layout.dpAttention = find(s, "dp_attention") && s.at("dp_attention").is_boolean() && s.at("dp_attention").get<bool>();
    // --count alone means tensor parallel over all of them.
    const int64_t splits = std::max<int64_t>(1, in.layout.pp * in.layout.dp);
    in.gpuCount = intOr(s, "count", std::max<int64_t>(1, intOr(s, "tp", 1, file)) * splits, file);
    in.layout.tp = intOr(s, "tp", in.gpuCount > 0 && in.gpuCount % splits == 0 ? in.gpuCount / splits : 1, file);
    in.layout.ep = intOr(s, "ep", 1, file);

    in.contextTokens = intOr(s, "context", 4096, file);
    in.promptTokens = intOr(s, "prompt", 0, file);
    in.batch = intOr(s, "batch", 1, file);
    in.usdPerGpuHour = numberOr(s, "price", gpu->usdPerHour, file);
    in.qualityScore = numberOr(s, "score", 0, file);

    in.scaleUp = linkByKey(catalog, stringOr(s, "interconnect", gpu->scaleUpLink, file), "interconnect");
    if (find(s, "interconnect_bw") || find(s, "interconnect_latency_us")) {
        in.scaleUp.key = "custom";
        in.scaleUp.name = "custom link";
        in.scaleUp.bandwidthGbPerSecond = numberOr(s, "interconnect_bw", in.scaleUp.bandwidthGbPerSecond, file);
        in.scaleUp.latencyMicroseconds = numberOr(s, "interconnect_latency_us", in.scaleUp.latencyMicroseconds, file);
    }
    in.scaleOut = linkByKey(catalog, stringOr(s, "scale_out", "infiniband-ndr", file), "scale_out");
    applyOverheads(in.overheads, s, file);
    return in;
}

} // namespace moe
