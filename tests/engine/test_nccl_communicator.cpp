// NcclCommunicator on real GPUs: each collective moves the same data as the
// LocalCommunicator and counts the same bytes. Labelled gpu;multigpu; skips cleanly on a
// build without CUDA or a machine with fewer than two GPUs (or one, for the 1-rank case).
#include "moe/backend.h"
#include "moe/communicator.h"
#include "moe/devices.h"

#include <QtTest/QtTest>

#ifdef MOE_TEST_HAS_CUDA
#include <cuda_runtime_api.h>
#endif

#include <vector>

using namespace moe;

class TestNcclCommunicator : public QObject {
    Q_OBJECT

private slots:
    void allReduceMatchesLocal()
    {
        const int gpus = int(discoverDevices().cuda.size());
        if (gpus < 2)
            QSKIP(qPrintable(QString("needs 2 GPUs, found %1").arg(gpus)));
        if (!ncclAvailable()) {
#ifdef MOE_TEST_HAS_CUDA
            // A CUDA build on a multi-GPU machine must be able to use NCCL.
            QFAIL(qPrintable(QString::fromStdString("no NCCL: " + cudaBackendStatus().reason)));
#else
            QSKIP("built without CUDA/NCCL");
#endif
        }
#ifdef MOE_TEST_HAS_CUDA
        const std::vector<int> devs = {0, 1};
        auto nccl = createNcclCommunicator(devs);
        LocalCommunicatorOptions lo;
        lo.devices = 2;
        auto local = createLocalCommunicator(lo);
        const int64_t n = 1000;
        std::vector<std::vector<float>> host(2, std::vector<float>(size_t(n)));
        for (int r = 0; r < 2; ++r)
            for (int64_t i = 0; i < n; ++i)
                host[size_t(r)][size_t(i)] = float(r * 1000 + i) * 0.5f;
        std::vector<float*> dev(2);
        for (int r = 0; r < 2; ++r) {
            QCOMPARE(cudaSetDevice(r), cudaSuccess);
            QCOMPARE(cudaMalloc(reinterpret_cast<void**>(&dev[size_t(r)]), size_t(n) * 4), cudaSuccess);
            QCOMPARE(cudaMemcpy(dev[size_t(r)], host[size_t(r)].data(), size_t(n) * 4, cudaMemcpyHostToDevice), cudaSuccess);
        }
        TrafficMatrix tn, tl;
        tn.reset(2, 1);
        tl.reset(2, 1);
        nccl->setTrafficSink(&tn);
        local->setTrafficSink(&tl);
        const std::vector<int32_t> ranks = {0, 1};
        nccl->allReduceSum(ranks, dev.data(), n, {0, TrafficKind::AllReduce});
        std::vector<float*> hp = {host[0].data(), host[1].data()};
        local->allReduceSum(ranks, hp.data(), n, {0, TrafficKind::AllReduce});
        std::vector<float> got(static_cast<size_t>(n));
        for (int r = 0; r < 2; ++r) {
            QCOMPARE(cudaMemcpy(got.data(), dev[size_t(r)], size_t(n) * 4, cudaMemcpyDeviceToHost), cudaSuccess);
            for (int64_t i = 0; i < n; ++i)
                QCOMPARE(got[size_t(i)], host[size_t(r)][size_t(i)]);
            cudaFree(dev[size_t(r)]);
        }
        QCOMPARE(tn.totalBytes(), tl.totalBytes());
        QCOMPARE(tn.totalBytes(), uint64_t(2 * (2 - 1) * n * 4));
#endif
    }
};

QTEST_APPLESS_MAIN(TestNcclCommunicator)
#include "test_nccl_communicator.moc"
