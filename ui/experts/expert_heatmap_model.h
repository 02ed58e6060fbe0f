// expert_heatmap_model.h — layer x expert routing counts for the Experts page.
//
// Rows are MoE layers (header: decoder-layer index), columns are experts. The model keeps
// live telemetry in three aggregates at once (the last step, a sliding window of the
// last N steps, the whole conversation) so switching the source is instant; a saved
// profiling run is a fourth source. Counts are exact integer sums of the engine's
// StepTelemetry::expertCounts; the colour value (NormalisedRole) is derived from them.
#pragma once

#include "engine_controller.h"

#include <QAbstractTableModel>

#include <cstdint>
#include <optional>
#include <vector>

namespace moeui {

class ExpertHeatmapModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum class Source { ThisStep, SlidingWindow, Conversation, SavedRun };
    Q_ENUM(Source)
    // PerLayer: every row is scaled to its hottest expert (1.0), so each layer's skew is
    // visible on its own; Global: every cell is scaled to the hottest cell of the table.
    enum class Normalisation { PerLayer, Global };
    Q_ENUM(Normalisation)

    enum Role {
        CountRole = Qt::UserRole + 1, // qint64, the same number as DisplayRole
        LayerShareRole,               // double, count / assignments of the layer (0..1)
        NormalisedRole,               // double, the colour value (0..1), see Normalisation
        DevicesRole,                  // QList<int>, devices holding the expert (empty on one device)
        DecoderLayerRole,             // int, decoder-layer index of the row
    };

    // The sliding window keeps this many steps at most (a ring of count vectors).
    static constexpr int kMaxWindowSteps = 512;

    explicit ExpertHeatmapModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    Source source() const { return m_source; }
    void setSource(Source source);
    Normalisation normalisation() const { return m_normalisation; }
    void setNormalisation(Normalisation normalisation);
    int windowSteps() const { return m_windowSteps; }
    void setWindowSteps(int steps); // clamped to [1, kMaxWindowSteps]

    // Live telemetry (every snapshot, whatever the source shown; a change of shape — a
    // new model — starts the live aggregates afresh).
    void addTelemetry(const TelemetryBatch& batch);
    // Forgets the live aggregates (the conversation starts again).
    void clearLive();
    // Shows a saved run (switches the source to SavedRun); null keeps the current source.
    void setSavedRun(ProfileRunPtr run);
    ProfileRunPtr savedRun() const { return m_run; }
    // Expert → device placement of the loaded model (null / one device: none).
    void setPlan(const std::optional<moe::ParallelPlan>& plan);
    const std::optional<moe::ParallelPlan>& plan() const { return m_plan; }
    // True when a plan with ep > 1 matches the shown shape.
    bool hasPlacement() const;
    // EP groups holding `expert` in MoE layer `layer` (empty without placement).
    std::vector<int32_t> groupsOf(int layer, int expert) const;

    // The shown source.
    int layers() const { return m_rows; }
    int experts() const { return m_cols; }
    int64_t count(int layer, int expert) const { return m_counts[size_t(layer) * size_t(m_cols) + size_t(expert)]; }
    const std::vector<int64_t>& counts() const { return m_counts; } // [layer * experts + expert]
    int64_t layerTotal(int layer) const { return m_layerTotals[size_t(layer)]; }
    double normalised(int layer, int expert) const;
    double layerShare(int layer, int expert) const;
    const std::vector<int32_t>& decoderLayers() const { return m_decoderLayers; }
    int64_t shownSteps() const { return m_shownSteps; }
    int64_t shownTokens() const { return m_shownTokens; }
    int64_t topK() const { return m_topK; }
    double capacityFactor() const { return m_capacityFactor; }
    // Live steps received since the last clear (whatever the source shown).
    int64_t liveSteps() const { return m_conversationSteps; }

signals:
    // After every change of the shown numbers (once per telemetry batch at most).
    void countsChanged();
    // After setPlan() (the placement overlay depends on it).
    void placementChanged();

private:
    void resetLive(int64_t layers, int64_t experts);
    void addStep(const moe::StepTelemetry& s);
    void recomputeWindow();
    void refresh();
    const int32_t* ringSlot(int64_t stepIndex) const;

    Source m_source = Source::Conversation;
    Normalisation m_normalisation = Normalisation::PerLayer;
    int m_windowSteps = 32;

    // Live aggregates, all of shape m_liveLayers x m_liveExperts.
    int64_t m_liveLayers = 0, m_liveExperts = 0, m_liveTopK = 0;
    std::vector<int32_t> m_liveDecoderLayers;
    double m_capacityFactor = 1.25;
    std::vector<int32_t> m_lastStep;
    int64_t m_lastStepTokens = 0;
    bool m_hasLastStep = false;
    std::vector<int64_t> m_conversation;
    int64_t m_conversationSteps = 0, m_conversationTokens = 0;
    // Ring of the last kMaxWindowSteps steps' counts; step i lives in slot i % capacity.
    std::vector<int32_t> m_ring;
    std::vector<int64_t> m_ringTokens;
    int64_t m_ringSteps = 0; // steps ever pushed since the last reset
    std::vector<int64_t> m_window;
    int64_t m_windowTokens = 0;

    ProfileRunPtr m_run;
    std::optional<moe::ParallelPlan> m_plan;

    // The shown source.
    int m_rows = 0, m_cols = 0;
    int64_t m_topK = 0;
    std::vector<int32_t> m_decoderLayers;
    std::vector<int64_t> m_counts, m_layerTotals, m_layerMax;
    int64_t m_globalMax = 0;
    int64_t m_shownSteps = 0, m_shownTokens = 0;
};

} // namespace moeui
