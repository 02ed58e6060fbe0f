// run_comparison_view.h — the Runs page's comparison of two profiling runs: a caption
// naming runs A and B, the per-layer imbalance table and the per-expert difference
// table (tokens or share of the layer). It owns both models.
#pragma once

#include "runs/run_comparison_model.h"

#include <QWidget>

class QComboBox;
class QLabel;

namespace moeui {

class ExpertCountDiffModel;

class RunComparisonView : public QWidget {
    Q_OBJECT
public:
    explicit RunComparisonView(QWidget* parent = nullptr);

    void setComparison(RunComparisonPtr comparison); // null clears
    RunComparisonPtr comparison() const;
    bool involves(qint64 runId) const;

    RunComparisonModel* layerModel() const { return m_layers; }
    ExpertCountDiffModel* diffModel() const { return m_diff; }

private:
    RunComparisonModel* m_layers = nullptr;
    ExpertCountDiffModel* m_diff = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_note = nullptr;
    QComboBox* m_mode = nullptr;
};

} // namespace moeui
