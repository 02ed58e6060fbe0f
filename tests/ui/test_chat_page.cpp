// The Chat page over a real engine and store: streaming into the view, Stop, the
// conversation surviving a restart, edit / regenerate keeping the store in step.
#include "chat/chat_page.h"
#include "chat/conversation_list_model.h"
#include "chat/message_list_model.h"
#include "chat/message_view.h"
#include "engine_controller.h"
#include "store_controller.h"
#include "test_support.h"
#include "tiny_model.h"

#include "moe/chat_template.h"
#include "moe/engine.h"
#include "moe/model_maker.h"
#include "moe/store.h"
#include "moe/tokenizer.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>

using namespace moeui;

class TestChatPage : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void streamsTheModelsTokensAndKeepsTheConversation();
    void stopEndsTheAnswerWithinAboutOneStep();
    void editAndRegenerateKeepTheStoreInStep();
    void sendingWithoutAModelSaysSo();

private:
    bool loadInto(EngineController& engine, const QString& path, int threads = 0);
    moe::test::TempDir m_dir;
    QString m_model;
    QString m_smallModel; // 2048-token context, steps of a few ms: time to press Stop
};

void TestChatPage::initTestCase()
{
    const moe::MadeModel made = moe::test::makeTinyModel("qwen3moe", m_dir.file("tiny"), moe::MakeFormat::Gguf);
    m_model = QString::fromStdString(made.ggufPath);
    moe::MakeModelOptions mo;
    mo.architecture = "qwen3moe";
    mo.preset = "small";
    mo.format = moe::MakeFormat::Gguf;
    mo.outDir = m_dir.file("small");
    m_smallModel = QString::fromStdString(moe::makeModel(mo).ggufPath);
}

bool TestChatPage::loadInto(EngineController& engine, const QString& path, int threads)
{
    QSignalSpy loaded(&engine, &EngineController::modelLoaded);
    LoadOptions o;
    o.threads = threads;
    engine.loadModel(path, o);
    return loaded.wait(60000);
}

// The same conversation through the engine directly (no controller, no page): the
// reference for the streamed text.
static std::string referenceReply(const std::string& model, const std::vector<moe::ChatMessage>& messages,
                                  const moe::SamplingParams& params)
{
    auto engine = moe::Engine::load(model);
    const moe::RenderedChat chat = moe::renderChatWithTokenizer(engine->tokenizer(), messages, true);
    const std::vector<int32_t> prompt = engine->tokenizer().encode(chat.text, false, true);
    return engine->generate(prompt, params).text;
}

void TestChatPage::streamsTheModelsTokensAndKeepsTheConversation()
{
    moe::test::TempDir dir;
    const QString db = QString::fromStdString(dir.file("chat.db"));
    moe::SamplingParams params = moe::SamplingParams::greedy();
    params.maxTokens = 24;
    params.ignoreEos = true;
    QString streamed;
    QString answer;
    {
        EngineController engine;
        StoreController store;
        store.open(db);
        ChatPage page(&engine, &store);
        QAbstractItemModelTester t1(page.conversationModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester t2(page.messageModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(loadInto(engine, m_model));
        page.setSamplingParams(params);
        page.setSystemPrompt(QStringLiteral("You are terse."));
        QSignalSpy tokens(&engine, &EngineController::tokensGenerated);
        QSignalSpy finished(&page, &ChatPage::generationFinished);
        page.send(QStringLiteral("Hello, experts!"));
        QVERIFY(page.isGenerating());
        QVERIFY(finished.wait(60000));
        QVERIFY(tokens.count() >= 1);
        for (const QList<QVariant>& args : tokens)
            streamed += args.at(1).toString();
        const GenerationStats stats = finished.at(0).at(0).value<GenerationStats>();
        QCOMPARE(stats.generatedTokens, 24);
        QCOMPARE(streamed, stats.text);
        QCOMPARE(page.messageModel()->rowCount(), 2);
        QCOMPARE(page.messageModel()->at(0).content, QStringLiteral("Hello, experts!"));
        answer = page.messageModel()->at(1).content;
        QCOMPARE(answer, streamed);
        QCOMPARE(page.messageView()->renderedText(1), answer);
        QVERIFY(!page.messageModel()->data(page.messageModel()->index(1), MessageListModel::StatsTextRole).toString().isEmpty());
        store.waitForIdle();
        QTRY_VERIFY(page.currentConversationId() > 0);
    }
    // Same text as the engine gives without the workbench in between.
    const std::string reference =
        referenceReply(m_model.toStdString(), {{"system", "You are terse."}, {"user", "Hello, experts!"}}, params);
    QCOMPARE(answer, QString::fromStdString(reference));

    // After a restart: read back through the page, and through the store directly.
    {
        EngineController engine;
        StoreController store;
        store.open(db);
        ChatPage page(&engine, &store);
        QTRY_COMPARE(page.conversationModel()->rowCount(), 1);
        const qint64 id = page.conversationModel()->data(page.conversationModel()->index(0), ConversationListModel::IdRole).toLongLong();
        page.openConversation(id);
        QTRY_COMPARE(page.messageModel()->rowCount(), 2);
        QCOMPARE(page.messageModel()->at(1).content, answer);
        QCOMPARE(page.messageModel()->at(1).stats.generatedTokens, 24);
    }
    moe::Store s = moe::Store::open(db.toStdString(), moe::StoreMode::ReadOnly);
    const auto conversations = s.listConversations();
    QCOMPARE(conversations.size(), size_t(1));
    QCOMPARE(conversations[0].title, std::string("Hello, experts!"));
    QCOMPARE(conversations[0].systemPrompt, std::string("You are terse."));
    const auto messages = s.messages(conversations[0].id);
    QCOMPARE(messages.size(), size_t(2));
    QCOMPARE(messages[1].role, std::string("assistant"));
    QCOMPARE(QString::fromStdString(messages[1].content), answer);
}

void TestChatPage::stopEndsTheAnswerWithinAboutOneStep()
{
    moe::test::TempDir dir;
    EngineController engine;
    StoreController store;
    store.open(QString::fromStdString(dir.file("chat.db")));
    ChatPage page(&engine, &store);
    QVERIFY(loadInto(engine, m_smallModel, 1));
    moe::SamplingParams params = moe::SamplingParams::greedy();
    params.maxTokens = 1800;
    params.ignoreEos = true;
    page.setSamplingParams(params);
    std::vector<double> stepSeconds;
    connect(&engine, &EngineController::telemetryUpdated, this, [&](const TelemetryBatch& batch) {
        for (const auto& s : batch)
            if (!s->prefill)
                stepSeconds.push_back(s->stepSeconds);
    });
    QSignalSpy tokens(&engine, &EngineController::tokensGenerated);
    QSignalSpy finished(&page, &ChatPage::generationFinished);
    page.send(QStringLiteral("Count to a thousand."));
    QVERIFY(tokens.wait(30000));
    QTRY_VERIFY_WITH_TIMEOUT(stepSeconds.size() >= 8, 30000); // some decode steps timed
    QElapsedTimer sinceStop;
    sinceStop.start();
    page.stop();
    QVERIFY(finished.wait(30000));
    const double stopSeconds = double(sinceStop.nsecsElapsed()) / 1e9;
    const GenerationStats stats = finished.at(0).at(0).value<GenerationStats>();
    QCOMPARE(stats.stop, moe::GenerationResult::Stop::Cancelled);
    QVERIFY2(stats.generatedTokens < params.maxTokens, "Stop did not stop the generation");
    std::sort(stepSeconds.begin(), stepSeconds.end());
    const double medianStep = stepSeconds.empty() ? 0.0 : stepSeconds[stepSeconds.size() / 2];
    qInfo("Stop -> finished: %.2f ms; median decode step %.3f ms; %lld tokens generated", stopSeconds * 1e3,
          medianStep * 1e3, (long long)stats.generatedTokens);
    // One step to finish, plus the two queued hops (generous for a loaded CI machine).
    QVERIFY2(stopSeconds < 2 * medianStep + 0.25, qPrintable(QStringLiteral("stop took %1 s").arg(stopSeconds)));
    QCOMPARE(page.messageModel()->at(1).stopReason, stopReasonText(moe::GenerationResult::Stop::Cancelled));
    QVERIFY(!page.isGenerating());
}

void TestChatPage::editAndRegenerateKeepTheStoreInStep()
{
    moe::test::TempDir dir;
    const QString db = QString::fromStdString(dir.file("chat.db"));
    EngineController engine;
    StoreController store;
    store.open(db);
    ChatPage page(&engine, &store);
    QVERIFY(loadInto(engine, m_model));
    moe::SamplingParams params = moe::SamplingParams::greedy();
    params.maxTokens = 6;
    params.ignoreEos = true;
    page.setSamplingParams(params);
    QSignalSpy finished(&page, &ChatPage::generationFinished);
    page.send(QStringLiteral("first question"));
    QVERIFY(finished.wait(30000));
    page.send(QStringLiteral("second question"));
    QVERIFY(finished.wait(30000));
    QCOMPARE(page.messageModel()->rowCount(), 4);

    // Edit the first question: everything after it is replaced.
    page.editMessage(0);
    page.send(QStringLiteral("edited question"));
    QVERIFY(finished.wait(30000));
    QCOMPARE(page.messageModel()->rowCount(), 2);
    QCOMPARE(page.messageModel()->at(0).content, QStringLiteral("edited question"));
    const QString firstAnswer = page.messageModel()->at(1).content;

    // Regenerate with another seed and temperature: still two messages.
    params.temperature = 1.0f;
    params.seed = 99;
    page.setSamplingParams(params);
    page.regenerate();
    QVERIFY(finished.wait(30000));
    QCOMPARE(page.messageModel()->rowCount(), 2);
    store.waitForIdle();
    QTRY_VERIFY(page.currentConversationId() > 0);
    const qint64 id = page.currentConversationId();

    moe::Store s = moe::Store::open(db.toStdString(), moe::StoreMode::ReadOnly);
    const auto messages = s.messages(id);
    QCOMPARE(messages.size(), size_t(2));
    QCOMPARE(messages[0].content, std::string("edited question"));
    QCOMPARE(QString::fromStdString(messages[1].content), page.messageModel()->at(1).content);
    Q_UNUSED(firstAnswer);
}

void TestChatPage::sendingWithoutAModelSaysSo()
{
    moe::test::TempDir dir;
    EngineController engine;
    StoreController store;
    store.open(QString::fromStdString(dir.file("chat.db")));
    ChatPage page(&engine, &store);
    QSignalSpy status(&page, &ChatPage::statusMessage);
    page.send(QStringLiteral("anyone there?"));
    QCOMPARE(status.count(), 1);
    QVERIFY(status.at(0).at(0).toString().contains(QStringLiteral("No model")));
    QCOMPARE(page.messageModel()->rowCount(), 0);
}

QTEST_MAIN(TestChatPage)
#include "test_chat_page.moc"
