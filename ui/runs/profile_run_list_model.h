// profile_run_list_model.h — the saved profiling runs of the store as a table: name,
// model, architecture, shape (MoE layers × experts, top-k), date, prompts, tokens,
// stored size and whether the weights were random (a test model's routing says nothing
// about a trained one). Filled from moe::Store::listProfileRuns(), which reads no blobs.
#pragma once

#include "moe/store.h"

#include <QAbstractTableModel>

#include <vector>

namespace moeui {

class ProfileRunListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Model, Architecture, Shape, Created, Prompts, Tokens, Size, RandomWeights, ColumnCount };
    static constexpr int IdRole = Qt::UserRole + 1;    // qint64 store id, any column
    static constexpr int ValueRole = Qt::UserRole + 2; // raw value of the column

    explicit ProfileRunListModel(QObject* parent = nullptr);

    void setRuns(std::vector<moe::ProfileRunSummary> runs);
    const std::vector<moe::ProfileRunSummary>& runs() const { return m_runs; }
    const moe::ProfileRunSummary* runAt(int row) const;
    int rowOfId(qint64 id) const; // -1 when absent

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<moe::ProfileRunSummary> m_runs;
};

} // namespace moeui
