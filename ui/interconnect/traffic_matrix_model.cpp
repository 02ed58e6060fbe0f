#include "interconnect/traffic_matrix_model.h"

#include "format.h"

#include <algorithm>

namespace moeui {

uint64_t TrafficTotals::totalBytes() const
{
    uint64_t sum = 0;
    for (uint64_t b : pairBytes)
        sum += b;
    return sum;
}

void TrafficTotals::reset(int32_t d)
{
    devices = d;
    pairBytes.assign(size_t(d) * size_t(d), 0);
    kindBytes.fill(0);
    measuredSeconds = estimatedSeconds = 0;
    estimated = true;
    link.clear();
    steps = collectives = 0;
}

void TrafficTotals::add(const moe::TrafficMatrix& m)
{
    // One pass over [((layer * kinds + kind) * devices + src) * devices + dst].
    const size_t pairs = size_t(devices) * size_t(devices);
    const size_t blocks = pairs ? m.bytes.size() / pairs : 0;
    for (size_t block = 0; block < blocks; ++block) {
        const size_t kind = block % size_t(moe::kTrafficKinds);
        const uint64_t* b = m.bytes.data() + block * pairs;
        for (size_t p = 0; p < pairs; ++p) {
            pairBytes[p] += b[p];
            kindBytes[kind] += b[p];
        }
    }
    measuredSeconds += m.measuredSeconds;
    estimatedSeconds += m.estimatedSeconds;
    estimated = m.estimated;
    link = m.link;
    collectives += m.collectives;
    ++steps;
}

TrafficMatrixModel::TrafficMatrixModel(QObject* parent) : QAbstractTableModel(parent) {}

int TrafficMatrixModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : m_devices; }

int TrafficMatrixModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : m_devices; }

double TrafficMatrixModel::gbPerSecond(int src, int dst) const
{
    const TrafficTotals& t = shown();
    const double seconds = t.seconds();
    return seconds > 0 ? double(t.bytes(src, dst)) / seconds / 1e9 : 0.0;
}

QVariant TrafficMatrixModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TrafficTotals& t = shown();
    const int src = index.row(), dst = index.column();
    const uint64_t bytes = t.bytes(src, dst);
    switch (role) {
    case Qt::DisplayRole:
    case BytesRole: return QVariant::fromValue<qulonglong>(bytes);
    case GbPerSecondRole: return gbPerSecond(src, dst);
    case EstimatedRole: return t.estimated;
    case ShareRole: return m_maxPairBytes > 0 ? double(bytes) / double(m_maxPairBytes) : 0.0;
    case Qt::TextAlignmentRole: return int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole: {
        const QString window = m_window == Window::LastStep ? tr("the last step")
                               : t.steps == 1                ? tr("1 step")
                                                             : tr("%1 steps").arg(t.steps);
        QString rate = tr("%1 GB/s").arg(gbPerSecond(src, dst), 0, 'f', 2);
        if (t.estimated)
            rate = tr("%1, estimated on the %2 link model").arg(rate, QString::fromStdString(t.link));
        return tr("device %1 → device %2: %3 over %4\n%5")
            .arg(src)
            .arg(dst)
            .arg(formatBytes(double(bytes)), window, rate);
    }
    default: return {};
    }
}

QVariant TrafficMatrixModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (section < 0 || section >= m_devices)
        return {};
    if (role == Qt::DisplayRole)
        return tr("device %1").arg(section);
    if (role == Qt::ToolTipRole)
        return orientation == Qt::Vertical ? tr("sent by device %1").arg(section) : tr("received by device %1").arg(section);
    return {};
}

void TrafficMatrixModel::setWindow(Window window)
{
    if (window == m_window)
        return;
    m_window = window;
    refresh(false);
}

void TrafficMatrixModel::clear()
{
    m_last.reset(m_devices);
    m_session.reset(m_devices);
    refresh(false);
}

void TrafficMatrixModel::addTelemetry(const TelemetryBatch& batch)
{
    bool changed = false, reshaped = false;
    for (const moe::StepTelemetryPtr& s : batch) {
        if (!s || s->traffic.devices < 2)
            continue; // one device: nothing crosses an interconnect
        const moe::TrafficMatrix& m = s->traffic;
        if (m.devices != m_session.devices) {
            m_session.reset(m.devices);
            reshaped = true;
        }
        m_last.reset(m.devices); // keeps the storage once sized
        m_last.add(m);
        m_session.add(m);
        changed = true;
    }
    if (changed)
        refresh(reshaped);
}

void TrafficMatrixModel::refresh(bool reshaped)
{
    const int devices = m_session.devices;
    reshaped = reshaped || devices != m_devices;
    if (reshaped)
        beginResetModel();
    m_devices = devices;
    const TrafficTotals& t = shown();
    m_maxPairBytes = t.pairBytes.empty() ? 0 : *std::max_element(t.pairBytes.begin(), t.pairBytes.end());
    if (reshaped)
        endResetModel();
    else if (m_devices > 0)
        emit dataChanged(index(0, 0), index(m_devices - 1, m_devices - 1));
    emit trafficChanged();
}

} // namespace moeui
