// expert_heatmap_view.h — the layers x experts heatmap (QCPColorMap + colour scale) of an
// ExpertHeatmapModel, with the model's tooltip on hover and an optional overlay showing
// which EP group (device) holds each expert of each layer.
#pragma once

#include <qcustomplot.h>

#include <vector>

namespace moeui {

class ExpertHeatmapModel;

class ExpertHeatmapView : public QCustomPlot {
    Q_OBJECT
public:
    explicit ExpertHeatmapView(ExpertHeatmapModel* model, QWidget* parent = nullptr);

    bool showPlacement() const { return m_showPlacement; }
    void setShowPlacement(bool show);
    // Overlay items drawn (bands and their labels; 0 when hidden or without placement).
    int placementItemCount() const { return int(m_placementItems.size()); }
    QCPColorMap* colorMap() const { return m_map; }

protected:
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    void rebuild();
    void rebuildAxes();
    void rebuildPlacement();

    ExpertHeatmapModel* m_model;
    QCPColorMap* m_map = nullptr;
    QCPColorScale* m_scale = nullptr;
    QCPTextElement* m_emptyText = nullptr;
    std::vector<QCPAbstractItem*> m_placementItems;
    bool m_showPlacement = true;
    int m_rows = -1, m_cols = -1;
};

} // namespace moeui
