#include "planner/plan_form.h"

#include "moe/quant_formats.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace moeui {
namespace {

using nlohmann::json;

constexpr int kMaxTokens = 1 << 30;
const char* const kDefaultScaleOut = "infiniband-ndr";
const char* const kErrorStyle = "border: 2px solid #c62828;";

QSpinBox* intSpin(int min, int max, int value)
{
    auto* s = new QSpinBox;
    s->setRange(min, max);
    s->setValue(value);
    s->setGroupSeparatorShown(true);
    s->setAccelerated(true);
    return s;
}

QDoubleSpinBox* doubleSpin(double min, double max, int decimals, double step, double value)
{
    auto* s = new QDoubleSpinBox;
    s->setRange(min, max);
    s->setDecimals(decimals);
    s->setSingleStep(step);
    s->setValue(value);
    return s;
}

} // namespace

PlanForm::PlanForm(const moe::Catalog& catalog, QWidget* parent) : QWidget(parent), m_catalog(catalog)
{
    createWidgets();
    layOutWidgets();
    connectWidgets();
    m_filling = true;
    onGpuChanged();
    m_filling = false;
}

void PlanForm::createWidgets()
{
    const moe::RuntimeOverheads defaults;
    const moe::Catalog& catalog = m_catalog;

    m_model = new QComboBox;
    for (const auto& m : catalog.models)
        m_model->addItem(tr("%1 (%2)").arg(QString::fromStdString(m.model.spec.name), QString::fromStdString(m.model.key)),
                         QString::fromStdString(m.model.key));
    auto* browse = new QToolButton;
    browse->setText(tr("File…"));
    browse->setToolTip(tr("Plan a model on disk: a config.json, a .gguf file or a model folder's config"));
    connect(browse, &QToolButton::clicked, this, &PlanForm::browseModelFile);
    m_browse = browse;

    m_quant = new QComboBox;
    for (const auto& q : moe::quantFormats()) {
        m_quant->addItem(tr("%1 (%2 bits/weight)").arg(QString::fromStdString(q.key)).arg(q.bitsPerWeight(), 0, 'f', 2),
                         QString::fromStdString(q.key));
        m_quant->setItemData(m_quant->count() - 1, QString::fromStdString(q.description), Qt::ToolTipRole);
    }
    m_kvDtype = new QComboBox;
    for (const char* k : {"bf16", "fp16", "fp8", "fp32"})
        m_kvDtype->addItem(QString::fromLatin1(k), QString::fromLatin1(k));

    m_gpu = new QComboBox;
    for (const auto& g : catalog.gpus)
        m_gpu->addItem(QString::fromStdString(g.name), QString::fromStdString(g.key));
    m_count = intSpin(1, 4096, 1);
    m_interconnect = new QComboBox;
    m_interconnect->addItem(QString(), QString()); // the GPU's own link; text set in onGpuChanged
    for (const auto& ic : catalog.interconnects)
        m_interconnect->addItem(QString::fromStdString(ic.name), QString::fromStdString(ic.key));

    m_tp = intSpin(1, 1024, 1);
    m_ep = intSpin(1, 1024, 1);
    m_pp = intSpin(1, 1024, 1);
    m_dp = intSpin(1, 1024, 1);
    m_dpAttention = new QCheckBox(tr("DP attention (replicas share the MoE layers)"));
    m_tp->setToolTip(tr("Tensor parallel: attention and dense layers sharded over this many GPUs"));
    m_ep->setToolTip(tr("Expert parallel: the routed experts split into this many groups"));
    m_pp->setToolTip(tr("Pipeline parallel: the layers split into this many stages"));
    m_dp->setToolTip(tr("Data parallel replicas"));
    for (auto [label, spin] : {std::pair{tr("TP"), m_tp}, {tr("EP"), m_ep}, {tr("PP"), m_pp}, {tr("DP"), m_dp}})
        spin->setPrefix(label + QLatin1Char(' '));

    m_context = intSpin(1, kMaxTokens, 4096);
    m_context->setSuffix(tr(" tokens"));
    m_prompt = intSpin(0, kMaxTokens, 0);
    m_prompt->setSpecialValueText(tr("half the context"));
    m_prompt->setSuffix(tr(" tokens"));
    m_batch = intSpin(1, 1 << 20, 1);
    m_batch->setSuffix(tr(" sequences"));
    m_price = doubleSpin(0, 1e6, 4, 0.1, 0);
    m_price->setPrefix(QStringLiteral("$"));
    m_price->setSuffix(tr(" / GPU-hour"));
    m_score = doubleSpin(0, 1e6, 2, 1, 0);
    m_score->setSpecialValueText(tr("none"));
    m_score->setToolTip(tr("A benchmark score: adds $ per million tokens per quality point"));

    m_scaleOut = new QComboBox;
    for (const auto& ic : catalog.interconnects)
        m_scaleOut->addItem(QString::fromStdString(ic.name), QString::fromStdString(ic.key));
    selectData(m_scaleOut, QString::fromLatin1(kDefaultScaleOut), false);
    m_usableFraction = doubleSpin(0.01, 1, 3, 0.01, defaults.usableMemoryFraction);
    m_bandwidthEfficiency = doubleSpin(0.01, 1, 3, 0.05, defaults.bandwidthEfficiency);
    m_computeEfficiency = doubleSpin(0.01, 1, 3, 0.05, defaults.computeEfficiency);
    m_maxBatchedTokens = intSpin(1, kMaxTokens, int(defaults.maxBatchedTokens));
    m_cudaContextMib = intSpin(0, 1 << 20, int(defaults.cudaContextBytes >> 20));
    m_cudaContextMib->setSuffix(tr(" MiB"));
    m_workspaceMib = intSpin(0, 1 << 20, int(defaults.workspaceBytes >> 20));
    m_workspaceMib->setSuffix(tr(" MiB"));

}

void PlanForm::layOutWidgets()
{
    // Long catalog names (links, GPUs) must not make the form wider than the results.
    for (QComboBox* combo : {m_model, m_quant, m_kvDtype, m_gpu, m_interconnect, m_scaleOut}) {
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        combo->setMinimumContentsLength(16);
    }
    auto* modelRow = new QHBoxLayout;
    modelRow->setContentsMargins(0, 0, 0, 0);
    modelRow->addWidget(m_model, 1);
    modelRow->addWidget(m_browse);
    auto* split = new QHBoxLayout;
    split->setContentsMargins(0, 0, 0, 0);
    for (QSpinBox* spin : {m_tp, m_ep, m_pp, m_dp})
        split->addWidget(spin);

    auto* form = new QFormLayout;
    form->addRow(tr("Model"), modelRow);
    form->addRow(tr("Weights"), m_quant);
    form->addRow(tr("KV cache"), m_kvDtype);
    form->addRow(tr("GPU"), m_gpu);
    form->addRow(tr("GPUs"), m_count);
    form->addRow(tr("Interconnect"), m_interconnect);
    form->addRow(tr("Parallelism"), split);
    form->addRow(QString(), m_dpAttention);
    form->addRow(tr("Context"), m_context);
    form->addRow(tr("Prompt"), m_prompt);
    form->addRow(tr("Batch"), m_batch);
    form->addRow(tr("Price"), m_price);
    form->addRow(tr("Score"), m_score);

    auto* advanced = new QGroupBox(tr("Runtime overheads"));
    auto* advancedForm = new QFormLayout(advanced);
    advancedForm->addRow(tr("Between nodes"), m_scaleOut);
    advancedForm->addRow(tr("Usable memory"), m_usableFraction);
    advancedForm->addRow(tr("Bandwidth efficiency"), m_bandwidthEfficiency);
    advancedForm->addRow(tr("Compute efficiency"), m_computeEfficiency);
    advancedForm->addRow(tr("Max batched tokens"), m_maxBatchedTokens);
    advancedForm->addRow(tr("CUDA context"), m_cudaContextMib);
    advancedForm->addRow(tr("Workspace"), m_workspaceMib);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(advanced);
    layout->addStretch(1);
}

void PlanForm::connectWidgets()
{
    // Every edit drops the passed-through raw value of that key and announces a change.
    auto edited = [this](const char* key) {
        return [this, key] {
            if (m_filling)
                return;
            m_extra.erase(key);
            emit changed();
        };
    };
    connect(m_model, &QComboBox::currentIndexChanged, this, edited("model"));
    connect(m_quant, &QComboBox::currentIndexChanged, this, edited("quant"));
    connect(m_kvDtype, &QComboBox::currentIndexChanged, this, edited("kv_dtype"));
    connect(m_gpu, &QComboBox::currentIndexChanged, this, [this] {
        if (m_filling)
            return;
        m_extra.erase("gpu");
        onGpuChanged();
        emit changed();
    });
    connect(m_count, &QSpinBox::valueChanged, this, [this] {
        if (m_filling)
            return;
        m_extra.erase("count");
        onCountEdited();
        emit changed();
    });
    for (auto [spin, key] : {std::pair{m_tp, "tp"}, {m_pp, "pp"}, {m_dp, "dp"}})
        connect(spin, &QSpinBox::valueChanged, this, [this, key] {
            if (m_filling)
                return;
            m_extra.erase(key);
            m_extra.erase("count");
            onSplitEdited();
            emit changed();
        });
    connect(m_ep, &QSpinBox::valueChanged, this, edited("ep"));
    connect(m_dpAttention, &QCheckBox::toggled, this, edited("dp_attention"));
    connect(m_interconnect, &QComboBox::currentIndexChanged, this, edited("interconnect"));
    connect(m_context, &QSpinBox::valueChanged, this, edited("context"));
    connect(m_prompt, &QSpinBox::valueChanged, this, edited("prompt"));
    connect(m_batch, &QSpinBox::valueChanged, this, edited("batch"));
    connect(m_price, &QDoubleSpinBox::valueChanged, this, [this] {
        if (m_filling)
            return;
        m_priceOverridden = true;
        m_extra.erase("price");
        emit changed();
    });
    connect(m_score, &QDoubleSpinBox::valueChanged, this, edited("score"));
    connect(m_scaleOut, &QComboBox::currentIndexChanged, this, edited("scale_out"));
    connect(m_usableFraction, &QDoubleSpinBox::valueChanged, this, edited("usable_memory_fraction"));
    connect(m_bandwidthEfficiency, &QDoubleSpinBox::valueChanged, this, edited("bandwidth_efficiency"));
    connect(m_computeEfficiency, &QDoubleSpinBox::valueChanged, this, edited("compute_efficiency"));
    connect(m_maxBatchedTokens, &QSpinBox::valueChanged, this, edited("max_batched_tokens"));
    connect(m_cudaContextMib, &QSpinBox::valueChanged, this, edited("cuda_context_mib"));
    connect(m_workspaceMib, &QSpinBox::valueChanged, this, edited("workspace_mib"));

}

double PlanForm::defaultPrice() const
{
    const moe::GpuSpec* g = m_catalog.findGpu(m_gpu->currentData().toString().toStdString());
    return g ? g->usdPerHour : 0.0;
}

void PlanForm::onGpuChanged()
{
    const bool wasFilling = m_filling;
    m_filling = true;
    const moe::GpuSpec* g = m_catalog.findGpu(m_gpu->currentData().toString().toStdString());
    QString link = g ? QString::fromStdString(g->scaleUpLink) : QString();
    if (g)
        if (const moe::InterconnectSpec* ic = m_catalog.findInterconnect(g->scaleUpLink))
            link = QString::fromStdString(ic->name);
    m_interconnect->setItemText(0, tr("The GPU's own (%1)").arg(link));
    if (!m_priceOverridden)
        m_price->setValue(defaultPrice());
    m_filling = wasFilling;
}

void PlanForm::onCountEdited()
{
    // GPUs = tp × pp × dp: a new count goes to TP when the other splits divide it.
    const int splits = m_pp->value() * m_dp->value();
    if (m_count->value() % splits == 0) {
        m_filling = true;
        m_tp->setValue(m_count->value() / splits);
        m_filling = false;
    }
}

void PlanForm::onSplitEdited()
{
    m_filling = true;
    m_count->setValue(m_tp->value() * m_pp->value() * m_dp->value());
    m_filling = false;
}

void PlanForm::browseModelFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Plan a model on disk"), QString(),
                                                      tr("Models (config.json *.json *.gguf);;All files (*)"));
    if (path.isEmpty())
        return;
    selectData(m_model, path, true);
}

void PlanForm::selectData(QComboBox* combo, const QString& key, bool addIfMissing)
{
    int i = combo->findData(key);
    if (i < 0) {
        // Catalog lookups ignore case; so does the form.
        for (int j = 0; j < combo->count(); ++j)
            if (combo->itemData(j).toString().compare(key, Qt::CaseInsensitive) == 0)
                i = j;
    }
    if (i < 0 && combo == m_model) {
        if (const moe::Catalog::Model* m = m_catalog.findModel(key.toStdString())) // an alias
            i = combo->findData(QString::fromStdString(m->model.key));
    }
    if (i < 0 && addIfMissing) {
        const QString label = combo == m_model ? tr("File: %1").arg(QFileInfo(key).fileName()) : key;
        combo->addItem(label.isEmpty() ? key : label, key);
        combo->setItemData(combo->count() - 1, key, Qt::ToolTipRole);
        i = combo->count() - 1;
    }
    if (i >= 0)
        combo->setCurrentIndex(i);
}

void PlanForm::setLoadedModel(const QString& path, const QString& name)
{
    clearLoadedModel();
    m_loadedPath = path;
    const bool wasFilling = m_filling;
    m_filling = true;
    const int existing = m_model->findData(path);
    if (existing >= 0)
        m_model->setItemText(existing, tr("Loaded model: %1").arg(name));
    else
        m_model->insertItem(0, tr("Loaded model: %1").arg(name), path);
    m_filling = wasFilling;
}

void PlanForm::clearLoadedModel()
{
    if (m_loadedPath.isEmpty())
        return;
    const int i = m_model->findData(m_loadedPath);
    if (i >= 0)
        // Keep it when a scenario uses it: planning a file does not need it loaded.
        m_model->setItemText(i, tr("File: %1").arg(QFileInfo(m_loadedPath).fileName()));
    m_loadedPath.clear();
}

json PlanForm::scenario() const
{
    const moe::RuntimeOverheads defaults;
    json s = json::object();
    s["model"] = m_model->currentData().toString().toStdString();
    s["quant"] = m_quant->currentData().toString().toStdString();
    s["kv_dtype"] = m_kvDtype->currentData().toString().toStdString();
    s["gpu"] = m_gpu->currentData().toString().toStdString();
    s["count"] = int64_t(m_count->value());
    s["tp"] = int64_t(m_tp->value());
    s["ep"] = int64_t(m_ep->value());
    s["pp"] = int64_t(m_pp->value());
    s["dp"] = int64_t(m_dp->value());
    if (m_dpAttention->isChecked())
        s["dp_attention"] = true;
    if (!m_interconnect->currentData().toString().isEmpty())
        s["interconnect"] = m_interconnect->currentData().toString().toStdString();
    s["context"] = int64_t(m_context->value());
    if (m_prompt->value() > 0)
        s["prompt"] = int64_t(m_prompt->value());
    s["batch"] = int64_t(m_batch->value());
    if (m_priceOverridden)
        s["price"] = m_price->value();
    if (m_score->value() > 0)
        s["score"] = m_score->value();
    if (m_scaleOut->currentData().toString() != QLatin1String(kDefaultScaleOut))
        s["scale_out"] = m_scaleOut->currentData().toString().toStdString();
    auto putIfChanged = [&s](const char* key, auto value, auto fallback) {
        if (value != fallback)
            s[key] = value;
    };
    putIfChanged("usable_memory_fraction", m_usableFraction->value(), defaults.usableMemoryFraction);
    putIfChanged("bandwidth_efficiency", m_bandwidthEfficiency->value(), defaults.bandwidthEfficiency);
    putIfChanged("compute_efficiency", m_computeEfficiency->value(), defaults.computeEfficiency);
    putIfChanged("max_batched_tokens", int64_t(m_maxBatchedTokens->value()), defaults.maxBatchedTokens);
    putIfChanged("cuda_context_mib", int64_t(m_cudaContextMib->value()), int64_t(defaults.cudaContextBytes >> 20));
    putIfChanged("workspace_mib", int64_t(m_workspaceMib->value()), int64_t(defaults.workspaceBytes >> 20));
    for (auto it = m_extra.begin(); it != m_extra.end(); ++it)
        s[it.key()] = it.value();
    return s;
}

void PlanForm::setScenario(const json& scenario)
{
    const moe::RuntimeOverheads defaults;
    const json s = scenario.is_object() ? scenario : json::object();
    m_filling = true;
    m_extra = json::object();
    // A value the widget cannot hold (wrong type, out of range) is passed through as is,
    // so the planner reports it against its field instead of the form hiding it.
    auto text = [&](QComboBox* combo, const char* key, const QString& fallback, bool addIfMissing) {
        if (!s.contains(key)) {
            selectData(combo, fallback, false);
        } else if (s.at(key).is_string()) {
            selectData(combo, QString::fromStdString(s.at(key).get<std::string>()), addIfMissing);
        } else {
            m_extra[key] = s.at(key);
        }
    };
    auto integer = [&](QSpinBox* spin, const char* key, int64_t fallback) {
        const json* v = s.contains(key) ? &s.at(key) : nullptr;
        if (v && (!v->is_number_integer() || v->get<int64_t>() < spin->minimum() || v->get<int64_t>() > spin->maximum())) {
            m_extra[key] = *v;
            return;
        }
        spin->setValue(int(v ? v->get<int64_t>() : fallback));
    };
    auto number = [&](QDoubleSpinBox* spin, const char* key, double fallback) {
        const json* v = s.contains(key) ? &s.at(key) : nullptr;
        if (v && (!v->is_number() || v->get<double>() < spin->minimum() || v->get<double>() > spin->maximum())) {
            m_extra[key] = *v;
            return;
        }
        spin->setValue(v ? v->get<double>() : fallback);
    };

    text(m_model, "model", m_model->itemData(0).toString(), true);
    text(m_quant, "quant", QStringLiteral("bf16"), true);
    text(m_kvDtype, "kv_dtype", QStringLiteral("bf16"), true);
    text(m_gpu, "gpu", QStringLiteral("h100-sxm"), true);
    text(m_interconnect, "interconnect", QString(), true);
    text(m_scaleOut, "scale_out", QString::fromLatin1(kDefaultScaleOut), true);

    // The same defaults as moe::planInputFromScenario: count = tp × pp × dp; TP alone
    // defaults to count / (pp × dp).
    auto intOf = [&](const char* key, int64_t fallback) {
        return s.contains(key) && s.at(key).is_number_integer() ? s.at(key).get<int64_t>() : fallback;
    };
    const int64_t splits = std::max<int64_t>(1, intOf("pp", 1) * intOf("dp", 1));
    const int64_t count = intOf("count", std::max<int64_t>(1, intOf("tp", 1)) * splits);
    integer(m_pp, "pp", 1);
    integer(m_dp, "dp", 1);
    integer(m_count, "count", count);
    integer(m_tp, "tp", count > 0 && count % splits == 0 ? count / splits : 1);
    integer(m_ep, "ep", 1);
    if (s.contains("dp_attention") && !s.at("dp_attention").is_boolean())
        m_extra["dp_attention"] = s.at("dp_attention");
    m_dpAttention->setChecked(s.contains("dp_attention") && s.at("dp_attention").is_boolean() &&
                              s.at("dp_attention").get<bool>());
    integer(m_context, "context", 4096);
    integer(m_prompt, "prompt", 0);
    integer(m_batch, "batch", 1);
    m_priceOverridden = s.contains("price");
    number(m_price, "price", defaultPrice());
    number(m_score, "score", 0);
    number(m_usableFraction, "usable_memory_fraction", defaults.usableMemoryFraction);
    number(m_bandwidthEfficiency, "bandwidth_efficiency", defaults.bandwidthEfficiency);
    number(m_computeEfficiency, "compute_efficiency", defaults.computeEfficiency);
    integer(m_maxBatchedTokens, "max_batched_tokens", defaults.maxBatchedTokens);
    integer(m_cudaContextMib, "cuda_context_mib", int64_t(defaults.cudaContextBytes >> 20));
    integer(m_workspaceMib, "workspace_mib", int64_t(defaults.workspaceBytes >> 20));

    // Keys the form has no widget for.
    static const char* const known[] = {"model", "quant", "kv_dtype", "gpu", "interconnect", "scale_out", "count",
                                        "tp", "ep", "pp", "dp", "dp_attention", "context", "prompt", "batch", "price",
                                        "score", "usable_memory_fraction", "bandwidth_efficiency", "compute_efficiency",
                                        "max_batched_tokens", "cuda_context_mib", "workspace_mib"};
    for (auto it = s.begin(); it != s.end(); ++it)
        if (std::find_if(std::begin(known), std::end(known), [&](const char* k) { return it.key() == k; }) == std::end(known))
            m_extra[it.key()] = it.value();
    onGpuChanged();
    m_filling = false;
    emit changed();
}

QString PlanForm::fieldLabel(const QString& key)
{
    static const QHash<QString, const char*> labels = {
        {QStringLiteral("model"), QT_TR_NOOP("Model")},
        {QStringLiteral("quant"), QT_TR_NOOP("Weights")},
        {QStringLiteral("kv_dtype"), QT_TR_NOOP("KV cache")},
        {QStringLiteral("gpu"), QT_TR_NOOP("GPU")},
        {QStringLiteral("count"), QT_TR_NOOP("GPUs")},
        {QStringLiteral("gpu_count"), QT_TR_NOOP("GPUs")},
        {QStringLiteral("interconnect"), QT_TR_NOOP("Interconnect")},
        {QStringLiteral("scale_out"), QT_TR_NOOP("Between nodes")},
        {QStringLiteral("tp"), QT_TR_NOOP("Tensor parallel (TP)")},
        {QStringLiteral("ep"), QT_TR_NOOP("Expert parallel (EP)")},
        {QStringLiteral("pp"), QT_TR_NOOP("Pipeline parallel (PP)")},
        {QStringLiteral("dp"), QT_TR_NOOP("Data parallel (DP)")},
        {QStringLiteral("dp_attention"), QT_TR_NOOP("DP attention")},
        {QStringLiteral("context"), QT_TR_NOOP("Context")},
        {QStringLiteral("prompt"), QT_TR_NOOP("Prompt")},
        {QStringLiteral("batch"), QT_TR_NOOP("Batch")},
        {QStringLiteral("price"), QT_TR_NOOP("Price")},
        {QStringLiteral("score"), QT_TR_NOOP("Score")},
        {QStringLiteral("usable_memory_fraction"), QT_TR_NOOP("Usable memory")},
        {QStringLiteral("bandwidth_efficiency"), QT_TR_NOOP("Bandwidth efficiency")},
        {QStringLiteral("compute_efficiency"), QT_TR_NOOP("Compute efficiency")},
        {QStringLiteral("max_batched_tokens"), QT_TR_NOOP("Max batched tokens")},
        {QStringLiteral("cuda_context_mib"), QT_TR_NOOP("CUDA context")},
        {QStringLiteral("workspace_mib"), QT_TR_NOOP("Workspace")},
        {QStringLiteral("interconnect_bw"), QT_TR_NOOP("Interconnect bandwidth")},
        {QStringLiteral("interconnect_latency_us"), QT_TR_NOOP("Interconnect latency")},
    };
    QString base = key.section(QLatin1Char('.'), 0, 0); // "gpu.memory_gb" -> "gpu"
    const auto it = labels.constFind(base);
    return it == labels.constEnd() ? QString() : tr(it.value());
}

QWidget* PlanForm::widgetForField(const QString& key) const
{
    const QString base = key.section(QLatin1Char('.'), 0, 0);
    const QHash<QString, QWidget*> widgets = {
        {QStringLiteral("model"), m_model},   {QStringLiteral("quant"), m_quant},
        {QStringLiteral("kv_dtype"), m_kvDtype}, {QStringLiteral("gpu"), m_gpu},
        {QStringLiteral("count"), m_count},   {QStringLiteral("gpu_count"), m_count},
        {QStringLiteral("interconnect"), m_interconnect}, {QStringLiteral("scale_out"), m_scaleOut},
        {QStringLiteral("tp"), m_tp},         {QStringLiteral("ep"), m_ep},
        {QStringLiteral("pp"), m_pp},         {QStringLiteral("dp"), m_dp},
        {QStringLiteral("dp_attention"), m_dpAttention}, {QStringLiteral("context"), m_context},
        {QStringLiteral("prompt"), m_prompt}, {QStringLiteral("batch"), m_batch},
        {QStringLiteral("price"), m_price},   {QStringLiteral("score"), m_score},
        {QStringLiteral("usable_memory_fraction"), m_usableFraction},
        {QStringLiteral("bandwidth_efficiency"), m_bandwidthEfficiency},
        {QStringLiteral("compute_efficiency"), m_computeEfficiency},
        {QStringLiteral("max_batched_tokens"), m_maxBatchedTokens},
        {QStringLiteral("cuda_context_mib"), m_cudaContextMib},
        {QStringLiteral("workspace_mib"), m_workspaceMib},
        {QStringLiteral("interconnect_bw"), m_interconnect},
        {QStringLiteral("interconnect_latency_us"), m_interconnect},
    };
    return widgets.value(base, nullptr);
}

QString PlanForm::markErrorField(const QString& key)
{
    QWidget* w = key.isEmpty() ? nullptr : widgetForField(key);
    if (m_errorWidget != w) {
        if (m_errorWidget)
            m_errorWidget->setStyleSheet(QString());
        if (w)
            w->setStyleSheet(QString::fromLatin1(kErrorStyle));
        m_errorWidget = w;
    }
    return key.isEmpty() ? QString() : fieldLabel(key);
}

} // namespace moeui
