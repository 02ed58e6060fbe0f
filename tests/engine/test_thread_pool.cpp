// ThreadPool: every item runs exactly once, thread ids stay in range, nested calls run
// inline, and back-to-back dispatches (decode issues hundreds per token) never lose a job.
#include "core/thread_pool.h"

#include <QtTest/QtTest>

#include <atomic>
#include <vector>

using namespace moe;

class TestThreadPool : public QObject {
    Q_OBJECT
private slots:
    void coversEveryItemOnce()
    {
        for (int threads : {1, 2, 4}) {
            ThreadPool pool(threads);
            QCOMPARE(pool.threadCount(), threads);
            for (int64_t n : {0, 1, 2, 3, 17, 1000}) {
                std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
                std::atomic<bool> badThread{false};
                pool.parallelFor(n, [&](int64_t i, int t) {
                    hits[size_t(i)].fetch_add(1);
                    if (t < 0 || t >= threads)
                        badThread = true;
                });
                for (auto& h : hits)
                    QCOMPARE(h.load(), 1);
                QVERIFY(!badThread);
            }
        }
    }

    void manyDispatches()
    {
        ThreadPool pool(2);
        std::atomic<int64_t> sum{0};
        for (int rep = 0; rep < 20000; ++rep)
            pool.parallelFor(4, [&](int64_t i, int) { sum.fetch_add(i + 1, std::memory_order_relaxed); });
        QCOMPARE(sum.load(), int64_t(20000) * 10);
    }

    void nestedRunsInline()
    {
        ThreadPool pool(2);
        std::atomic<int> inner{0};
        pool.parallelFor(8, [&](int64_t, int outerThread) {
            pool.parallelFor(3, [&](int64_t, int t) {
                if (t == 0 || t == outerThread) // inline: reported as thread 0 of the nested loop
                    inner.fetch_add(1);
            });
        });
        QCOMPARE(inner.load(), 24);
    }

    void wakesAfterSleeping()
    {
        ThreadPool pool(2);
        std::atomic<int> count{0};
        pool.parallelFor(2, [&](int64_t, int) { count.fetch_add(1); });
        QTest::qSleep(200); // long enough for the worker to stop spinning and sleep
        pool.parallelFor(100, [&](int64_t, int) { count.fetch_add(1); });
        QCOMPARE(count.load(), 102);
    }
};

QTEST_APPLESS_MAIN(TestThreadPool)
#include "test_thread_pool.moc"
