#include "interconnect/link_utilisation_model.h"

#include "format.h"
#include "interconnect/traffic_matrix_model.h"

#include <QColor>
#include <QFont>

namespace moeui {

LinkUtilisationModel::LinkUtilisationModel(const TrafficMatrixModel* source, QObject* parent)
    : QAbstractTableModel(parent), m_source(source)
{
    const moe::LinkModel link = moe::LinkModel::nvlink4();
    m_linkName = QString::fromStdString(link.name);
    m_gbPerSecond = link.gbPerSecond;
    connect(source, &TrafficMatrixModel::trafficChanged, this, &LinkUtilisationModel::refresh);
    refresh();
}

int LinkUtilisationModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_devices * (m_devices - 1);
}

int LinkUtilisationModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

// Rows run over src, then dst, skipping dst == src: row = src * (devices - 1) + dst',
// dst' = dst - (dst > src).
int LinkUtilisationModel::sourceOf(int row) const { return row / (m_devices - 1); }

int LinkUtilisationModel::destinationOf(int row) const
{
    const int src = sourceOf(row);
    const int d = row % (m_devices - 1);
    return d >= src ? d + 1 : d;
}

int LinkUtilisationModel::rowOf(int src, int dst) const
{
    if (src < 0 || dst < 0 || src >= m_devices || dst >= m_devices || src == dst)
        return -1;
    return src * (m_devices - 1) + (dst > src ? dst - 1 : dst);
}

void LinkUtilisationModel::setLink(const QString& name, double gbPerSecond)
{
    m_linkName = name;
    m_gbPerSecond = gbPerSecond;
    if (rowCount() > 0)
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    emit headerDataChanged(Qt::Horizontal, 0, ColumnCount - 1);
}

void LinkUtilisationModel::refresh()
{
    const int devices = m_source->devices();
    if (devices != m_devices) {
        beginResetModel();
        m_devices = devices;
        endResetModel();
    } else if (rowCount() > 0) {
        emit dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    }
}

QVariant LinkUtilisationModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TrafficTotals& t = m_source->shown();
    const int src = sourceOf(index.row()), dst = destinationOf(index.row());
    const uint64_t bytes = t.pairBytes.empty() ? 0 : t.bytes(src, dst);
    const double seconds = t.seconds();
    const double rate = seconds > 0 ? double(bytes) / seconds / 1e9 : 0.0;
    const double utilisation = m_gbPerSecond > 0 ? rate / m_gbPerSecond : 0.0;
    const bool estimated = t.estimated;
    const QString est = tr("estimated");

    switch (role) {
    case SourceRole: return src;
    case DestinationRole: return dst;
    case EstimatedRole: return estimated;
    case ValueRole:
        switch (index.column()) {
        case BytesColumn: return QVariant::fromValue<qulonglong>(bytes);
        case TimeColumn: return seconds;
        case RateColumn: return rate;
        case BandwidthColumn: return m_gbPerSecond;
        case UtilisationColumn: return utilisation;
        default: return {};
        }
    case Qt::DisplayRole:
        switch (index.column()) {
        case LinkColumn: return tr("device %1 → device %2").arg(src).arg(dst);
        case BytesColumn: return formatBytes(double(bytes));
        case TimeColumn: return estimated ? tr("%1 (%2)").arg(formatSeconds(seconds), est) : formatSeconds(seconds);
        case RateColumn: {
            const QString text = tr("%1 GB/s").arg(rate, 0, 'f', 2);
            return estimated ? tr("%1 (%2)").arg(text, est) : text;
        }
        case BandwidthColumn: return tr("%1 GB/s").arg(m_gbPerSecond, 0, 'f', 1);
        case UtilisationColumn: {
            // Decode steps on a fast link use a sliver of it: keep two significant digits.
            const double percent = 100.0 * utilisation;
            const QString text =
                QStringLiteral("%1 %").arg(percent, 0, 'f', percent >= 10 ? 1 : percent >= 0.1 ? 2 : 3);
            return estimated ? tr("%1 (%2)").arg(text, est) : text;
        }
        case BasisColumn:
            return estimated ? tr("estimated (link model)") : tr("measured");
        default: return {};
        }
    case Qt::ToolTipRole:
        if (estimated)
            return tr("Virtual CPU devices: the bytes were really copied, but the time is what the %1 link model "
                      "predicts for them, not a measurement.")
                .arg(t.link.empty() ? m_linkName : QString::fromStdString(t.link));
        return tr("Measured wall time inside the collectives of this window.");
    case Qt::FontRole:
        if (estimated && index.column() >= TimeColumn && index.column() != BandwidthColumn) {
            QFont f;
            f.setItalic(true);
            return f;
        }
        return {};
    case Qt::ForegroundRole:
        if (estimated && index.column() == BasisColumn)
            return QColor(0xb3, 0x5c, 0x00);
        return {};
    case Qt::TextAlignmentRole:
        return index.column() == LinkColumn || index.column() == BasisColumn ? int(Qt::AlignLeft | Qt::AlignVCenter)
                                                                             : int(Qt::AlignRight | Qt::AlignVCenter);
    default: return {};
    }
}

QVariant LinkUtilisationModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case LinkColumn: return tr("Link");
        case BytesColumn: return tr("Bytes");
        case TimeColumn: return tr("Time");
        case RateColumn: return tr("Achieved");
        case BandwidthColumn: return tr("Link bandwidth");
        case UtilisationColumn: return tr("Utilisation");
        case BasisColumn: return tr("Basis");
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case TimeColumn: return tr("Time spent in collectives over the window");
        case RateColumn: return tr("Bytes over the time, in GB/s (10^9 bytes per second)");
        case BandwidthColumn: return tr("Per direction, of the %1 link").arg(m_linkName);
        case UtilisationColumn: return tr("Achieved rate over the link bandwidth");
        default: return {};
        }
    }
    return {};
}

} // namespace moeui
