// The forward pass against an independent double-precision reference, and the GGUF
// and safetensors copies of the same weights against each other, for every family.
#include "reference_model.h"
#include "test_support.h"
#include "tiny_model.h"

#include "moe/engine.h"
#include "moe/error.h"
#include "moe/model_maker.h"
#include "moe/safetensors.h"

#include <QtTest/QtTest>

#include <cmath>
#include <set>

using namespace moe;

namespace {

struct Capture : ForwardObserver {
    std::vector<std::vector<float>> hidden; // per layer, [n * hidden] of the last call
    std::vector<std::vector<int32_t>> experts; // per layer, [n * k]
    void afterLayer(int64_t layer, std::span<const float> h, int64_t) override
    {
        hidden.resize(size_t(layer + 1));
        hidden[size_t(layer)].assign(h.begin(), h.end());
    }
    void routing(int64_t layer, const RoutingView& r) override
    {
        experts.resize(size_t(layer + 1));
        experts[size_t(layer)].assign(r.expertIds, r.expertIds + r.tokens * r.topK);
    }
};

double maxRelDiff(std::span<const float> a, std::span<const double> b)
{
    double scale = 0, diff = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        scale = std::max(scale, std::fabs(b[i]));
        diff = std::max(diff, std::fabs(double(a[i]) - b[i]));
    }
    return diff / std::max(scale, 1e-30);
}

double maxRelDiff(std::span<const float> a, std::span<const float> b)
{
    std::vector<double> bd(b.begin(), b.end());
    return maxRelDiff(a, std::span<const double>(bd));
}

const std::vector<int32_t> kPrompt = {5, 17, 99, 3, 250, 17, 42, 8, 77, 130, 1, 64};

} // namespace

class TestForward : public QObject {
    Q_OBJECT

private slots:
    void matchesReference_data()
    {
        QTest::addColumn<QString>("arch");
        for (const char* a : {"mixtral", "qwen2moe", "qwen3moe", "olmoe"})
            QTest::newRow(a) << QString(a);
    }

    // Prefill of 12 tokens (several share an expert) then 4 single-token decode steps
    // (each leaves experts unused) match the reference layer by layer and in the logits.
    void matchesReference()
    {
        QFETCH(QString, arch);
        test::TempDir dir;
        const MadeModel made = test::makeTinyModel(arch.toStdString(), dir.path(), MakeFormat::Both, 7, DType::F32);

        EngineOptions eo;
        eo.threads = 2;
        auto engine = Engine::load(made.hfDir, eo);
        Capture cap;
        engine->setObserver(&cap);

        HfCheckpoint hf(made.hfDir);
        test::ReferenceModel ref(hf, engine->spec());
        const int64_t decodeSteps = 4;
        std::vector<int32_t> all = kPrompt;
        for (int64_t i = 0; i < decodeSteps; ++i)
            all.push_back(int32_t(11 + 13 * i));
        const auto expected = ref.run(all);
        const int64_t hidden = engine->spec().hiddenSize, k = engine->spec().numExpertsPerToken;

        // Prefill.
        auto logits = engine->forward(kPrompt, /*allLogits=*/true);
        Q_UNUSED(logits);
        for (int64_t l = 0; l < engine->spec().numLayers; ++l) {
            for (size_t t = 0; t < kPrompt.size(); ++t) {
                std::span<const float> got(cap.hidden[size_t(l)].data() + t * size_t(hidden), size_t(hidden));
                const double d = maxRelDiff(got, expected.hidden[size_t(l)][t]);
                QVERIFY2(d < 1e-4, qPrintable(QString("layer %1 token %2 rel diff %3").arg(l).arg(t).arg(d)));
            }
            // Several tokens of the batch chose a common expert, and the routing agrees.
            std::map<int32_t, int> counts;
            for (size_t t = 0; t < kPrompt.size(); ++t) {
                std::set<int32_t> got(cap.experts[size_t(l)].begin() + ptrdiff_t(t) * k,
                                      cap.experts[size_t(l)].begin() + ptrdiff_t(t + 1) * k);
                std::set<int32_t> want(expected.experts[size_t(l)][t].begin(), expected.experts[size_t(l)][t].end());
                QCOMPARE(got, want);
                for (int32_t e : got)
                    ++counts[e];
            }
            QVERIFY(std::any_of(counts.begin(), counts.end(), [](auto& p) { return p.second > 1; }));
        }
        for (size_t t = 0; t < kPrompt.size(); ++t)
            QVERIFY2(maxRelDiff(engine->logitsOf(int64_t(t)), expected.logits[t]) < 1e-4, qPrintable(QString::number(t)));

        // Decode: one token per step; with top-k < E some experts get no token.
        for (int64_t i = 0; i < decodeSteps; ++i) {
            const int32_t tok = all[kPrompt.size() + size_t(i)];
            auto step = engine->forward(std::span<const int32_t>(&tok, 1));
            const size_t row = kPrompt.size() + size_t(i);
            QVERIFY2(maxRelDiff(step, expected.logits[row]) < 1e-4, qPrintable(QString("decode step %1").arg(i)));
            std::set<int32_t> used(cap.experts[0].begin(), cap.experts[0].end());
            QVERIFY(int64_t(used.size()) < engine->spec().numExperts);
        }
    }

    void ggufMatchesSafetensors_data() { matchesReference_data(); }

    // The same weights through both readers (GGUF with permuted Q/K rows for Mixtral and
    // interleaved RoPE) give the same logits.
    void ggufMatchesSafetensors()
    {
        QFETCH(QString, arch);
        test::TempDir dir;
        const MadeModel made = test::makeTinyModel(arch.toStdString(), dir.path(), MakeFormat::Both, 3, DType::F32);
        EngineOptions eo;
        eo.threads = 1;
        auto fromGguf = Engine::load(made.ggufPath, eo);
        auto fromHf = Engine::load(made.hfDir, eo);
        QCOMPARE(fromGguf->spec().ropeLayout == RopeLayout::Interleaved, arch == "mixtral");
        fromGguf->forward(kPrompt, true);
        fromHf->forward(kPrompt, true);
        for (size_t t = 0; t < kPrompt.size(); ++t) {
            const double d = maxRelDiff(fromGguf->logitsOf(int64_t(t)), fromHf->logitsOf(int64_t(t)));
            QVERIFY2(d < 1e-5, qPrintable(QString("token %1 rel diff %2").arg(t).arg(d)));
        }
        for (int i = 0; i < 8; ++i) {
            const int32_t tok = int32_t(20 + i);
            auto a = fromGguf->forward(std::span<const int32_t>(&tok, 1));
            std::vector<float> av(a.begin(), a.end());
            auto b = fromHf->forward(std::span<const int32_t>(&tok, 1));
            QVERIFY(maxRelDiff(av, b) < 1e-5);
        }
    }

    // Greedy generation picks the argmax at every step, and seeded sampling repeats.
    void greedyAndSeededGeneration()
    {
        test::TempDir dir;
        const MadeModel made = test::makeTinyModel("qwen3moe", dir.path(), MakeFormat::Gguf, 0, DType::F32);
        auto engine = Engine::load(made.ggufPath);

        SamplingParams greedy = SamplingParams::greedy();
        greedy.maxTokens = 10;
        greedy.ignoreEos = true;
        std::vector<std::vector<float>> seen;
        GenerateCallbacks cb;
        cb.onLogits = [&](std::span<const float> l) { seen.emplace_back(l.begin(), l.end()); };
        const auto r = engine->generate(kPrompt, greedy, cb);
        QCOMPARE(r.tokens.size(), size_t(10));
        for (size_t i = 0; i < r.tokens.size(); ++i) {
            const auto& l = seen[i];
            const int32_t best = int32_t(std::max_element(l.begin(), l.end()) - l.begin());
            QCOMPARE(r.tokens[i], best);
        }

        SamplingParams sp;
        sp.temperature = 1.0f;
        sp.topK = 0;
        sp.topP = 1.f;
        sp.minP = 0.f;
        sp.seed = 1234;
        sp.maxTokens = 12;
        sp.ignoreEos = true;
        engine->reset();
        const auto a = engine->generate(kPrompt, sp);
        engine->reset();
        const auto b = engine->generate(kPrompt, sp);
        QCOMPARE(a.tokens, b.tokens);
        sp.seed = 99;
        engine->reset();
        const auto c = engine->generate(kPrompt, sp);
        QVERIFY(a.tokens != c.tokens);
    }

    // Cached prefix reuse gives the same logits as a fresh run.
    void prefixReuse()
    {
        test::TempDir dir;
        const MadeModel made = test::makeTinyModel("mixtral", dir.path(), MakeFormat::Gguf, 0, DType::F32);
        auto engine = Engine::load(made.ggufPath);
        auto full = engine->forward(kPrompt);
        std::vector<float> fresh(full.begin(), full.end());
        engine->truncate(5);
        QCOMPARE(engine->position(), int64_t(5));
        auto again = engine->forward(std::span<const int32_t>(kPrompt).subspan(5));
        QVERIFY(maxRelDiff(again, fresh) < 1e-6);
    }

    void rejectsBadTokensAndOverflow()
    {
        test::TempDir dir;
        const MadeModel made = test::makeTinyModel("olmoe", dir.path(), MakeFormat::Gguf, 0, std::nullopt);
        EngineOptions eo;
        eo.contextLength = 16;
        auto engine = Engine::load(made.ggufPath, eo);
        const std::vector<int32_t> bad = {1, int32_t(engine->spec().vocabSize)};
        QVERIFY_THROWS_EXCEPTION(moe::Error, engine->forward(bad));
        std::vector<int32_t> tooLong(17, 1);
        QVERIFY_THROWS_EXCEPTION(moe::Error, engine->forward(tooLong));
        QCOMPARE(engine->position(), int64_t(0));
    }
};

QTEST_APPLESS_MAIN(TestForward)
#include "test_forward.moc"
