// traffic_timeline_chart.h — interconnect bytes per step over the last steps, one line
// per kind of collective (kinds that never carried a byte are hidden).
#pragma once

#include "moe/traffic_matrix.h"

#include <qcustomplot.h>

#include <array>

namespace moeui {

class TrafficHistoryModel;

class TrafficTimelineChart : public QCustomPlot {
    Q_OBJECT
public:
    explicit TrafficTimelineChart(TrafficHistoryModel* model, QWidget* parent = nullptr);
    QCPGraph* graphOf(moe::TrafficKind kind) const { return m_graphs[size_t(kind)]; }
    // Bytes per unit of the y axis (1024^k, chosen from the largest value shown).
    double yUnitBytes() const { return m_unitBytes; }
    // Prefill steps move far more than decode steps; a log axis shows both.
    void setLogScale(bool on);
    bool logScale() const { return m_log; }

private:
    void rebuild();

    TrafficHistoryModel* m_model;
    std::array<QCPGraph*, size_t(moe::TrafficKind::Count)> m_graphs{};
    double m_unitBytes = 1;
    bool m_log = false;
};

} // namespace moeui
