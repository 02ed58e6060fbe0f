// Sampler against what each rule means, computed independently in the test: empirical
// frequencies against softmax probabilities, and each filter's kept set by hand.
#include "moe/error.h"
#include "moe/sampler.h"

#include <QtTest/QtTest>

#include <cmath>
#include <map>

using namespace moe;

namespace {

SamplingParams plain(float temperature)
{
    SamplingParams p;
    p.temperature = temperature;
    p.topK = 0;
    p.topP = 1.f;
    p.minP = 0.f;
    p.seed = 42;
    return p;
}

std::map<int32_t, int> histogram(Sampler& s, const std::vector<float>& logits, int draws)
{
    std::map<int32_t, int> h;
    for (int i = 0; i < draws; ++i)
        ++h[s.sample(logits, {})];
    return h;
}

} // namespace

class TestSampler : public QObject {
    Q_OBJECT

private slots:
    void greedyIsArgmaxWithLowestIndexOnTies()
    {
        Sampler s(5, SamplingParams::greedy());
        QCOMPARE(s.sample(std::vector<float>{0.1f, 3.f, -1.f, 3.f, 2.f}, {}), 1);
        QCOMPARE(argmax(std::vector<float>{-5.f, -4.f, -4.f}), 1);
    }

    // Banned ids (a vocabulary's unused tokens) are never drawn, greedy or sampled, and
    // the rest keep their relative frequencies: softmax over the allowed logits only.
    void bannedTokensAreNeverSampled()
    {
        Sampler greedy(4, SamplingParams::greedy());
        greedy.banTokens({1, 99, -3}); // out-of-range ids are ignored
        QCOMPARE(greedy.sample(std::vector<float>{0.5f, 9.f, 2.f, 1.f}, {}), 2);
        Sampler s(4, plain(1.f));
        s.banTokens({1});
        const std::vector<float> logits = {0.5f, 9.f, 2.f, 1.f};
        const int n = 20000;
        const auto h = histogram(s, logits, n);
        QVERIFY(!h.count(1));
        const double z = std::exp(0.5) + std::exp(2.0) + std::exp(1.0);
        const double p2 = std::exp(2.0) / z;
        const double got = double(h.at(2)) / n;
        QVERIFY2(std::fabs(got - p2) < 5 * std::sqrt(p2 * (1 - p2) / n) + 1e-4, qPrintable(QString::number(got)));
    }

    // With temperature T the draws follow softmax(logits / T).
    void frequenciesFollowSoftmax()
    {
        const std::vector<float> logits = {1.0f, 2.0f, 0.5f, -1.0f};
        for (float t : {1.0f, 0.5f}) {
            Sampler s(4, plain(t));
            const int n = 40000;
            const auto h = histogram(s, logits, n);
            double z = 0;
            for (float l : logits)
                z += std::exp(double(l) / t);
            for (int i = 0; i < 4; ++i) {
                const double p = std::exp(double(logits[size_t(i)]) / t) / z;
                const double got = double(h.count(i) ? h.at(i) : 0) / n;
                // 5 standard deviations of a binomial proportion.
                QVERIFY2(std::fabs(got - p) < 5 * std::sqrt(p * (1 - p) / n) + 1e-4,
                         qPrintable(QString("T=%1 token %2: %3 vs %4").arg(t).arg(i).arg(got).arg(p)));
            }
        }
    }

    void topKKeepsOnlyTheBestK()
    {
        SamplingParams p = plain(1.f);
        p.topK = 2;
        Sampler s(5, p);
        const auto h = histogram(s, {0.f, 5.f, 4.9f, 4.8f, 1.f}, 2000);
        for (const auto& [id, count] : h)
            QVERIFY2(id == 1 || id == 2, qPrintable(QString::number(id)));
    }

    // probabilities 0.5, 0.3, 0.2: top-p 0.6 keeps {0, 1}; top-p 0.5 keeps {0}.
    void topPKeepsTheSmallestPrefix()
    {
        const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
        SamplingParams p = plain(1.f);
        p.topP = 0.6f;
        Sampler a(3, p);
        const auto h = histogram(a, logits, 3000);
        QVERIFY(!h.count(2));
        QVERIFY(h.count(0) && h.count(1));
        p.topP = 0.5f;
        Sampler b(3, p);
        QCOMPARE(histogram(b, logits, 500).size(), size_t(1));
    }

    // min-p 0.5 keeps tokens with p >= 0.5 * p_max: with p = 0.5, 0.3, 0.2 that is {0, 1}.
    void minPDropsUnlikelyTokens()
    {
        const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
        SamplingParams p = plain(1.f);
        p.minP = 0.5f;
        Sampler s(3, p);
        const auto h = histogram(s, logits, 3000);
        QVERIFY(!h.count(2));
        QVERIFY(h.count(1));
    }

    // Repetition penalty 2 halves a positive logit of a recent token: 3 → 1.5 < 2.
    void repetitionPenaltyDemotesRecentTokens()
    {
        SamplingParams p = SamplingParams::greedy();
        p.repetitionPenalty = 2.f;
        Sampler s(3, p);
        const std::vector<float> logits = {3.f, 2.f, 0.f};
        const std::vector<int32_t> recent = {0};
        QCOMPARE(s.sample(logits, recent), 1);
        QCOMPARE(s.sample(logits, {}), 0);
    }

    // Frequency penalty 0.6 × 2 occurrences = 1.2: 3 → 1.8 < 2; presence subtracts once.
    void frequencyAndPresencePenalties()
    {
        SamplingParams p = SamplingParams::greedy();
        p.frequencyPenalty = 0.6f;
        Sampler s(3, p);
        const std::vector<float> logits = {3.f, 2.f, 0.f};
        QCOMPARE(s.sample(logits, std::vector<int32_t>{0}), 0); // 2.4 > 2
        QCOMPARE(s.sample(logits, std::vector<int32_t>{0, 0}), 1);
        SamplingParams q = SamplingParams::greedy();
        q.presencePenalty = 1.5f;
        Sampler t(3, q);
        QCOMPARE(t.sample(logits, std::vector<int32_t>{0, 0, 0}), 1); // 1.5 < 2
    }

    void penaltyWindowLooksOnlyAtTheLastN()
    {
        SamplingParams p = SamplingParams::greedy();
        p.repetitionPenalty = 10.f;
        p.penaltyLastN = 2;
        Sampler s(3, p);
        const std::vector<float> logits = {3.f, 2.f, 0.f};
        QCOMPARE(s.sample(logits, std::vector<int32_t>{0, 2, 2}), 0); // token 0 is outside the window
    }

    void seedsRepeatAndDiffer()
    {
        const std::vector<float> logits = {0.f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
        auto draw = [&](uint64_t seed) {
            SamplingParams p = plain(1.f);
            p.seed = seed;
            Sampler s(6, p);
            std::vector<int32_t> out;
            for (int i = 0; i < 50; ++i)
                out.push_back(s.sample(logits, {}));
            return out;
        };
        QCOMPARE(draw(7), draw(7));
        QVERIFY(draw(7) != draw(8));
    }

    void badParametersAreRefused()
    {
        SamplingParams p = plain(1.f);
        p.topP = 0.f;
        QVERIFY_THROWS_EXCEPTION(moe::Error, Sampler(4, p));
        QVERIFY_THROWS_EXCEPTION(moe::Error, Sampler(0, plain(1.f)));
    }
};

QTEST_APPLESS_MAIN(TestSampler)
#include "test_sampler.moc"
