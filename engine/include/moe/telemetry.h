// moe/telemetry.h — what the engine reports about each step: how tokens were routed to
// experts (layer x expert counts and gate-weight sums, per-layer imbalance, per-token
// choices), stage timings and KV-cache use.
//
// The engine fills one StepTelemetry per forward call and publishes it as an immutable
// std::shared_ptr<const StepTelemetry> to a TelemetryBus. Subscribers each own a bounded
// buffer with its lock inside (push / drainInto); a full buffer drops its oldest snapshot,
// so the engine never waits for a slow reader.
#pragma once

#include "moe/traffic_matrix.h"

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace moe {

enum class Stage : uint8_t { Attention, Router, Experts, Communication, Sampling, Other, Count };
const char* stageName(Stage s);

// Load-imbalance figures of one MoE layer over one step (or any count vector).
struct LayerImbalance {
    double maxOverMean = 0;       // max expert load / mean load (1 = perfectly even)
    double coefficientOfVariation = 0; // std / mean of the loads
    double normalizedEntropy = 0; // H(p) / log(E), p_e = load_e / total (1 = even)
    double overflowShare = 0;     // share of assignments past capacity = ceil(cf * mean)
};

// Computes the figures above from per-expert loads; `capacityFactor` as GShard / Switch.
LayerImbalance computeImbalance(const int32_t* loads, int64_t experts, double capacityFactor);

// The experts one token used in every MoE layer.
struct TokenRouting {
    int64_t position = 0;   // position in the sequence
    int32_t token = -1;     // token id
    // [moeLayer * topK + slot]
    std::vector<int32_t> expertIds;
    std::vector<float> weights;
};

struct StepTelemetry {
    uint64_t step = 0;            // running number of forward calls of this engine
    bool prefill = false;
    int64_t tokens = 0;           // tokens processed in this step
    int64_t numMoeLayers = 0;
    int64_t numExperts = 0;
    int64_t topK = 0;
    std::vector<int32_t> moeLayers; // decoder-layer index of each MoE layer
    // [moeLayer * numExperts + expert]
    std::vector<int32_t> expertCounts;
    std::vector<float> gateWeightSums;
    std::vector<LayerImbalance> imbalance; // per MoE layer, at `capacityFactor`
    double capacityFactor = 1.25;
    std::vector<TokenRouting> tokenRouting; // one per token of this step
    std::array<double, size_t(Stage::Count)> stageSeconds{};
    double stepSeconds = 0;
    double tokensPerSecond = 0;
    int64_t kvTokens = 0;
    int64_t kvCapacity = 0;
    uint64_t kvBytes = 0;
    // Interconnect traffic of this step (devices == 0 on a single device).
    TrafficMatrix traffic;

    int32_t count(int64_t moeLayer, int64_t expert) const
    {
        return expertCounts[size_t(moeLayer * numExperts + expert)];
    }
};

using StepTelemetryPtr = std::shared_ptr<const StepTelemetry>;

// A bounded FIFO of snapshots for one subscriber; the lock never leaves the class.
class TelemetryBuffer {
public:
    explicit TelemetryBuffer(size_t capacity = 256);
    void push(StepTelemetryPtr s);              // drops the oldest when full
    size_t drainInto(std::vector<StepTelemetryPtr>& out); // appends and empties; returns count
    uint64_t dropped() const;

private:
    // A fixed ring: pushing never allocates once the buffer exists.
    mutable std::mutex m_mutex;
    std::vector<StepTelemetryPtr> m_ring;
    size_t m_head = 0; // oldest item
    size_t m_size = 0;
    uint64_t m_dropped = 0;
};

// Fan-out to subscribers. publish() takes a short lock per buffer, never waits on a reader.
class TelemetryBus {
public:
    std::shared_ptr<TelemetryBuffer> subscribe(size_t capacity = 256);
    void unsubscribe(const std::shared_ptr<TelemetryBuffer>& buffer);
    // Puts an unsubscribed buffer back (a view that paused itself keeps its buffer).
    void resubscribe(const std::shared_ptr<TelemetryBuffer>& buffer);
    void publish(const StepTelemetryPtr& s);
    bool hasSubscribers() const;

private:
    mutable std::mutex m_mutex;
    std::vector<std::shared_ptr<TelemetryBuffer>> m_buffers;
};

} // namespace moe
