// memory_chart.h — memory per GPU as stacked bars (weights, KV cache, activations,
// overhead), one bar per scenario, against each scenario's capacity: a solid line at
// the usable memory (memory × usable fraction) and a dashed one at the GPU's full
// memory. Above each bar: "fits" or "short by X GB". Exports to PNG and PDF.
#pragma once

#include "planner/plan_result_model.h"

#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPBars;

namespace moeui {

class MemoryChart : public QWidget {
    Q_OBJECT
public:
    explicit MemoryChart(QWidget* parent = nullptr);

    void setColumns(const std::vector<PlanColumn>& columns);
    QCustomPlot* plot() const { return m_plot; }

    // Write the chart at the given size (pixels for PNG, points for PDF; 0 = as shown).
    bool savePng(const QString& path, int width = 1200, int height = 700);
    bool savePdf(const QString& path, int width = 1000, int height = 600);

    // The stacked values as plotted (GB), for tests: [stack][column].
    std::vector<std::vector<double>> stackedGb() const;

private:
    QCustomPlot* m_plot = nullptr;
    std::vector<QCPBars*> m_stacks; // bottom to top: weights, KV, activations, overhead
};

} // namespace moeui
