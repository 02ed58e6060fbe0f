#include "kv_cache.h"

#include <algorithm>
#include <atomic>

namespace moe {

namespace {
uint64_t nextId()
{
    static std::atomic<uint64_t> counter{0};
    return ++counter;
}
} // namespace

KvCache::KvCache(Backend& backend, int64_t layers, int64_t contextLength, int64_t kvWidth)
    : m_backend(backend)
    , m_capacity(contextLength)
    , m_id(nextId())
{
    m_k.reserve(size_t(layers));
    m_v.reserve(size_t(layers));
    try {
        for (int64_t l = 0; l < layers; ++l) {
            m_k.push_back(backend.allocate(DType::F32, Shape{contextLength, kvWidth}));
            m_v.push_back(backend.allocate(DType::F32, Shape{contextLength, kvWidth}));
        }
    } catch (...) {
        for (auto& t : m_k)
            backend.release(t);
        for (auto& t : m_v)
            backend.release(t);
        throw;
    }
    // Reserved up front so commit() never allocates while generating.
    m_tokens.reserve(size_t(contextLength));
}

KvCache::~KvCache()
{
    for (auto& t : m_k)
        m_backend.release(t);
    for (auto& t : m_v)
        m_backend.release(t);
}

uint64_t KvCache::bytes() const
{
    uint64_t b = 0;
    for (const auto& t : m_k)
        b += t.bytes;
    for (const auto& t : m_v)
        b += t.bytes;
    return b;
}

void KvCache::commit(const int32_t* tokens, int64_t n)
{
    m_tokens.insert(m_tokens.end(), tokens, tokens + n);
    m_position += n;
}

void KvCache::truncate(int64_t keep)
{
    keep = std::clamp<int64_t>(keep, 0, m_position);
    m_tokens.resize(size_t(keep));
    m_position = keep;
}

} // namespace moe
