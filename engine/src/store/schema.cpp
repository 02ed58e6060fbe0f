#include "store/schema.h"

#include "moe/store.h"

#include <sqlite3.h>

#include <functional>
#include <string>

namespace moe::store {

namespace {

// v1 (the first release): chats only. Kept verbatim — migrations replay history, so an
// empty file goes through exactly the steps an old file went through.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    model_path TEXT NOT NULL DEFAULT '',
    model_name TEXT NOT NULL DEFAULT '',
    system_prompt TEXT NOT NULL DEFAULT '',
    sampling_json TEXT NOT NULL DEFAULT '{}',
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
)sql";

// v2: per-message generation stats, profiling runs and planner scenarios. A run's large
// data (steps, traces, prompts: zlib-compressed blobs) sits in its own table so listing
// runs never reads blob pages — SQLite's advice for large BLOBs.
constexpr const char* kMigrateV1ToV2 = R"sql(
ALTER TABLE messages ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN generated_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN time_to_first_token_s REAL NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN tokens_per_second REAL NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN model TEXT NOT NULL DEFAULT '';
CREATE INDEX conversations_by_updated ON conversations(updated_at_ms);
CREATE TABLE profile_runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    model_path TEXT NOT NULL,
    model_name TEXT NOT NULL,
    architecture TEXT NOT NULL,
    random_weights INTEGER NOT NULL,
    settings_json TEXT NOT NULL,
    num_moe_layers INTEGER NOT NULL,
    num_experts INTEGER NOT NULL,
    top_k INTEGER NOT NULL,
    moe_layers_json TEXT NOT NULL,
    prompt_count INTEGER NOT NULL,
    step_count INTEGER NOT NULL,
    trace_count INTEGER NOT NULL,
    total_tokens INTEGER NOT NULL,
    stored_bytes INTEGER NOT NULL
);
CREATE TABLE profile_run_data (
    run_id INTEGER PRIMARY KEY REFERENCES profile_runs(id) ON DELETE CASCADE,
    codec_version INTEGER NOT NULL,
    prompts BLOB NOT NULL,
    steps BLOB NOT NULL,
    traces BLOB NOT NULL
);
CREATE TABLE planner_scenarios (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    inputs_json TEXT NOT NULL,
    results_json TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
)sql";

struct Migration {
    int toVersion;
    const char* sql;
};

// Append-only: a new schema version adds one entry and bumps Store::kSchemaVersion.
constexpr Migration kMigrations[] = {
    {1, kSchemaV1},
    {2, kMigrateV1ToV2},
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == Store::kSchemaVersion);

} // namespace

int inspectExistingFile(const std::string& path)
{
    SqliteDb db(path, SQLITE_OPEN_READONLY);
    // Reading the schema cookie makes SQLite parse the header: a file that is not a
    // database fails here with SQLITE_NOTADB.
    db.pragmaInt("schema_version");
    int64_t version = db.pragmaInt("user_version");
    int64_t applicationId = db.pragmaInt("application_id");
    int64_t objects = 0;
    {
        Statement s = db.prepare("SELECT count(*) FROM sqlite_schema");
        if (s.step())
            objects = s.int64(0);
    }
    if (objects > 0 && applicationId != Store::kApplicationId)
        throw Error(ErrorCode::BadMagic, path, "application_id",
                    "an SQLite database of another application (application_id " + std::to_string(applicationId) + ")");
    if (version > Store::kSchemaVersion)
        throw Error(ErrorCode::BadValue, path, "user_version",
                    "schema version " + std::to_string(version) + " is newer than this build's " +
                        std::to_string(Store::kSchemaVersion));
    if (version < 0)
        throw Error(ErrorCode::BadValue, path, "user_version", "negative schema version " + std::to_string(version));
    std::string check = db.pragmaText("quick_check");
    if (check != "ok")
        throw Error(ErrorCode::BadValue, path, "quick_check", check.substr(0, 500));
    return int(version);
}

void migrateToCurrent(SqliteDb& db)
{
    db.exec("BEGIN IMMEDIATE", "migrate");
    try {
        // Read under the write lock: another process may have migrated since we looked.
        int64_t version = db.pragmaInt("user_version");
        if (version > Store::kSchemaVersion)
            throw Error(ErrorCode::BadValue, db.path(), "user_version",
                        "schema version " + std::to_string(version) + " is newer than this build's " +
                            std::to_string(Store::kSchemaVersion));
        for (const Migration& m : kMigrations) {
            if (m.toVersion <= version)
                continue;
            db.exec(m.sql, ("migration to v" + std::to_string(m.toVersion)).c_str());
            db.exec(("PRAGMA user_version = " + std::to_string(m.toVersion)).c_str(), "user_version");
        }
        db.exec(("PRAGMA application_id = " + std::to_string(Store::kApplicationId)).c_str(), "application_id");
        // Migrations run with foreign keys on; make sure no step left a dangling reference.
        if (!db.pragmaText("foreign_key_check").empty())
            throw Error(ErrorCode::BadValue, db.path(), "foreign_key_check", "dangling references after migration");
        db.exec("COMMIT", "migrate");
    } catch (...) {
        sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

} // namespace moe::store
