// LocalCommunicator: virtual CPU devices in one process.
//
// Every collective is a sequence of phases; in each phase every participating device's
// worker thread PULLS what is addressed to it from its peers' buffers into its own (a
// device only ever writes its own memory, like a receive). Phases end at a barrier, so
// what a phase reads was completely written by the previous one. The issuing thread
// waits for each phase; one condition variable wake-up per phase, nothing allocated.
#include "moe/communicator.h"

#include "moe/error.h"
#include "traffic_accounting.h"

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace moe {
namespace {

struct PhaseJob {
    void (*run)(const void* ctx, int32_t index) = nullptr; // index into the participants
    const void* ctx = nullptr;
};

class LocalCommunicator final : public Communicator {
public:
    explicit LocalCommunicator(const LocalCommunicatorOptions& o)
        : m_devices(o.devices)
        , m_accounting(o.devices)
        , m_active(size_t(o.devices), -1)
    {
        if (o.devices < 1)
            throw Error(ErrorCode::InvalidArgument, "", "devices", "need at least 1 device, got " + std::to_string(o.devices));
        m_link = o.link;
        for (int32_t d = 0; d < m_devices; ++d)
            m_workers.emplace_back([this, d] { workerLoop(d); });
    }

    ~LocalCommunicator() override
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        for (std::thread& t : m_workers)
            t.join();
    }

    std::string name() const override { return "local (" + std::to_string(m_devices) + " virtual CPU devices)"; }
    int32_t deviceCount() const override { return m_devices; }

    void allReduceSum(std::span<const int32_t> ranks, float* const* buffers, int64_t count, CollectiveTag tag) override;
    void allGatherV(std::span<const int32_t> ranks, const float* const* send, float* const* recv, const int64_t* counts,
                    CollectiveTag tag) override;
    void allToAllV(std::span<const int32_t> ranks, const float* const* send, float* const* recv, const int64_t* counts,
                   CollectiveTag tag) override;
    void broadcast(std::span<const int32_t> ranks, int32_t root, float* const* buffers, int64_t count,
                   CollectiveTag tag) override;

private:
    void checkRanks(std::span<const int32_t> ranks) const
    {
        for (int32_t r : ranks)
            if (r < 0 || r >= m_devices)
                throw Error(ErrorCode::InvalidArgument, "", "rank",
                            "device " + std::to_string(r) + " outside 0.." + std::to_string(m_devices - 1));
    }

    // Runs job.run(ctx, i) on the worker of ranks[i] for every i, and waits.
    void runPhase(std::span<const int32_t> ranks, PhaseJob job)
    {
        {
            std::lock_guard lock(m_mutex);
            m_job = job;
            for (size_t i = 0; i < ranks.size(); ++i)
                m_active[size_t(ranks[i])] = int32_t(i);
            m_pending = int32_t(ranks.size());
            ++m_generation;
        }
        m_wake.notify_all();
        std::unique_lock lock(m_mutex);
        m_done.wait(lock, [&] { return m_pending == 0; });
        for (int32_t r : ranks)
            m_active[size_t(r)] = -1;
    }

    void workerLoop(int32_t device)
    {
        uint64_t seen = 0;
        for (;;) {
            PhaseJob job;
            int32_t index = -1;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [&] { return m_stop || (m_generation != seen && m_active[size_t(device)] >= 0); });
                if (m_stop)
                    return;
                seen = m_generation;
                job = m_job;
                index = m_active[size_t(device)];
            }
            job.run(job.ctx, index);
            {
                std::lock_guard lock(m_mutex);
                if (--m_pending == 0)
                    m_done.notify_one();
            }
        }
    }

    int32_t m_devices;
    TrafficAccounting m_accounting;
    std::vector<std::thread> m_workers;
    std::mutex m_mutex;
    std::condition_variable m_wake, m_done;
    PhaseJob m_job;
    std::vector<int32_t> m_active; // device -> participant index in the current phase, -1 idle
    int32_t m_pending = 0;
    uint64_t m_generation = 0;
    bool m_stop = false;
};

struct AllReduceCtx {
    float* const* buffers;
    int64_t count, p;
};

void LocalCommunicator::allReduceSum(std::span<const int32_t> ranks, float* const* buffers, int64_t count,
                                     CollectiveTag tag)
{
    checkRanks(ranks);
    const int64_t p = int64_t(ranks.size());
    if (p < 2 || count == 0)
        return;
    const auto start = std::chrono::steady_clock::now();
    AllReduceCtx ctx{buffers, count, p};
    // Reduce-scatter: rank i sums chunk i over every rank, in rank order.
    runPhase(ranks, {[](const void* c, int32_t i) {
                         const auto& x = *static_cast<const AllReduceCtx*>(c);
                         const int64_t b = TrafficAccounting::chunkBegin(i, x.count, x.p);
                         const int64_t e = TrafficAccounting::chunkBegin(i + 1, x.count, x.p);
                         float* own = x.buffers[i];
                         for (int64_t k = b; k < e; ++k) {
                             float s = x.buffers[0][k];
                             for (int64_t r = 1; r < x.p; ++r)
                                 s += x.buffers[r][k];
                             own[k] = s;
                         }
                     },
                     &ctx});
    for (int64_t i = 0; i < p; ++i)
        for (int64_t j = 0; j < p; ++j) {
            const int64_t n = TrafficAccounting::chunkBegin(i + 1, count, p) - TrafficAccounting::chunkBegin(i, count, p);
            m_accounting.transfer(m_sink, tag, ranks[size_t(j)], ranks[size_t(i)], uint64_t(n) * 4);
        }
    m_accounting.endPhase(m_sink, m_link);
    // All-gather: rank i fetches every other rank's reduced chunk.
    runPhase(ranks, {[](const void* c, int32_t i) {
                         const auto& x = *static_cast<const AllReduceCtx*>(c);
                         for (int64_t j = 0; j < x.p; ++j) {
                             if (j == i)
                                 continue;
                             const int64_t b = TrafficAccounting::chunkBegin(j, x.count, x.p);
                             const int64_t e = TrafficAccounting::chunkBegin(j + 1, x.count, x.p);
                             std::memcpy(x.buffers[i] + b, x.buffers[j] + b, size_t(e - b) * 4);
                         }
                     },
                     &ctx});
    for (int64_t j = 0; j < p; ++j)
        for (int64_t i = 0; i < p; ++i) {
            const int64_t n = TrafficAccounting::chunkBegin(j + 1, count, p) - TrafficAccounting::chunkBegin(j, count, p);
            m_accounting.transfer(m_sink, tag, ranks[size_t(j)], ranks[size_t(i)], uint64_t(n) * 4);
        }
    m_accounting.endPhase(m_sink, m_link);
    TrafficAccounting::addMeasured(m_sink, start);
}

struct GatherCtx {
    const float* const* send;
    float* const* recv;
    const int64_t* counts;
    int64_t p;
};

void LocalCommunicator::allGatherV(std::span<const int32_t> ranks, const float* const* send, float* const* recv,
                                   const int64_t* counts, CollectiveTag tag)
{
    checkRanks(ranks);
    const auto start = std::chrono::steady_clock::now();
    GatherCtx ctx{send, recv, counts, int64_t(ranks.size())};
    runPhase(ranks, {[](const void* c, int32_t i) {
                         const auto& x = *static_cast<const GatherCtx*>(c);
                         int64_t offset = 0;
                         for (int64_t j = 0; j < x.p; ++j) {
                             if (x.recv[i] + offset != x.send[j]) // in place: rank i's own block already there
                                 std::memcpy(x.recv[i] + offset, x.send[j], size_t(x.counts[j]) * 4);
                             offset += x.counts[j];
                         }
                     },
                     &ctx});
    for (size_t j = 0; j < ranks.size(); ++j)
        for (size_t i = 0; i < ranks.size(); ++i)
            m_accounting.transfer(m_sink, tag, ranks[j], ranks[i], uint64_t(counts[j]) * 4);
    m_accounting.endPhase(m_sink, m_link);
    TrafficAccounting::addMeasured(m_sink, start);
}

void LocalCommunicator::allToAllV(std::span<const int32_t> ranks, const float* const* send, float* const* recv,
                                  const int64_t* counts, CollectiveTag tag)
{
    checkRanks(ranks);
    const auto start = std::chrono::steady_clock::now();
    GatherCtx ctx{send, recv, counts, int64_t(ranks.size())};
    runPhase(ranks, {[](const void* c, int32_t j) {
                         const auto& x = *static_cast<const GatherCtx*>(c);
                         int64_t recvOffset = 0;
                         for (int64_t i = 0; i < x.p; ++i) {
                             int64_t sendOffset = 0; // where rank i keeps its block for j
                             for (int64_t k = 0; k < j; ++k)
                                 sendOffset += x.counts[i * x.p + k];
                             const int64_t n = x.counts[i * x.p + j];
                             std::memcpy(x.recv[j] + recvOffset, x.send[i] + sendOffset, size_t(n) * 4);
                             recvOffset += n;
                         }
                     },
                     &ctx});
    const size_t p = ranks.size();
    for (size_t i = 0; i < p; ++i)
        for (size_t j = 0; j < p; ++j)
            m_accounting.transfer(m_sink, tag, ranks[i], ranks[j], uint64_t(counts[i * p + j]) * 4);
    m_accounting.endPhase(m_sink, m_link);
    TrafficAccounting::addMeasured(m_sink, start);
}

struct BroadcastCtx {
    float* const* buffers;
    int64_t count;
    int32_t root;
};

void LocalCommunicator::broadcast(std::span<const int32_t> ranks, int32_t root, float* const* buffers, int64_t count,
                                  CollectiveTag tag)
{
    checkRanks(ranks);
    const auto start = std::chrono::steady_clock::now();
    BroadcastCtx ctx{buffers, count, root};
    runPhase(ranks, {[](const void* c, int32_t i) {
                         const auto& x = *static_cast<const BroadcastCtx*>(c);
                         if (i != x.root)
                             std::memcpy(x.buffers[i], x.buffers[x.root], size_t(x.count) * 4);
                     },
                     &ctx});
    for (size_t i = 0; i < ranks.size(); ++i)
        m_accounting.transfer(m_sink, tag, ranks[size_t(root)], ranks[i], uint64_t(count) * 4);
    m_accounting.endPhase(m_sink, m_link);
    TrafficAccounting::addMeasured(m_sink, start);
}

} // namespace

std::unique_ptr<Communicator> createLocalCommunicator(const LocalCommunicatorOptions& options)
{
    return std::make_unique<LocalCommunicator>(options);
}

} // namespace moe
