// Store: opening (checks, pragmas, migrations), transactions, conversations and messages.
#include "store/schema.h"
#include "store/store_impl.h"

#include <sqlite3.h>

#include <filesystem>

namespace moe {

using store::SqliteDb;
using store::Statement;

namespace {

void configureConnection(SqliteDb& db, StoreMode mode)
{
    db.exec(("PRAGMA busy_timeout = " + std::to_string(Store::kBusyTimeoutMs)).c_str(), "busy_timeout");
    if (mode == StoreMode::ReadOnly) {
        db.exec("PRAGMA query_only = ON", "query_only");
        return;
    }
    // WAL: readers and the writer do not block each other, and a commit is one append.
    if (db.pragmaText("journal_mode = WAL") != "wal")
        throw Error(ErrorCode::Io, db.path(), "journal_mode", "the file system does not support WAL");
    // FULL: a committed chat message survives power loss too, not only a crash.
    db.exec("PRAGMA synchronous = FULL", "synchronous");
    db.exec("PRAGMA foreign_keys = ON", "foreign_keys");
}

[[noreturn]] void throwMissing(const std::string& path, const char* field, int64_t id)
{
    throw Error(ErrorCode::MissingField, path, field, "no row with id " + std::to_string(id));
}

// LIKE treats % and _ as wildcards; a user searching for "50%" means the characters.
std::string likePattern(const std::string& text)
{
    std::string out = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "%";
}

constexpr const char* kConversationColumns =
    "id, title, model_path, model_name, system_prompt, sampling_json, created_at_ms, updated_at_ms";

Conversation readConversation(const Statement& s)
{
    Conversation c;
    c.id = s.int64(0);
    c.title = s.text(1);
    c.modelPath = s.text(2);
    c.modelName = s.text(3);
    c.systemPrompt = s.text(4);
    c.samplingJson = s.text(5);
    c.createdAtMs = s.int64(6);
    c.updatedAtMs = s.int64(7);
    return c;
}

// Checks an existing file; when it fails, removes the empty -wal / -shm side files that
// SQLite creates for a file whose header says WAL, so a refused file leaves no trace.
int inspectLeavingNoTrace(const std::string& path)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    const std::string wal = path + "-wal", shm = path + "-shm";
    bool hadWal = fs::exists(wal, ec), hadShm = fs::exists(shm, ec);
    try {
        return store::inspectExistingFile(path);
    } catch (const Error&) {
        // A read-only connection never writes WAL frames: an empty -wal is ours.
        if (!hadWal && fs::exists(wal, ec) && fs::file_size(wal, ec) == 0)
            fs::remove(wal, ec);
        if (!hadShm && !fs::exists(wal, ec))
            fs::remove(shm, ec);
        throw;
    }
}

} // namespace

Store Store::open(const std::string& path, StoreMode mode)
{
    std::error_code ec;
    bool exists = std::filesystem::exists(path, ec);
    if (!exists && mode == StoreMode::ReadOnly)
        throw Error(ErrorCode::Io, path, "open", "no such file");
    // Every check runs over a read-only connection before anything may write to the file.
    int version = exists ? inspectLeavingNoTrace(path) : 0;
    if (mode == StoreMode::ReadOnly && version != kSchemaVersion)
        throw Error(ErrorCode::BadValue, path, "user_version",
                    "schema version " + std::to_string(version) + " needs migrating to " +
                        std::to_string(kSchemaVersion) + "; open it read-write once");

    auto impl = std::make_unique<Impl>();
    impl->mode = mode;
    int flags = mode == StoreMode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    impl->db = std::make_unique<SqliteDb>(path, flags);
    configureConnection(*impl->db, mode);
    if (mode == StoreMode::ReadWrite && version < kSchemaVersion)
        store::migrateToCurrent(*impl->db);
    impl->schemaVersion = int(impl->db->pragmaInt("user_version"));
    return Store(std::move(impl));
}

Store::Store(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

const std::string& Store::path() const { return m_impl->db->path(); }
StoreMode Store::mode() const { return m_impl->mode; }
int Store::schemaVersion() const { return m_impl->schemaVersion; }
std::string Store::integrityCheck() const { return m_impl->db->pragmaText("integrity_check"); }

// ---- Transaction ----

Transaction::Transaction(Store& store) : m_impl(store.m_impl.get())
{
    if (m_impl->mode == StoreMode::ReadOnly)
        throw Error(ErrorCode::InvalidArgument, m_impl->db->path(), "mode", "the store was opened read-only");
    m_depth = m_impl->transactionDepth;
    if (m_depth == 0)
        m_impl->db->exec("BEGIN IMMEDIATE", "begin");
    else
        m_impl->db->exec(("SAVEPOINT sp" + std::to_string(m_depth)).c_str(), "savepoint");
    m_impl->transactionDepth = m_depth + 1;
}

Transaction::~Transaction()
{
    if (m_done)
        return;
    // Errors here cannot be reported (destructor); a failed rollback leaves SQLite to
    // roll back when the connection closes, which is still atomic.
    sqlite3* db = m_impl->db->handle();
    if (m_depth == 0) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    } else {
        std::string name = "sp" + std::to_string(m_depth);
        sqlite3_exec(db, ("ROLLBACK TO " + name + "; RELEASE " + name).c_str(), nullptr, nullptr, nullptr);
    }
    m_impl->transactionDepth = m_depth;
}

void Transaction::commit()
{
    if (m_done)
        throw Error(ErrorCode::InvalidArgument, m_impl->db->path(), "commit", "transaction already committed");
    if (m_depth == 0)
        m_impl->db->exec("COMMIT", "commit");
    else
        m_impl->db->exec(("RELEASE sp" + std::to_string(m_depth)).c_str(), "release");
    m_done = true;
    m_impl->transactionDepth = m_depth;
}

// ---- Conversations ----

void Store::createConversation(Conversation& c)
{
    Transaction tx(*this);
    int64_t now = store::nowMs();
    if (c.createdAtMs == 0)
        c.createdAtMs = now;
    if (c.updatedAtMs == 0)
        c.updatedAtMs = c.createdAtMs;
    Statement s = m_impl->db->prepare(
        "INSERT INTO conversations (title, model_path, model_name, system_prompt, sampling_json, "
        "created_at_ms, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    s.bind(1, c.title).bind(2, c.modelPath).bind(3, c.modelName).bind(4, c.systemPrompt).bind(5, c.samplingJson);
    s.bind(6, c.createdAtMs).bind(7, c.updatedAtMs).run();
    c.id = m_impl->db->lastInsertRowId();
    tx.commit();
}

void Store::updateConversation(const Conversation& c)
{
    Transaction tx(*this);
    Statement s = m_impl->db->prepare(
        "UPDATE conversations SET title = ?2, model_path = ?3, model_name = ?4, system_prompt = ?5, "
        "sampling_json = ?6, updated_at_ms = ?7 WHERE id = ?1");
    s.bind(1, c.id).bind(2, c.title).bind(3, c.modelPath).bind(4, c.modelName).bind(5, c.systemPrompt);
    s.bind(6, c.samplingJson).bind(7, c.updatedAtMs ? c.updatedAtMs : store::nowMs()).run();
    if (m_impl->db->changes() == 0)
        throwMissing(path(), "conversations.id", c.id);
    tx.commit();
}

void Store::renameConversation(int64_t id, const std::string& title)
{
    Transaction tx(*this);
    Statement s = m_impl->db->prepare("UPDATE conversations SET title = ?2, updated_at_ms = ?3 WHERE id = ?1");
    s.bind(1, id).bind(2, title).bind(3, store::nowMs()).run();
    if (m_impl->db->changes() == 0)
        throwMissing(path(), "conversations.id", id);
    tx.commit();
}

bool Store::deleteConversation(int64_t id)
{
    Transaction tx(*this);
    // Messages go with it through ON DELETE CASCADE (foreign_keys is on for every connection).
    m_impl->db->prepare("DELETE FROM conversations WHERE id = ?1").bind(1, id).run();
    bool deleted = m_impl->db->changes() > 0;
    tx.commit();
    return deleted;
}

std::optional<Conversation> Store::conversation(int64_t id) const
{
    static const std::string sql = std::string("SELECT ") + kConversationColumns + " FROM conversations WHERE id = ?1";
    Statement s = m_impl->db->prepare(sql.c_str());
    s.bind(1, id);
    if (!s.step())
        return std::nullopt;
    return readConversation(s);
}

std::vector<Conversation> Store::listConversations() const
{
    static const std::string sql =
        std::string("SELECT ") + kConversationColumns + " FROM conversations ORDER BY updated_at_ms DESC, id DESC";
    Statement s = m_impl->db->prepare(sql.c_str());
    std::vector<Conversation> out;
    while (s.step())
        out.push_back(readConversation(s));
    return out;
}

std::vector<Conversation> Store::searchConversations(const std::string& text) const
{
    // LIKE rather than FTS5: people search chats for fragments of code, numbers and
    // partial words, which a word tokenizer would not match.
    static const std::string sql = std::string("SELECT ") + kConversationColumns +
                                   " FROM conversations c WHERE c.title LIKE ?1 ESCAPE '\\' OR EXISTS ("
                                   "SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND "
                                   "m.content LIKE ?1 ESCAPE '\\') ORDER BY updated_at_ms DESC, id DESC";
    Statement s = m_impl->db->prepare(sql.c_str());
    s.bind(1, likePattern(text));
    std::vector<Conversation> out;
    while (s.step())
        out.push_back(readConversation(s));
    return out;
}

// ---- Messages ----

void Store::addMessage(Message& m)
{
    Transaction tx(*this);
    if (m.createdAtMs == 0)
        m.createdAtMs = store::nowMs();
    Statement s = m_impl->db->prepare(
        "INSERT INTO messages (conversation_id, role, content, created_at_ms, prompt_tokens, generated_tokens, "
        "time_to_first_token_s, tokens_per_second, model) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    s.bind(1, m.conversationId).bind(2, m.role).bind(3, m.content).bind(4, m.createdAtMs);
    s.bind(5, m.stats.promptTokens).bind(6, m.stats.generatedTokens).bind(7, m.stats.timeToFirstTokenSeconds);
    s.bind(8, m.stats.tokensPerSecond).bind(9, m.stats.model).run();
    m.id = m_impl->db->lastInsertRowId();
    m_impl->db->prepare("UPDATE conversations SET updated_at_ms = max(updated_at_ms, ?2) WHERE id = ?1")
        .bind(1, m.conversationId)
        .bind(2, m.createdAtMs)
        .run();
    tx.commit();
}

void Store::updateMessage(const Message& m)
{
    Transaction tx(*this);
    Statement s = m_impl->db->prepare(
        "UPDATE messages SET content = ?2, prompt_tokens = ?3, generated_tokens = ?4, time_to_first_token_s = ?5, "
        "tokens_per_second = ?6, model = ?7 WHERE id = ?1");
    s.bind(1, m.id).bind(2, m.content).bind(3, m.stats.promptTokens).bind(4, m.stats.generatedTokens);
    s.bind(5, m.stats.timeToFirstTokenSeconds).bind(6, m.stats.tokensPerSecond).bind(7, m.stats.model).run();
    if (m_impl->db->changes() == 0)
        throwMissing(path(), "messages.id", m.id);
    tx.commit();
}

bool Store::deleteMessage(int64_t id)
{
    Transaction tx(*this);
    m_impl->db->prepare("DELETE FROM messages WHERE id = ?1").bind(1, id).run();
    bool deleted = m_impl->db->changes() > 0;
    tx.commit();
    return deleted;
}

std::vector<Message> Store::messages(int64_t conversationId) const
{
    Statement s = m_impl->db->prepare(
        "SELECT id, conversation_id, role, content, created_at_ms, prompt_tokens, generated_tokens, "
        "time_to_first_token_s, tokens_per_second, model FROM messages WHERE conversation_id = ?1 ORDER BY id");
    s.bind(1, conversationId);
    std::vector<Message> out;
    while (s.step()) {
        Message m;
        m.id = s.int64(0);
        m.conversationId = s.int64(1);
        m.role = s.text(2);
        m.content = s.text(3);
        m.createdAtMs = s.int64(4);
        m.stats.promptTokens = s.int64(5);
        m.stats.generatedTokens = s.int64(6);
        m.stats.timeToFirstTokenSeconds = s.real(7);
        m.stats.tokensPerSecond = s.real(8);
        m.stats.model = s.text(9);
        out.push_back(std::move(m));
    }
    return out;
}

} // namespace moe
