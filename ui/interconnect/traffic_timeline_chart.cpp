#include "interconnect/traffic_timeline_chart.h"

#include "plot_style.h"
#include "interconnect/traffic_history_model.h"

#include <algorithm>

namespace moeui {

TrafficTimelineChart::TrafficTimelineChart(TrafficHistoryModel* model, QWidget* parent) : QCustomPlot(parent), m_model(model)
{
    plot::applyDefaultStyle(this);
    xAxis->setLabel(tr("Step"));
    for (int k = 0; k < TrafficHistoryModel::kKinds; ++k) {
        QCPGraph* g = addGraph(xAxis, yAxis);
        g->setName(model->headerData(TrafficHistoryModel::FirstKindColumn + k, Qt::Horizontal).toString());
        g->setPen(QPen(plot::categorical(k), 1.8));
        g->setLineStyle(QCPGraph::lsLine);
        m_graphs[size_t(k)] = g;
    }
    legend->setVisible(true);
    legend->setBrush(QColor(255, 255, 255, 220));
    legend->setBorderPen(QPen(QColor(0xc0, 0xc0, 0xc0)));
    QFont legendFont = font();
    legendFont.setPointSizeF(std::max(7.0, legendFont.pointSizeF() * 0.85));
    legend->setFont(legendFont);
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    connect(model, &TrafficHistoryModel::historyChanged, this, &TrafficTimelineChart::rebuild);
    rebuild();
}

void TrafficTimelineChart::setLogScale(bool on)
{
    if (on == m_log)
        return;
    m_log = on;
    yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (on)
        yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    rebuild();
}

void TrafficTimelineChart::rebuild()
{
    const int rows = m_model->rowCount();
    uint64_t maxBytes = 0, minBytes = 0; // minBytes: smallest non-zero value (log axis)
    for (int r = 0; r < rows; ++r)
        for (uint64_t b : m_model->row(r).kindBytes) {
            maxBytes = std::max(maxBytes, b);
            if (b > 0 && (minBytes == 0 || b < minBytes))
                minBytes = b;
        }
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    m_unitBytes = 1;
    while (unit < 4 && double(maxBytes) >= 1024.0 * m_unitBytes) {
        m_unitBytes *= 1024.0;
        ++unit;
    }
    yAxis->setLabel(tr("%1 per step").arg(QString::fromLatin1(units[unit])));

    QVector<double> keys(rows), values(rows);
    for (int k = 0; k < TrafficHistoryModel::kKinds; ++k) {
        const bool used = m_model->hasKind(moe::TrafficKind(k));
        QCPGraph* g = m_graphs[size_t(k)];
        g->setVisible(used);
        if (used)
            g->addToLegend();
        else
            g->removeFromLegend();
        for (int r = 0; r < rows; ++r) {
            keys[r] = double(m_model->row(r).step);
            values[r] = double(m_model->row(r).kindBytes[size_t(k)]) / m_unitBytes;
        }
        g->setData(keys, values, true);
    }
    if (rows > 0)
        xAxis->setRange(keys.front() - 0.5, std::max(keys.back(), keys.front() + 1) + 0.5);
    if (m_log)
        yAxis->setRange(std::max(1e-3, double(minBytes) / m_unitBytes / 2), std::max(1.0, double(maxBytes) / m_unitBytes * 2));
    else
        yAxis->setRange(0, std::max(1.0, double(maxBytes) / m_unitBytes * 1.1));
    replot(QCustomPlot::rpQueuedReplot);
}

} // namespace moeui
