// traffic_heatmap_view.h — the device x device traffic heatmap of a TrafficMatrixModel
// (rows: sender, columns: receiver) in bytes or GB/s, each cell labelled when there are
// few devices, with the model's tooltip on hover.
#pragma once

#include <qcustomplot.h>

#include <vector>

namespace moeui {

class TrafficMatrixModel;

class TrafficHeatmapView : public QCustomPlot {
    Q_OBJECT
public:
    enum class Unit { Bytes, GbPerSecond };

    explicit TrafficHeatmapView(TrafficMatrixModel* model, QWidget* parent = nullptr);
    Unit unit() const { return m_unit; }
    void setUnit(Unit unit);
    QCPColorMap* colorMap() const { return m_map; }
    // Cells hold value / cellScale() (bytes are shown in KiB, MiB, ... of the largest cell).
    double cellScale() const { return m_cellScale; }
    QString scaleLabel() const;

protected:
    void mouseMoveEvent(QMouseEvent* event) override;

private:
    void rebuild();

    TrafficMatrixModel* m_model;
    QCPColorMap* m_map = nullptr;
    QCPColorScale* m_scale = nullptr;
    std::vector<QCPItemText*> m_labels;
    Unit m_unit = Unit::Bytes;
    QString m_bytesUnitName = QStringLiteral("B");
    double m_cellScale = 1;
    int m_devices = -1;
};

} // namespace moeui
