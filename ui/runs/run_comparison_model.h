// run_comparison_model.h — two profiling runs side by side. RunComparison is the value
// snapshot (both runs, their summaries at capacity factor 1.25 and the summed counts),
// built off the UI thread; RunComparisonModel shows per MoE layer the imbalance
// (max / mean load) and normalized entropy of each run and the difference B − A.
#pragma once

#include "engine_controller.h" // ProfileRunPtr

#include "moe/profiler.h"

#include <QAbstractTableModel>

#include <memory>
#include <vector>

namespace moeui {

struct RunComparison {
    ProfileRunPtr a, b;
    moe::ProfileSummary summaryA, summaryB;
    std::vector<int64_t> totalsA, totalsB; // [moeLayer * numExperts + expert]
    // Per-expert differences need the same shape.
    bool sameShape() const;
};
using RunComparisonPtr = std::shared_ptr<const RunComparison>;

RunComparisonPtr compareProfileRuns(ProfileRunPtr a, ProfileRunPtr b);

class RunComparisonModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Layer, MaxOverMeanA, MaxOverMeanB, MaxOverMeanDelta, EntropyA, EntropyB, EntropyDelta, HottestA,
                  HottestB, ColumnCount };
    static constexpr int ValueRole = Qt::UserRole + 1; // double; NaN where a run lacks the layer

    explicit RunComparisonModel(QObject* parent = nullptr);

    void setComparison(RunComparisonPtr comparison); // null clears
    RunComparisonPtr comparison() const { return m_comparison; }
    double value(int row, Column column) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    RunComparisonPtr m_comparison;
    int m_rows = 0;
};

} // namespace moeui
