// Expert placement policies and the per-device figures of a plan (memory, load).
#include "moe/error.h"
#include "moe/parallel_plan.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace moe {

ExpertPlacement placeContiguous(int64_t experts, int64_t groups)
{
    ExpertPlacement p;
    p.slotsPerGroup = experts / groups;
    p.expertsOfGroup.resize(size_t(groups));
    p.groupsOfExpert.resize(size_t(experts));
    for (int64_t e = 0; e < experts; ++e) {
        const int64_t g = e / p.slotsPerGroup;
        p.expertsOfGroup[size_t(g)].push_back(int32_t(e));
        p.groupsOfExpert[size_t(e)].push_back(int32_t(g));
    }
    return p;
}

ExpertPlacement placeRoundRobin(int64_t experts, int64_t groups)
{
    ExpertPlacement p;
    p.slotsPerGroup = experts / groups;
    p.expertsOfGroup.resize(size_t(groups));
    p.groupsOfExpert.resize(size_t(experts));
    for (int64_t e = 0; e < experts; ++e) {
        p.expertsOfGroup[size_t(e % groups)].push_back(int32_t(e));
        p.groupsOfExpert[size_t(e)].push_back(int32_t(e % groups));
    }
    return p;
}

ExpertPlacement placeBalanced(const std::vector<double>& loads, int64_t groups, int64_t slotsPerGroup)
{
    const int64_t experts = int64_t(loads.size());
    const int64_t slots = groups * slotsPerGroup;
    if (slots < experts)
        throw Error(ErrorCode::InvalidArgument, "", "placement",
                    std::to_string(slots) + " expert slots cannot hold " + std::to_string(experts) + " experts");
    // 1. Replicas: every spare slot goes to the expert with the most load per replica
    //    (ties: the lower id, so the plan is deterministic). A group holds an expert at
    //    most once, so no expert gets more replicas than there are groups.
    std::vector<int64_t> replicas(size_t(experts), 1);
    for (int64_t spare = slots - experts; spare > 0; --spare) {
        int64_t best = -1;
        for (int64_t e = 0; e < experts; ++e)
            if (replicas[size_t(e)] < groups &&
                (best < 0 || loads[size_t(e)] / double(replicas[size_t(e)]) >
                                 loads[size_t(best)] / double(replicas[size_t(best)])))
                best = e;
        if (best < 0)
            break; // every expert on every group already
        ++replicas[size_t(best)];
    }
    // 2. Greedy packing, heaviest replica first, onto the least-loaded group that has a
    //    free slot and no replica of that expert yet.
    struct Replica { int32_t expert; double load; };
    std::vector<Replica> all;
    for (int64_t e = 0; e < experts; ++e)
        for (int64_t r = 0; r < replicas[size_t(e)]; ++r)
            all.push_back({int32_t(e), loads[size_t(e)] / double(replicas[size_t(e)])});
    std::stable_sort(all.begin(), all.end(), [](const Replica& a, const Replica& b) { return a.load > b.load; });
    ExpertPlacement p;
    p.slotsPerGroup = slotsPerGroup;
    p.expertsOfGroup.resize(size_t(groups));
    p.groupsOfExpert.resize(size_t(experts));
    std::vector<double> groupLoad(size_t(groups), 0.0);
    for (const Replica& rep : all) {
        int64_t best = -1;
        for (int64_t g = 0; g < groups; ++g) {
            const auto& held = p.expertsOfGroup[size_t(g)];
            if (int64_t(held.size()) >= slotsPerGroup || std::find(held.begin(), held.end(), rep.expert) != held.end())
                continue;
            if (best < 0 || groupLoad[size_t(g)] < groupLoad[size_t(best)])
                best = g;
        }
        if (best < 0)
            continue; // only possible for an extra replica; the expert is placed already
        p.expertsOfGroup[size_t(best)].push_back(rep.expert);
        p.groupsOfExpert[size_t(rep.expert)].push_back(int32_t(best));
        groupLoad[size_t(best)] += rep.load;
    }
    for (auto& g : p.groupsOfExpert)
        std::sort(g.begin(), g.end());
    for (auto& e : p.expertsOfGroup)
        std::sort(e.begin(), e.end());
    return p;
}

double ParallelPlan::maxOverMeanGroupLoad(int64_t moeLayer, const std::vector<double>& loads) const
{
    const ExpertPlacement& p = placement(moeLayer);
    std::vector<double> group(size_t(m_ep), 0.0);
    for (size_t e = 0; e < loads.size() && e < p.groupsOfExpert.size(); ++e)
        for (int32_t g : p.groupsOfExpert[e])
            group[size_t(g)] += loads[e] / double(p.groupsOfExpert[e].size());
    const double total = std::accumulate(group.begin(), group.end(), 0.0);
    if (total <= 0)
        return 1.0;
    return *std::max_element(group.begin(), group.end()) / (total / double(m_ep));
}

std::vector<DeviceMemory> ParallelPlan::memoryPerDevice(double bytesPerWeight, int64_t context) const
{
    const ModelSpec& s = m_spec;
    const int64_t h = s.hiddenSize;
    auto bytes = [&](int64_t params) { return uint64_t(double(params) * bytesPerWeight + 0.5); };
    int64_t denseLayers = 0;
    for (int64_t l = 0; l < s.numLayers; ++l)
        denseLayers += s.isMoeLayer(l) ? 0 : 1;
    const int64_t moeLayers = s.numMoeLayers();
    int64_t replicated = s.vocabSize * h * (s.tieWordEmbeddings ? 1 : 2) + h * (2 * s.numLayers + 1);
    replicated += moeLayers * s.numExperts * h + (s.sharedExpertGate ? moeLayers * h : 0);
    std::vector<DeviceMemory> out;
    for (int32_t d = 0; d < devices(); ++d) {
        const HeadShard hs = headShard(tpRankOf(d));
        DeviceMemory m;
        m.device = d;
        m.attentionBytes = bytes(s.numLayers * 2 * h * s.headDim * (hs.heads + hs.kvHeads));
        int64_t expertParams = 0;
        for (int64_t ml = 0; ml < int64_t(m_placements.size()); ++ml)
            expertParams += int64_t(placement(ml).expertsOfGroup[size_t(epRankOf(d))].size()) * 3 * h *
                            (s.moeIntermediateSize / m_tp);
        expertParams += moeLayers * s.numSharedExperts * 3 * h * (s.sharedExpertIntermediateSize / m_tp);
        expertParams += denseLayers * 3 * h * (s.intermediateSize / m_tp);
        m.expertBytes = bytes(expertParams);
        m.replicatedBytes = bytes(replicated);
        m.kvBytes = uint64_t(s.numLayers) * uint64_t(context) * 2 * uint64_t(hs.kvHeads * s.headDim) * 4;
        out.push_back(m);
    }
    return out;
}

void ParallelPlan::checkFits(const std::vector<DeviceMemory>& memory) const
{
    const uint64_t limit = m_config.memoryLimitBytes;
    if (limit == 0)
        return;
    for (const DeviceMemory& m : memory) {
        if (m.totalBytes() <= limit)
            continue;
        char buf[256];
        const double mib = 1024.0 * 1024.0;
        std::snprintf(buf, sizeof buf, "device %d needs %.2f MiB but the limit is %.2f MiB: %.2f MiB (%llu bytes) over",
                      m.device, double(m.totalBytes()) / mib, double(limit) / mib,
                      double(m.totalBytes() - limit) / mib, (unsigned long long)(m.totalBytes() - limit));
        throw Error(ErrorCode::OutOfMemory, "", "memory-limit", buf);
    }
}

} // namespace moe
