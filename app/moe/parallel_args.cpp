#include "parallel_args.h"

#include "moe/error.h"
#include "moe/store.h"

#include <cstdio>

namespace moecli {

std::vector<OptionSpec> parallelOptions()
{
    return {{"--devices", "", true},   {"--tp", "", true},        {"--ep", "", true},
            {"--placement", "", true}, {"--profile-id", "", true}, {"--memory-limit-mib", "", true},
            {"--link", "", true},      {"--link-gbps", "", true},  {"--link-latency-us", "", true}};
}

const char* const kParallelHelp = R"(Parallelism (virtual CPU devices move and count real data):
  --devices D               cpu:N (default cpu:1; N > 1: virtual devices), cuda:N (one GPU),
                            cuda:0,1,... (a TP x EP plan over those GPUs, NCCL between
                            them), or auto (the first GPU when the CUDA backend and a GPU
                            are there, else the CPU, saying why)
  --tp N                    tensor-parallel ranks (attention heads, expert FFN width)
  --ep N                    expert-parallel groups (devices = tp x ep)
  --placement P             contiguous | round-robin | balanced:RUN.db (loads of the latest
                            profiling run in that store, or --profile-id N)
  --memory-limit-mib N      refuse a plan that needs more per device, saying by how much
  --link L                  nvlink4 (900 GB/s bidirectional) | pcie4 | pcie5, for the
                            ESTIMATED communication time (default nvlink4; on GPUs the
                            traffic view also shows the measured time)
  --link-gbps G, --link-latency-us U   a custom link instead (GB/s per direction)
)";

namespace {

std::vector<int64_t> loadsFromStore(const std::string& db, const Args& args)
{
    const moe::Store store = moe::Store::open(db, moe::StoreMode::ReadOnly);
    int64_t id = args.intValue("--profile-id", 0, 0, INT64_MAX);
    if (id == 0) {
        const auto runs = store.listProfileRuns();
        if (runs.empty())
            throw moe::Error(moe::ErrorCode::MissingField, db, "profile run", "the store holds no profiling run");
        for (const auto& r : runs)
            id = std::max(id, r.id);
    }
    const auto run = store.loadProfileRun(id);
    if (!run)
        throw moe::Error(moe::ErrorCode::MissingField, db, "profile run", "no profiling run " + std::to_string(id));
    return run->totalCounts();
}

} // namespace

void applyParallelArgs(const Args& args, moe::EngineOptions& options)
{
    moe::ParallelConfig& c = options.parallel;
    if (args.has("--devices"))
        moe::parseDeviceList(args.value("--devices"), c);
    c.tp = args.intValue("--tp", 1, 1, 1024);
    c.ep = args.intValue("--ep", 1, 1, 1024);
    if (!args.has("--devices"))
        c.devices = c.tp * c.ep; // --tp/--ep alone: that many virtual CPU devices
    const std::string placement = args.value("--placement", "contiguous");
    const size_t colon = placement.find(':');
    c.placement = moe::parsePlacement(placement.substr(0, colon));
    if (c.placement == moe::PlacementPolicy::Balanced) {
        if (colon == std::string::npos)
            throw UsageError("--placement balanced needs a profiling store: balanced:RUN.db");
        c.expertLoads = loadsFromStore(placement.substr(colon + 1), args);
    }
    c.memoryLimitBytes = args.uintValue("--memory-limit-mib", 0) * 1024 * 1024;
    if (args.has("--link-gbps"))
        options.link = moe::LinkModel::custom(args.floatValue("--link-gbps", 0), args.floatValue("--link-latency-us", 5));
    else if (args.has("--link"))
        options.link = moe::LinkModel::byName(args.value("--link"));
}

namespace {

std::vector<moe::DeviceMemory> planMemory(const moe::ModelInfo& info, int64_t context, const Args& args,
                                          moe::ParallelPlan& plan)
{
    moe::EngineOptions options;
    applyParallelArgs(args, options);
    plan = moe::ParallelPlan::make(info.spec, options.parallel);
    const int64_t params = info.spec.parameterCounts().total;
    const double bytesPerWeight = params > 0 ? double(info.weightBytes) / double(params) : 4.0;
    return plan.memoryPerDevice(bytesPerWeight, context);
}

} // namespace

nlohmann::json deviceMemoryJson(const moe::ModelInfo& info, int64_t context, const Args& args)
{
    moe::ParallelPlan plan;
    const auto memory = planMemory(info, context, args, plan);
    nlohmann::json list = nlohmann::json::array();
    for (const moe::DeviceMemory& m : memory)
        list.push_back({{"device", m.device}, {"tp_rank", plan.tpRankOf(m.device)}, {"ep_rank", plan.epRankOf(m.device)},
                        {"attention_bytes", m.attentionBytes}, {"expert_bytes", m.expertBytes},
                        {"replicated_bytes", m.replicatedBytes}, {"kv_bytes", m.kvBytes},
                        {"total_bytes", m.totalBytes()}});
    nlohmann::json j = planJson(plan);
    j["context"] = context;
    j["memory_per_device"] = list;
    plan.checkFits(memory);
    return j;
}

void printDeviceMemory(const moe::ModelInfo& info, int64_t context, const Args& args)
{
    moe::ParallelPlan plan;
    const auto memory = planMemory(info, context, args, plan);
    std::printf("\nplan: %d devices, tp %lld x ep %lld%s, %s placement, context %lld\n", plan.devices(),
                (long long)plan.tp(), (long long)plan.ep(), plan.dpAttention() ? " (DP attention)" : "",
                moe::placementName(plan.policy()), (long long)context);
    std::printf("  device  tp ep   attention     experts  replicated    KV cache       total\n");
    for (const moe::DeviceMemory& m : memory)
        std::printf("  %6d %3lld %2lld  %10s  %10s  %10s  %10s  %10s\n", m.device, (long long)plan.tpRankOf(m.device),
                    (long long)plan.epRankOf(m.device), formatBytes(m.attentionBytes).c_str(),
                    formatBytes(m.expertBytes).c_str(), formatBytes(m.replicatedBytes).c_str(),
                    formatBytes(m.kvBytes).c_str(), formatBytes(m.totalBytes()).c_str());
    plan.checkFits(memory);
}

nlohmann::json planJson(const moe::ParallelPlan& plan)
{
    return {{"devices", plan.devices()},
            {"tp", plan.tp()},
            {"ep", plan.ep()},
            {"dp_attention", plan.dpAttention()},
            {"placement", moe::placementName(plan.policy())}};
}

nlohmann::json trafficJson(const moe::TrafficMatrix& t)
{
    nlohmann::json pairs = nlohmann::json::array();
    for (int32_t s = 0; s < t.devices; ++s)
        for (int32_t d = 0; d < t.devices; ++d)
            if (t.pairBytes(s, d) > 0)
                pairs.push_back({{"src", s}, {"dst", d}, {"bytes", t.pairBytes(s, d)}});
    nlohmann::json kinds = nlohmann::json::object();
    for (int64_t k = 0; k < moe::kTrafficKinds; ++k)
        kinds[moe::trafficKindName(moe::TrafficKind(k))] = t.kindBytes(moe::TrafficKind(k));
    return {{"bytes_total", t.totalBytes()},
            {"bytes_by_kind", kinds},
            {"bytes_by_device_pair", pairs},
            {"collectives", t.collectives},
            {"measured_seconds", t.measuredSeconds},
            {"measured_note", t.estimated ? "wall time of in-process copies between virtual devices" : "device time"},
            {"estimated_seconds", t.estimatedSeconds},
            {"estimate", true},
            {"estimate_link", t.link}};
}

void printTraffic(const moe::TrafficMatrix& t, const char* what)
{
    std::printf("traffic (%s): %s in %lld collectives\n", what, formatBytes(t.totalBytes()).c_str(),
                (long long)t.collectives);
    for (int64_t k = 0; k < moe::kTrafficKinds; ++k)
        if (t.kindBytes(moe::TrafficKind(k)) > 0)
            std::printf("  %-11s %s\n", moe::trafficKindName(moe::TrafficKind(k)),
                        formatBytes(t.kindBytes(moe::TrafficKind(k))).c_str());
    std::printf("  bytes src -> dst:\n");
    for (int32_t s = 0; s < t.devices; ++s) {
        std::printf("    %2d:", s);
        for (int32_t d = 0; d < t.devices; ++d)
            std::printf(" %10llu", (unsigned long long)t.pairBytes(s, d));
        std::printf("\n");
    }
    std::printf("  ESTIMATE on %s: %.1f us (virtual devices: not a measurement)\n", t.link.c_str(),
                t.estimatedSeconds * 1e6);
}

} // namespace moecli
