#include "experts/imbalance_chart.h"

#include "experts/layer_imbalance_model.h"
#include "plot_style.h"

#include <algorithm>

namespace moeui {

ImbalanceChart::ImbalanceChart(LayerImbalanceModel* model, QWidget* parent) : QCustomPlot(parent), m_model(model)
{
    plot::applyDefaultStyle(this);
    yAxis2->setVisible(true);
    xAxis->setLabel(tr("Layer"));
    yAxis->setLabel(tr("max / mean load"));
    yAxis2->setLabel(tr("normalised entropy"));
    yAxis2->setRange(0, 1.05);
    xAxis->grid()->setVisible(false);

    m_bars = new QCPBars(xAxis, yAxis);
    m_bars->setName(tr("max / mean (1 = even)"));
    m_bars->setWidth(0.6);
    const QColor barColour = plot::categorical(0);
    m_bars->setPen(QPen(barColour.darker(120)));
    m_bars->setBrush(barColour.lighter(115));

    m_entropy = new QCPGraph(xAxis, yAxis2);
    m_entropy->setName(tr("normalised entropy (1 = even)"));
    const QColor lineColour = plot::categorical(1);
    m_entropy->setPen(QPen(lineColour, 2));
    m_entropy->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, lineColour, Qt::white, 6));

    m_evenLine = new QCPItemStraightLine(this);
    m_evenLine->point1->setCoords(0, 1);
    m_evenLine->point2->setCoords(1, 1);
    m_evenLine->setPen(QPen(QColor(0x80, 0x80, 0x80), 1, Qt::DashLine));
    m_evenLine->setSelectable(false);

    legend->setVisible(true);
    legend->setBrush(QColor(255, 255, 255, 220));
    legend->setBorderPen(QPen(QColor(0xc0, 0xc0, 0xc0)));
    QFont legendFont = font();
    legendFont.setPointSizeF(std::max(7.0, legendFont.pointSizeF() * 0.85));
    legend->setFont(legendFont);
    // Below the plot, in one row: inside it would cover the bars or the line.
    axisRect()->insetLayout()->take(legend);
    axisRect()->insetLayout()->simplify();
    auto* legendRow = new QCPLayoutGrid;
    plotLayout()->addElement(1, 0, legendRow);
    legendRow->setMargins(QMargins(0, 0, 0, 4));
    legendRow->addElement(0, 0, legend);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setBorderPen(Qt::NoPen);
    plotLayout()->setRowStretchFactor(1, 0.001);

    connect(model, &LayerImbalanceModel::imbalanceChanged, this, &ImbalanceChart::rebuild);
    rebuild();
}

void ImbalanceChart::rebuild()
{
    const int rows = m_model->rowCount();
    QVector<double> keys(rows), ratio(rows), entropy(rows);
    double maxRatio = 1.0;
    for (int r = 0; r < rows; ++r) {
        keys[r] = r;
        const moe::LayerImbalance& im = m_model->imbalance(r);
        ratio[r] = im.maxOverMean;
        entropy[r] = im.normalizedEntropy;
        maxRatio = std::max(maxRatio, im.maxOverMean);
    }
    m_bars->setData(keys, ratio, true);
    m_entropy->setData(keys, entropy, true);
    if (rows != m_rows) {
        auto ticker = QSharedPointer<QCPAxisTickerText>::create();
        const int every = std::max(1, rows / 24);
        for (int r = 0; r < rows; r += every)
            ticker->addTick(r, QString::number(m_model->decoderLayer(r)));
        xAxis->setTicker(ticker);
        xAxis->setRange(-0.6, std::max(rows, 1) - 0.4);
        m_rows = rows;
    }
    yAxis->setRange(0, maxRatio * 1.15);
    replot(QCustomPlot::rpQueuedReplot);
}

} // namespace moeui
