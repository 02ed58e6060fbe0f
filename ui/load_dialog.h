// load_dialog.h — "Load model": pick a GGUF file or a Hugging Face folder, see what the
// model is before loading it (architecture, parameters total / active, memory per
// device for the chosen plan and whether it fits in this machine's memory), choose
// threads, CPU virtual devices, TP / EP, placement and context length, then load with
// a progress bar (bytes, time left) and Cancel. Errors stay in the dialog; the program
// keeps running. Recent models are remembered (QSettings).
#pragma once

#include "engine_controller.h"

#include "moe/devices.h"

#include <QDialog>
#include <QElapsedTimer>
#include <QFutureWatcher>

#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace moeui {

struct InspectResult {
    QString path;
    std::optional<moe::ModelInfo> info;
    QString error;
};

class LoadModelDialog : public QDialog {
    Q_OBJECT
public:
    explicit LoadModelDialog(EngineController* engine, QWidget* parent = nullptr);

    void setPath(const QString& path); // inspects it in the background
    QString path() const;
    LoadOptions options() const;
    QString errorText() const;         // what the dialog shows as an error ("" = none)
    QString summaryText() const;       // the inspection summary shown
    bool isLoading() const { return m_job != 0; }
    quint64 loadJob() const { return m_job; }

    static QStringList recentModels();
    static void addRecentModel(const QString& path);

public slots:
    void startLoad();
    void cancelLoad();

signals:
    void inspected(const QString& path, bool ok);

private:
    int targetGpu(const LoadOptions& o) const;
    uint64_t gpuMemoryBytes(int gpu) const;
    void inspect();
    void showInspection(const InspectResult& r);
    void updatePlan();
    void growToFit();
    void setError(const QString& text);
    void setBusy(bool busy);

    EngineController* m_engine;
    QLineEdit* m_path = nullptr;
    QComboBox* m_recent = nullptr;
    QLabel* m_summary = nullptr;
    QTableWidget* m_memory = nullptr;
    QLabel* m_fit = nullptr;
    QComboBox* m_runOn = nullptr;
    QSpinBox* m_threads = nullptr;
    QSpinBox* m_devices = nullptr;
    QSpinBox* m_tp = nullptr;
    QSpinBox* m_ep = nullptr;
    QComboBox* m_placement = nullptr;
    QComboBox* m_link = nullptr;
    QSpinBox* m_context = nullptr;
    QComboBox* m_quant = nullptr;
    QLabel* m_gpus = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_progressText = nullptr;
    QLabel* m_error = nullptr;
    QPushButton* m_load = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_close = nullptr;

    QFutureWatcher<InspectResult> m_watcher;
    std::optional<moe::ModelInfo> m_info;
    std::optional<moe::DeviceReport> m_deviceReport; // once discovery has answered
    quint64 m_job = 0;
};

// Bytes of physical memory available to a new model (MemAvailable), 0 when unknown.
uint64_t availableMemoryBytes();

} // namespace moeui
