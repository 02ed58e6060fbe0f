// moe/gguf.h — GGUF v2/v3 reader (memory-mapped, every metadata type, bounds-checked)
// and a writer used by `moe make-model` and the tests.
//
// Spec: ggml docs/gguf.md. Little-endian. Header: magic "GGUF", u32 version, u64 tensor
// count, u64 metadata count; key/value pairs; tensor infos (name, n_dims, dims innermost
// first, ggml type, offset relative to the aligned data section); data section aligned to
// `general.alignment` (default 32).
#pragma once

#include "moe/mapped_file.h"
#include "moe/weight_source.h"

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace moe {

namespace detail { class ByteCursor; }

enum class GgufType : uint32_t {
    Uint8 = 0, Int8 = 1, Uint16 = 2, Int16 = 3, Uint32 = 4, Int32 = 5, Float32 = 6,
    Bool = 7, String = 8, Array = 9, Uint64 = 10, Int64 = 11, Float64 = 12,
};
const char* ggufTypeName(GgufType t);

// ggml tensor type ids we know by name (for messages); only some are computable.
const char* ggmlTypeName(uint32_t ggmlType); // "Q4_K", "IQ2_XXS", ... or "type 77"
std::optional<DType> dtypeFromGgml(uint32_t ggmlType);
uint32_t ggmlTypeFromDType(DType t);
// llama.cpp's general.file_type (LLAMA_FTYPE_MOSTLY_*) for a model mostly in `t`, so
// other tools can label the file (Q4_K -> Q4_K_M, Q8_K -> 0: llama.cpp has none).
uint32_t llamaFileTypeFor(DType t);

struct GgufValue {
    GgufType type = GgufType::Uint8;
    // Scalars: integers (incl. bool) in `i` (uint64 values above INT64_MAX keep their
    // bit pattern; `u` holds the unsigned reading), floats in `f`, strings in `str`.
    int64_t i = 0;
    uint64_t u = 0;
    double f = 0.0;
    std::string str;
    // Arrays: element type and, by kind, the elements.
    GgufType arrayType = GgufType::Uint8;
    uint64_t arrayLength = 0;
    std::vector<int64_t> ints;       // integer and bool arrays
    std::vector<double> floats;      // float arrays
    std::vector<std::string> strings; // string arrays
    std::vector<GgufValue> nested;   // arrays of arrays

    bool isInteger() const;
    bool isFloat() const;
};

class GgufFile final : public WeightSource {
public:
    // Maps and parses the file. Throws moe::Error naming the file and the field.
    explicit GgufFile(const std::string& path);
    // Parses a buffer the caller keeps alive (fuzzing, tests). `name` appears in errors.
    static std::unique_ptr<GgufFile> fromMemory(const uint8_t* data, uint64_t size, std::string name);

    uint32_t version() const { return m_version; }
    uint32_t alignment() const { return m_alignment; }
    uint64_t dataOffset() const { return m_dataOffset; }

    const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return m_metadata; }
    const GgufValue* find(std::string_view key) const;
    // Typed lookups: find* return nullopt when the key is absent; both forms throw
    // BadValue naming the key when it holds another type (a silent default would hide a
    // broken file), and get* throw MissingField when it is absent.
    std::optional<int64_t> findInt(std::string_view key) const;
    std::optional<double> findFloat(std::string_view key) const; // ints convert too
    std::optional<std::string> findString(std::string_view key) const;
    std::optional<bool> findBool(std::string_view key) const;
    int64_t getInt(std::string_view key) const;
    double getFloat(std::string_view key) const;
    std::string getString(std::string_view key) const;
    const GgufValue& getArray(std::string_view key) const;

    // WeightSource
    const std::string& path() const override { return m_path; }
    const std::vector<TensorEntry>& tensorEntries() const override { return m_entries; }
    bool has(const std::string& name) const override;
    WeightView weight(const std::string& name) const override;
    uint64_t totalTensorBytes() const override { return m_totalTensorBytes; }

    uint32_t ggmlType(const std::string& tensorName) const; // throws MissingField
    uint64_t tensorOffset(const std::string& tensorName) const; // absolute, in the file
    // The tensor's bytes in place, whatever its type (weight() refuses types we cannot
    // compute with). Throws MissingField.
    std::span<const uint8_t> tensorData(const std::string& tensorName) const;

private:
    GgufFile() = default;
    void parse();
    void parseTensorInfos(detail::ByteCursor& c, uint64_t tensorCount);
    void placeTensors(const std::vector<uint64_t>& relOffsets);

    std::string m_path;
    MappedFile m_file;              // empty when parsed from memory
    const uint8_t* m_data = nullptr;
    uint64_t m_size = 0;
    uint32_t m_version = 0;
    uint32_t m_alignment = 32;
    uint64_t m_dataOffset = 0;
    uint64_t m_totalTensorBytes = 0;
    std::vector<std::pair<std::string, GgufValue>> m_metadata;
    std::unordered_map<std::string, size_t> m_metaIndex;
    std::vector<TensorEntry> m_entries;
    std::vector<uint32_t> m_ggmlTypes;
    std::vector<uint64_t> m_offsets; // absolute
    std::unordered_map<std::string, size_t> m_tensorIndex;
};

// Writes GGUF v3. Keys keep insertion order; tensors are aligned to `alignment`.
class GgufWriter {
public:
    void setUint32(const std::string& key, uint32_t v);
    void setInt32(const std::string& key, int32_t v);
    void setUint64(const std::string& key, uint64_t v);
    void setFloat32(const std::string& key, float v);
    void setBool(const std::string& key, bool v);
    void setString(const std::string& key, const std::string& v);
    void setStringArray(const std::string& key, const std::vector<std::string>& v);
    void setInt32Array(const std::string& key, const std::vector<int32_t>& v);
    void setFloat32Array(const std::string& key, const std::vector<float>& v);
    void setAlignment(uint32_t alignment); // also writes general.alignment
    // Any value as GgufFile parsed it (copies metadata between files verbatim).
    // general.alignment goes through setAlignment's check.
    void setValue(const std::string& key, const GgufValue& value);
    // `shape` row-major (outermost first); data is copied.
    void addTensor(const std::string& name, DType dtype, const Shape& shape, const void* data, uint64_t bytes);
    // A tensor whose bytes are produced while write() runs, tensor by tensor in order, so
    // a converter never holds a whole model in memory. `produce` hands exactly the
    // tensor's bytes to the sink, in as many pieces as it likes; write() checks the count.
    using TensorSink = std::function<void(const void* data, uint64_t bytes)>;
    using TensorProducer = std::function<void(const TensorSink& sink)>;
    void addTensor(const std::string& name, DType dtype, const Shape& shape, TensorProducer produce);
    // Writes to `path` via a temporary file + rename, so a failed write leaves nothing half-done.
    void write(const std::string& path) const;

private:
    struct Kv { std::string key; GgufType type; std::vector<uint8_t> payload; };
    struct Tensor {
        std::string name;
        DType dtype;
        Shape shape;
        uint64_t bytes = 0;
        std::vector<uint8_t> data; // empty for produced tensors
        TensorProducer produce;
    };
    void setRaw(const std::string& key, GgufType type, std::vector<uint8_t> payload);
    uint64_t checkTensor(const std::string& name, DType dtype, const Shape& shape) const; // bytes it needs
    std::vector<Kv> m_kvs;
    std::vector<Tensor> m_tensors;
    uint32_t m_alignment = 32;
};

} // namespace moe
