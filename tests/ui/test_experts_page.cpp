// Experts page: the heatmap, imbalance and per-token models against numbers the test
// computes itself from the telemetry snapshots and routing history the engine emitted
// (a real EngineController with a tiny made model), and against hand-built steps / runs.
#include "engine_controller.h"
#include "experts/expert_heatmap_model.h"
#include "experts/expert_heatmap_view.h"
#include "experts/experts_page.h"
#include "experts/layer_imbalance_model.h"
#include "experts/token_routing_model.h"
#include "test_support.h"
#include "tiny_model.h"

#include "moe/profile_run.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

#include <cmath>
#include <map>
#include <memory>

using moeui::ExpertHeatmapModel;
using Source = moeui::ExpertHeatmapModel::Source;

namespace {

using Tester = QAbstractItemModelTester;
constexpr auto kQtTest = QAbstractItemModelTester::FailureReportingMode::QtTest;

struct Testers {
    std::vector<std::unique_ptr<Tester>> all;
    explicit Testers(moeui::ExpertsPage& page)
    {
        all.push_back(std::make_unique<Tester>(page.heatmapModel(), kQtTest));
        all.push_back(std::make_unique<Tester>(page.imbalanceModel(), kQtTest));
        all.push_back(std::make_unique<Tester>(page.tokenRoutingModel(), kQtTest));
        all.push_back(std::make_unique<Tester>(page.tokenExpertsModel(), kQtTest));
    }
};

// A hand-built step of `layers` x `experts` with the given counts.
moe::StepTelemetryPtr makeStep(uint64_t step, int64_t layers, int64_t experts, std::vector<int32_t> counts, int64_t tokens)
{
    auto s = std::make_shared<moe::StepTelemetry>();
    s->step = step;
    s->numMoeLayers = layers;
    s->numExperts = experts;
    s->topK = 2;
    s->tokens = tokens;
    for (int64_t l = 0; l < layers; ++l)
        s->moeLayers.push_back(int32_t(2 * l + 1));
    s->expertCounts = std::move(counts);
    s->gateWeightSums.assign(s->expertCounts.size(), 0.0f);
    return s;
}

int64_t shown(const ExpertHeatmapModel& m, int l, int e)
{
    return m.data(m.index(l, e), Qt::DisplayRole).toLongLong();
}

// Expected sums of the steps [first, last) of `steps`.
std::vector<int64_t> sumSteps(const std::vector<moe::StepTelemetryPtr>& steps, size_t first, size_t last)
{
    std::vector<int64_t> sum(steps.front()->expertCounts.size(), 0);
    for (size_t i = first; i < last; ++i)
        for (size_t c = 0; c < sum.size(); ++c)
            sum[c] += steps[i]->expertCounts[c];
    return sum;
}

void compareCounts(const ExpertHeatmapModel& m, const std::vector<int64_t>& expected, int layers, int experts)
{
    QCOMPARE(m.rowCount(), layers);
    QCOMPARE(m.columnCount(), experts);
    for (int l = 0; l < layers; ++l)
        for (int e = 0; e < experts; ++e)
            QCOMPARE(shown(m, l, e), expected[size_t(l * experts + e)]);
}

} // namespace

class TestExpertsPage : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void liveConversationMatchesTelemetry();
    void slidingWindowOverHandBuiltSteps();
    void normalisationByHand();
    void savedRunShowsItsTotalCounts();
    void placementOverlayWhenSharded();

private:
    std::unique_ptr<moe::test::TempDir> m_dir;
    QString m_modelPath;
};

void TestExpertsPage::initTestCase()
{
    m_dir = std::make_unique<moe::test::TempDir>();
    const moe::MadeModel made = moe::test::makeTinyModel("mixtral", m_dir->path(), moe::MakeFormat::Gguf);
    m_modelPath = QString::fromStdString(made.ggufPath);
    QVERIFY(!m_modelPath.isEmpty());
}

void TestExpertsPage::liveConversationMatchesTelemetry()
{
    moeui::EngineController engine;
    moeui::ExpertsPage page(&engine);
    Testers testers(page);
    ExpertHeatmapModel& heat = *page.heatmapModel();

    std::vector<moe::StepTelemetryPtr> seen;
    connect(&engine, &moeui::EngineController::telemetryUpdated, this,
            [&seen](const moeui::TelemetryBatch& batch) { seen.insert(seen.end(), batch.begin(), batch.end()); });
    QSignalSpy loaded(&engine, &moeui::EngineController::modelLoaded);
    QSignalSpy failed(&engine, &moeui::EngineController::jobFailed);
    QSignalSpy finished(&engine, &moeui::EngineController::generationFinished);
    QSignalSpy routing(&engine, &moeui::EngineController::routingHistoryReady);

    moeui::LoadOptions options;
    options.threads = 2;
    engine.loadModel(m_modelPath, options);
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 || failed.count() > 0, 30000);
    QCOMPARE(failed.count(), 0);

    moe::SamplingParams params = moe::SamplingParams::greedy();
    params.maxTokens = 8;
    engine.generate({{"user", "hello"}}, params);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1 || failed.count() > 0, 30000);
    QCOMPARE(failed.count(), 0);
    const auto stats = finished.at(0).at(1).value<moeui::GenerationStats>();
    QVERIFY(stats.generatedTokens > 0);
    // Every token fed through the model is one step's worth of telemetry: the prompt, and
    // every sampled token but the last unless the answer ended with end-of-text.
    const int64_t fedAnswer =
        stats.stop == moe::GenerationResult::Stop::Eos ? stats.generatedTokens : stats.generatedTokens - 1;
    const int64_t expectedTokens = stats.promptTokens - stats.reusedTokens + fedAnswer;
    auto seenTokens = [&seen] {
        int64_t n = 0;
        for (const auto& s : seen)
            n += s->tokens;
        return n;
    };
    QTRY_COMPARE_WITH_TIMEOUT(seenTokens(), expectedTokens, 10000);

    const int layers = int(seen.front()->numMoeLayers), experts = int(seen.front()->numExperts);
    const int topK = int(seen.front()->topK);
    QVERIFY(layers > 0 && experts > 0 && topK > 0);

    // Whole conversation = the sum of every snapshot.
    QCOMPARE(heat.source(), Source::Conversation);
    std::vector<int64_t> total = sumSteps(seen, 0, seen.size());
    compareCounts(heat, total, layers, experts);
    for (int l = 0; l < layers; ++l) {
        QCOMPARE(heat.headerData(l, Qt::Vertical).toInt(), seen.front()->moeLayers[size_t(l)]);
        int64_t rowSum = 0;
        for (int e = 0; e < experts; ++e)
            rowSum += total[size_t(l * experts + e)];
        QCOMPARE(rowSum, expectedTokens * topK); // every token picks top-k experts per layer
    }
    QCOMPARE(heat.shownSteps(), int64_t(seen.size()));
    QCOMPARE(heat.shownTokens(), expectedTokens);
    const QString tip = heat.data(heat.index(0, 0), Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QStringLiteral("layer %1, expert 0: %2 tokens").arg(seen.front()->moeLayers[0]).arg(total[0])),
             qPrintable(tip));

    // Imbalance from the aggregated counts, computed here from the definitions.
    for (int l = 0; l < layers; ++l) {
        double sum = 0, maxLoad = 0, entropy = 0;
        for (int e = 0; e < experts; ++e) {
            sum += double(total[size_t(l * experts + e)]);
            maxLoad = std::max(maxLoad, double(total[size_t(l * experts + e)]));
        }
        for (int e = 0; e < experts; ++e)
            if (const double p = double(total[size_t(l * experts + e)]) / sum; p > 0)
                entropy -= p * std::log(p);
        const auto* im = page.imbalanceModel();
        QVERIFY(std::abs(im->index(l, moeui::LayerImbalanceModel::MaxOverMeanColumn)
                             .data(moeui::LayerImbalanceModel::ValueRole)
                             .toDouble() -
                         maxLoad / (sum / experts)) < 1e-9);
        QVERIFY(std::abs(im->index(l, moeui::LayerImbalanceModel::EntropyColumn)
                             .data(moeui::LayerImbalanceModel::ValueRole)
                             .toDouble() -
                         entropy / std::log(double(experts))) < 1e-9);
        QCOMPARE(im->index(l, moeui::LayerImbalanceModel::AssignmentsColumn)
                     .data(moeui::LayerImbalanceModel::ValueRole)
                     .toLongLong(),
                 int64_t(sum));
    }

    // This step = the last snapshot; a window = the sum of the last N snapshots.
    page.setSource(Source::ThisStep);
    std::vector<int64_t> last(seen.back()->expertCounts.begin(), seen.back()->expertCounts.end());
    compareCounts(heat, last, layers, experts);
    QCOMPARE(heat.shownTokens(), seen.back()->tokens);
    page.setSource(Source::SlidingWindow);
    heat.setWindowSteps(3);
    QVERIFY(seen.size() > 3);
    compareCounts(heat, sumSteps(seen, seen.size() - 3, seen.size()), layers, experts);
    heat.setWindowSteps(1000); // clamped, larger than the steps seen: everything
    compareCounts(heat, total, layers, experts);

    // Per-token view: the routing history the page asked for after the answer, each token's
    // experts as the telemetry of the step that ran it reported them.
    QTRY_VERIFY_WITH_TIMEOUT(routing.count() >= 1, 10000);
    QTRY_VERIFY(page.tokenRoutingModel()->rowCount() > 0);
    const moeui::RoutingHistoryPtr history = page.tokenRoutingModel()->history();
    QVERIFY(history);
    QCOMPARE(int64_t(history->tokens.size()), expectedTokens);
    std::map<int64_t, moe::TokenRouting> byPosition;
    for (const auto& s : seen)
        for (const moe::TokenRouting& t : s->tokenRouting)
            byPosition[t.position] = t;
    auto* tokens = page.tokenRoutingModel();
    auto* detail = page.tokenExpertsModel();
    for (int row = 0; row < tokens->rowCount(); ++row) {
        const int64_t position = tokens->index(row).data(moeui::TokenRoutingModel::PositionRole).toLongLong();
        QVERIFY2(byPosition.count(position), qPrintable(QStringLiteral("position %1").arg(position)));
        const moe::TokenRouting& expected = byPosition[position];
        QCOMPARE(tokens->index(row).data(moeui::TokenRoutingModel::TokenIdRole).toInt(), expected.token);
        QCOMPARE(tokens->index(row).data(moeui::TokenRoutingModel::IsAnswerRole).toBool(),
                 row >= tokens->rowCount() - fedAnswer);
        page.selectToken(row);
        QCOMPARE(detail->rowCount(), layers);
        QCOMPARE(detail->columnCount(), topK);
        for (int l = 0; l < layers; ++l)
            for (int k = 0; k < topK; ++k) {
                const QModelIndex i = detail->index(l, k);
                QCOMPARE(i.data(moeui::TokenExpertsModel::ExpertRole).toInt(), expected.expertIds[size_t(l * topK + k)]);
                QCOMPARE(float(i.data(moeui::TokenExpertsModel::WeightRole).toDouble()),
                         expected.weights[size_t(l * topK + k)]);
            }
    }

    // Another request's history (not the page's job) is dropped.
    const int rowsBefore = tokens->rowCount();
    const int routingBefore = routing.count();
    engine.requestRoutingHistory(1);
    QTRY_COMPARE(routing.count(), routingBefore + 1);
    QCOMPARE(tokens->rowCount(), rowsBefore);

    QVERIFY2(page.statusText().contains(QStringLiteral("random weights")), qPrintable(page.statusText()));

    // A second turn adds to the conversation.
    page.setSource(Source::Conversation);
    engine.generate({{"user", "hello"}, {"assistant", stats.text.toStdString()}, {"user", "and then?"}}, params);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 2 || failed.count() > 0, 30000);
    QCOMPARE(failed.count(), 0);
    const auto stats2 = finished.at(1).at(1).value<moeui::GenerationStats>();
    const int64_t fed2 =
        stats2.stop == moe::GenerationResult::Stop::Eos ? stats2.generatedTokens : stats2.generatedTokens - 1;
    QTRY_COMPARE_WITH_TIMEOUT(seenTokens(), expectedTokens + stats2.promptTokens - stats2.reusedTokens + fed2, 10000);
    compareCounts(heat, sumSteps(seen, 0, seen.size()), layers, experts);

    // Clear starts the conversation afresh.
    page.clearConversation();
    compareCounts(heat, std::vector<int64_t>(size_t(layers * experts), 0), layers, experts);
    QCOMPARE(heat.shownSteps(), int64_t(0));
}

void TestExpertsPage::slidingWindowOverHandBuiltSteps()
{
    moeui::ExpertsPage page(nullptr);
    Testers testers(page);
    ExpertHeatmapModel& heat = *page.heatmapModel();
    page.setSource(Source::SlidingWindow);
    heat.setWindowSteps(ExpertHeatmapModel::kMaxWindowSteps);

    // More steps than the ring holds, fed in uneven batches, with pseudo-random counts.
    const int layers = 3, experts = 5;
    const int total = ExpertHeatmapModel::kMaxWindowSteps + 37;
    std::vector<moe::StepTelemetryPtr> steps;
    uint32_t state = 12345;
    for (int i = 0; i < total; ++i) {
        std::vector<int32_t> counts(size_t(layers * experts));
        for (int32_t& c : counts) {
            state = state * 1664525u + 1013904223u;
            c = int32_t(state >> 27); // 0..31
        }
        steps.push_back(makeStep(uint64_t(i), layers, experts, std::move(counts), 1 + i % 3));
    }
    for (size_t first = 0; first < steps.size();) {
        const size_t n = std::min<size_t>(1 + first % 7, steps.size() - first);
        page.addTelemetry(moeui::TelemetryBatch(steps.begin() + long(first), steps.begin() + long(first + n)));
        first += n;
    }
    const size_t end = steps.size();
    compareCounts(heat, sumSteps(steps, end - ExpertHeatmapModel::kMaxWindowSteps, end), layers, experts);
    QCOMPARE(heat.shownSteps(), int64_t(ExpertHeatmapModel::kMaxWindowSteps));
    for (int window : {1, 2, 7, 100}) {
        heat.setWindowSteps(window);
        compareCounts(heat, sumSteps(steps, end - size_t(window), end), layers, experts);
        int64_t tokens = 0;
        for (size_t i = end - size_t(window); i < end; ++i)
            tokens += steps[i]->tokens;
        QCOMPARE(heat.shownTokens(), tokens);
    }
    // Shrunk window, then more steps: eviction stays exact.
    heat.setWindowSteps(4);
    page.addTelemetry({steps[0], steps[1], steps[2]});
    std::vector<moe::StepTelemetryPtr> all = steps;
    all.insert(all.end(), {steps[0], steps[1], steps[2]});
    compareCounts(heat, sumSteps(all, all.size() - 4, all.size()), layers, experts);
    page.setSource(Source::Conversation);
    compareCounts(heat, sumSteps(all, 0, all.size()), layers, experts);

    // A step of another shape (another model) starts the live aggregates afresh.
    auto other = makeStep(0, 2, 3, {1, 2, 3, 4, 5, 6}, 3);
    page.addTelemetry({other});
    compareCounts(heat, {1, 2, 3, 4, 5, 6}, 2, 3);
    QCOMPARE(heat.shownSteps(), int64_t(1));
}

void TestExpertsPage::normalisationByHand()
{
    moeui::ExpertsPage page(nullptr);
    Testers testers(page);
    ExpertHeatmapModel& heat = *page.heatmapModel();
    // Layer 0: 2 6 0 4 (max 6, sum 12); layer 1: 10 1 1 0 (max 10, sum 12).
    page.addTelemetry({makeStep(0, 2, 4, {2, 6, 0, 4, 10, 1, 1, 0}, 6)});
    const std::vector<double> perLayer = {2 / 6.0, 1, 0, 4 / 6.0, 1, 0.1, 0.1, 0};
    const std::vector<double> global = {0.2, 0.6, 0, 0.4, 1, 0.1, 0.1, 0};
    const std::vector<double> share = {2 / 12.0, 6 / 12.0, 0, 4 / 12.0, 10 / 12.0, 1 / 12.0, 1 / 12.0, 0};
    heat.setNormalisation(ExpertHeatmapModel::Normalisation::PerLayer);
    for (int i = 0; i < 8; ++i) {
        const QModelIndex idx = heat.index(i / 4, i % 4);
        QCOMPARE(idx.data(ExpertHeatmapModel::NormalisedRole).toDouble(), perLayer[size_t(i)]);
        QCOMPARE(idx.data(ExpertHeatmapModel::LayerShareRole).toDouble(), share[size_t(i)]);
    }
    heat.setNormalisation(ExpertHeatmapModel::Normalisation::Global);
    for (int i = 0; i < 8; ++i) {
        const QModelIndex idx = heat.index(i / 4, i % 4);
        QCOMPARE(idx.data(ExpertHeatmapModel::NormalisedRole).toDouble(), global[size_t(i)]);
        QCOMPARE(idx.data(ExpertHeatmapModel::LayerShareRole).toDouble(), share[size_t(i)]);
    }
    QCOMPARE(heat.index(1, 0).data(Qt::ToolTipRole).toString(),
             QStringLiteral("layer 3, expert 0: 10 tokens (83.3 % of the layer)"));
    // The colour map holds the normalised values.
    QCPColorMapData* cells = page.heatmapView()->colorMap()->data();
    QCOMPARE(cells->keySize(), 4);
    QCOMPARE(cells->valueSize(), 2);
    for (int i = 0; i < 8; ++i)
        QCOMPARE(cells->cell(i % 4, i / 4), global[size_t(i)]);
}

void TestExpertsPage::savedRunShowsItsTotalCounts()
{
    moeui::ExpertsPage page(nullptr);
    Testers testers(page);
    ExpertHeatmapModel& heat = *page.heatmapModel();
    page.addTelemetry({makeStep(0, 2, 4, {1, 1, 1, 1, 1, 1, 1, 1}, 2)});

    auto run = std::make_shared<moe::ProfileRun>();
    run->name = "maths prompts";
    run->modelName = "tiny";
    run->numMoeLayers = 3;
    run->numExperts = 2;
    run->topK = 1;
    run->moeLayers = {0, 2, 4};
    moe::ProfileStep a, b;
    a.tokens = 5;
    a.expertCounts = {3, 2, 5, 0, 1, 4};
    b.tokens = 2;
    b.expertCounts = {1, 1, 0, 2, 2, 0};
    run->steps = {a, b};
    page.showRun(run);
    QCOMPARE(heat.source(), Source::SavedRun);
    compareCounts(heat, {4, 3, 5, 2, 3, 4}, 3, 2);
    QCOMPARE(heat.headerData(2, Qt::Vertical).toInt(), 4);
    QCOMPARE(heat.shownSteps(), int64_t(2));
    QCOMPARE(heat.shownTokens(), int64_t(7));
    QVERIFY(page.statusText().contains(QStringLiteral("maths prompts")));
    // Imbalance of the run's layer 1 (5, 2): max/mean = 5 / 3.5.
    QCOMPARE(page.imbalanceModel()
                 ->index(1, moeui::LayerImbalanceModel::MaxOverMeanColumn)
                 .data(moeui::LayerImbalanceModel::ValueRole)
                 .toDouble(),
             5 / 3.5);

    // Live telemetry keeps counting underneath; switching back shows it.
    page.addTelemetry({makeStep(1, 2, 4, {0, 2, 0, 0, 0, 0, 0, 2}, 1)});
    compareCounts(heat, {4, 3, 5, 2, 3, 4}, 3, 2);
    page.setSource(Source::Conversation);
    compareCounts(heat, {1, 3, 1, 1, 1, 1, 1, 3}, 2, 4);
}

void TestExpertsPage::placementOverlayWhenSharded()
{
    moeui::EngineController engine;
    moeui::ExpertsPage page(&engine);
    Testers testers(page);
    QSignalSpy loaded(&engine, &moeui::EngineController::modelLoaded);
    QSignalSpy failed(&engine, &moeui::EngineController::jobFailed);
    QSignalSpy finished(&engine, &moeui::EngineController::generationFinished);
    moeui::LoadOptions options;
    options.threads = 2;
    options.parallel.devices = 2;
    options.parallel.ep = 2;
    engine.loadModel(m_modelPath, options);
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 || failed.count() > 0, 30000);
    QCOMPARE(failed.count(), 0);
    QVERIFY(engine.model()->plan && engine.model()->plan->ep() == 2);
    moe::SamplingParams params = moe::SamplingParams::greedy();
    params.maxTokens = 2;
    engine.generate({{"user", "hi"}}, params);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1 || failed.count() > 0, 30000);
    QCOMPARE(failed.count(), 0);
    ExpertHeatmapModel& heat = *page.heatmapModel();
    QTRY_VERIFY(heat.rowCount() > 0);
    QVERIFY(heat.hasPlacement());
    // Contiguous placement on 2 EP groups of 1 device each: the first half of the experts
    // lives on device 0, the second half on device 1.
    const int experts = heat.columnCount();
    for (int l = 0; l < heat.rowCount(); ++l)
        for (int e = 0; e < experts; ++e) {
            const QList<int> devices = heat.index(l, e).data(ExpertHeatmapModel::DevicesRole).value<QList<int>>();
            QCOMPARE(devices, QList<int>{e < experts / 2 ? 0 : 1});
            QVERIFY(heat.index(l, e).data(Qt::ToolTipRole).toString().contains(QStringLiteral("device(s)")));
        }
    QVERIFY(page.heatmapView()->placementItemCount() > 0);
    QVERIFY(page.placementText().contains(QStringLiteral("EP1")));
    page.heatmapView()->setShowPlacement(false);
    QCOMPARE(page.heatmapView()->placementItemCount(), 0);
}

QTEST_MAIN(TestExpertsPage)
#include "test_experts_page.moc"
