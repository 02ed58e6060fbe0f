#include "experts/experts_page.h"

#include "experts/expert_heatmap_view.h"
#include "experts/imbalance_chart.h"
#include "experts/layer_imbalance_model.h"
#include "plot_style.h"
#include "experts/token_routing_model.h"
#include "format.h"

#include "moe/profile_run.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace moeui {

namespace {
// Enough for a long answer and its prompt; the engine keeps 4096 by default.
constexpr size_t kRoutingHistoryTokens = 512;
} // namespace

ExpertsPage::ExpertsPage(EngineController* engine, QWidget* parent) : QWidget(parent), m_engine(engine)
{
    m_heatmap = new ExpertHeatmapModel(this);
    m_imbalance = new LayerImbalanceModel(m_heatmap, this);
    m_tokens = new TokenRoutingModel(this);
    m_tokenExperts = new TokenExpertsModel(this);
    buildUi();

    connect(m_heatmap, &ExpertHeatmapModel::countsChanged, this, &ExpertsPage::updateStatus);
    if (engine) {
        connect(engine, &EngineController::telemetryUpdated, this, &ExpertsPage::addTelemetry);
        connect(engine, &EngineController::modelLoaded, this, &ExpertsPage::onModelLoaded);
        connect(engine, &EngineController::modelUnloaded, this, &ExpertsPage::onModelUnloaded);
        connect(engine, &EngineController::generationFinished, this, &ExpertsPage::onGenerationFinished);
        connect(engine, &EngineController::routingHistoryReady, this, &ExpertsPage::onRoutingHistory);
        if (LoadedModelPtr loaded = engine->model())
            onModelLoaded(0, loaded);
    }
    updateStatus();
    updatePlacementLegend();
}

void ExpertsPage::buildUi()
{
    using Source = ExpertHeatmapModel::Source;
    m_sourceCombo = new QComboBox;
    m_sourceCombo->addItem(tr("This step"), int(Source::ThisStep));
    m_sourceCombo->addItem(tr("Last steps"), int(Source::SlidingWindow));
    m_sourceCombo->addItem(tr("Whole conversation"), int(Source::Conversation));
    m_sourceCombo->addItem(tr("Saved run"), int(Source::SavedRun));
    m_sourceCombo->setToolTip(tr("Which routing decisions the heatmap counts"));
    if (auto* items = qobject_cast<QStandardItemModel*>(m_sourceCombo->model()))
        items->item(3)->setEnabled(false); // until a run is shown
    m_windowSpin = new QSpinBox;
    m_windowSpin->setRange(1, ExpertHeatmapModel::kMaxWindowSteps);
    m_windowSpin->setValue(m_heatmap->windowSteps());
    m_windowSpin->setSuffix(tr(" steps"));
    m_windowSpin->setToolTip(tr("Length of the sliding window, in engine steps (a prefill is one step)"));
    m_normalisationCombo = new QComboBox;
    m_normalisationCombo->addItem(tr("Per layer"), int(ExpertHeatmapModel::Normalisation::PerLayer));
    m_normalisationCombo->addItem(tr("Global"), int(ExpertHeatmapModel::Normalisation::Global));
    m_normalisationCombo->setToolTip(
        tr("Per layer: each layer's busiest expert is the brightest colour. Global: the busiest cell of the table is."));
    m_placementCheck = new QCheckBox(tr("Show placement"));
    m_placementCheck->setChecked(true);
    m_placementCheck->setToolTip(tr("Mark which EP group (devices) holds each expert, when the model is sharded"));
    m_clearButton = new QPushButton(tr("Clear"));
    m_clearButton->setToolTip(tr("Start counting the conversation afresh"));

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Source:")));
    controls->addWidget(m_sourceCombo);
    controls->addWidget(m_windowSpin);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Normalise:")));
    controls->addWidget(m_normalisationCombo);
    controls->addSpacing(12);
    controls->addWidget(m_placementCheck);
    controls->addStretch(1);
    controls->addWidget(m_clearButton);

    m_status = new QLabel;
    m_status->setTextFormat(Qt::RichText);
    m_status->setWordWrap(true);
    m_placementLegend = new QLabel;
    m_placementLegend->setTextFormat(Qt::RichText);
    m_placementLegend->setWordWrap(true);

    m_heatmapView = new ExpertHeatmapView(m_heatmap);
    m_heatmapView->setMinimumHeight(220);

    // Imbalance: chart and the same figures as a table.
    m_imbalanceChart = new ImbalanceChart(m_imbalance);
    auto* imbalanceTable = new QTableView;
    imbalanceTable->setModel(m_imbalance);
    imbalanceTable->verticalHeader()->hide();
    imbalanceTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    imbalanceTable->horizontalHeader()->setStretchLastSection(true);
    auto* imbalanceTabs = new QTabWidget;
    imbalanceTabs->addTab(m_imbalanceChart, tr("Chart"));
    imbalanceTabs->addTab(imbalanceTable, tr("Table"));
    auto* imbalanceBox = new QGroupBox(tr("Imbalance per layer"));
    auto* imbalanceLayout = new QVBoxLayout(imbalanceBox);
    imbalanceLayout->setContentsMargins(4, 4, 4, 4);
    imbalanceLayout->addWidget(imbalanceTabs);

    // Per token: a flow of token chips; clicking one shows its experts in every layer.
    m_tokenList = new QListView;
    m_tokenList->setModel(m_tokens);
    m_tokenList->setFlow(QListView::LeftToRight);
    m_tokenList->setWrapping(true);
    m_tokenList->setResizeMode(QListView::Adjust);
    m_tokenList->setSpacing(2);
    m_tokenList->setUniformItemSizes(false);
    m_tokenList->setSelectionMode(QAbstractItemView::SingleSelection);
    m_tokenList->setMinimumHeight(60);
    m_tokenLabel = new QLabel(tr("Send a message in the chat; then click a token of the answer to see its experts."));
    m_tokenLabel->setWordWrap(true);
    m_tokenTable = new QTableView;
    m_tokenTable->setModel(m_tokenExperts);
    m_tokenTable->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_tokenTable->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    auto* tokenSplitter = new QSplitter(Qt::Vertical);
    tokenSplitter->addWidget(m_tokenList);
    auto* tokenDetail = new QWidget;
    auto* tokenDetailLayout = new QVBoxLayout(tokenDetail);
    tokenDetailLayout->setContentsMargins(0, 0, 0, 0);
    tokenDetailLayout->addWidget(m_tokenLabel);
    tokenDetailLayout->addWidget(m_tokenTable, 1);
    tokenSplitter->addWidget(tokenDetail);
    auto* tokenBox = new QGroupBox(tr("Per token (last answer)"));
    auto* tokenLayout = new QVBoxLayout(tokenBox);
    tokenLayout->setContentsMargins(4, 4, 4, 4);
    tokenLayout->addWidget(tokenSplitter);

    auto* lower = new QSplitter(Qt::Horizontal);
    lower->addWidget(imbalanceBox);
    lower->addWidget(tokenBox);
    lower->setStretchFactor(0, 3);
    lower->setStretchFactor(1, 2);
    auto* main = new QSplitter(Qt::Vertical);
    main->addWidget(m_heatmapView);
    main->addWidget(lower);
    main->setStretchFactor(0, 3);
    main->setStretchFactor(1, 2);
    main->setSizes({500, 340});
    lower->setSizes({560, 440});

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(m_status);
    layout->addWidget(m_placementLegend);
    layout->addWidget(main, 1);

    m_sourceCombo->setCurrentIndex(m_sourceCombo->findData(int(m_heatmap->source())));
    m_windowSpin->setEnabled(m_heatmap->source() == Source::SlidingWindow);
    connect(m_sourceCombo, &QComboBox::currentIndexChanged, this, [this] {
        setSource(Source(m_sourceCombo->currentData().toInt()));
    });
    connect(m_windowSpin, &QSpinBox::valueChanged, m_heatmap, &ExpertHeatmapModel::setWindowSteps);
    connect(m_normalisationCombo, &QComboBox::currentIndexChanged, this, [this] {
        m_heatmap->setNormalisation(ExpertHeatmapModel::Normalisation(m_normalisationCombo->currentData().toInt()));
    });
    connect(m_placementCheck, &QCheckBox::toggled, this, [this](bool on) {
        m_heatmapView->setShowPlacement(on);
        updatePlacementLegend();
    });
    connect(m_heatmap, &ExpertHeatmapModel::placementChanged, this, &ExpertsPage::updatePlacementLegend);
    connect(m_heatmap, &QAbstractItemModel::modelReset, this, &ExpertsPage::updatePlacementLegend);
    connect(m_clearButton, &QPushButton::clicked, this, &ExpertsPage::clearConversation);
    connect(m_tokenList, &QListView::clicked, this, [this](const QModelIndex& index) { selectToken(index.row()); });
    connect(m_tokenList->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) {
                if (current.isValid() && current.row() != m_tokenExperts->tokenRow())
                    selectToken(current.row());
            });
}

void ExpertsPage::setSource(ExpertHeatmapModel::Source source)
{
    m_heatmap->setSource(source);
    syncSourceCombo();
    updateStatus();
}

void ExpertsPage::syncSourceCombo()
{
    const QSignalBlocker blocker(m_sourceCombo);
    m_sourceCombo->setCurrentIndex(m_sourceCombo->findData(int(m_heatmap->source())));
    m_windowSpin->setEnabled(m_heatmap->source() == ExpertHeatmapModel::Source::SlidingWindow);
}

void ExpertsPage::showRun(ProfileRunPtr run)
{
    if (!run)
        return;
    if (auto* items = qobject_cast<QStandardItemModel*>(m_sourceCombo->model()))
        items->item(3)->setEnabled(true);
    m_heatmap->setSavedRun(std::move(run));
    syncSourceCombo();
    updateStatus();
}

void ExpertsPage::addTelemetry(const TelemetryBatch& batch) { m_heatmap->addTelemetry(batch); }

void ExpertsPage::clearConversation()
{
    m_heatmap->clearLive();
    updateStatus();
}

void ExpertsPage::onModelLoaded(quint64, const LoadedModelPtr& model)
{
    m_model = model;
    m_heatmap->clearLive();
    m_heatmap->setPlan(model ? model->plan : std::nullopt);
    m_routingJob = 0;
    m_tokenExperts->clear();
    m_tokens->clear();
    m_tokenLabel->setText(tr("Send a message in the chat; then click a token of the answer to see its experts."));
    updateStatus();
}

void ExpertsPage::onModelUnloaded()
{
    m_model.reset();
    m_heatmap->setPlan(std::nullopt);
    m_routingJob = 0;
    m_tokenExperts->clear();
    m_tokens->clear();
    updateStatus();
}

void ExpertsPage::onGenerationFinished(quint64, const GenerationStats& stats)
{
    if (!m_engine)
        return;
    // The last sampled token is fed back only when the loop goes on; an end-of-text token
    // is not counted in generatedTokens at all (see Engine::generate).
    m_answerTokens = stats.stop == moe::GenerationResult::Stop::Eos ? stats.generatedTokens
                                                                     : std::max<int64_t>(0, stats.generatedTokens - 1);
    m_routingJob = m_engine->requestRoutingHistory(kRoutingHistoryTokens);
}

void ExpertsPage::onRoutingHistory(quint64 job, const RoutingHistoryPtr& history)
{
    if (job != m_routingJob || !history)
        return; // stale: a newer request is on its way
    m_routingJob = 0;
    m_tokens->setHistory(history, m_answerTokens);
    m_tokenExperts->clear();
    const int rows = m_tokens->rowCount();
    if (rows == 0) {
        m_tokenLabel->setText(tr("No tokens in the cache."));
        return;
    }
    // Start on the first token of the answer (or the last token when there is none).
    selectToken(int(std::max<int64_t>(0, rows - std::max<int64_t>(m_answerTokens, 1))));
}

void ExpertsPage::selectToken(int row)
{
    const RoutingHistoryPtr history = m_tokens->history();
    if (!history || row < 0 || row >= int(history->tokens.size()))
        return;
    m_tokenExperts->setToken(history, row);
    const QModelIndex index = m_tokens->index(row);
    if (m_tokenList->currentIndex() != index)
        m_tokenList->setCurrentIndex(index);
    const moe::TokenRouting& t = history->tokens[size_t(row)];
    const QString text = size_t(row) < history->texts.size() ? history->texts[size_t(row)] : QString();
    m_tokenLabel->setText(tr("Token “%1” (id %2, position %3): top-%4 experts and gate weights in every MoE layer")
                              .arg(TokenRoutingModel::visibleText(text).toHtmlEscaped())
                              .arg(t.token)
                              .arg(t.position)
                              .arg(history->topK));
}

QString ExpertsPage::statusText() const { return m_status->text(); }

QString ExpertsPage::placementText() const { return m_placementLegend->text(); }

void ExpertsPage::updateStatus()
{
    using Source = ExpertHeatmapModel::Source;
    QString source;
    bool randomWeights = false;
    switch (m_heatmap->source()) {
    case Source::ThisStep: source = tr("This step"); break;
    case Source::SlidingWindow: source = tr("Last %1 steps").arg(m_heatmap->windowSteps()); break;
    case Source::Conversation: source = tr("Whole conversation"); break;
    case Source::SavedRun:
        if (const ProfileRunPtr run = m_heatmap->savedRun()) {
            source = tr("Saved run “%1” (%2, %3)")
                         .arg(QString::fromStdString(run->name).toHtmlEscaped(),
                              QString::fromStdString(run->modelName).toHtmlEscaped(),
                              QString::fromStdString(run->createdAt).toHtmlEscaped());
            randomWeights = run->randomWeights;
        }
        break;
    }
    QStringList parts;
    parts << QStringLiteral("<b>%1</b>").arg(source);
    parts << (m_heatmap->shownSteps() == 1 ? tr("1 step") : tr("%1 steps").arg(m_heatmap->shownSteps()));
    parts << tr("%1 tokens").arg(formatCount(double(m_heatmap->shownTokens())));
    if (m_heatmap->layers() > 0)
        parts << tr("%1 MoE layers × %2 experts, top-%3")
                     .arg(m_heatmap->layers())
                     .arg(m_heatmap->experts())
                     .arg(m_heatmap->topK());
    if (m_heatmap->source() != Source::SavedRun) {
        if (m_model) {
            parts << m_model->name.toHtmlEscaped();
            randomWeights = m_model->info.randomWeights;
        } else {
            parts << tr("no model loaded");
        }
    }
    QString text = parts.join(QStringLiteral(" · "));
    if (randomWeights)
        text += QStringLiteral(" · <span style=\"color:#b35c00\">%1</span>")
                    .arg(tr("random weights (a generated demo model): routing shows the mechanics, not what a "
                            "trained model prefers"));
    m_status->setText(text);
}

void ExpertsPage::updatePlacementLegend()
{
    const std::optional<moe::ParallelPlan>& plan = m_heatmap->plan();
    const bool sharded = plan && plan->ep() > 1;
    m_placementCheck->setEnabled(sharded);
    if (!sharded || !m_placementCheck->isChecked() || !m_heatmap->hasPlacement()) {
        m_placementLegend->clear();
        m_placementLegend->setVisible(false);
        return;
    }
    QStringList groups;
    for (int64_t g = 0; g < plan->ep(); ++g) {
        QStringList devices;
        for (int64_t t = 0; t < plan->tp(); ++t)
            devices << QString::number(plan->deviceOf(g, t));
        groups << QStringLiteral("<span style=\"color:%1\">■</span> %2")
                      .arg(plot::categorical(int(g)).name(), tr("EP%1 = device(s) %2").arg(g).arg(devices.join(QStringLiteral(", "))));
    }
    m_placementLegend->setText(tr("Placement (%1): %2")
                                   .arg(moeui::placementText(plan->policy()),
                                        groups.join(QStringLiteral(" &nbsp; "))));
    m_placementLegend->setVisible(true);
}

} // namespace moeui
