#include "store/profile_codec.h"

#include "moe/error.h"

#include <zlib.h>

#include <bit>
#include <cstring>
#include <limits>
#include <type_traits>

namespace moe::store {

// The blobs are written with memcpy of native values; every supported target is
// little-endian, and this keeps files portable between them.
static_assert(std::endian::native == std::endian::little, "profile codec assumes a little-endian host");

namespace {

class Writer {
public:
    template <typename T>
    void put(T value)
    {
        static_assert(std::is_arithmetic_v<T>);
        m_bytes.append(reinterpret_cast<const char*>(&value), sizeof(T));
    }
    void putString(const std::string& s)
    {
        put<uint64_t>(s.size());
        m_bytes += s;
    }
    template <typename T>
    void putArray(const std::vector<T>& v)
    {
        put<uint64_t>(v.size());
        if (!v.empty())
            m_bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    }
    std::string compressed() const;

private:
    std::string m_bytes;
};

std::string Writer::compressed() const
{
    // Layout: u64 raw size, then the zlib stream; the size lets the reader allocate once.
    uLongf bound = compressBound(uLong(m_bytes.size()));
    std::string out(sizeof(uint64_t) + bound, '\0');
    uint64_t rawSize = m_bytes.size();
    std::memcpy(out.data(), &rawSize, sizeof rawSize);
    int rc = compress2(reinterpret_cast<Bytef*>(out.data() + sizeof rawSize), &bound,
                       reinterpret_cast<const Bytef*>(m_bytes.data()), uLong(m_bytes.size()), Z_DEFAULT_COMPRESSION);
    if (rc != Z_OK)
        throw Error(rc == Z_MEM_ERROR ? ErrorCode::OutOfMemory : ErrorCode::BadValue, "", "zlib", zError(rc));
    out.resize(sizeof rawSize + bound);
    return out;
}

class Reader {
public:
    Reader(const std::string& blob, const std::string& path, const std::string& field)
        : m_path(path), m_field(field)
    {
        inflate(blob);
    }

    template <typename T>
    T get()
    {
        need(sizeof(T));
        T value;
        std::memcpy(&value, m_bytes.data() + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return value;
    }
    std::string getString()
    {
        uint64_t n = get<uint64_t>();
        need(n);
        std::string s = m_bytes.substr(m_pos, n);
        m_pos += n;
        return s;
    }
    template <typename T>
    std::vector<T> getArray()
    {
        uint64_t n = get<uint64_t>();
        if (n > (m_bytes.size() - m_pos) / sizeof(T))
            fail("array length past the end");
        std::vector<T> v(n);
        if (n)
            std::memcpy(v.data(), m_bytes.data() + m_pos, n * sizeof(T));
        m_pos += n * sizeof(T);
        return v;
    }
    // An element count, checked against the bytes left so a corrupt count cannot make us
    // allocate gigabytes: every element takes at least `minBytes`.
    uint64_t getCount(size_t minBytes)
    {
        uint64_t n = get<uint64_t>();
        if (n > (m_bytes.size() - m_pos) / minBytes)
            fail("element count past the end");
        return n;
    }
    void finish() const
    {
        if (m_pos != m_bytes.size())
            fail("trailing bytes");
    }
    [[noreturn]] void fail(const std::string& detail) const { throw Error(ErrorCode::BadValue, m_path, m_field, detail); }

private:
    void need(uint64_t n) const
    {
        if (n > m_bytes.size() - m_pos)
            fail("truncated");
    }
    void inflate(const std::string& blob);

    std::string m_bytes;
    size_t m_pos = 0;
    const std::string& m_path;
    const std::string& m_field;
};

void Reader::inflate(const std::string& blob)
{
    uint64_t rawSize = 0;
    if (blob.size() < sizeof rawSize)
        fail("blob shorter than its header");
    std::memcpy(&rawSize, blob.data(), sizeof rawSize);
    // zlib cannot expand more than ~1032:1; a larger claim is a corrupt header.
    uint64_t compressedSize = blob.size() - sizeof rawSize;
    if (rawSize > compressedSize * 1032 + 64 || rawSize > std::numeric_limits<uLong>::max())
        fail("implausible uncompressed size");
    m_bytes.resize(rawSize);
    uLongf outSize = uLongf(rawSize);
    int rc = uncompress(reinterpret_cast<Bytef*>(m_bytes.data()), &outSize,
                        reinterpret_cast<const Bytef*>(blob.data() + sizeof rawSize), uLong(compressedSize));
    if (rc != Z_OK || outSize != rawSize)
        fail(std::string("zlib: ") + (rc == Z_OK ? "size mismatch" : zError(rc)));
}

} // namespace

std::string encodePrompts(const std::vector<ProfilePromptResult>& prompts)
{
    Writer w;
    w.put<uint64_t>(prompts.size());
    for (const ProfilePromptResult& p : prompts) {
        w.putString(p.category);
        w.putString(p.prompt);
        w.putString(p.output);
        w.put(p.promptTokens);
        w.put(p.generatedTokens);
        w.put(p.prefillSeconds);
        w.put(p.decodeSeconds);
    }
    return w.compressed();
}

std::vector<ProfilePromptResult> decodePrompts(const std::string& blob, const std::string& path, const std::string& field)
{
    Reader r(blob, path, field);
    std::vector<ProfilePromptResult> out(r.getCount(3 * 8 + 4 * 8));
    for (ProfilePromptResult& p : out) {
        p.category = r.getString();
        p.prompt = r.getString();
        p.output = r.getString();
        p.promptTokens = r.get<int64_t>();
        p.generatedTokens = r.get<int64_t>();
        p.prefillSeconds = r.get<double>();
        p.decodeSeconds = r.get<double>();
    }
    r.finish();
    return out;
}

std::string encodeSteps(const std::vector<ProfileStep>& steps)
{
    Writer w;
    w.put<uint64_t>(steps.size());
    for (const ProfileStep& s : steps) {
        w.put(s.index);
        w.put(s.promptIndex);
        w.put<uint8_t>(s.prefill ? 1 : 0);
        w.put(s.tokens);
        w.put(s.seconds);
        w.putArray(s.expertCounts);
        w.putArray(s.gateWeightSums);
    }
    return w.compressed();
}

std::vector<ProfileStep> decodeSteps(const std::string& blob, const std::string& path, const std::string& field)
{
    Reader r(blob, path, field);
    std::vector<ProfileStep> out(r.getCount(4 * 8 + 1 + 2 * 8));
    for (ProfileStep& s : out) {
        s.index = r.get<int64_t>();
        s.promptIndex = r.get<int64_t>();
        uint8_t prefill = r.get<uint8_t>();
        if (prefill > 1)
            r.fail("prefill flag is not 0 or 1");
        s.prefill = prefill == 1;
        s.tokens = r.get<int64_t>();
        s.seconds = r.get<double>();
        s.expertCounts = r.getArray<int32_t>();
        s.gateWeightSums = r.getArray<float>();
    }
    r.finish();
    return out;
}

std::string encodeTraces(const std::vector<TokenRouting>& traces)
{
    Writer w;
    w.put<uint64_t>(traces.size());
    for (const TokenRouting& t : traces) {
        w.put(t.position);
        w.put(t.token);
        w.putArray(t.expertIds);
        w.putArray(t.weights);
    }
    return w.compressed();
}

std::vector<TokenRouting> decodeTraces(const std::string& blob, const std::string& path, const std::string& field)
{
    Reader r(blob, path, field);
    std::vector<TokenRouting> out(r.getCount(8 + 4 + 2 * 8));
    for (TokenRouting& t : out) {
        t.position = r.get<int64_t>();
        t.token = r.get<int32_t>();
        t.expertIds = r.getArray<int32_t>();
        t.weights = r.getArray<float>();
    }
    r.finish();
    return out;
}

} // namespace moe::store
