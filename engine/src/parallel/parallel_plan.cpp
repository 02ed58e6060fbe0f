#include "moe/parallel_plan.h"

#include "moe/error.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace moe {
namespace {

[[noreturn]] void bad(const std::string& field, const std::string& why)
{
    throw Error(ErrorCode::InvalidArgument, "", field, why);
}

std::string num(int64_t v) { return std::to_string(v); }

bool hasDenseLayer(const ModelSpec& s)
{
    for (int64_t l = 0; l < s.numLayers; ++l)
        if (!s.isMoeLayer(l))
            return true;
    return false;
}

void validateAttention(const ModelSpec& s, int64_t tp)
{
    if (s.numHeads % tp != 0)
        bad("tp", "num_attention_heads " + num(s.numHeads) + " is not divisible by tp " + num(tp));
    if (s.numKvHeads % tp != 0 && tp % s.numKvHeads != 0)
        bad("tp", "tp " + num(tp) + " neither divides nor is a multiple of num_key_value_heads " + num(s.numKvHeads));
    if (s.isMoe() && s.moeIntermediateSize % tp != 0)
        bad("tp", "moe_intermediate_size " + num(s.moeIntermediateSize) + " is not divisible by tp " + num(tp));
    if (s.numSharedExperts > 0 && s.sharedExpertIntermediateSize % tp != 0)
        bad("tp", "shared_expert_intermediate_size " + num(s.sharedExpertIntermediateSize) +
                      " is not divisible by tp " + num(tp));
    if (hasDenseLayer(s) && s.intermediateSize % tp != 0)
        bad("tp", "intermediate_size " + num(s.intermediateSize) + " is not divisible by tp " + num(tp));
}

void validateExperts(const ModelSpec& s, const ParallelConfig& c)
{
    if (c.ep > 1 && !s.isMoe())
        bad("ep", "ep " + num(c.ep) + " needs an MoE model; " + s.name + " is dense");
    if (c.ep > 1 && c.ep > s.numExperts)
        bad("ep", "ep " + num(c.ep) + " exceeds num_experts " + num(s.numExperts));
    if (c.placement != PlacementPolicy::Balanced && s.isMoe() && s.numExperts % c.ep != 0)
        bad("ep", "ep " + num(c.ep) + " does not divide num_experts " + num(s.numExperts) +
                      " (balanced placement can pad with replicas)");
    if (c.placement != PlacementPolicy::Balanced)
        return;
    if (c.redundantSlotsPerGroup < 0)
        bad("placement", "redundant slots per group must not be negative, got " + num(c.redundantSlotsPerGroup));
    const size_t perLayer = size_t(s.numExperts), all = size_t(s.numExperts * s.numMoeLayers());
    if (c.expertLoads.size() != perLayer && c.expertLoads.size() != all)
        bad("placement", "balanced placement needs expert loads for " + num(int64_t(perLayer)) + " experts or " +
                             num(int64_t(all)) + " layer x expert counts, got " + num(int64_t(c.expertLoads.size())));
    for (int64_t v : c.expertLoads)
        if (v < 0)
            bad("placement", "expert load " + num(v) + " is negative");
}

} // namespace

const char* placementName(PlacementPolicy p)
{
    switch (p) {
    case PlacementPolicy::Contiguous: return "contiguous";
    case PlacementPolicy::RoundRobin: return "round-robin";
    case PlacementPolicy::Balanced: return "balanced";
    }
    return "?";
}

PlacementPolicy parsePlacement(const std::string& text)
{
    if (text == "contiguous")
        return PlacementPolicy::Contiguous;
    if (text == "round-robin" || text == "roundrobin")
        return PlacementPolicy::RoundRobin;
    if (text == "balanced")
        return PlacementPolicy::Balanced;
    bad("placement", "unknown placement '" + text + "' (contiguous, round-robin, balanced[:run.db])");
}

void parseDeviceList(const std::string& text, ParallelConfig& c)
{
    const size_t colon = text.find(':');
    const std::string kind = text.substr(0, colon), rest = colon == std::string::npos ? "" : text.substr(colon + 1);
    if (kind == "cpu") {
        c.kind = DeviceKind::Cpu;
        char* end = nullptr;
        const long n = rest.empty() ? 1 : std::strtol(rest.c_str(), &end, 10);
        if ((!rest.empty() && *end != '\0') || n < 1 || n > 64)
            bad("devices", "'" + text + "': expected cpu:N with N in 1..64");
        c.devices = n;
        return;
    }
    if (kind == "auto" && rest.empty()) {
        c.kind = DeviceKind::Auto;
        c.devices = 1;
        c.cudaDevices.clear();
        return;
    }
    if (kind == "cuda") {
        c.kind = DeviceKind::Cuda;
        c.cudaDevices.clear();
        size_t pos = 0;
        while (pos <= rest.size() && !rest.empty()) {
            const size_t comma = rest.find(',', pos);
            const std::string item = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            char* end = nullptr;
            const long id = std::strtol(item.c_str(), &end, 10);
            if (item.empty() || *end != '\0' || id < 0)
                bad("devices", "'" + text + "': '" + item + "' is not a CUDA device number");
            c.cudaDevices.push_back(int(id));
            if (comma == std::string::npos)
                break;
            pos = comma + 1;
        }
        if (c.cudaDevices.empty())
            bad("devices", "'" + text + "': expected cuda:0,1,...");
        c.devices = int64_t(c.cudaDevices.size());
        return;
    }
    bad("devices", "'" + text + "': expected cpu:N, cuda:0,1,... or auto");
}

void validateParallelConfig(const ModelSpec& s, const ParallelConfig& c)
{
    if (c.devices < 1)
        bad("devices", "need at least 1 device, got " + num(c.devices));
    if (c.tp < 1)
        bad("tp", "must be at least 1, got " + num(c.tp));
    if (c.ep < 1)
        bad("ep", "must be at least 1, got " + num(c.ep));
    if (c.tp * c.ep != c.devices)
        bad("devices", num(c.devices) + " devices do not match tp " + num(c.tp) + " x ep " + num(c.ep) + " = " +
                           num(c.tp * c.ep));
    if (s.usesMla() && c.tp > 1)
        bad("tp", "tp " + num(c.tp) + ": multi-head latent attention is not split by this engine");
    validateAttention(s, c.tp);
    validateExperts(s, c);
}

ParallelPlan ParallelPlan::make(const ModelSpec& spec, const ParallelConfig& config)
{
    validateParallelConfig(spec, config);
    ParallelPlan p;
    p.m_spec = spec;
    p.m_config = config;
    p.m_tp = config.tp;
    p.m_ep = config.ep;
    p.m_policy = config.placement;
    const int64_t e = spec.numExperts, moeLayers = spec.numMoeLayers();
    for (int64_t m = 0; m < moeLayers && e > 0; ++m) {
        if (config.placement == PlacementPolicy::Contiguous) {
            p.m_placements.push_back(placeContiguous(e, p.m_ep));
        } else if (config.placement == PlacementPolicy::RoundRobin) {
            p.m_placements.push_back(placeRoundRobin(e, p.m_ep));
        } else {
            const size_t base = config.expertLoads.size() == size_t(e) ? 0 : size_t(m * e);
            std::vector<double> loads(static_cast<size_t>(e));
            for (int64_t x = 0; x < e; ++x)
                loads[size_t(x)] = double(config.expertLoads[base + size_t(x)]);
            const int64_t slots = (e + p.m_ep - 1) / p.m_ep + (p.m_ep > 1 ? config.redundantSlotsPerGroup : 0);
            p.m_placements.push_back(placeBalanced(loads, p.m_ep, std::min(slots, e)));
        }
    }
    return p;
}

const ExpertPlacement& ParallelPlan::placement(int64_t moeLayer) const
{
    if (moeLayer < 0 || moeLayer >= int64_t(m_placements.size()))
        bad("layer", "no MoE layer " + num(moeLayer));
    return m_placements[size_t(moeLayer)];
}

ParallelPlan::HeadShard ParallelPlan::headShard(int64_t r) const
{
    HeadShard h;
    h.heads = m_spec.numHeads / m_tp;
    h.firstHead = r * h.heads;
    if (m_spec.numKvHeads >= m_tp) {
        h.kvHeads = m_spec.numKvHeads / m_tp;
        h.firstKvHead = r * h.kvHeads;
    } else {
        const int64_t replicas = m_tp / m_spec.numKvHeads;
        h.kvHeads = 1;
        h.firstKvHead = r / replicas;
        h.ownsKvNorm = r % replicas == 0;
    }
    return h;
}

} // namespace moe
