// store/schema.h — the store's versioned schema: the checks a file must pass before this
// build writes to it, and the migrations that bring it to Store::kSchemaVersion.
#pragma once

#include "store/sqlite_db.h"

#include <string>

namespace moe::store {

// Reads an existing file over a read-only connection and throws moe::Error when it is not
// a database, another application's database, written by a newer schema, or fails
// PRAGMA quick_check. Returns its user_version. Never writes to the file.
int inspectExistingFile(const std::string& path);

// Brings a connection's schema from whatever user_version it has (0 = empty file) to
// Store::kSchemaVersion inside one immediate transaction: all steps or none.
void migrateToCurrent(SqliteDb& db);

} // namespace moe::store
