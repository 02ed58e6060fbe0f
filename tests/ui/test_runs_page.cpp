// The Runs page over a store written directly through moe::Store with runs built by
// hand: the list shows what was written, the comparison shows figures computed here by
// hand from the known counts, opening hands over the run as written, delete removes it
// from the file, exports read back equal through moe's import (in-process and the CLI),
// and a real profiling run on a tiny model is saved and listed.
#include "planner/scenario_list_model.h"
#include "runs/expert_count_diff_model.h"
#include "runs/profile_run_list_model.h"
#include "runs/run_comparison_model.h"
#include "runs/runs_page.h"
#include "store_controller.h"
#include "test_support.h"
#include "tiny_model.h"

#include "moe/profile_export.h"
#include "moe/store.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <memory>

using moeui::ExpertCountDiffModel;
using moeui::ProfileRunListModel;
using moeui::RunComparisonModel;

namespace {

// 2 MoE layers (decoder layers 1 and 3) x 4 experts, top-2.
moe::ProfileRun runA()
{
    moe::ProfileRun r;
    r.name = "run A";
    r.createdAt = "2026-01-02T03:04:05Z";
    r.modelPath = "/models/a.gguf";
    r.modelName = "Model A";
    r.architecture = "mixtral";
    r.randomWeights = true;
    r.settingsJson = R"({"max_tokens":2})";
    r.numMoeLayers = 2;
    r.numExperts = 4;
    r.topK = 2;
    r.moeLayers = {1, 3};
    r.prompts = {{"code", "write a loop", "for i in", 3, 1, 0.25, 0.125}};
    moe::ProfileStep prefill;
    prefill.index = 0;
    prefill.promptIndex = 0;
    prefill.prefill = true;
    prefill.tokens = 3;
    prefill.seconds = 0.5;
    prefill.expertCounts = {3, 1, 2, 0, /* layer 1 */ 2, 2, 1, 1};
    prefill.gateWeightSums = {1.5f, 0.25f, 1.0f, 0.0f, 1.0f, 0.75f, 0.5f, 0.5f};
    moe::ProfileStep decode;
    decode.index = 1;
    decode.promptIndex = 0;
    decode.tokens = 1;
    decode.seconds = 0.125;
    decode.expertCounts = {1, 0, 0, 1, /* layer 1 */ 0, 1, 1, 0};
    decode.gateWeightSums = {0.625f, 0.0f, 0.0f, 0.375f, 0.0f, 0.5f, 0.5f, 0.0f};
    r.steps = {prefill, decode};
    moe::TokenRouting t;
    t.position = 0;
    t.token = 17;
    t.expertIds = {0, 2, 1, 3};
    t.weights = {0.75f, 0.25f, 0.5f, 0.5f};
    r.traces = {t};
    return r;
}

moe::ProfileRun runB()
{
    moe::ProfileRun r = runA();
    r.name = "run B";
    r.createdAt = "2026-02-03T04:05:06Z";
    r.modelName = "Model B";
    r.randomWeights = false;
    moe::ProfileStep prefill = r.steps[0];
    prefill.tokens = 4;
    prefill.expertCounts = {2, 2, 2, 2, /* layer 1 */ 8, 0, 0, 0};
    prefill.gateWeightSums = {1, 1, 1, 1, 4, 0, 0, 0};
    r.steps = {prefill};
    r.prompts[0].promptTokens = 4;
    r.prompts[0].generatedTokens = 0;
    return r;
}

// 1 MoE layer x 8 experts: a different shape.
moe::ProfileRun runC()
{
    moe::ProfileRun r = runA();
    r.name = "run C";
    r.numMoeLayers = 1;
    r.numExperts = 8;
    r.moeLayers = {0};
    moe::ProfileStep s = r.steps[0];
    s.expertCounts = {1, 1, 1, 1, 1, 1, 0, 0};
    s.gateWeightSums = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0, 0};
    r.steps = {s};
    r.traces.clear();
    return r;
}

// The figures by hand: loads -> max/mean and H(p)/log(E).
double maxOverMean(const std::vector<double>& loads)
{
    double sum = 0, max = 0;
    for (double l : loads) {
        sum += l;
        max = std::max(max, l);
    }
    return max / (sum / double(loads.size()));
}

double normalizedEntropy(const std::vector<double>& loads)
{
    double sum = 0, h = 0;
    for (double l : loads)
        sum += l;
    for (double l : loads)
        if (l > 0)
            h -= l / sum * std::log(l / sum);
    return h / std::log(double(loads.size()));
}

template <class Pred>
bool waitFor(moeui::StoreController& store, Pred done, int ms = 5000)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < ms) {
        store.waitForIdle();
        QCoreApplication::processEvents();
        if (!done())
            QTest::qWait(5);
    }
    return done();
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

struct Testers {
    explicit Testers(moeui::RunsPage& page)
    {
        const auto mode = QAbstractItemModelTester::FailureReportingMode::QtTest;
        all.emplace_back(std::make_unique<QAbstractItemModelTester>(page.runListModel(), mode));
        all.emplace_back(std::make_unique<QAbstractItemModelTester>(page.scenarioListModel(), mode));
        all.emplace_back(std::make_unique<QAbstractItemModelTester>(page.comparisonModel(), mode));
        all.emplace_back(std::make_unique<QAbstractItemModelTester>(page.expertDiffModel(), mode));
    }
    std::vector<std::unique_ptr<QAbstractItemModelTester>> all;
};

} // namespace

class TestRunsPage : public QObject {
    Q_OBJECT
private slots:
    void init();
    void emptyStoreExplainsHowToGetRuns();
    void listShowsWhatWasWritten();
    void comparisonMatchesHandComputedFigures();
    void differentShapesCompareOnlyPerLayer();
    void openRunCarriesTheRunAsWritten();
    void deleteRemovesFromTheFile();
    void exportsReadBackEqual();
    void scenariosAreListedAndOpen();
    void profilingRunOnTinyModelIsSavedAndListed();
    void cancelledRunKeepsWhatRan();

private:
    std::unique_ptr<moe::test::TempDir> m_dir;
    QString m_db;
    moe::ProfileRun m_a, m_b, m_c;
};

void TestRunsPage::init()
{
    m_dir = std::make_unique<moe::test::TempDir>();
    m_db = QString::fromStdString(m_dir->file("store.db"));
    moe::Store store = moe::Store::open(m_db.toStdString());
    m_a = runA();
    m_b = runB();
    m_c = runC();
    store.saveProfileRun(m_a);
    store.saveProfileRun(m_b);
}

void TestRunsPage::emptyStoreExplainsHowToGetRuns()
{
    moeui::StoreController store;
    store.open(QString::fromStdString(m_dir->file("empty.db")));
    moeui::RunsPage page(nullptr, &store);
    Testers testers(page);
    QVERIFY(waitFor(store, [&] { return !store.path().isEmpty(); }));
    store.waitForIdle();
    QCoreApplication::processEvents();
    QCOMPARE(page.runListModel()->rowCount(), 0);
    QVERIFY2(page.emptyStateText().contains(QStringLiteral("moe profile -m")), qPrintable(page.emptyStateText()));
    QVERIFY(page.emptyStateText().contains(QStringLiteral("New profiling run")));
    // No model loaded: the new-run button says why it is disabled.
    moeui::EngineController engine;
    moeui::RunsPage withEngine(&engine, &store);
    QVERIFY(!withEngine.newRunButton()->isEnabled());
    QVERIFY(withEngine.newRunButton()->toolTip().contains(QStringLiteral("Load a model")));
}

void TestRunsPage::listShowsWhatWasWritten()
{
    moeui::StoreController store;
    store.open(m_db);
    moeui::RunsPage page(nullptr, &store);
    Testers testers(page);
    ProfileRunListModel* list = page.runListModel();
    QVERIFY(waitFor(store, [&] { return list->rowCount() == 2; }));
    QVERIFY(page.emptyStateText().isEmpty());
    for (const moe::ProfileRun* r : {&m_a, &m_b}) {
        const int row = list->rowOfId(r->id);
        QVERIFY(row >= 0);
        auto v = [&](int col) { return list->data(list->index(row, col), ProfileRunListModel::ValueRole); };
        QCOMPARE(v(ProfileRunListModel::Name).toString(), QString::fromStdString(r->name));
        QCOMPARE(v(ProfileRunListModel::Model).toString(), QString::fromStdString(r->modelName));
        QCOMPARE(v(ProfileRunListModel::Architecture).toString(), QString::fromStdString(r->architecture));
        QCOMPARE(v(ProfileRunListModel::Created).toString(), QString::fromStdString(r->createdAt));
        QCOMPARE(v(ProfileRunListModel::Prompts).toLongLong(), qint64(r->prompts.size()));
        int64_t tokens = 0;
        for (const auto& s : r->steps)
            tokens += s.tokens;
        QCOMPARE(v(ProfileRunListModel::Tokens).toLongLong(), tokens);
        QCOMPARE(v(ProfileRunListModel::RandomWeights).toBool(), r->randomWeights);
        QCOMPARE(v(ProfileRunListModel::Shape).toList(), (QVariantList{qint64(2), qint64(4), qint64(2)}));
        QVERIFY(v(ProfileRunListModel::Size).toLongLong() > 0);
        QCOMPARE(list->data(list->index(row, ProfileRunListModel::Name), ProfileRunListModel::IdRole).toLongLong(), r->id);
    }
    QCOMPARE(list->data(list->index(list->rowOfId(m_a.id), ProfileRunListModel::RandomWeights)).toString(),
             QStringLiteral("random"));
    QCOMPARE(list->data(list->index(list->rowOfId(m_a.id), ProfileRunListModel::Tokens)).toString(), QStringLiteral("4"));

    // A run added behind the page's back shows up on refresh.
    {
        moe::Store direct = moe::Store::open(m_db.toStdString());
        direct.saveProfileRun(m_c);
    }
    page.refresh();
    QVERIFY(waitFor(store, [&] { return list->rowCount() == 3; }));
}

void TestRunsPage::comparisonMatchesHandComputedFigures()
{
    moeui::StoreController store;
    store.open(m_db);
    moeui::RunsPage page(nullptr, &store);
    Testers testers(page);
    QVERIFY(waitFor(store, [&] { return page.runListModel()->rowCount() == 2; }));
    // Through the selection and the Compare button, as a user would.
    page.selectRuns({m_a.id, m_b.id});
    QCOMPARE(page.selectedRunIds().size(), 2);
    QSignalSpy ready(&page, &moeui::RunsPage::comparisonReady);
    auto* compare = [&]() -> QPushButton* {
        for (QPushButton* b : page.findChildren<QPushButton*>())
            if (b->text() == QStringLiteral("Compare"))
                return b;
        return nullptr;
    }();
    QVERIFY(compare && compare->isEnabled());
    compare->click();
    QVERIFY(waitFor(store, [&] { return ready.count() == 1; }));

    // A's totals: layer 0 = [4, 1, 2, 1], layer 1 = [2, 3, 2, 1]; B's: [2, 2, 2, 2], [8, 0, 0, 0].
    const std::vector<std::vector<double>> a = {{4, 1, 2, 1}, {2, 3, 2, 1}};
    const std::vector<std::vector<double>> b = {{2, 2, 2, 2}, {8, 0, 0, 0}};
    RunComparisonModel* cmp = page.comparisonModel();
    // The Compare button makes the older run A.
    QCOMPARE(cmp->comparison()->a->id, m_a.id);
    const auto& first = a;
    const auto& second = b;
    QCOMPARE(cmp->rowCount(), 2);
    for (int l = 0; l < 2; ++l) {
        QCOMPARE(cmp->value(l, RunComparisonModel::Layer), double(l == 0 ? 1 : 3));
        QVERIFY(std::abs(cmp->value(l, RunComparisonModel::MaxOverMeanA) - maxOverMean(first[size_t(l)])) < 1e-12);
        QVERIFY(std::abs(cmp->value(l, RunComparisonModel::MaxOverMeanB) - maxOverMean(second[size_t(l)])) < 1e-12);
        QVERIFY(std::abs(cmp->value(l, RunComparisonModel::MaxOverMeanDelta) -
                         (maxOverMean(second[size_t(l)]) - maxOverMean(first[size_t(l)]))) < 1e-12);
        QVERIFY(std::abs(cmp->value(l, RunComparisonModel::EntropyA) - normalizedEntropy(first[size_t(l)])) < 1e-12);
        QVERIFY(std::abs(cmp->value(l, RunComparisonModel::EntropyB) - normalizedEntropy(second[size_t(l)])) < 1e-12);
    }
    // Spelled out once: A's layer 0 is 4 / 2 = 2.0 and H = 1.75 bits / 2 bits = 0.875.
    QVERIFY(std::abs(cmp->value(0, RunComparisonModel::MaxOverMeanA) - 2.0) < 1e-12);
    QVERIFY(std::abs(cmp->value(0, RunComparisonModel::EntropyA) - 0.875) < 1e-12);
    QCOMPARE(cmp->value(1, RunComparisonModel::HottestA), 1.0);
    QCOMPARE(cmp->value(1, RunComparisonModel::HottestB), 0.0);

    ExpertCountDiffModel* diff = page.expertDiffModel();
    QCOMPARE(diff->rowCount(), 2);
    QCOMPARE(diff->columnCount(), 4);
    for (int l = 0; l < 2; ++l)
        for (int e = 0; e < 4; ++e) {
            QCOMPARE(diff->value(l, e), second[size_t(l)][size_t(e)] - first[size_t(l)][size_t(e)]);
            QCOMPARE(diff->data(diff->index(l, e), ExpertCountDiffModel::ValueRole).toDouble(), diff->value(l, e));
        }
    diff->setMode(ExpertCountDiffModel::Mode::SharePoints);
    for (int l = 0; l < 2; ++l)
        for (int e = 0; e < 4; ++e)
            QVERIFY(std::abs(diff->value(l, e) - 100.0 * (second[size_t(l)][size_t(e)] / 8.0 -
                                                           first[size_t(l)][size_t(e)] / 8.0)) < 1e-12);
}

void TestRunsPage::differentShapesCompareOnlyPerLayer()
{
    {
        moe::Store direct = moe::Store::open(m_db.toStdString());
        direct.saveProfileRun(m_c);
    }
    moeui::StoreController store;
    store.open(m_db);
    moeui::RunsPage page(nullptr, &store);
    Testers testers(page);
    QSignalSpy ready(&page, &moeui::RunsPage::comparisonReady);
    page.compareRuns(m_a.id, m_c.id);
    QVERIFY(waitFor(store, [&] { return ready.count() == 1; }));
    QCOMPARE(page.comparisonModel()->rowCount(), 2);
    QCOMPARE(page.expertDiffModel()->rowCount(), 0);
    QVERIFY(std::abs(page.comparisonModel()->value(0, RunComparisonModel::EntropyB) -
                     normalizedEntropy({1, 1, 1, 1, 1, 1, 0, 0})) < 1e-12);
    QVERIFY(std::isnan(page.comparisonModel()->value(1, RunComparisonModel::MaxOverMeanB)));
    QVERIFY(std::isnan(page.comparisonModel()->value(1, RunComparisonModel::MaxOverMeanDelta)));

    // A run that is gone: an error, no crash.
    page.compareRuns(m_a.id, 999999);
    QVERIFY(waitFor(store, [&] { return !page.errorText().isEmpty(); }));
    QVERIFY(page.errorText().contains(QStringLiteral("999999")));
}

void TestRunsPage::openRunCarriesTheRunAsWritten()
{
    moeui::StoreController store;
    store.open(m_db);
    moeui::RunsPage page(nullptr, &store);
    QSignalSpy open(&page, &moeui::RunsPage::openRunRequested);
    page.openRun(m_b.id);
    QVERIFY(waitFor(store, [&] { return open.count() == 1; }));
    const auto run = open.at(0).at(0).value<moeui::ProfileRunPtr>();
    QVERIFY(run);
    QVERIFY(*run == m_b);
    page.openRun(m_a.id);
    QVERIFY(waitFor(store, [&] { return open.count() == 2; }));
    QVERIFY(*open.at(1).at(0).value<moeui::ProfileRunPtr>() == m_a);
}

void TestRunsPage::deleteRemovesFromTheFile()
{
    moeui::StoreController store;
    store.open(m_db);
    moeui::RunsPage page(nullptr, &store);
    Testers testers(page);
    QVERIFY(waitFor(store, [&] { return page.runListModel()->rowCount() == 2; }));
    // Compared runs go from the comparison when one is deleted.
    page.compareRuns(m_a.id, m_b.id);
    QVERIFY(waitFor(store, [&] { return page.comparisonModel()->rowCount() == 2; }));
    page.selectRuns({m_a.id});
    page.deleteSelected(false);
    QVERIFY(waitFor(store, [&] { return page.runListModel()->rowCount() == 1; }));
    QCOMPARE(page.runListModel()->runs()[0].id, m_b.id);
    QCOMPARE(page.comparisonModel()->rowCount(), 0);
    QCOMPARE(page.expertDiffModel()->rowCount(), 0);
    store.waitForIdle();
    moe::Store direct = moe::Store::open(m_db.toStdString(), moe::StoreMode::ReadOnly);
    QVERIFY(!direct.loadProfileRun(m_a.id).has_value());
    QVERIFY(direct.loadProfileRun(m_b.id).has_value());
    QCOMPARE(direct.listProfileRuns().size(), size_t(1));
}

void TestRunsPage::exportsReadBackEqual()
{
    moeui::StoreController store;
    store.open(m_db);
    moeui::RunsPage page(nullptr, &store);
    Testers testers(page);
    QSignalSpy exported(&page, &moeui::RunsPage::exportFinished);
    const QString json = QString::fromStdString(m_dir->file("a.json"));
    const QString csv = QString::fromStdString(m_dir->file("a.csv"));
    page.exportRunJson(m_a.id, json);
    page.exportRunCsv(m_a.id, csv);
    QVERIFY(waitFor(store, [&] { return exported.count() == 2; }));
    QCOMPARE(exported.at(0).at(1).toString(), QString());
    QCOMPARE(exported.at(1).at(1).toString(), QString());

    // In-process import.
    const moe::ProfileRun back = moe::importProfileRunJson(readAll(json).toStdString(), json.toStdString());
    QVERIFY(back == m_a);
    // The CLI's import reads it into another store, equal but for the new row id.
    const QString other = QString::fromStdString(m_dir->file("other.db"));
    QProcess p;
    p.start(QStringLiteral(MOE_CLI), {"profile", "import", json, "--out", other});
    QVERIFY(p.waitForFinished(30000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    {
        moe::Store otherStore = moe::Store::open(other.toStdString(), moe::StoreMode::ReadOnly);
        const auto runs = otherStore.listProfileRuns();
        QCOMPARE(runs.size(), size_t(1));
        moe::ProfileRun imported = *otherStore.loadProfileRun(runs[0].id);
        imported.id = m_a.id;
        QVERIFY(imported == m_a);
    }
    // The CSV equals what `moe profile export --csv` writes for the same run.
    p.start(QStringLiteral(MOE_CLI), {"profile", "export", m_db, "--csv", "--id", QString::number(m_a.id)});
    QVERIFY(p.waitForFinished(30000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const QByteArray cliCsv = p.readAllStandardOutput();
    QCOMPARE(readAll(csv), cliCsv);
    QVERIFY(cliCsv.startsWith("step,prompt,prefill,moe_layer,decoder_layer,expert,count,gate_weight_sum\n"));
    QCOMPARE(cliCsv.count('\n'), 1 + 2 * 2 * 4); // header + steps x layers x experts

    // The page's own import adds it back as a new run.
    QSignalSpy saved(&page, &moeui::RunsPage::runSaved);
    page.importRunJson(json);
    QVERIFY(waitFor(store, [&] { return saved.count() == 1 && page.runListModel()->rowCount() == 3; }));
    const qint64 newId = saved.at(0).at(0).toLongLong();
    QVERIFY(newId != m_a.id);
    QCOMPARE(page.selectedRunIds(), QList<qint64>{newId});
    store.waitForIdle();
    moe::Store direct = moe::Store::open(m_db.toStdString(), moe::StoreMode::ReadOnly);
    moe::ProfileRun reimported = *direct.loadProfileRun(newId);
    reimported.id = m_a.id;
    QVERIFY(reimported == m_a);

    // Errors are reported, not thrown: a missing run, an unwritable path, a bad file.
    page.exportRunJson(424242, QString::fromStdString(m_dir->file("none.json")));
    page.exportRunCsv(m_a.id, QString::fromStdString(m_dir->file("no/such/dir/a.csv")));
    QVERIFY(waitFor(store, [&] { return exported.count() == 4; }));
    QVERIFY(!exported.at(2).at(1).toString().isEmpty());
    QVERIFY(!exported.at(3).at(1).toString().isEmpty());
    page.importRunJson(csv);
    QVERIFY(waitFor(store, [&] { return page.errorText().contains(QStringLiteral("import")); }));
    QVERIFY(page.errorText().contains(csv));
}

void TestRunsPage::scenariosAreListedAndOpen()
{
    moe::PlannerScenario s;
    s.name = "four H100";
    s.inputsJson = R"({"model":"mixtral-8x22b","count":4})";
    s.resultsJson = R"({"model":{"name":"Mixtral 8x22B","format":"int4-awq"},"hardware":{"gpu":"h100-sxm","gpu_name":"H100","count":4},"result":{"fits":true,"margin_bytes":5e9,"layout":"TP4 EP1 PP1","cost":{"usd_per_million_tokens":1.5}}})";
    {
        moe::Store direct = moe::Store::open(m_db.toStdString());
        direct.saveScenario(s);
    }
    moeui::StoreController store;
    store.open(m_db);
    moeui::RunsPage page(nullptr, &store);
    Testers testers(page);
    moeui::ScenarioListModel* list = page.scenarioListModel();
    QVERIFY(waitFor(store, [&] { return list->rowCount() == 1; }));
    QCOMPARE(list->data(list->index(0, moeui::ScenarioListModel::Name)).toString(), QStringLiteral("four H100"));
    QCOMPARE(list->data(list->index(0, moeui::ScenarioListModel::Model)).toString(), QStringLiteral("Mixtral 8x22B · int4-awq"));
    QCOMPARE(list->data(list->index(0, moeui::ScenarioListModel::Hardware)).toString(), QStringLiteral("4× H100, TP4 EP1 PP1"));
    QVERIFY(list->data(list->index(0, moeui::ScenarioListModel::Fits)).toString().startsWith(QStringLiteral("fits")));
    QCOMPARE(list->data(list->index(0, moeui::ScenarioListModel::UsdPerMillionTokens)).toString(), QStringLiteral("$1.50"));
    QSignalSpy open(&page, &moeui::RunsPage::openScenarioRequested);
    page.openScenario(s.id);
    QCOMPARE(open.count(), 1);
    QCOMPARE(open.at(0).at(0).toLongLong(), s.id);
    page.openScenario(s.id + 100); // not listed
    QCOMPARE(open.count(), 1);
    page.deleteScenario(s.id);
    QVERIFY(waitFor(store, [&] { return list->rowCount() == 0; }));
}

void TestRunsPage::profilingRunOnTinyModelIsSavedAndListed()
{
    const moe::MadeModel made = moe::test::makeTinyModel("mixtral", m_dir->file("tiny"), moe::MakeFormat::Gguf);
    moeui::EngineController engine;
    moeui::StoreController store;
    store.open(m_db);
    moeui::RunsPage page(&engine, &store);
    Testers testers(page);
    QVERIFY(waitFor(store, [&] { return page.runListModel()->rowCount() == 2; }));
    QVERIFY(!page.newRunButton()->isEnabled());

    QSignalSpy loaded(&engine, &moeui::EngineController::modelLoaded);
    QSignalSpy failed(&engine, &moeui::EngineController::jobFailed);
    moeui::LoadOptions options;
    options.threads = 2;
    engine.loadModel(QString::fromStdString(made.ggufPath), options);
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 || failed.count() > 0, 30000);
    QCOMPARE(failed.count(), 0);
    QVERIFY(page.newRunButton()->isEnabled());

    QSignalSpy progress(&engine, &moeui::EngineController::profileProgress);
    QSignalSpy saved(&page, &moeui::RunsPage::runSaved);
    QSignalSpy live(&engine, &moeui::EngineController::telemetryUpdated);
    page.setMaxTokensPerPrompt(4);
    page.newRunButton()->click();
    QVERIFY(page.isProfiling());
    QVERIFY(!page.newRunButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(saved.count() == 1 || failed.count() > 0, 60000);
    QCOMPARE(failed.count(), 0);
    QVERIFY(!page.isProfiling());
    QVERIFY(progress.count() > 0);
    // The run's steps stay out of the live views (Experts totals, model bar): none
    // reaches them, even after the drain timer has had time to run...
    QTest::qWait(200);
    QCOMPARE(live.count(), 0);
    // ...and a chat turn afterwards still does.
    moe::SamplingParams greedy;
    greedy.temperature = 0;
    greedy.maxTokens = 3;
    engine.generate({moe::ChatMessage{"user", "hello"}}, greedy);
    QTRY_VERIFY_WITH_TIMEOUT(live.count() > 0, 30000);
    const qint64 id = saved.at(0).at(0).toLongLong();
    QVERIFY(waitFor(store, [&] { return page.runListModel()->rowOfId(id) >= 0; }));
    QCOMPARE(page.selectedRunIds(), QList<qint64>{id});

    store.waitForIdle();
    moe::Store direct = moe::Store::open(m_db.toStdString(), moe::StoreMode::ReadOnly);
    const moe::ProfileRun run = *direct.loadProfileRun(id);
    // Prompts longer than the tiny model's context are skipped and recorded as such.
    const auto settings = nlohmann::json::parse(run.settingsJson);
    const size_t skipped = settings.contains("skipped_prompts") ? settings.at("skipped_prompts").size() : 0;
    QCOMPARE(run.prompts.size() + skipped, moe::builtinProfilePrompts().size());
    QVERIFY(!run.prompts.empty());
    if (skipped > 0)
        QVERIFY2(page.statusText().contains(QStringLiteral("skipped")), qPrintable(page.statusText()));
    QVERIFY(run.randomWeights);
    QCOMPARE(run.numMoeLayers, made.spec.numLayers);
    QCOMPARE(run.numExperts, made.spec.numExperts);
    for (const auto& p : run.prompts)
        QVERIFY(p.generatedTokens <= 4);
    const ProfileRunListModel* list = page.runListModel();
    const int row = list->rowOfId(id);
    QCOMPARE(list->data(list->index(row, ProfileRunListModel::Tokens), ProfileRunListModel::ValueRole).toLongLong(),
             run.totalTokens());
    QVERIFY(run.totalTokens() > 0);
    // Every token chose top-k experts in every MoE layer.
    const auto totals = run.totalCounts();
    int64_t sum = 0;
    for (int64_t c : totals)
        sum += c;
    QCOMPARE(sum, run.totalTokens() * run.topK * run.numMoeLayers);
}


void TestRunsPage::cancelledRunKeepsWhatRan()
{
    const moe::MadeModel made = moe::test::makeTinyModel("qwen3moe", m_dir->file("tiny"), moe::MakeFormat::Gguf);
    moeui::EngineController engine;
    moeui::StoreController store;
    store.open(m_db);
    moeui::RunsPage page(&engine, &store);
    QSignalSpy loaded(&engine, &moeui::EngineController::modelLoaded);
    QSignalSpy failed(&engine, &moeui::EngineController::jobFailed);
    engine.loadModel(QString::fromStdString(made.ggufPath), moeui::LoadOptions{});
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 || failed.count() > 0, 30000);
    QCOMPARE(failed.count(), 0);

    // Cancel after the first prompt finished: the run so far is saved, and is shorter.
    QSignalSpy saved(&page, &moeui::RunsPage::runSaved);
    page.setMaxTokensPerPrompt(64);
    connect(&engine, &moeui::EngineController::profileProgress, &page, [&page](quint64, int done) {
        if (done == 1)
            page.cancelProfiling();
    });
    page.startProfiling();
    QTRY_VERIFY_WITH_TIMEOUT(!page.isProfiling(), 60000);
    QCOMPARE(failed.count(), 0);
    QVERIFY(waitFor(store, [&] { return saved.count() == 1; }));
    QVERIFY2(page.statusText().startsWith(QStringLiteral("Cancelled")), qPrintable(page.statusText()));
    store.waitForIdle();
    moe::Store direct = moe::Store::open(m_db.toStdString(), moe::StoreMode::ReadOnly);
    const moe::ProfileRun run = *direct.loadProfileRun(saved.at(0).at(0).toLongLong());
    QVERIFY(!run.steps.empty());
    const auto settings = nlohmann::json::parse(run.settingsJson);
    const size_t skipped = settings.contains("skipped_prompts") ? settings.at("skipped_prompts").size() : 0;
    QVERIFY2(run.prompts.size() + skipped < moe::builtinProfilePrompts().size(),
             qPrintable(QStringLiteral("%1 prompts ran, %2 skipped").arg(run.prompts.size()).arg(skipped)));
    QVERIFY(page.newRunButton()->isEnabled());
}

QTEST_MAIN(TestRunsPage)
#include "test_runs_page.moc"
