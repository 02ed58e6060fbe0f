// interconnect_page.h — the Interconnect page: what crosses the links between devices.
// A device x device traffic heatmap (bytes or GB/s), bytes per step over time split by
// collective, and per-link utilisation against the link's bandwidth. Figures that come
// from the link model rather than a measurement (virtual CPU devices) say so, and a
// banner explains why; with one device the page explains how to get traffic instead.
#pragma once

#include "engine_controller.h"

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QStackedWidget;
class QTableView;

namespace moeui {

class LinkUtilisationModel;
class TrafficHeatmapView;
class TrafficHistoryModel;
class TrafficMatrixModel;
class TrafficTimelineChart;

class InterconnectPage : public QWidget {
    Q_OBJECT
public:
    explicit InterconnectPage(EngineController* engine, QWidget* parent = nullptr);

    TrafficMatrixModel* trafficModel() const { return m_traffic; }
    LinkUtilisationModel* linkModel() const { return m_links; }
    TrafficHistoryModel* historyModel() const { return m_history; }
    TrafficHeatmapView* heatmapView() const { return m_heatmapView; }
    TrafficTimelineChart* timelineChart() const { return m_timeline; }

    // What the page shows now, for tests and the status bar.
    bool isEmptyStateShown() const;
    QString emptyStateText() const;
    bool isEstimatedBannerShown() const;
    QString bannerText() const;
    QString statusText() const;

public slots:
    // Live telemetry (connected to EngineController::telemetryUpdated).
    void addTelemetry(const moeui::TelemetryBatch& batch);
    // Forgets the session's traffic.
    void clear();

private:
    void buildUi();
    void onModelLoaded(quint64 job, const LoadedModelPtr& model);
    void onModelUnloaded();
    void updateState();

    QPointer<EngineController> m_engine;
    LoadedModelPtr m_model;

    TrafficMatrixModel* m_traffic = nullptr;
    LinkUtilisationModel* m_links = nullptr;
    TrafficHistoryModel* m_history = nullptr;

    QStackedWidget* m_stack = nullptr;
    QLabel* m_emptyLabel = nullptr;
    QLabel* m_banner = nullptr;
    QLabel* m_status = nullptr;
    QComboBox* m_windowCombo = nullptr;
    QComboBox* m_unitCombo = nullptr;
    QCheckBox* m_logCheck = nullptr;
    QPushButton* m_clearButton = nullptr;
    TrafficHeatmapView* m_heatmapView = nullptr;
    TrafficTimelineChart* m_timeline = nullptr;
    QTableView* m_linkTable = nullptr;
};

} // namespace moeui
