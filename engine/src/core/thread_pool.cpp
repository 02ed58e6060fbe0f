#include "core/thread_pool.h"

#include <algorithm>
#include <climits>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MOE_CPU_RELAX() _mm_pause()
#else
#define MOE_CPU_RELAX() std::this_thread::yield()
#endif

namespace moe {

namespace {
// How long an idle worker polls before sleeping: long enough to bridge the gap between
// two ops of one decode step (a few microseconds), short enough not to steal a shared
// core for long.
constexpr int kSpinIterations = 20000;
thread_local bool t_insideJob = false;

// Sleep until *word != expected (spurious returns are fine: callers re-check). A raw
// futex, not std::atomic::wait: libstdc++ 12's wait/notify can miss a wake-up.
void futexWait(std::atomic<uint32_t>& word, uint32_t expected)
{
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
#else
    while (word.load() == expected)
        std::this_thread::yield();
#endif
}

void futexWakeAll(std::atomic<uint32_t>& word)
{
#if defined(__linux__)
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#else
    (void)word;
#endif
}
} // namespace

ThreadPool::ThreadPool(int threads)
{
    if (threads <= 0)
        threads = int(std::max(1u, std::thread::hardware_concurrency()));
    m_workers.reserve(size_t(threads - 1));
    // Workers start from the generation as it is now: a worker that reads it only once
    // its thread runs could miss the first job and leave run() waiting for it forever.
    const uint32_t initial = m_generation.load();
    for (int t = 1; t < threads; ++t)
        m_workers.emplace_back([this, t, initial] { workerLoop(t, initial); });
}

ThreadPool::~ThreadPool()
{
    m_stop.store(true);
    m_generation.fetch_add(1);
    futexWakeAll(m_generation);
    for (std::thread& w : m_workers)
        w.join();
}

void ThreadPool::drain(int thread)
{
    const bool wasInside = t_insideJob;
    t_insideJob = true;
    for (;;) {
        const int64_t i = m_next.fetch_add(1, std::memory_order_relaxed);
        if (i >= m_count)
            break;
        m_call(m_ctx, i, thread);
    }
    t_insideJob = wasInside;
}

void ThreadPool::run(int64_t n, Trampoline call, void* ctx)
{
    if (n <= 0)
        return;
    if (n == 1 || m_workers.empty() || t_insideJob) {
        for (int64_t i = 0; i < n; ++i)
            call(ctx, i, 0);
        return;
    }
    m_call = call;
    m_ctx = ctx;
    m_count = n;
    m_next.store(0, std::memory_order_relaxed);
    const uint32_t gen = m_generation.load(std::memory_order_relaxed) + 1;
    m_state.store(uint64_t(gen) << 32);
    // seq_cst pairs with the worker's m_sleepers increment: either we see a sleeper and
    // wake it, or it sees the new generation before it sleeps.
    m_generation.store(gen);
    if (m_sleepers.load() > 0)
        futexWakeAll(m_generation);
    drain(0);
    m_state.fetch_or(kClosed);
    int spins = 0;
    while ((m_state.load(std::memory_order_acquire) & kInsideMask) != 0) {
        if (++spins < kSpinIterations)
            MOE_CPU_RELAX();
        else
            std::this_thread::yield();
    }
}

bool ThreadPool::tryJoin(uint32_t gen)
{
    uint64_t s = m_state.load(std::memory_order_acquire);
    for (;;) {
        if (uint32_t(s >> 32) != gen || (s & kClosed))
            return false;
        if (m_state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel))
            return true;
    }
}

void ThreadPool::workerLoop(int thread, uint32_t seen)
{
    for (;;) {
        uint32_t gen = m_generation.load(std::memory_order_acquire);
        for (int spins = 0; gen == seen && spins < kSpinIterations; ++spins) {
            MOE_CPU_RELAX();
            gen = m_generation.load(std::memory_order_acquire);
        }
        while (gen == seen) {
            m_sleepers.fetch_add(1);
            futexWait(m_generation, seen);
            m_sleepers.fetch_sub(1);
            gen = m_generation.load(std::memory_order_acquire);
        }
        seen = gen;
        if (m_stop.load())
            return;
        if (tryJoin(gen)) {
            drain(thread);
            m_state.fetch_sub(1, std::memory_order_release);
        }
    }
}

} // namespace moe
