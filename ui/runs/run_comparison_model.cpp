#include "runs/run_comparison_model.h"

#include <QBrush>
#include <QColor>

#include <algorithm>
#include <cmath>
#include <limits>

namespace moeui {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const moe::LayerSummary* layerOf(const moe::ProfileSummary& s, int row)
{
    return row < int(s.layers.size()) ? &s.layers[size_t(row)] : nullptr;
}

} // namespace

bool RunComparison::sameShape() const
{
    return a && b && a->numMoeLayers == b->numMoeLayers && a->numExperts == b->numExperts;
}

RunComparisonPtr compareProfileRuns(ProfileRunPtr a, ProfileRunPtr b)
{
    auto c = std::make_shared<RunComparison>();
    c->summaryA = moe::summarizeProfileRun(*a);
    c->summaryB = moe::summarizeProfileRun(*b);
    c->totalsA = a->totalCounts();
    c->totalsB = b->totalCounts();
    c->a = std::move(a);
    c->b = std::move(b);
    return c;
}

RunComparisonModel::RunComparisonModel(QObject* parent) : QAbstractTableModel(parent) {}

void RunComparisonModel::setComparison(RunComparisonPtr comparison)
{
    beginResetModel();
    m_comparison = std::move(comparison);
    m_rows = m_comparison ? int(std::max(m_comparison->summaryA.layers.size(), m_comparison->summaryB.layers.size())) : 0;
    endResetModel();
}

double RunComparisonModel::value(int row, Column column) const
{
    if (!m_comparison || row < 0 || row >= m_rows)
        return kNaN;
    const moe::LayerSummary* a = layerOf(m_comparison->summaryA, row);
    const moe::LayerSummary* b = layerOf(m_comparison->summaryB, row);
    switch (column) {
    case Layer: return a ? a->decoderLayer : b->decoderLayer;
    case MaxOverMeanA: return a ? a->imbalance.maxOverMean : kNaN;
    case MaxOverMeanB: return b ? b->imbalance.maxOverMean : kNaN;
    case MaxOverMeanDelta: return a && b ? b->imbalance.maxOverMean - a->imbalance.maxOverMean : kNaN;
    case EntropyA: return a ? a->imbalance.normalizedEntropy : kNaN;
    case EntropyB: return b ? b->imbalance.normalizedEntropy : kNaN;
    case EntropyDelta: return a && b ? b->imbalance.normalizedEntropy - a->imbalance.normalizedEntropy : kNaN;
    case HottestA: return a ? a->hottestExpert : kNaN;
    case HottestB: return b ? b->hottestExpert : kNaN;
    case ColumnCount: break;
    }
    return kNaN;
}

int RunComparisonModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : m_rows; }

int RunComparisonModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant RunComparisonModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Column col = Column(index.column());
    const double v = value(index.row(), col);
    if (role == ValueRole)
        return v;
    if (role == Qt::DisplayRole) {
        if (std::isnan(v))
            return QStringLiteral("—");
        switch (col) {
        case Layer: return tr("%1 (layer %2)").arg(index.row()).arg(qint64(v));
        case HottestA:
        case HottestB: {
            const moe::LayerSummary* l = layerOf(col == HottestA ? m_comparison->summaryA : m_comparison->summaryB, index.row());
            return tr("#%1 (%2)").arg(qint64(v)).arg(l->hottestCount);
        }
        case MaxOverMeanDelta:
        case EntropyDelta: return QStringLiteral("%1%2").arg(v > 0 ? QStringLiteral("+") : QString()).arg(v, 0, 'f', 3);
        default: return QString::number(v, 'f', 3);
        }
    }
    if (role == Qt::TextAlignmentRole && col != Layer)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    // More imbalance (higher max/mean, lower entropy) in B is drawn red, less green.
    if (role == Qt::ForegroundRole && !std::isnan(v) && v != 0 && (col == MaxOverMeanDelta || col == EntropyDelta)) {
        const bool worse = col == MaxOverMeanDelta ? v > 0 : v < 0;
        return QBrush(worse ? QColor(0xc6, 0x28, 0x28) : QColor(0x2e, 0x7d, 0x32));
    }
    return {};
}

QVariant RunComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || (role != Qt::DisplayRole && role != Qt::ToolTipRole))
        return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case MaxOverMeanA:
        case MaxOverMeanB: return tr("Load of the busiest expert over the mean load (1 = perfectly even)");
        case EntropyA:
        case EntropyB: return tr("Entropy of the expert loads over log(experts) (1 = perfectly even)");
        case HottestA:
        case HottestB: return tr("The busiest expert and the tokens it was chosen for");
        default: return {};
        }
    }
    switch (section) {
    case Layer: return tr("MoE layer");
    case MaxOverMeanA: return tr("A max/mean");
    case MaxOverMeanB: return tr("B max/mean");
    case MaxOverMeanDelta: return tr("Δ max/mean");
    case EntropyA: return tr("A entropy");
    case EntropyB: return tr("B entropy");
    case EntropyDelta: return tr("Δ entropy");
    case HottestA: return tr("A hottest");
    case HottestB: return tr("B hottest");
    }
    return {};
}

} // namespace moeui
