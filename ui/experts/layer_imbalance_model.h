// layer_imbalance_model.h — per-MoE-layer load imbalance of whatever the expert heatmap
// shows (max/mean, coefficient of variation, normalised entropy, overflow share at the
// engine's capacity factor), computed with moe::computeImbalance over the aggregated
// counts, so a window or a whole conversation is judged as one load vector.
#pragma once

#include "moe/telemetry.h"

#include <QAbstractTableModel>

#include <vector>

namespace moeui {

class ExpertHeatmapModel;

class LayerImbalanceModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { LayerColumn, MaxOverMeanColumn, EntropyColumn, CvColumn, OverflowColumn, AssignmentsColumn, ColumnCount };
    enum Role { ValueRole = Qt::UserRole + 1 }; // double (int for the layer / assignments columns)

    explicit LayerImbalanceModel(const ExpertHeatmapModel* source, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const moe::LayerImbalance& imbalance(int row) const { return m_rows[size_t(row)]; }
    int decoderLayer(int row) const { return m_decoderLayers[size_t(row)]; }

signals:
    void imbalanceChanged();

private:
    void recompute();

    const ExpertHeatmapModel* m_source;
    std::vector<moe::LayerImbalance> m_rows;
    std::vector<int32_t> m_decoderLayers;
    std::vector<int64_t> m_assignments;
    std::vector<int32_t> m_loads; // scratch, reused
};

} // namespace moeui
