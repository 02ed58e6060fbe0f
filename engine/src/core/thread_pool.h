// core/thread_pool.h — persistent workers for the CPU backend's data-parallel ops.
//
// Ops run as `parallelFor(n, fn)` over n independent work items; the calling thread
// takes items too. Workers spin briefly after a job (decode issues hundreds of small
// ops per token, and a futex wake costs more than a short op), then sleep on a futex
// (std::atomic::wait) so idle workers do not burn a core that others compile on.
//
// Hot path: dispatching a job allocates nothing and throws nothing; the callable is
// passed by reference (function_ref style), so it must stay alive during the call,
// which it does since parallelFor returns only when every item has finished. The
// callable must not throw (an escaping exception terminates, as from any worker).
// A parallelFor issued from inside a work item runs inline on that thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace moe {

class ThreadPool {
public:
    // threads = total including the caller; 0 = std::thread::hardware_concurrency().
    explicit ThreadPool(int threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int threadCount() const { return int(m_workers.size()) + 1; }

    // Calls fn(item, thread) for every item in [0, n); `thread` in [0, threadCount())
    // identifies the executing thread (for per-thread scratch). Items are handed out
    // dynamically, so which thread runs an item is not fixed — results must depend
    // only on the item.
    template <class Fn>
    void parallelFor(int64_t n, Fn&& fn)
    {
        using F = std::remove_reference_t<Fn>;
        run(n, [](void* ctx, int64_t i, int t) { (*static_cast<F*>(ctx))(i, t); },
            const_cast<void*>(static_cast<const void*>(&fn)));
    }

private:
    using Trampoline = void (*)(void*, int64_t, int);
    void run(int64_t n, Trampoline call, void* ctx);
    void workerLoop(int thread, uint32_t seen);
    void drain(int thread);
    bool tryJoin(uint32_t gen);
    static constexpr uint64_t kClosed = uint64_t(1) << 31;
    static constexpr uint64_t kInsideMask = kClosed - 1;

    std::vector<std::thread> m_workers;
    // The current job; written by the dispatcher before the generation bump publishes it.
    Trampoline m_call = nullptr;
    void* m_ctx = nullptr;
    int64_t m_count = 0;

    alignas(64) std::atomic<int64_t> m_next{0};        // next item to hand out
    alignas(64) std::atomic<uint32_t> m_generation{0}; // bumped per job; idle workers futex-wait on it
    // Job admission: generation << 32 | kClosed | workers inside. A worker joins only
    // while its generation is open, and the caller closes the job once every item is
    // claimed, so it waits only for workers still running items — never for one that
    // the OS descheduled before it noticed the job (common with more threads than cores).
    alignas(64) std::atomic<uint64_t> m_state{0};
    alignas(64) std::atomic<int> m_sleepers{0};        // workers blocked in the futex
    std::atomic<bool> m_stop{false};
};

} // namespace moe
