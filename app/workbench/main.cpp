// moe-workbench — the MoE Workbench window. See --help.
#include "first_start.h"
#include "main_window.h"

#include "chat/chat_page.h"
#include "load_dialog.h"
#include "store_controller.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QLibraryInfo>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>
#include <QTranslator>

#include <cstdio>

using namespace moeui;

namespace {

struct Options {
    QString model;
    QString store;
    QString screenshots;
    QString page;
    bool noDemo = false;
    LoadOptions load;
};

bool savePng(QWidget* widget, const QString& file)
{
    if (!widget->grab().toImage().save(file)) {
        std::fprintf(stderr, "moe-workbench: cannot write %s\n", qPrintable(file));
        QCoreApplication::exit(1);
        return false;
    }
    std::printf("%s\n", qPrintable(file));
    std::fflush(stdout);
    return true;
}

// The load dialog as a user opens it, once the model is inspected and the GPUs listed.
void screenshotLoadDialog(MainWindow* window, const QString& file)
{
    window->openLoadDialog();
    QTimer::singleShot(1500, window, [window, file] {
        auto* dialog = window->findChild<LoadModelDialog*>();
        if (dialog && !savePng(dialog, file))
            return;
        if (dialog)
            dialog->close();
        QCoreApplication::exit(0);
    });
}

// Saves one PNG per page and one of the load dialog into `dir`, then quits (exit code 1
// when a file cannot be written).
void takeScreenshots(MainWindow* window, const QString& dir)
{
    QDir().mkpath(dir);
    auto next = std::make_shared<std::function<void(int)>>();
    *next = [window, dir, next](int p) {
        if (p >= MainWindow::PageCount) {
            screenshotLoadDialog(window, QStringLiteral("%1/%2-load-dialog.png").arg(dir).arg(p + 1));
            return;
        }
        window->showPage(MainWindow::Page(p));
        // Let the page lay out, draw its plots and take the coalesced telemetry.
        QTimer::singleShot(600, window, [window, dir, next, p] {
            const QString file = QStringLiteral("%1/%2-%3.png").arg(dir).arg(p + 1).arg(MainWindow::pageKey(MainWindow::Page(p)));
            if (savePng(window, file))
                (*next)(p + 1);
        });
    };
    (*next)(0);
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("moe-workbench"));
    QApplication::setApplicationDisplayName(QStringLiteral("MoE Workbench"));
    QApplication::setApplicationVersion(QStringLiteral(MOE_WORKBENCH_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "MoE Workbench: chat with a local Mixture-of-Experts model, watch its expert routing and interconnect "
        "traffic, and plan deployments.\nWith no model given it loads the last one used, or the built-in demo model "
        "(random weights), which it makes on first start."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption modelOpt({QStringLiteral("m"), QStringLiteral("model")}, QStringLiteral("Load this .gguf file or Hugging Face folder."), QStringLiteral("PATH"));
    QCommandLineOption storeOpt(QStringLiteral("store"), QStringLiteral("SQLite store for chats, runs and scenarios (default: <data>/moe-workbench/workbench.db)."), QStringLiteral("FILE"));
    QCommandLineOption devicesOpt(QStringLiteral("devices"), QStringLiteral("CPU virtual devices, e.g. cpu:2 (default cpu:1)."), QStringLiteral("LIST"));
    QCommandLineOption tpOpt(QStringLiteral("tp"), QStringLiteral("Tensor-parallel degree."), QStringLiteral("N"));
    QCommandLineOption epOpt(QStringLiteral("ep"), QStringLiteral("Expert-parallel degree."), QStringLiteral("N"));
    QCommandLineOption threadsOpt(QStringLiteral("threads"), QStringLiteral("CPU threads (default: all cores)."), QStringLiteral("N"));
    QCommandLineOption ctxOpt(QStringLiteral("ctx"), QStringLiteral("Context length (default: min(model, 4096))."), QStringLiteral("N"));
    QCommandLineOption pageOpt(QStringLiteral("page"), QStringLiteral("Start on a page: chat, experts, interconnect, planner, runs."), QStringLiteral("NAME"));
    QCommandLineOption shotsOpt(QStringLiteral("screenshots"), QStringLiteral("Load the model, send one chat message, save a PNG of every page into DIR and quit."), QStringLiteral("DIR"));
    QCommandLineOption noDemoOpt(QStringLiteral("no-demo"), QStringLiteral("Do not make or load the demo model."));
    QCommandLineOption langOpt(QStringLiteral("lang"), QStringLiteral("User-interface language (en, de; default: the system's)."), QStringLiteral("CODE"));
    parser.addOptions({modelOpt, storeOpt, devicesOpt, tpOpt, epOpt, threadsOpt, ctxOpt, pageOpt, shotsOpt, noDemoOpt, langOpt});
    parser.process(app);

    QTranslator translator;
    QTranslator qtTranslator; // Qt's own buttons (Close, Yes, No, ...)
    const QString lang = parser.isSet(langOpt) ? parser.value(langOpt) : QLocale().name();
    if (translator.load(QStringLiteral(":/i18n/moe_workbench_") + lang.left(2))) {
        QApplication::installTranslator(&translator);
        if (qtTranslator.load(QStringLiteral("qtbase_") + lang.left(2), QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
            QApplication::installTranslator(&qtTranslator);
    }

    Options o;
    o.model = parser.value(modelOpt);
    o.screenshots = parser.value(shotsOpt);
    o.page = parser.value(pageOpt);
    o.noDemo = parser.isSet(noDemoOpt);
    try {
        if (parser.isSet(devicesOpt))
            moe::parseDeviceList(parser.value(devicesOpt).toStdString(), o.load.parallel);
        auto number = [&](const QCommandLineOption& opt, int fallback) {
            if (!parser.isSet(opt))
                return fallback;
            bool ok = false;
            const int v = parser.value(opt).toInt(&ok);
            if (!ok || v < 0)
                throw std::invalid_argument("option --" + opt.names().constLast().toStdString() + " needs a number, got '" +
                                            parser.value(opt).toStdString() + "'");
            return v;
        };
        o.load.parallel.tp = number(tpOpt, 1);
        o.load.parallel.ep = number(epOpt, 1);
        o.load.threads = number(threadsOpt, 0);
        o.load.contextLength = number(ctxOpt, 0);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "moe-workbench: %s\n", e.what());
        return 2;
    }
    o.store = parser.isSet(storeOpt) ? parser.value(storeOpt)
                                     : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
                                           QStringLiteral("/workbench.db");
    QDir().mkpath(QFileInfo(o.store).absolutePath());

    EngineController engine;
    StoreController store;
    store.open(o.store);
    MainWindow window(&engine, &store);
    for (int p = 0; p < MainWindow::PageCount; ++p)
        if (MainWindow::pageKey(MainWindow::Page(p)) == o.page)
            window.showPage(MainWindow::Page(p));
    window.show();

    // Which model: --model, else the last one used, else the demo model.
    const QString last = QSettings().value(QStringLiteral("lastModel")).toString();
    auto load = [&engine, &window, o](const QString& path, const QString& error) {
        if (!error.isEmpty()) {
            window.statusBar()->showMessage(QObject::tr("Could not make the demo model: %1").arg(error));
            return;
        }
        engine.loadModel(path, o.load);
        QObject::connect(&engine, &EngineController::modelLoaded, &window, [path](quint64, LoadedModelPtr) {
            QSettings().setValue(QStringLiteral("lastModel"), path);
        }, Qt::SingleShotConnection);
    };
    if (!o.model.isEmpty())
        load(o.model, {});
    else if (!last.isEmpty() && QFileInfo::exists(last) && o.screenshots.isEmpty())
        load(last, {});
    else if (!o.noDemo)
        ensureDemoModel(&window, load);
    QObject::connect(&engine, &EngineController::modelLoaded, &window,
                     [](quint64, LoadedModelPtr m) { LoadModelDialog::addRecentModel(m->path); });

    if (!o.screenshots.isEmpty()) {
        const QString dir = o.screenshots;
        // One chat turn first, so the Experts and Interconnect pages show live data.
        QObject::connect(&engine, &EngineController::modelLoaded, &window, [&window] {
            moe::SamplingParams p = window.chatPage()->samplingParams();
            p.maxTokens = 48;
            p.seed = 7;
            window.chatPage()->setSamplingParams(p);
            window.chatPage()->send(QObject::tr("Explain in one paragraph how a mixture-of-experts layer routes each token."));
        }, Qt::SingleShotConnection);
        QObject::connect(window.chatPage(), &ChatPage::generationFinished, &window,
                         [&window, dir] { takeScreenshots(&window, dir); }, Qt::SingleShotConnection);
        QObject::connect(&engine, &EngineController::jobFailed, &window, [](quint64, const QString& message) {
            std::fprintf(stderr, "moe-workbench: %s\n", qPrintable(message));
            QCoreApplication::exit(1);
        });
        if (o.model.isEmpty() && o.noDemo)
            QTimer::singleShot(0, &window, [&window, dir] { takeScreenshots(&window, dir); });
    }
    return app.exec();
}
