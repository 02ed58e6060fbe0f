// runs_page.h — the Runs page: saved profiling runs and planner scenarios. Runs can be
// opened in the Experts page, two compared (imbalance and entropy per layer, per-expert
// count differences), deleted, exported (JSON to share and re-import, CSV for
// spreadsheets; moe/profile_export.h) and imported. "New profiling run" runs the
// built-in prompt set on the loaded model through the EngineController and saves the
// run. Every store access runs on the store thread (StoreController::post).
#pragma once

#include "engine_controller.h"

#include <QList>
#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTabWidget;
class QTableView;

namespace moeui {

class StoreController;
class ProfileRunListModel;
class ScenarioListModel;
class RunComparisonModel;
class ExpertCountDiffModel;
class RunComparisonView;

class RunsPage : public QWidget {
    Q_OBJECT
public:
    RunsPage(EngineController* engine, StoreController* store, QWidget* parent = nullptr);

    void refresh(); // re-reads both lists from the store

    void openRun(qint64 id);                 // loads it, then emits openRunRequested
    void compareRuns(qint64 a, qint64 b);    // fills the comparison models
    void deleteRun(qint64 id);
    void deleteSelected(bool confirm = true); // the selected runs (and nothing else)
    void exportRunJson(qint64 id, const QString& path); // result: exportFinished
    void exportRunCsv(qint64 id, const QString& path);
    void importRunJson(const QString& path); // result: runSaved or errorText
    void deleteScenario(qint64 id);
    void openScenario(qint64 id); // emits openScenarioRequested when the scenario is listed

    // A run of the built-in prompts on the loaded model, saved when done.
    void startProfiling();
    void cancelProfiling();
    void setMaxTokensPerPrompt(int tokens);

    QList<qint64> selectedRunIds() const;
    void selectRuns(const QList<qint64>& ids);

    ProfileRunListModel* runListModel() const { return m_runs; }
    ScenarioListModel* scenarioListModel() const { return m_scenarios; }
    RunComparisonModel* comparisonModel() const;
    ExpertCountDiffModel* expertDiffModel() const;
    QTableView* runsView() const { return m_runsView; }
    QPushButton* newRunButton() const { return m_newRun; }
    QString statusText() const;
    QString errorText() const;
    QString emptyStateText() const;
    bool isProfiling() const { return m_profileJob != 0; }

signals:
    void openRunRequested(moeui::ProfileRunPtr run);  // MainWindow shows it in the Experts page
    void openScenarioRequested(qint64 id);            // MainWindow opens it in the Planner page
    void runSaved(qint64 id);                         // a new or imported run is in the store
    void exportFinished(const QString& path, const QString& error); // error empty on success
    void comparisonReady();
    void runsChanged();
    void scenariosChanged(); // a scenario was deleted here: the Planner lists them too

protected:
    void showEvent(QShowEvent* event) override;

private:
    QWidget* buildRunsTab();
    QWidget* buildScenariosTab();
    void updateButtons();
    void updateEmptyStates();
    void showStatus(const QString& text);
    void showError(const QString& text);
    void exportRun(qint64 id, const QString& path, bool json);
    void chooseExport(bool json);
    void chooseImport();
    void saveProfiledRun(ProfileRunPtr run, bool cancelled);
    QList<qint64> selectedScenarioIds() const;

    EngineController* m_engine = nullptr;
    StoreController* m_store = nullptr;
    ProfileRunListModel* m_runs = nullptr;
    ScenarioListModel* m_scenarios = nullptr;
    RunComparisonView* m_comparisonView = nullptr;

    QTabWidget* m_tabs = nullptr;
    QStackedWidget* m_runsStack = nullptr;
    QLabel* m_runsEmpty = nullptr;
    QTableView* m_runsView = nullptr;
    QStackedWidget* m_scenariosStack = nullptr;
    QTableView* m_scenariosView = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_error = nullptr;
    QPushButton* m_newRun = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QSpinBox* m_maxTokens = nullptr;
    QPushButton* m_open = nullptr;
    QPushButton* m_compare = nullptr;
    QPushButton* m_delete = nullptr;
    QPushButton* m_exportJson = nullptr;
    QPushButton* m_exportCsv = nullptr;
    QPushButton* m_openScenario = nullptr;
    QPushButton* m_deleteScenario = nullptr;

    quint64 m_profileJob = 0;
    bool m_profileCancelled = false;
    qint64 m_selectAfterRefresh = 0;
};

} // namespace moeui
