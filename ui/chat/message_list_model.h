// message_list_model.h — the messages of the open conversation, as the chat view shows
// them: role, text (growing while a reply streams), per-message statistics.
//
// Each row carries a StoredRef: the message's row id in the store, set on the store
// thread when its insert runs. Store jobs are executed in the order they are posted, so
// a later update or delete of the same message always finds the id set.
#pragma once

#include "moe/store.h"

#include <QAbstractListModel>

#include <atomic>
#include <memory>
#include <vector>

namespace moeui {

// A store row id filled in on the store thread (0 until the insert ran).
struct StoredRef {
    std::atomic<int64_t> id{0};
};
using StoredRefPtr = std::shared_ptr<StoredRef>;

struct ChatMessageItem {
    QString role;     // "system", "user", "assistant"
    QString content;
    moe::MessageStats stats;
    bool streaming = false;
    QString stopReason; // "stopped", "token limit", ... for replies
    StoredRefPtr ref = std::make_shared<StoredRef>();
};

class MessageListModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { RoleRole = Qt::UserRole + 1, ContentRole, StatsTextRole, StreamingRole, StoredIdRole };
    explicit MessageListModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    void clear();
    void setMessages(std::vector<ChatMessageItem> items);
    int append(ChatMessageItem item); // returns the row
    void appendText(int row, const QString& text);
    void setContent(int row, const QString& text);
    void finish(int row, const moe::MessageStats& stats, const QString& stopReason);
    void removeFrom(int row); // rows [row, end)
    const ChatMessageItem& at(int row) const { return m_items[size_t(row)]; }
    const std::vector<ChatMessageItem>& items() const { return m_items; }

    // "42 tokens · 0.12 s to first token · 35.2 tok/s"
    static QString statsText(const ChatMessageItem& item);

private:
    std::vector<ChatMessageItem> m_items;
};

} // namespace moeui
