#include "experts/token_routing_model.h"

#include <QColor>
#include <QFont>

#include <algorithm>

namespace moeui {

TokenRoutingModel::TokenRoutingModel(QObject* parent) : QAbstractListModel(parent) {}

int TokenRoutingModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() || !m_history ? 0 : int(m_history->tokens.size());
}

QString TokenRoutingModel::visibleText(const QString& text)
{
    QString out = text;
    out.replace(QLatin1Char('\n'), QStringLiteral("↵"));
    out.replace(QLatin1Char('\t'), QStringLiteral("→"));
    out.replace(QLatin1Char(' '), QStringLiteral("·"));
    return out.isEmpty() ? QStringLiteral("∅") : out;
}

QVariant TokenRoutingModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const size_t row = size_t(index.row());
    const moe::TokenRouting& t = m_history->tokens[row];
    const QString text = row < m_history->texts.size() ? m_history->texts[row] : QString();
    const bool answer = int64_t(m_history->tokens.size() - row) <= m_answerTokens;
    switch (role) {
    case Qt::DisplayRole: return visibleText(text);
    case TextRole: return text;
    case PositionRole: return QVariant::fromValue<qint64>(t.position);
    case TokenIdRole: return t.token;
    case IsAnswerRole: return answer;
    case Qt::ToolTipRole:
        return answer ? tr("position %1, token id %2 (answer)").arg(t.position).arg(t.token)
                      : tr("position %1, token id %2 (prompt)").arg(t.position).arg(t.token);
    case Qt::FontRole: {
        QFont f;
        f.setBold(answer);
        return f;
    }
    case Qt::ForegroundRole: return answer ? QVariant() : QVariant(QColor(Qt::gray));
    default: return {};
    }
}

void TokenRoutingModel::setHistory(RoutingHistoryPtr history, int64_t answerTokens)
{
    beginResetModel();
    m_history = std::move(history);
    m_answerTokens = answerTokens;
    endResetModel();
}

void TokenRoutingModel::clear() { setHistory(nullptr, 0); }

TokenExpertsModel::TokenExpertsModel(QObject* parent) : QAbstractTableModel(parent) {}

int TokenExpertsModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : m_layers; }

int TokenExpertsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : m_topK; }

void TokenExpertsModel::setToken(RoutingHistoryPtr history, int row)
{
    beginResetModel();
    m_history = std::move(history);
    m_row = m_history && row >= 0 && row < int(m_history->tokens.size()) ? row : -1;
    m_layers = 0;
    m_topK = 0;
    if (m_row >= 0) {
        m_topK = int(m_history->topK);
        m_layers = int(m_history->moeLayers.size());
        // Trust the token's own vectors over the header when they disagree.
        const moe::TokenRouting& t = m_history->tokens[size_t(m_row)];
        if (m_topK > 0)
            m_layers = std::min<int>(m_layers > 0 ? m_layers : int(t.expertIds.size()) / m_topK,
                                     int(t.expertIds.size()) / m_topK);
        if (m_topK <= 0 || m_layers <= 0)
            m_layers = m_topK = 0;
    }
    endResetModel();
}

void TokenExpertsModel::clear() { setToken(nullptr, -1); }

QVariant TokenExpertsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const moe::TokenRouting& t = m_history->tokens[size_t(m_row)];
    const size_t i = size_t(index.row()) * size_t(m_topK) + size_t(index.column());
    const int expert = i < t.expertIds.size() ? t.expertIds[i] : -1;
    const double weight = i < t.weights.size() ? double(t.weights[i]) : 0.0;
    switch (role) {
    case Qt::DisplayRole: return expert < 0 ? QString() : tr("expert %1 · %2").arg(expert).arg(weight, 0, 'f', 3);
    case ExpertRole: return expert;
    case WeightRole: return weight;
    case Qt::ToolTipRole:
        return tr("slot %1: expert %2, gate weight %3").arg(index.column() + 1).arg(expert).arg(weight, 0, 'f', 4);
    case Qt::BackgroundRole: {
        // A light tint in proportion to the gate weight: the dominant expert stands out.
        const double w = std::clamp(weight, 0.0, 1.0);
        return QColor::fromRgbF(float(1.0 - 0.45 * w), float(1.0 - 0.25 * w), 1.0f);
    }
    case Qt::ForegroundRole: return QColor(Qt::black);
    default: return {};
    }
}

QVariant TokenExpertsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Horizontal)
        return section >= 0 && section < m_topK ? QVariant(tr("#%1").arg(section + 1)) : QVariant();
    if (section < 0 || section >= m_layers)
        return {};
    const auto& layers = m_history->moeLayers;
    return tr("layer %1").arg(section < int(layers.size()) ? layers[size_t(section)] : section);
}

} // namespace moeui
