// GGUF v3 writer (used by `moe make-model` and the tests). Layout mirrors the reader:
// header, key/values in insertion order, tensor infos, padding, tensor data each
// starting at a multiple of the alignment.
#include "moe/gguf.h"

#include "model/atomic_file.h"
#include "moe/error.h"

#include <cstring>

namespace moe {

namespace {

void putBytes(std::vector<uint8_t>& out, const void* p, size_t n)
{
    const auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
}

template <typename T> void put(std::vector<uint8_t>& out, T v) { putBytes(out, &v, sizeof(T)); }

void putString(std::vector<uint8_t>& out, const std::string& s)
{
    put<uint64_t>(out, s.size());
    putBytes(out, s.data(), s.size());
}

template <typename T> std::vector<uint8_t> scalarPayload(T v)
{
    std::vector<uint8_t> p;
    put(p, v);
    return p;
}

template <typename T> std::vector<uint8_t> arrayPayload(GgufType elementType, const std::vector<T>& values)
{
    std::vector<uint8_t> p;
    put<uint32_t>(p, uint32_t(elementType));
    put<uint64_t>(p, values.size());
    putBytes(p, values.data(), values.size() * sizeof(T));
    return p;
}

[[noreturn]] void invalid(const std::string& field, const std::string& detail)
{
    throw Error(ErrorCode::InvalidArgument, "", field, detail);
}

} // namespace

void GgufWriter::setRaw(const std::string& key, GgufType type, std::vector<uint8_t> payload)
{
    if (key.empty())
        invalid("metadata key", "empty key");
    // Setting a key twice replaces it in place: the reader refuses duplicate keys.
    for (Kv& kv : m_kvs) {
        if (kv.key == key) {
            kv.type = type;
            kv.payload = std::move(payload);
            return;
        }
    }
    m_kvs.push_back({key, type, std::move(payload)});
}

void GgufWriter::setUint32(const std::string& key, uint32_t v) { setRaw(key, GgufType::Uint32, scalarPayload(v)); }
void GgufWriter::setInt32(const std::string& key, int32_t v) { setRaw(key, GgufType::Int32, scalarPayload(v)); }
void GgufWriter::setUint64(const std::string& key, uint64_t v) { setRaw(key, GgufType::Uint64, scalarPayload(v)); }
void GgufWriter::setFloat32(const std::string& key, float v) { setRaw(key, GgufType::Float32, scalarPayload(v)); }
void GgufWriter::setBool(const std::string& key, bool v) { setRaw(key, GgufType::Bool, scalarPayload(uint8_t(v))); }

void GgufWriter::setString(const std::string& key, const std::string& v)
{
    std::vector<uint8_t> p;
    putString(p, v);
    setRaw(key, GgufType::String, std::move(p));
}

void GgufWriter::setStringArray(const std::string& key, const std::vector<std::string>& v)
{
    std::vector<uint8_t> p;
    put<uint32_t>(p, uint32_t(GgufType::String));
    put<uint64_t>(p, v.size());
    for (const std::string& s : v)
        putString(p, s);
    setRaw(key, GgufType::Array, std::move(p));
}

void GgufWriter::setInt32Array(const std::string& key, const std::vector<int32_t>& v)
{
    setRaw(key, GgufType::Array, arrayPayload(GgufType::Int32, v));
}

void GgufWriter::setFloat32Array(const std::string& key, const std::vector<float>& v)
{
    setRaw(key, GgufType::Array, arrayPayload(GgufType::Float32, v));
}

void GgufWriter::setAlignment(uint32_t alignment)
{
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
        invalid("general.alignment", "alignment " + std::to_string(alignment) + " is not a nonzero power of two");
    m_alignment = alignment;
    setUint32("general.alignment", alignment);
}

namespace {

void putIntegral(std::vector<uint8_t>& out, GgufType t, int64_t v)
{
    switch (t) {
    case GgufType::Uint8:
    case GgufType::Int8:
    case GgufType::Bool: put<uint8_t>(out, uint8_t(v)); return;
    case GgufType::Uint16:
    case GgufType::Int16: put<uint16_t>(out, uint16_t(v)); return;
    case GgufType::Uint32:
    case GgufType::Int32: put<uint32_t>(out, uint32_t(v)); return;
    default: put<uint64_t>(out, uint64_t(v)); return; // Uint64 / Int64 keep the bit pattern
    }
}

void putFloating(std::vector<uint8_t>& out, GgufType t, double v)
{
    if (t == GgufType::Float32)
        put<float>(out, float(v)); // read from a float: exact
    else
        put<double>(out, v);
}

// The payload of an array as readArray() parsed it (element type, count, elements).
void putArray(std::vector<uint8_t>& out, const GgufValue& v)
{
    put<uint32_t>(out, uint32_t(v.arrayType));
    put<uint64_t>(out, v.arrayLength);
    switch (v.arrayType) {
    case GgufType::String:
        for (const std::string& s : v.strings)
            putString(out, s);
        return;
    case GgufType::Array:
        for (const GgufValue& inner : v.nested)
            putArray(out, inner);
        return;
    case GgufType::Float32:
    case GgufType::Float64:
        for (double f : v.floats)
            putFloating(out, v.arrayType, f);
        return;
    default:
        for (int64_t i : v.ints)
            putIntegral(out, v.arrayType, i);
        return;
    }
}

} // namespace

void GgufWriter::setValue(const std::string& key, const GgufValue& value)
{
    if (key == "general.alignment" && value.isInteger()) {
        if (value.u > UINT32_MAX)
            invalid(key, "alignment " + std::to_string(value.u) + " does not fit 32 bits");
        setAlignment(uint32_t(value.u));
        return;
    }
    std::vector<uint8_t> p;
    switch (value.type) {
    case GgufType::String: putString(p, value.str); break;
    case GgufType::Array: putArray(p, value); break;
    case GgufType::Float32:
    case GgufType::Float64: putFloating(p, value.type, value.f); break;
    default: putIntegral(p, value.type, value.i); break;
    }
    setRaw(key, value.type, std::move(p));
}

uint64_t GgufWriter::checkTensor(const std::string& name, DType dtype, const Shape& shape) const
{
    const std::string field = "tensor " + name;
    if (name.empty())
        invalid("tensor", "empty tensor name");
    for (const Tensor& t : m_tensors)
        if (t.name == name)
            invalid(field, "duplicate tensor name");
    if (shape.rank < 1 || shape.rank > 4)
        invalid(field, "rank " + std::to_string(shape.rank) + " is outside 1..4");
    uint64_t rows = 1;
    for (int d = 0; d < shape.rank; ++d) {
        if (shape[d] <= 0)
            invalid(field, "dimension " + std::to_string(d) + " is not positive");
        if (d + 1 < shape.rank && __builtin_mul_overflow(rows, uint64_t(shape[d]), &rows))
            invalid(field, "shape overflows");
    }
    const auto perRow = rowBytes(dtype, uint64_t(shape.cols()));
    uint64_t expected = 0;
    if (!perRow || __builtin_mul_overflow(rows, *perRow, &expected))
        invalid(field, "innermost dimension " + std::to_string(shape.cols()) + " does not fit " + dtypeName(dtype)
                           + " blocks");
    return expected;
}

void GgufWriter::addTensor(const std::string& name, DType dtype, const Shape& shape, const void* data, uint64_t bytes)
{
    const uint64_t expected = checkTensor(name, dtype, shape);
    if (bytes != expected)
        invalid("tensor " + name, std::to_string(bytes) + " bytes given, shape " + shape.toString() + " in " +
                                      dtypeName(dtype) + " needs " + std::to_string(expected));
    const auto* p = static_cast<const uint8_t*>(data);
    m_tensors.push_back({name, dtype, shape, bytes, std::vector<uint8_t>(p, p + bytes), {}});
}

void GgufWriter::addTensor(const std::string& name, DType dtype, const Shape& shape, TensorProducer produce)
{
    const uint64_t expected = checkTensor(name, dtype, shape);
    if (!produce)
        invalid("tensor " + name, "no producer given");
    m_tensors.push_back({name, dtype, shape, expected, {}, std::move(produce)});
}

void GgufWriter::write(const std::string& path) const
{
    std::vector<uint8_t> head;
    putBytes(head, "GGUF", 4);
    put<uint32_t>(head, 3);
    put<uint64_t>(head, m_tensors.size());
    put<uint64_t>(head, m_kvs.size());
    for (const Kv& kv : m_kvs) {
        putString(head, kv.key);
        put<uint32_t>(head, uint32_t(kv.type));
        putBytes(head, kv.payload.data(), kv.payload.size());
    }
    uint64_t offset = 0; // relative to the data section
    std::vector<uint64_t> offsets;
    for (const Tensor& t : m_tensors) {
        putString(head, t.name);
        put<uint32_t>(head, uint32_t(t.shape.rank));
        for (int d = t.shape.rank - 1; d >= 0; --d) // GGUF lists the innermost dimension first
            put<uint64_t>(head, uint64_t(t.shape[d]));
        put<uint32_t>(head, ggmlTypeFromDType(t.dtype));
        put<uint64_t>(head, offset);
        offsets.push_back(offset);
        offset += t.bytes;
        offset += (m_alignment - offset % m_alignment) % m_alignment;
    }

    detail::AtomicFile out(path);
    out.write(head.data(), head.size());
    out.writeZeros((m_alignment - head.size() % m_alignment) % m_alignment);
    const uint64_t dataStart = out.written();
    for (size_t k = 0; k < m_tensors.size(); ++k) {
        const Tensor& t = m_tensors[k];
        out.writeZeros(dataStart + offsets[k] - out.written());
        if (!t.produce) {
            out.write(t.data.data(), t.data.size());
            continue;
        }
        uint64_t produced = 0;
        t.produce([&](const void* data, uint64_t bytes) {
            if (bytes > t.bytes - produced)
                invalid("tensor " + t.name, "producer wrote more than the " + std::to_string(t.bytes) + " bytes of "
                                                + t.shape.toString() + " " + dtypeName(t.dtype));
            out.write(data, bytes);
            produced += bytes;
        });
        if (produced != t.bytes)
            invalid("tensor " + t.name, "producer wrote " + std::to_string(produced) + " of " +
                                            std::to_string(t.bytes) + " bytes");
    }
    out.commit();
}

} // namespace moe
