// The load dialog: what it shows before loading, errors for corrupt / truncated files
// (the dialog stays usable), cancelling a load (no model, no mapping of the file left).
#include "engine_controller.h"
#include "load_dialog.h"
#include "test_support.h"
#include "tiny_model.h"

#include "moe/devices.h"
#include "moe/engine.h"

#include <QFile>
#include <QComboBox>
#include <QLabel>
#include <QSpinBox>
#include <QTableWidget>
#include <QSignalSpy>
#include <QTest>

#include <filesystem>
#include <fstream>

using namespace moeui;

namespace {

// Lines of /proc/self/maps naming `path` (mappings this process still holds).
int mappingsOf(const QString& path)
{
    QFile f(QStringLiteral("/proc/self/maps"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray canonical = std::filesystem::canonical(path.toStdString()).string().c_str();
    int n = 0;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.endsWith(canonical))
            ++n;
    return n;
}

} // namespace

class TestLoadDialog : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void showsTheModelBeforeLoading();
    void corruptFileShowsAnErrorAndTheDialogStaysUsable();
    void truncatedWeightsFailTheLoadWithTheFileNamed();
    void cancelLeavesNoModelAndNoMapping();
    void invalidPlanIsRefusedBeforeLoading();
    void quantizesAtLoadWhenAsked();
    void offersAllGpusAndSizesEach();

private:
    moe::test::TempDir m_dir;
    QString m_model;
};

void TestLoadDialog::initTestCase()
{
    m_model = QString::fromStdString(moe::test::makeTinyModel("mixtral", m_dir.file("tiny"), moe::MakeFormat::Gguf).ggufPath);
}

void TestLoadDialog::showsTheModelBeforeLoading()
{
    EngineController engine;
    LoadModelDialog dialog(&engine);
    QSignalSpy inspected(&dialog, &LoadModelDialog::inspected);
    dialog.setPath(m_model);
    QVERIFY(inspected.wait(10000));
    QCOMPARE(inspected.at(0).at(1).toBool(), true);
    const moe::ModelInfo info = moe::inspectModel(m_model.toStdString());
    QVERIFY(dialog.summaryText().contains(QString::fromStdString(info.spec.name)));
    QVERIFY(dialog.summaryText().contains(QStringLiteral("Random weights")));
    QVERIFY(dialog.errorText().isEmpty());
    // A model of a few MiB fits in any machine's available memory, and the dialog says so
    // (the available figure comes from /proc/meminfo).
    bool saysFits = false;
    for (const QLabel* l : dialog.findChildren<QLabel*>())
        saysFits = saysFits || l->text().contains(QStringLiteral("Fits:"));
    QVERIFY2(saysFits, "no 'Fits:' line under the memory plan");
    // Runs where it can by default: a GPU when one can run the model, else the CPU.
    QCOMPARE(dialog.options().parallel.kind, moe::DeviceKind::Auto);
    QSignalSpy loaded(&engine, &EngineController::modelLoaded);
    dialog.startLoad();
    QVERIFY(loaded.wait(30000));
    QVERIFY(engine.model());
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    QVERIFY(LoadModelDialog::recentModels().contains(m_model));
}

void TestLoadDialog::corruptFileShowsAnErrorAndTheDialogStaysUsable()
{
    const QString bad = QString::fromStdString(m_dir.file("corrupt.gguf"));
    moe::test::writeFile(bad.toStdString(), std::string("GGUF\x03\0\0\0", 8) + std::string(40, '\xff'));
    EngineController engine;
    LoadModelDialog dialog(&engine);
    QSignalSpy inspected(&dialog, &LoadModelDialog::inspected);
    dialog.setPath(bad);
    QVERIFY(inspected.wait(10000));
    QCOMPARE(inspected.at(0).at(1).toBool(), false);
    QVERIFY2(dialog.errorText().contains(bad), qPrintable(dialog.errorText()));
    // Still usable: a good model right after works.
    dialog.setPath(m_model);
    QVERIFY(inspected.wait(10000));
    QCOMPARE(inspected.at(1).at(1).toBool(), true);
    QVERIFY(dialog.errorText().isEmpty());
}

void TestLoadDialog::truncatedWeightsFailTheLoadWithTheFileNamed()
{
    const QString cut = QString::fromStdString(m_dir.file("truncated.gguf"));
    std::filesystem::copy_file(m_model.toStdString(), cut.toStdString(), std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(cut.toStdString(), std::filesystem::file_size(cut.toStdString()) * 2 / 3);
    EngineController engine;
    LoadModelDialog dialog(&engine);
    QSignalSpy inspected(&dialog, &LoadModelDialog::inspected);
    dialog.setPath(cut);
    QVERIFY(inspected.wait(10000));
    if (inspected.at(0).at(1).toBool()) { // headers fine: the load itself must fail
        QSignalSpy failed(&engine, &EngineController::jobFailed);
        dialog.startLoad();
        QVERIFY(failed.wait(30000));
    }
    QVERIFY2(dialog.errorText().contains(cut), qPrintable(dialog.errorText()));
    QVERIFY(!engine.model());
    QVERIFY(!dialog.isLoading());
}

void TestLoadDialog::cancelLeavesNoModelAndNoMapping()
{
    EngineController engine;
    LoadModelDialog dialog(&engine);
    QSignalSpy inspected(&dialog, &LoadModelDialog::inspected);
    dialog.setPath(m_model);
    QVERIFY(inspected.wait(10000));
    QSignalSpy cancelled(&engine, &EngineController::loadCancelled);
    QSignalSpy loaded(&engine, &EngineController::modelLoaded);
    QSignalSpy finished(&engine, &EngineController::generationFinished);
    // The tiny model loads in about a millisecond, faster than a click. To cancel it in
    // the middle, the engine thread is first kept busy with an endless generation (on a
    // model loaded before); the new load cancels that, queues behind it, and is
    // cancelled before its first tensor. Should the engine thread still win the race,
    // try again: cancelling must work at least once in five tries.
    bool cancelledOnce = false;
    for (int attempt = 0; attempt < 5 && !cancelledOnce; ++attempt) {
        if (!engine.model()) {
            engine.loadModel(m_model, {});
            QVERIFY(loaded.wait(30000));
        }
        moe::SamplingParams endless = moe::SamplingParams::greedy();
        endless.maxTokens = 1 << 30;
        endless.ignoreEos = true;
        engine.generate({{"user", "go on"}}, endless);
        QTest::qWait(20);
        loaded.clear();
        dialog.startLoad();
        QVERIFY(dialog.isLoading());
        dialog.cancelLoad();
        QTRY_VERIFY_WITH_TIMEOUT(!cancelled.isEmpty() || !loaded.isEmpty(), 30000);
        cancelledOnce = !cancelled.isEmpty();
    }
    QVERIFY2(cancelledOnce, "a cancelled load still loaded the model five times out of five");
    QCOMPARE(loaded.count(), 0);
    QVERIFY(!engine.model());
    QVERIFY(!dialog.isLoading());
    QVERIFY(!dialog.isVisible() || dialog.result() != QDialog::Accepted);
    QCOMPARE(mappingsOf(m_model), 0); // the old model went too, the new one was never kept
    // And the dialog loads fine afterwards.
    dialog.startLoad();
    QVERIFY(loaded.wait(30000));
    QVERIFY(engine.model());
    QVERIFY(mappingsOf(m_model) > 0);
    engine.unloadModel();
    QTRY_COMPARE(mappingsOf(m_model), 0);
}

void TestLoadDialog::invalidPlanIsRefusedBeforeLoading()
{
    EngineController engine;
    LoadModelDialog dialog(&engine);
    QSignalSpy inspected(&dialog, &LoadModelDialog::inspected);
    dialog.setPath(m_model);
    QVERIFY(inspected.wait(10000));
    LoadOptions o = dialog.options();
    QCOMPARE(o.parallel.devices, 1);
    // TP 3 over a model with 4 heads cannot be split: the plan error names the numbers.
    auto* tp = dialog.findChildren<QSpinBox*>().at(2);
    auto* devices = dialog.findChildren<QSpinBox*>().at(1);
    devices->setValue(3);
    tp->setValue(3);
    QVERIFY2(!dialog.errorText().isEmpty(), "an impossible TP was accepted");
    tp->setValue(1);
    devices->setValue(1);
    QVERIFY(dialog.errorText().isEmpty());
}

void TestLoadDialog::quantizesAtLoadWhenAsked()
{
    EngineController engine;
    LoadModelDialog dialog(&engine);
    QSignalSpy inspected(&dialog, &LoadModelDialog::inspected);
    dialog.setPath(m_model); // F32 weights
    QVERIFY(inspected.wait(10000));
    QComboBox* quant = nullptr;
    for (QComboBox* c : dialog.findChildren<QComboBox*>())
        if (c->findData(QStringLiteral("q8_0")) >= 0)
            quant = c;
    QVERIFY(quant);
    quant->setCurrentIndex(quant->findData(QStringLiteral("q8_0")));
    QVERIFY(dialog.options().quantize.has_value());
    QSignalSpy loaded(&engine, &EngineController::modelLoaded);
    dialog.startLoad();
    QVERIFY(loaded.wait(30000));
    const LoadedModelPtr m = engine.model();
    QVERIFY(m->info.quantizedAtLoad.has_value());
    QCOMPARE(m->info.quantizedAtLoad->type, moe::DType::Q8_0);
    QVERIFY(m->info.quantizedAtLoad->tensorsQuantized > 0);
    // In memory the weights shrank against the file's F32 bytes.
    QVERIFY(m->info.weightBytes < moe::inspectModel(m_model.toStdString()).weightBytes);
}

// With two GPUs (a stand-in driver that only answers discovery) the dialog offers
// them one by one and, when the CUDA backend with NCCL is there, all together: TP 2
// then gives one row per GPU and a fit check against each GPU's memory.
void TestLoadDialog::offersAllGpusAndSizesEach()
{
    qputenv("MOE_CUDA_DRIVER", MOE_STANDIN_CUDA_DRIVER);
    const moe::DeviceReport report = moe::discoverDevices();
    QCOMPARE(int(report.cuda.size()), 2);
    EngineController engine;
    LoadModelDialog dialog(&engine);
    QSignalSpy inspected(&dialog, &LoadModelDialog::inspected);
    dialog.setPath(m_model);
    QVERIFY(inspected.wait(10000));
    auto* runOn = dialog.findChild<QComboBox*>(QStringLiteral("runOn"));
    QVERIFY(runOn);
    QTRY_VERIFY_WITH_TIMEOUT(runOn->findData(QStringLiteral("cuda:1")) >= 0, 10000); // discovery answered
    const int all = runOn->findData(QStringLiteral("cuda:0,1"));
    if (!report.cudaComputeAvailable || !report.ncclBuilt) {
        QCOMPARE(all, -1); // listed for planning only: nothing to split over
        qunsetenv("MOE_CUDA_DRIVER");
        return;
    }
    QVERIFY2(all >= 0, "no 'all GPUs' choice");
    runOn->setCurrentIndex(all);
    dialog.findChild<QSpinBox*>(QStringLiteral("tp"))->setValue(2);
    const LoadOptions o = dialog.options();
    QCOMPARE(o.parallel.kind, moe::DeviceKind::Cuda);
    QCOMPARE(o.parallel.cudaDevices, (std::vector<int>{0, 1}));
    QCOMPARE(o.parallel.devices, int64_t(2));
    auto* table = dialog.findChild<QTableWidget*>(QStringLiteral("memoryPlan"));
    QCOMPARE(table->rowCount(), 2);
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("cuda:0"));
    QCOMPARE(table->item(1, 0)->text(), QStringLiteral("cuda:1"));
    const QString fit = dialog.findChild<QLabel*>(QStringLiteral("fit"))->text();
    QVERIFY2(fit.contains(QStringLiteral("Fits: the fullest GPU needs")), qPrintable(fit));
    QVERIFY2(dialog.errorText().isEmpty(), qPrintable(dialog.errorText()));
    if (qEnvironmentVariableIsSet("MOE_TEST_SCREENSHOT_DIR"))
        dialog.grab().save(qEnvironmentVariable("MOE_TEST_SCREENSHOT_DIR") + QStringLiteral("/load-dialog-two-gpus.png"));
    qunsetenv("MOE_CUDA_DRIVER");
}

QTEST_MAIN(TestLoadDialog)
#include "test_load_dialog.moc"
