// layout_options_model.h — layouts that fit (moe::fewestGpusPerLayout for the form's
// GPU, moe::cheapestFittingLayouts over every catalog GPU) as a table: family, GPU,
// count, layout, $/hour, $ per million tokens, decode speed, margin, concurrency.
#pragma once

#include "moe/planner.h"

#include <QAbstractTableModel>

#include <vector>

namespace moeui {

class LayoutOptionsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Family, Gpu, Count, Layout, UsdPerHour, UsdPerMillionTokens, DecodeTokensPerSecond, Margin,
                  MaxConcurrentSequences, ColumnCount };
    static constexpr int ValueRole = Qt::UserRole + 1; // raw number (text columns: string)

    explicit LayoutOptionsModel(QObject* parent = nullptr);

    void setOptions(std::vector<moe::LayoutOption> options);
    const std::vector<moe::LayoutOption>& options() const { return m_options; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<moe::LayoutOption> m_options;
};

} // namespace moeui
