// store/sqlite_db.h — a thin RAII layer over the SQLite C API: one connection, its cache
// of prepared statements, and the mapping of SQLite result codes onto moe::Error.
#pragma once

#include "moe/error.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace moe::store {

class SqliteDb;

// A cached prepared statement while in use; reset and unbound when it goes out of scope,
// so the next user of the same SQL starts clean. Bind indexes are 1-based, columns 0-based.
class Statement {
public:
    Statement(sqlite3_stmt* stmt, const SqliteDb& db) : m_stmt(stmt), m_db(&db) {}
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, int64_t value);
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);
    Statement& bindBlob(int index, std::string_view bytes);

    bool step(); // true while a row is available
    void run();  // steps a statement that returns no rows

    int64_t int64(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    std::string blob(int column) const;

private:
    sqlite3_stmt* m_stmt;
    const SqliteDb* m_db;
};

class SqliteDb {
public:
    // `flags` are sqlite3_open_v2 flags. Throws Error(Io) naming the path on failure.
    SqliteDb(std::string path, int flags);
    ~SqliteDb();
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;

    void exec(const char* sql, const char* field) const;
    Statement prepare(const char* sql) const; // cached per connection, keyed by SQL text
    int64_t pragmaInt(const char* pragma) const;
    std::string pragmaText(const char* pragma) const; // all rows joined with '\n'
    int64_t lastInsertRowId() const;
    int changes() const;

    const std::string& path() const { return m_path; }
    sqlite3* handle() const { return m_db; }

    // Raises the moe::Error matching an SQLite result code; `field` names the table,
    // pragma or operation.
    [[noreturn]] void fail(int rc, const std::string& field) const;

private:
    std::string m_path;
    sqlite3* m_db = nullptr;
    mutable std::unordered_map<std::string, sqlite3_stmt*> m_statements;
};

} // namespace moe::store
