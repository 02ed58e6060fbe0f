// Internal: fills one StepTelemetry per forward call at the MoE layer's hook points and
// hands it out as an immutable snapshot.
//
// Snapshots come from a small pool and are reused once every subscriber has let go of
// them (use_count back to 1), so steady-state decoding allocates nothing for telemetry.
#pragma once

#include "moe/backend.h"
#include "moe/telemetry.h"

#include <chrono>
#include <vector>

namespace moe {

class TelemetryRecorder {
public:
    TelemetryRecorder(const ModelSpec& spec, double capacityFactor, size_t historyTokens);

    // Starts a step for tokens[0..n) at positions start..start+n.
    void begin(const int32_t* tokens, int64_t n, int64_t startPos, bool prefill);
    // Hook: the router's choice in decoder layer `layer` (an MoE layer).
    void recordRouting(int64_t layer, const RoutingView& r);
    void addStageSeconds(Stage stage, double seconds) { m_current->stageSeconds[size_t(stage)] += seconds; }
    // Interconnect traffic of this step (parallel plans); copies into the pooled snapshot,
    // whose storage is reused once sized.
    void setTraffic(const TrafficMatrix& traffic) { m_current->traffic = traffic; }
    // Completes the step; the pointer stays valid for as long as anyone holds it.
    StepTelemetryPtr finish(int64_t kvTokens, int64_t kvCapacity, uint64_t kvBytes);

    // Per-token routing of the last `maxTokens` tokens, oldest first.
    std::vector<TokenRouting> history(size_t maxTokens) const;
    void truncateHistory(int64_t keepPositions); // drop tokens at positions >= keep

private:
    std::shared_ptr<StepTelemetry> acquire();

    const ModelSpec& m_spec;
    double m_capacityFactor;
    std::vector<int32_t> m_moeLayers;
    std::vector<int64_t> m_moeIndexOfLayer; // decoder layer -> MoE layer index or -1
    std::vector<std::shared_ptr<StepTelemetry>> m_pool;
    StepTelemetry* m_current = nullptr;
    std::shared_ptr<StepTelemetry> m_currentPtr;
    std::chrono::steady_clock::time_point m_start;
    uint64_t m_step = 0;
    // Ring of per-token routing for the per-token view.
    std::vector<TokenRouting> m_ring;
    size_t m_ringHead = 0, m_ringSize = 0;
};

// Accumulates wall time into a stage while in scope.
class StageTimer {
public:
    StageTimer(TelemetryRecorder* rec, Stage stage)
        : m_rec(rec)
        , m_stage(stage)
        , m_start(rec ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{})
    {
    }
    ~StageTimer()
    {
        if (m_rec)
            m_rec->addStageSeconds(m_stage,
                                   std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count());
    }
    StageTimer(const StageTimer&) = delete;
    StageTimer& operator=(const StageTimer&) = delete;

private:
    TelemetryRecorder* m_rec;
    Stage m_stage;
    std::chrono::steady_clock::time_point m_start;
};

} // namespace moe
