// `moe plan`'s command-line options -> a scenario object.
#include "plan_scenario.h"

#include <algorithm>

namespace moecli {
namespace {

using nlohmann::json;

// Integer options go into the scenario unchecked: the planner's validation names the
// field of a bad value (zero GPUs, a negative price) as a moe::Error.
int64_t rawInt(const Args& a, const std::string& name)
{
    const std::string v = a.value(name);
    try {
        size_t used = 0;
        const long long n = std::stoll(v, &used);
        if (used == v.size())
            return n;
    } catch (const std::exception&) {
    }
    throw UsageError("option '" + name + "' needs an integer, got '" + v + "'");
}

} // namespace

json scenarioFromArgs(const Args& a)
{
    json s = json::object();
    for (const char* key : {"model", "quant", "kv-dtype", "gpu", "interconnect", "scale-out"})
        if (a.has(std::string("--") + key)) {
            std::string k = key;
            std::replace(k.begin(), k.end(), '-', '_');
            s[k] = a.value(std::string("--") + key);
        }
    for (const char* key : {"count", "tp", "ep", "pp", "dp", "context", "prompt", "batch", "max-batched-tokens",
                            "cuda-context-mib", "workspace-mib"})
        if (a.has(std::string("--") + key)) {
            std::string k = key;
            std::replace(k.begin(), k.end(), '-', '_');
            s[k] = rawInt(a, std::string("--") + key);
        }
    for (const char* key : {"price", "score", "interconnect-bw", "interconnect-latency-us", "usable-memory-fraction",
                            "bandwidth-efficiency", "compute-efficiency"})
        if (a.has(std::string("--") + key)) {
            std::string k = key;
            std::replace(k.begin(), k.end(), '-', '_');
            s[k] = a.floatValue(std::string("--") + key, 0);
        }
    if (a.has("--dp-attention"))
        s["dp_attention"] = true;
    return s;
}

} // namespace moecli
