// chat_page.h — the Chat page: stored conversations (list, search, rename, delete), the
// transcript with a streaming answer, Stop, regenerate, edit-and-resend, a system
// prompt and sampling panel. Every change is written to the store (on its thread) as it
// happens: the user's message when sent, the reply when it starts, while it streams
// (every few seconds) and when it ends — a crash loses at most the last seconds.
#pragma once

#include "engine_controller.h"
#include "message_list_model.h"

#include <QWidget>

#include <memory>

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListView;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace moeui {

class ConversationListModel;
class MessageView;
class StoreController;

class ChatPage : public QWidget {
    Q_OBJECT
public:
    ChatPage(EngineController* engine, StoreController* store, QWidget* parent = nullptr);

    ConversationListModel* conversationModel() const { return m_conversations; }
    MessageListModel* messageModel() const { return m_messages; }
    MessageView* messageView() const { return m_view; }
    qint64 currentConversationId() const; // 0 while the new conversation is not stored yet
    bool isGenerating() const { return m_job != 0; }

    moe::SamplingParams samplingParams() const;
    void setSamplingParams(const moe::SamplingParams& params);
    void setSystemPrompt(const QString& text);

public slots:
    // Sends `text` as the next user message (or, while editing, in place of the edited one).
    void send(const QString& text);
    void sendInput();            // the input box's text
    void stop();
    void regenerate();           // the last answer again
    void editMessage(int row);   // puts the message into the input box; Send replaces it
    void newConversation();
    void openConversation(qint64 id);
    void renameConversation(qint64 id, const QString& title);
    void deleteConversation(qint64 id);
    void refreshConversations();

signals:
    void generationFinished(const moeui::GenerationStats& stats);
    void statusMessage(const QString& text);

private:
    struct Conversation; // the open conversation's store reference and settings
    void buildUi();
    void startGeneration();
    void persistConversation();
    void persistMessage(int row, bool insert);
    void onTokens(quint64 job, const QString& text);
    void onFinished(quint64 job, const GenerationStats& stats);
    void onFailed(quint64 job, const QString& message);
    void updateActions();
    void showError(const QString& message);
    QString samplingJson() const;
    void applySamplingJson(const QString& json);

    EngineController* m_engine;
    StoreController* m_store;
    ConversationListModel* m_conversations;
    MessageListModel* m_messages;
    std::shared_ptr<Conversation> m_conversation;

    quint64 m_job = 0;
    int m_replyRow = -1;
    int m_editRow = -1;
    qint64 m_lastPersistMs = 0;

    QLineEdit* m_search = nullptr;
    QListView* m_list = nullptr;
    MessageView* m_view = nullptr;
    QPlainTextEdit* m_input = nullptr;
    QPushButton* m_send = nullptr;
    QPushButton* m_stop = nullptr;
    QLabel* m_editBanner = nullptr;
    QLabel* m_error = nullptr;
    QPlainTextEdit* m_system = nullptr;
    QDoubleSpinBox* m_temperature = nullptr;
    QSpinBox* m_topK = nullptr;
    QDoubleSpinBox* m_topP = nullptr;
    QDoubleSpinBox* m_minP = nullptr;
    QDoubleSpinBox* m_repetition = nullptr;
    QSpinBox* m_maxTokens = nullptr;
    QSpinBox* m_seed = nullptr;
    QCheckBox* m_ignoreEos = nullptr;
};

} // namespace moeui
