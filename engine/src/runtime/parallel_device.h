// Internal: one device of a ParallelForwardPass — its backend, weight shards, KV shard,
// activations and MoE exchange buffers, all sized once for the largest batch.
//
// A virtual CPU device shares the host backend, and its shards are views of the loaded
// weights where they can be (row slices) and host copies where they cannot (column
// slices). A GPU's shards, replicated weights and buffers are uploaded to and allocated
// on its own backend, and the pass never touches them from the host.
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

// The weights every device holds whole (the router and the head only on device 0).
struct ReplicatedLayer {
    DeviceTensor attnNorm, ffnNorm, router, sharedExpertGate;
};

struct ParallelDevice {
    int32_t id = 0;
    Backend* backend = nullptr;         // the host backend for virtual CPU devices
    int64_t tpRank = 0, epRank = 0;
    ParallelPlan::HeadShard heads;
    std::vector<AttentionShard> attn;   // per decoder layer
    std::vector<FfnShard> ffn;          // per decoder layer
    std::vector<ReplicatedLayer> whole; // per decoder layer
    DeviceTensor embedding, outputNorm, lmHead;
    std::vector<DeviceTensor> kCache, vCache; // [context, kvHeads*hd] per layer
    std::vector<DeviceTensor> owned;    // tensors this device allocated (released at the end)

    // Activations [maxBatch, width] (work rows: [maxBatch * topK, hidden]).
    DeviceTensor x, xn, q, k, v, att, partial, logits;
    DeviceTensor ownedXn, ownedPartial, gathered, ffnGate, ffnUp, ffnAct, ffnOut, scale;
    DeviceTensor work, workOut, back;   // expert inputs (local then received), outputs, combined rows
    DeviceTensor normSq;                // [maxBatch, 1] row sums of squares (whole q/k norm)

    // Host-side plan of the MoE exchange (row indices the ops take from the host).
    int64_t localCount = 0;             // work rows computed for the device's own tokens
    int64_t workCount = 0;              // local + received rows
    int64_t sendCount = 0;              // rows dispatched to other EP groups
    std::vector<int32_t> workExpert;    // local expert index per work row
    std::vector<float> workGate;
    std::vector<int32_t> localSource;   // xn row of each local work row
    std::vector<int32_t> localTarget;   // owned row each local work row adds into
    std::vector<int32_t> sendSource;    // xn row of each dispatched row, in send order
    std::vector<int32_t> sendTarget;    // owned row each dispatched (and combined) row belongs to
    std::vector<int32_t> ownedRows;     // xn rows of the group's owned tokens (t = epRank + j * ep)
};

// Builds the shards and buffers of device `id` on its backend (d.backend, set by the
// caller); `weights` are host tensors (loaded by a host backend).
void buildParallelDevice(ParallelDevice& d, const ModelSpec& spec, const ModelWeights& weights,
                         const ParallelPlan& plan, int64_t maxBatch, int64_t contextLength);
void releaseParallelDevice(ParallelDevice& d);

} // namespace moe
