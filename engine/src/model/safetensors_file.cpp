// safetensors reader. Spec: huggingface/safetensors README ("Format"). The JSON header
// is untrusted like everything else: each entry's dtype, shape and data_offsets are
// checked against each other and against the buffer before a view is handed out.
#include "moe/safetensors.h"

#include "model/json_util.h"
#include "model/safetensors_dtype.h"
#include "model/tensor_layout.h"
#include "moe/error.h"

#include <array>
#include <nlohmann/json.hpp>

namespace moe {

namespace detail {

std::optional<SafetensorsDType> safetensorsDType(std::string_view name)
{
    static const std::array<SafetensorsDType, 16> kTypes = {{
        {"F64", 8, std::nullopt},
        {"F32", 4, DType::F32},
        {"F16", 2, DType::F16},
        {"BF16", 2, DType::BF16},
        {"I64", 8, std::nullopt},
        {"I32", 4, std::nullopt},
        {"I16", 2, std::nullopt},
        {"I8", 1, std::nullopt},
        {"U64", 8, std::nullopt},
        {"U32", 4, std::nullopt},
        {"U16", 2, std::nullopt},
        {"U8", 1, std::nullopt},
        {"BOOL", 1, std::nullopt},
        {"F8_E4M3", 1, std::nullopt},
        {"F8_E5M2", 1, std::nullopt},
        {"F8_E8M0", 1, std::nullopt},
    }};
    for (const SafetensorsDType& t : kTypes)
        if (t.name == name)
            return t;
    return std::nullopt;
}

const char* safetensorsName(DType t)
{
    switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    default: return nullptr;
    }
}

} // namespace detail

namespace {

// The format caps the header at 100 MB (safetensors' MAX_HEADER_SIZE); a larger claim
// is a corrupt or hostile file, not a model.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr int kMaxRank = 4; // Shape holds four dims

uint64_t jsonUnsigned(const nlohmann::json& v, const std::string& file, const std::string& field, const char* what)
{
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
        throw Error(ErrorCode::BadValue, file, field, std::string(what) + " must be a non-negative integer");
    return v.get<uint64_t>();
}

} // namespace

SafetensorsFile::SafetensorsFile(const std::string& path)
    : m_path(path)
    , m_file(path)
{
    m_data = m_file.data();
    m_size = m_file.size();
    parse();
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::fromMemory(const uint8_t* data, uint64_t size, std::string name)
{
    std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
    f->m_path = std::move(name);
    f->m_data = data;
    f->m_size = data ? size : 0;
    f->parse();
    return f;
}

void SafetensorsFile::parse()
{
    if (m_size < 8)
        throw Error(ErrorCode::Truncated, m_path, "header length",
                    "file has " + std::to_string(m_size) + " bytes, the header length alone needs 8");
    uint64_t headerBytes = 0;
    std::memcpy(&headerBytes, m_data, 8); // little-endian u64
    if (headerBytes > kMaxHeaderBytes)
        throw Error(ErrorCode::BadValue, m_path, "header length",
                    "header of " + std::to_string(headerBytes) + " bytes exceeds the 100 MB limit");
    if (headerBytes > m_size - 8)
        throw Error(ErrorCode::Truncated, m_path, "header length",
                    "header of " + std::to_string(headerBytes) + " bytes runs past the end of the file ("
                        + std::to_string(m_size) + " bytes)");
    m_bufferOffset = 8 + headerBytes;
    const auto* text = reinterpret_cast<const char*>(m_data + 8);
    const nlohmann::json header = detail::parseJsonBytes(text, text + headerBytes, m_path, 8);
    if (!header.is_object())
        throw Error(ErrorCode::BadValue, m_path, "header", "header is not a JSON object");

    std::vector<uint64_t> begins;
    for (const auto& [name, value] : header.items()) {
        if (name == "__metadata__") {
            parseUserMetadata(value);
            continue;
        }
        uint64_t begin = 0;
        m_entries.push_back(parseEntry(name, value, begin));
        begins.push_back(begin);
    }

    // Entries in file order: that is the order a loader streams them in.
    std::vector<detail::TensorSpan> spans;
    for (size_t k = 0; k < m_entries.size(); ++k)
        spans.push_back({begins[k], begins[k] + m_entries[k].bytes, k});
    const size_t overlapping = detail::findOverlap(spans); // also sorts by begin
    if (overlapping != SIZE_MAX)
        throw Error(ErrorCode::BadValue, m_path, "tensor " + m_entries[overlapping].name,
                    "data overlaps another tensor");
    std::vector<TensorEntry> ordered;
    ordered.reserve(m_entries.size());
    for (const detail::TensorSpan& s : spans) {
        m_index.emplace(m_entries[s.index].name, ordered.size());
        ordered.push_back(std::move(m_entries[s.index]));
        m_offsets.push_back(s.begin);
        m_totalTensorBytes += s.end - s.begin; // cannot overflow: disjoint spans inside the file
    }
    m_entries = std::move(ordered);
}

void SafetensorsFile::parseUserMetadata(const nlohmann::json& value)
{
    if (!value.is_object())
        throw Error(ErrorCode::BadValue, m_path, "__metadata__", "must be an object of strings");
    for (const auto& [key, v] : value.items()) {
        if (!v.is_string())
            throw Error(ErrorCode::BadValue, m_path, "__metadata__." + key, "value must be a string");
        m_userMetadata.emplace(key, v.get<std::string>());
    }
}

TensorEntry SafetensorsFile::parseEntry(const std::string& name, const nlohmann::json& value, uint64_t& begin) const
{
    const std::string field = "tensor " + name;
    if (!value.is_object())
        throw Error(ErrorCode::BadValue, m_path, field, "entry is not an object");
    const auto dtypeIt = value.find("dtype");
    const auto shapeIt = value.find("shape");
    const auto offsetsIt = value.find("data_offsets");
    if (dtypeIt == value.end() || shapeIt == value.end() || offsetsIt == value.end())
        throw Error(ErrorCode::MissingField, m_path, field, "entry needs dtype, shape and data_offsets");
    if (!dtypeIt->is_string())
        throw Error(ErrorCode::BadValue, m_path, field, "dtype is not a string");

    TensorEntry e;
    e.name = name;
    e.file = m_path;
    e.typeName = dtypeIt->get<std::string>();
    const auto st = detail::safetensorsDType(e.typeName);
    if (!st)
        throw Error(ErrorCode::UnsupportedType, m_path, field, "unknown dtype " + e.typeName);
    e.dtype = st->dtype;

    if (!shapeIt->is_array())
        throw Error(ErrorCode::BadValue, m_path, field, "shape is not an array");
    if (shapeIt->size() > size_t(kMaxRank))
        throw Error(ErrorCode::UnsupportedType, m_path, field,
                    "rank " + std::to_string(shapeIt->size()) + " exceeds the supported 4");
    uint64_t dims[kMaxRank] = {};
    e.shape.rank = int(shapeIt->size());
    for (int d = 0; d < e.shape.rank; ++d)
        dims[d] = jsonUnsigned((*shapeIt)[size_t(d)], m_path, field, "shape entry");
    // The format allows empty tensors (a zero dimension, begin == end).
    const uint64_t elements = detail::checkedElements(m_path, field, dims, e.shape.rank, true);
    for (int d = 0; d < e.shape.rank; ++d)
        e.shape.dims[size_t(d)] = int64_t(dims[d]);
    if (__builtin_mul_overflow(elements, uint64_t(st->bytes), &e.bytes))
        throw Error(ErrorCode::Overflow, m_path, field, "tensor byte size overflows");

    if (!offsetsIt->is_array() || offsetsIt->size() != 2)
        throw Error(ErrorCode::BadValue, m_path, field, "data_offsets must be [begin, end]");
    const uint64_t relBegin = jsonUnsigned((*offsetsIt)[0], m_path, field, "data_offsets entry");
    const uint64_t relEnd = jsonUnsigned((*offsetsIt)[1], m_path, field, "data_offsets entry");
    if (relEnd < relBegin)
        throw Error(ErrorCode::BadValue, m_path, field, "data_offsets end precedes begin");
    if (relEnd - relBegin != e.bytes)
        throw Error(ErrorCode::BadValue, m_path, field,
                    "data_offsets span " + std::to_string(relEnd - relBegin) + " bytes, shape " + e.shape.toString()
                        + " in " + e.typeName + " needs " + std::to_string(e.bytes));
    begin = detail::checkedSpan(m_path, field, m_bufferOffset, relBegin, e.bytes, m_size);
    return e;
}

bool SafetensorsFile::has(const std::string& name) const { return m_index.count(name) != 0; }

RawTensor SafetensorsFile::raw(const std::string& name) const
{
    auto it = m_index.find(name);
    if (it == m_index.end())
        throw Error(ErrorCode::MissingField, m_path, "tensor " + name, "no such tensor");
    return {&m_entries[it->second], m_data + m_offsets[it->second]};
}

WeightView SafetensorsFile::weight(const std::string& name) const
{
    auto it = m_index.find(name);
    if (it == m_index.end())
        throw Error(ErrorCode::MissingField, m_path, "tensor " + name, "no such tensor");
    const TensorEntry& e = m_entries[it->second];
    if (!e.dtype)
        throw Error(ErrorCode::UnsupportedType, m_path, "tensor " + name,
                    name + ": dtype " + e.typeName + " is not supported yet");
    WeightView v;
    v.dtype = *e.dtype;
    v.shape = e.shape;
    v.bytes = e.bytes;
    v.data = m_data + m_offsets[it->second];
    return v;
}

} // namespace moe
