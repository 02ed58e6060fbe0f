// Internal: how both communicators turn one collective into TrafficMatrix bytes and an
// estimated link time, so the counting rule lives in one place (see communicator.h).
#pragma once

#include "moe/communicator.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace moe {

class TrafficAccounting {
public:
    explicit TrafficAccounting(int32_t devices)
        : m_sent(size_t(devices), 0)
        , m_received(size_t(devices), 0)
    {
    }

    // Bytes of one phase; a phase is a set of transfers that run concurrently.
    void transfer(TrafficMatrix* sink, CollectiveTag tag, int32_t src, int32_t dst, uint64_t bytes)
    {
        if (src == dst || bytes == 0)
            return;
        m_sent[size_t(src)] += bytes;
        m_received[size_t(dst)] += bytes;
        if (sink)
            sink->add(tag.layer, tag.kind, src, dst, bytes);
    }

    // Ends a phase: the link model charges its latency plus the busiest device's
    // bytes in its busier direction (sends and receives overlap, full duplex).
    void endPhase(TrafficMatrix* sink, const LinkModel& link)
    {
        uint64_t busiest = 0;
        for (size_t d = 0; d < m_sent.size(); ++d) {
            busiest = std::max({busiest, m_sent[d], m_received[d]});
            m_sent[d] = m_received[d] = 0;
        }
        if (sink && busiest > 0)
            sink->estimatedSeconds += link.latencySeconds + double(busiest) / (link.gbPerSecond * 1e9);
    }

    static void addMeasured(TrafficMatrix* sink, std::chrono::steady_clock::time_point start)
    {
        if (!sink)
            return;
        sink->measuredSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        ++sink->collectives;
    }

    // Chunk i of an N-element all-reduce over p ranks (communicator.h).
    static int64_t chunkBegin(int64_t i, int64_t n, int64_t p) { return i * n / p; }

private:
    std::vector<uint64_t> m_sent, m_received;
};

} // namespace moe
