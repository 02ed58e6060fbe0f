// link_utilisation_model.h — per directed link (source → destination device): bytes
// moved in the TrafficMatrixModel's window, the time spent in collectives, the rate
// achieved and how much of the link's bandwidth that is. On virtual devices the time and
// every figure derived from it come from the link model and say "estimated".
#pragma once

#include <QAbstractTableModel>
#include <QString>

namespace moeui {

class TrafficMatrixModel;

class LinkUtilisationModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { LinkColumn, BytesColumn, TimeColumn, RateColumn, BandwidthColumn, UtilisationColumn, BasisColumn, ColumnCount };
    enum Role {
        ValueRole = Qt::UserRole + 1, // the raw number: bytes (qulonglong), seconds, GB/s, utilisation (0..1)
        EstimatedRole,                // bool
        SourceRole,                   // int
        DestinationRole,              // int
    };

    explicit LinkUtilisationModel(const TrafficMatrixModel* source, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // The link every pair is judged against (LoadedModel::options.link).
    void setLink(const QString& name, double gbPerSecond);
    double linkGbPerSecond() const { return m_gbPerSecond; }
    QString linkName() const { return m_linkName; }
    // Row of the directed link src → dst (src != dst), -1 when out of range.
    int rowOf(int src, int dst) const;

private:
    void refresh();
    int sourceOf(int row) const;
    int destinationOf(int row) const;

    const TrafficMatrixModel* m_source;
    int m_devices = 0;
    QString m_linkName;
    double m_gbPerSecond = 0;
};

} // namespace moeui
