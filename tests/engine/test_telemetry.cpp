// Telemetry: routing counts against an independent recount (top-k recomputed by the
// double-precision reference model from its own router logits), imbalance figures by
// hand, and the snapshot buffers' bounds.
#include "reference_model.h"
#include "test_support.h"
#include "tiny_model.h"

#include "moe/engine.h"
#include "moe/model_maker.h"
#include "moe/safetensors.h"
#include "moe/telemetry.h"

#include <QtTest/QtTest>

#include <cmath>

using namespace moe;

class TestTelemetry : public QObject {
    Q_OBJECT

private slots:
    void countsMatchIndependentRecount_data()
    {
        QTest::addColumn<QString>("arch");
        for (const char* a : {"mixtral", "qwen2moe", "qwen3moe", "olmoe"})
            QTest::newRow(a) << QString(a);
    }

    void countsMatchIndependentRecount()
    {
        QFETCH(QString, arch);
        test::TempDir dir;
        const MadeModel made = test::makeTinyModel(arch.toStdString(), dir.path(), MakeFormat::Safetensors, 11, DType::F32);
        auto engine = Engine::load(made.hfDir);
        auto buffer = engine->telemetry().subscribe(64);

        const std::vector<int32_t> prompt = {3, 9, 27, 81, 243, 200, 100, 50, 25};
        const std::vector<int32_t> decode = {7, 70, 170};
        engine->forward(prompt);
        for (int32_t t : decode)
            engine->forward(std::span<const int32_t>(&t, 1));

        std::vector<StepTelemetryPtr> steps;
        QCOMPARE(buffer->drainInto(steps), size_t(1 + decode.size()));

        HfCheckpoint hf(made.hfDir);
        std::vector<int32_t> all = prompt;
        all.insert(all.end(), decode.begin(), decode.end());
        const auto ref = test::ReferenceModel(hf, engine->spec()).run(all);
        const ModelSpec& s = engine->spec();

        size_t firstToken = 0;
        for (size_t st = 0; st < steps.size(); ++st) {
            const StepTelemetry& t = *steps[st];
            QCOMPARE(t.numMoeLayers, s.numLayers);
            QCOMPARE(t.prefill, st == 0);
            for (int64_t m = 0; m < t.numMoeLayers; ++m) {
                std::vector<int32_t> recount(size_t(s.numExperts), 0);
                for (int64_t i = 0; i < t.tokens; ++i)
                    for (int e : ref.experts[size_t(t.moeLayers[size_t(m)])][firstToken + size_t(i)])
                        ++recount[size_t(e)];
                int64_t sum = 0;
                for (int64_t e = 0; e < s.numExperts; ++e) {
                    QCOMPARE(t.count(m, e), recount[size_t(e)]);
                    sum += t.count(m, e);
                }
                QCOMPARE(sum, t.tokens * s.numExpertsPerToken); // tokens × top-k per layer
                // Per-token routing names the same experts.
                for (int64_t i = 0; i < t.tokens; ++i) {
                    const auto& tr = t.tokenRouting[size_t(i)];
                    QCOMPARE(tr.position, int64_t(firstToken) + i);
                    std::vector<int> got(tr.expertIds.begin() + m * t.topK, tr.expertIds.begin() + (m + 1) * t.topK);
                    std::vector<int> want = ref.experts[size_t(t.moeLayers[size_t(m)])][firstToken + size_t(i)];
                    std::sort(got.begin(), got.end());
                    std::sort(want.begin(), want.end());
                    QCOMPARE(got, want);
                }
            }
            QVERIFY(t.stageSeconds[size_t(Stage::Attention)] > 0);
            QVERIFY(t.stageSeconds[size_t(Stage::Experts)] > 0);
            QCOMPARE(t.kvTokens, int64_t(firstToken + size_t(t.tokens)));
            firstToken += size_t(t.tokens);
        }
        // The history ring holds every token in order.
        const auto history = engine->routingHistory(100);
        QCOMPARE(history.size(), all.size());
        QCOMPARE(history.back().token, decode.back());
        engine->truncate(4);
        QCOMPARE(engine->routingHistory(100).size(), size_t(4));
    }

    // A snapshot a reader holds never changes while the engine goes on.
    void snapshotsAreImmutable()
    {
        test::TempDir dir;
        const MadeModel made = test::makeTinyModel("qwen3moe", dir.path(), MakeFormat::Gguf, 0, std::nullopt);
        auto engine = Engine::load(made.ggufPath);
        auto buffer = engine->telemetry().subscribe(2);
        const std::vector<int32_t> prompt = {1, 2, 3, 4};
        engine->forward(prompt);
        std::vector<StepTelemetryPtr> held;
        buffer->drainInto(held);
        QCOMPARE(held.size(), size_t(1));
        const std::vector<int32_t> before = held[0]->expertCounts;
        const uint64_t step = held[0]->step;
        for (int i = 0; i < 20; ++i) {
            const int32_t t = 10 + i;
            engine->forward(std::span<const int32_t>(&t, 1));
        }
        QCOMPARE(held[0]->expertCounts, before);
        QCOMPARE(held[0]->step, step);
        // The subscriber's buffer kept only its last two; the rest were dropped, not waited for.
        std::vector<StepTelemetryPtr> latest;
        QCOMPARE(buffer->drainInto(latest), size_t(2));
        QCOMPARE(buffer->dropped(), uint64_t(18));
        QCOMPARE(latest.back()->step, step + 20);
    }

    void imbalanceByHand()
    {
        // Even load: 4 experts × 5 → max/mean 1, CV 0, entropy 1, no overflow.
        const int32_t even[] = {5, 5, 5, 5};
        LayerImbalance a = computeImbalance(even, 4, 1.0);
        QCOMPARE(a.maxOverMean, 1.0);
        QCOMPARE(a.coefficientOfVariation, 0.0);
        QVERIFY(std::fabs(a.normalizedEntropy - 1.0) < 1e-12);
        QCOMPARE(a.overflowShare, 0.0);
        // Skewed: loads {8, 0, 0, 0}: mean 2 → max/mean 4; std = sqrt((36+4+4+4)/4) = sqrt(12);
        // CV = sqrt(12)/2; entropy 0; capacity ceil(1.25 × 2) = 3 → overflow (8−3)/8.
        const int32_t skew[] = {8, 0, 0, 0};
        LayerImbalance b = computeImbalance(skew, 4, 1.25);
        QCOMPARE(b.maxOverMean, 4.0);
        QVERIFY(std::fabs(b.coefficientOfVariation - std::sqrt(12.0) / 2.0) < 1e-12);
        QCOMPARE(b.normalizedEntropy, 0.0);
        QCOMPARE(b.overflowShare, 5.0 / 8.0);
        // {3, 1}: p = .75/.25 → H = −(.75 ln .75 + .25 ln .25) / ln 2
        const int32_t two[] = {3, 1};
        const double h = -(0.75 * std::log(0.75) + 0.25 * std::log(0.25)) / std::log(2.0);
        QVERIFY(std::fabs(computeImbalance(two, 2, 1.0).normalizedEntropy - h) < 1e-12);
    }

    void bufferDropsOldest()
    {
        TelemetryBuffer buf(3);
        for (uint64_t i = 1; i <= 5; ++i) {
            auto s = std::make_shared<StepTelemetry>();
            s->step = i;
            buf.push(s);
        }
        std::vector<StepTelemetryPtr> out;
        QCOMPARE(buf.drainInto(out), size_t(3));
        QCOMPARE(out.front()->step, uint64_t(3));
        QCOMPARE(out.back()->step, uint64_t(5));
        QCOMPARE(buf.dropped(), uint64_t(2));
        QCOMPARE(buf.drainInto(out), size_t(0));
    }
};

QTEST_APPLESS_MAIN(TestTelemetry)
#include "test_telemetry.moc"
