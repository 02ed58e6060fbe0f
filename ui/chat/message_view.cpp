#include "message_view.h"

#include "message_list_model.h"

#include <QApplication>
#include <QClipboard>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextDocument>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace moeui {

QString markdownToRichText(const QString& markdown)
{
    QTextDocument doc;
    doc.setMarkdown(markdown);
    for (QTextBlock b = doc.begin(); b.isValid(); b = b.next()) {
        QTextBlockFormat f = b.blockFormat();
        if (f.hasProperty(QTextFormat::BlockCodeFence) || f.nonBreakableLines()) {
            f.setBackground(QColor(0xee, 0xf0, 0xf3));
            f.setLeftMargin(6);
            QTextCursor(b).setBlockFormat(f);
        }
    }
    return doc.toHtml();
}

MessageView::MessageView(MessageListModel* model, QWidget* parent) : QScrollArea(parent), m_model(model)
{
    m_renderTimer = new QTimer(this);
    m_renderTimer->setSingleShot(true);
    m_renderTimer->setInterval(50);
    connect(m_renderTimer, &QTimer::timeout, this, &MessageView::flushPending);
    setWidgetResizable(true);
    setFrameShape(QFrame::NoFrame);
    m_content = new QWidget;
    m_layout = new QVBoxLayout(m_content);
    m_layout->setContentsMargins(12, 12, 12, 12);
    m_layout->setSpacing(10);
    m_empty = new QLabel(tr("No messages yet. Type below and press Ctrl+Enter (or Send)."));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setStyleSheet(QStringLiteral("color: palette(mid); padding: 40px;"));
    m_layout->addWidget(m_empty);
    m_layout->addStretch(1);
    setWidget(m_content);

    connect(verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        m_follow = value >= verticalScrollBar()->maximum() - 24;
    });
    connect(verticalScrollBar(), &QScrollBar::rangeChanged, this, [this] { scrollToEndIfFollowing(); });
    connect(m_model, &QAbstractItemModel::modelReset, this, &MessageView::rebuild);
    connect(m_model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex&, int first, int last) { insertRows(first, last); });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this,
            [this](const QModelIndex&, int first, int last) { removeRows(first, last); });
    connect(m_model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex& tl, const QModelIndex& br, const QList<int>& roles) {
                const bool textOnly = !roles.isEmpty() && !roles.contains(MessageListModel::StreamingRole) &&
                                      !roles.contains(MessageListModel::StatsTextRole);
                for (int r = tl.row(); r <= br.row(); ++r) {
                    if (textOnly && r < m_model->rowCount() && m_model->at(r).streaming) {
                        if (std::find(m_pendingRows.begin(), m_pendingRows.end(), r) == m_pendingRows.end())
                            m_pendingRows.push_back(r);
                        if (!m_renderTimer->isActive())
                            m_renderTimer->start();
                    } else {
                        updateRow(r);
                    }
                }
                if (roles.isEmpty() || roles.contains(MessageListModel::StreamingRole))
                    updateButtons();
            });
    rebuild();
}

MessageView::Bubble MessageView::makeBubble()
{
    Bubble b;
    b.frame = new QFrame;
    b.frame->setFrameShape(QFrame::StyledPanel);
    auto* v = new QVBoxLayout(b.frame);
    v->setContentsMargins(10, 6, 10, 8);
    auto* head = new QHBoxLayout;
    b.role = new QLabel;
    QFont bold = b.role->font();
    bold.setBold(true);
    b.role->setFont(bold);
    head->addWidget(b.role);
    head->addStretch(1);
    auto button = [&](const QString& text, const QString& tip) {
        auto* t = new QToolButton;
        t->setText(text);
        t->setToolTip(tip);
        t->setAutoRaise(true);
        head->addWidget(t);
        return t;
    };
    b.copy = button(tr("Copy"), tr("Copy the message as Markdown"));
    b.edit = button(tr("Edit"), tr("Edit this message and resend it (later messages are replaced)"));
    b.regenerate = button(tr("Regenerate"), tr("Generate this answer again"));
    v->addLayout(head);
    b.text = new QLabel;
    b.text->setTextFormat(Qt::RichText);
    b.text->setWordWrap(true);
    b.text->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse);
    b.text->setOpenExternalLinks(true);
    b.text->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Minimum);
    v->addWidget(b.text);
    b.stats = new QLabel;
    b.stats->setStyleSheet(QStringLiteral("color: palette(mid); font-size: small;"));
    v->addWidget(b.stats);
    QFrame* frame = b.frame;
    connect(b.copy, &QToolButton::clicked, this, [this, frame] {
        const int row = rowOfFrame(frame);
        if (row >= 0)
            QApplication::clipboard()->setText(m_model->at(row).content);
    });
    connect(b.edit, &QToolButton::clicked, this, [this, frame] {
        const int row = rowOfFrame(frame);
        if (row >= 0)
            emit editRequested(row);
    });
    connect(b.regenerate, &QToolButton::clicked, this, [this, frame] {
        const int row = rowOfFrame(frame);
        if (row >= 0)
            emit regenerateRequested(row);
    });
    return b;
}

int MessageView::rowOfFrame(const QObject* frame) const
{
    for (size_t i = 0; i < m_bubbles.size(); ++i)
        if (m_bubbles[i].frame == frame)
            return int(i);
    return -1;
}

void MessageView::rebuild()
{
    m_pendingRows.clear();
    for (Bubble& b : m_bubbles)
        delete b.frame;
    m_bubbles.clear();
    if (m_model->rowCount() > 0)
        insertRows(0, m_model->rowCount() - 1);
    else
        updateButtons();
}

void MessageView::insertRows(int first, int last)
{
    for (int r = first; r <= last; ++r) {
        Bubble b = makeBubble();
        m_layout->insertWidget(r + 1, b.frame); // after the empty-state label
        m_bubbles.insert(m_bubbles.begin() + r, b);
        updateRow(r);
    }
    m_follow = true;
    updateButtons();
}

void MessageView::removeRows(int first, int last)
{
    m_pendingRows.clear();
    for (int r = last; r >= first; --r) {
        delete m_bubbles[size_t(r)].frame;
        m_bubbles.erase(m_bubbles.begin() + r);
    }
    updateButtons();
}

void MessageView::updateRow(int row)
{
    if (row < 0 || row >= int(m_bubbles.size()))
        return;
    const ChatMessageItem& m = m_model->at(row);
    Bubble& b = m_bubbles[size_t(row)];
    const bool user = m.role == QLatin1String("user");
    b.role->setText(user ? tr("You") : m.role == QLatin1String("assistant") ? tr("Assistant") : tr("System"));
    b.frame->setStyleSheet(user ? QStringLiteral("QFrame { background: palette(alternate-base); border-radius: 6px; }")
                                : QStringLiteral("QFrame { border-radius: 6px; }"));
    b.text->setText(m.content.isEmpty() && m.streaming ? QStringLiteral("…") : markdownToRichText(m.content));
    b.text->setProperty("markdown", m.content);
    const QString stats = MessageListModel::statsText(m);
    b.stats->setText(stats);
    b.stats->setVisible(!stats.isEmpty());
    scrollToEndIfFollowing();
}

void MessageView::updateButtons()
{
    m_empty->setVisible(m_bubbles.empty());
    int lastAssistant = -1;
    bool streaming = false;
    for (int r = 0; r < int(m_bubbles.size()); ++r) {
        const ChatMessageItem& m = m_model->at(r);
        if (m.role == QLatin1String("assistant"))
            lastAssistant = r;
        streaming = streaming || m.streaming;
    }
    for (int r = 0; r < int(m_bubbles.size()); ++r) {
        const ChatMessageItem& m = m_model->at(r);
        m_bubbles[size_t(r)].edit->setVisible(m.role == QLatin1String("user"));
        m_bubbles[size_t(r)].edit->setEnabled(!streaming);
        m_bubbles[size_t(r)].regenerate->setVisible(r == lastAssistant);
        m_bubbles[size_t(r)].regenerate->setEnabled(!streaming);
    }
}

void MessageView::flushPending()
{
    const std::vector<int> rows = std::exchange(m_pendingRows, {});
    for (int r : rows)
        updateRow(r);
}

void MessageView::scrollToEndIfFollowing()
{
    if (m_follow)
        verticalScrollBar()->setValue(verticalScrollBar()->maximum());
}

QString MessageView::renderedText(int row) const
{
    return row >= 0 && row < int(m_bubbles.size()) ? m_bubbles[size_t(row)].text->property("markdown").toString()
                                                   : QString();
}

} // namespace moeui
