// expert_count_diff_model.h — how two profiling runs route differently, expert by
// expert: rows are MoE layers, columns experts, each cell run B's count minus run A's
// (or, in share mode, the difference of each expert's share of its layer in percentage
// points, fair when the runs processed different numbers of tokens). Empty when the
// runs' shapes (layers × experts) differ.
#pragma once

#include "runs/run_comparison_model.h"

#include <QAbstractTableModel>

namespace moeui {

class ExpertCountDiffModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum class Mode { Counts, SharePoints };
    static constexpr int ValueRole = Qt::UserRole + 1; // double

    explicit ExpertCountDiffModel(QObject* parent = nullptr);

    void setComparison(RunComparisonPtr comparison);
    void setMode(Mode mode);
    Mode mode() const { return m_mode; }
    double value(int layer, int expert) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    double share(const std::vector<int64_t>& totals, int layer, int expert) const;

    RunComparisonPtr m_comparison;
    Mode m_mode = Mode::Counts;
    int m_layers = 0;
    int m_experts = 0;
    double m_maxAbs = 0; // for the colour scale
};

} // namespace moeui
