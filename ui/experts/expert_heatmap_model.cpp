#include "experts/expert_heatmap_model.h"

#include "moe/profile_run.h"

#include <algorithm>

namespace moeui {

ExpertHeatmapModel::ExpertHeatmapModel(QObject* parent) : QAbstractTableModel(parent) {}

int ExpertHeatmapModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : m_rows; }

int ExpertHeatmapModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : m_cols; }

double ExpertHeatmapModel::layerShare(int layer, int expert) const
{
    const int64_t total = m_layerTotals[size_t(layer)];
    return total > 0 ? double(count(layer, expert)) / double(total) : 0.0;
}

double ExpertHeatmapModel::normalised(int layer, int expert) const
{
    const int64_t scale = m_normalisation == Normalisation::PerLayer ? m_layerMax[size_t(layer)] : m_globalMax;
    return scale > 0 ? double(count(layer, expert)) / double(scale) : 0.0;
}

bool ExpertHeatmapModel::hasPlacement() const
{
    return m_plan && m_plan->ep() > 1 && m_rows > 0 && m_plan->numMoeLayers() == m_rows &&
           int64_t(m_plan->placement(0).groupsOfExpert.size()) == m_cols;
}

std::vector<int32_t> ExpertHeatmapModel::groupsOf(int layer, int expert) const
{
    if (!hasPlacement() || layer < 0 || layer >= m_rows || expert < 0 || expert >= m_cols)
        return {};
    return m_plan->placement(layer).groupsOfExpert[size_t(expert)];
}

QVariant ExpertHeatmapModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int layer = index.row(), expert = index.column();
    switch (role) {
    case Qt::DisplayRole:
    case CountRole: return QVariant::fromValue<qint64>(count(layer, expert));
    case LayerShareRole: return layerShare(layer, expert);
    case NormalisedRole: return normalised(layer, expert);
    case DecoderLayerRole: return m_decoderLayers[size_t(layer)];
    case Qt::TextAlignmentRole: return int(Qt::AlignRight | Qt::AlignVCenter);
    case DevicesRole: {
        QList<int> devices;
        for (int32_t g : groupsOf(layer, expert))
            for (int64_t t = 0; t < m_plan->tp(); ++t)
                devices.append(m_plan->deviceOf(g, t));
        return QVariant::fromValue(devices);
    }
    case Qt::ToolTipRole: {
        QString text = tr("layer %1, expert %2: %3 tokens (%4 % of the layer)")
                           .arg(m_decoderLayers[size_t(layer)])
                           .arg(expert)
                           .arg(count(layer, expert))
                           .arg(100.0 * layerShare(layer, expert), 0, 'f', 1);
        const QList<int> devices = data(index, DevicesRole).value<QList<int>>();
        if (!devices.isEmpty()) {
            QStringList names;
            for (int d : devices)
                names << QString::number(d);
            text += QLatin1Char('\n') + tr("held by device(s) %1").arg(names.join(QStringLiteral(", ")));
        }
        return text;
    }
    default: return {};
    }
}

QVariant ExpertHeatmapModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    if (orientation == Qt::Vertical) {
        if (section < 0 || section >= m_rows)
            return {};
        return role == Qt::DisplayRole ? QVariant(m_decoderLayers[size_t(section)])
                                       : QVariant(tr("decoder layer %1 (MoE layer %2)")
                                                      .arg(m_decoderLayers[size_t(section)])
                                                      .arg(section));
    }
    if (section < 0 || section >= m_cols)
        return {};
    return role == Qt::DisplayRole ? QVariant(section) : QVariant(tr("expert %1").arg(section));
}

void ExpertHeatmapModel::setSource(Source source)
{
    if (source == Source::SavedRun && !m_run)
        return; // nothing to show
    if (source == m_source)
        return;
    m_source = source;
    refresh();
}

void ExpertHeatmapModel::setNormalisation(Normalisation normalisation)
{
    if (normalisation == m_normalisation)
        return;
    m_normalisation = normalisation;
    if (m_rows > 0 && m_cols > 0)
        emit dataChanged(index(0, 0), index(m_rows - 1, m_cols - 1), {NormalisedRole});
    emit countsChanged();
}

void ExpertHeatmapModel::setWindowSteps(int steps)
{
    steps = std::clamp(steps, 1, kMaxWindowSteps);
    if (steps == m_windowSteps)
        return;
    m_windowSteps = steps;
    recomputeWindow();
    if (m_source == Source::SlidingWindow)
        refresh();
}

void ExpertHeatmapModel::setSavedRun(ProfileRunPtr run)
{
    if (!run)
        return;
    m_run = std::move(run);
    m_source = Source::SavedRun;
    refresh();
}

void ExpertHeatmapModel::setPlan(const std::optional<moe::ParallelPlan>& plan)
{
    m_plan = plan;
    if (m_rows > 0 && m_cols > 0)
        emit dataChanged(index(0, 0), index(m_rows - 1, m_cols - 1), {DevicesRole, Qt::ToolTipRole});
    emit placementChanged();
}

void ExpertHeatmapModel::resetLive(int64_t layers, int64_t experts)
{
    m_liveLayers = layers;
    m_liveExperts = experts;
    const size_t cells = size_t(layers * experts);
    m_lastStep.assign(cells, 0);
    m_lastStepTokens = 0;
    m_hasLastStep = false;
    m_conversation.assign(cells, 0);
    m_conversationSteps = m_conversationTokens = 0;
    m_ring.clear();
    m_ringTokens.clear();
    m_ringSteps = 0;
    m_window.assign(cells, 0);
    m_windowTokens = 0;
}

void ExpertHeatmapModel::clearLive()
{
    resetLive(m_liveLayers, m_liveExperts);
    if (m_source != Source::SavedRun)
        refresh();
}

const int32_t* ExpertHeatmapModel::ringSlot(int64_t stepIndex) const
{
    const size_t cells = size_t(m_liveLayers * m_liveExperts);
    return m_ring.data() + size_t(stepIndex % kMaxWindowSteps) * cells;
}

void ExpertHeatmapModel::addStep(const moe::StepTelemetry& s)
{
    const size_t cells = size_t(m_liveLayers * m_liveExperts);
    // The step leaving the window goes before its ring slot can be overwritten.
    if (m_ringSteps >= m_windowSteps) {
        const int64_t leaving = m_ringSteps - m_windowSteps;
        const int32_t* old = ringSlot(leaving);
        for (size_t i = 0; i < cells; ++i)
            m_window[i] -= old[i];
        m_windowTokens -= m_ringTokens[size_t(leaving % kMaxWindowSteps)];
    }
    const size_t slot = size_t(m_ringSteps % kMaxWindowSteps);
    if ((slot + 1) * cells > m_ring.size()) { // filling the ring for the first time
        m_ring.resize((slot + 1) * cells);
        m_ringTokens.resize(slot + 1);
    }
    const int32_t* counts = s.expertCounts.data();
    std::copy(counts, counts + cells, m_ring.begin() + ptrdiff_t(slot * cells));
    m_ringTokens[slot] = s.tokens;
    ++m_ringSteps;
    for (size_t i = 0; i < cells; ++i) {
        m_window[i] += counts[i];
        m_conversation[i] += counts[i];
    }
    m_windowTokens += s.tokens;
    m_lastStep.assign(counts, counts + cells);
    m_lastStepTokens = s.tokens;
    m_hasLastStep = true;
    ++m_conversationSteps;
    m_conversationTokens += s.tokens;
}

void ExpertHeatmapModel::recomputeWindow()
{
    std::fill(m_window.begin(), m_window.end(), 0);
    m_windowTokens = 0;
    const size_t cells = size_t(m_liveLayers * m_liveExperts);
    const int64_t n = std::min<int64_t>(m_ringSteps, m_windowSteps);
    for (int64_t step = m_ringSteps - n; step < m_ringSteps; ++step) {
        const int32_t* c = ringSlot(step);
        for (size_t i = 0; i < cells; ++i)
            m_window[i] += c[i];
        m_windowTokens += m_ringTokens[size_t(step % kMaxWindowSteps)];
    }
}

void ExpertHeatmapModel::addTelemetry(const TelemetryBatch& batch)
{
    bool changed = false;
    for (const moe::StepTelemetryPtr& s : batch) {
        if (!s || s->numMoeLayers <= 0 || s->numExperts <= 0 ||
            s->expertCounts.size() != size_t(s->numMoeLayers * s->numExperts))
            continue; // no routing in this step (dense model, telemetry off)
        if (s->numMoeLayers != m_liveLayers || s->numExperts != m_liveExperts || s->moeLayers != m_liveDecoderLayers) {
            resetLive(s->numMoeLayers, s->numExperts);
            m_liveDecoderLayers = s->moeLayers;
        }
        m_liveTopK = s->topK;
        m_capacityFactor = s->capacityFactor;
        addStep(*s);
        changed = true;
    }
    if (changed && m_source != Source::SavedRun)
        refresh();
}

void ExpertHeatmapModel::refresh()
{
    int rows = 0, cols = 0;
    std::vector<int32_t> decoderLayers;
    if (m_source == Source::SavedRun && m_run) {
        rows = int(m_run->numMoeLayers);
        cols = int(m_run->numExperts);
        decoderLayers = m_run->moeLayers;
        m_topK = m_run->topK;
        std::vector<int64_t> total = m_run->totalCounts();
        total.resize(size_t(rows) * size_t(cols), 0); // a malformed run shows zeros, never reads past
        m_shownSteps = int64_t(m_run->steps.size());
        m_shownTokens = m_run->totalTokens();
        m_counts.swap(total);
    } else {
        rows = int(m_liveLayers);
        cols = int(m_liveExperts);
        decoderLayers = m_liveDecoderLayers;
        m_topK = m_liveTopK;
        const size_t cells = size_t(rows) * size_t(cols);
        m_counts.resize(cells);
        switch (m_source) {
        case Source::ThisStep:
            std::copy(m_lastStep.begin(), m_lastStep.end(), m_counts.begin());
            m_shownSteps = m_hasLastStep ? 1 : 0;
            m_shownTokens = m_lastStepTokens;
            break;
        case Source::SlidingWindow:
            std::copy(m_window.begin(), m_window.end(), m_counts.begin());
            m_shownSteps = std::min<int64_t>(m_ringSteps, m_windowSteps);
            m_shownTokens = m_windowTokens;
            break;
        case Source::Conversation:
        case Source::SavedRun:
            std::copy(m_conversation.begin(), m_conversation.end(), m_counts.begin());
            m_shownSteps = m_conversationSteps;
            m_shownTokens = m_conversationTokens;
            break;
        }
    }
    if (int(decoderLayers.size()) != rows) { // older runs without layer indices
        decoderLayers.resize(size_t(rows));
        for (int r = 0; r < rows; ++r)
            decoderLayers[size_t(r)] = r;
    }

    const bool reshaped = rows != m_rows || cols != m_cols || decoderLayers != m_decoderLayers;
    if (reshaped)
        beginResetModel();
    m_rows = rows;
    m_cols = cols;
    if (reshaped)
        m_decoderLayers = std::move(decoderLayers);
    m_layerTotals.assign(size_t(rows), 0);
    m_layerMax.assign(size_t(rows), 0);
    m_globalMax = 0;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            const int64_t v = m_counts[size_t(r) * size_t(cols) + size_t(c)];
            m_layerTotals[size_t(r)] += v;
            m_layerMax[size_t(r)] = std::max(m_layerMax[size_t(r)], v);
        }
        m_globalMax = std::max(m_globalMax, m_layerMax[size_t(r)]);
    }
    if (reshaped)
        endResetModel();
    else if (rows > 0 && cols > 0)
        emit dataChanged(index(0, 0), index(rows - 1, cols - 1));
    emit countsChanged();
}

} // namespace moeui
