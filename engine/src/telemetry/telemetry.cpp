#include "moe/telemetry.h"

#include <algorithm>
#include <cmath>

namespace moe {

const char* stageName(Stage s)
{
    switch (s) {
    case Stage::Attention: return "attention";
    case Stage::Router: return "router";
    case Stage::Experts: return "experts";
    case Stage::Communication: return "communication";
    case Stage::Sampling: return "sampling";
    case Stage::Other: return "other";
    case Stage::Count: break;
    }
    return "unknown";
}

LayerImbalance computeImbalance(const int32_t* loads, int64_t experts, double capacityFactor)
{
    LayerImbalance r;
    if (experts <= 0)
        return r;
    double total = 0, maxLoad = 0;
    for (int64_t e = 0; e < experts; ++e) {
        total += loads[e];
        maxLoad = std::max(maxLoad, double(loads[e]));
    }
    if (total <= 0)
        return r;
    const double mean = total / double(experts);
    double var = 0, entropy = 0;
    for (int64_t e = 0; e < experts; ++e) {
        const double d = double(loads[e]) - mean;
        var += d * d;
        if (loads[e] > 0) {
            const double p = double(loads[e]) / total;
            entropy -= p * std::log(p);
        }
    }
    r.maxOverMean = maxLoad / mean;
    r.coefficientOfVariation = std::sqrt(var / double(experts)) / mean;
    r.normalizedEntropy = experts > 1 ? entropy / std::log(double(experts)) : 1.0;
    // Capacity per expert as in GShard / Switch Transformer: capacity factor × the even share.
    const double capacity = std::ceil(capacityFactor * mean);
    double overflow = 0;
    for (int64_t e = 0; e < experts; ++e)
        overflow += std::max(0.0, double(loads[e]) - capacity);
    r.overflowShare = overflow / total;
    return r;
}

TelemetryBuffer::TelemetryBuffer(size_t capacity)
    : m_ring(std::max<size_t>(capacity, 1))
{
}

void TelemetryBuffer::push(StepTelemetryPtr s)
{
    StepTelemetryPtr evicted; // released after the lock, so a reader's last reference never frees under it
    {
        std::lock_guard lock(m_mutex);
        if (m_size == m_ring.size()) {
            evicted = std::move(m_ring[m_head]);
            m_head = (m_head + 1) % m_ring.size();
            --m_size;
            ++m_dropped;
        }
        m_ring[(m_head + m_size) % m_ring.size()] = std::move(s);
        ++m_size;
    }
}

size_t TelemetryBuffer::drainInto(std::vector<StepTelemetryPtr>& out)
{
    std::lock_guard lock(m_mutex);
    const size_t n = m_size;
    for (size_t i = 0; i < n; ++i)
        out.push_back(std::move(m_ring[(m_head + i) % m_ring.size()]));
    m_head = 0;
    m_size = 0;
    return n;
}

uint64_t TelemetryBuffer::dropped() const
{
    std::lock_guard lock(m_mutex);
    return m_dropped;
}

std::shared_ptr<TelemetryBuffer> TelemetryBus::subscribe(size_t capacity)
{
    auto buffer = std::make_shared<TelemetryBuffer>(capacity);
    std::lock_guard lock(m_mutex);
    m_buffers.push_back(buffer);
    return buffer;
}

void TelemetryBus::unsubscribe(const std::shared_ptr<TelemetryBuffer>& buffer)
{
    std::lock_guard lock(m_mutex);
    m_buffers.erase(std::remove(m_buffers.begin(), m_buffers.end(), buffer), m_buffers.end());
}

void TelemetryBus::resubscribe(const std::shared_ptr<TelemetryBuffer>& buffer)
{
    std::lock_guard lock(m_mutex);
    if (std::find(m_buffers.begin(), m_buffers.end(), buffer) == m_buffers.end())
        m_buffers.push_back(buffer);
}

void TelemetryBus::publish(const StepTelemetryPtr& s)
{
    std::lock_guard lock(m_mutex);
    for (auto& b : m_buffers)
        b->push(s);
}

bool TelemetryBus::hasSubscribers() const
{
    std::lock_guard lock(m_mutex);
    return !m_buffers.empty();
}

} // namespace moe
