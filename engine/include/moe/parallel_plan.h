// moe/parallel_plan.h — how one model is split over several devices (parallel room).
//
// The mesh is tp x ep devices; device d has EP rank d / tp and TP rank d % tp.
// - Attention: heads split over the tp ranks of each EP group (q/k/v head rows, the KV
//   cache of those heads, o-proj input columns → partial sums, one all-reduce). With
//   ep > 1 every EP group is a data-parallel attention replica (DP attention). The engine
//   holds one sequence, so the replicas run the same tokens; each EP group then OWNS the
//   tokens t with t % ep == its rank for the MoE part (dispatch / combine / all-gather).
// - Routed experts: each EP group holds the experts its placement gives it, each expert
//   split over the group's tp ranks along the FFN width (expert-TP = tp).
// - Shared experts and dense FFN layers: split over tp like the routed experts.
// Placement: contiguous (group g holds experts [g*E/ep, (g+1)*E/ep)), round-robin
// (expert e on group e % ep), or balanced from measured loads (EPLB-style, see
// placeBalanced in parallel_plan.cpp).
#pragma once

#include "moe/model_spec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moe {

enum class PlacementPolicy { Contiguous, RoundRobin, Balanced };
const char* placementName(PlacementPolicy p);

// Auto: the first CUDA GPU when the CUDA backend and a GPU are there, else the CPU.
enum class DeviceKind { Cpu, Cuda, Auto };

// What the user asks for (CLI --devices/--tp/--ep/--placement, or the GUI).
struct ParallelConfig {
    DeviceKind kind = DeviceKind::Cpu;
    int64_t devices = 1;
    std::vector<int> cudaDevices;        // DeviceKind::Cuda
    int64_t tp = 1;
    int64_t ep = 1;
    PlacementPolicy placement = PlacementPolicy::Contiguous;
    // Balanced: measured loads, [moeLayer * numExperts + expert] (a profiling run's
    // totalCounts()) or [numExperts] for every layer.
    std::vector<int64_t> expertLoads;
    int64_t redundantSlotsPerGroup = 1;  // balanced: spare expert slots per EP group
    uint64_t memoryLimitBytes = 0;       // per device; 0 = no limit

    bool isParallel() const { return devices != 1 || tp != 1 || ep != 1; }
};

// "cpu:4" / "cuda:0,1,2,3" / "auto" → kind, devices, cudaDevices. Throws Error naming the text.
void parseDeviceList(const std::string& text, ParallelConfig& config);
// "contiguous" | "round-robin" | "balanced" (the ":run.db" part is the caller's).
PlacementPolicy parsePlacement(const std::string& text);

struct ExpertPlacement {
    int64_t slotsPerGroup = 0;
    std::vector<std::vector<int32_t>> expertsOfGroup; // [group] → experts held, slot order
    std::vector<std::vector<int32_t>> groupsOfExpert; // [expert] → groups with a replica

    // The replica that serves `expert` for the token at `position`: consecutive positions
    // alternate over the replicas, so each gets an even, deterministic share.
    int32_t groupFor(int32_t expert, int64_t position) const
    {
        const auto& g = groupsOfExpert[size_t(expert)];
        return g[size_t(position % int64_t(g.size()))];
    }
};

struct DeviceMemory {
    int32_t device = 0;
    uint64_t attentionBytes = 0;
    uint64_t expertBytes = 0;     // routed experts (with replicas) + shared / dense FFN
    uint64_t replicatedBytes = 0; // embeddings, LM head, norms, routers (on every device)
    uint64_t kvBytes = 0;         // F32 cache of this device's KV heads at the context length
    uint64_t totalBytes() const { return attentionBytes + expertBytes + replicatedBytes + kvBytes; }
};

class ParallelPlan {
public:
    // Validates (validateParallelConfig) and places the experts.
    static ParallelPlan make(const ModelSpec& spec, const ParallelConfig& config);

    int64_t tp() const { return m_tp; }
    int64_t ep() const { return m_ep; }
    int32_t devices() const { return int32_t(m_tp * m_ep); }
    int32_t deviceOf(int64_t epRank, int64_t tpRank) const { return int32_t(epRank * m_tp + tpRank); }
    int64_t epRankOf(int32_t device) const { return device / m_tp; }
    int64_t tpRankOf(int32_t device) const { return device % m_tp; }
    bool dpAttention() const { return m_ep > 1; }
    PlacementPolicy policy() const { return m_policy; }
    const ParallelConfig& config() const { return m_config; }

    // Placement of MoE layer `moeLayer` (index among the MoE layers).
    const ExpertPlacement& placement(int64_t moeLayer) const;
    int64_t numMoeLayers() const { return int64_t(m_placements.size()); }

    // Attention shard of TP rank r: q heads [firstHead, firstHead + heads), kv heads
    // [firstKvHead, firstKvHead + kvHeads). With tp > kv heads each kv head is
    // replicated on tp / kvHeads ranks (vLLM's rule).
    struct HeadShard {
        int64_t firstHead = 0, heads = 0, firstKvHead = 0, kvHeads = 0;
        bool ownsKvNorm = true; // first replica of its kv heads (counts them once)
    };
    HeadShard headShard(int64_t tpRank) const;

    // Bytes on each device for weights at `bytesPerWeight` and an F32 KV cache of `context` tokens.
    std::vector<DeviceMemory> memoryPerDevice(double bytesPerWeight, int64_t context) const;
    // Throws Error(OutOfMemory) naming the device and by how much it exceeds the limit.
    void checkFits(const std::vector<DeviceMemory>& memory) const;

    // max / mean over EP groups of the token-expert assignments each group serves, for
    // per-expert loads `loads` [numExperts] of MoE layer `moeLayer` (replicas share evenly).
    double maxOverMeanGroupLoad(int64_t moeLayer, const std::vector<double>& loads) const;

private:
    ModelSpec m_spec;
    ParallelConfig m_config;
    int64_t m_tp = 1, m_ep = 1;
    PlacementPolicy m_policy = PlacementPolicy::Contiguous;
    std::vector<ExpertPlacement> m_placements;
};

// The one place a plan is checked; throws Error(InvalidArgument) whose field is "tp",
// "ep", "devices" or "placement" and whose message names the offending number.
void validateParallelConfig(const ModelSpec& spec, const ParallelConfig& config);

// EPLB-style placement for one layer: replicate the hottest experts into the spare
// slots (each extra replica goes to the expert with the highest load per replica), then
// place replicas heaviest-first on the least-loaded group with a free slot that does not
// already hold that expert.
ExpertPlacement placeBalanced(const std::vector<double>& loads, int64_t groups, int64_t slotsPerGroup);
ExpertPlacement placeContiguous(int64_t experts, int64_t groups);
ExpertPlacement placeRoundRobin(int64_t experts, int64_t groups);

} // namespace moe
