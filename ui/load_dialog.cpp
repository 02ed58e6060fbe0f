#include "load_dialog.h"

#include "format.h"

#include "moe/devices.h"
#include "moe/error.h"
#include "moe/quantize.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace moeui {

namespace {

constexpr int kRecentMax = 10;

QString memoryTotal(const moe::DeviceMemory& m) { return formatBytes(double(m.totalBytes())); }

} // namespace

uint64_t availableMemoryBytes()
{
    QFile f(QStringLiteral("/proc/meminfo"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    // readAll, not atEnd()/readLine(): a /proc file reports size 0, so atEnd() is true
    // before anything was read.
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("MemAvailable:"))
            return line.mid(13).trimmed().split(' ').value(0).toULongLong() * 1024;
    return 0;
}

QStringList LoadModelDialog::recentModels()
{
    return QSettings().value(QStringLiteral("recentModels")).toStringList();
}

void LoadModelDialog::addRecentModel(const QString& path)
{
    QStringList list = recentModels();
    list.removeAll(path);
    list.prepend(path);
    while (list.size() > kRecentMax)
        list.removeLast();
    QSettings().setValue(QStringLiteral("recentModels"), list);
}

LoadModelDialog::LoadModelDialog(EngineController* engine, QWidget* parent) : QDialog(parent), m_engine(engine)
{
    setWindowTitle(tr("Load model"));
    setMinimumWidth(640);
    auto* v = new QVBoxLayout(this);

    auto* pathRow = new QHBoxLayout;
    m_path = new QLineEdit;
    m_path->setPlaceholderText(tr("A .gguf file or a Hugging Face model folder"));
    auto* file = new QPushButton(tr("File…"));
    auto* folder = new QPushButton(tr("Folder…"));
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(file);
    pathRow->addWidget(folder);
    v->addLayout(pathRow);
    m_recent = new QComboBox;
    m_recent->addItem(tr("Recent models…"));
    for (const QString& r : recentModels())
        m_recent->addItem(r);
    m_recent->setEnabled(m_recent->count() > 1);
    v->addWidget(m_recent);

    auto* infoBox = new QGroupBox(tr("Model"));
    auto* iv = new QVBoxLayout(infoBox);
    m_summary = new QLabel(tr("Choose a model to see what it is before loading it."));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    iv->addWidget(m_summary);
    m_memory = new QTableWidget(0, 5);
    m_memory->setObjectName(QStringLiteral("memoryPlan"));
    m_memory->setHorizontalHeaderLabels({tr("Device"), tr("Attention"), tr("Experts"), tr("Replicated"), tr("Total")});
    m_memory->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_memory->verticalHeader()->hide();
    m_memory->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_memory->setMaximumHeight(130);
    iv->addWidget(m_memory);
    m_fit = new QLabel;
    m_fit->setObjectName(QStringLiteral("fit"));
    m_fit->setWordWrap(true);
    iv->addWidget(m_fit);
    v->addWidget(infoBox);

    auto* optionsBox = new QGroupBox(tr("Run options"));
    auto* form = new QFormLayout(optionsBox);
    m_runOn = new QComboBox;
    m_runOn->setObjectName(QStringLiteral("runOn"));
    m_runOn->addItem(tr("Automatic (a GPU when one can run the model, else the CPU)"), QStringLiteral("auto"));
    m_runOn->addItem(tr("CPU"), QStringLiteral("cpu"));
    m_runOn->setToolTip(tr("Where the model runs. GPUs appear once the CUDA driver has answered."));
    form->addRow(tr("Run on"), m_runOn);
    m_threads = new QSpinBox;
    m_threads->setRange(0, 1024);
    m_threads->setSpecialValueText(tr("all cores (%1)").arg(QThread::idealThreadCount()));
    form->addRow(tr("Threads"), m_threads);
    m_devices = new QSpinBox;
    m_devices->setRange(1, 64);
    m_devices->setToolTip(tr("CPU virtual devices: the model is split as on that many GPUs, with real data moved "
                             "between them and the traffic counted"));
    form->addRow(tr("CPU devices"), m_devices);
    m_tp = new QSpinBox;
    m_tp->setObjectName(QStringLiteral("tp"));
    m_tp->setRange(1, 64);
    form->addRow(tr("Tensor parallel (TP)"), m_tp);
    m_ep = new QSpinBox;
    m_ep->setObjectName(QStringLiteral("ep"));
    m_ep->setRange(1, 64);
    form->addRow(tr("Expert parallel (EP)"), m_ep);
    m_placement = new QComboBox;
    m_placement->addItem(tr("contiguous"), QStringLiteral("contiguous"));
    m_placement->addItem(tr("round-robin"), QStringLiteral("round-robin"));
    form->addRow(tr("Expert placement"), m_placement);
    m_link = new QComboBox;
    m_link->addItem(tr("NVLink 4 (450 GB/s per direction)"), QStringLiteral("nvlink4"));
    m_link->addItem(tr("PCIe Gen5 x16"), QStringLiteral("pcie5"));
    m_link->addItem(tr("PCIe Gen4 x16"), QStringLiteral("pcie4"));
    m_link->setToolTip(tr("The link the traffic estimate of virtual devices assumes"));
    form->addRow(tr("Modelled link"), m_link);
    m_context = new QSpinBox;
    m_context->setRange(0, 1 << 24);
    m_context->setSingleStep(1024);
    m_context->setSpecialValueText(tr("default (model's, at most 4096)"));
    form->addRow(tr("Context length"), m_context);
    m_quant = new QComboBox;
    m_quant->addItem(tr("as stored in the file"), QString());
    for (moe::DType t : moe::quantizeTargetTypes())
        m_quant->addItem(QString::fromLatin1(moe::dtypeName(t)), QString::fromLatin1(moe::dtypeName(t)));
    m_quant->setToolTip(tr("Quantize F32 / F16 / BF16 weights while loading (routers and norms stay high "
                           "precision; tensors already quantized are kept). See `moe eval-quant` for the quality cost."));
    form->addRow(tr("Quantize at load"), m_quant);
    m_gpus = new QLabel(tr("looking for NVIDIA GPUs…"));
    m_gpus->setWordWrap(true);
    m_gpus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("GPUs"), m_gpus);
    // The CUDA driver can take a moment to start: ask it off the UI thread.
    auto* devices = new QFutureWatcher<moe::DeviceReport>(this);
    connect(devices, &QFutureWatcher<moe::DeviceReport>::finished, this, [this, devices] {
        const moe::DeviceReport r = devices->result();
        m_deviceReport = r;
        if (r.cuda.empty()) {
            const QString reason = QString::fromStdString(r.reason);
            m_gpus->setText(tr("none found (%1)").arg(reason.section(QLatin1Char(':'), 0, 0)));
            m_gpus->setToolTip(reason);
            updatePlan();
            return;
        }
        QStringList names;
        auto* items = qobject_cast<QStandardItemModel*>(m_runOn->model());
        for (const moe::CudaDeviceInfo& d : r.cuda) {
            const QString name = tr("cuda:%1 %2 (%3)").arg(d.index).arg(QString::fromStdString(d.name),
                                                                         formatBytes(double(d.memoryBytes)));
            names << name;
            m_runOn->addItem(name, QStringLiteral("cuda:%1").arg(d.index));
            if (!r.cudaComputeAvailable && items) {
                QStandardItem* item = items->item(m_runOn->count() - 1);
                item->setEnabled(false);
                item->setToolTip(QString::fromStdString(r.cudaBackendReason));
            }
        }
        if (r.cuda.size() >= 2 && r.cudaComputeAvailable && r.ncclBuilt) {
            // Split over every GPU (TP x EP must then use them all; NCCL moves the data).
            QStringList ids;
            for (const moe::CudaDeviceInfo& d : r.cuda)
                ids << QString::number(d.index);
            m_runOn->addItem(tr("all %1 GPUs (TP × EP over NCCL)").arg(r.cuda.size()),
                             QStringLiteral("cuda:") + ids.join(QLatin1Char(',')));
        }
        m_gpus->setText(names.join(QStringLiteral(", ")) +
                        (r.cudaComputeAvailable ? QString()
                                                : tr(" — listed for planning; models run on the CPU (no CUDA backend)")));
        m_gpus->setToolTip(QString::fromStdString(r.cudaComputeAvailable ? r.cudaBackendBuild : r.cudaBackendReason));
        updatePlan();
    });
    devices->setFuture(QtConcurrent::run([] { return moe::discoverDevices(); }));
    v->addWidget(optionsBox);

    m_progress = new QProgressBar;
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setTextVisible(false);
    m_progress->hide();
    v->addWidget(m_progress);
    m_progressText = new QLabel;
    m_progressText->hide();
    v->addWidget(m_progressText);
    m_error = new QLabel;
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_error->hide();
    v->addWidget(m_error);

    auto* buttons = new QDialogButtonBox;
    m_load = buttons->addButton(tr("Load"), QDialogButtonBox::AcceptRole);
    m_cancel = buttons->addButton(tr("Cancel load"), QDialogButtonBox::ActionRole);
    m_close = buttons->addButton(QDialogButtonBox::Close);
    m_cancel->setEnabled(false);
    m_load->setEnabled(false);
    v->addWidget(buttons);

    connect(file, &QPushButton::clicked, this, [this] {
        const QString p = QFileDialog::getOpenFileName(this, tr("Open GGUF model"), m_path->text(),
                                                       tr("GGUF models (*.gguf);;All files (*)"));
        if (!p.isEmpty())
            setPath(p);
    });
    connect(folder, &QPushButton::clicked, this, [this] {
        const QString p = QFileDialog::getExistingDirectory(this, tr("Open Hugging Face model folder"), m_path->text());
        if (!p.isEmpty())
            setPath(p);
    });
    connect(m_recent, &QComboBox::activated, this, [this](int index) {
        if (index > 0)
            setPath(m_recent->itemText(index));
    });
    connect(m_path, &QLineEdit::editingFinished, this, &LoadModelDialog::inspect);
    connect(&m_watcher, &QFutureWatcher<InspectResult>::finished, this, [this] { showInspection(m_watcher.result()); });
    for (QSpinBox* s : {m_devices, m_tp, m_ep, m_context})
        connect(s, &QSpinBox::valueChanged, this, &LoadModelDialog::updatePlan);
    connect(m_placement, &QComboBox::currentIndexChanged, this, &LoadModelDialog::updatePlan);
    connect(m_runOn, &QComboBox::currentIndexChanged, this, [this] {
        // Virtual CPU devices split a model on the CPU only.
        const QString runOn = m_runOn->currentData().toString();
        const bool gpu = runOn.startsWith(QLatin1String("cuda:"));
        m_devices->setEnabled(!gpu);
        if (gpu)
            m_devices->setValue(int(runOn.count(QLatin1Char(',')) + 1));
        updatePlan();
    });
    connect(m_quant, &QComboBox::currentIndexChanged, this, &LoadModelDialog::updatePlan);
    connect(m_load, &QPushButton::clicked, this, &LoadModelDialog::startLoad);
    connect(m_cancel, &QPushButton::clicked, this, &LoadModelDialog::cancelLoad);
    connect(m_close, &QPushButton::clicked, this, &QDialog::reject);

    connect(m_engine, &EngineController::loadProgress, this,
            [this](quint64 job, quint64 done, quint64 total, double elapsed) {
                if (job != m_job || total == 0)
                    return;
                m_progress->setValue(int(1000.0 * double(done) / double(total)));
                QString text = tr("%1 of %2").arg(formatBytes(double(done)), formatBytes(double(total)));
                if (done > 0 && elapsed > 0.5 && done < total)
                    text += tr(" · about %1 left").arg(formatSeconds(elapsed * double(total - done) / double(done)));
                m_progressText->setText(text);
            });
    connect(m_engine, &EngineController::modelLoaded, this, [this](quint64 job, LoadedModelPtr model) {
        if (job != m_job)
            return;
        m_job = 0;
        setBusy(false);
        addRecentModel(m_path->text().trimmed());
        m_progressText->setText(tr("Loaded %1 in %2").arg(model->name, formatSeconds(model->loadSeconds)));
        accept();
    });
    connect(m_engine, &EngineController::loadCancelled, this, [this](quint64 job) {
        if (job != m_job)
            return;
        m_job = 0;
        setBusy(false);
        m_progress->hide();
        m_progressText->setText(tr("Load cancelled; no model is loaded."));
    });
    connect(m_engine, &EngineController::jobFailed, this, [this](quint64 job, const QString& message) {
        if (job != m_job)
            return;
        m_job = 0;
        setBusy(false);
        m_progress->hide();
        m_progressText->hide();
        setError(message);
    });
}

QString LoadModelDialog::path() const { return m_path->text().trimmed(); }
QString LoadModelDialog::errorText() const { return m_error->isVisibleTo(this) ? m_error->text() : QString(); }
QString LoadModelDialog::summaryText() const { return m_summary->text(); }

void LoadModelDialog::setPath(const QString& path)
{
    m_path->setText(path);
    inspect();
}

void LoadModelDialog::setError(const QString& text)
{
    m_error->setText(text);
    m_error->setVisible(!text.isEmpty());
}

void LoadModelDialog::inspect()
{
    const QString p = path();
    m_info.reset();
    m_load->setEnabled(false);
    m_memory->setRowCount(0);
    m_fit->clear();
    setError({});
    if (p.isEmpty())
        return;
    m_summary->setText(tr("Reading %1…").arg(p));
    m_watcher.setFuture(QtConcurrent::run([p]() {
        InspectResult r;
        r.path = p;
        try {
            r.info = moe::inspectModel(moe::resolveModelPath(p.toStdString()));
        } catch (const std::exception& e) {
            r.error = QString::fromUtf8(e.what());
        }
        return r;
    }));
}

void LoadModelDialog::showInspection(const InspectResult& r)
{
    if (r.path != path())
        return; // the user picked another model meanwhile
    if (!r.info) {
        m_summary->setText(tr("Cannot use this model."));
        setError(r.error);
        emit inspected(r.path, false);
        return;
    }
    m_info = r.info;
    const moe::ModelInfo& info = *m_info;
    const moe::ModelSpec& s = info.spec;
    const auto counts = s.parameterCounts();
    QString text = tr("<b>%1</b> — %2, %3 layers, %4 experts (top-%5)")
                       .arg(QString::fromStdString(s.name).toHtmlEscaped(),
                            QString::fromStdString(info.architectureName).toHtmlEscaped())
                       .arg(s.numLayers)
                       .arg(s.numExperts)
                       .arg(s.numExpertsPerToken);
    text += tr("<br>%1 parameters, %2 active per token · %3 of weights (%4) · %5")
                .arg(formatCount(double(counts.total)), formatCount(double(counts.active)),
                     formatBytes(double(info.weightBytes)), QString::fromStdString(moe::dominantTensorType(info)),
                     QString::fromLatin1(moe::modelFormatName(info.format)));
    text += tr("<br>context up to %1 tokens").arg(s.maxContext);
    if (info.randomWeights)
        text += tr("<br><i>Random weights (a demo / test model): its answers are meaningless.</i>");
    if (!info.runnable)
        text += tr("<br><span style='color:#b00020'>The engine cannot run this model (see `moe info`).</span>");
    m_summary->setText(text);
    m_context->setMaximum(int(std::min<int64_t>(s.maxContext > 0 ? s.maxContext : (1 << 24), 1 << 24)));
    emit inspected(r.path, true);
    updatePlan();
}

LoadOptions LoadModelDialog::options() const
{
    LoadOptions o;
    o.threads = m_threads->value();
    o.contextLength = m_context->value();
    const QString runOn = m_runOn->currentData().toString();
    if (runOn.startsWith(QLatin1String("cuda:"))) {
        moe::parseDeviceList(runOn.toStdString(), o.parallel);
    } else {
        o.parallel.devices = m_devices->value();
        o.parallel.kind = runOn == QLatin1String("auto") ? moe::DeviceKind::Auto : moe::DeviceKind::Cpu;
    }
    o.parallel.tp = m_tp->value();
    o.parallel.ep = m_ep->value();
    o.parallel.placement = moe::parsePlacement(m_placement->currentData().toString().toStdString());
    o.link = moe::LinkModel::byName(m_link->currentData().toString().toStdString());
    const QString quant = m_quant->currentData().toString();
    if (!quant.isEmpty())
        o.quantize = moe::QuantizeOptions{moe::parseQuantizeType(quant.toStdString(), "quantize"), false};
    return o;
}

// The GPU the load will use: the one chosen, or cuda:0 for "automatic" when the CUDA
// backend can run there and the model is not split over virtual CPU devices; -1 = CPU.
int LoadModelDialog::targetGpu(const LoadOptions& o) const
{
    if (o.parallel.kind == moe::DeviceKind::Cuda && !o.parallel.cudaDevices.empty())
        return o.parallel.cudaDevices.front();
    if (o.parallel.kind == moe::DeviceKind::Auto && !o.parallel.isParallel() && m_deviceReport &&
        m_deviceReport->cudaComputeAvailable)
        return 0;
    return -1;
}

uint64_t LoadModelDialog::gpuMemoryBytes(int gpu) const
{
    if (m_deviceReport)
        for (const moe::CudaDeviceInfo& d : m_deviceReport->cuda)
            if (d.index == gpu)
                return d.memoryBytes;
    return 0;
}

// A wrapped label that gains a line after the dialog was shown does not grow it: the
// last line (whether the plan fits) would be cut off.
void LoadModelDialog::growToFit()
{
    const int wanted = sizeHint().height();
    if (isVisible() && height() < wanted)
        resize(width(), wanted);
}

void LoadModelDialog::updatePlan()
{
    m_memory->setRowCount(0);
    m_fit->clear();
    if (!m_info) {
        m_load->setEnabled(false);
        return;
    }
    const moe::ModelInfo& info = *m_info;
    const LoadOptions o = options();
    const int64_t context = o.contextLength > 0 ? o.contextLength : std::min<int64_t>(info.spec.maxContext, 4096);
    try {
        const moe::ParallelPlan plan = moe::ParallelPlan::make(info.spec, o.parallel);
        const double params = double(info.spec.parameterCounts().total);
        double bytesPerWeight = params > 0 ? double(info.weightBytes) / params : 4.0;
        if (o.quantize) // the big matrices at the chosen type (an estimate: embeddings and norms stay)
            bytesPerWeight = std::min(bytesPerWeight, double(moe::dtypeInfo(o.quantize->type).blockBytes) /
                                                          double(moe::dtypeInfo(o.quantize->type).blockElements));
        const auto memory = plan.memoryPerDevice(bytesPerWeight, context);
        const int gpu = targetGpu(o);
        const std::vector<int>& gpus = o.parallel.cudaDevices;
        uint64_t total = 0, largest = 0, smallestGpu = 0;
        m_memory->setRowCount(int(memory.size()));
        for (size_t i = 0; i < memory.size(); ++i) {
            const moe::DeviceMemory& m = memory[i];
            const int g = gpus.size() > 1 && i < gpus.size() ? gpus[i] : gpu;
            const QString device = g >= 0 ? QStringLiteral("cuda:%1").arg(g) : QStringLiteral("cpu:%1").arg(m.device);
            largest = std::max(largest, m.totalBytes());
            if (g >= 0)
                smallestGpu = smallestGpu ? std::min(smallestGpu, gpuMemoryBytes(g)) : gpuMemoryBytes(g);
            const QStringList cells{device, formatBytes(double(m.attentionBytes)),
                                    formatBytes(double(m.expertBytes)), formatBytes(double(m.replicatedBytes)),
                                    memoryTotal(m)};
            for (int c = 0; c < cells.size(); ++c)
                m_memory->setItem(int(i), c, new QTableWidgetItem(cells[c]));
            total += m.totalBytes();
        }
        const uint64_t available = gpu >= 0 ? gpuMemoryBytes(gpu) : availableMemoryBytes();
        QString fit = tr("Plan: %1 device(s), TP %2 × EP %3 · %4 in all (weights at the file's %5 bytes/weight, "
                         "F32 KV cache of %6 tokens)")
                          .arg(plan.devices())
                          .arg(plan.tp())
                          .arg(plan.ep())
                          .arg(formatBytes(double(total)))
                          .arg(bytesPerWeight, 0, 'f', 3)
                          .arg(context);
        if (gpus.size() > 1 && smallestGpu > 0) { // each GPU holds its own share
            if (largest <= smallestGpu)
                fit += tr("<br><span style='color:#1b7f3b'>Fits: the fullest GPU needs %1 of %2.</span>")
                           .arg(formatBytes(double(largest)), formatBytes(double(smallestGpu)));
            else
                fit += tr("<br><span style='color:#b00020'>Does not fit: the fullest GPU needs %1, a GPU has "
                          "%2.</span>")
                           .arg(formatBytes(double(largest)), formatBytes(double(smallestGpu)));
        } else if (available > 0) {
            if (total <= available)
                fit += gpu >= 0 ? tr("<br><span style='color:#1b7f3b'>Fits: cuda:%2 has %1 of memory.</span>")
                                      .arg(formatBytes(double(available)))
                                      .arg(gpu)
                                : tr("<br><span style='color:#1b7f3b'>Fits: %1 of memory available.</span>")
                                      .arg(formatBytes(double(available)));
            else
                fit += tr("<br><span style='color:#b00020'>Does not fit: %1 available, short by %2.</span>")
                           .arg(formatBytes(double(available)), formatBytes(double(total - available)));
        }
        m_fit->setText(fit);
        growToFit();
        m_load->setEnabled(info.runnable && m_job == 0);
        setError({});
    } catch (const std::exception& e) {
        m_load->setEnabled(false);
        setError(QString::fromUtf8(e.what()));
    }
}

void LoadModelDialog::setBusy(bool busy)
{
    m_load->setEnabled(!busy && m_info && m_info->runnable);
    m_cancel->setEnabled(busy);
    m_path->setEnabled(!busy);
    m_recent->setEnabled(!busy && m_recent->count() > 1);
    m_close->setEnabled(!busy);
}

void LoadModelDialog::startLoad()
{
    if (m_job != 0 || path().isEmpty())
        return;
    setError({});
    LoadOptions o;
    try {
        o = options();
    } catch (const std::exception& e) {
        setError(QString::fromUtf8(e.what()));
        return;
    }
    m_progress->setValue(0);
    m_progress->show();
    m_progressText->setText(tr("Starting…"));
    m_progressText->show();
    m_job = m_engine->loadModel(path(), o);
    setBusy(true);
}

void LoadModelDialog::cancelLoad()
{
    if (m_job)
        m_engine->cancel(m_job);
}

} // namespace moeui
