#include "planner/planner_page.h"

#include "engine_controller.h"
#include "format.h"
#include "planner/layout_options_model.h"
#include "planner/memory_chart.h"
#include "planner/plan_form.h"
#include "planner/plan_result_model.h"
#include "planner/scenario_list_model.h"
#include "store_controller.h"

#include "moe/error.h"

#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <filesystem>

namespace moeui {
namespace {

using nlohmann::json;

const char* const kScenarioSource = "planner";

QTableView* makeTable(QAbstractItemModel* model)
{
    auto* view = new QTableView;
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAlternatingRowColors(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setStretchLastSection(true);
    view->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    return view;
}

// One scenario planned, or the reason it cannot be.
PlanColumn planColumn(const QString& title, qint64 id, const json& scenario, const moe::Catalog& catalog,
                      QString* errorField = nullptr)
{
    PlanColumn c;
    c.title = title;
    c.scenarioId = id;
    c.scenario = scenario;
    try {
        moe::PlanInput in = moe::planInputFromScenario(scenario, catalog, kScenarioSource);
        c.result = moe::planDeployment(in);
        c.input = std::move(in);
    } catch (const moe::Error& e) {
        const QString field = QString::fromStdString(e.field());
        const QString label = PlanForm::fieldLabel(field);
        const QString detail = QString::fromStdString(e.detail().empty() ? std::string(e.what()) : e.detail());
        if (field.isEmpty())
            c.error = detail;
        else if (label.isEmpty() || label.contains(field, Qt::CaseInsensitive))
            c.error = PlannerPage::tr("%1: %2").arg(label.isEmpty() ? field : label, detail);
        else
            c.error = PlannerPage::tr("%1 (%2): %3").arg(label, field, detail);
        if (errorField)
            *errorField = field;
    } catch (const std::exception& e) {
        c.error = QString::fromUtf8(e.what());
    }
    return c;
}

} // namespace

PlannerPage::PlannerPage(EngineController* engine, StoreController* store, QWidget* parent)
    : QWidget(parent), m_engine(engine), m_store(store)
{
    try {
        m_catalog = moe::loadCatalog(moe::findCatalogDirectory());
    } catch (const std::exception& e) {
        m_catalogError = tr("The planner's catalog could not be read: %1").arg(QString::fromUtf8(e.what()));
    }
    m_results = new PlanResultModel(this);
    m_fewest = new LayoutOptionsModel(this);
    m_cheapest = new LayoutOptionsModel(this);
    m_saved = new ScenarioListModel(this);
    m_saved->setCheckable(true);
    buildUi();

    m_debounce.setSingleShot(true);
    m_debounce.setInterval(100);
    connect(&m_debounce, &QTimer::timeout, this, &PlannerPage::recompute);
    connect(m_form, &PlanForm::changed, this, &PlannerPage::scheduleRecompute);
    connect(m_saved, &ScenarioListModel::checkedChanged, this, &PlannerPage::updateComparedColumns);

    if (m_engine) {
        if (LoadedModelPtr m = m_engine->model())
            m_form->setLoadedModel(m->path, m->name);
        connect(m_engine, &EngineController::modelLoaded, this, [this](quint64, LoadedModelPtr m) {
            // A model re-made on disk under the same path must be read again.
            std::erase_if(m_catalog.models, [&](const moe::Catalog::Model& c) { return c.model.key == m->path.toStdString(); });
            m_form->setLoadedModel(m->path, m->name);
        });
        connect(m_engine, &EngineController::modelUnloaded, this, [this] { m_form->clearLoadedModel(); });
    }
    if (m_store) {
        connect(m_store, &StoreController::opened, this, &PlannerPage::refreshSavedScenarios);
        refreshSavedScenarios();
    }

    // First start: a deployment people actually rent.
    setScenario({{"model", "mixtral-8x22b"}, {"quant", "int4-awq"}, {"gpu", "h100-sxm"}, {"count", 4}, {"tp", 4},
                 {"context", 32768}, {"batch", 8}});
    recompute();
}

void PlannerPage::buildUi()
{
    m_form = new PlanForm(m_catalog);
    auto* formScroll = new QScrollArea;
    formScroll->setWidget(m_form);
    formScroll->setWidgetResizable(true);
    formScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    formScroll->setMinimumWidth(m_form->sizeHint().width() + 24);

    m_banner = new QLabel;
    QFont bannerFont = m_banner->font();
    bannerFont.setBold(true);
    bannerFont.setPointSizeF(bannerFont.pointSizeF() * 1.15);
    m_banner->setFont(bannerFont);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error = new QLabel;
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setVisible(!m_catalogError.isEmpty());
    m_error->setText(m_catalogError);
    m_notes = new QLabel;
    m_notes->setWordWrap(true);
    m_notes->setStyleSheet(QStringLiteral("color: palette(mid);"));

    m_chart = new MemoryChart;

    m_tabs = new QTabWidget;
    auto* resultsView = makeTable(m_results);
    resultsView->setSelectionBehavior(QAbstractItemView::SelectItems);
    m_tabs->addTab(resultsView, tr("Results"));
    auto* fewestView = makeTable(m_fewest);
    fewestView->setToolTip(tr("The fewest GPUs of the chosen type that fit this model, context and batch, per layout"));
    m_tabs->addTab(fewestView, tr("Fewest GPUs"));
    m_cheapestTab = makeTable(m_cheapest);
    m_cheapestTab->setToolTip(tr("Layouts over every catalog GPU that fit, cheapest per hour first"));
    m_tabs->addTab(m_cheapestTab, tr("Cheapest layouts"));
    m_tabs->addTab(buildSavedTab(), tr("Saved scenarios"));
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        if (m_tabs->currentWidget() == m_cheapestTab)
            updateCheapestLayouts();
    });

    m_nameEdit = new QLineEdit;
    m_nameEdit->setPlaceholderText(tr("Scenario name"));
    m_saveButton = new QPushButton(tr("Save scenario"));
    connect(m_saveButton, &QPushButton::clicked, this, [this] { saveScenario(m_nameEdit->text()); });
    connect(m_nameEdit, &QLineEdit::returnPressed, this, [this] { saveScenario(m_nameEdit->text()); });
    m_saveButton->setEnabled(m_store != nullptr);
    auto* csv = new QPushButton(tr("Export CSV…"));
    auto* png = new QPushButton(tr("Export PNG…"));
    auto* pdf = new QPushButton(tr("Export PDF…"));
    csv->setToolTip(tr("The results table, every column, raw numbers"));
    png->setToolTip(tr("The memory chart"));
    pdf->setToolTip(tr("The memory chart"));
    connect(csv, &QPushButton::clicked, this, [this] { chooseExport(QStringLiteral("csv")); });
    connect(png, &QPushButton::clicked, this, [this] { chooseExport(QStringLiteral("png")); });
    connect(pdf, &QPushButton::clicked, this, [this] { chooseExport(QStringLiteral("pdf")); });
    auto* actions = new QHBoxLayout;
    actions->addWidget(m_nameEdit, 1);
    actions->addWidget(m_saveButton);
    actions->addSpacing(16);
    actions->addWidget(csv);
    actions->addWidget(png);
    actions->addWidget(pdf);

    auto* resultsSplit = new QSplitter(Qt::Vertical);
    resultsSplit->addWidget(m_chart);
    resultsSplit->addWidget(m_tabs);
    resultsSplit->setStretchFactor(0, 2);
    resultsSplit->setStretchFactor(1, 3);

    auto* right = new QWidget;
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_banner);
    rightLayout->addWidget(m_error);
    rightLayout->addWidget(m_notes);
    rightLayout->addWidget(resultsSplit, 1);
    rightLayout->addLayout(actions);

    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(formScroll);
    split->addWidget(right);
    split->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(split);
}

QWidget* PlannerPage::buildSavedTab()
{
    auto* tab = new QWidget;
    m_savedView = makeTable(m_saved);
    m_savedView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    connect(m_savedView, &QTableView::doubleClicked, this, [this](const QModelIndex& i) {
        openScenario(m_saved->data(i, ScenarioListModel::IdRole).toLongLong());
    });
    auto* hint = new QLabel(tr("Tick scenarios to compare them with the form side by side in the chart and the "
                               "Results table. Double-click one to open it in the form."));
    hint->setWordWrap(true);
    auto* open = new QPushButton(tr("Open"));
    auto* remove = new QPushButton(tr("Delete…"));
    connect(open, &QPushButton::clicked, this, [this] {
        const QModelIndexList rows = m_savedView->selectionModel()->selectedRows();
        if (!rows.isEmpty())
            openScenario(m_saved->data(rows.first(), ScenarioListModel::IdRole).toLongLong());
    });
    connect(remove, &QPushButton::clicked, this, &PlannerPage::deleteSelectedScenarios);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(hint, 1);
    buttons->addWidget(open);
    buttons->addWidget(remove);
    auto* layout = new QVBoxLayout(tab);
    layout->addWidget(m_savedView, 1);
    layout->addLayout(buttons);
    return tab;
}

void PlannerPage::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    refreshSavedScenarios(); // the Runs page or the CLI may have changed them
}

json PlannerPage::scenario() const { return m_form->scenario(); }

void PlannerPage::setScenario(const json& scenario)
{
    m_form->setScenario(scenario); // emits changed -> debounced recompute
}

void PlannerPage::scheduleRecompute()
{
    m_cheapestStale = true;
    m_debounce.start();
}

void PlannerPage::cacheModelFromDisk(const std::string& model)
{
    // A model file is read once, then planned from memory on every keystroke.
    if (model.empty() || m_catalog.findModel(model))
        return;
    std::error_code ec;
    if (!std::filesystem::exists(model, ec))
        return; // planInputFromScenario names the field
    try {
        m_catalog.models.push_back({moe::resolvePlanModel(model, m_catalog), {}});
    } catch (const std::exception&) {
        // Left to planInputFromScenario, which raises the same error with its field.
    }
}

void PlannerPage::recompute()
{
    m_debounce.stop();
    const json s = scenario();
    if (s.contains("model") && s.at("model").is_string())
        cacheModelFromDisk(s.at("model").get<std::string>());
    QString field;
    PlanColumn current = planColumn(tr("Current"), 0, s, m_catalog, &field);
    const QString label = m_form->markErrorField(current.valid() ? QString() : field);
    Q_UNUSED(label);
    if (!current.valid()) {
        showError(current.error);
        m_banner->setText(tr("No plan"));
        m_banner->setStyleSheet(QStringLiteral("color: #c62828;"));
        m_notes->clear();
        m_fewest->setOptions({});
    } else {
        showError(QString());
        const moe::PlanResult& r = current.result;
        const QString usable = formatGb(r.usableBytesPerGpu);
        if (r.fits)
            m_banner->setText(tr("Fits: %1 of %2 usable per GPU, %3 spare, up to %4 sequences")
                                  .arg(formatGb(r.perGpu.total()), usable, formatGb(r.marginBytes))
                                  .arg(r.maxConcurrentSequences));
        else
            m_banner->setText(tr("Does not fit: needs %1 per GPU, %2 usable — short by %3")
                                  .arg(formatGb(r.perGpu.total()), usable, formatGb(-r.marginBytes)));
        m_banner->setStyleSheet(r.fits ? QStringLiteral("color: #2e7d32;") : QStringLiteral("color: #c62828;"));
        QStringList notes;
        for (const std::string& n : r.notes)
            notes << QString::fromStdString(n);
        m_notes->setText(notes.join(QLatin1Char('\n')));
        m_notes->setVisible(!notes.isEmpty());
        try {
            m_fewest->setOptions(moe::fewestGpusPerLayout(*current.input));
        } catch (const std::exception&) {
            m_fewest->setOptions({});
        }
    }
    if (m_results->columnCount() == 0)
        m_results->setColumns({std::move(current)});
    else
        m_results->setCurrent(std::move(current));
    m_chart->setColumns(m_results->columns());
    m_cheapestStale = true;
    if (m_tabs->currentWidget() == m_cheapestTab)
        updateCheapestLayouts();
}

void PlannerPage::updateCheapestLayouts()
{
    if (!m_cheapestStale)
        return;
    m_cheapestStale = false;
    // As `moe plan --fit`: the search picks GPUs and layouts itself.
    json s = scenario();
    for (const char* key : {"count", "tp", "ep", "pp", "dp", "dp_attention"})
        s.erase(key);
    try {
        const moe::PlanInput in = moe::planInputFromScenario(s, m_catalog, kScenarioSource);
        m_cheapest->setOptions(moe::cheapestFittingLayouts(in, m_catalog));
    } catch (const std::exception&) {
        m_cheapest->setOptions({}); // the form's error line already says why
    }
}

void PlannerPage::updateComparedColumns()
{
    std::vector<PlanColumn> columns;
    if (m_results->columnCount() > 0)
        columns.push_back(m_results->columns().front());
    for (qint64 id : m_saved->checkedIds()) {
        const moe::PlannerScenario* s = m_saved->scenarioAt(m_saved->rowOfId(id));
        const json inputs = json::parse(s->inputsJson, nullptr, false);
        // Re-planned from the inputs so every column comes from this build's planner.
        PlanColumn c = inputs.is_discarded() ? PlanColumn{} : planColumn(QString(), id, inputs, m_catalog);
        if (inputs.is_discarded())
            c.error = tr("the saved inputs are not valid JSON");
        c.title = QString::fromStdString(s->name);
        c.scenarioId = id;
        columns.push_back(std::move(c));
    }
    m_results->setColumns(std::move(columns));
    m_chart->setColumns(m_results->columns());
}

void PlannerPage::showError(const QString& message)
{
    const QString text = m_catalogError.isEmpty() ? message : (m_catalogError + QLatin1Char('\n') + message).trimmed();
    m_error->setText(text);
    m_error->setVisible(!text.isEmpty());
}

QString PlannerPage::errorText() const { return m_error->text(); }

QString PlannerPage::statusText() const { return m_banner->text(); }

QString PlannerPage::defaultScenarioName() const
{
    const auto& cols = m_results->columns();
    if (cols.empty() || !cols.front().valid())
        return tr("Scenario");
    const moe::PlanInput& in = *cols.front().input;
    return tr("%1, %2, %3× %4, context %5, batch %6")
        .arg(QString::fromStdString(in.model.spec.name), QString::fromStdString(moe::quantFormat(in.weightFormat).key))
        .arg(in.gpuCount)
        .arg(QString::fromStdString(in.gpu.name))
        .arg(in.contextTokens)
        .arg(in.batch);
}

void PlannerPage::saveScenario(const QString& name)
{
    if (!m_store)
        return;
    recompute();
    const PlanColumn& current = m_results->columns().front();
    if (!current.valid()) {
        showError(tr("Not saved: %1").arg(current.error));
        return;
    }
    moe::PlannerScenario s;
    s.name = (name.trimmed().isEmpty() ? defaultScenarioName() : name.trimmed()).toStdString();
    if (m_openedId != 0 && QString::fromStdString(s.name) == m_openedName)
        s.id = m_openedId;
    s.inputsJson = current.scenario.dump();
    s.resultsJson = moe::planResultJson(current.scenario, *current.input, current.result).dump();
    m_store->post(
        this,
        [s](moe::Store& store) mutable {
            store.saveScenario(s);
            return s;
        },
        [this](moe::PlannerScenario saved) {
            m_openedId = saved.id;
            m_openedName = QString::fromStdString(saved.name);
            m_nameEdit->setText(m_openedName);
            refreshSavedScenarios();
            emit scenarioSaved(saved.id);
            emit scenariosChanged();
        },
        [this](const QString& message) { showError(tr("Could not save the scenario: %1").arg(message)); });
}

void PlannerPage::refreshSavedScenarios()
{
    // Before StoreController::open() there is nothing to list; `opened` refreshes.
    if (!m_store || m_store->path().isEmpty())
        return;
    m_store->post(
        this, [](moe::Store& store) { return store.listScenarios(); },
        [this](std::vector<moe::PlannerScenario> list) {
            m_saved->setScenarios(std::move(list));
            updateComparedColumns(); // a compared scenario may have changed or gone
        },
        [this](const QString& message) { showError(tr("Could not list saved scenarios: %1").arg(message)); });
}

void PlannerPage::openScenario(qint64 id)
{
    if (!m_store)
        return;
    m_store->post(
        this, [id](moe::Store& store) { return store.scenario(id); },
        [this, id](std::optional<moe::PlannerScenario> s) {
            if (!s) {
                showError(tr("Saved scenario %1 no longer exists").arg(id));
                return;
            }
            const json inputs = json::parse(s->inputsJson, nullptr, false);
            if (!inputs.is_object()) {
                showError(tr("Saved scenario “%1” holds no valid inputs").arg(QString::fromStdString(s->name)));
                return;
            }
            m_openedId = s->id;
            m_openedName = QString::fromStdString(s->name);
            m_nameEdit->setText(m_openedName);
            setScenario(inputs);
            recompute();
            emit scenarioOpened(id);
        },
        [this](const QString& message) { showError(tr("Could not open the scenario: %1").arg(message)); });
}

void PlannerPage::deleteScenario(qint64 id)
{
    if (!m_store)
        return;
    m_store->post(
        this, [id](moe::Store& store) { return store.deleteScenario(id); },
        [this, id](bool) {
            if (m_openedId == id)
                m_openedId = 0;
            refreshSavedScenarios();
            emit scenariosChanged();
        },
        [this](const QString& message) { showError(tr("Could not delete the scenario: %1").arg(message)); });
}

void PlannerPage::deleteSelectedScenarios()
{
    QList<qint64> ids;
    QStringList names;
    for (const QModelIndex& i : m_savedView->selectionModel()->selectedRows()) {
        ids << m_saved->data(i, ScenarioListModel::IdRole).toLongLong();
        names << m_saved->data(i, Qt::DisplayRole).toString();
    }
    if (ids.isEmpty())
        return;
    if (QMessageBox::question(this, tr("Delete scenarios"),
                              tr("Delete %n saved scenario(s)?\n\n%1", nullptr, int(ids.size())).arg(names.join(QLatin1Char('\n'))))
        != QMessageBox::Yes)
        return;
    for (qint64 id : ids)
        deleteScenario(id);
}

bool PlannerPage::exportCsv(const QString& path)
{
    recompute();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
        return false;
    file.write(m_results->toCsv().toUtf8());
    return file.commit();
}

bool PlannerPage::exportPng(const QString& path)
{
    recompute();
    return m_chart->savePng(path);
}

bool PlannerPage::exportPdf(const QString& path)
{
    recompute();
    return m_chart->savePdf(path);
}

void PlannerPage::chooseExport(const QString& kind)
{
    const QString filter = kind == QLatin1String("csv")   ? tr("CSV files (*.csv)")
                           : kind == QLatin1String("png") ? tr("PNG images (*.png)")
                                                          : tr("PDF documents (*.pdf)");
    QString path = QFileDialog::getSaveFileName(this, tr("Export"), QStringLiteral("plan.") + kind, filter);
    if (path.isEmpty())
        return;
    if (!path.endsWith(QLatin1Char('.') + kind, Qt::CaseInsensitive))
        path += QLatin1Char('.') + kind;
    const bool ok = kind == QLatin1String("csv")   ? exportCsv(path)
                    : kind == QLatin1String("png") ? exportPng(path)
                                                   : exportPdf(path);
    if (!ok)
        showError(tr("Could not write %1").arg(path));
}

} // namespace moeui
