#include "planner/layout_options_model.h"

#include "format.h"

namespace moeui {

LayoutOptionsModel::LayoutOptionsModel(QObject* parent) : QAbstractTableModel(parent) {}

void LayoutOptionsModel::setOptions(std::vector<moe::LayoutOption> options)
{
    beginResetModel();
    m_options = std::move(options);
    endResetModel();
}

int LayoutOptionsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_options.size());
}

int LayoutOptionsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant LayoutOptionsModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const moe::LayoutOption& o = m_options[size_t(index.row())];
    const moe::PlanResult& r = o.result;
    if (role == ValueRole) {
        switch (index.column()) {
        case Family: return QString::fromStdString(o.family);
        case Gpu: return QString::fromStdString(o.gpu.key);
        case Count: return qint64(o.layout.gpuCount());
        case Layout: return QString::fromStdString(o.layout.describe());
        case UsdPerHour: return r.cost.usdPerHour;
        case UsdPerMillionTokens: return r.cost.usdPerMillionTokens;
        case DecodeTokensPerSecond: return r.decode.tokensPerSecond;
        case Margin: return r.marginBytes;
        case MaxConcurrentSequences: return qint64(r.maxConcurrentSequences);
        }
        return {};
    }
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Family: return QString::fromStdString(o.family);
        case Gpu: return QString::fromStdString(o.gpu.name);
        case Count: return QString::number(o.layout.gpuCount());
        case Layout: return QString::fromStdString(o.layout.describe());
        case UsdPerHour: return formatUsd(r.cost.usdPerHour);
        case UsdPerMillionTokens: return formatUsd(r.cost.usdPerMillionTokens);
        case DecodeTokensPerSecond: return formatRate(r.decode.tokensPerSecond);
        case Margin: return tr("%1 spare").arg(formatGb(r.marginBytes));
        case MaxConcurrentSequences: return QString::number(r.maxConcurrentSequences);
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole && index.column() >= Count && index.column() != Layout)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant LayoutOptionsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Family: return tr("Layout family");
    case Gpu: return tr("GPU");
    case Count: return tr("GPUs");
    case Layout: return tr("Layout");
    case UsdPerHour: return tr("$ / hour");
    case UsdPerMillionTokens: return tr("$ / M tokens");
    case DecodeTokensPerSecond: return tr("Decode, whole batch");
    case Margin: return tr("Margin / GPU");
    case MaxConcurrentSequences: return tr("Max sequences");
    }
    return {};
}

} // namespace moeui
