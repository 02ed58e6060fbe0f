// scenario_list_model.h — saved planner scenarios as a table (name, model, hardware,
// fits, $ per million tokens, last saved). The figures come from each scenario's stored
// results JSON (what `moe plan --json` prints), so the list shows them without
// re-planning. The Planner page makes the name column checkable to pick scenarios to
// compare side by side; the Runs page lists them read-only.
#pragma once

#include "moe/store.h"

#include <QAbstractTableModel>
#include <QSet>

#include <vector>

namespace moeui {

class ScenarioListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Model, Hardware, Fits, UsdPerMillionTokens, Saved, ColumnCount };
    static constexpr int IdRole = Qt::UserRole + 1; // qint64 store id, any column

    explicit ScenarioListModel(QObject* parent = nullptr);

    void setCheckable(bool checkable);
    // Replaces the list (a snapshot from the store); keeps the check marks of ids still present.
    void setScenarios(std::vector<moe::PlannerScenario> scenarios);
    const std::vector<moe::PlannerScenario>& scenarios() const { return m_scenarios; }
    const moe::PlannerScenario* scenarioAt(int row) const;
    int rowOfId(qint64 id) const; // -1 when absent

    QList<qint64> checkedIds() const; // in list order
    void setChecked(qint64 id, bool checked);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

signals:
    void checkedChanged();

private:
    // What the list shows of one scenario, parsed once from its JSON texts.
    struct Row {
        QString model;
        QString hardware;
        int fits = -1; // -1: unknown (no stored results)
        double marginBytes = 0;
        double usdPerMillionTokens = -1;
    };
    static Row parseRow(const moe::PlannerScenario& s);

    std::vector<moe::PlannerScenario> m_scenarios;
    std::vector<Row> m_rows;
    QSet<qint64> m_checked;
    bool m_checkable = false;
};

} // namespace moeui
