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

} // namespace moeui::plot
