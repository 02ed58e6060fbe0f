#include "experts/layer_imbalance_model.h"

#include "experts/expert_heatmap_model.h"

#include <algorithm>
#include <limits>

namespace moeui {

LayerImbalanceModel::LayerImbalanceModel(const ExpertHeatmapModel* source, QObject* parent)
    : QAbstractTableModel(parent), m_source(source)
{
    connect(source, &ExpertHeatmapModel::countsChanged, this, &LayerImbalanceModel::recompute);
    recompute();
}

int LayerImbalanceModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }

int LayerImbalanceModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

void LayerImbalanceModel::recompute()
{
    const int layers = m_source->layers();
    const int experts = m_source->experts();
    const bool reshaped = size_t(layers) != m_rows.size() || m_source->decoderLayers() != m_decoderLayers;
    if (reshaped)
        beginResetModel();
    m_rows.resize(size_t(layers));
    m_assignments.resize(size_t(layers));
    m_decoderLayers = m_source->decoderLayers();
    m_loads.resize(size_t(experts));
    for (int l = 0; l < layers; ++l) {
        // computeImbalance takes int32 loads; a conversation never gets near 2^31 per expert,
        // but saturate rather than wrap if it did.
        for (int e = 0; e < experts; ++e)
            m_loads[size_t(e)] = int32_t(std::min<int64_t>(m_source->count(l, e), std::numeric_limits<int32_t>::max()));
        m_rows[size_t(l)] = moe::computeImbalance(m_loads.data(), experts, m_source->capacityFactor());
        m_assignments[size_t(l)] = m_source->layerTotal(l);
    }
    if (reshaped)
        endResetModel();
    else if (layers > 0)
        emit dataChanged(index(0, 0), index(layers - 1, ColumnCount - 1));
    emit imbalanceChanged();
}

QVariant LayerImbalanceModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const moe::LayerImbalance& r = m_rows[size_t(index.row())];
    const bool empty = m_assignments[size_t(index.row())] == 0;
    if (role == ValueRole) {
        switch (index.column()) {
        case LayerColumn: return m_decoderLayers[size_t(index.row())];
        case MaxOverMeanColumn: return r.maxOverMean;
        case EntropyColumn: return r.normalizedEntropy;
        case CvColumn: return r.coefficientOfVariation;
        case OverflowColumn: return r.overflowShare;
        case AssignmentsColumn: return QVariant::fromValue<qint64>(m_assignments[size_t(index.row())]);
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case LayerColumn: return m_decoderLayers[size_t(index.row())];
    case MaxOverMeanColumn: return empty ? QStringLiteral("–") : QString::number(r.maxOverMean, 'f', 2);
    case EntropyColumn: return empty ? QStringLiteral("–") : QString::number(r.normalizedEntropy, 'f', 3);
    case CvColumn: return empty ? QStringLiteral("–") : QString::number(r.coefficientOfVariation, 'f', 3);
    case OverflowColumn:
        return empty ? QStringLiteral("–") : QStringLiteral("%1 %").arg(100.0 * r.overflowShare, 0, 'f', 1);
    case AssignmentsColumn: return QVariant::fromValue<qint64>(m_assignments[size_t(index.row())]);
    default: return {};
    }
}

QVariant LayerImbalanceModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical) {
        if (role == Qt::DisplayRole && section >= 0 && section < int(m_rows.size()))
            return section;
        return {};
    }
    if (role == Qt::DisplayRole) {
        switch (section) {
        case LayerColumn: return tr("Layer");
        case MaxOverMeanColumn: return tr("Max / mean");
        case EntropyColumn: return tr("Entropy");
        case CvColumn: return tr("CV");
        case OverflowColumn: return tr("Overflow");
        case AssignmentsColumn: return tr("Assignments");
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case LayerColumn: return tr("Decoder-layer index");
        case MaxOverMeanColumn: return tr("Load of the busiest expert over the mean load (1 = perfectly even)");
        case EntropyColumn: return tr("Entropy of the load distribution over log(experts) (1 = perfectly even)");
        case CvColumn: return tr("Standard deviation over mean of the expert loads");
        case OverflowColumn:
            return tr("Share of token assignments past the capacity (capacity factor %1 × the even share)")
                .arg(m_source->capacityFactor());
        case AssignmentsColumn: return tr("Token → expert assignments counted (tokens × top-k)");
        default: return {};
        }
    }
    return {};
}

} // namespace moeui
