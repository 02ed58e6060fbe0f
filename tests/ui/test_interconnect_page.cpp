// Interconnect page: the traffic matrix, link utilisation and per-step history models
// against sums the test computes itself, from hand-built snapshots with known bytes and
// times and from a real tiny model split over two virtual CPU devices (TP 2).
#include "engine_controller.h"
#include "interconnect/interconnect_page.h"
#include "interconnect/link_utilisation_model.h"
#include "interconnect/traffic_heatmap_view.h"
#include "interconnect/traffic_history_model.h"
#include "interconnect/traffic_matrix_model.h"
#include "test_support.h"
#include "tiny_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

#include <cmath>
#include <memory>

using moe::TrafficKind;
using moeui::LinkUtilisationModel;
using moeui::TrafficHistoryModel;
using moeui::TrafficMatrixModel;

namespace {

using Tester = QAbstractItemModelTester;
constexpr auto kQtTest = QAbstractItemModelTester::FailureReportingMode::QtTest;

struct Testers {
    std::vector<std::unique_ptr<Tester>> all;
    explicit Testers(moeui::InterconnectPage& page)
    {
        all.push_back(std::make_unique<Tester>(page.trafficModel(), kQtTest));
        all.push_back(std::make_unique<Tester>(page.linkModel(), kQtTest));
        all.push_back(std::make_unique<Tester>(page.historyModel(), kQtTest));
    }
};

struct Transfer {
    int64_t layer; // -1: outside any layer
    TrafficKind kind;
    int32_t src, dst;
    uint64_t bytes;
};

moe::StepTelemetryPtr makeStep(uint64_t step, int32_t devices, const std::vector<Transfer>& transfers,
                               double measuredSeconds, double estimatedSeconds, bool estimated)
{
    auto s = std::make_shared<moe::StepTelemetry>();
    s->step = step;
    s->tokens = 1;
    s->traffic.reset(devices, 2);
    for (const Transfer& t : transfers)
        s->traffic.add(t.layer, t.kind, t.src, t.dst, t.bytes);
    s->traffic.measuredSeconds = measuredSeconds;
    s->traffic.estimatedSeconds = estimatedSeconds;
    s->traffic.estimated = estimated;
    s->traffic.link = "NVLink 4 (900 GB/s bidirectional)";
    s->traffic.collectives = int64_t(transfers.size());
    return s;
}

uint64_t bytesOf(const TrafficMatrixModel& m, int src, int dst)
{
    return m.index(src, dst).data(Qt::DisplayRole).toULongLong();
}

double valueOf(const LinkUtilisationModel& m, int src, int dst, int column)
{
    return m.index(m.rowOf(src, dst), column).data(LinkUtilisationModel::ValueRole).toDouble();
}

bool near(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); }

} // namespace

class TestInterconnectPage : public QObject {
    Q_OBJECT
private slots:
    void emptyStateWithoutTraffic();
    void handBuiltStepsAddUp();
    void measuredTimeOnRealDevices();
    void historyKeepsTheLastSteps();
    void realTensorParallelTraffic();
};

void TestInterconnectPage::emptyStateWithoutTraffic()
{
    moeui::InterconnectPage page(nullptr);
    Testers testers(page);
    QVERIFY(page.isEmptyStateShown());
    QVERIFY2(page.emptyStateText().contains(QStringLiteral("cpu:N")), qPrintable(page.emptyStateText()));
    // Single-device telemetry (an empty traffic matrix) changes nothing.
    auto single = std::make_shared<moe::StepTelemetry>();
    single->tokens = 4;
    page.addTelemetry({single});
    QVERIFY(page.isEmptyStateShown());
    QCOMPARE(page.trafficModel()->rowCount(), 0);
    QCOMPARE(page.linkModel()->rowCount(), 0);
    QCOMPARE(page.historyModel()->rowCount(), 0);
}

void TestInterconnectPage::handBuiltStepsAddUp()
{
    moeui::InterconnectPage page(nullptr);
    Testers testers(page);
    TrafficMatrixModel& traffic = *page.trafficModel();
    LinkUtilisationModel& links = *page.linkModel();
    links.setLink(QStringLiteral("test link"), 100.0);

    const auto a = makeStep(10, 3,
                            {{0, TrafficKind::AllReduce, 0, 1, 1000},
                             {0, TrafficKind::AllReduce, 1, 0, 1000},
                             {1, TrafficKind::Dispatch, 0, 2, 300},
                             {-1, TrafficKind::Combine, 2, 0, 200},
                             {1, TrafficKind::AllReduce, 0, 1, 24}},
                            5e-3, 2e-6, true);
    const auto b = makeStep(11, 3, {{0, TrafficKind::AllReduce, 0, 1, 4000}, {1, TrafficKind::AllGather, 1, 2, 50}},
                            1e-3, 3e-6, true);
    page.addTelemetry({a});
    page.addTelemetry({b});

    QVERIFY(!page.isEmptyStateShown());
    QCOMPARE(traffic.rowCount(), 3);
    QCOMPARE(traffic.columnCount(), 3);
    // Whole session: every byte of both steps per (src, dst), over the estimated seconds.
    const uint64_t expected[3][3] = {{0, 1000 + 24 + 4000, 300}, {1000, 0, 50}, {200, 0, 0}};
    const double seconds = 2e-6 + 3e-6;
    for (int s = 0; s < 3; ++s)
        for (int d = 0; d < 3; ++d) {
            QCOMPARE(bytesOf(traffic, s, d), expected[s][d]);
            QVERIFY(near(traffic.index(s, d).data(TrafficMatrixModel::GbPerSecondRole).toDouble(),
                         double(expected[s][d]) / seconds / 1e9));
            QVERIFY(traffic.index(s, d).data(TrafficMatrixModel::EstimatedRole).toBool());
        }
    QCOMPARE(links.rowCount(), 6);
    for (int s = 0; s < 3; ++s)
        for (int d = 0; d < 3; ++d) {
            if (s == d)
                continue;
            const int row = links.rowOf(s, d);
            QCOMPARE(links.index(row, 0).data(LinkUtilisationModel::SourceRole).toInt(), s);
            QCOMPARE(links.index(row, 0).data(LinkUtilisationModel::DestinationRole).toInt(), d);
            QCOMPARE(links.index(row, LinkUtilisationModel::BytesColumn).data(LinkUtilisationModel::ValueRole).toULongLong(),
                     expected[s][d]);
            const double rate = double(expected[s][d]) / seconds / 1e9;
            QVERIFY(near(valueOf(links, s, d, LinkUtilisationModel::TimeColumn), seconds));
            QVERIFY(near(valueOf(links, s, d, LinkUtilisationModel::RateColumn), rate));
            QVERIFY(near(valueOf(links, s, d, LinkUtilisationModel::UtilisationColumn), rate / 100.0));
            // Every time-derived figure says it is an estimate.
            for (int c : {int(LinkUtilisationModel::TimeColumn), int(LinkUtilisationModel::RateColumn),
                          int(LinkUtilisationModel::UtilisationColumn), int(LinkUtilisationModel::BasisColumn)})
                QVERIFY2(links.index(row, c).data().toString().contains(QStringLiteral("estimated")),
                         qPrintable(links.index(row, c).data().toString()));
        }
    QVERIFY(page.isEstimatedBannerShown());
    QVERIFY(page.bannerText().contains(QStringLiteral("virtual CPU devices")));
    QVERIFY(page.bannerText().contains(QStringLiteral("estimated")));
    QVERIFY(page.heatmapView()->scaleLabel().contains(QStringLiteral("bytes")));
    page.heatmapView()->setUnit(moeui::TrafficHeatmapView::Unit::GbPerSecond);
    QVERIFY(page.heatmapView()->scaleLabel().contains(QStringLiteral("estimated")));
    QVERIFY(near(page.heatmapView()->colorMap()->data()->cell(1, 0), double(expected[0][1]) / seconds / 1e9));

    // Last step only.
    traffic.setWindow(TrafficMatrixModel::Window::LastStep);
    QCOMPARE(bytesOf(traffic, 0, 1), uint64_t(4000));
    QCOMPARE(bytesOf(traffic, 0, 2), uint64_t(0));
    QCOMPARE(bytesOf(traffic, 1, 2), uint64_t(50));
    QVERIFY(near(valueOf(links, 0, 1, LinkUtilisationModel::RateColumn), 4000 / 3e-6 / 1e9));

    // Per step and kind.
    const TrafficHistoryModel& history = *page.historyModel();
    QCOMPARE(history.rowCount(), 2);
    auto kindAt = [&history](int row, TrafficKind k) {
        return history.index(row, TrafficHistoryModel::FirstKindColumn + int(k))
            .data(TrafficHistoryModel::ValueRole)
            .toULongLong();
    };
    QCOMPARE(history.index(0, TrafficHistoryModel::StepColumn).data(TrafficHistoryModel::ValueRole).toULongLong(), 10ull);
    QCOMPARE(kindAt(0, TrafficKind::AllReduce), uint64_t(2024));
    QCOMPARE(kindAt(0, TrafficKind::Dispatch), uint64_t(300));
    QCOMPARE(kindAt(0, TrafficKind::Combine), uint64_t(200));
    QCOMPARE(kindAt(0, TrafficKind::AllGather), uint64_t(0));
    QCOMPARE(kindAt(1, TrafficKind::AllReduce), uint64_t(4000));
    QCOMPARE(kindAt(1, TrafficKind::AllGather), uint64_t(50));
    QCOMPARE(history.index(1, TrafficHistoryModel::TotalColumn).data(TrafficHistoryModel::ValueRole).toULongLong(), 4050ull);
    QVERIFY(history.hasKind(TrafficKind::AllGather));
    QVERIFY(!history.hasKind(TrafficKind::Broadcast));

    page.clear();
    traffic.setWindow(TrafficMatrixModel::Window::Session);
    QCOMPARE(bytesOf(traffic, 0, 1), uint64_t(0));
    QCOMPARE(history.rowCount(), 0);
}

void TestInterconnectPage::measuredTimeOnRealDevices()
{
    moeui::InterconnectPage page(nullptr);
    Testers testers(page);
    page.linkModel()->setLink(QStringLiteral("NVLink"), 450.0);
    page.addTelemetry({makeStep(1, 2, {{0, TrafficKind::Dispatch, 0, 1, 9000}}, 2e-5, 1e-5, false)});
    const LinkUtilisationModel& links = *page.linkModel();
    // Real devices: the measured time, no "estimated" anywhere, no banner.
    QVERIFY(near(valueOf(links, 0, 1, LinkUtilisationModel::TimeColumn), 2e-5));
    QVERIFY(near(valueOf(links, 0, 1, LinkUtilisationModel::RateColumn), 9000 / 2e-5 / 1e9));
    QVERIFY(near(valueOf(links, 0, 1, LinkUtilisationModel::UtilisationColumn), 9000 / 2e-5 / 1e9 / 450.0));
    QVERIFY(!page.isEstimatedBannerShown());
    QCOMPARE(links.index(0, LinkUtilisationModel::BasisColumn).data().toString(), QStringLiteral("measured"));
    QVERIFY(!links.index(0, LinkUtilisationModel::RateColumn).data().toString().contains(QStringLiteral("estimated")));
}

void TestInterconnectPage::historyKeepsTheLastSteps()
{
    moeui::InterconnectPage page(nullptr);
    Testers testers(page);
    const int total = TrafficHistoryModel::kMaxSteps + 23;
    moeui::TelemetryBatch batch;
    uint64_t sessionBytes = 0;
    for (int i = 0; i < total; ++i) {
        const uint64_t n = 100 + uint64_t(i);
        batch.push_back(makeStep(uint64_t(i), 2, {{0, TrafficKind::Combine, 1, 0, n}}, 1e-3, 1e-6, true));
        sessionBytes += n;
        if (batch.size() == 37 || i + 1 == total) {
            page.addTelemetry(batch);
            batch.clear();
        }
    }
    const TrafficHistoryModel& history = *page.historyModel();
    QCOMPARE(history.rowCount(), TrafficHistoryModel::kMaxSteps);
    const int first = total - TrafficHistoryModel::kMaxSteps;
    for (int r = 0; r < history.rowCount(); ++r) {
        QCOMPARE(history.row(r).step, uint64_t(first + r));
        QCOMPARE(history.row(r).kindBytes[size_t(TrafficKind::Combine)], uint64_t(100 + first + r));
    }
    // The matrix keeps the whole session.
    QCOMPARE(bytesOf(*page.trafficModel(), 1, 0), sessionBytes);
    QCOMPARE(page.trafficModel()->session().steps, int64_t(total));
}

void TestInterconnectPage::realTensorParallelTraffic()
{
    moe::test::TempDir dir;
    const moe::MadeModel made = moe::test::makeTinyModel("mixtral", dir.path(), moe::MakeFormat::Gguf);
    moeui::EngineController engine;
    moeui::InterconnectPage page(&engine);
    Testers testers(page);
    std::vector<moe::StepTelemetryPtr> seen;
    connect(&engine, &moeui::EngineController::telemetryUpdated, this,
            [&seen](const moeui::TelemetryBatch& batch) { seen.insert(seen.end(), batch.begin(), batch.end()); });
    QSignalSpy loaded(&engine, &moeui::EngineController::modelLoaded);
    QSignalSpy failed(&engine, &moeui::EngineController::jobFailed);
    QSignalSpy finished(&engine, &moeui::EngineController::generationFinished);

    // One device first: the page explains how to get traffic.
    moeui::LoadOptions single;
    single.threads = 2;
    engine.loadModel(QString::fromStdString(made.ggufPath), single);
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 || failed.count() > 0, 30000);
    QCOMPARE(failed.count(), 0);
    QVERIFY(page.isEmptyStateShown());
    QVERIFY2(page.emptyStateText().contains(QStringLiteral("one device")), qPrintable(page.emptyStateText()));

    moeui::LoadOptions options;
    options.threads = 2;
    options.parallel.devices = 2;
    options.parallel.tp = 2;
    options.link = moe::LinkModel::pcieGen4();
    engine.loadModel(QString::fromStdString(made.ggufPath), options);
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 2 || failed.count() > 0, 30000);
    QCOMPARE(failed.count(), 0);
    QVERIFY(!page.isEmptyStateShown()); // sharded: the page waits for traffic
    QVERIFY(page.statusText().contains(QStringLiteral("waiting")));
    seen.clear();

    moe::SamplingParams params = moe::SamplingParams::greedy();
    params.maxTokens = 4;
    engine.generate({{"user", "hello"}}, params);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1 || failed.count() > 0, 30000);
    QCOMPARE(failed.count(), 0);
    const auto stats = finished.at(0).at(1).value<moeui::GenerationStats>();
    const int64_t fed = stats.stop == moe::GenerationResult::Stop::Eos ? stats.generatedTokens : stats.generatedTokens - 1;
    const int64_t expectedTokens = stats.promptTokens - stats.reusedTokens + fed;
    auto seenTokens = [&seen] {
        int64_t n = 0;
        for (const auto& s : seen)
            n += s->tokens;
        return n;
    };
    QTRY_COMPARE_WITH_TIMEOUT(seenTokens(), expectedTokens, 10000);

    // Sum the raw matrices here: [((layer * kinds + kind) * devices + src) * devices + dst].
    uint64_t expected[2][2] = {{0, 0}, {0, 0}};
    double estimatedSeconds = 0;
    int stepsWithTraffic = 0;
    for (const auto& s : seen) {
        const moe::TrafficMatrix& m = s->traffic;
        QCOMPARE(m.devices, 2);
        QVERIFY(m.estimated);
        for (int64_t l = 0; l <= m.layers; ++l)
            for (int64_t k = 0; k < moe::kTrafficKinds; ++k)
                for (int src = 0; src < 2; ++src)
                    for (int dst = 0; dst < 2; ++dst)
                        expected[src][dst] += m.bytes[size_t(((l * moe::kTrafficKinds + k) * 2 + src) * 2 + dst)];
        estimatedSeconds += m.estimatedSeconds;
        ++stepsWithTraffic;
    }
    QVERIFY(expected[0][1] > 0 && expected[1][0] > 0); // TP all-reduces go both ways
    const TrafficMatrixModel& traffic = *page.trafficModel();
    QCOMPARE(traffic.rowCount(), 2);
    for (int s = 0; s < 2; ++s)
        for (int d = 0; d < 2; ++d) {
            QCOMPARE(bytesOf(traffic, s, d), expected[s][d]);
            QVERIFY(near(traffic.index(s, d).data(TrafficMatrixModel::GbPerSecondRole).toDouble(),
                         double(expected[s][d]) / estimatedSeconds / 1e9));
        }
    const LinkUtilisationModel& links = *page.linkModel();
    QCOMPARE(links.linkGbPerSecond(), moe::LinkModel::pcieGen4().gbPerSecond);
    const double rate = double(expected[0][1]) / estimatedSeconds / 1e9;
    QVERIFY(near(valueOf(links, 0, 1, LinkUtilisationModel::UtilisationColumn), rate / 31.5));
    QVERIFY(links.index(links.rowOf(0, 1), LinkUtilisationModel::BasisColumn)
                .data()
                .toString()
                .contains(QStringLiteral("estimated")));
    QVERIFY(page.isEstimatedBannerShown());
    QVERIFY(page.bannerText().contains(QStringLiteral("PCIe Gen4")));
    QCOMPARE(page.historyModel()->rowCount(), std::min(stepsWithTraffic, TrafficHistoryModel::kMaxSteps));
    QVERIFY(page.historyModel()->hasKind(TrafficKind::AllReduce));
}

QTEST_MAIN(TestInterconnectPage)
#include "test_interconnect_page.moc"
