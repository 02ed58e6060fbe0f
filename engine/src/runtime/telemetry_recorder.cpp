#include "telemetry_recorder.h"

#include <algorithm>
#include <atomic>

namespace moe {

TelemetryRecorder::TelemetryRecorder(const ModelSpec& spec, double capacityFactor, size_t historyTokens)
    : m_spec(spec)
    , m_capacityFactor(capacityFactor)
{
    m_moeIndexOfLayer.assign(size_t(spec.numLayers), -1);
    for (int64_t l = 0; l < spec.numLayers; ++l)
        if (spec.isMoeLayer(l)) {
            m_moeIndexOfLayer[size_t(l)] = int64_t(m_moeLayers.size());
            m_moeLayers.push_back(int32_t(l));
        }
    m_ring.resize(std::max<size_t>(historyTokens, 1));
    const size_t perToken = m_moeLayers.size() * size_t(std::max<int64_t>(spec.numExpertsPerToken, 0));
    for (TokenRouting& t : m_ring) {
        t.expertIds.assign(perToken, -1);
        t.weights.assign(perToken, 0.f);
    }
}

std::shared_ptr<StepTelemetry> TelemetryRecorder::acquire()
{
    for (auto& s : m_pool) {
        if (s.use_count() == 1) {
            // Pairs with the release in the last reader's shared_ptr destructor.
            std::atomic_thread_fence(std::memory_order_acquire);
            return s;
        }
    }
    // Grows only while readers hold on to many snapshots (a bounded buffer drops its
    // oldest, so the pool settles at the buffers' capacity).
    auto s = std::make_shared<StepTelemetry>();
    m_pool.push_back(s);
    return s;
}

void TelemetryRecorder::begin(const int32_t* tokens, int64_t n, int64_t startPos, bool prefill)
{
    m_currentPtr = acquire();
    StepTelemetry& t = *m_currentPtr;
    m_current = &t;
    const int64_t layers = int64_t(m_moeLayers.size()), experts = m_spec.numExperts, k = m_spec.numExpertsPerToken;
    t.step = ++m_step;
    t.prefill = prefill;
    t.tokens = n;
    t.numMoeLayers = layers;
    t.numExperts = experts;
    t.topK = k;
    t.moeLayers = m_moeLayers;
    t.expertCounts.assign(size_t(layers * experts), 0);
    t.gateWeightSums.assign(size_t(layers * experts), 0.f);
    t.imbalance.assign(size_t(layers), LayerImbalance{});
    t.capacityFactor = m_capacityFactor;
    t.tokenRouting.resize(size_t(n));
    for (int64_t i = 0; i < n; ++i) {
        TokenRouting& tr = t.tokenRouting[size_t(i)];
        tr.position = startPos + i;
        tr.token = tokens[i];
        tr.expertIds.assign(size_t(layers * k), -1);
        tr.weights.assign(size_t(layers * k), 0.f);
    }
    t.stageSeconds.fill(0.0);
    m_start = std::chrono::steady_clock::now();
}

void TelemetryRecorder::recordRouting(int64_t layer, const RoutingView& r)
{
    StepTelemetry& t = *m_current;
    const int64_t m = m_moeIndexOfLayer[size_t(layer)];
    if (m < 0)
        return;
    const int64_t E = t.numExperts, k = r.topK;
    int32_t* counts = t.expertCounts.data() + m * E;
    float* sums = t.gateWeightSums.data() + m * E;
    for (int64_t i = 0; i < r.tokens && i < t.tokens; ++i) {
        TokenRouting& tr = t.tokenRouting[size_t(i)];
        for (int64_t s = 0; s < k; ++s) {
            const int32_t e = r.expertIds[i * k + s];
            const float w = r.weights[i * k + s];
            if (e >= 0 && e < E) {
                ++counts[e];
                sums[e] += w;
            }
            tr.expertIds[size_t(m * k + s)] = e;
            tr.weights[size_t(m * k + s)] = w;
        }
    }
}

StepTelemetryPtr TelemetryRecorder::finish(int64_t kvTokens, int64_t kvCapacity, uint64_t kvBytes)
{
    StepTelemetry& t = *m_current;
    for (int64_t m = 0; m < t.numMoeLayers; ++m)
        t.imbalance[size_t(m)] = computeImbalance(t.expertCounts.data() + m * t.numExperts, t.numExperts, m_capacityFactor);
    t.stepSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    t.tokensPerSecond = t.stepSeconds > 0 ? double(t.tokens) / t.stepSeconds : 0;
    t.kvTokens = kvTokens;
    t.kvCapacity = kvCapacity;
    t.kvBytes = kvBytes;
    for (const TokenRouting& tr : t.tokenRouting) {
        TokenRouting& slot = m_ring[(m_ringHead + m_ringSize) % m_ring.size()];
        slot.position = tr.position;
        slot.token = tr.token;
        std::copy(tr.expertIds.begin(), tr.expertIds.end(), slot.expertIds.begin());
        std::copy(tr.weights.begin(), tr.weights.end(), slot.weights.begin());
        if (m_ringSize < m_ring.size())
            ++m_ringSize;
        else
            m_ringHead = (m_ringHead + 1) % m_ring.size();
    }
    return std::move(m_currentPtr);
}

std::vector<TokenRouting> TelemetryRecorder::history(size_t maxTokens) const
{
    std::vector<TokenRouting> out;
    const size_t n = std::min(maxTokens, m_ringSize);
    for (size_t i = m_ringSize - n; i < m_ringSize; ++i)
        out.push_back(m_ring[(m_ringHead + i) % m_ring.size()]);
    return out;
}

void TelemetryRecorder::truncateHistory(int64_t keepPositions)
{
    // Tokens are appended in position order, so those past `keep` sit at the end.
    while (m_ringSize > 0 && m_ring[(m_ringHead + m_ringSize - 1) % m_ring.size()].position >= keepPositions)
        --m_ringSize;
}

} // namespace moe
