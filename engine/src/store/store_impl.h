// store/store_impl.h — Store's private state, shared by the files that implement it.
#pragma once

#include "moe/store.h"
#include "store/sqlite_db.h"

#include <chrono>
#include <memory>

namespace moe {

struct Store::Impl {
    std::unique_ptr<store::SqliteDb> db;
    StoreMode mode = StoreMode::ReadWrite;
    int schemaVersion = 0;
    int transactionDepth = 0; // > 0 while a Transaction is open; inner ones are savepoints
};

namespace store {

inline int64_t nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace store
} // namespace moe
