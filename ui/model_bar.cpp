#include "model_bar.h"

#include "format.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>

namespace moeui {

namespace {

QLabel* field(const QString& tip)
{
    auto* l = new QLabel;
    l->setToolTip(tip);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return l;
}

} // namespace

ModelBar::ModelBar(EngineController* engine, QWidget* parent) : QWidget(parent), m_engine(engine)
{
    auto* h = new QHBoxLayout(this);
    h->setContentsMargins(8, 4, 8, 4);
    m_model = field(tr("Loaded model"));
    QFont bold = m_model->font();
    bold.setBold(true);
    m_model->setFont(bold);
    m_plan = field(tr("Devices and parallel layout"));
    m_quant = field(tr("Weight type holding most of the model's bytes"));
    m_memory = field(tr("Memory the model holds (weights + KV cache), all devices"));
    m_speed = field(tr("Decode speed of the last step"));
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(200);
    m_progress->hide();
    m_load = new QPushButton(tr("Load model…"));
    m_unload = new QPushButton(tr("Unload"));
    h->addWidget(m_model);
    for (QLabel* l : {m_plan, m_quant, m_memory, m_speed}) {
        auto* sep = new QLabel(QStringLiteral("·"));
        sep->setStyleSheet(QStringLiteral("color: palette(mid);"));
        h->addWidget(sep);
        h->addWidget(l);
    }
    h->addStretch(1);
    h->addWidget(m_progress);
    h->addWidget(m_load);
    h->addWidget(m_unload);
    showModel(nullptr);

    connect(m_load, &QPushButton::clicked, this, &ModelBar::loadRequested);
    connect(m_unload, &QPushButton::clicked, m_engine, &EngineController::unloadModel);
    connect(m_engine, &EngineController::loadStarted, this, [this](quint64 job, const QString& path) {
        m_loadJob = job;
        m_model->setText(tr("Loading %1…").arg(QFileInfo(path).fileName()));
        m_progress->setValue(0);
        m_progress->show();
    });
    connect(m_engine, &EngineController::loadProgress, this, [this](quint64 job, quint64 done, quint64 total, double) {
        if (job == m_loadJob && total > 0)
            m_progress->setValue(int(1000.0 * double(done) / double(total)));
    });
    connect(m_engine, &EngineController::modelLoaded, this, [this](quint64, LoadedModelPtr m) { showModel(m); });
    connect(m_engine, &EngineController::modelUnloaded, this, [this] { showModel(nullptr); });
    connect(m_engine, &EngineController::loadCancelled, this, [this](quint64 job) {
        if (job == m_loadJob)
            showModel(m_engine->model());
    });
    connect(m_engine, &EngineController::jobFailed, this, [this](quint64 job, const QString&) {
        if (job == m_loadJob)
            showModel(m_engine->model());
    });
    connect(m_engine, &EngineController::telemetryUpdated, this, &ModelBar::onTelemetry);
}

QString ModelBar::modelText() const { return m_model->text(); }
QString ModelBar::speedText() const { return m_speed->text(); }

void ModelBar::showModel(const LoadedModelPtr& model)
{
    m_progress->hide();
    m_unload->setEnabled(model != nullptr);
    if (!model) {
        m_model->setText(tr("No model loaded"));
        for (QLabel* l : {m_plan, m_quant, m_memory, m_speed})
            l->clear();
        return;
    }
    QString name = model->name;
    if (model->info.randomWeights)
        name += tr(" (random weights)");
    m_model->setText(name);
    m_model->setToolTip(model->path);
    const moe::ParallelConfig& p = model->options.parallel;
    if (model->plan)
        m_plan->setText(tr("cpu:%1 · TP %2 × EP %3 · %4")
                            .arg(model->plan->devices())
                            .arg(model->plan->tp())
                            .arg(model->plan->ep())
                            .arg(placementText(model->plan->policy())));
    else if (model->backend.startsWith(QLatin1String("cuda")))
        m_plan->setText(model->backend.section(QLatin1Char(' '), 0, 0) + QStringLiteral(" · ") +
                        model->backend.section(QLatin1Char('('), 1).section(QLatin1Char(','), 0, 0));
    else
        m_plan->setText(p.devices > 1 ? tr("cpu:%1").arg(p.devices) : tr("CPU, one device"));
    m_plan->setToolTip(model->deviceFallbackReason.isEmpty()
                           ? model->backend
                           : tr("%1\nAutomatic chose the CPU: %2").arg(model->backend, model->deviceFallbackReason));
    m_quant->setText(model->info.quantizedAtLoad
                         ? tr("%1 (quantized at load)").arg(QString::fromStdString(moe::dominantTensorType(model->info)))
                         : QString::fromStdString(moe::dominantTensorType(model->info)));
    uint64_t bytes = 0;
    for (const moe::DeviceMemory& m : model->memoryPerDevice)
        bytes += m.totalBytes();
    if (bytes == 0) // one device: no plan; the weights plus the KV cache at the context length
        bytes = model->info.weightBytes + model->info.kvBytesPerToken * uint64_t(std::max<int64_t>(0, model->contextLength));
    m_memory->setText(formatBytes(double(bytes)));
    m_speed->setText(tr("– tok/s"));
}

void ModelBar::onTelemetry(const TelemetryBatch& batch)
{
    for (auto it = batch.rbegin(); it != batch.rend(); ++it)
        if (!(*it)->prefill && (*it)->tokensPerSecond > 0) {
            m_speed->setText(formatRate((*it)->tokensPerSecond));
            return;
        }
}

} // namespace moeui
