// first_start.h — the built-in demo model: made on first start (random weights, labelled
// so in its name and metadata; the same model `scripts/run.sh` makes for `moe chat`), so
// every page is alive with no download.
#pragma once

#include <QObject>
#include <QString>

#include <functional>

class QWidget;

namespace moeui {

// $MOE_DEMO_DIR, else <XDG data>/moe-workbench/demo.
QString demoModelDirectory();
QString demoModelPath(); // demoModelDirectory()/model.gguf

// Calls `done(path, error)` on the UI thread once the demo model exists: at once when it
// does, else after making it in the background with a progress dialog over `parent`.
void ensureDemoModel(QWidget* parent, std::function<void(const QString& path, const QString& error)> done);

} // namespace moeui
