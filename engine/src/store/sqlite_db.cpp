#include "store/sqlite_db.h"

#include <sqlite3.h>

namespace moe::store {

namespace {

ErrorCode codeFor(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOTADB: return ErrorCode::BadMagic;
    case SQLITE_CORRUPT: return ErrorCode::BadValue;
    case SQLITE_NOMEM: return ErrorCode::OutOfMemory;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG: return ErrorCode::InvalidArgument;
    default: return ErrorCode::Io; // CANTOPEN, IOERR, FULL, READONLY, PERM, BUSY, ...
    }
}

} // namespace

Statement::~Statement()
{
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

Statement& Statement::bind(int index, int64_t value)
{
    if (int rc = sqlite3_bind_int64(m_stmt, index, value); rc != SQLITE_OK)
        m_db->fail(rc, "bind");
    return *this;
}

Statement& Statement::bind(int index, double value)
{
    if (int rc = sqlite3_bind_double(m_stmt, index, value); rc != SQLITE_OK)
        m_db->fail(rc, "bind");
    return *this;
}

Statement& Statement::bind(int index, std::string_view text)
{
    int rc = sqlite3_bind_text64(m_stmt, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK)
        m_db->fail(rc, "bind");
    return *this;
}

Statement& Statement::bindBlob(int index, std::string_view bytes)
{
    // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
    static const char empty = 0;
    const void* data = bytes.empty() ? &empty : bytes.data();
    if (int rc = sqlite3_bind_blob64(m_stmt, index, data, bytes.size(), SQLITE_TRANSIENT); rc != SQLITE_OK)
        m_db->fail(rc, "bind");
    return *this;
}

bool Statement::step()
{
    int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    m_db->fail(rc, sqlite3_sql(m_stmt));
}

void Statement::run()
{
    while (step()) {
    }
}

int64_t Statement::int64(int column) const { return sqlite3_column_int64(m_stmt, column); }

double Statement::real(int column) const { return sqlite3_column_double(m_stmt, column); }

std::string Statement::text(int column) const
{
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
    return p ? std::string(p, size_t(sqlite3_column_bytes(m_stmt, column))) : std::string();
}

std::string Statement::blob(int column) const
{
    auto* p = static_cast<const char*>(sqlite3_column_blob(m_stmt, column));
    return p ? std::string(p, size_t(sqlite3_column_bytes(m_stmt, column))) : std::string();
}

SqliteDb::SqliteDb(std::string path, int flags) : m_path(std::move(path))
{
    int rc = sqlite3_open_v2(m_path.c_str(), &m_db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        std::string detail = m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
        sqlite3_close_v2(m_db);
        m_db = nullptr;
        throw Error(ErrorCode::Io, m_path, "open", detail);
    }
    sqlite3_extended_result_codes(m_db, 1);
}

SqliteDb::~SqliteDb()
{
    for (auto& [sql, stmt] : m_statements)
        sqlite3_finalize(stmt);
    sqlite3_close_v2(m_db);
}

void SqliteDb::exec(const char* sql, const char* field) const
{
    char* message = nullptr;
    int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string detail = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw Error(codeFor(rc), m_path, field, detail);
    }
}

Statement SqliteDb::prepare(const char* sql) const
{
    auto it = m_statements.find(sql);
    if (it == m_statements.end()) {
        sqlite3_stmt* stmt = nullptr;
        int rc = sqlite3_prepare_v3(m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
        if (rc != SQLITE_OK)
            fail(rc, sql);
        it = m_statements.emplace(sql, stmt).first;
    }
    return Statement(it->second, *this);
}

int64_t SqliteDb::pragmaInt(const char* pragma) const
{
    std::string sql = std::string("PRAGMA ") + pragma;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK)
        fail(rc, pragma);
    rc = sqlite3_step(stmt);
    int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        fail(rc, pragma);
    return value;
}

std::string SqliteDb::pragmaText(const char* pragma) const
{
    std::string sql = std::string("PRAGMA ") + pragma;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK)
        fail(rc, pragma);
    std::string out;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (!out.empty())
            out += '\n';
        if (auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)))
            out += p;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        fail(rc, pragma);
    return out;
}

int64_t SqliteDb::lastInsertRowId() const { return sqlite3_last_insert_rowid(m_db); }

int SqliteDb::changes() const { return sqlite3_changes(m_db); }

void SqliteDb::fail(int rc, const std::string& field) const
{
    std::string detail = sqlite3_errstr(rc);
    if (m_db && sqlite3_errcode(m_db) == rc)
        detail = sqlite3_errmsg(m_db);
    throw Error(codeFor(rc), m_path, field, detail);
}

} // namespace moe::store
