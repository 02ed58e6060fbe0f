// Internal: the forward pass of a model split over the devices of a ParallelPlan.
//
// One controller thread drives every device in turn; every byte that one device needs
// from another moves through the Communicator and is counted in traffic(). Per layer:
//   attention: per device its q/k/v head rows, KV shard, o-proj input columns → partial
//              sums → all-reduce over the TP group (+ a tiny all-reduce of row sums of
//              squares for OLMoE's whole-projection q/k norm);
//   MoE:       routing on device 0 (every device holds the same residual, so the
//              routing is the same everywhere and the controller plans the exchange for
//              all of them without a count exchange) → each EP group dispatches its
//              owned tokens' rows to the groups holding the chosen expert replicas
//              (all-to-all-v) → grouped expert FFN on the device's expert slices →
//              combine (all-to-all-v back) → shared expert / dense FFN slices →
//              all-reduce over TP → all-gather of owned rows over EP.
// Devices are virtual CPU devices sharing the host backend (host memory, LocalCommunicator)
// or GPUs with a backend each (device memory, NCCL). The pass touches device memory
// only through its device's backend: row moves are backend ops that take their row
// indices from the host, and each device's queued work is finished (synchronize())
// before a collective reads its buffers.
#pragma once

#include "kv_cache.h"
#include "model_weights.h"
#include "telemetry_recorder.h"

#include "moe/communicator.h"
#include "moe/engine.h"
#include "moe/parallel_plan.h"

#include <memory>
#include <span>
#include <vector>

namespace moe {

struct ParallelDevice; // parallel_forward_pass.cpp

class ParallelForwardPass {
public:
    // `devices[i]` runs device i (the same host backend for every virtual device);
    // `weights` are host tensors.
    ParallelForwardPass(std::span<Backend* const> devices, const ModelSpec& spec, const ModelWeights& weights,
                        const ParallelPlan& plan, Communicator& comm, int64_t maxBatch, int64_t contextLength);
    ~ParallelForwardPass();
    ParallelForwardPass(const ParallelForwardPass&) = delete;
    ParallelForwardPass& operator=(const ParallelForwardPass&) = delete;

    // As ForwardPass::run; `cache` only tracks the tokens (the KV shards live per device).
    void run(KvCache& cache, const int32_t* tokens, int64_t n, bool allLogits, ForwardObserver* observer,
             TelemetryRecorder* recorder, float* logits);
    int64_t maxBatch() const { return m_maxBatch; }
    uint64_t kvBytes() const;          // all devices, allocated capacity
    const TrafficMatrix& traffic() const { return m_traffic; } // of the last run()

private:
    void attentionLayer(int64_t layer, int64_t n, int64_t pos);
    void wholeQkNorm(int64_t layer, int64_t n, bool keys);
    void ffnLayer(int64_t layer, int64_t n, int64_t pos, ForwardObserver* observer, TelemetryRecorder* recorder);
    void route(int64_t layer, int64_t n, ForwardObserver* observer, TelemetryRecorder* recorder);
    void planMoe(int64_t layer, int64_t n, int64_t pos);
    void exchangeMoe(int64_t layer, bool combine);
    void runExperts(ParallelDevice& d, int64_t layer);
    void denseSlice(ParallelDevice& d, int64_t layer);
    void reduceAndGather(int64_t layer, int64_t n);
    int64_t ownedCount(int64_t group, int64_t n) const;
    void finishQueued(std::span<const int32_t> group); // before a collective reads device buffers


    const ModelSpec& m_spec;
    const ModelWeights& m_weights;
    const ParallelPlan& m_plan;
    Communicator& m_comm;
    int64_t m_maxBatch;
    std::vector<int64_t> m_moeIndex; // decoder layer → MoE layer index or -1
    std::vector<std::unique_ptr<ParallelDevice>> m_devices;
    std::vector<std::vector<int32_t>> m_tpGroups; // [ep rank] → devices
    std::vector<std::vector<int32_t>> m_epGroups; // [tp rank] → devices
    std::vector<int64_t> m_counts, m_countsT;      // [ep * ep] elements, dispatch and combine
    std::vector<int64_t> m_cursor;                 // [ep] send-row cursors
    std::vector<float*> m_ptrA, m_ptrB;            // per-collective buffer tables (no allocation)
    std::vector<const float*> m_cptr;
    std::vector<int32_t> m_ids;                    // [maxBatch * topK] routing of the layer
    std::vector<float> m_gates;
    std::vector<int32_t> m_gatherTargets;          // [maxBatch] residual row of each gathered row
    TrafficMatrix m_traffic;
    int64_t m_ownedTokens = 0;                     // n of the current step
    std::vector<float> m_hostHidden;               // observer copies only
};

} // namespace moe
