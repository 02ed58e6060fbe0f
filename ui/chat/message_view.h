// message_view.h — the chat transcript: one bubble per row of a MessageListModel
// (Markdown with code blocks, selectable text, Copy / Edit / Regenerate buttons, the
// reply's statistics). Follows the model's inserts, removals and text changes; keeps
// the view at the bottom while a reply streams unless the user scrolled up.
#pragma once

#include <QScrollArea>

#include <vector>

class QLabel;
class QVBoxLayout;
class QFrame;
class QTimer;
class QToolButton;

namespace moeui {

class MessageListModel;

class MessageView : public QScrollArea {
    Q_OBJECT
public:
    explicit MessageView(MessageListModel* model, QWidget* parent = nullptr);
    QString renderedText(int row) const; // the Markdown the bubble last rendered (for tests)

signals:
    void editRequested(int row);
    void regenerateRequested(int row);

private:
    struct Bubble {
        QFrame* frame = nullptr;
        QLabel* role = nullptr;
        QLabel* text = nullptr;
        QLabel* stats = nullptr;
        QToolButton* copy = nullptr;
        QToolButton* edit = nullptr;
        QToolButton* regenerate = nullptr;
    };
    void rebuild();
    void insertRows(int first, int last);
    void removeRows(int first, int last);
    void updateRow(int row);
    void updateButtons();
    Bubble makeBubble();
    int rowOfFrame(const QObject* frame) const;
    void scrollToEndIfFollowing();
    void flushPending();

    MessageListModel* m_model;
    QWidget* m_content = nullptr;
    QVBoxLayout* m_layout = nullptr;
    QLabel* m_empty = nullptr;
    std::vector<Bubble> m_bubbles;
    bool m_follow = true;
    // Rows whose text changed while a reply streams: re-rendered at most ~20 times a
    // second (Markdown layout of a long answer is not free).
    std::vector<int> m_pendingRows;
    QTimer* m_renderTimer = nullptr;
};

// Markdown to the rich text a QLabel shows, with code blocks on a shaded background.
QString markdownToRichText(const QString& markdown);

} // namespace moeui
