// plot_style.h — the look shared by the workbench's QCustomPlot charts (Experts and
// Interconnect pages): a perceptually uniform heatmap gradient, categorical colours for
// devices / series, and the default fonts and margins.
#pragma once

#include <qcustomplot.h>

namespace moeui::plot {

// Viridis (matplotlib's default colour map; perceptually uniform, readable in grey and by
// most colour-blind viewers), sampled at 9 stops.
QCPColorGradient viridis();
// Tableau-10 colours: distinct series / EP groups / traffic kinds.
QColor categorical(int i);
// White background, light grid, readable fonts; call once per plot.
void applyDefaultStyle(QCustomPlot* plot);

// A cell heatmap on the plot's axis rect: a QCPColorMap (no interpolation, viridis) with
// its colour scale at `scaleRow`, column 1 of the layout, kept as tall as the plot; the
// y axis runs top-down (row 0 at the top, as in a table) and the grid is off.
struct Heatmap {
    QCPColorMap* map = nullptr;
    QCPColorScale* scale = nullptr;
};
Heatmap addHeatmap(QCustomPlot* plot, int scaleRow, const QString& xLabel, const QString& yLabel);

} // namespace moeui::plot
