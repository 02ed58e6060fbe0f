// The SQLite store: every entity round-trips, a v1 file migrates, a writer killed with
// SIGKILL leaves exactly its committed rows, a reader and a writer run at once, and files
// the store must not touch (newer schema, not a database, corrupt) keep every byte.
#include "moe/error.h"
#include "moe/store.h"
#include "test_support.h"

#include <QtTest/QtTest>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <random>
#include <thread>

using namespace moe;
using moe::test::TempDir;

namespace {

// Raw SQL on a file, for building fixtures the Store itself would never write.
void execSql(const std::string& path, const std::string& sql)
{
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK)
        throw std::runtime_error("cannot open " + path);
    char* message = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    std::string detail = message ? message : "";
    sqlite3_free(message);
    sqlite3_close(db);
    if (rc != SQLITE_OK)
        throw std::runtime_error("sql failed: " + detail);
}

int64_t countRows(const std::string& path, const std::string& table)
{
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, ("SELECT count(*) FROM " + table).c_str(), -1, &stmt, nullptr);
    int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
}

ProfileRun sampleRun(int steps, int traces)
{
    ProfileRun run;
    run.name = "sample";
    run.createdAt = "2026-11-28T10:00:00Z";
    run.modelPath = "/models/tiny.gguf";
    run.modelName = "tiny-moe";
    run.architecture = "qwen3moe";
    run.randomWeights = true;
    run.settingsJson = R"({"maxTokens":16,"threads":2})";
    run.numMoeLayers = 3;
    run.numExperts = 8;
    run.topK = 2;
    run.moeLayers = {0, 2, 4};
    run.prompts = {{"code", "def f():", "return 1", 4, 3, 0.125, 0.5}, {"maths", "1+1=", "2 \xc3\xa9", 5, 1, 1e-9, 1.0 / 3}};
    std::mt19937 rng(7);
    for (int i = 0; i < steps; ++i) {
        ProfileStep s{i, i % 2, i == 0, i == 0 ? 5 : 1, 0.001 * (i + 1), {}, {}};
        for (int j = 0; j < 24; ++j) {
            s.expertCounts.push_back(int32_t(rng() % 5));
            s.gateWeightSums.push_back(std::uniform_real_distribution<float>(0, 3)(rng));
        }
        run.steps.push_back(std::move(s));
    }
    for (int i = 0; i < traces; ++i)
        run.traces.push_back({i, 100 + i, {1, 2, 3, 4, 5, 6}, {0.6f, 0.4f, 0.7f, 0.3f, 0.55f, 0.45f}});
    return run;
}

template <typename Fn>
ErrorCode expectError(Fn fn, std::string* file = nullptr, std::string* field = nullptr)
{
    try {
        fn();
    } catch (const Error& e) {
        if (file)
            *file = e.file();
        if (field)
            *field = e.field();
        return e.code();
    }
    throw std::runtime_error("expected moe::Error");
}

std::vector<std::string> dirEntries(const std::string& dir)
{
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// Runs in the forked child: commits batches of messages and reports each commit's number
// through the pipe only after COMMIT returned. Never returns.
[[noreturn]] void heavyWriter(const std::string& path, int64_t conversationId, int reportFd)
{
    try {
        Store store = Store::open(path);
        std::string text(400, 'x');
        for (int64_t batch = 1;; ++batch) {
            Transaction tx(store);
            for (int i = 0; i < 20; ++i) {
                Message m{0, conversationId, "user", text + std::to_string(batch), 0, {}};
                store.addMessage(m);
            }
            tx.commit();
            if (::write(reportFd, &batch, sizeof batch) != sizeof batch)
                ::_exit(3);
        }
    } catch (...) {
        ::_exit(2);
    }
}

} // namespace

class TestStore : public QObject {
    Q_OBJECT

private slots:
    void createsAtCurrentSchema()
    {
        TempDir dir;
        Store store = Store::open(dir.file("a.db"));
        QCOMPARE(store.schemaVersion(), Store::kSchemaVersion);
        QCOMPARE(store.integrityCheck(), std::string("ok"));
        QCOMPARE(store.path(), dir.file("a.db"));
    }

    void conversationsRoundTrip()
    {
        TempDir dir;
        Store store = Store::open(dir.file("a.db"));
        Conversation a{0, "Rust lifetimes", "/m/a.gguf", "a", "Be brief.", R"({"temperature":0.7})", 1000, 0};
        Conversation b{0, "Paris trip", "/m/b.gguf", "b", "", "{}", 2000, 0};
        store.createConversation(a);
        store.createConversation(b);
        QVERIFY(a.id > 0 && b.id > a.id);
        QCOMPARE(a.updatedAtMs, int64_t(1000));
        QVERIFY(store.conversation(a.id) == a);
        QVERIFY(!store.conversation(9999).has_value());

        auto list = store.listConversations();
        QCOMPARE(list.size(), size_t(2));
        QVERIFY(list[0] == b); // newest first

        a.title = "Lifetimes";
        a.systemPrompt = "Be verbose.";
        a.updatedAtMs = 3000;
        store.updateConversation(a);
        QVERIFY(store.conversation(a.id) == a);
        QCOMPARE(store.listConversations()[0].id, a.id);

        store.renameConversation(b.id, "Lyon trip");
        QCOMPARE(store.conversation(b.id)->title, std::string("Lyon trip"));
        QCOMPARE(expectError([&] { store.renameConversation(424242, "x"); }), ErrorCode::MissingField);
    }

    void searchMatchesTitleAndContent()
    {
        TempDir dir;
        Store store = Store::open(dir.file("a.db"));
        Conversation a{0, "Rust lifetimes", "", "", "", "{}", 0, 0};
        Conversation b{0, "Groceries", "", "", "", "{}", 0, 0};
        Conversation c{0, "Discount", "", "", "", "{}", 0, 0};
        store.createConversation(a);
        store.createConversation(b);
        store.createConversation(c);
        Message m1{0, b.id, "user", "Buy oat MILK and bread", 0, {}};
        Message m2{0, c.id, "assistant", "That is 50% off", 0, {}};
        Message m3{0, a.id, "assistant", "It is 50 percent", 0, {}};
        store.addMessage(m1);
        store.addMessage(m2);
        store.addMessage(m3);
        auto ids = [](const std::vector<Conversation>& v) {
            std::vector<int64_t> out;
            for (auto& c : v)
                out.push_back(c.id);
            std::sort(out.begin(), out.end());
            return out;
        };
        QCOMPARE(ids(store.searchConversations("lifetime")), std::vector<int64_t>{a.id});
        QCOMPARE(ids(store.searchConversations("milk")), std::vector<int64_t>{b.id});
        QCOMPARE(ids(store.searchConversations("50%")), std::vector<int64_t>{c.id}); // % is literal
        QCOMPARE(ids(store.searchConversations("50")), (std::vector<int64_t>{a.id, c.id}));
        QVERIFY(store.searchConversations("nothing like this").empty());
    }

    void messagesRoundTripAndCascade()
    {
        TempDir dir;
        Store store = Store::open(dir.file("a.db"));
        Conversation c{0, "chat", "", "", "", "{}", 1000, 0};
        store.createConversation(c);
        Message user{0, c.id, "user", "Hi \xe2\x9c\x93", 5000, {}};
        Message reply{0, c.id, "assistant", "Hel", 6000, {}};
        store.addMessage(user);
        store.addMessage(reply);
        QCOMPARE(store.conversation(c.id)->updatedAtMs, int64_t(6000));

        reply.content = "Hello!";
        reply.stats = {12, 34, 0.25, 41.5, "tiny-moe"};
        store.updateMessage(reply);
        auto stored = store.messages(c.id);
        QCOMPARE(stored.size(), size_t(2));
        QVERIFY(stored[0] == user);
        QVERIFY(stored[1] == reply);

        QVERIFY(store.deleteMessage(user.id));
        QVERIFY(!store.deleteMessage(user.id));
        QCOMPARE(store.messages(c.id).size(), size_t(1));

        Message orphan{0, 777, "user", "x", 0, {}};
        QCOMPARE(expectError([&] { store.addMessage(orphan); }), ErrorCode::InvalidArgument); // foreign key
        Message badRole{0, c.id, "wizard", "x", 0, {}};
        QCOMPARE(expectError([&] { store.addMessage(badRole); }), ErrorCode::InvalidArgument);

        QVERIFY(store.deleteConversation(c.id));
        QVERIFY(!store.deleteConversation(c.id));
        QCOMPARE(countRows(store.path(), "messages"), int64_t(0)); // ON DELETE CASCADE
    }

    void profileRunsRoundTrip()
    {
        TempDir dir;
        Store store = Store::open(dir.file("a.db"));
        ProfileRun run = sampleRun(50, 8);
        ProfileRun empty;
        empty.name = "empty";
        store.saveProfileRun(run);
        store.saveProfileRun(empty);
        QVERIFY(run.id > 0 && empty.id > run.id);

        auto loaded = store.loadProfileRun(run.id);
        QVERIFY(loaded.has_value());
        QVERIFY(*loaded == run);
        QVERIFY(*store.loadProfileRun(empty.id) == empty);
        QVERIFY(!store.loadProfileRun(4242).has_value());

        auto list = store.listProfileRuns();
        QCOMPARE(list.size(), size_t(2));
        const ProfileRunSummary& s = list[0].id == run.id ? list[0] : list[1];
        QCOMPARE(s.name, run.name);
        QCOMPARE(s.modelName, run.modelName);
        QCOMPARE(s.architecture, run.architecture);
        QVERIFY(s.randomWeights);
        QCOMPARE(s.numExperts, int64_t(8));
        QCOMPARE(s.stepCount, int64_t(50));
        QCOMPARE(s.traceCount, int64_t(8));
        QCOMPARE(s.promptCount, int64_t(2));
        QCOMPARE(s.totalTokens, run.totalTokens());
        QVERIFY(s.storedBytes > 0);

        QVERIFY(store.deleteProfileRun(run.id));
        QVERIFY(!store.loadProfileRun(run.id).has_value());
        QCOMPARE(countRows(store.path(), "profile_run_data"), int64_t(1)); // cascade took its blobs
    }

    void corruptProfileBlobIsAnError()
    {
        TempDir dir;
        std::string path = dir.file("a.db");
        int64_t id = 0;
        {
            Store store = Store::open(path);
            ProfileRun run = sampleRun(4, 1);
            store.saveProfileRun(run);
            id = run.id;
        }
        execSql(path, "UPDATE profile_run_data SET steps = x'0102030405060708090a'");
        Store store = Store::open(path);
        std::string field;
        QCOMPARE(expectError([&] { store.loadProfileRun(id); }, nullptr, &field), ErrorCode::BadValue);
        QCOMPARE(field, std::string("profile_run_data.steps"));
    }

    void scenariosRoundTrip()
    {
        TempDir dir;
        Store store = Store::open(dir.file("a.db"));
        PlannerScenario p{0, "Mixtral on 2xH100", R"({"gpu":"h100-sxm","tp":2})", R"({"fits":true})", 0, 0};
        store.saveScenario(p);
        QVERIFY(p.id > 0 && p.createdAtMs > 0);
        QVERIFY(store.scenario(p.id) == p);
        p.resultsJson = R"({"fits":false})";
        store.saveScenario(p);
        QVERIFY(store.scenario(p.id) == p);
        QCOMPARE(store.listScenarios().size(), size_t(1));
        QVERIFY(store.deleteScenario(p.id));
        QVERIFY(store.listScenarios().empty());
        PlannerScenario ghost{999, "x", "{}", "{}", 0, 0};
        QCOMPARE(expectError([&] { store.saveScenario(ghost); }), ErrorCode::MissingField);
    }

    void transactionsRollBackAndNest()
    {
        TempDir dir;
        Store store = Store::open(dir.file("a.db"));
        {
            Transaction tx(store);
            Conversation c{0, "gone", "", "", "", "{}", 0, 0};
            store.createConversation(c); // its own inner transaction commits to a savepoint
        } // outer never committed
        QVERIFY(store.listConversations().empty());
        {
            Transaction outer(store);
            Conversation kept{0, "kept", "", "", "", "{}", 0, 0};
            store.createConversation(kept);
            {
                Transaction inner(store);
                Conversation dropped{0, "dropped", "", "", "", "{}", 0, 0};
                store.createConversation(dropped);
            }
            outer.commit();
        }
        auto list = store.listConversations();
        QCOMPARE(list.size(), size_t(1));
        QCOMPARE(list[0].title, std::string("kept"));
    }

    void readOnlyStoreRefusesWrites()
    {
        TempDir dir;
        std::string path = dir.file("a.db");
        {
            Store store = Store::open(path);
            Conversation c{0, "x", "", "", "", "{}", 0, 0};
            store.createConversation(c);
        }
        Store ro = Store::open(path, StoreMode::ReadOnly);
        QCOMPARE(ro.listConversations().size(), size_t(1));
        Conversation c{0, "y", "", "", "", "{}", 0, 0};
        QCOMPARE(expectError([&] { ro.createConversation(c); }), ErrorCode::InvalidArgument);
        QCOMPARE(expectError([&] { Store::open(dir.file("missing.db"), StoreMode::ReadOnly); }), ErrorCode::Io);
        QVERIFY(!std::filesystem::exists(dir.file("missing.db")));
    }

    void v1DatabaseMigrates()
    {
        TempDir dir;
        std::string path = dir.file("v1.db");
        // Exactly what the v1 store wrote (schema.cpp kSchemaV1), plus rows.
        execSql(path, R"sql(
            PRAGMA application_id = 1299137879;
            CREATE TABLE conversations (id INTEGER PRIMARY KEY, title TEXT NOT NULL,
                model_path TEXT NOT NULL DEFAULT '', model_name TEXT NOT NULL DEFAULT '',
                system_prompt TEXT NOT NULL DEFAULT '', sampling_json TEXT NOT NULL DEFAULT '{}',
                created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL);
            CREATE TABLE messages (id INTEGER PRIMARY KEY,
                conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
                content TEXT NOT NULL, created_at_ms INTEGER NOT NULL);
            CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
            INSERT INTO conversations VALUES (7, 'old chat', '/m/x.gguf', 'x', 'sys', '{"top_p":0.9}', 100, 200);
            INSERT INTO messages VALUES (1, 7, 'user', 'hello', 150);
            INSERT INTO messages VALUES (2, 7, 'assistant', 'hi there', 200);
            PRAGMA user_version = 1;
        )sql");
        QCOMPARE(Store::kApplicationId, int32_t(1299137879));
        QCOMPARE(expectError([&] { Store::open(path, StoreMode::ReadOnly); }), ErrorCode::BadValue);

        Store store = Store::open(path);
        QCOMPARE(store.schemaVersion(), 2);
        QCOMPARE(store.integrityCheck(), std::string("ok"));
        Conversation expected{7, "old chat", "/m/x.gguf", "x", "sys", R"({"top_p":0.9})", 100, 200};
        QVERIFY(store.conversation(7) == expected);
        auto msgs = store.messages(7);
        QCOMPARE(msgs.size(), size_t(2));
        QVERIFY((msgs[0] == Message{1, 7, "user", "hello", 150, {}}));
        QCOMPARE(msgs[1].content, std::string("hi there"));
        // The v2 tables work on the migrated file.
        ProfileRun run = sampleRun(2, 1);
        store.saveProfileRun(run);
        PlannerScenario p{0, "s", "{}", "{}", 0, 0};
        store.saveScenario(p);
        msgs[1].stats.generatedTokens = 3;
        store.updateMessage(msgs[1]);
        QCOMPARE(store.messages(7)[1].stats.generatedTokens, int64_t(3));
        QVERIFY(store.deleteConversation(7));
        QCOMPARE(countRows(path, "messages"), int64_t(0)); // the cascade survived the ALTERs
    }

    void newerSchemaIsRefusedUntouched()
    {
        TempDir dir;
        std::string path = dir.file("future.db");
        execSql(path, "PRAGMA application_id = 1299137879; CREATE TABLE t(x); INSERT INTO t VALUES (1);"
                      "PRAGMA user_version = 99;");
        std::string before = moe::test::readFile(path);
        auto entries = dirEntries(dir.path());
        for (StoreMode mode : {StoreMode::ReadWrite, StoreMode::ReadOnly}) {
            std::string file, field;
            QCOMPARE(expectError([&] { Store::open(path, mode); }, &file, &field), ErrorCode::BadValue);
            QCOMPARE(file, path);
            QCOMPARE(field, std::string("user_version"));
        }
        QVERIFY(moe::test::readFile(path) == before);
        QCOMPARE(dirEntries(dir.path()), entries);
    }

    void badFilesAreRefusedUntouched_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("random bytes") << "random";
        QTest::newRow("text file") << "text";
        QTest::newRow("database truncated to 1/2") << "truncated2";
        QTest::newRow("database truncated to 7/8") << "truncated8";
        QTest::newRow("other application's database") << "foreign";
        QTest::newRow("short file") << "short";
    }

    void badFilesAreRefusedUntouched()
    {
        QFETCH(QString, kind);
        TempDir dir;
        std::string path = dir.file("run.db");
        if (kind == "random") {
            std::mt19937 rng(1);
            std::string bytes(64 * 1024, '\0');
            for (char& c : bytes)
                c = char(rng());
            moe::test::writeFile(path, bytes);
        } else if (kind == "text") {
            std::string text;
            for (int i = 0; i < 500; ++i)
                text += "Prompt " + std::to_string(i) + ": explain mixture of experts.\n";
            moe::test::writeFile(path, text);
        } else if (kind == "short") {
            moe::test::writeFile(path, "SQLite format 3");
        } else if (kind == "foreign") {
            execSql(path, "CREATE TABLE places(url TEXT); INSERT INTO places VALUES ('https://example.org');");
        } else {
            std::string full = dir.file("full.db");
            {
                Store store = Store::open(full);
                for (int i = 0; i < 20; ++i) {
                    ProfileRun run = sampleRun(200, 16);
                    store.saveProfileRun(run);
                }
            } // closing the last connection checkpoints the WAL into the file
            QVERIFY(!std::filesystem::exists(full + "-wal"));
            std::string bytes = moe::test::readFile(full);
            size_t keep = kind == "truncated2" ? bytes.size() / 2 : bytes.size() / 8 * 7;
            moe::test::writeFile(path, bytes.substr(0, keep / 4096 * 4096));
        }
        std::string before = moe::test::readFile(path);
        for (StoreMode mode : {StoreMode::ReadWrite, StoreMode::ReadOnly}) {
            std::string file;
            std::string field;
            ErrorCode code = expectError([&] { Store::open(path, mode); }, &file, &field);
            QCOMPARE(file, path);
            if (kind.startsWith("truncated"))
                QCOMPARE(code, ErrorCode::BadValue); // SQLITE_CORRUPT or a failed quick_check
            else
                QCOMPARE(code, ErrorCode::BadMagic);
            QVERIFY(!field.empty());
        }
        QVERIFY(moe::test::readFile(path) == before);
        QVERIFY(!std::filesystem::exists(path + "-wal"));
        QVERIFY(!std::filesystem::exists(path + "-shm"));
    }

    void unwritablePathIsAnIoError_data()
    {
        QTest::addColumn<QString>("path");
        QTest::newRow("under a regular file") << "/etc/passwd/x.db";
        QTest::newRow("missing directory") << "/nonexistent-moe-dir/sub/x.db";
    }

    void unwritablePathIsAnIoError()
    {
        QFETCH(QString, path);
        std::string file;
        QCOMPARE(expectError([&] { Store::open(path.toStdString()); }, &file), ErrorCode::Io);
        QCOMPARE(file, path.toStdString());
    }

    void killedWriterLeavesCommittedRows()
    {
        TempDir dir;
        std::string path = dir.file("chat.db");
        int64_t conversationId = 0;
        {
            Store store = Store::open(path);
            Conversation c{0, "load", "", "", "", "{}", 0, 0};
            store.createConversation(c);
            conversationId = c.id;
        }
        int fds[2];
        QCOMPARE(::pipe(fds), 0);
        pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            ::close(fds[0]);
            heavyWriter(path, conversationId, fds[1]);
        }
        ::close(fds[1]);
        int64_t reported = 0, value = 0;
        while (reported < 40 && ::read(fds[0], &value, sizeof value) == sizeof value)
            reported = value;
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
        while (::read(fds[0], &value, sizeof value) == sizeof value) // commits reported before death
            reported = value;
        ::close(fds[0]);
        QVERIFY2(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the writer died before it was killed");
        QVERIFY(reported >= 40);

        Store store = Store::open(path);
        QCOMPARE(store.integrityCheck(), std::string("ok"));
        auto rows = int64_t(store.messages(conversationId).size());
        // Every reported commit is there; at most one more commit finished before it could
        // be reported; never a partial batch.
        QVERIFY2(rows == reported * 20 || rows == (reported + 1) * 20,
                 qPrintable(QString("rows %1, reported commits %2").arg(rows).arg(reported)));
    }

    void readerAndWriterRunAtOnce()
    {
        TempDir dir;
        std::string path = dir.file("chat.db");
        Store writerStore = Store::open(path);
        Conversation c{0, "live", "", "", "", "{}", 0, 0};
        writerStore.createConversation(c);
        Store readerStore = Store::open(path, StoreMode::ReadOnly);

        constexpr int kMessages = 300;
        std::atomic<bool> writerDone{false};
        std::atomic<int> written{0};
        std::string writerError, readerError;
        int reads = 0, readsWhileWriting = 0;
        size_t lastSeen = 0;
        bool monotonic = true;
        std::thread writer([&] {
            try {
                for (int i = 0; i < kMessages; ++i) {
                    Message m{0, c.id, "assistant", "token " + std::to_string(i), 0, {}};
                    writerStore.addMessage(m);
                    written = i + 1;
                }
            } catch (const std::exception& e) {
                writerError = e.what();
            }
            writerDone = true;
        });
        std::thread reader([&] {
            try {
                while (!writerDone) {
                    size_t n = readerStore.messages(c.id).size();
                    monotonic = monotonic && n >= lastSeen;
                    lastSeen = n;
                    ++reads;
                    if (n > 0 && n < size_t(kMessages))
                        ++readsWhileWriting;
                }
            } catch (const std::exception& e) {
                readerError = e.what();
            }
        });
        writer.join();
        reader.join();
        QVERIFY2(writerError.empty(), writerError.c_str());
        QVERIFY2(readerError.empty(), readerError.c_str());
        QCOMPARE(written.load(), kMessages);
        QVERIFY(monotonic);
        QVERIFY2(readsWhileWriting > 0, qPrintable(QString("reads %1").arg(reads)));
        QCOMPARE(readerStore.messages(c.id).size(), size_t(kMessages));
    }
};

QTEST_APPLESS_MAIN(TestStore)
#include "test_store.moc"
