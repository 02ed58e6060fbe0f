// traffic_history_model.h — interconnect bytes per step over time, split by kind of
// collective (all-reduce / dispatch / combine / all-gather / broadcast), for the last
// kMaxSteps steps: the data behind the Interconnect page's time-series chart.
#pragma once

#include "engine_controller.h"

#include <QAbstractTableModel>

#include <array>
#include <cstdint>
#include <deque>
#include <vector>

namespace moeui {

class TrafficHistoryModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int kMaxSteps = 500;
    static constexpr int kKinds = int(moe::TrafficKind::Count);
    // Columns: Step, one per TrafficKind (in enum order), Total, Time.
    enum Column { StepColumn = 0, FirstKindColumn = 1, TotalColumn = 1 + kKinds, TimeColumn, ColumnCount };
    enum Role { ValueRole = Qt::UserRole + 1 }; // qulonglong bytes / step number, double seconds

    struct Row {
        uint64_t step = 0;
        std::array<uint64_t, size_t(kKinds)> kindBytes{};
        uint64_t totalBytes = 0;
        double seconds = 0; // estimated on virtual devices, measured otherwise
        bool estimated = true;
    };

    explicit TrafficHistoryModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void addTelemetry(const TelemetryBatch& batch);
    void clear();
    const Row& row(int i) const { return m_rows[size_t(i)]; }
    // True when some step in the history had bytes of `kind` (the chart hides empty kinds).
    bool hasKind(moe::TrafficKind kind) const;

signals:
    void historyChanged();

private:
    std::deque<Row> m_rows;
    std::vector<Row> m_pending; // scratch for one batch, reused
    std::array<uint64_t, size_t(kKinds)> m_kindTotals{}; // over the rows kept
    int m_devices = 0;
};

} // namespace moeui
