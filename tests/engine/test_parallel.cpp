// Tensor / expert parallelism on virtual CPU devices: the same logits as one device
// for every plan the tiny models allow, traffic bytes equal to what the routing implies,
// load-aware placement, and plan errors that name the offending number.
#include "test_support.h"

#include "moe/communicator.h"
#include "moe/devices.h"
#include "moe/engine.h"
#include "moe/error.h"
#include "moe/model_maker.h"
#include "moe/parallel_plan.h"

#include <QtTest/QtTest>

#include <cmath>
#include <map>
#include <memory>

using namespace moe;

namespace {

const std::vector<int32_t> kPrompt = {5, 17, 99, 3, 250, 17, 42, 8, 77, 130, 1, 64};
constexpr int kDecodeSteps = 16;
const char* const kArchs[] = {"mixtral", "qwen2moe", "qwen3moe", "olmoe"};

struct RoutingCapture : ForwardObserver {
    std::map<int64_t, std::vector<int32_t>> ids; // decoder layer → [n * k] of the last call
    void afterLayer(int64_t, std::span<const float>, int64_t) override {}
    void routing(int64_t layer, const RoutingView& r) override
    {
        ids[layer].assign(r.expertIds, r.expertIds + r.tokens * r.topK);
    }
};

// All-reduce of N elements over `ranks` as communicator.h documents it:
// bytes j -> i = 4 * (|chunk i| + |chunk j|), chunk i = [i*N/p, (i+1)*N/p).
void addAllReduce(TrafficMatrix& m, int64_t layer, const std::vector<int32_t>& ranks, int64_t n)
{
    const int64_t p = int64_t(ranks.size());
    auto chunk = [&](int64_t i) { return (i + 1) * n / p - i * n / p; };
    for (int64_t i = 0; i < p; ++i)
        for (int64_t j = 0; j < p; ++j)
            if (i != j)
                m.add(layer, TrafficKind::AllReduce, ranks[size_t(j)], ranks[size_t(i)], uint64_t(4 * (chunk(i) + chunk(j))));
}

// What one forward call of n tokens at `pos` must put on the interconnect.
TrafficMatrix expectedTraffic(const ModelSpec& s, const ParallelPlan& plan, const RoutingCapture& cap, int64_t n,
                              int64_t pos)
{
    TrafficMatrix m;
    m.reset(plan.devices(), s.numLayers);
    const int64_t tp = plan.tp(), ep = plan.ep(), h = s.hiddenSize, k = s.numExpertsPerToken;
    auto owned = [&](int64_t g) { return g < n ? (n - g + ep - 1) / ep : 0; };
    int64_t moeLayer = 0;
    for (int64_t l = 0; l < s.numLayers; ++l) {
        for (int64_t g = 0; g < ep && tp > 1; ++g) {
            std::vector<int32_t> group;
            for (int64_t r = 0; r < tp; ++r)
                group.push_back(plan.deviceOf(g, r));
            addAllReduce(m, l, group, n * h);                  // o-proj partial sums
            if (s.qkNorm == QkNorm::Full) {                    // q and k row sums of squares
                addAllReduce(m, l, group, n);
                addAllReduce(m, l, group, n);
            }
            if (owned(g) > 0)
                addAllReduce(m, l, group, owned(g) * h);       // FFN partial sums of owned tokens
        }
        if (s.isMoeLayer(l)) {
            const ExpertPlacement& p = plan.placement(moeLayer++);
            const auto& ids = cap.ids.at(l);
            for (int64_t t = 0; t < n; ++t)
                for (int64_t slot = 0; slot < k; ++slot) {
                    const int64_t src = t % ep, dst = p.groupFor(ids[size_t(t * k + slot)], pos + t);
                    if (src == dst)
                        continue;
                    for (int64_t r = 0; r < tp; ++r) { // one hidden row per crossing pair, each way
                        m.add(l, TrafficKind::Dispatch, plan.deviceOf(src, r), plan.deviceOf(dst, r), uint64_t(h * 4));
                        m.add(l, TrafficKind::Combine, plan.deviceOf(dst, r), plan.deviceOf(src, r), uint64_t(h * 4));
                    }
                }
        }
        for (int64_t r = 0; r < tp && ep > 1; ++r) // owned rows to every other EP group
            for (int64_t j = 0; j < ep; ++j)
                for (int64_t i = 0; i < ep; ++i)
                    if (i != j)
                        m.add(l, TrafficKind::AllGather, plan.deviceOf(j, r), plan.deviceOf(i, r),
                              uint64_t(owned(j) * h * 4));
    }
    return m;
}

} // namespace

class TestParallel : public QObject {
    Q_OBJECT

    test::TempDir m_dir;
    std::map<std::string, std::string> m_models; // arch → HF folder
    std::map<std::string, std::vector<std::vector<float>>> m_reference; // arch → logits per step

    std::unique_ptr<Engine> load(const std::string& arch, const ParallelConfig& pc)
    {
        EngineOptions eo;
        eo.threads = 2;
        eo.contextLength = 64;
        eo.parallel = pc;
        return Engine::load(m_models.at(arch), eo);
    }

    static ParallelConfig config(int64_t tp, int64_t ep, PlacementPolicy placement = PlacementPolicy::Contiguous)
    {
        ParallelConfig pc;
        pc.tp = tp;
        pc.ep = ep;
        pc.devices = tp * ep;
        pc.placement = placement;
        if (placement == PlacementPolicy::Balanced)
            pc.expertLoads = {100, 10, 5, 1};
        return pc;
    }

    // Logits of the prefill and of each decode step.
    static std::vector<std::vector<float>> runSteps(Engine& e)
    {
        std::vector<std::vector<float>> out;
        auto l = e.forward(kPrompt);
        out.emplace_back(l.begin(), l.end());
        for (int i = 0; i < kDecodeSteps; ++i) {
            const int32_t tok = int32_t((11 + 13 * i) % e.spec().vocabSize);
            l = e.forward(std::span<const int32_t>(&tok, 1));
            out.emplace_back(l.begin(), l.end());
        }
        return out;
    }

private slots:
    void initTestCase()
    {
        for (const char* arch : kArchs) {
            MakeModelOptions mo;
            mo.architecture = arch;
            mo.preset = "tiny";
            mo.seed = 11;
            mo.format = MakeFormat::Safetensors;
            mo.dtype = DType::F32;
            mo.outDir = m_dir.path() + "/" + arch;
            m_models[arch] = makeModel(mo).hfDir;
            auto one = load(arch, ParallelConfig{});
            m_reference[arch] = runSteps(*one);
        }
    }

    void sameLogitsAsOneDevice_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<int>("tp");
        QTest::addColumn<int>("ep");
        QTest::addColumn<int>("placement");
        for (const char* arch : kArchs)
            for (int tp : {1, 2, 4})
                for (int ep : {1, 2, 4})
                    if (tp * ep > 1)
                        QTest::addRow("%s tp%d ep%d", arch, tp, ep) << QString(arch) << tp << ep << 0;
        for (const char* arch : kArchs) {
            QTest::addRow("%s tp2 ep2 round-robin", arch) << QString(arch) << 2 << 2 << 1;
            QTest::addRow("%s tp1 ep2 balanced", arch) << QString(arch) << 1 << 2 << 2;
            QTest::addRow("%s tp2 ep4 balanced", arch) << QString(arch) << 2 << 4 << 2;
        }
    }

    // Prefill then 16 decode steps: every step's logits within 1e-5 (relative) of one device.
    void sameLogitsAsOneDevice()
    {
        QFETCH(QString, arch);
        QFETCH(int, tp);
        QFETCH(int, ep);
        QFETCH(int, placement);
        auto engine = load(arch.toStdString(), config(tp, ep, PlacementPolicy(placement)));
        QCOMPARE(engine->parallelPlan()->devices(), tp * ep);
        const auto got = runSteps(*engine);
        const auto& want = m_reference.at(arch.toStdString());
        for (size_t step = 0; step < want.size(); ++step) {
            const double d = test::relDiff(got[step], want[step]);
            QVERIFY2(d < 1e-5, qPrintable(QString("step %1: relative difference %2").arg(step).arg(d)));
        }
    }

    void trafficMatchesRouting_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<int>("tp");
        QTest::addColumn<int>("ep");
        QTest::addColumn<int>("placement");
        QTest::newRow("mixtral tp2") << "mixtral" << 2 << 1 << 0;
        QTest::newRow("mixtral ep4") << "mixtral" << 1 << 4 << 0;
        QTest::newRow("qwen2moe tp2 ep2") << "qwen2moe" << 2 << 2 << 0;
        QTest::newRow("olmoe tp4 ep2") << "olmoe" << 4 << 2 << 1;
        QTest::newRow("qwen3moe tp2 ep4 balanced") << "qwen3moe" << 2 << 4 << 2;
    }

    // Bytes per (layer, kind, src, dst) equal the count derived from the routing, for the
    // prefill and for a decode step.
    void trafficMatchesRouting()
    {
        QFETCH(QString, arch);
        QFETCH(int, tp);
        QFETCH(int, ep);
        QFETCH(int, placement);
        auto engine = load(arch.toStdString(), config(tp, ep, PlacementPolicy(placement)));
        RoutingCapture cap;
        engine->setObserver(&cap);
        auto bus = engine->telemetry().subscribe();
        for (const std::vector<int32_t>& tokens : {kPrompt, std::vector<int32_t>{7}}) {
            const int64_t pos = engine->position();
            engine->forward(tokens);
            const TrafficMatrix want =
                expectedTraffic(engine->spec(), *engine->parallelPlan(), cap, int64_t(tokens.size()), pos);
            const TrafficMatrix& got = *engine->lastTraffic();
            QCOMPARE(got.devices, tp * ep);
            QVERIFY(got.totalBytes() > 0);
            for (int64_t l = 0; l < engine->spec().numLayers; ++l)
                for (int64_t k = 0; k < kTrafficKinds; ++k)
                    for (int32_t s = 0; s < got.devices; ++s)
                        for (int32_t d = 0; d < got.devices; ++d)
                            QVERIFY2(got.at(l, TrafficKind(k), s, d) == want.at(l, TrafficKind(k), s, d),
                                     qPrintable(QString("layer %1 %2 %3->%4: %5 bytes, expected %6")
                                                    .arg(l).arg(trafficKindName(TrafficKind(k))).arg(s).arg(d)
                                                    .arg(got.at(l, TrafficKind(k), s, d))
                                                    .arg(want.at(l, TrafficKind(k), s, d))));
            QCOMPARE(got.totalBytes(), want.totalBytes());
            QVERIFY(got.estimated && got.estimatedSeconds > 0);
        }
        // The same matrix reaches telemetry subscribers.
        std::vector<StepTelemetryPtr> snaps;
        bus->drainInto(snaps);
        QVERIFY(!snaps.empty());
        QCOMPARE(snaps.back()->traffic.totalBytes(), engine->lastTraffic()->totalBytes());
        qInfo("%s tp%d ep%d: decode step moved %llu bytes, estimated %.2f us on %s", qPrintable(arch), tp, ep,
              (unsigned long long)engine->lastTraffic()->totalBytes(), engine->lastTraffic()->estimatedSeconds * 1e6,
              engine->lastTraffic()->link.c_str());
    }

    // A routing where two experts take most tokens: the EPLB-style placement spreads them.
    void balancedPlacementLowersImbalance()
    {
        const ModelPreset& small = *findModelPreset("small"); // 8 experts
        const ModelSpec spec = makeModelSpec("mixtral", small);
        const std::vector<int64_t> skew = {5000, 3000, 400, 300, 200, 100, 50, 25};
        std::vector<double> loads(skew.begin(), skew.end());
        for (int64_t ep : {2, 4}) {
            ParallelConfig c;
            c.devices = c.ep = ep;
            const double contiguous = ParallelPlan::make(spec, c).maxOverMeanGroupLoad(0, loads);
            c.placement = PlacementPolicy::RoundRobin;
            const double roundRobin = ParallelPlan::make(spec, c).maxOverMeanGroupLoad(0, loads);
            c.placement = PlacementPolicy::Balanced;
            c.expertLoads = skew;
            const double balanced = ParallelPlan::make(spec, c).maxOverMeanGroupLoad(0, loads);
            qInfo("ep %lld: max/mean per-device expert load contiguous %.3f, round-robin %.3f, balanced %.3f",
                  (long long)ep, contiguous, roundRobin, balanced);
            QVERIFY(balanced < contiguous);
            QVERIFY(balanced < roundRobin);
        }
    }

    void badPlans_data()
    {
        QTest::addColumn<int>("devices");
        QTest::addColumn<int>("tp");
        QTest::addColumn<int>("ep");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("number");
        QTest::newRow("heads not divisible") << 3 << 3 << 1 << "tp" << "3";
        QTest::newRow("tp beyond heads") << 8 << 8 << 1 << "tp" << "8";
        QTest::newRow("ep beyond experts") << 8 << 1 << 8 << "ep" << "8";
        QTest::newRow("experts not divisible") << 3 << 1 << 3 << "ep" << "3";
        QTest::newRow("devices mismatch") << 3 << 2 << 2 << "devices" << "3";
        QTest::newRow("zero tp") << 1 << 0 << 1 << "tp" << "0";
    }

    void badPlans()
    {
        QFETCH(int, devices);
        QFETCH(int, tp);
        QFETCH(int, ep);
        QFETCH(QString, field);
        QFETCH(QString, number);
        ParallelConfig c = config(tp, ep);
        c.devices = devices;
        try {
            load("mixtral", c);
            QFAIL("the plan was accepted");
        } catch (const Error& e) {
            QCOMPARE(QString::fromStdString(e.field()), field);
            QVERIFY2(QString::fromStdString(e.detail()).contains(number), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, ParallelPlan::make(makeModelSpec("mixtral", *findModelPreset("tiny")), c));
    }

    void planThatDoesNotFitSaysByHowMuch()
    {
        ParallelConfig c = config(2, 2);
        c.memoryLimitBytes = 64 * 1024; // 64 KiB per device
        try {
            load("qwen2moe", c);
            QFAIL("the plan was accepted");
        } catch (const Error& e) {
            QCOMPARE(e.code(), ErrorCode::OutOfMemory);
            QVERIFY2(QString::fromStdString(e.detail()).contains("over"), e.what());
            qInfo("%s", e.what());
        }
        c.memoryLimitBytes = 1ull << 30;
        auto engine = load("qwen2moe", c);
        const auto memory = engine->memoryPerDevice();
        QCOMPARE(int(memory.size()), 4);
        QVERIFY(memory[0].totalBytes() > 0);
    }

    void cudaDevicesGiveAClearError()
    {
        ParallelConfig c;
        parseDeviceList("cuda:0,1", c);
        QCOMPARE(c.devices, int64_t(2));
        c.tp = 2;
        // GPUs that are not there (or a driver that is not) are named before any weight
        // is read; a duplicate is refused wherever it runs.
        if (discoverDevices().cuda.size() < 2) {
            try {
                load("mixtral", c);
                QFAIL("cuda:0,1 without two GPUs should fail");
            } catch (const Error& e) {
                QCOMPARE(QString::fromStdString(e.field()), QString("devices"));
                QVERIFY2(QString::fromStdString(e.detail()).contains("cuda:"), e.what());
            }
        }
        ParallelConfig twice;
        parseDeviceList("cuda:0,0", twice);
        twice.tp = 2;
        try {
            load("mixtral", twice);
            QFAIL("cuda:0,0 should fail");
        } catch (const Error& e) {
            QVERIFY2(QString::fromStdString(e.detail()).contains("named twice"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, parseDeviceList("tpu:3", c));
        QVERIFY_THROWS_EXCEPTION(Error, parseDeviceList("cpu:x", c));
    }
};

QTEST_APPLESS_MAIN(TestParallel)
#include "test_parallel.moc"
