// Internal: one virtual device of a ParallelForwardPass — its weight shards, KV shard,
// activations and MoE exchange buffers, all sized once for the largest batch.
#pragma once

#include "model_weights.h"

#include "moe/parallel_plan.h"

#include <vector>

namespace moe {

struct AttentionShard {
    DeviceTensor q, k, v, o;        // head rows of q/k/v [heads*hd, hidden]; o columns [hidden, heads*hd]
    DeviceTensor qBias, kBias, vBias;
    DeviceTensor qNorm, kNorm;      // per-head: the whole vector; whole-projection: this device's slice
};

struct FfnShard {
    std::vector<ExpertWeights> experts; // this device's slice of each expert its EP group holds
    std::vector<int32_t> localOf;       // [numExperts] → index in experts, -1 when not held
    ExpertWeights dense;                // slice of the shared expert / dense FFN (data null if absent)
};

struct ParallelDevice {
    int32_t id = 0;
    int64_t tpRank = 0, epRank = 0;
    ParallelPlan::HeadShard heads;
    std::vector<AttentionShard> attn;   // per decoder layer
    std::vector<FfnShard> ffn;          // per decoder layer
    std::vector<DeviceTensor> kCache, vCache; // [context, kvHeads*hd] per layer
    std::vector<DeviceTensor> owned;    // tensors this device allocated (released at the end)

    // Activations [maxBatch, width] (work rows: [maxBatch * topK, hidden]).
    DeviceTensor x, xn, q, k, v, att, partial, logits;
    DeviceTensor ownedXn, ownedPartial, gathered, ffnGate, ffnUp, ffnAct, ffnOut, scale;
    DeviceTensor work, workOut, back;   // expert inputs (local then received), outputs, combined rows
    std::vector<float> normSq;          // [maxBatch] row sums of squares (whole q/k norm)

    std::vector<int32_t> ids;           // [maxBatch * topK] routing, a copy of routeTopK's view
    std::vector<float> gates;
    int64_t localCount = 0;             // work rows computed for the device's own tokens
    int64_t workCount = 0;              // local + received rows
    int64_t sendCount = 0;              // rows dispatched to other EP groups
    std::vector<int32_t> workExpert;    // local expert index per work row
    std::vector<float> workGate;
    std::vector<int32_t> localTarget;   // owned row each local work row adds into
    std::vector<int32_t> sendTarget;    // owned row each dispatched (and combined) row belongs to
    std::vector<int32_t> sendSlot;      // (t * topK + s) of each dispatched row, in send order
};

// Builds the shards and buffers of device `id`; the Backend must be a host backend.
void buildParallelDevice(ParallelDevice& d, Backend& backend, const ModelSpec& spec, const ModelWeights& weights,
                         const ParallelPlan& plan, int64_t maxBatch, int64_t contextLength);
void releaseParallelDevice(ParallelDevice& d, Backend& backend);

} // namespace moe
