// experts_page.h — the Experts page: how tokens are routed to experts. A live layers x
// experts heatmap (this step / a sliding window / the whole conversation / a saved run),
// per-layer imbalance, the experts each token of the last answer used, and which device
// holds each expert when the model is sharded.
#pragma once

#include "engine_controller.h"
#include "experts/expert_heatmap_model.h"

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QListView;
class QPushButton;
class QSpinBox;
class QTableView;

namespace moeui {

class ExpertHeatmapView;
class ImbalanceChart;
class LayerImbalanceModel;
class TokenExpertsModel;
class TokenRoutingModel;

class ExpertsPage : public QWidget {
    Q_OBJECT
public:
    explicit ExpertsPage(EngineController* engine, QWidget* parent = nullptr);

    ExpertHeatmapModel* heatmapModel() const { return m_heatmap; }
    LayerImbalanceModel* imbalanceModel() const { return m_imbalance; }
    TokenRoutingModel* tokenRoutingModel() const { return m_tokens; }
    TokenExpertsModel* tokenExpertsModel() const { return m_tokenExperts; }
    ExpertHeatmapView* heatmapView() const { return m_heatmapView; }
    ImbalanceChart* imbalanceChart() const { return m_imbalanceChart; }
    QString statusText() const;
    QString placementText() const;
    // The routing-history request in flight (0 when none); results of others are dropped.
    quint64 pendingRoutingJob() const { return m_routingJob; }

public slots:
    // Switches the heatmap source to a saved run.
    void showRun(moeui::ProfileRunPtr run);
    void setSource(moeui::ExpertHeatmapModel::Source source);
    // Live telemetry (connected to EngineController::telemetryUpdated).
    void addTelemetry(const moeui::TelemetryBatch& batch);
    // Shows the experts of token `row` of the per-token list.
    void selectToken(int row);
    // Starts the conversation aggregates afresh.
    void clearConversation();

private:
    void buildUi();
    void onModelLoaded(quint64 job, const LoadedModelPtr& model);
    void onModelUnloaded();
    void onGenerationFinished(quint64 job, const GenerationStats& stats);
    void onRoutingHistory(quint64 job, const RoutingHistoryPtr& history);
    void updateStatus();
    void updatePlacementLegend();
    void syncSourceCombo();

    QPointer<EngineController> m_engine;
    LoadedModelPtr m_model;
    quint64 m_routingJob = 0;
    int64_t m_answerTokens = 0;

    ExpertHeatmapModel* m_heatmap = nullptr;
    LayerImbalanceModel* m_imbalance = nullptr;
    TokenRoutingModel* m_tokens = nullptr;
    TokenExpertsModel* m_tokenExperts = nullptr;

    QComboBox* m_sourceCombo = nullptr;
    QSpinBox* m_windowSpin = nullptr;
    QComboBox* m_normalisationCombo = nullptr;
    QCheckBox* m_placementCheck = nullptr;
    QPushButton* m_clearButton = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_placementLegend = nullptr;
    ExpertHeatmapView* m_heatmapView = nullptr;
    ImbalanceChart* m_imbalanceChart = nullptr;
    QListView* m_tokenList = nullptr;
    QLabel* m_tokenLabel = nullptr;
    QTableView* m_tokenTable = nullptr;
};

} // namespace moeui
