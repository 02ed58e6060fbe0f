// imbalance_chart.h — per-MoE-layer imbalance of the heatmap's source: max/mean load as
// bars (left axis) and normalised entropy as a line (right axis, 0..1).
#pragma once

#include <qcustomplot.h>

namespace moeui {

class LayerImbalanceModel;

class ImbalanceChart : public QCustomPlot {
    Q_OBJECT
public:
    explicit ImbalanceChart(LayerImbalanceModel* model, QWidget* parent = nullptr);

    QCPBars* maxOverMeanBars() const { return m_bars; }
    QCPGraph* entropyGraph() const { return m_entropy; }

private:
    void rebuild();

    LayerImbalanceModel* m_model;
    QCPBars* m_bars = nullptr;
    QCPGraph* m_entropy = nullptr;
    QCPItemStraightLine* m_evenLine = nullptr;
    int m_rows = -1;
};

} // namespace moeui
