// plan_result_model.h — the planner's figures as a table: one row per figure (memory
// per GPU, fits / margin, concurrency, decode / prefill speed, cost), one column per
// scenario (the form's current one first, then the saved ones picked for comparison).
// DisplayRole is the formatted text, ValueRole the raw number in the unit the row
// names (bytes, tokens/s, seconds, USD) — the same number `moe plan --json` prints.
#pragma once

#include "moe/plan_scenario.h"

#include <QAbstractTableModel>
#include <QString>

#include <optional>
#include <vector>

namespace moeui {

// One scenario's plan: the inputs it came from and its result, or why it has none.
struct PlanColumn {
    QString title;
    qint64 scenarioId = 0; // 0 = the form's current scenario
    nlohmann::json scenario = nlohmann::json::object();
    std::optional<moe::PlanInput> input; // empty when the scenario is invalid
    moe::PlanResult result;
    QString error; // set when input is empty

    bool valid() const { return input.has_value(); }
};

class PlanResultModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Figure {
        ModelName, Format, Hardware, Layout,
        AttentionWeightsPerGpu, ExpertWeightsPerGpu, SharedExpertWeightsPerGpu, EmbeddingWeightsPerGpu,
        OtherWeightsPerGpu, WeightsPerGpu, KvCachePerGpu, ActivationsPerGpu, OverheadPerGpu, TotalPerGpu,
        UsablePerGpu, GpuMemory, Fits, MarginPerGpu, MaxConcurrentSequences,
        DecodeTokensPerSecondPerSequence, DecodeTokensPerSecond, DecodeBound, PrefillTokensPerSecond,
        TimeToFirstToken, UsdPerHour, UsdPerMillionTokens, UsdPerMonth,
        FigureCount
    };
    Q_ENUM(Figure)
    static constexpr int ValueRole = Qt::UserRole + 1; // double (bool for Fits, text rows: string)

    explicit PlanResultModel(QObject* parent = nullptr);

    // Replaces every column (current first). A reset: the number of columns changes.
    void setColumns(std::vector<PlanColumn> columns);
    // Updates the first column only (typing in the form), keeping the saved ones.
    void setCurrent(PlanColumn column);
    const std::vector<PlanColumn>& columns() const { return m_columns; }

    // The raw figure of a column; NaN when the column has no valid plan.
    double value(Figure figure, int column) const;
    static QString figureName(Figure figure);
    static QString figureUnit(Figure figure); // "bytes", "tokens/s", ... ("" for text rows)

    // The table as CSV: "figure,unit,<column titles>", raw numbers (17 significant
    // digits) so a spreadsheet gets what the planner computed, not the rounded text.
    QString toCsv() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVariant rawValue(Figure figure, const PlanColumn& c) const;
    QString displayText(Figure figure, const PlanColumn& c) const;

    std::vector<PlanColumn> m_columns;
};

} // namespace moeui
