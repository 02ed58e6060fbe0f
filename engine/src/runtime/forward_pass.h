// Internal: one decoder forward over a batch of tokens, for every supported family.
// Activations are allocated once for the largest batch; a step allocates nothing.
#pragma once

#include "kv_cache.h"
#include "model_weights.h"
#include "telemetry_recorder.h"

#include "moe/engine.h"

#include <array>
#include <vector>

namespace moe {

class ForwardPass {
public:
    ForwardPass(Backend& backend, const ModelSpec& spec, const ModelWeights& weights, int64_t maxBatch,
                int64_t contextLength);
    ~ForwardPass();
    ForwardPass(const ForwardPass&) = delete;
    ForwardPass& operator=(const ForwardPass&) = delete;

    // Runs n ≤ maxBatch tokens at the cache's position and commits them. Leaves the
    // logits of the last token (or of every token with allLogits) in `logits` (host);
    // with `logits` null they stay on the backend (lastLogits()) and the step is only
    // waited for. `recorder` (may be null) receives the routing and stage timings.
    void run(KvCache& cache, const int32_t* tokens, int64_t n, bool allLogits, ForwardObserver* observer,
             TelemetryRecorder* recorder, float* logits);
    int64_t maxBatch() const { return m_maxBatch; }
    // The last token's logits of the last run() without allLogits, on the backend [1, vocab].
    DeviceTensor lastLogits() const { return m_logits.rowsView(0, 1); }

private:
    void queueOps(KvCache& cache, const int32_t* tokens, int64_t n, bool allLogits, ForwardObserver* observer,
                  TelemetryRecorder* recorder);
    void attentionBlock(const LayerWeights& lw, KvCache& cache, int64_t layer, int64_t n);
    void ffnBlock(const LayerWeights& lw, int64_t layer, int64_t n, ForwardObserver* observer,
                  TelemetryRecorder* recorder);
    void denseFfn(const ExpertWeights& w, const DeviceTensor* gate, const DeviceTensor& xn, int64_t n);
    DeviceTensor rows(const DeviceTensor& t, int64_t n) const { return t.rowsView(0, n); }

    Backend& m_backend;
    const ModelSpec& m_spec;
    const ModelWeights& m_weights;
    int64_t m_maxBatch;
    // Activations [maxBatch, width].
    DeviceTensor m_x, m_xn, m_q, m_k, m_v, m_attn, m_proj;
    DeviceTensor m_routerLogits, m_ffnGate, m_ffnUp, m_ffnAct, m_ffnOut, m_sharedScale;
    DeviceTensor m_logits;
    std::vector<float> m_hostHidden; // observer copies only
    // Per layer: routing whose host copy arrives with the step's last download (a GPU
    // backend with a recorder and no observer); recorded then. tokens == 0: none.
    std::vector<RoutingView> m_pendingRouting;
    // Recorded decode steps (Backend::replayStep), one per StepKey::variant.
    struct RecordedStep {
        uint64_t cache = 0; // KvCache::id() they belong to
        int eagerSteps = 0;
        bool recorded = false;
        std::vector<RoutingView> routing; // m_pendingRouting as the recording left it
    };
    std::array<RecordedStep, 4> m_recordedSteps;
};

} // namespace moe
