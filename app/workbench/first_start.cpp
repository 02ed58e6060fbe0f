#include "first_start.h"

#include "moe/model_maker.h"

#include <QDir>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QPointer>
#include <QProgressDialog>
#include <QStandardPaths>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <memory>

namespace moeui {

QString demoModelDirectory()
{
    const QString env = qEnvironmentVariable("MOE_DEMO_DIR");
    if (!env.isEmpty())
        return env;
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/moe-workbench/demo");
}

QString demoModelPath() { return demoModelDirectory() + QStringLiteral("/model.gguf"); }

void ensureDemoModel(QWidget* parent, std::function<void(const QString&, const QString&)> done)
{
    const QString path = demoModelPath();
    if (QFileInfo::exists(path)) {
        done(path, {});
        return;
    }
    auto* dialog = new QProgressDialog(QObject::tr("Making the demo model (Qwen3-MoE shape, random weights)…"), QString(),
                                       0, 1000, parent);
    dialog->setWindowTitle(QObject::tr("First start"));
    dialog->setMinimumDuration(0);
    dialog->setValue(0);
    auto progress = std::make_shared<std::atomic<int>>(0);
    auto* watcher = new QFutureWatcher<QString>(dialog);
    auto* timer = new QTimer(dialog);
    QObject::connect(timer, &QTimer::timeout, dialog, [dialog, progress] { dialog->setValue(progress->load()); });
    timer->start(100);
    QObject::connect(watcher, &QFutureWatcher<QString>::finished, dialog, [dialog, watcher, path, done] {
        const QString error = watcher->result();
        dialog->close();
        dialog->deleteLater();
        done(error.isEmpty() ? path : QString(), error);
    });
    const QString dir = demoModelDirectory();
    watcher->setFuture(QtConcurrent::run([dir, progress]() -> QString {
        try {
            QDir().mkpath(dir);
            moe::MakeModelOptions o;
            o.architecture = "qwen3moe";
            o.preset = "small";
            o.seed = 1;
            o.format = moe::MakeFormat::Gguf;
            o.outDir = dir.toStdString();
            o.onProgress = [progress](const moe::MakeModelProgress& p) {
                if (p.bytesTotal > 0)
                    progress->store(int(1000.0 * double(p.bytesDone) / double(p.bytesTotal)));
            };
            moe::makeModel(o);
            return {};
        } catch (const std::exception& e) {
            return QString::fromUtf8(e.what());
        }
    }));
}

} // namespace moeui
