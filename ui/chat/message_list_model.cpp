#include "message_list_model.h"

#include "format.h"

namespace moeui {

MessageListModel::MessageListModel(QObject* parent) : QAbstractListModel(parent) {}

int MessageListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_items.size()); }

QString MessageListModel::statsText(const ChatMessageItem& m)
{
    if (m.role != QLatin1String("assistant") || (m.stats.generatedTokens == 0 && !m.streaming && m.stopReason.isEmpty()))
        return {};
    if (m.streaming)
        return tr("generating…");
    QString text = tr("%n token(s)", nullptr, int(m.stats.generatedTokens));
    if (m.stats.timeToFirstTokenSeconds > 0)
        text += tr(" · %1 to first token").arg(formatSeconds(m.stats.timeToFirstTokenSeconds));
    if (m.stats.tokensPerSecond > 0)
        text += QStringLiteral(" · ") + formatRate(m.stats.tokensPerSecond);
    if (!m.stopReason.isEmpty())
        text += QStringLiteral(" · ") + m.stopReason;
    if (!m.stats.model.empty())
        text += QStringLiteral(" · ") + QString::fromStdString(m.stats.model);
    return text;
}

QVariant MessageListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ChatMessageItem& m = m_items[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case ContentRole:
        return m.content;
    case RoleRole:
        return m.role;
    case StatsTextRole:
        return statsText(m);
    case StreamingRole:
        return m.streaming;
    case StoredIdRole:
        return QVariant::fromValue<qint64>(m.ref->id.load());
    default:
        return {};
    }
}

QHash<int, QByteArray> MessageListModel::roleNames() const
{
    auto names = QAbstractListModel::roleNames();
    names[RoleRole] = "role";
    names[ContentRole] = "content";
    names[StatsTextRole] = "stats";
    names[StreamingRole] = "streaming";
    names[StoredIdRole] = "storedId";
    return names;
}

void MessageListModel::clear() { setMessages({}); }

void MessageListModel::setMessages(std::vector<ChatMessageItem> items)
{
    beginResetModel();
    m_items = std::move(items);
    endResetModel();
}

int MessageListModel::append(ChatMessageItem item)
{
    const int row = int(m_items.size());
    beginInsertRows({}, row, row);
    m_items.push_back(std::move(item));
    endInsertRows();
    return row;
}

void MessageListModel::appendText(int row, const QString& text)
{
    if (row < 0 || row >= int(m_items.size()))
        return;
    m_items[size_t(row)].content += text;
    emit dataChanged(index(row), index(row), {Qt::DisplayRole, ContentRole});
}

void MessageListModel::setContent(int row, const QString& text)
{
    if (row < 0 || row >= int(m_items.size()))
        return;
    m_items[size_t(row)].content = text;
    emit dataChanged(index(row), index(row), {Qt::DisplayRole, ContentRole});
}

void MessageListModel::finish(int row, const moe::MessageStats& stats, const QString& stopReason)
{
    if (row < 0 || row >= int(m_items.size()))
        return;
    ChatMessageItem& m = m_items[size_t(row)];
    m.stats = stats;
    m.streaming = false;
    m.stopReason = stopReason;
    emit dataChanged(index(row), index(row), {StatsTextRole, StreamingRole});
}

void MessageListModel::removeFrom(int row)
{
    if (row < 0 || row >= int(m_items.size()))
        return;
    beginRemoveRows({}, row, int(m_items.size()) - 1);
    m_items.erase(m_items.begin() + row, m_items.end());
    endRemoveRows();
}

} // namespace moeui
