#include "runs/runs_page.h"

#include "format.h"
#include "planner/scenario_list_model.h"
#include "runs/expert_count_diff_model.h"
#include "runs/profile_run_list_model.h"
#include "runs/run_comparison_model.h"
#include "runs/run_comparison_view.h"
#include "store_controller.h"

#include "moe/error.h"
#include "moe/profile_export.h"

#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

namespace moeui {
namespace {

QTableView* makeTable(QAbstractItemModel* model)
{
    auto* view = new QTableView;
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view->setAlternatingRowColors(true);
    view->setSortingEnabled(false);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setStretchLastSection(true);
    view->verticalHeader()->hide();
    return view;
}

QLabel* emptyLabel()
{
    auto* label = new QLabel;
    label->setWordWrap(true);
    label->setAlignment(Qt::AlignCenter);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setMargin(24);
    return label;
}

// Reads a whole file on the store thread; errors name the path.
std::string readWholeFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw moe::Error(moe::ErrorCode::Io, path.toStdString(), "", f.errorString().toStdString());
    return f.readAll().toStdString();
}

void writeWholeFile(const QString& path, const std::string& text)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text.data(), qint64(text.size())) != qint64(text.size()) || !f.commit())
        throw moe::Error(moe::ErrorCode::Io, path.toStdString(), "", f.errorString().toStdString());
}

} // namespace

RunsPage::RunsPage(EngineController* engine, StoreController* store, QWidget* parent)
    : QWidget(parent), m_engine(engine), m_store(store)
{
    m_runs = new ProfileRunListModel(this);
    m_scenarios = new ScenarioListModel(this);

    m_status = new QLabel;
    m_status->setWordWrap(true);
    m_error = new QLabel;
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->hide();

    m_tabs = new QTabWidget;
    m_tabs->addTab(buildRunsTab(), tr("Profiling runs"));
    m_tabs->addTab(buildScenariosTab(), tr("Planner scenarios"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(m_error);
    layout->addWidget(m_status);

    if (m_engine) {
        connect(m_engine, &EngineController::modelLoaded, this, &RunsPage::updateButtons);
        connect(m_engine, &EngineController::modelUnloaded, this, &RunsPage::updateButtons);
        connect(m_engine, &EngineController::loadStarted, this, &RunsPage::updateButtons);
        connect(m_engine, &EngineController::busyChanged, this, &RunsPage::updateButtons);
        connect(m_engine, &EngineController::profileProgress, this, [this](quint64 job, int done, int total) {
            if (job != m_profileJob)
                return;
            m_progress->setRange(0, total);
            m_progress->setValue(done);
            m_progress->setFormat(tr("prompt %1 of %2").arg(done).arg(total));
        });
        connect(m_engine, &EngineController::profileFinished, this, [this](quint64 job, ProfileRunPtr run) {
            if (job != m_profileJob)
                return;
            m_profileJob = 0;
            updateButtons();
            saveProfiledRun(std::move(run), m_profileCancelled);
        });
        connect(m_engine, &EngineController::jobFailed, this, [this](quint64 job, const QString& message) {
            if (job != m_profileJob)
                return;
            m_profileJob = 0;
            updateButtons();
            showError(tr("The profiling run failed: %1").arg(message));
        });
    }
    if (m_store) {
        connect(m_store, &StoreController::opened, this, &RunsPage::refresh);
        connect(m_store, &StoreController::openFailed, this,
                [this](const QString& message) { showError(tr("The store could not be opened: %1").arg(message)); });
    }
    updateEmptyStates();
    updateButtons();
    refresh();
}

QWidget* RunsPage::buildRunsTab()
{
    m_newRun = new QPushButton(tr("New profiling run"));
    m_maxTokens = new QSpinBox;
    m_maxTokens->setRange(1, 4096);
    m_maxTokens->setValue(64);
    m_maxTokens->setPrefix(tr("max "));
    m_maxTokens->setSuffix(tr(" tokens per prompt"));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setToolTip(tr("Stops after the current step; the run so far is kept"));
    m_progress = new QProgressBar;
    m_progress->setTextVisible(true);
    m_progress->hide();
    m_cancel->hide();
    connect(m_newRun, &QPushButton::clicked, this, &RunsPage::startProfiling);
    connect(m_cancel, &QPushButton::clicked, this, &RunsPage::cancelProfiling);
    auto* importButton = new QPushButton(tr("Import JSON…"));
    importButton->setToolTip(tr("A run exported by the workbench or by 'moe profile export --json'"));
    connect(importButton, &QPushButton::clicked, this, &RunsPage::chooseImport);
    auto* top = new QHBoxLayout;
    top->addWidget(m_newRun);
    top->addWidget(m_maxTokens);
    top->addWidget(m_progress, 1);
    top->addWidget(m_cancel);
    top->addStretch();
    top->addWidget(importButton);

    m_runsView = makeTable(m_runs);
    connect(m_runsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunsPage::updateButtons);
    connect(m_runsView, &QTableView::doubleClicked, this,
            [this](const QModelIndex& i) { openRun(m_runs->data(i, ProfileRunListModel::IdRole).toLongLong()); });
    m_runsEmpty = emptyLabel();
    m_runsStack = new QStackedWidget;
    m_runsStack->addWidget(m_runsEmpty);
    m_runsStack->addWidget(m_runsView);

    m_open = new QPushButton(tr("Open in Experts"));
    m_compare = new QPushButton(tr("Compare"));
    m_compare->setToolTip(tr("Select two runs"));
    m_delete = new QPushButton(tr("Delete…"));
    m_exportJson = new QPushButton(tr("Export JSON…"));
    m_exportCsv = new QPushButton(tr("Export CSV…"));
    m_exportJson->setToolTip(tr("Everything in the run; 'moe profile import' and Import JSON read it back"));
    m_exportCsv->setToolTip(tr("The routing counts per step, layer and expert, for spreadsheets and pandas"));
    connect(m_open, &QPushButton::clicked, this, [this] {
        const QList<qint64> ids = selectedRunIds();
        if (!ids.isEmpty())
            openRun(ids.first());
    });
    connect(m_compare, &QPushButton::clicked, this, [this] {
        QList<qint64> ids = selectedRunIds();
        if (ids.size() != 2)
            return;
        // A is the older run, so B − A reads as "what changed since".
        const auto created = [this](qint64 id) { return m_runs->runAt(m_runs->rowOfId(id))->createdAt; };
        if (created(ids[1]) < created(ids[0]))
            std::swap(ids[0], ids[1]);
        compareRuns(ids[0], ids[1]);
    });
    connect(m_delete, &QPushButton::clicked, this, [this] { deleteSelected(true); });
    connect(m_exportJson, &QPushButton::clicked, this, [this] { chooseExport(true); });
    connect(m_exportCsv, &QPushButton::clicked, this, [this] { chooseExport(false); });
    auto* buttons = new QHBoxLayout;
    for (QPushButton* b : {m_open, m_compare, m_delete, m_exportJson, m_exportCsv})
        buttons->addWidget(b);
    buttons->addStretch();

    m_comparisonView = new RunComparisonView;

    auto* listPart = new QWidget;
    auto* listLayout = new QVBoxLayout(listPart);
    listLayout->setContentsMargins(0, 0, 0, 0);
    listLayout->addWidget(m_runsStack, 1);
    listLayout->addLayout(buttons);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(listPart);
    split->addWidget(m_comparisonView);

    auto* tab = new QWidget;
    auto* layout = new QVBoxLayout(tab);
    layout->addLayout(top);
    layout->addWidget(split, 1);
    return tab;
}

QWidget* RunsPage::buildScenariosTab()
{
    m_scenariosView = makeTable(m_scenarios);
    connect(m_scenariosView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunsPage::updateButtons);
    connect(m_scenariosView, &QTableView::doubleClicked, this, [this](const QModelIndex& i) {
        openScenario(m_scenarios->data(i, ScenarioListModel::IdRole).toLongLong());
    });
    auto* empty = emptyLabel();
    empty->setText(tr("No planner scenarios saved yet.\n\nIn the Planner page, describe a deployment and press "
                      "“Save scenario”; it is listed here and can be compared side by side there."));
    m_scenariosStack = new QStackedWidget;
    m_scenariosStack->addWidget(empty);
    m_scenariosStack->addWidget(m_scenariosView);
    m_openScenario = new QPushButton(tr("Open in Planner"));
    m_deleteScenario = new QPushButton(tr("Delete…"));
    connect(m_openScenario, &QPushButton::clicked, this, [this] {
        const QList<qint64> ids = selectedScenarioIds();
        if (!ids.isEmpty())
            openScenario(ids.first());
    });
    connect(m_deleteScenario, &QPushButton::clicked, this, [this] {
        const QList<qint64> ids = selectedScenarioIds();
        if (ids.isEmpty())
            return;
        if (QMessageBox::question(this, tr("Delete scenarios"), tr("Delete %n saved scenario(s)?", nullptr, int(ids.size())))
            != QMessageBox::Yes)
            return;
        for (qint64 id : ids)
            deleteScenario(id);
    });
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_openScenario);
    buttons->addWidget(m_deleteScenario);
    buttons->addStretch();
    auto* tab = new QWidget;
    auto* layout = new QVBoxLayout(tab);
    layout->addWidget(m_scenariosStack, 1);
    layout->addLayout(buttons);
    return tab;
}

void RunsPage::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    refresh(); // the planner or the CLI may have changed the store meanwhile
}

void RunsPage::refresh()
{
    // Before StoreController::open() there is nothing to list; `opened` refreshes.
    if (!m_store || m_store->path().isEmpty())
        return;
    using Lists = std::pair<std::vector<moe::ProfileRunSummary>, std::vector<moe::PlannerScenario>>;
    m_store->post(
        this, [](moe::Store& s) { return Lists{s.listProfileRuns(), s.listScenarios()}; },
        [this](Lists lists) {
            QList<qint64> keep = selectedRunIds();
            if (m_selectAfterRefresh)
                keep = {std::exchange(m_selectAfterRefresh, 0)};
            m_runs->setRuns(std::move(lists.first));
            m_scenarios->setScenarios(std::move(lists.second));
            selectRuns(keep);
            updateEmptyStates();
            updateButtons();
        },
        [this](const QString& message) { showError(tr("Could not read the store: %1").arg(message)); });
}

void RunsPage::updateEmptyStates()
{
    const QString path = m_store ? m_store->path() : QString();
    m_runsEmpty->setText(
        tr("No profiling runs saved yet.\n\nLoad a model and press “New profiling run” to record which experts the "
           "built-in prompts (code, maths, languages, chit-chat) are routed to, or record one on the command line:\n\n"
           "    moe profile -m MODEL.gguf --builtin --out %1\n\nRuns shared as JSON come in with “Import JSON…” or "
           "'moe profile import RUN.json --out %1'.")
            .arg(path.isEmpty() ? tr("STORE.db") : path));
    m_runsStack->setCurrentIndex(m_runs->rowCount() == 0 ? 0 : 1);
    m_scenariosStack->setCurrentIndex(m_scenarios->rowCount() == 0 ? 0 : 1);
}

QString RunsPage::emptyStateText() const { return m_runsStack->currentIndex() == 0 ? m_runsEmpty->text() : QString(); }

void RunsPage::updateButtons()
{
    const int selected = int(selectedRunIds().size());
    m_open->setEnabled(selected >= 1);
    m_compare->setEnabled(selected == 2);
    m_delete->setEnabled(selected >= 1);
    m_exportJson->setEnabled(selected == 1);
    m_exportCsv->setEnabled(selected == 1);
    const int scenarios = int(selectedScenarioIds().size());
    m_openScenario->setEnabled(scenarios >= 1);
    m_deleteScenario->setEnabled(scenarios >= 1);

    const bool profiling = m_profileJob != 0;
    const bool loaded = m_engine && m_engine->model();
    const bool loading = m_engine && m_engine->isLoading();
    m_newRun->setEnabled(loaded && !loading && !profiling && m_store);
    if (!m_store)
        m_newRun->setToolTip(tr("No store is open to save the run in"));
    else if (!loaded || loading)
        m_newRun->setToolTip(tr("Load a model first (Model ▸ Load model…); the run uses the loaded model"));
    else if (profiling)
        m_newRun->setToolTip(tr("A profiling run is in progress"));
    else
        m_newRun->setToolTip(tr("Run the built-in prompts on %1 and save which experts each token used")
                                 .arg(m_engine->model()->name));
    m_maxTokens->setEnabled(!profiling);
    m_cancel->setVisible(profiling);
    m_progress->setVisible(profiling);
}

void RunsPage::showStatus(const QString& text)
{
    m_status->setText(text);
    m_error->clear();
    m_error->hide();
}

void RunsPage::showError(const QString& text)
{
    m_error->setText(text);
    m_error->setVisible(!text.isEmpty());
}

RunComparisonModel* RunsPage::comparisonModel() const { return m_comparisonView->layerModel(); }

ExpertCountDiffModel* RunsPage::expertDiffModel() const { return m_comparisonView->diffModel(); }

QString RunsPage::statusText() const { return m_status->text(); }

QString RunsPage::errorText() const { return m_error->text(); }

QList<qint64> RunsPage::selectedRunIds() const
{
    QList<qint64> ids;
    if (!m_runsView || !m_runsView->selectionModel())
        return ids;
    QModelIndexList rows = m_runsView->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    for (const QModelIndex& i : rows)
        ids << m_runs->data(i, ProfileRunListModel::IdRole).toLongLong();
    return ids;
}

void RunsPage::selectRuns(const QList<qint64>& ids)
{
    QItemSelection selection;
    for (qint64 id : ids) {
        const int row = m_runs->rowOfId(id);
        if (row >= 0)
            selection.select(m_runs->index(row, 0), m_runs->index(row, ProfileRunListModel::ColumnCount - 1));
    }
    m_runsView->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    updateButtons();
}

QList<qint64> RunsPage::selectedScenarioIds() const
{
    QList<qint64> ids;
    if (!m_scenariosView || !m_scenariosView->selectionModel())
        return ids;
    for (const QModelIndex& i : m_scenariosView->selectionModel()->selectedRows())
        ids << m_scenarios->data(i, ScenarioListModel::IdRole).toLongLong();
    return ids;
}

void RunsPage::openRun(qint64 id)
{
    if (!m_store)
        return;
    m_store->post(
        this, [id](moe::Store& s) { return s.loadProfileRun(id); },
        [this, id](std::optional<moe::ProfileRun> run) {
            if (!run) {
                showError(tr("Profiling run %1 no longer exists").arg(id));
                refresh();
                return;
            }
            showStatus(tr("Opened “%1” in the Experts page").arg(QString::fromStdString(run->name)));
            emit openRunRequested(std::make_shared<const moe::ProfileRun>(std::move(*run)));
        },
        [this](const QString& message) { showError(tr("Could not open the run: %1").arg(message)); });
}

void RunsPage::compareRuns(qint64 a, qint64 b)
{
    if (!m_store)
        return;
    m_store->post(
        this,
        [a, b](moe::Store& s) {
            auto runA = s.loadProfileRun(a);
            auto runB = s.loadProfileRun(b);
            if (!runA || !runB)
                throw moe::Error(moe::ErrorCode::MissingField, s.path(), "id",
                                 "run " + std::to_string(runA ? b : a) + " is not in the store");
            // Summaries are computed here, off the UI thread.
            return compareProfileRuns(std::make_shared<const moe::ProfileRun>(std::move(*runA)),
                                      std::make_shared<const moe::ProfileRun>(std::move(*runB)));
        },
        [this](RunComparisonPtr c) {
            m_comparisonView->setComparison(std::move(c));
            emit comparisonReady();
        },
        [this](const QString& message) { showError(tr("Could not compare the runs: %1").arg(message)); });
}

void RunsPage::deleteRun(qint64 id)
{
    if (!m_store)
        return;
    m_store->post(
        this, [id](moe::Store& s) { return s.deleteProfileRun(id); },
        [this, id](bool) {
            if (m_comparisonView->involves(id))
                m_comparisonView->setComparison(nullptr);
            refresh();
            emit runsChanged();
        },
        [this](const QString& message) { showError(tr("Could not delete the run: %1").arg(message)); });
}

void RunsPage::deleteSelected(bool confirm)
{
    const QList<qint64> ids = selectedRunIds();
    if (ids.isEmpty())
        return;
    if (confirm) {
        QStringList names;
        for (qint64 id : ids)
            names << QString::fromStdString(m_runs->runAt(m_runs->rowOfId(id))->name);
        if (QMessageBox::question(this, tr("Delete profiling runs"),
                                  tr("Delete %n profiling run(s)? This cannot be undone.\n\n%1", nullptr, int(ids.size()))
                                      .arg(names.join(QLatin1Char('\n'))))
            != QMessageBox::Yes)
            return;
    }
    for (qint64 id : ids)
        deleteRun(id);
}

void RunsPage::deleteScenario(qint64 id)
{
    if (!m_store)
        return;
    m_store->post(
        this, [id](moe::Store& s) { return s.deleteScenario(id); },
        [this](bool) {
            refresh();
            emit scenariosChanged();
        },
        [this](const QString& message) { showError(tr("Could not delete the scenario: %1").arg(message)); });
}

void RunsPage::openScenario(qint64 id)
{
    if (m_scenarios->rowOfId(id) >= 0)
        emit openScenarioRequested(id);
}

void RunsPage::exportRun(qint64 id, const QString& path, bool json)
{
    if (!m_store)
        return;
    m_store->post(
        this,
        [id, path, json](moe::Store& s) {
            const auto run = s.loadProfileRun(id);
            if (!run)
                throw moe::Error(moe::ErrorCode::MissingField, s.path(), "id",
                                 "run " + std::to_string(id) + " is not in the store");
            writeWholeFile(path, json ? moe::exportProfileRunJson(*run) : moe::exportProfileRunCsv(*run));
            return run->name;
        },
        [this, path](std::string name) {
            showStatus(tr("Exported “%1” to %2").arg(QString::fromStdString(name), path));
            emit exportFinished(path, QString());
        },
        [this, path](const QString& message) {
            showError(tr("Could not export the run: %1").arg(message));
            emit exportFinished(path, message);
        });
}

void RunsPage::exportRunJson(qint64 id, const QString& path) { exportRun(id, path, true); }

void RunsPage::exportRunCsv(qint64 id, const QString& path) { exportRun(id, path, false); }

void RunsPage::chooseExport(bool json)
{
    const QList<qint64> ids = selectedRunIds();
    if (ids.size() != 1)
        return;
    const moe::ProfileRunSummary* run = m_runs->runAt(m_runs->rowOfId(ids.first()));
    QString base = QString::fromStdString(run->name).simplified().replace(QRegularExpression(QStringLiteral("[^\\w.-]+")),
                                                                           QStringLiteral("-"));
    if (base.isEmpty())
        base = QStringLiteral("profile-run");
    const QString ext = json ? QStringLiteral("json") : QStringLiteral("csv");
    QString path = QFileDialog::getSaveFileName(this, json ? tr("Export run as JSON") : tr("Export run as CSV"),
                                                base + QLatin1Char('.') + ext,
                                                json ? tr("JSON files (*.json)") : tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    if (!path.endsWith(QLatin1Char('.') + ext, Qt::CaseInsensitive))
        path += QLatin1Char('.') + ext;
    exportRun(ids.first(), path, json);
}

void RunsPage::importRunJson(const QString& path)
{
    if (!m_store)
        return;
    m_store->post(
        this,
        [path](moe::Store& s) {
            moe::ProfileRun run = moe::importProfileRunJson(readWholeFile(path), path.toStdString());
            run.id = 0;
            s.saveProfileRun(run);
            return std::make_pair(run.id, run.name);
        },
        [this, path](std::pair<int64_t, std::string> saved) {
            showStatus(tr("Imported “%1” from %2").arg(QString::fromStdString(saved.second), path));
            m_selectAfterRefresh = saved.first;
            refresh();
            emit runSaved(saved.first);
            emit runsChanged();
        },
        [this](const QString& message) { showError(tr("Could not import the run: %1").arg(message)); });
}

void RunsPage::chooseImport()
{
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Import a profiling run"), QString(), tr("JSON files (*.json);;All files (*)"));
    if (!path.isEmpty())
        importRunJson(path);
}

void RunsPage::setMaxTokensPerPrompt(int tokens) { m_maxTokens->setValue(tokens); }

void RunsPage::startProfiling()
{
    if (!m_engine || !m_engine->model() || m_profileJob || !m_store)
        return;
    moe::ProfileOptions options;
    options.maxTokens = m_maxTokens->value();
    const std::vector<moe::ProfilePrompt> prompts = moe::builtinProfilePrompts();
    m_profileCancelled = false;
    m_profileJob = m_engine->runProfile(prompts, options);
    m_progress->setRange(0, int(prompts.size()));
    m_progress->setValue(0);
    m_progress->setFormat(tr("prompt %1 of %2").arg(0).arg(prompts.size()));
    showStatus(tr("Profiling %1 on %n prompt(s)…", nullptr, int(prompts.size())).arg(m_engine->model()->name));
    updateButtons();
}

void RunsPage::cancelProfiling()
{
    if (!m_engine || !m_profileJob)
        return;
    m_profileCancelled = true;
    m_engine->cancel(m_profileJob);
    showStatus(tr("Cancelling after the current step; the run so far will be kept…"));
}

void RunsPage::saveProfiledRun(ProfileRunPtr run, bool cancelled)
{
    if (!run || run->steps.empty()) {
        showStatus(cancelled ? tr("Cancelled before the first step; nothing to save")
                             : tr("The run recorded no steps; nothing to save"));
        return;
    }
    m_store->post(
        this,
        [run](moe::Store& s) {
            moe::ProfileRun copy = *run;
            s.saveProfileRun(copy);
            return std::make_pair(copy.id, copy.totalTokens());
        },
        [this, run, cancelled](std::pair<int64_t, int64_t> saved) {
            const QString name = QString::fromStdString(run->name);
            QString text = cancelled ? tr("Cancelled: saved the run so far as “%1” (%2 tokens)").arg(name).arg(saved.second)
                                     : tr("Saved “%1”: %n prompt(s), %2 tokens", nullptr, int(run->prompts.size()))
                                           .arg(name)
                                           .arg(saved.second);
            // The profiler records prompts that did not fit the context in the settings.
            const nlohmann::json settings = nlohmann::json::parse(run->settingsJson, nullptr, false);
            if (settings.is_object() && settings.contains("skipped_prompts") && settings.at("skipped_prompts").is_array() &&
                !settings.at("skipped_prompts").empty())
                text += QLatin1Char(' ') + tr("(%n prompt(s) longer than the context skipped)", nullptr,
                                              int(settings.at("skipped_prompts").size()));
            showStatus(text);
            m_selectAfterRefresh = saved.first;
            refresh();
            emit runSaved(saved.first);
            emit runsChanged();
        },
        [this](const QString& message) { showError(tr("Could not save the profiling run: %1").arg(message)); });
}

} // namespace moeui
