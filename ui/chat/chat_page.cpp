#include "chat_page.h"

#include "conversation_list_model.h"
#include "message_view.h"
#include "store_controller.h"

#include <QCheckBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>

namespace moeui {

struct ChatPage::Conversation {
    StoredRefPtr ref = std::make_shared<StoredRef>();
    QString title;
    qint64 createdAtMs = 0;
};

namespace {

constexpr int kTitleChars = 48;
constexpr qint64 kPersistEveryMs = 2000;

QString titleFor(const QString& text)
{
    QString t = text.simplified();
    if (t.size() > kTitleChars)
        t = t.left(kTitleChars - 1) + QStringLiteral("…");
    return t;
}

} // namespace

ChatPage::ChatPage(EngineController* engine, StoreController* store, QWidget* parent)
    : QWidget(parent), m_engine(engine), m_store(store), m_conversations(new ConversationListModel(this)),
      m_messages(new MessageListModel(this)), m_conversation(std::make_shared<Conversation>())
{
    buildUi();
    connect(m_engine, &EngineController::tokensGenerated, this, &ChatPage::onTokens);
    connect(m_engine, &EngineController::generationFinished, this, &ChatPage::onFinished);
    connect(m_engine, &EngineController::jobFailed, this, &ChatPage::onFailed);
    connect(m_engine, &EngineController::modelLoaded, this, &ChatPage::updateActions);
    connect(m_engine, &EngineController::modelUnloaded, this, &ChatPage::updateActions);
    connect(m_store, &StoreController::opened, this, &ChatPage::refreshConversations);
    updateActions();
}

void ChatPage::buildUi()
{
    auto* split = new QSplitter(Qt::Horizontal, this);
    auto* outer = new QHBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(split);

    // Conversations.
    auto* left = new QWidget;
    auto* lv = new QVBoxLayout(left);
    lv->setContentsMargins(6, 6, 0, 6);
    auto* newButton = new QPushButton(tr("New chat"));
    lv->addWidget(newButton);
    m_search = new QLineEdit;
    m_search->setPlaceholderText(tr("Search conversations"));
    m_search->setClearButtonEnabled(true);
    lv->addWidget(m_search);
    m_list = new QListView;
    m_list->setModel(m_conversations);
    m_list->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_list->setContextMenuPolicy(Qt::CustomContextMenu);
    m_list->setTextElideMode(Qt::ElideRight);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setUniformItemSizes(true);
    lv->addWidget(m_list, 1);
    split->addWidget(left);

    // Transcript and input.
    auto* center = new QWidget;
    auto* cv = new QVBoxLayout(center);
    cv->setContentsMargins(0, 6, 0, 6);
    m_view = new MessageView(m_messages);
    cv->addWidget(m_view, 1);
    m_error = new QLabel;
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_error->hide();
    cv->addWidget(m_error);
    m_editBanner = new QLabel(tr("Editing a message: Send replaces it and every message after it. Esc cancels."));
    m_editBanner->setStyleSheet(QStringLiteral("background: #fff4d6; color: #5a4500; padding: 4px;"));
    m_editBanner->hide();
    cv->addWidget(m_editBanner);
    auto* inputRow = new QHBoxLayout;
    m_input = new QPlainTextEdit;
    m_input->setPlaceholderText(tr("Message (Ctrl+Enter to send)"));
    m_input->setMaximumHeight(110);
    inputRow->addWidget(m_input, 1);
    auto* buttons = new QVBoxLayout;
    m_send = new QPushButton(tr("Send"));
    m_send->setDefault(true);
    m_stop = new QPushButton(tr("Stop"));
    buttons->addWidget(m_send);
    buttons->addWidget(m_stop);
    buttons->addStretch(1);
    inputRow->addLayout(buttons);
    cv->addLayout(inputRow);
    split->addWidget(center);

    // System prompt and sampling.
    auto* right = new QWidget;
    auto* rv = new QVBoxLayout(right);
    rv->setContentsMargins(0, 6, 6, 6);
    auto* systemBox = new QGroupBox(tr("System prompt"));
    auto* sv = new QVBoxLayout(systemBox);
    m_system = new QPlainTextEdit;
    m_system->setPlaceholderText(tr("Optional instructions for the model"));
    sv->addWidget(m_system);
    rv->addWidget(systemBox, 1);
    auto* samplingBox = new QGroupBox(tr("Sampling"));
    auto* form = new QFormLayout(samplingBox);
    auto dspin = [&](double lo, double hi, double step, int decimals, const QString& tip) {
        auto* s = new QDoubleSpinBox;
        s->setRange(lo, hi);
        s->setSingleStep(step);
        s->setDecimals(decimals);
        s->setToolTip(tip);
        return s;
    };
    m_temperature = dspin(0, 5, 0.05, 2, tr("0 = greedy (always the most likely token)"));
    m_topK = new QSpinBox;
    m_topK->setRange(0, 100000);
    m_topK->setToolTip(tr("0 = off"));
    m_topP = dspin(0, 1, 0.01, 2, tr("1 = off"));
    m_minP = dspin(0, 1, 0.01, 2, tr("0 = off"));
    m_repetition = dspin(0.5, 3, 0.05, 2, tr("1 = off"));
    m_maxTokens = new QSpinBox;
    m_maxTokens->setRange(1, 1 << 20);
    m_seed = new QSpinBox;
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setToolTip(tr("Same seed and inputs give the same answer"));
    form->addRow(tr("Temperature"), m_temperature);
    form->addRow(tr("Top-k"), m_topK);
    form->addRow(tr("Top-p"), m_topP);
    form->addRow(tr("Min-p"), m_minP);
    form->addRow(tr("Repetition penalty"), m_repetition);
    form->addRow(tr("Max tokens"), m_maxTokens);
    form->addRow(tr("Seed"), m_seed);
    m_ignoreEos = new QCheckBox(tr("Ignore end of text"));
    m_ignoreEos->setToolTip(tr("Keep generating up to Max tokens (for speed measurements)"));
    form->addRow(QString(), m_ignoreEos);
    rv->addWidget(samplingBox);
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 4);
    split->setStretchFactor(2, 1);
    split->setSizes({220, 700, 240});
    setSamplingParams(moe::SamplingParams{});

    connect(newButton, &QPushButton::clicked, this, &ChatPage::newConversation);
    connect(m_send, &QPushButton::clicked, this, &ChatPage::sendInput);
    connect(m_stop, &QPushButton::clicked, this, &ChatPage::stop);
    auto* sendShortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), m_input);
    sendShortcut->setContext(Qt::WidgetShortcut);
    connect(sendShortcut, &QShortcut::activated, this, &ChatPage::sendInput);
    auto* escape = new QShortcut(QKeySequence(Qt::Key_Escape), m_input);
    escape->setContext(Qt::WidgetShortcut);
    connect(escape, &QShortcut::activated, this, [this] {
        m_editRow = -1;
        m_editBanner->hide();
    });
    connect(m_view, &MessageView::editRequested, this, &ChatPage::editMessage);
    connect(m_view, &MessageView::regenerateRequested, this, [this] { regenerate(); });
    connect(m_list, &QListView::clicked, this, [this](const QModelIndex& index) {
        if (const moe::Conversation* c = m_conversations->at(index.row()))
            openConversation(c->id);
    });
    connect(m_list, &QListView::customContextMenuRequested, this, [this](const QPoint& pos) {
        const QModelIndex index = m_list->indexAt(pos);
        const moe::Conversation* c = m_conversations->at(index.row());
        if (!c)
            return;
        const qint64 id = c->id;
        const QString title = QString::fromStdString(c->title);
        QMenu menu;
        menu.addAction(tr("Rename…"), this, [this, id, title] {
            bool ok = false;
            const QString t = QInputDialog::getText(this, tr("Rename conversation"), tr("Title:"), QLineEdit::Normal, title, &ok);
            if (ok && !t.trimmed().isEmpty())
                renameConversation(id, t.trimmed());
        });
        menu.addAction(tr("Delete"), this, [this, id, title] {
            if (QMessageBox::question(this, tr("Delete conversation"), tr("Delete “%1” and all its messages?").arg(title)) ==
                QMessageBox::Yes)
                deleteConversation(id);
        });
        menu.exec(m_list->viewport()->mapToGlobal(pos));
    });
    auto* searchTimer = new QTimer(this);
    searchTimer->setSingleShot(true);
    searchTimer->setInterval(200);
    connect(m_search, &QLineEdit::textChanged, searchTimer, qOverload<>(&QTimer::start));
    connect(searchTimer, &QTimer::timeout, this, &ChatPage::refreshConversations);
}

moe::SamplingParams ChatPage::samplingParams() const
{
    moe::SamplingParams p;
    p.temperature = float(m_temperature->value());
    p.topK = m_topK->value();
    p.topP = float(m_topP->value());
    p.minP = float(m_minP->value());
    p.repetitionPenalty = float(m_repetition->value());
    p.maxTokens = m_maxTokens->value();
    p.seed = uint64_t(m_seed->value());
    p.ignoreEos = m_ignoreEos->isChecked();
    return p;
}

void ChatPage::setSamplingParams(const moe::SamplingParams& p)
{
    m_temperature->setValue(p.temperature);
    m_topK->setValue(p.topK);
    m_topP->setValue(p.topP);
    m_minP->setValue(p.minP);
    m_repetition->setValue(p.repetitionPenalty);
    m_maxTokens->setValue(p.maxTokens);
    m_seed->setValue(int(std::min<uint64_t>(p.seed, uint64_t(std::numeric_limits<int>::max()))));
    m_ignoreEos->setChecked(p.ignoreEos);
}

void ChatPage::setSystemPrompt(const QString& text) { m_system->setPlainText(text); }

QString ChatPage::samplingJson() const
{
    const moe::SamplingParams p = samplingParams();
    QJsonObject o{{QStringLiteral("temperature"), p.temperature}, {QStringLiteral("top_k"), p.topK},
                  {QStringLiteral("top_p"), p.topP},          {QStringLiteral("min_p"), p.minP},
                  {QStringLiteral("repetition_penalty"), p.repetitionPenalty},
                  {QStringLiteral("max_tokens"), p.maxTokens}, {QStringLiteral("seed"), qint64(p.seed)},
                  {QStringLiteral("ignore_eos"), p.ignoreEos}};
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

void ChatPage::applySamplingJson(const QString& json)
{
    const QJsonObject o = QJsonDocument::fromJson(json.toUtf8()).object();
    moe::SamplingParams p = samplingParams();
    p.temperature = float(o.value(QStringLiteral("temperature")).toDouble(p.temperature));
    p.topK = o.value(QStringLiteral("top_k")).toInt(p.topK);
    p.topP = float(o.value(QStringLiteral("top_p")).toDouble(p.topP));
    p.minP = float(o.value(QStringLiteral("min_p")).toDouble(p.minP));
    p.repetitionPenalty = float(o.value(QStringLiteral("repetition_penalty")).toDouble(p.repetitionPenalty));
    p.maxTokens = o.value(QStringLiteral("max_tokens")).toInt(p.maxTokens);
    p.seed = uint64_t(o.value(QStringLiteral("seed")).toInteger(qint64(p.seed)));
    p.ignoreEos = o.value(QStringLiteral("ignore_eos")).toBool(p.ignoreEos);
    setSamplingParams(p);
}

qint64 ChatPage::currentConversationId() const { return m_conversation->ref->id.load(); }

void ChatPage::sendInput()
{
    const QString text = m_input->toPlainText();
    if (text.trimmed().isEmpty())
        return;
    if (!m_engine->model() || m_job != 0) {
        send(text); // shows why it cannot send; keeps the text
        return;
    }
    m_input->clear();
    send(text);
}

void ChatPage::send(const QString& text)
{
    if (text.trimmed().isEmpty() || m_job != 0)
        return;
    if (!m_engine->model()) {
        showError(tr("No model is loaded. Load one with Model → Load model… (Ctrl+O)."));
        return;
    }
    m_error->hide();
    if (m_editRow >= 0 && m_editRow < m_messages->rowCount()) {
        const int row = m_editRow;
        m_editRow = -1;
        m_editBanner->hide();
        // Later messages go, from the view and the store.
        std::vector<StoredRefPtr> gone;
        for (int r = row + 1; r < m_messages->rowCount(); ++r)
            gone.push_back(m_messages->at(r).ref);
        m_messages->removeFrom(row + 1);
        m_store->post(
            this,
            [gone](moe::Store& s) {
                for (const StoredRefPtr& ref : gone)
                    if (ref->id)
                        s.deleteMessage(ref->id);
            },
            [] {}, [this](const QString& e) { showError(e); });
        m_messages->setContent(row, text);
        persistMessage(row, false);
    } else {
        ChatMessageItem item;
        item.role = QStringLiteral("user");
        item.content = text;
        const int row = m_messages->append(std::move(item));
        if (m_conversation->title.isEmpty())
            m_conversation->title = titleFor(text);
        persistConversation();
        persistMessage(row, true);
    }
    startGeneration();
}

void ChatPage::startGeneration()
{
    std::vector<moe::ChatMessage> messages;
    const QString system = m_system->toPlainText().trimmed();
    if (!system.isEmpty())
        messages.push_back({"system", system.toStdString()});
    for (const ChatMessageItem& m : m_messages->items())
        if (m.role == QLatin1String("user") || m.role == QLatin1String("assistant"))
            messages.push_back({m.role.toStdString(), m.content.toStdString()});
    ChatMessageItem reply;
    reply.role = QStringLiteral("assistant");
    reply.streaming = true;
    reply.stats.model = m_engine->model()->name.toStdString();
    m_replyRow = m_messages->append(std::move(reply));
    persistMessage(m_replyRow, true);
    m_lastPersistMs = QDateTime::currentMSecsSinceEpoch();
    m_job = m_engine->generate(messages, samplingParams());
    updateActions();
}

void ChatPage::stop()
{
    if (m_job)
        m_engine->cancel(m_job);
}

void ChatPage::regenerate()
{
    if (m_job != 0 || !m_engine->model())
        return;
    int last = m_messages->rowCount() - 1;
    if (last < 0)
        return;
    if (m_messages->at(last).role == QLatin1String("assistant")) {
        const StoredRefPtr ref = m_messages->at(last).ref;
        m_messages->removeFrom(last);
        m_store->post(
            this, [ref](moe::Store& s) { if (ref->id) s.deleteMessage(ref->id); }, [] {},
            [this](const QString& e) { showError(e); });
    }
    if (m_messages->rowCount() == 0)
        return;
    startGeneration();
}

void ChatPage::editMessage(int row)
{
    if (m_job != 0 || row < 0 || row >= m_messages->rowCount())
        return;
    m_editRow = row;
    m_input->setPlainText(m_messages->at(row).content);
    m_input->setFocus();
    m_editBanner->show();
}

void ChatPage::onTokens(quint64 job, const QString& text)
{
    if (job != m_job || m_replyRow < 0)
        return; // a stale job's text
    m_messages->appendText(m_replyRow, text);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now - m_lastPersistMs >= kPersistEveryMs) {
        m_lastPersistMs = now;
        persistMessage(m_replyRow, false);
    }
}

void ChatPage::onFinished(quint64 job, const GenerationStats& stats)
{
    if (job != m_job)
        return;
    m_job = 0;
    const int row = std::exchange(m_replyRow, -1);
    if (row >= 0) {
        moe::MessageStats ms = m_messages->at(row).stats;
        ms.promptTokens = stats.promptTokens;
        ms.generatedTokens = stats.generatedTokens;
        ms.timeToFirstTokenSeconds = stats.timeToFirstTokenSeconds;
        ms.tokensPerSecond = stats.tokensPerSecond;
        m_messages->setContent(row, stats.text); // the engine's whole reply (same as streamed)
        m_messages->finish(row, ms, stopReasonText(stats.stop));
        persistMessage(row, false);
    }
    if (stats.droppedMessages > 0)
        emit statusMessage(tr("The conversation is longer than the context: the oldest %n message(s) were left out.",
                              nullptr, int(stats.droppedMessages)));
    updateActions();
    refreshConversations();
    emit generationFinished(stats);
}

void ChatPage::onFailed(quint64 job, const QString& message)
{
    if (job != m_job)
        return;
    m_job = 0;
    const int row = std::exchange(m_replyRow, -1);
    if (row >= 0) {
        if (m_messages->at(row).content.isEmpty()) {
            const StoredRefPtr ref = m_messages->at(row).ref;
            m_messages->removeFrom(row);
            m_store->post(
                this, [ref](moe::Store& s) { if (ref->id) s.deleteMessage(ref->id); }, [] {}, [](const QString&) {});
        } else {
            m_messages->finish(row, m_messages->at(row).stats, tr("failed"));
            persistMessage(row, false);
        }
    }
    showError(message);
    updateActions();
}

void ChatPage::showError(const QString& message)
{
    m_error->setText(message);
    m_error->show();
    emit statusMessage(message);
}

void ChatPage::updateActions()
{
    const bool model = m_engine->model() != nullptr;
    const bool generating = m_job != 0;
    m_send->setEnabled(model && !generating);
    m_send->setToolTip(model ? QString() : tr("Load a model first"));
    m_stop->setEnabled(generating);
    m_list->setEnabled(!generating);
}

void ChatPage::persistConversation()
{
    moe::Conversation c;
    c.title = m_conversation->title.toStdString();
    if (const LoadedModelPtr model = m_engine->model()) {
        c.modelPath = model->path.toStdString();
        c.modelName = model->name.toStdString();
    }
    c.systemPrompt = m_system->toPlainText().toStdString();
    c.samplingJson = samplingJson().toStdString();
    c.createdAtMs = m_conversation->createdAtMs;
    const StoredRefPtr ref = m_conversation->ref;
    m_store->post(
        this,
        [ref, c](moe::Store& s) mutable {
            if (ref->id == 0) {
                s.createConversation(c);
                ref->id = c.id;
            } else {
                c.id = ref->id;
                if (auto old = s.conversation(c.id))
                    c.createdAtMs = old->createdAtMs;
                s.updateConversation(c);
            }
        },
        [this] { refreshConversations(); }, [this](const QString& e) { showError(e); });
}

void ChatPage::persistMessage(int row, bool insert)
{
    const ChatMessageItem& item = m_messages->at(row);
    moe::Message m;
    m.role = item.role.toStdString();
    m.content = item.content.toStdString();
    m.stats = item.stats;
    const StoredRefPtr conv = m_conversation->ref;
    const StoredRefPtr ref = item.ref;
    m_store->post(
        this,
        [conv, ref, m, insert](moe::Store& s) mutable {
            if (insert) {
                m.conversationId = conv->id;
                s.addMessage(m);
                ref->id = m.id;
            } else if (ref->id) {
                m.id = ref->id;
                m.conversationId = conv->id;
                s.updateMessage(m);
            }
        },
        [] {}, [this](const QString& e) { showError(e); });
}

void ChatPage::refreshConversations()
{
    const std::string text = m_search->text().trimmed().toStdString();
    const qint64 current = currentConversationId();
    m_store->post(
        this,
        [text](moe::Store& s) { return text.empty() ? s.listConversations() : s.searchConversations(text); },
        [this, current](std::vector<moe::Conversation> list) {
            m_conversations->setConversations(std::move(list));
            const int row = m_conversations->rowOf(current);
            if (row >= 0)
                m_list->setCurrentIndex(m_conversations->index(row));
        },
        [this](const QString& e) { showError(e); });
}

void ChatPage::newConversation()
{
    if (m_job != 0)
        return;
    m_conversation = std::make_shared<Conversation>();
    m_editRow = -1;
    m_editBanner->hide();
    m_error->hide();
    m_messages->clear();
    m_list->clearSelection();
    m_input->setFocus();
}

void ChatPage::openConversation(qint64 id)
{
    if (m_job != 0 || id == currentConversationId())
        return;
    m_store->post(
        this,
        [id](moe::Store& s) {
            auto c = s.conversation(id);
            if (!c)
                throw moe::Error(moe::ErrorCode::MissingField, s.path(), "conversation",
                                 "conversation " + std::to_string(id) + " no longer exists");
            return std::make_pair(*c, s.messages(id));
        },
        [this](std::pair<moe::Conversation, std::vector<moe::Message>> loaded) {
            if (m_job != 0)
                return;
            auto conv = std::make_shared<Conversation>();
            conv->ref->id = loaded.first.id;
            conv->title = QString::fromStdString(loaded.first.title);
            conv->createdAtMs = loaded.first.createdAtMs;
            m_conversation = conv;
            m_system->setPlainText(QString::fromStdString(loaded.first.systemPrompt));
            applySamplingJson(QString::fromStdString(loaded.first.samplingJson));
            std::vector<ChatMessageItem> items;
            for (const moe::Message& m : loaded.second) {
                ChatMessageItem item;
                item.role = QString::fromStdString(m.role);
                item.content = QString::fromStdString(m.content);
                item.stats = m.stats;
                item.ref->id = m.id;
                items.push_back(std::move(item));
            }
            m_editRow = -1;
            m_editBanner->hide();
            m_error->hide();
            m_messages->setMessages(std::move(items));
        },
        [this](const QString& e) { showError(e); });
}

void ChatPage::renameConversation(qint64 id, const QString& title)
{
    if (id == currentConversationId())
        m_conversation->title = title;
    const std::string t = title.toStdString();
    m_store->post(
        this, [id, t](moe::Store& s) { s.renameConversation(id, t); }, [this] { refreshConversations(); },
        [this](const QString& e) { showError(e); });
}

void ChatPage::deleteConversation(qint64 id)
{
    if (id == currentConversationId()) {
        if (m_job != 0)
            return;
        newConversation();
    }
    m_store->post(
        this, [id](moe::Store& s) { s.deleteConversation(id); }, [this] { refreshConversations(); },
        [this](const QString& e) { showError(e); });
}

} // namespace moeui
