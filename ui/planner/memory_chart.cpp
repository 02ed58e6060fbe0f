#include "planner/memory_chart.h"

#include "format.h"

#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>

namespace moeui {
namespace {

constexpr double kBarWidth = 0.6;

} // namespace

MemoryChart::MemoryChart(QWidget* parent) : QWidget(parent), m_plot(new QCustomPlot(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    m_plot->setMinimumHeight(220);

    const struct {
        QString name;
        QColor color;
    } stacks[] = {
        {tr("Weights"), QColor(0x42, 0x85, 0xf4)},
        {tr("KV cache"), QColor(0xfb, 0xbc, 0x04)},
        {tr("Activations"), QColor(0x34, 0xa8, 0x53)},
        {tr("Overhead (CUDA context, workspace)"), QColor(0x9e, 0x9e, 0x9e)},
    };
    QCPBars* below = nullptr;
    for (const auto& s : stacks) {
        auto* bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
        bars->setName(s.name);
        bars->setWidth(kBarWidth);
        bars->setPen(QPen(s.color.darker(130)));
        bars->setBrush(s.color);
        if (below)
            bars->moveAbove(below);
        below = bars;
        m_stacks.push_back(bars);
    }
    m_plot->yAxis->setLabel(tr("GB per GPU"));
    m_plot->yAxis->setNumberFormat(QStringLiteral("f"));
    m_plot->yAxis->setNumberPrecision(0);
    m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
    m_plot->xAxis->grid()->setVisible(false);
    // The capacity lines are items (one segment per bar: scenarios may use different GPUs);
    // empty graphs with the same pens give them legend entries.
    auto* usable = m_plot->addGraph();
    usable->setName(tr("Usable memory (GPU memory × usable fraction)"));
    usable->setPen(QPen(QColor(0xc6, 0x28, 0x28), 2));
    auto* full = m_plot->addGraph();
    full->setName(tr("GPU memory"));
    full->setPen(QPen(QColor(0x60, 0x60, 0x60), 1.5, Qt::DashLine));

    // Legend in a row under the axes, so it never covers a bar.
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(font());
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->axisRect()->insetLayout()->simplify();
    m_plot->plotLayout()->addElement(1, 0, m_plot->legend);
    m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
    setColumns({});
}

void MemoryChart::setColumns(const std::vector<PlanColumn>& columns)
{
    m_plot->clearItems();
    QVector<double> keys;
    QVector<double> values[4];
    auto ticker = qSharedPointerCast<QCPAxisTickerText>(m_plot->xAxis->ticker());
    ticker->clear();
    double top = 1;
    for (size_t i = 0; i < columns.size(); ++i) {
        const PlanColumn& c = columns[i];
        const double x = double(i + 1);
        keys.append(x);
        ticker->addTick(x, c.title);
        if (!c.valid()) {
            for (auto& v : values)
                v.append(0);
            auto* label = new QCPItemText(m_plot);
            label->position->setCoords(x, 0);
            label->setPositionAlignment(Qt::AlignBottom | Qt::AlignHCenter);
            label->setText(tr("invalid"));
            label->setColor(QColor(0xc6, 0x28, 0x28));
            continue;
        }
        const moe::MemoryBreakdown& m = c.result.perGpu;
        values[0].append(m.weights() / 1e9);
        values[1].append(m.kvCache / 1e9);
        values[2].append(m.activations / 1e9);
        values[3].append(m.overhead / 1e9);
        const double usableGb = c.result.usableBytesPerGpu / 1e9;
        const double memoryGb = double(c.input->gpu.memoryBytes) / 1e9;

        auto segment = [&](double y, const QPen& pen) {
            auto* line = new QCPItemLine(m_plot);
            line->start->setCoords(x - 0.45, y);
            line->end->setCoords(x + 0.45, y);
            line->setPen(pen);
        };
        segment(usableGb, QPen(QColor(0xc6, 0x28, 0x28), 2));
        segment(memoryGb, QPen(QColor(0x60, 0x60, 0x60), 1.5, Qt::DashLine));

        auto* label = new QCPItemText(m_plot);
        const double barTop = m.total() / 1e9;
        label->position->setCoords(x, std::max(barTop, memoryGb));
        label->setPositionAlignment(Qt::AlignBottom | Qt::AlignHCenter);
        label->setPadding(QMargins(2, 2, 2, 6)); // clear of the capacity line
        label->setText(c.result.fits ? tr("fits, %1 spare\nusable %2 of %3")
                                           .arg(formatGb(c.result.marginBytes), formatGb(c.result.usableBytesPerGpu),
                                                formatGb(double(c.input->gpu.memoryBytes)))
                                     : tr("short by %1\nusable %2 of %3")
                                           .arg(formatGb(-c.result.marginBytes), formatGb(c.result.usableBytesPerGpu),
                                                formatGb(double(c.input->gpu.memoryBytes))));
        label->setColor(c.result.fits ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc6, 0x28, 0x28));
        QFont bold = font();
        bold.setBold(true);
        label->setFont(bold);
        top = std::max({top, barTop, memoryGb});
    }
    for (size_t s = 0; s < m_stacks.size(); ++s)
        m_stacks[s]->setData(keys, values[s], true);
    m_plot->xAxis->setRange(0.4, double(columns.size()) + 0.6);
    // Headroom for the labels above the bars.
    m_plot->yAxis->setRange(0, top * 1.3);
    m_plot->replot();
}

std::vector<std::vector<double>> MemoryChart::stackedGb() const
{
    std::vector<std::vector<double>> out;
    for (QCPBars* bars : m_stacks) {
        std::vector<double> v;
        for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it)
            v.push_back(it->value);
        out.push_back(std::move(v));
    }
    return out;
}

bool MemoryChart::savePng(const QString& path, int width, int height)
{
    return m_plot->savePng(path, width, height);
}

bool MemoryChart::savePdf(const QString& path, int width, int height)
{
    return m_plot->savePdf(path, width, height);
}

} // namespace moeui
