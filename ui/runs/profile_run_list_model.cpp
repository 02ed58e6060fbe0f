#include "runs/profile_run_list_model.h"

#include "format.h"

#include <QDateTime>
#include <QLocale>

namespace moeui {
namespace {

QString localDate(const std::string& iso)
{
    const QDateTime t = QDateTime::fromString(QString::fromStdString(iso), Qt::ISODate);
    return t.isValid() ? QLocale().toString(t.toLocalTime(), QLocale::ShortFormat) : QString::fromStdString(iso);
}

} // namespace

ProfileRunListModel::ProfileRunListModel(QObject* parent) : QAbstractTableModel(parent) {}

void ProfileRunListModel::setRuns(std::vector<moe::ProfileRunSummary> runs)
{
    beginResetModel();
    m_runs = std::move(runs);
    endResetModel();
}

const moe::ProfileRunSummary* ProfileRunListModel::runAt(int row) const
{
    return row >= 0 && row < int(m_runs.size()) ? &m_runs[size_t(row)] : nullptr;
}

int ProfileRunListModel::rowOfId(qint64 id) const
{
    for (size_t i = 0; i < m_runs.size(); ++i)
        if (m_runs[i].id == id)
            return int(i);
    return -1;
}

int ProfileRunListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_runs.size());
}

int ProfileRunListModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant ProfileRunListModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const moe::ProfileRunSummary& r = m_runs[size_t(index.row())];
    if (role == IdRole)
        return QVariant::fromValue<qint64>(r.id);
    if (role == ValueRole) {
        switch (index.column()) {
        case Name: return QString::fromStdString(r.name);
        case Model: return QString::fromStdString(r.modelName);
        case Architecture: return QString::fromStdString(r.architecture);
        case Shape: return QVariantList{qint64(r.numMoeLayers), qint64(r.numExperts), qint64(r.topK)};
        case Created: return QString::fromStdString(r.createdAt);
        case Prompts: return qint64(r.promptCount);
        case Tokens: return qint64(r.totalTokens);
        case Size: return qint64(r.storedBytes);
        case RandomWeights: return r.randomWeights;
        }
        return {};
    }
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Name: return QString::fromStdString(r.name);
        case Model: return QString::fromStdString(r.modelName);
        case Architecture: return QString::fromStdString(r.architecture);
        case Shape: return tr("%1 × %2, top-%3").arg(r.numMoeLayers).arg(r.numExperts).arg(r.topK);
        case Created: return localDate(r.createdAt);
        case Prompts: return QString::number(r.promptCount);
        case Tokens: return QLocale().toString(qint64(r.totalTokens));
        case Size: return formatBytes(double(r.storedBytes));
        case RandomWeights: return r.randomWeights ? tr("random") : QString();
        }
        return {};
    }
    if (role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Model: return QString::fromStdString(r.modelPath);
        case Shape: return tr("%1 MoE layers, %2 experts each, %3 chosen per token").arg(r.numMoeLayers).arg(r.numExperts).arg(r.topK);
        case Tokens: return tr("%1 steps, %2 traced tokens").arg(r.stepCount).arg(r.traceCount);
        case RandomWeights:
            return r.randomWeights ? tr("Made with random weights: its routing says nothing about a trained model") : QString();
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole && (index.column() == Prompts || index.column() == Tokens || index.column() == Size))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant ProfileRunListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name: return tr("Run");
    case Model: return tr("Model");
    case Architecture: return tr("Architecture");
    case Shape: return tr("Layers × experts");
    case Created: return tr("Recorded");
    case Prompts: return tr("Prompts");
    case Tokens: return tr("Tokens");
    case Size: return tr("Stored");
    case RandomWeights: return tr("Weights");
    }
    return {};
}

} // namespace moeui
