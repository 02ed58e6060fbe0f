// conversation_list_model.h — the stored conversations the chat page lists (newest
// first), filled from the store thread's answers.
#pragma once

#include "moe/store.h"

#include <QAbstractListModel>

#include <vector>

namespace moeui {

class ConversationListModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { IdRole = Qt::UserRole + 1, UpdatedRole, ModelRole };
    explicit ConversationListModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    void setConversations(std::vector<moe::Conversation> conversations);
    const moe::Conversation* at(int row) const;
    int rowOf(qint64 id) const; // -1 when absent

private:
    std::vector<moe::Conversation> m_items;
};

} // namespace moeui
