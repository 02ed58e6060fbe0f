// byte_cursor.h — bounds-checked little-endian reads over an untrusted buffer.
//
// Every read checks the remaining length first and throws Error(Truncated) naming the
// file and the item being parsed, so format readers never touch a byte past the end.
#pragma once

#include "moe/error.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace moe::detail {

class ByteCursor {
public:
    ByteCursor(const uint8_t* data, uint64_t size, const std::string& file)
        : m_data(data)
        , m_size(size)
        , m_file(file)
    {
    }

    uint64_t pos() const { return m_pos; }
    uint64_t remaining() const { return m_size - m_pos; }
    const std::string& file() const { return m_file; }
    // What is being parsed right now ("metadata key #3", "tensor blk.0.attn_q.weight");
    // every error raised while reading names it.
    void setField(std::string field) { m_field = std::move(field); }
    const std::string& field() const { return m_field; }

    void need(uint64_t bytes) const
    {
        if (bytes > remaining())
            throw Error(ErrorCode::Truncated, m_file, m_field,
                        "needs " + std::to_string(bytes) + " bytes at offset " + std::to_string(m_pos) + ", only "
                            + std::to_string(remaining()) + " left");
    }

    template <typename T> T read()
    {
        need(sizeof(T));
        T v;
        std::memcpy(&v, m_data + m_pos, sizeof(T)); // GGUF/safetensors are little-endian, like every host we build for
        m_pos += sizeof(T);
        return v;
    }

    const uint8_t* take(uint64_t bytes)
    {
        need(bytes);
        const uint8_t* p = m_data + m_pos;
        m_pos += bytes;
        return p;
    }

    // u64 length + bytes (GGUF v2/v3 strings).
    std::string readString()
    {
        const uint64_t len = read<uint64_t>();
        const uint8_t* p = take(len);
        return std::string(reinterpret_cast<const char*>(p), size_t(len));
    }

    [[noreturn]] void fail(ErrorCode code, const std::string& detail) const { throw Error(code, m_file, m_field, detail); }

private:
    const uint8_t* m_data;
    uint64_t m_size;
    uint64_t m_pos = 0;
    std::string m_file;
    std::string m_field;
};

// Overflow-checked arithmetic for sizes taken from files.
inline bool mulOverflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }
inline bool addOverflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_add_overflow(a, b, out); }

} // namespace moe::detail
