// GGUF reader. Spec: ggml docs/gguf.md. Every count, length, offset and shape read from
// the file is checked against the bytes that remain before it is used, so a hostile or
// truncated file raises moe::Error and never crashes or allocates what it merely claims.
#include "moe/gguf.h"

#include "model/byte_cursor.h"
#include "model/ggml_types.h"
#include "model/tensor_layout.h"
#include "moe/error.h"

#include <algorithm>
#include <limits>

namespace moe {

using detail::ByteCursor;

namespace {

// Nested arrays are legal but nothing real nests deeper than 2; the cap keeps recursion
// (and stack use) bounded whatever the file says.
constexpr int kMaxArrayDepth = 8;
// The smallest possible encodings, used to cap counts by the bytes that remain.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;             // key length, value type, a uint8
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8; // name length, n_dims, one dim, type, offset
constexpr int kMaxRank = 4;                             // GGML_MAX_DIMS

bool isKnownType(uint32_t t) { return t <= uint32_t(GgufType::Float64); }

// Bytes of one scalar element; 0 for strings and arrays (variable length).
uint64_t scalarBytes(GgufType t)
{
    switch (t) {
    case GgufType::Uint8:
    case GgufType::Int8:
    case GgufType::Bool: return 1;
    case GgufType::Uint16:
    case GgufType::Int16: return 2;
    case GgufType::Uint32:
    case GgufType::Int32:
    case GgufType::Float32: return 4;
    case GgufType::Uint64:
    case GgufType::Int64:
    case GgufType::Float64: return 8;
    case GgufType::String:
    case GgufType::Array: return 0;
    }
    return 0;
}

GgufType readTypeTag(ByteCursor& c, const char* what)
{
    const uint32_t raw = c.read<uint32_t>();
    if (!isKnownType(raw))
        c.fail(ErrorCode::UnsupportedType, std::string("unknown ") + what + " " + std::to_string(raw));
    return GgufType(raw);
}

// Reads one integer-like scalar; signed types sign-extend into `i`, `u` keeps the
// unsigned reading of the same bits.
void readIntegral(ByteCursor& c, GgufType t, int64_t& i, uint64_t& u)
{
    switch (t) {
    case GgufType::Uint8: u = c.read<uint8_t>(); i = int64_t(u); return;
    case GgufType::Int8: i = c.read<int8_t>(); u = uint64_t(i); return;
    case GgufType::Uint16: u = c.read<uint16_t>(); i = int64_t(u); return;
    case GgufType::Int16: i = c.read<int16_t>(); u = uint64_t(i); return;
    case GgufType::Uint32: u = c.read<uint32_t>(); i = int64_t(u); return;
    case GgufType::Int32: i = c.read<int32_t>(); u = uint64_t(i); return;
    case GgufType::Uint64: u = c.read<uint64_t>(); i = int64_t(u); return;
    case GgufType::Int64: i = c.read<int64_t>(); u = uint64_t(i); return;
    case GgufType::Bool: {
        const uint8_t b = c.read<uint8_t>();
        if (b > 1)
            c.fail(ErrorCode::BadValue, "bool holds " + std::to_string(b) + ", expected 0 or 1");
        i = b;
        u = b;
        return;
    }
    default: c.fail(ErrorCode::BadValue, std::string("not an integer type: ") + ggufTypeName(t));
    }
}

double readFloating(ByteCursor& c, GgufType t)
{
    if (t == GgufType::Float32)
        return double(c.read<float>());
    return c.read<double>();
}

void readArray(ByteCursor& c, GgufValue& out, int depth);

void readScalar(ByteCursor& c, GgufType t, GgufValue& out)
{
    out.type = t;
    if (t == GgufType::String)
        out.str = c.readString();
    else if (t == GgufType::Float32 || t == GgufType::Float64)
        out.f = readFloating(c, t);
    else
        readIntegral(c, t, out.i, out.u);
}

void readArray(ByteCursor& c, GgufValue& out, int depth)
{
    if (depth > kMaxArrayDepth)
        c.fail(ErrorCode::BadValue, "arrays nested deeper than " + std::to_string(kMaxArrayDepth));
    out.type = GgufType::Array;
    out.arrayType = readTypeTag(c, "array element type");
    out.arrayLength = c.read<uint64_t>();
    const GgufType et = out.arrayType;
    const uint64_t minElementBytes = et == GgufType::String ? 8 : et == GgufType::Array ? 12 : scalarBytes(et);
    // A count the remaining bytes cannot hold is refused before anything is reserved.
    if (out.arrayLength > c.remaining() / minElementBytes)
        c.fail(ErrorCode::Truncated, "array of " + std::to_string(out.arrayLength) + " " + ggufTypeName(et)
                                         + " elements does not fit in the " + std::to_string(c.remaining())
                                         + " bytes left");
    const size_t n = size_t(out.arrayLength);
    if (et == GgufType::String) {
        out.strings.reserve(n);
        for (size_t k = 0; k < n; ++k)
            out.strings.push_back(c.readString());
    } else if (et == GgufType::Array) {
        out.nested.reserve(n);
        for (size_t k = 0; k < n; ++k) {
            GgufValue inner;
            readArray(c, inner, depth + 1);
            out.nested.push_back(std::move(inner));
        }
    } else if (et == GgufType::Float32 || et == GgufType::Float64) {
        out.floats.reserve(n);
        for (size_t k = 0; k < n; ++k)
            out.floats.push_back(readFloating(c, et));
    } else {
        out.ints.reserve(n);
        for (size_t k = 0; k < n; ++k) {
            int64_t i = 0;
            uint64_t u = 0;
            readIntegral(c, et, i, u);
            out.ints.push_back(i);
        }
    }
}

// ggml never writes a zero dimension, and Shape::rows() divides by the innermost one.
uint64_t tensorBytes(const ByteCursor& c, const uint64_t* ggufDims, uint32_t rank, const detail::GgmlBlock& block)
{
    const uint64_t elements = detail::checkedElements(c.file(), c.field(), ggufDims, int(rank), false);
    // Blocks run along the innermost dimension, so every row is a whole number of blocks.
    if (ggufDims[0] % block.blockElements != 0)
        c.fail(ErrorCode::BadValue, "innermost dimension " + std::to_string(ggufDims[0]) + " is not a multiple of the "
                                        + block.name + " block size " + std::to_string(block.blockElements));
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(elements / block.blockElements, uint64_t(block.blockBytes), &bytes))
        c.fail(ErrorCode::Overflow, "tensor byte size overflows");
    return bytes;
}

bool isPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

} // namespace

GgufFile::GgufFile(const std::string& path)
    : m_path(path)
    , m_file(path)
{
    m_data = m_file.data();
    m_size = m_file.size();
    parse();
}

std::unique_ptr<GgufFile> GgufFile::fromMemory(const uint8_t* data, uint64_t size, std::string name)
{
    std::unique_ptr<GgufFile> f(new GgufFile());
    f->m_path = std::move(name);
    f->m_data = data;
    f->m_size = data ? size : 0;
    f->parse();
    return f;
}

void GgufFile::parse()
{
    ByteCursor c(m_data, m_size, m_path);
    c.setField("magic");
    const uint8_t* magic = c.take(4);
    if (std::memcmp(magic, "GGUF", 4) != 0)
        c.fail(ErrorCode::BadMagic, "file does not start with \"GGUF\"");

    c.setField("version");
    m_version = c.read<uint32_t>();
    if (m_version != 2 && m_version != 3) {
        // A big-endian file reads as a huge little-endian number with zero low bytes.
        const bool bigEndian = m_version != 0 && (m_version & 0xffffu) == 0;
        c.fail(ErrorCode::BadValue, bigEndian ? "big-endian GGUF is not supported"
                                              : "GGUF version " + std::to_string(m_version)
                                                    + " is not supported (only 2 and 3)");
    }
    c.setField("tensor count");
    const uint64_t tensorCount = c.read<uint64_t>();
    c.setField("metadata count");
    const uint64_t kvCount = c.read<uint64_t>();
    if (kvCount > c.remaining() / kMinKvBytes)
        c.fail(ErrorCode::Truncated, std::to_string(kvCount) + " metadata entries cannot fit in the file");

    m_metadata.reserve(size_t(kvCount));
    for (uint64_t k = 0; k < kvCount; ++k) {
        c.setField("metadata key #" + std::to_string(k));
        std::string key = c.readString();
        if (key.empty())
            c.fail(ErrorCode::BadValue, "empty key");
        c.setField(key);
        if (m_metaIndex.count(key))
            c.fail(ErrorCode::BadValue, "duplicate key");
        GgufValue value;
        const GgufType t = readTypeTag(c, "value type");
        if (t == GgufType::Array)
            readArray(c, value, 1);
        else
            readScalar(c, t, value);
        m_metaIndex.emplace(key, m_metadata.size());
        m_metadata.emplace_back(std::move(key), std::move(value));
    }

    if (const GgufValue* a = find("general.alignment")) {
        c.setField("general.alignment");
        if (!a->isInteger() || a->u > std::numeric_limits<uint32_t>::max() || !isPowerOfTwo(a->u))
            c.fail(ErrorCode::BadValue, "alignment must be a nonzero power of two that fits uint32");
        m_alignment = uint32_t(a->u);
    }

    parseTensorInfos(c, tensorCount);
}

void GgufFile::parseTensorInfos(detail::ByteCursor& c, uint64_t tensorCount)
{
    c.setField("tensor count");
    if (tensorCount > c.remaining() / kMinTensorInfoBytes)
        c.fail(ErrorCode::Truncated, std::to_string(tensorCount) + " tensor infos cannot fit in the file");
    std::vector<uint64_t> relOffsets;
    m_entries.reserve(size_t(tensorCount));
    for (uint64_t k = 0; k < tensorCount; ++k) {
        c.setField("tensor #" + std::to_string(k));
        TensorEntry e;
        e.name = c.readString();
        if (e.name.empty())
            c.fail(ErrorCode::BadValue, "empty tensor name");
        c.setField("tensor " + e.name);
        if (m_tensorIndex.count(e.name))
            c.fail(ErrorCode::BadValue, "duplicate tensor name");
        const uint32_t rank = c.read<uint32_t>();
        if (rank == 0 || rank > uint32_t(kMaxRank))
            c.fail(ErrorCode::BadValue, "rank " + std::to_string(rank) + " is outside 1..4");
        uint64_t ggufDims[kMaxRank] = {};
        for (uint32_t d = 0; d < rank; ++d)
            ggufDims[d] = c.read<uint64_t>();
        const uint32_t type = c.read<uint32_t>();
        const uint64_t relOffset = c.read<uint64_t>();

        const auto block = detail::ggmlBlock(type);
        if (!block)
            c.fail(ErrorCode::UnsupportedType, "type " + std::to_string(type) + " is not a known ggml tensor type");
        // GGUF lists dimensions innermost first; Shape is outermost first.
        e.shape.rank = int(rank);
        for (uint32_t d = 0; d < rank; ++d)
            e.shape.dims[size_t(rank - 1 - d)] = int64_t(std::min<uint64_t>(ggufDims[d], uint64_t(INT64_MAX)));
        e.bytes = tensorBytes(c, ggufDims, rank, *block);
        e.typeName = block->name;
        e.dtype = dtypeFromGgml(type);
        e.file = m_path;

        m_tensorIndex.emplace(e.name, m_entries.size());
        m_entries.push_back(std::move(e));
        m_ggmlTypes.push_back(type);
        relOffsets.push_back(relOffset);
    }

    // The data section starts at the first multiple of the alignment after the infos.
    c.setField("data section");
    const uint64_t end = c.pos();
    m_dataOffset = end + (m_alignment - end % m_alignment) % m_alignment;
    placeTensors(relOffsets);
}

void GgufFile::placeTensors(const std::vector<uint64_t>& relOffsets)
{
    std::vector<detail::TensorSpan> spans;
    spans.reserve(m_entries.size());
    m_offsets.reserve(m_entries.size());
    for (size_t k = 0; k < m_entries.size(); ++k) {
        const TensorEntry& e = m_entries[k];
        const std::string field = "tensor " + e.name;
        if (relOffsets[k] % m_alignment != 0)
            throw Error(ErrorCode::BadValue, m_path, field,
                        "offset " + std::to_string(relOffsets[k]) + " is not a multiple of the alignment "
                            + std::to_string(m_alignment));
        const uint64_t begin = detail::checkedSpan(m_path, field, m_dataOffset, relOffsets[k], e.bytes, m_size);
        m_offsets.push_back(begin);
        spans.push_back({begin, begin + e.bytes, k});
        if (__builtin_add_overflow(m_totalTensorBytes, e.bytes, &m_totalTensorBytes))
            throw Error(ErrorCode::Overflow, m_path, field, "total tensor bytes overflow");
    }
    const size_t overlapping = detail::findOverlap(spans);
    if (overlapping != SIZE_MAX)
        throw Error(ErrorCode::BadValue, m_path, "tensor " + m_entries[overlapping].name,
                    "data overlaps another tensor");
}

const GgufValue* GgufFile::find(std::string_view key) const
{
    auto it = m_metaIndex.find(std::string(key));
    return it == m_metaIndex.end() ? nullptr : &m_metadata[it->second].second;
}

static Error wrongType(const std::string& file, std::string_view key, const GgufValue& v, const char* wanted)
{
    return Error(ErrorCode::BadValue, file, std::string(key),
                 std::string("holds ") + ggufTypeName(v.type) + ", expected " + wanted);
}

std::optional<int64_t> GgufFile::findInt(std::string_view key) const
{
    const GgufValue* v = find(key);
    if (!v)
        return std::nullopt;
    if (!v->isInteger())
        throw wrongType(m_path, key, *v, "an integer");
    if (v->type == GgufType::Uint64 && v->u > uint64_t(INT64_MAX))
        throw Error(ErrorCode::Overflow, m_path, std::string(key), "uint64 value does not fit int64");
    return v->i;
}

std::optional<double> GgufFile::findFloat(std::string_view key) const
{
    const GgufValue* v = find(key);
    if (!v)
        return std::nullopt;
    if (v->isFloat())
        return v->f;
    if (v->isInteger())
        return v->type == GgufType::Uint64 ? double(v->u) : double(v->i);
    throw wrongType(m_path, key, *v, "a number");
}

std::optional<std::string> GgufFile::findString(std::string_view key) const
{
    const GgufValue* v = find(key);
    if (!v)
        return std::nullopt;
    if (v->type != GgufType::String)
        throw wrongType(m_path, key, *v, "a string");
    return v->str;
}

std::optional<bool> GgufFile::findBool(std::string_view key) const
{
    const GgufValue* v = find(key);
    if (!v)
        return std::nullopt;
    if (v->type != GgufType::Bool)
        throw wrongType(m_path, key, *v, "a bool");
    return v->i != 0;
}

static Error missingKey(const std::string& file, std::string_view key)
{
    return Error(ErrorCode::MissingField, file, std::string(key), "required metadata key is absent");
}

int64_t GgufFile::getInt(std::string_view key) const
{
    if (auto v = findInt(key))
        return *v;
    throw missingKey(m_path, key);
}

double GgufFile::getFloat(std::string_view key) const
{
    if (auto v = findFloat(key))
        return *v;
    throw missingKey(m_path, key);
}

std::string GgufFile::getString(std::string_view key) const
{
    if (auto v = findString(key))
        return *v;
    throw missingKey(m_path, key);
}

const GgufValue& GgufFile::getArray(std::string_view key) const
{
    const GgufValue* v = find(key);
    if (!v)
        throw missingKey(m_path, key);
    if (v->type != GgufType::Array)
        throw wrongType(m_path, key, *v, "an array");
    return *v;
}

bool GgufFile::has(const std::string& name) const { return m_tensorIndex.count(name) != 0; }

static size_t tensorIndexOrThrow(const std::unordered_map<std::string, size_t>& index, const std::string& file,
                                 const std::string& name)
{
    auto it = index.find(name);
    if (it == index.end())
        throw Error(ErrorCode::MissingField, file, "tensor " + name, "no such tensor");
    return it->second;
}

WeightView GgufFile::weight(const std::string& name) const
{
    const size_t k = tensorIndexOrThrow(m_tensorIndex, m_path, name);
    const TensorEntry& e = m_entries[k];
    if (!e.dtype)
        throw Error(ErrorCode::UnsupportedType, m_path, "tensor " + name,
                    name + ": tensor type " + e.typeName + " is not supported yet");
    WeightView v;
    v.dtype = *e.dtype;
    v.shape = e.shape;
    v.bytes = e.bytes;
    v.data = m_data + m_offsets[k];
    return v;
}

uint32_t GgufFile::ggmlType(const std::string& tensorName) const
{
    return m_ggmlTypes[tensorIndexOrThrow(m_tensorIndex, m_path, tensorName)];
}

uint64_t GgufFile::tensorOffset(const std::string& tensorName) const
{
    return m_offsets[tensorIndexOrThrow(m_tensorIndex, m_path, tensorName)];
}

std::span<const uint8_t> GgufFile::tensorData(const std::string& tensorName) const
{
    const size_t k = tensorIndexOrThrow(m_tensorIndex, m_path, tensorName);
    return {m_data + m_offsets[k], size_t(m_entries[k].bytes)};
}

} // namespace moe
