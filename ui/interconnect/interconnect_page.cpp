#include "interconnect/interconnect_page.h"

#include "format.h"
#include "interconnect/link_utilisation_model.h"
#include "interconnect/traffic_heatmap_view.h"
#include "interconnect/traffic_history_model.h"
#include "interconnect/traffic_matrix_model.h"
#include "interconnect/traffic_timeline_chart.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace moeui {

InterconnectPage::InterconnectPage(EngineController* engine, QWidget* parent) : QWidget(parent), m_engine(engine)
{
    m_traffic = new TrafficMatrixModel(this);
    m_links = new LinkUtilisationModel(m_traffic, this);
    m_history = new TrafficHistoryModel(this);
    buildUi();
    connect(m_traffic, &TrafficMatrixModel::trafficChanged, this, &InterconnectPage::updateState);
    if (engine) {
        connect(engine, &EngineController::telemetryUpdated, this, &InterconnectPage::addTelemetry);
        connect(engine, &EngineController::modelLoaded, this, &InterconnectPage::onModelLoaded);
        connect(engine, &EngineController::modelUnloaded, this, &InterconnectPage::onModelUnloaded);
        if (LoadedModelPtr loaded = engine->model())
            onModelLoaded(0, loaded);
    }
    updateState();
}

void InterconnectPage::buildUi()
{
    m_windowCombo = new QComboBox;
    m_windowCombo->addItem(tr("Whole session"), int(TrafficMatrixModel::Window::Session));
    m_windowCombo->addItem(tr("Last step"), int(TrafficMatrixModel::Window::LastStep));
    m_windowCombo->setToolTip(tr("Which steps the heatmap and the link table add up"));
    m_unitCombo = new QComboBox;
    m_unitCombo->addItem(tr("Bytes"), int(TrafficHeatmapView::Unit::Bytes));
    m_unitCombo->addItem(tr("GB/s"), int(TrafficHeatmapView::Unit::GbPerSecond));
    m_logCheck = new QCheckBox(tr("Log scale"));
    m_logCheck->setToolTip(tr("Bytes per step on a logarithmic axis: prefill and decode steps side by side"));
    m_clearButton = new QPushButton(tr("Clear"));
    m_clearButton->setToolTip(tr("Forget the traffic counted so far"));
    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Window:")));
    controls->addWidget(m_windowCombo);
    controls->addSpacing(12);
    controls->addWidget(new QLabel(tr("Heatmap:")));
    controls->addWidget(m_unitCombo);
    controls->addSpacing(12);
    controls->addWidget(m_logCheck);
    controls->addStretch(1);
    controls->addWidget(m_clearButton);

    m_banner = new QLabel;
    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::RichText);
    m_banner->setStyleSheet(QStringLiteral(
        "QLabel { background: #fff4d6; color: #5a3d00; border: 1px solid #e8c66a; border-radius: 4px; padding: 6px; }"));
    m_status = new QLabel;
    m_status->setWordWrap(true);

    m_heatmapView = new TrafficHeatmapView(m_traffic);
    m_linkTable = new QTableView;
    m_linkTable->setModel(m_links);
    m_linkTable->verticalHeader()->hide();
    m_linkTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_linkTable->horizontalHeader()->setStretchLastSection(true);
    m_linkTable->setAlternatingRowColors(true);
    m_timeline = new TrafficTimelineChart(m_history);

    auto* heatmapBox = new QGroupBox(tr("Traffic between devices"));
    auto* heatmapLayout = new QVBoxLayout(heatmapBox);
    heatmapLayout->setContentsMargins(4, 4, 4, 4);
    heatmapLayout->addWidget(m_heatmapView);
    auto* linkBox = new QGroupBox(tr("Link utilisation"));
    auto* linkLayout = new QVBoxLayout(linkBox);
    linkLayout->setContentsMargins(4, 4, 4, 4);
    linkLayout->addWidget(m_linkTable);
    auto* timelineBox = new QGroupBox(tr("Bytes per step"));
    auto* timelineLayout = new QVBoxLayout(timelineBox);
    timelineLayout->setContentsMargins(4, 4, 4, 4);
    timelineLayout->addWidget(m_timeline);

    auto* upper = new QSplitter(Qt::Horizontal);
    upper->addWidget(heatmapBox);
    upper->addWidget(linkBox);
    upper->setStretchFactor(0, 2);
    upper->setStretchFactor(1, 3);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(upper);
    split->addWidget(timelineBox);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto* content = new QWidget;
    auto* contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    contentLayout->addLayout(controls);
    contentLayout->addWidget(m_banner);
    contentLayout->addWidget(m_status);
    contentLayout->addWidget(split, 1);

    m_emptyLabel = new QLabel;
    m_emptyLabel->setAlignment(Qt::AlignCenter);
    m_emptyLabel->setWordWrap(true);
    m_emptyLabel->setTextFormat(Qt::RichText);
    m_emptyLabel->setMargin(40);

    m_stack = new QStackedWidget;
    m_stack->addWidget(m_emptyLabel);
    m_stack->addWidget(content);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_stack);

    connect(m_windowCombo, &QComboBox::currentIndexChanged, this, [this] {
        m_traffic->setWindow(TrafficMatrixModel::Window(m_windowCombo->currentData().toInt()));
    });
    connect(m_unitCombo, &QComboBox::currentIndexChanged, this, [this] {
        m_heatmapView->setUnit(TrafficHeatmapView::Unit(m_unitCombo->currentData().toInt()));
    });
    connect(m_logCheck, &QCheckBox::toggled, m_timeline, &TrafficTimelineChart::setLogScale);
    connect(m_clearButton, &QPushButton::clicked, this, &InterconnectPage::clear);
}

void InterconnectPage::addTelemetry(const TelemetryBatch& batch)
{
    m_traffic->addTelemetry(batch);
    m_history->addTelemetry(batch);
}

void InterconnectPage::clear()
{
    m_traffic->clear();
    m_history->clear();
    updateState();
}

void InterconnectPage::onModelLoaded(quint64, const LoadedModelPtr& model)
{
    m_model = model;
    if (model)
        m_links->setLink(QString::fromStdString(model->options.link.name), model->options.link.gbPerSecond);
    clear();
}

void InterconnectPage::onModelUnloaded()
{
    m_model.reset();
    updateState();
}

bool InterconnectPage::isEmptyStateShown() const { return m_stack->currentIndex() == 0; }

QString InterconnectPage::emptyStateText() const { return m_emptyLabel->text(); }

bool InterconnectPage::isEstimatedBannerShown() const { return !m_banner->isHidden(); }

QString InterconnectPage::bannerText() const { return m_banner->text(); }

QString InterconnectPage::statusText() const { return m_status->text(); }

void InterconnectPage::updateState()
{
    const bool modelSharded = m_model && m_model->plan && m_model->plan->devices() > 1;
    const bool hasTraffic = m_traffic->devices() >= 2;
    if (!hasTraffic && !modelSharded) {
        const QString how = tr("To see traffic, load the model with <b>cpu:N</b> devices and <b>TP</b> or <b>EP</b> "
                               "&gt; 1 in the load dialog (for example cpu:2 with TP 2), or on a machine with "
                               "several GPUs pick them there.");
        QString why;
        if (!m_model)
            why = tr("No model is loaded.");
        else
            why = tr("“%1” runs on one device, so nothing crosses an interconnect.").arg(m_model->name.toHtmlEscaped());
        m_emptyLabel->setText(QStringLiteral("<p style=\"font-size:large\"><b>%1</b></p><p>%2</p><p>%3</p>")
                                  .arg(tr("No interconnect traffic"), why, how));
        m_stack->setCurrentIndex(0);
        return;
    }
    m_stack->setCurrentIndex(1);

    const TrafficTotals& session = m_traffic->session();
    // Before the first step, what the loaded model's devices will be tells us the same.
    const bool estimated = hasTraffic ? session.estimated
                                      : (m_model && m_model->options.parallel.kind == moe::DeviceKind::Cpu);
    const QString linkName = session.link.empty() ? m_links->linkName() : QString::fromStdString(session.link);
    if (estimated) {
        m_banner->setText(tr("<b>Virtual devices.</b> These are virtual CPU devices in one process: the bytes "
                             "are really copied between them and counted exactly, but every time, GB/s and "
                             "utilisation figure is <b>estimated</b> on the %1 link model (%2 GB/s per "
                             "direction), not measured on hardware.")
                              .arg(linkName.toHtmlEscaped())
                              .arg(m_links->linkGbPerSecond(), 0, 'f', 1));
        m_banner->show();
    } else {
        m_banner->hide();
    }

    QStringList parts;
    if (m_model && m_model->plan)
        parts << tr("%1 devices (TP %2 × EP %3)").arg(m_model->plan->devices()).arg(m_model->plan->tp()).arg(m_model->plan->ep());
    else
        parts << tr("%1 devices").arg(m_traffic->devices());
    if (!hasTraffic) {
        parts << tr("waiting for the first step: send a message in the chat");
    } else {
        const TrafficTotals& shown = m_traffic->shown();
        parts << (session.steps == 1 ? tr("1 step in the session") : tr("%1 steps in the session").arg(session.steps));
        parts << tr("%1 moved in the session").arg(formatBytes(double(session.totalBytes())));
        const QString time = formatSeconds(shown.seconds());
        parts << (shown.estimated ? tr("%1 in collectives (estimated) over the window").arg(time)
                                  : tr("%1 in collectives over the window").arg(time));
    }
    m_status->setText(parts.join(QStringLiteral(" · ")));
}

} // namespace moeui
