#include "interconnect/traffic_history_model.h"

#include "format.h"

namespace moeui {

TrafficHistoryModel::TrafficHistoryModel(QObject* parent) : QAbstractTableModel(parent) {}

int TrafficHistoryModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }

int TrafficHistoryModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

bool TrafficHistoryModel::hasKind(moe::TrafficKind kind) const { return m_kindTotals[size_t(kind)] > 0; }

QVariant TrafficHistoryModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& r = m_rows[size_t(index.row())];
    const int c = index.column();
    if (role == ValueRole) {
        if (c == StepColumn)
            return QVariant::fromValue<qulonglong>(r.step);
        if (c >= FirstKindColumn && c < FirstKindColumn + kKinds)
            return QVariant::fromValue<qulonglong>(r.kindBytes[size_t(c - FirstKindColumn)]);
        if (c == TotalColumn)
            return QVariant::fromValue<qulonglong>(r.totalBytes);
        if (c == TimeColumn)
            return r.seconds;
        return {};
    }
    if (role == Qt::TextAlignmentRole)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    if (c == StepColumn)
        return QVariant::fromValue<qulonglong>(r.step);
    if (c >= FirstKindColumn && c < FirstKindColumn + kKinds)
        return formatBytes(double(r.kindBytes[size_t(c - FirstKindColumn)]));
    if (c == TotalColumn)
        return formatBytes(double(r.totalBytes));
    if (c == TimeColumn)
        return r.estimated ? tr("%1 (estimated)").arg(formatSeconds(r.seconds)) : formatSeconds(r.seconds);
    return {};
}

QVariant TrafficHistoryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole || orientation != Qt::Horizontal)
        return {};
    if (section == StepColumn)
        return tr("Step");
    if (section >= FirstKindColumn && section < FirstKindColumn + kKinds) {
        switch (moe::TrafficKind(section - FirstKindColumn)) {
        case moe::TrafficKind::AllReduce: return tr("All-reduce");
        case moe::TrafficKind::Dispatch: return tr("Dispatch");
        case moe::TrafficKind::Combine: return tr("Combine");
        case moe::TrafficKind::AllGather: return tr("All-gather");
        case moe::TrafficKind::Broadcast: return tr("Broadcast");
        case moe::TrafficKind::Count: break;
        }
        return {};
    }
    if (section == TotalColumn)
        return tr("Total");
    if (section == TimeColumn)
        return tr("Time in collectives");
    return {};
}

void TrafficHistoryModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_kindTotals.fill(0);
    endResetModel();
    emit historyChanged();
}

void TrafficHistoryModel::addTelemetry(const TelemetryBatch& batch)
{
    m_pending.clear(); // keeps its capacity
    for (const moe::StepTelemetryPtr& s : batch) {
        if (!s || s->traffic.devices < 2)
            continue; // one device: nothing crosses an interconnect
        const moe::TrafficMatrix& m = s->traffic;
        if (m.devices != m_devices) { // another model: its history starts afresh
            m_pending.clear();
            if (!m_rows.empty())
                clear();
            m_devices = m.devices;
        }
        Row r;
        r.step = s->step;
        const size_t pairs = size_t(m.devices) * size_t(m.devices);
        const size_t blocks = m.bytes.size() / pairs;
        for (size_t block = 0; block < blocks; ++block) { // [layer][kind] blocks of pairs
            const uint64_t* b = m.bytes.data() + block * pairs;
            uint64_t sum = 0;
            for (size_t p = 0; p < pairs; ++p)
                sum += b[p];
            r.kindBytes[block % size_t(kKinds)] += sum;
            r.totalBytes += sum;
        }
        r.estimated = m.estimated;
        r.seconds = m.estimated ? m.estimatedSeconds : m.measuredSeconds;
        m_pending.push_back(r);
    }
    if (m_pending.empty())
        return;
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + int(m_pending.size()) - 1);
    for (const Row& r : m_pending) {
        m_rows.push_back(r);
        for (int k = 0; k < kKinds; ++k)
            m_kindTotals[size_t(k)] += r.kindBytes[size_t(k)];
    }
    endInsertRows();
    const int excess = int(m_rows.size()) - kMaxSteps;
    if (excess > 0) {
        beginRemoveRows({}, 0, excess - 1);
        for (int i = 0; i < excess; ++i) {
            for (int k = 0; k < kKinds; ++k)
                m_kindTotals[size_t(k)] -= m_rows.front().kindBytes[size_t(k)];
            m_rows.pop_front();
        }
        endRemoveRows();
    }
    emit historyChanged();
}

} // namespace moeui
