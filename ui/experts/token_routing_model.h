// token_routing_model.h — the per-token view of the Experts page: the last tokens in the
// KV cache (TokenRoutingModel, a flow of token texts) and, for the one the user clicked,
// the experts it used in every MoE layer with their gate weights (TokenExpertsModel).
// Both read one immutable RoutingHistory snapshot from EngineController.
#pragma once

#include "engine_controller.h"

#include <QAbstractListModel>
#include <QAbstractTableModel>

namespace moeui {

class TokenRoutingModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        TextRole = Qt::UserRole + 1, // QString, the token's decoded text as is
        PositionRole,                // qint64
        TokenIdRole,                 // int
        IsAnswerRole,                // bool, part of the last answer
    };

    explicit TokenRoutingModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

    // `answerTokens`: how many of the last tokens are the model's answer (shown in bold).
    void setHistory(RoutingHistoryPtr history, int64_t answerTokens);
    void clear();
    RoutingHistoryPtr history() const { return m_history; }

    // The token's text made visible in a flow of chips (spaces, newlines, tabs).
    static QString visibleText(const QString& text);

private:
    RoutingHistoryPtr m_history;
    int64_t m_answerTokens = 0;
};

class TokenExpertsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role {
        ExpertRole = Qt::UserRole + 1, // int, expert id (-1 when missing)
        WeightRole,                    // double, gate weight
    };

    explicit TokenExpertsModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;    // MoE layers
    int columnCount(const QModelIndex& parent = {}) const override; // top-k slots
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Shows token `row` of `history` (out of range: nothing).
    void setToken(RoutingHistoryPtr history, int row);
    void clear();
    int tokenRow() const { return m_row; }

private:
    RoutingHistoryPtr m_history;
    int m_row = -1;
    int m_layers = 0;
    int m_topK = 0;
};

} // namespace moeui
