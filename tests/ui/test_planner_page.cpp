// The Planner page against the `moe plan` CLI: the same scenario typed into the form and
// given on the command line must produce the same figures (the page and the CLI share
// moe::planInputFromScenario / planDeployment, but reach them by different routes:
// widgets and the form's scenario object vs argument parsing). Also: inline errors that
// name the field, saved scenarios surviving a store restart, exports, model testers.
#include "planner/layout_options_model.h"
#include "planner/memory_chart.h"
#include "planner/plan_form.h"
#include "planner/plan_result_model.h"
#include "planner/planner_page.h"
#include "planner/scenario_list_model.h"
#include "store_controller.h"
#include "engine_controller.h"
#include "test_support.h"
#include "tiny_model.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QImage>
#include <QLineEdit>
#include <QTabWidget>
#include <QProcess>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <memory>

using nlohmann::json;
using moeui::PlanResultModel;

Q_DECLARE_METATYPE(json)

namespace {

json runCli(const QStringList& args)
{
    QProcess p;
    p.start(QStringLiteral(MOE_CLI), args);
    if (!p.waitForFinished(60000) || p.exitCode() != 0) {
        qWarning() << "moe" << args << "failed:" << p.readAllStandardError();
        return {};
    }
    return json::parse(p.readAllStandardOutput().toStdString());
}

bool close(double a, double b)
{
    if (a == b)
        return true;
    return std::abs(a - b) <= 1e-9 * std::max(std::abs(a), std::abs(b));
}

#define COMPARE_CLOSE(actual, expected)                                                                              \
    do {                                                                                                             \
        const double a_ = (actual), e_ = (expected);                                                                 \
        if (!close(a_, e_))                                                                                          \
            QFAIL(qPrintable(QStringLiteral("%1 = %2, expected %3 (%4)")                                             \
                                 .arg(QStringLiteral(#actual)).arg(a_, 0, 'g', 17).arg(e_, 0, 'g', 17)              \
                                 .arg(QStringLiteral(#expected))));                                                  \
    } while (false)

// nlohmann::json converts to too many types for QCOMPARE.
#define JSON_EQ(actual, expected)                                                                                    \
    do {                                                                                                             \
        const json a_ = (actual), e_ = (expected);                                                                   \
        QVERIFY2(a_ == e_, qPrintable(QString::fromStdString(a_.dump() + "\n  expected\n" + e_.dump())));           \
    } while (false)

// Every figure of column `col` against the CLI's JSON result.
void compareWithCli(const PlanResultModel& m, int col, const json& cli)
{
    const json& r = cli.at("result");
    const json& mem = r.at("memory_per_gpu");
    using F = PlanResultModel;
    COMPARE_CLOSE(m.value(F::AttentionWeightsPerGpu, col), mem.at("attention_weights_bytes").get<double>());
    COMPARE_CLOSE(m.value(F::ExpertWeightsPerGpu, col), mem.at("expert_weights_bytes").get<double>());
    COMPARE_CLOSE(m.value(F::SharedExpertWeightsPerGpu, col), mem.at("shared_expert_and_dense_ffn_bytes").get<double>());
    COMPARE_CLOSE(m.value(F::EmbeddingWeightsPerGpu, col), mem.at("embedding_and_lm_head_bytes").get<double>());
    COMPARE_CLOSE(m.value(F::OtherWeightsPerGpu, col), mem.at("router_and_norm_bytes").get<double>());
    COMPARE_CLOSE(m.value(F::WeightsPerGpu, col), mem.at("weights_bytes").get<double>());
    COMPARE_CLOSE(m.value(F::KvCachePerGpu, col), mem.at("kv_cache_bytes").get<double>());
    COMPARE_CLOSE(m.value(F::ActivationsPerGpu, col), mem.at("activation_bytes").get<double>());
    COMPARE_CLOSE(m.value(F::OverheadPerGpu, col), mem.at("overhead_bytes").get<double>());
    COMPARE_CLOSE(m.value(F::TotalPerGpu, col), mem.at("total_bytes").get<double>());
    COMPARE_CLOSE(m.value(F::UsablePerGpu, col), r.at("usable_bytes_per_gpu").get<double>());
    COMPARE_CLOSE(m.value(F::GpuMemory, col), cli.at("hardware").at("memory_bytes").get<double>());
    QCOMPARE(m.value(F::Fits, col) == 1.0, r.at("fits").get<bool>());
    COMPARE_CLOSE(m.value(F::MarginPerGpu, col), r.at("margin_bytes").get<double>());
    COMPARE_CLOSE(m.value(F::MaxConcurrentSequences, col), r.at("max_concurrent_sequences").get<double>());
    COMPARE_CLOSE(m.value(F::DecodeTokensPerSecondPerSequence, col),
                  r.at("decode").at("tokens_per_second_per_sequence").get<double>());
    COMPARE_CLOSE(m.value(F::DecodeTokensPerSecond, col), r.at("decode").at("tokens_per_second").get<double>());
    COMPARE_CLOSE(m.value(F::PrefillTokensPerSecond, col), r.at("prefill").at("tokens_per_second").get<double>());
    COMPARE_CLOSE(m.value(F::TimeToFirstToken, col), r.at("prefill").at("time_to_first_token_seconds").get<double>());
    COMPARE_CLOSE(m.value(F::UsdPerHour, col), r.at("cost").at("usd_per_hour").get<double>());
    COMPARE_CLOSE(m.value(F::UsdPerMillionTokens, col), r.at("cost").at("usd_per_million_tokens").get<double>());
    COMPARE_CLOSE(m.value(F::UsdPerMonth, col), r.at("cost").at("usd_per_month").get<double>());
    const QModelIndex layout = m.index(F::Layout, col);
    QCOMPARE(m.data(layout, PlanResultModel::ValueRole).toString(), QString::fromStdString(r.at("layout").get<std::string>()));
    QCOMPARE(m.data(m.index(F::Format, col), PlanResultModel::ValueRole).toString(),
             QString::fromStdString(cli.at("model").at("format").get<std::string>()));
}

void compareLayouts(const moeui::LayoutOptionsModel& m, const json& cli)
{
    using L = moeui::LayoutOptionsModel;
    QCOMPARE(m.rowCount(), int(cli.size()));
    for (int row = 0; row < m.rowCount(); ++row) {
        const json& o = cli.at(size_t(row));
        auto v = [&](int col) { return m.data(m.index(row, col), L::ValueRole); };
        QCOMPARE(v(L::Family).toString(), QString::fromStdString(o.at("family").get<std::string>()));
        QCOMPARE(v(L::Gpu).toString(), QString::fromStdString(o.at("gpu").get<std::string>()));
        QCOMPARE(v(L::Layout).toString(), QString::fromStdString(o.at("layout").get<std::string>()));
        QCOMPARE(v(L::Count).toLongLong(), o.at("count").get<qint64>());
        COMPARE_CLOSE(v(L::UsdPerHour).toDouble(), o.at("usd_per_hour").get<double>());
        COMPARE_CLOSE(v(L::UsdPerMillionTokens).toDouble(), o.at("usd_per_million_tokens").get<double>());
        COMPARE_CLOSE(v(L::DecodeTokensPerSecond).toDouble(), o.at("decode_tokens_per_second").get<double>());
        COMPARE_CLOSE(v(L::Margin).toDouble(), o.at("margin_bytes").get<double>());
    }
}

// Runs queued store callbacks until `done` holds.
template <class Pred>
bool waitFor(moeui::StoreController& store, Pred done)
{
    for (int i = 0; i < 200 && !done(); ++i) {
        store.waitForIdle();
        QCoreApplication::processEvents();
        if (!done())
            QTest::qWait(10);
    }
    return done();
}

} // namespace

class TestPlannerPage : public QObject {
    Q_OBJECT
private slots:
    void firstStartIsMixtralOnFourH100();
    void matchesCli_data();
    void matchesCli();
    void widgetsDriveThePlan();
    void cheapestLayoutsMatchCliFit();
    void invalidInputNamesTheField_data();
    void invalidInputNamesTheField();
    void savedScenarioSurvivesRestart();
    void exportsWriteFiles();
    void loadedModelIsPlannedFromItsFile();
};

void TestPlannerPage::firstStartIsMixtralOnFourH100()
{
    moeui::PlannerPage page(nullptr, nullptr);
    const json s = page.scenario();
    QCOMPARE(s.at("model").get<std::string>(), std::string("mixtral-8x22b"));
    QCOMPARE(s.at("quant").get<std::string>(), std::string("int4-awq"));
    QCOMPARE(s.at("gpu").get<std::string>(), std::string("h100-sxm"));
    QCOMPARE(s.at("count").get<int64_t>(), int64_t(4));
    QCOMPARE(s.at("tp").get<int64_t>(), int64_t(4));
    QVERIFY2(page.errorText().isEmpty(), qPrintable(page.errorText()));
    QCOMPARE(page.resultModel()->columnCount(), 1);
    QVERIFY(!std::isnan(page.resultModel()->value(PlanResultModel::WeightsPerGpu, 0)));
}

void TestPlannerPage::matchesCli_data()
{
    QTest::addColumn<json>("scenario");
    QTest::addColumn<QStringList>("args");
    QTest::newRow("mixtral-8x22b int4-awq 4x h100 tp4")
        << json{{"model", "mixtral-8x22b"}, {"quant", "int4-awq"}, {"gpu", "h100-sxm"}, {"count", 4}, {"tp", 4},
                {"context", 32768}, {"batch", 8}}
        << QStringList{"--model", "mixtral-8x22b", "--quant", "int4-awq", "--gpu", "h100-sxm", "--count", "4",
                       "--tp", "4", "--context", "32768", "--batch", "8"};
    QTest::newRow("deepseek-v3 fp8 8x h200 tp8 ep8")
        << json{{"model", "deepseek-v3"}, {"quant", "fp8"}, {"gpu", "h200"}, {"count", 8}, {"tp", 8}, {"ep", 8},
                {"context", 16384}, {"batch", 16}}
        << QStringList{"--model", "deepseek-v3", "--quant", "fp8", "--gpu", "h200", "--count", "8", "--tp", "8",
                       "--ep", "8", "--context", "16384", "--batch", "16"};
    QTest::newRow("deepseek-v3 bf16 on 8x h100 does not fit")
        << json{{"model", "deepseek-v3"}, {"quant", "bf16"}, {"gpu", "h100-sxm"}, {"count", 8}, {"context", 32768},
                {"batch", 8}}
        << QStringList{"--model", "deepseek-v3", "--quant", "bf16", "--gpu", "h100-sxm", "--count", "8",
                       "--context", "32768", "--batch", "8"};
    QTest::newRow("mixtral-8x7b q4_k_m 2x rtx-4090, price, fp8 KV, overheads")
        << json{{"model", "mixtral-8x7b"}, {"quant", "q4_k_m"}, {"gpu", "rtx-4090"}, {"count", 2}, {"tp", 2},
                {"price", 0.69}, {"usable_memory_fraction", 0.85}, {"kv_dtype", "fp8"}, {"interconnect", "pcie-gen4"},
                {"context", 8192}, {"prompt", 2000}, {"batch", 4}, {"score", 70.5}}
        << QStringList{"--model", "mixtral-8x7b", "--quant", "q4_k_m", "--gpu", "rtx-4090", "--count", "2", "--tp", "2",
                       "--price", "0.69", "--usable-memory-fraction", "0.85", "--kv-dtype", "fp8", "--interconnect",
                       "pcie-gen4", "--context", "8192", "--prompt", "2000", "--batch", "4", "--score", "70.5"};
    QTest::newRow("qwen3-235b tp4 pp2 on h100 pcie")
        << json{{"model", "qwen3-235b-a22b"}, {"quant", "fp8"}, {"gpu", "h100-pcie"}, {"tp", 4}, {"pp", 2},
                {"context", 4096}, {"batch", 32}}
        << QStringList{"--model", "qwen3-235b-a22b", "--quant", "fp8", "--gpu", "h100-pcie", "--tp", "4", "--pp", "2",
                       "--context", "4096", "--batch", "32"};
}

void TestPlannerPage::matchesCli()
{
    QFETCH(json, scenario);
    QFETCH(QStringList, args);
    moeui::PlannerPage page(nullptr, nullptr);
    QAbstractItemModelTester resultsTester(page.resultModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester fewestTester(page.fewestGpusModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    page.setScenario(scenario);
    // The debounce timer plans it; no explicit recompute().
    QTRY_VERIFY(page.resultModel()->columns().front().scenario == page.scenario());
    QVERIFY2(page.errorText().isEmpty(), qPrintable(page.errorText()));

    const json cli = runCli(QStringList{"plan"} + args + QStringList{"--json"});
    QVERIFY(cli.is_object());
    compareWithCli(*page.resultModel(), 0, cli);
    compareLayouts(*page.fewestGpusModel(), cli.at("fewest_gpus"));
    const bool fits = cli.at("result").at("fits").get<bool>();
    QVERIFY2(page.statusText().startsWith(fits ? QStringLiteral("Fits") : QStringLiteral("Does not fit")),
             qPrintable(page.statusText()));
    if (!fits)
        QVERIFY(page.statusText().contains(QStringLiteral("short by")));
    // The chart plots the same breakdown, in GB.
    const auto stacks = page.memoryChart()->stackedGb();
    const json& mem = cli.at("result").at("memory_per_gpu");
    QCOMPARE(stacks.size(), size_t(4));
    COMPARE_CLOSE(stacks[0].at(0) * 1e9, mem.at("weights_bytes").get<double>());
    COMPARE_CLOSE(stacks[1].at(0) * 1e9, mem.at("kv_cache_bytes").get<double>());
    COMPARE_CLOSE(stacks[2].at(0) * 1e9, mem.at("activation_bytes").get<double>());
    COMPARE_CLOSE(stacks[3].at(0) * 1e9, mem.at("overhead_bytes").get<double>());
}

void TestPlannerPage::widgetsDriveThePlan()
{
    moeui::PlannerPage page(nullptr, nullptr);
    moeui::PlanForm* form = page.form();
    // As a user would: pick entries and type numbers.
    form->modelCombo()->setCurrentIndex(form->modelCombo()->findData(QStringLiteral("mixtral-8x7b")));
    form->gpuCombo()->setCurrentIndex(form->gpuCombo()->findData(QStringLiteral("l40s")));
    form->countSpin()->setValue(2); // TP follows the count
    QCOMPARE(form->tpSpin()->value(), 2);
    form->contextSpin()->setValue(8192);
    form->batchSpin()->setValue(4);
    QTRY_VERIFY(page.resultModel()->columns().front().scenario == page.scenario());
    QVERIFY2(page.errorText().isEmpty(), qPrintable(page.errorText()));
    // The GPU's catalog price follows the GPU until the user types one.
    QCOMPARE(form->priceSpin()->value(), page.catalog().findGpu("l40s")->usdPerHour);
    const json cli = runCli({"plan", "--model", "mixtral-8x7b", "--quant", "int4-awq", "--gpu", "l40s", "--count", "2",
                             "--context", "8192", "--batch", "4", "--json"});
    QVERIFY(cli.is_object());
    compareWithCli(*page.resultModel(), 0, cli);

    form->priceSpin()->setValue(1.25);
    QTRY_VERIFY(page.resultModel()->columns().front().scenario == page.scenario());
    const json priced = runCli({"plan", "--model", "mixtral-8x7b", "--quant", "int4-awq", "--gpu", "l40s", "--count",
                                "2", "--context", "8192", "--batch", "4", "--price", "1.25", "--json"});
    compareWithCli(*page.resultModel(), 0, priced);
}

void TestPlannerPage::cheapestLayoutsMatchCliFit()
{
    moeui::PlannerPage page(nullptr, nullptr);
    QAbstractItemModelTester tester(page.cheapestLayoutsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    page.setScenario({{"model", "qwen3-30b-a3b"}, {"quant", "fp8"}, {"context", 16384}, {"batch", 8}});
    page.recompute();
    page.findChild<QTabWidget*>()->setCurrentIndex(2); // "Cheapest layouts" computes when shown
    const json cli = runCli({"plan", "--fit", "--model", "qwen3-30b-a3b", "--quant", "fp8", "--context", "16384",
                             "--batch", "8", "--json"});
    QVERIFY(cli.is_object());
    QVERIFY(page.cheapestLayoutsModel()->rowCount() > 0);
    compareLayouts(*page.cheapestLayoutsModel(), cli.at("cheapest_fits"));
}

void TestPlannerPage::invalidInputNamesTheField_data()
{
    QTest::addColumn<json>("scenario");
    QTest::addColumn<QString>("label");
    QTest::addColumn<QString>("field");
    QTest::newRow("tp does not divide the heads")
        << json{{"model", "mixtral-8x22b"}, {"gpu", "h100-sxm"}, {"count", 5}, {"tp", 5}} << "Tensor parallel (TP)"
        << "tp";
    QTest::newRow("ep does not divide the experts")
        << json{{"model", "mixtral-8x22b"}, {"count", 6}, {"tp", 6}, {"ep", 3}} << "Tensor parallel (TP)" << "tp";
    QTest::newRow("ep on 8 experts") << json{{"model", "mixtral-8x7b"}, {"count", 4}, {"tp", 4}, {"ep", 3}}
                                     << "Expert parallel (EP)" << "ep";
    QTest::newRow("count vs layout") << json{{"model", "mixtral-8x7b"}, {"count", 3}, {"tp", 2}} << "GPUs"
                                     << "gpu_count";
    QTest::newRow("unknown GPU") << json{{"model", "mixtral-8x7b"}, {"gpu", "h999"}} << "GPU" << "gpu";
    QTest::newRow("unknown model") << json{{"model", "no-such-model-anywhere"}} << "Model" << "model";
    QTest::newRow("prompt beyond context") << json{{"model", "mixtral-8x7b"}, {"context", 1024}, {"prompt", 5000}}
                                           << "Prompt" << "prompt";
    QTest::newRow("tp as text") << json{{"model", "mixtral-8x7b"}, {"tp", "four"}} << "Tensor parallel (TP)" << "tp";
}

void TestPlannerPage::invalidInputNamesTheField()
{
    QFETCH(json, scenario);
    QFETCH(QString, label);
    QFETCH(QString, field);
    moeui::PlannerPage page(nullptr, nullptr);
    QAbstractItemModelTester tester(page.resultModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    page.setScenario(scenario);
    page.recompute();
    QVERIFY2(page.errorText().contains(label), qPrintable(page.errorText()));
    QVERIFY2(page.errorText().contains(field, Qt::CaseInsensitive), qPrintable(page.errorText()));
    QVERIFY(std::isnan(page.resultModel()->value(PlanResultModel::WeightsPerGpu, 0)));
    QCOMPARE(page.fewestGpusModel()->rowCount(), 0);
    // The CLI refuses the same input.
    QProcess p;
    QStringList args{"plan", "--json"};
    for (auto it = scenario.begin(); it != scenario.end(); ++it) {
        args << QStringLiteral("--") + QString::fromStdString(it.key()).replace(QLatin1Char('_'), QLatin1Char('-'));
        args << (it->is_string() ? QString::fromStdString(it->get<std::string>()) : QString::fromStdString(it->dump()));
    }
    p.start(QStringLiteral(MOE_CLI), args);
    QVERIFY(p.waitForFinished(30000));
    QVERIFY(p.exitCode() != 0);
    // Fixing it clears the error.
    page.setScenario({{"model", "mixtral-8x7b"}});
    page.recompute();
    QVERIFY2(page.errorText().isEmpty(), qPrintable(page.errorText()));
}

void TestPlannerPage::savedScenarioSurvivesRestart()
{
    moe::test::TempDir dir;
    const QString dbPath = QString::fromStdString(dir.file("store.db"));
    const json scenario = {{"model", "deepseek-v3"}, {"quant", "fp8"}, {"gpu", "h200"}, {"count", 8},
                           {"tp", 8},           {"ep", 8},         {"context", 16384}, {"batch", 16}};
    json savedInputs;
    {
        moeui::StoreController store;
        store.open(dbPath);
        moeui::PlannerPage page(nullptr, &store);
        QAbstractItemModelTester tester(page.savedScenarioModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(waitFor(store, [&] { return true; }));
        QCOMPARE(page.savedScenarioModel()->rowCount(), 0);
        page.setScenario(scenario);
        page.saveScenario(QStringLiteral("DeepSeek on 8x H200"));
        QVERIFY(waitFor(store, [&] { return page.savedScenarioModel()->rowCount() == 1; }));
        savedInputs = page.scenario();
        // A second, different scenario, saved under the default name.
        page.setScenario({{"model", "mixtral-8x22b"}, {"quant", "int4-awq"}, {"count", 4}});
        page.scenarioNameEdit()->clear();
        page.saveScenario(QString());
        QVERIFY(waitFor(store, [&] { return page.savedScenarioModel()->rowCount() == 2; }));
    }
    moeui::StoreController store;
    store.open(dbPath);
    moeui::PlannerPage page(nullptr, &store);
    auto* saved = page.savedScenarioModel();
    QAbstractItemModelTester tester(saved, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester resultsTester(page.resultModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(waitFor(store, [&] { return saved->rowCount() == 2; }));
    const int row = saved->scenarios()[0].name == "DeepSeek on 8x H200" ? 0 : 1;
    const moe::PlannerScenario s = saved->scenarios()[size_t(row)];
    QCOMPARE(s.name, std::string("DeepSeek on 8x H200"));
    QVERIFY(saved->scenarios()[size_t(1 - row)].name.find("Mixtral 8x22B") != std::string::npos);
    JSON_EQ(json::parse(s.inputsJson), savedInputs);
    // The stored results are what `moe plan --json` prints for the same options.
    const json cli = runCli({"plan", "--model", "deepseek-v3", "--quant", "fp8", "--gpu", "h200", "--count", "8",
                             "--tp", "8", "--ep", "8", "--context", "16384", "--batch", "16", "--json"});
    QVERIFY(cli.is_object());
    const json stored = json::parse(s.resultsJson);
    JSON_EQ(stored.at("result"), cli.at("result"));
    JSON_EQ(stored.at("hardware"), cli.at("hardware"));
    JSON_EQ(stored.at("model"), cli.at("model"));
    QVERIFY(saved->data(saved->index(row, moeui::ScenarioListModel::Fits)).toString().startsWith(QStringLiteral("fits")));

    // Open it into the form.
    page.setScenario({{"model", "mixtral-8x7b"}});
    page.openScenario(s.id);
    QVERIFY(waitFor(store, [&] { return page.scenario() == savedInputs; }));
    page.recompute();
    compareWithCli(*page.resultModel(), 0, cli);

    // Compare it side by side with a different current form.
    page.setScenario({{"model", "mixtral-8x7b"}, {"gpu", "a100-80gb"}, {"count", 2}});
    page.recompute();
    QVERIFY(saved->setData(saved->index(row, 0), Qt::Checked, Qt::CheckStateRole));
    QCOMPARE(page.resultModel()->columnCount(), 2);
    QCOMPARE(page.resultModel()->headerData(1, Qt::Horizontal).toString(), QStringLiteral("DeepSeek on 8x H200"));
    compareWithCli(*page.resultModel(), 1, cli);
    QCOMPARE(page.memoryChart()->stackedGb()[0].size(), size_t(2));
    // Typing keeps the compared column.
    page.form()->batchSpin()->setValue(3);
    page.recompute();
    QCOMPARE(page.resultModel()->columnCount(), 2);
    compareWithCli(*page.resultModel(), 1, cli);

    // Delete it: gone from the list, the comparison and the file.
    page.deleteScenario(s.id);
    QVERIFY(waitFor(store, [&] { return saved->rowCount() == 1; }));
    QCOMPARE(page.resultModel()->columnCount(), 1);
    moe::Store direct = moe::Store::open(dbPath.toStdString(), moe::StoreMode::ReadOnly);
    QCOMPARE(direct.listScenarios().size(), size_t(1));
    QVERIFY(!direct.scenario(s.id).has_value());
}

void TestPlannerPage::exportsWriteFiles()
{
    moe::test::TempDir dir;
    moeui::PlannerPage page(nullptr, nullptr);
    page.resize(1000, 700);
    const QString csv = QString::fromStdString(dir.file("plan.csv"));
    const QString png = QString::fromStdString(dir.file("plan.png"));
    const QString pdf = QString::fromStdString(dir.file("plan.pdf"));
    QVERIFY(page.exportCsv(csv));
    QVERIFY(page.exportPng(png));
    QVERIFY(page.exportPdf(pdf));

    QFile csvFile(csv);
    QVERIFY(csvFile.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csvFile.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1 + int(PlanResultModel::FigureCount));
    QCOMPARE(lines[0], QStringLiteral("figure,unit,Current"));
    const QStringList weights = lines[1 + PlanResultModel::WeightsPerGpu].split(QLatin1Char(','));
    QCOMPARE(weights.size(), 3);
    QCOMPARE(weights[1], QStringLiteral("bytes"));
    QCOMPARE(weights[2].toDouble(), page.resultModel()->value(PlanResultModel::WeightsPerGpu, 0));

    const QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() > 100 && image.height() > 100);
    // Not blank: the bars' colours are in it.
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 4)
        for (int x = 0; x < image.width(); x += 4)
            colours.insert(image.pixel(x, y));
    QVERIFY2(colours.size() > 4, qPrintable(QString::number(colours.size())));
    QVERIFY(colours.contains(QColor(0x42, 0x85, 0xf4).rgb())); // the weights stack

    QFile pdfFile(pdf);
    QVERIFY(pdfFile.open(QIODevice::ReadOnly));
    const QByteArray head = pdfFile.read(5);
    QCOMPARE(head, QByteArray("%PDF-"));
    QVERIFY(pdfFile.size() > 1000);
}

void TestPlannerPage::loadedModelIsPlannedFromItsFile()
{
    moe::test::TempDir dir;
    const moe::MadeModel made = moe::test::makeTinyModel("mixtral", dir.file("tiny"), moe::MakeFormat::Gguf);
    moeui::EngineController engine;
    moeui::PlannerPage page(&engine, nullptr);
    const QString path = QString::fromStdString(made.ggufPath);
    QComboBox* models = page.form()->modelCombo();
    QCOMPARE(models->findData(path), -1);

    QSignalSpy loaded(&engine, &moeui::EngineController::modelLoaded);
    QSignalSpy failed(&engine, &moeui::EngineController::jobFailed);
    moeui::LoadOptions options;
    options.threads = 1;
    engine.loadModel(path, options);
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 || failed.count() > 0, 30000);
    QCOMPARE(failed.count(), 0);
    const int entry = models->findData(engine.model()->path);
    QVERIFY(entry >= 0);
    QVERIFY(models->itemText(entry).startsWith(QStringLiteral("Loaded model")));

    models->setCurrentIndex(entry);
    page.form()->gpuCombo()->setCurrentIndex(page.form()->gpuCombo()->findData(QStringLiteral("rtx-4090")));
    page.form()->countSpin()->setValue(1);
    page.recompute();
    QVERIFY2(page.errorText().isEmpty(), qPrintable(page.errorText()));
    QCOMPARE(QString::fromStdString(page.scenario().at("model").get<std::string>()), engine.model()->path);
    const json cli = runCli({"plan", "--model", engine.model()->path, "--quant", "int4-awq", "--gpu", "rtx-4090",
                             "--count", "1", "--context", "32768", "--batch", "8", "--json"});
    QVERIFY(cli.is_object());
    compareWithCli(*page.resultModel(), 0, cli);
    QCOMPARE(page.resultModel()->data(page.resultModel()->index(PlanResultModel::ModelName, 0)).toString(),
             QString::fromStdString(cli.at("model").at("name").get<std::string>()));

    // Unloading keeps the entry (planning a file does not need it loaded).
    QSignalSpy unloaded(&engine, &moeui::EngineController::modelUnloaded);
    engine.unloadModel();
    QTRY_VERIFY(unloaded.count() == 1);
    QVERIFY(models->itemText(models->currentIndex()).startsWith(QStringLiteral("File")));
    page.recompute();
    compareWithCli(*page.resultModel(), 0, cli);
}

QTEST_MAIN(TestPlannerPage)
#include "test_planner_page.moc"
