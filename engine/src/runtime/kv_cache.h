// Internal: the KV cache of one sequence. Its position (tokens held) changes only here.
#pragma once

#include "moe/backend.h"

#include <vector>

namespace moe {

class KvCache {
public:
    KvCache(Backend& backend, int64_t layers, int64_t contextLength, int64_t kvWidth);
    ~KvCache();
    KvCache(const KvCache&) = delete;
    KvCache& operator=(const KvCache&) = delete;

    int64_t position() const { return m_position; }
    int64_t capacity() const { return m_capacity; }
    uint64_t id() const { return m_id; } // unique per cache in this process (names recorded steps)
    const std::vector<int32_t>& tokens() const { return m_tokens; }
    DeviceTensor& keys(int64_t layer) { return m_k[size_t(layer)]; }
    DeviceTensor& values(int64_t layer) { return m_v[size_t(layer)]; }
    uint64_t bytes() const;

    // Called once the layers have written rows [position, position + n).
    void commit(const int32_t* tokens, int64_t n);
    // Forget everything after the first `keep` tokens (rows past it are overwritten later).
    void truncate(int64_t keep);

private:
    Backend& m_backend;
    int64_t m_capacity;
    int64_t m_position = 0;
    uint64_t m_id;
    std::vector<DeviceTensor> m_k, m_v;
    std::vector<int32_t> m_tokens;
};

} // namespace moe
