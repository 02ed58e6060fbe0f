#include "interconnect/traffic_heatmap_view.h"

#include "plot_style.h"
#include "format.h"
#include "interconnect/traffic_matrix_model.h"

#include <QToolTip>

#include <cmath>

namespace moeui {

namespace {
// Cell labels stay readable up to this many devices.
constexpr int kMaxLabelledDevices = 8;
} // namespace

TrafficHeatmapView::TrafficHeatmapView(TrafficMatrixModel* model, QWidget* parent) : QCustomPlot(parent), m_model(model)
{
    plot::applyDefaultStyle(this);
    setMouseTracking(true);
    const plot::Heatmap heatmap = plot::addHeatmap(this, 0, tr("Receiving device"), tr("Sending device"));
    m_map = heatmap.map;
    m_scale = heatmap.scale;
    connect(model, &TrafficMatrixModel::trafficChanged, this, &TrafficHeatmapView::rebuild);
    rebuild();
}

void TrafficHeatmapView::setUnit(Unit unit)
{
    if (unit == m_unit)
        return;
    m_unit = unit;
    rebuild();
}

QString TrafficHeatmapView::scaleLabel() const
{
    if (m_unit == Unit::Bytes)
        return tr("bytes sent, %1").arg(m_bytesUnitName);
    return m_model->shown().estimated ? tr("GB/s (estimated)") : tr("GB/s");
}

void TrafficHeatmapView::rebuild()
{
    const int n = m_model->devices();
    if (n != m_devices) {
        m_map->data()->setSize(std::max(n, 1), std::max(n, 1));
        m_map->data()->setRange(QCPRange(0, std::max(n - 1, 0)), QCPRange(0, std::max(n - 1, 0)));
        xAxis->setRange(-0.5, std::max(n, 1) - 0.5);
        yAxis->setRange(-0.5, std::max(n, 1) - 0.5);
        auto ticker = QSharedPointer<QCPAxisTickerText>::create();
        for (int d = 0; d < n; ++d)
            ticker->addTick(d, tr("dev %1").arg(d));
        xAxis->setTicker(ticker);
        yAxis->setTicker(ticker);
        for (QCPItemText* label : m_labels)
            removeItem(label);
        m_labels.clear();
        if (n <= kMaxLabelledDevices) {
            QFont f = font();
            f.setPointSizeF(std::max(7.0, f.pointSizeF() * 0.85));
            for (int src = 0; src < n; ++src)
                for (int dst = 0; dst < n; ++dst) {
                    auto* label = new QCPItemText(this);
                    label->position->setCoords(dst, src);
                    label->setFont(f);
                    label->setSelectable(false);
                    m_labels.push_back(label);
                }
        }
        m_devices = n;
    }
    auto valueAt = [this](int src, int dst) {
        return m_unit == Unit::Bytes ? double(m_model->shown().bytes(src, dst)) : m_model->gbPerSecond(src, dst);
    };
    double maxValue = 0;
    for (int src = 0; src < n; ++src)
        for (int dst = 0; dst < n; ++dst)
            maxValue = std::max(maxValue, valueAt(src, dst));
    // Bytes on the colour scale in the binary unit of the largest cell (KiB, MiB, ...).
    double scale = 1;
    if (m_unit == Unit::Bytes) {
        static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        int unit = 0;
        while (unit < 4 && maxValue >= 1024.0 * scale) {
            scale *= 1024.0;
            ++unit;
        }
        m_bytesUnitName = QString::fromLatin1(units[unit]);
    }
    m_cellScale = scale;
    for (int src = 0; src < n; ++src)
        for (int dst = 0; dst < n; ++dst)
            m_map->data()->setCell(dst, src, valueAt(src, dst) / scale);
    maxValue /= scale;
    if (n == 0)
        m_map->data()->fill(0);
    m_map->setDataRange(QCPRange(0, maxValue > 0 ? maxValue : 1));
    m_scale->axis()->setLabel(scaleLabel());
    for (int src = 0; src < n && !m_labels.empty(); ++src)
        for (int dst = 0; dst < n; ++dst) {
            QCPItemText* label = m_labels[size_t(src * n + dst)];
            const double v = valueAt(src, dst);
            label->setText(m_unit == Unit::Bytes ? formatBytes(v) : QStringLiteral("%1").arg(v, 0, 'f', 2));
            // Light text on the dark end of the gradient, dark on the bright end.
            label->setColor(maxValue > 0 && v / scale / maxValue > 0.6 ? Qt::black : Qt::white);
        }
    replot(QCustomPlot::rpQueuedReplot);
}

void TrafficHeatmapView::mouseMoveEvent(QMouseEvent* event)
{
    QCustomPlot::mouseMoveEvent(event);
    const QPointF pos = event->position();
    const int dst = int(std::lround(xAxis->pixelToCoord(pos.x())));
    const int src = int(std::lround(yAxis->pixelToCoord(pos.y())));
    const int n = m_model->devices();
    if (!axisRect()->rect().contains(pos.toPoint()) || src < 0 || dst < 0 || src >= n || dst >= n) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(),
                       m_model->data(m_model->index(src, dst), Qt::ToolTipRole).toString(), this);
}

} // namespace moeui
