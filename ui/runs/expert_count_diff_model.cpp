#include "runs/expert_count_diff_model.h"

#include <QBrush>
#include <QColor>

#include <cmath>

namespace moeui {

ExpertCountDiffModel::ExpertCountDiffModel(QObject* parent) : QAbstractTableModel(parent) {}

void ExpertCountDiffModel::setComparison(RunComparisonPtr comparison)
{
    beginResetModel();
    m_comparison = std::move(comparison);
    const bool ok = m_comparison && m_comparison->sameShape();
    m_layers = ok ? int(m_comparison->a->numMoeLayers) : 0;
    m_experts = ok ? int(m_comparison->a->numExperts) : 0;
    m_maxAbs = 0;
    for (int l = 0; l < m_layers; ++l)
        for (int e = 0; e < m_experts; ++e)
            m_maxAbs = std::max(m_maxAbs, std::abs(value(l, e)));
    endResetModel();
}

void ExpertCountDiffModel::setMode(Mode mode)
{
    if (m_mode == mode)
        return;
    m_mode = mode;
    setComparison(m_comparison); // rescales the colours
}

double ExpertCountDiffModel::share(const std::vector<int64_t>& totals, int layer, int expert) const
{
    int64_t sum = 0;
    for (int e = 0; e < m_experts; ++e)
        sum += totals[size_t(layer * m_experts + e)];
    return sum > 0 ? 100.0 * double(totals[size_t(layer * m_experts + expert)]) / double(sum) : 0.0;
}

double ExpertCountDiffModel::value(int layer, int expert) const
{
    if (layer < 0 || layer >= m_layers || expert < 0 || expert >= m_experts)
        return std::nan("");
    const size_t i = size_t(layer * m_experts + expert);
    if (m_mode == Mode::Counts)
        return double(m_comparison->totalsB[i] - m_comparison->totalsA[i]);
    return share(m_comparison->totalsB, layer, expert) - share(m_comparison->totalsA, layer, expert);
}

int ExpertCountDiffModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : m_layers; }

int ExpertCountDiffModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : m_experts; }

QVariant ExpertCountDiffModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const double v = value(index.row(), index.column());
    switch (role) {
    case ValueRole: return v;
    case Qt::DisplayRole:
        if (m_mode == Mode::Counts)
            return QStringLiteral("%1%2").arg(v > 0 ? QStringLiteral("+") : QString()).arg(qint64(v));
        return QStringLiteral("%1%2").arg(v > 0 ? QStringLiteral("+") : QString()).arg(v, 0, 'f', 2);
    case Qt::ToolTipRole: {
        const size_t i = size_t(index.row() * m_experts + index.column());
        return tr("Expert %1 of MoE layer %2\nA: %3 (%4% of the layer)\nB: %5 (%6% of the layer)")
            .arg(index.column())
            .arg(index.row())
            .arg(m_comparison->totalsA[i])
            .arg(share(m_comparison->totalsA, index.row(), index.column()), 0, 'f', 2)
            .arg(m_comparison->totalsB[i])
            .arg(share(m_comparison->totalsB, index.row(), index.column()), 0, 'f', 2);
    }
    case Qt::BackgroundRole: {
        if (m_maxAbs <= 0 || v == 0)
            return {};
        // Red: B uses the expert more; blue: less. Opacity by size.
        const int alpha = int(std::lround(200.0 * std::abs(v) / m_maxAbs));
        return QBrush(v > 0 ? QColor(0xe5, 0x39, 0x35, alpha) : QColor(0x1e, 0x88, 0xe5, alpha));
    }
    case Qt::TextAlignmentRole: return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    default: return {};
    }
}

QVariant ExpertCountDiffModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Horizontal)
        return section >= 0 && section < m_experts ? QVariant(tr("E%1").arg(section)) : QVariant();
    if (section < 0 || section >= m_layers)
        return {};
    const auto& layers = m_comparison->a->moeLayers;
    return section < int(layers.size()) ? tr("L%1").arg(layers[size_t(section)]) : tr("MoE %1").arg(section);
}

} // namespace moeui
