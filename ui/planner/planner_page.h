// planner_page.h — the Planner page: what a deployment needs before renting it. The form
// (PlanForm) feeds moe::planInputFromScenario / planDeployment, the same code as
// `moe plan`, on every edit (debounced ~100 ms; the planner is closed-form and takes
// well under a millisecond). Results: memory per GPU as stacked bars against capacity
// (MemoryChart), a table of figures with the saved scenarios picked for comparison side
// by side (PlanResultModel), the fewest GPUs per layout family and the cheapest layouts
// over every catalog GPU (LayoutOptionsModel). Scenarios are saved to the store
// (inputs and `moe plan --json` results); the table exports to CSV, the chart to PNG / PDF.
#pragma once

#include "moe/plan_scenario.h"

#include <QTimer>
#include <QWidget>

#include <nlohmann/json.hpp>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTabWidget;

namespace moeui {

class EngineController;
class StoreController;
class PlanForm;
class MemoryChart;
class PlanResultModel;
class LayoutOptionsModel;
class ScenarioListModel;

class PlannerPage : public QWidget {
    Q_OBJECT
public:
    PlannerPage(EngineController* engine, StoreController* store, QWidget* parent = nullptr);

    nlohmann::json scenario() const;                  // the form as a scenario (keys of `moe plan`)
    void setScenario(const nlohmann::json& scenario); // fills the form; results follow

    // Plans the form now instead of after the debounce (tests, exports).
    void recompute();

    // Saves the current scenario under `name` (empty: a name from model and hardware).
    // Re-saving the scenario last opened or saved, under the same name, updates it.
    void saveScenario(const QString& name);
    void deleteScenario(qint64 id);
    void refreshSavedScenarios();

    bool exportCsv(const QString& path);
    bool exportPng(const QString& path);
    bool exportPdf(const QString& path);

    // Tests and the main window look at these.
    const moe::Catalog& catalog() const { return m_catalog; }
    PlanForm* form() const { return m_form; }
    PlanResultModel* resultModel() const { return m_results; }
    LayoutOptionsModel* fewestGpusModel() const { return m_fewest; }
    LayoutOptionsModel* cheapestLayoutsModel() const { return m_cheapest; }
    ScenarioListModel* savedScenarioModel() const { return m_saved; }
    MemoryChart* memoryChart() const { return m_chart; }
    QString errorText() const;  // the inline error ("" when the plan is valid)
    QString statusText() const; // the fits / short-by banner
    QLineEdit* scenarioNameEdit() const { return m_nameEdit; }

public slots:
    void openScenario(qint64 id); // loads a saved scenario from the store into the form

signals:
    void scenarioSaved(qint64 id);
    void scenariosChanged(); // saved or deleted: the Runs page lists them too
    void scenarioOpened(qint64 id);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void buildUi();
    QWidget* buildSavedTab();
    void scheduleRecompute();
    void updateCheapestLayouts();
    void updateComparedColumns();
    void showError(const QString& message);
    void cacheModelFromDisk(const std::string& model);
    QString defaultScenarioName() const;
    void deleteSelectedScenarios();
    void chooseExport(const QString& kind);

    EngineController* m_engine = nullptr;
    StoreController* m_store = nullptr;
    moe::Catalog m_catalog;
    QString m_catalogError;

    PlanForm* m_form = nullptr;
    MemoryChart* m_chart = nullptr;
    PlanResultModel* m_results = nullptr;
    LayoutOptionsModel* m_fewest = nullptr;
    LayoutOptionsModel* m_cheapest = nullptr;
    ScenarioListModel* m_saved = nullptr;

    QLabel* m_banner = nullptr;
    QLabel* m_error = nullptr;
    QLabel* m_notes = nullptr;
    QTabWidget* m_tabs = nullptr;
    QWidget* m_cheapestTab = nullptr;
    QTableView* m_savedView = nullptr;
    QLineEdit* m_nameEdit = nullptr;
    QPushButton* m_saveButton = nullptr;

    QTimer m_debounce;
    qint64 m_openedId = 0;     // the scenario last opened or saved
    QString m_openedName;
    bool m_cheapestStale = true;
};

} // namespace moeui
