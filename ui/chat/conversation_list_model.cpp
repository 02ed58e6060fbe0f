#include "conversation_list_model.h"

#include <QDateTime>

namespace moeui {

ConversationListModel::ConversationListModel(QObject* parent) : QAbstractListModel(parent) {}

int ConversationListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_items.size());
}

QVariant ConversationListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const moe::Conversation& c = m_items[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return c.title.empty() ? tr("(untitled)") : QString::fromStdString(c.title);
    case Qt::ToolTipRole:
        return tr("%1\nmodel: %2\nlast change: %3")
            .arg(QString::fromStdString(c.title), QString::fromStdString(c.modelName),
                 QDateTime::fromMSecsSinceEpoch(c.updatedAtMs).toString(Qt::ISODate));
    case IdRole:
        return QVariant::fromValue<qint64>(c.id);
    case UpdatedRole:
        return QDateTime::fromMSecsSinceEpoch(c.updatedAtMs);
    case ModelRole:
        return QString::fromStdString(c.modelName);
    default:
        return {};
    }
}

QHash<int, QByteArray> ConversationListModel::roleNames() const
{
    auto names = QAbstractListModel::roleNames();
    names[IdRole] = "conversationId";
    names[UpdatedRole] = "updated";
    names[ModelRole] = "model";
    return names;
}

void ConversationListModel::setConversations(std::vector<moe::Conversation> conversations)
{
    beginResetModel();
    m_items = std::move(conversations);
    endResetModel();
}

const moe::Conversation* ConversationListModel::at(int row) const
{
    return row >= 0 && row < int(m_items.size()) ? &m_items[size_t(row)] : nullptr;
}

int ConversationListModel::rowOf(qint64 id) const
{
    for (size_t i = 0; i < m_items.size(); ++i)
        if (m_items[i].id == id)
            return int(i);
    return -1;
}

} // namespace moeui
