// model_bar.h — the strip above every page: which model is loaded, on which device plan,
// in which weight type, how much memory it holds and the last decode speed; the Load /
// Unload buttons; a progress bar while a model loads.
#pragma once

#include "engine_controller.h"

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace moeui {

class ModelBar : public QWidget {
    Q_OBJECT
public:
    explicit ModelBar(EngineController* engine, QWidget* parent = nullptr);
    QString modelText() const;
    QString speedText() const;

signals:
    void loadRequested();

private:
    void showModel(const LoadedModelPtr& model);
    void onTelemetry(const TelemetryBatch& batch);

    EngineController* m_engine;
    QLabel* m_model = nullptr;
    QLabel* m_plan = nullptr;
    QLabel* m_quant = nullptr;
    QLabel* m_memory = nullptr;
    QLabel* m_speed = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_load = nullptr;
    QPushButton* m_unload = nullptr;
    quint64 m_loadJob = 0;
};

} // namespace moeui
