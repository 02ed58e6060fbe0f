// The whole window: every page alive over one engine, the UI event loop answering while
// the engine generates at full speed, and `moe-workbench --screenshots` writing a
// non-blank PNG per page.
#include "main_window.h"

#include "chat/chat_page.h"
#include "engine_controller.h"
#include "model_bar.h"
#include "store_controller.h"
#include "test_support.h"
#include "tiny_model.h"

#include "moe/model_maker.h"

#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using namespace moeui;

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void uiKeepsAnsweringWhileGenerating();
    void screenshotsWriteANonBlankPngPerPage();

private:
    moe::test::TempDir m_dir;
    QString m_model;
};

void TestMainWindow::initTestCase()
{
    qputenv("XDG_CONFIG_HOME", QByteArray::fromStdString(m_dir.file("config")));
    // The small preset (2048-token context): long enough answers to measure the UI under.
    moe::MakeModelOptions mo;
    mo.architecture = "qwen2moe";
    mo.preset = "small";
    mo.seed = 3;
    mo.format = moe::MakeFormat::Gguf;
    mo.outDir = m_dir.file("small");
    m_model = QString::fromStdString(moe::makeModel(mo).ggufPath);
}

void TestMainWindow::uiKeepsAnsweringWhileGenerating()
{
    EngineController engine;
    StoreController store;
    store.open(QString::fromStdString(m_dir.file("stall.db")));
    MainWindow window(&engine, &store);
    window.show();
    QSignalSpy loaded(&engine, &EngineController::modelLoaded);
    LoadOptions options;
    options.parallel.devices = 2; // traffic for the Interconnect page too
    options.parallel.tp = 2;
    engine.loadModel(m_model, options);
    QVERIFY(loaded.wait(30000));
    QVERIFY(window.modelBar()->modelText().contains(QStringLiteral("random weights")));

    moe::SamplingParams params = moe::SamplingParams::greedy();
    params.maxTokens = 1500;
    params.ignoreEos = true;
    window.chatPage()->setSamplingParams(params);

    // A 1 ms timer on the UI thread: the longest gap between its ticks is the longest
    // time the event loop did not answer.
    QElapsedTimer clock;
    qint64 last = 0;
    qint64 longestNs = 0;
    int ticks = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(1);
    connect(&probe, &QTimer::timeout, this, [&] {
        const qint64 now = clock.nsecsElapsed();
        if (ticks++ > 0)
            longestNs = std::max(longestNs, now - last);
        last = now;
    });
    QSignalSpy finished(window.chatPage(), &ChatPage::generationFinished);
    QSignalSpy telemetry(&engine, &EngineController::telemetryUpdated);
    clock.start();
    probe.start();
    window.chatPage()->send(QStringLiteral("Talk for a long while."));
    // Visit every page while the answer streams, so each one draws live data.
    for (int p = 0; p < MainWindow::PageCount && finished.isEmpty(); ++p) {
        window.showPage(MainWindow::Page(p));
        QTest::qWait(150);
    }
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 120000);
    probe.stop();
    const GenerationStats stats = finished.at(0).at(0).value<GenerationStats>();
    qInfo("generated %lld tokens at %.0f tok/s; %d telemetry batches; %d probe ticks; longest UI stall %.1f ms",
          (long long)stats.generatedTokens, stats.tokensPerSecond, int(telemetry.count()), ticks, double(longestNs) / 1e6);
    QCOMPARE(stats.generatedTokens, 1500);
    QVERIFY(telemetry.count() > 0);
    QVERIFY2(longestNs < 250'000'000, qPrintable(QStringLiteral("the UI stalled for %1 ms").arg(double(longestNs) / 1e6)));
    QVERIFY(window.modelBar()->speedText().contains(QStringLiteral("tok/s")));
}

void TestMainWindow::screenshotsWriteANonBlankPngPerPage()
{
    const QString out = QString::fromStdString(m_dir.file("shots"));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), QString::fromStdString(m_dir.file("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), QString::fromStdString(m_dir.file("data")));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(MOE_WORKBENCH),
            {QStringLiteral("--model"), m_model, QStringLiteral("--store"), QString::fromStdString(m_dir.file("shots.db")),
             QStringLiteral("--devices"), QStringLiteral("cpu:2"), QStringLiteral("--ep"), QStringLiteral("2"),
             QStringLiteral("--screenshots"), out});
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, p.readAllStandardError().constData());
    const QStringList files = QDir(out).entryList({QStringLiteral("*.png")}, QDir::Files, QDir::Name);
    QCOMPARE(files.size(), int(MainWindow::PageCount) + 1); // every page, then the load dialog
    for (int page = 0; page <= MainWindow::PageCount; ++page) {
        const bool dialog = page == MainWindow::PageCount;
        const QString name = dialog ? QStringLiteral("%1-load-dialog.png").arg(page + 1)
                                    : QStringLiteral("%1-%2.png").arg(page + 1).arg(MainWindow::pageKey(MainWindow::Page(page)));
        QVERIFY2(files.contains(name), qPrintable(name));
        const QImage image(out + QLatin1Char('/') + name);
        QVERIFY(!image.isNull());
        QVERIFY(image.width() >= (dialog ? 400 : 800) && image.height() >= (dialog ? 300 : 500));
        // Non-blank: many distinct colours, not one flat fill.
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7)
            for (int x = 0; x < image.width(); x += 7)
                colours.insert(image.pixel(x, y));
        QVERIFY2(colours.size() > 20, qPrintable(QStringLiteral("%1 has %2 colours").arg(name).arg(colours.size())));
    }
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
