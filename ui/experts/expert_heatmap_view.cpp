#include "experts/expert_heatmap_view.h"

#include "experts/expert_heatmap_model.h"
#include "plot_style.h"

#include <QToolTip>

#include <cmath>

namespace moeui {

namespace {
// Beyond this many overlay bands the plot gets slow and unreadable; the tooltip still
// names the devices.
constexpr size_t kMaxPlacementBands = 3000;
} // namespace

ExpertHeatmapView::ExpertHeatmapView(ExpertHeatmapModel* model, QWidget* parent) : QCustomPlot(parent), m_model(model)
{
    plot::applyDefaultStyle(this);
    setMouseTracking(true);

    m_emptyText = new QCPTextElement(this, QString(), QFont(font().family(), int(font().pointSizeF() * 1.1), QFont::Bold));
    plotLayout()->insertRow(0);
    plotLayout()->addElement(0, 0, m_emptyText);

    const plot::Heatmap heatmap = plot::addHeatmap(this, 1, tr("Expert"), tr("Layer"));
    m_map = heatmap.map;
    m_scale = heatmap.scale;
    m_map->setTightBoundary(false);
    m_map->setDataRange(QCPRange(0, 1));
    m_scale->setDataRange(QCPRange(0, 1));

    connect(model, &ExpertHeatmapModel::countsChanged, this, &ExpertHeatmapView::rebuild);
    connect(model, &ExpertHeatmapModel::placementChanged, this, &ExpertHeatmapView::rebuildPlacement);
    rebuild();
}

void ExpertHeatmapView::setShowPlacement(bool show)
{
    if (show == m_showPlacement)
        return;
    m_showPlacement = show;
    rebuildPlacement();
}

void ExpertHeatmapView::rebuildAxes()
{
    const int rows = m_model->layers(), cols = m_model->experts();
    m_map->data()->setSize(std::max(cols, 1), std::max(rows, 1));
    m_map->data()->setRange(QCPRange(0, std::max(cols - 1, 0)), QCPRange(0, std::max(rows - 1, 0)));
    xAxis->setRange(-0.5, std::max(cols, 1) - 0.5);
    yAxis->setRange(-0.5, std::max(rows, 1) - 0.5);

    // Integer expert ticks, thinned out when there are many.
    auto xTicker = QSharedPointer<QCPAxisTickerFixed>::create();
    xTicker->setTickStep(1.0);
    xTicker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    xTicker->setTickCount(std::min(std::max(cols, 1), 16));
    xAxis->setTicker(xTicker);

    // Rows are labelled with their decoder-layer index (MoE layers need not be contiguous).
    auto yTicker = QSharedPointer<QCPAxisTickerText>::create();
    const int every = std::max(1, rows / 24);
    for (int r = 0; r < rows; r += every)
        yTicker->addTick(r, QString::number(m_model->decoderLayers()[size_t(r)]));
    yAxis->setTicker(yTicker);
    m_rows = rows;
    m_cols = cols;
}

void ExpertHeatmapView::rebuild()
{
    const int rows = m_model->layers(), cols = m_model->experts();
    const bool reshaped = rows != m_rows || cols != m_cols;
    if (reshaped)
        rebuildAxes();
    QCPColorMapData* data = m_map->data();
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            data->setCell(c, r, m_model->normalised(r, c));
    if (rows == 0 || cols == 0)
        data->fill(0);

    const bool perLayer = m_model->normalisation() == ExpertHeatmapModel::Normalisation::PerLayer;
    m_scale->axis()->setLabel(perLayer ? tr("tokens / layer's busiest expert") : tr("tokens / busiest expert overall"));
    if (rows == 0 || cols == 0)
        m_emptyText->setText(tr("No routing data yet: load a model and send a message"));
    else if (m_model->shownSteps() == 0)
        m_emptyText->setText(tr("No steps in this source yet"));
    else
        m_emptyText->setText(QString());
    m_emptyText->setVisible(!m_emptyText->text().isEmpty());
    if (reshaped)
        rebuildPlacement(); // replots
    else
        replot(QCustomPlot::rpQueuedReplot); // telemetry already arrives ≤ 30/s; this coalesces further
}

void ExpertHeatmapView::rebuildPlacement()
{
    for (QCPAbstractItem* item : m_placementItems)
        removeItem(item);
    m_placementItems.clear();
    const int rows = m_model->layers(), cols = m_model->experts();
    if (m_showPlacement && m_model->hasPlacement()) {
        QFont labelFont = font();
        labelFont.setPointSizeF(std::max(6.0, labelFont.pointSizeF() * 0.75));
        // One band per run of neighbouring experts on the same EP group(s), along the
        // bottom quarter of each row, in the group's colour.
        for (int r = 0; r < rows && m_placementItems.size() < kMaxPlacementBands; ++r) {
            int start = 0;
            std::vector<int32_t> groups = m_model->groupsOf(r, 0);
            for (int c = 1; c <= cols; ++c) {
                std::vector<int32_t> next = c < cols ? m_model->groupsOf(r, c) : std::vector<int32_t>{};
                if (c < cols && next == groups)
                    continue;
                const QColor colour = plot::categorical(groups.empty() ? 0 : groups.front());
                auto* band = new QCPItemRect(this);
                band->setClipToAxisRect(true);
                band->topLeft->setCoords(start - 0.5 + 0.04, r + 0.30);
                band->bottomRight->setCoords(c - 0.5 - 0.04, r + 0.46);
                band->setPen(QPen(colour.darker(130), 1, groups.size() > 1 ? Qt::DashLine : Qt::SolidLine));
                band->setBrush(QBrush(colour));
                band->setSelectable(false);
                m_placementItems.push_back(band);
                if (c - start >= 2 || cols <= 16) {
                    QStringList names;
                    for (int32_t g : groups)
                        names << tr("EP%1").arg(g);
                    auto* label = new QCPItemText(this);
                    label->setClipToAxisRect(true);
                    label->position->setCoords((start + c - 1) / 2.0, r + 0.38);
                    label->setText(names.join(QLatin1Char('+')));
                    label->setFont(labelFont);
                    label->setColor(Qt::white);
                    label->setSelectable(false);
                    m_placementItems.push_back(label);
                }
                start = c;
                groups = std::move(next);
            }
        }
    }
    replot(QCustomPlot::rpQueuedReplot);
}

void ExpertHeatmapView::mouseMoveEvent(QMouseEvent* event)
{
    QCustomPlot::mouseMoveEvent(event);
    const QPointF pos = event->position();
    if (!axisRect()->rect().contains(pos.toPoint())) {
        QToolTip::hideText();
        return;
    }
    const int expert = int(std::lround(xAxis->pixelToCoord(pos.x())));
    const int layer = int(std::lround(yAxis->pixelToCoord(pos.y())));
    if (layer < 0 || layer >= m_model->layers() || expert < 0 || expert >= m_model->experts()) {
        QToolTip::hideText();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(),
                       m_model->data(m_model->index(layer, expert), Qt::ToolTipRole).toString(), this);
}

} // namespace moeui
