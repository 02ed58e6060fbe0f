#include "plot_style.h"

#include <array>

namespace moeui::plot {

QCPColorGradient viridis()
{
    static const std::array<QColor, 9> stops = {
        QColor(0x44, 0x01, 0x54), QColor(0x47, 0x2c, 0x7a), QColor(0x3b, 0x51, 0x8b), QColor(0x2c, 0x71, 0x8e),
        QColor(0x21, 0x90, 0x8d), QColor(0x27, 0xad, 0x81), QColor(0x5c, 0xc8, 0x63), QColor(0xaa, 0xdc, 0x32),
        QColor(0xfd, 0xe7, 0x25),
    };
    QCPColorGradient g;
    g.clearColorStops();
    for (size_t i = 0; i < stops.size(); ++i)
        g.setColorStopAt(double(i) / double(stops.size() - 1), stops[i]);
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    return g;
}

QColor categorical(int i)
{
    static const std::array<QColor, 10> colours = {
        QColor(0x4e, 0x79, 0xa7), QColor(0xf2, 0x8e, 0x2b), QColor(0xe1, 0x57, 0x59), QColor(0x76, 0xb7, 0xb2),
        QColor(0x59, 0xa1, 0x4f), QColor(0xed, 0xc9, 0x48), QColor(0xb0, 0x7a, 0xa1), QColor(0xff, 0x9d, 0xa7),
        QColor(0x9c, 0x75, 0x5f), QColor(0xba, 0xb0, 0xac),
    };
    return colours[size_t(((i % 10) + 10) % 10)];
}

void applyDefaultStyle(QCustomPlot* plot)
{
    plot->setBackground(QBrush(Qt::white));
    plot->setNoAntialiasingOnDrag(true);
    QFont tickFont = plot->font();
    tickFont.setPointSizeF(std::max(7.0, tickFont.pointSizeF() * 0.9));
    for (QCPAxis* axis : {plot->xAxis, plot->yAxis, plot->xAxis2, plot->yAxis2}) {
        axis->setTickLabelFont(tickFont);
        axis->grid()->setPen(QPen(QColor(0xe0, 0xe0, 0xe0), 0, Qt::DotLine));
        axis->setBasePen(QPen(QColor(0x60, 0x60, 0x60)));
        axis->setTickPen(QPen(QColor(0x60, 0x60, 0x60)));
        axis->setSubTickPen(QPen(QColor(0x90, 0x90, 0x90)));
    }
    plot->setMinimumSize(200, 150);
}

Heatmap addHeatmap(QCustomPlot* plot, int scaleRow, const QString& xLabel, const QString& yLabel)
{
    Heatmap h;
    h.map = new QCPColorMap(plot->xAxis, plot->yAxis);
    h.map->setInterpolate(false);
    h.map->setGradient(viridis());
    h.scale = new QCPColorScale(plot);
    plot->plotLayout()->addElement(scaleRow, 1, h.scale);
    h.scale->setType(QCPAxis::atRight);
    h.scale->setGradient(viridis());
    h.scale->setBarWidth(12);
    h.map->setColorScale(h.scale);
    auto* margins = new QCPMarginGroup(plot);
    plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    h.scale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    plot->xAxis->setLabel(xLabel);
    plot->yAxis->setLabel(yLabel);
    plot->yAxis->setRangeReversed(true);
    plot->xAxis->grid()->setVisible(false);
    plot->yAxis->grid()->setVisible(false);
    return h;
}

} // namespace moeui::plot
