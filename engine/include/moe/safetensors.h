// moe/safetensors.h — Hugging Face safetensors (single file and sharded checkpoints)
// and the checkpoint folder around them (config.json, generation_config.json).
//
// Format: u64 little-endian header length N, N bytes of UTF-8 JSON
// {"name": {"dtype": "F16", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the byte buffer; offsets are relative to the buffer start.
#pragma once

#include "moe/mapped_file.h"
#include "moe/weight_source.h"

#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <unordered_map>
#include <vector>

namespace moe {

// A tensor's bytes as the file stores them, whatever its dtype (I32, F8_E4M3, ...):
// sized and bounds-checked against the file like every entry, but not interpretable as a
// WeightView. Quantized checkpoints read their packed tensors through it.
struct RawTensor {
    const TensorEntry* entry = nullptr;
    const uint8_t* data = nullptr;
};

class SafetensorsFile final : public WeightSource {
public:
    explicit SafetensorsFile(const std::string& path); // throws moe::Error
    static std::unique_ptr<SafetensorsFile> fromMemory(const uint8_t* data, uint64_t size, std::string name);

    const std::map<std::string, std::string>& userMetadata() const { return m_userMetadata; }

    const std::string& path() const override { return m_path; }
    const std::vector<TensorEntry>& tensorEntries() const override { return m_entries; }
    bool has(const std::string& name) const override;
    WeightView weight(const std::string& name) const override;
    uint64_t totalTensorBytes() const override { return m_totalTensorBytes; }
    RawTensor raw(const std::string& name) const; // throws Error(MissingField) naming the tensor

private:
    SafetensorsFile() = default;
    void parse();
    void parseUserMetadata(const nlohmann::json& value);
    TensorEntry parseEntry(const std::string& name, const nlohmann::json& value, uint64_t& begin) const;

    std::string m_path;
    MappedFile m_file;
    const uint8_t* m_data = nullptr;
    uint64_t m_size = 0;
    uint64_t m_bufferOffset = 0;
    uint64_t m_totalTensorBytes = 0;
    std::map<std::string, std::string> m_userMetadata;
    std::vector<TensorEntry> m_entries;
    std::vector<uint64_t> m_offsets; // absolute begin of each tensor
    std::unordered_map<std::string, size_t> m_index;
};

class SafetensorsWriter {
public:
    void setMetadata(const std::string& key, const std::string& value);
    // Supported dtypes: F32, F16, BF16 (safetensors has no GGML block types).
    void addTensor(const std::string& name, DType dtype, const Shape& shape, const void* data, uint64_t bytes);
    // Any dtype the format defines, by its name ("I32", "F8_E4M3", ...): the packed
    // tensors of quantized checkpoints (AWQ / GPTQ qweight, FP8 weights).
    void addRawTensor(const std::string& name, const std::string& typeName, const Shape& shape, const void* data,
                      uint64_t bytes);
    // Temporary file + rename.
    void write(const std::string& path) const;
    uint64_t dataBytes() const;

private:
    struct Tensor { std::string name; std::string typeName; Shape shape; std::vector<uint8_t> data; };
    std::map<std::string, std::string> m_metadata;
    std::vector<Tensor> m_tensors;
};

// Parses JSON text; malformed input throws Error(BadJson) naming `file` and the position.
nlohmann::json parseJson(const std::string& text, const std::string& file);
nlohmann::json readJsonFile(const std::string& path); // Io / BadJson errors name the path

// A Hugging Face checkpoint folder: config.json (required), generation_config.json
// (optional), and model.safetensors or model.safetensors.index.json + shards.
class HfCheckpoint final : public WeightSource {
public:
    explicit HfCheckpoint(const std::string& dir); // throws moe::Error
    ~HfCheckpoint() override;

    const nlohmann::json& config() const { return *m_config; }
    const nlohmann::json& generationConfig() const { return *m_generationConfig; } // {} when absent
    const std::string& dir() const { return m_dir; }

    const std::string& path() const override { return m_dir; }
    const std::vector<TensorEntry>& tensorEntries() const override { return m_entries; }
    bool has(const std::string& name) const override;
    WeightView weight(const std::string& name) const override;
    uint64_t totalTensorBytes() const override { return m_totalTensorBytes; }
    RawTensor raw(const std::string& name) const; // throws Error(MissingField) naming the tensor

private:
    std::string m_dir;
    std::unique_ptr<nlohmann::json> m_config;
    std::unique_ptr<nlohmann::json> m_generationConfig;
    std::vector<std::unique_ptr<SafetensorsFile>> m_shards;
    std::unordered_map<std::string, size_t> m_shardOf; // tensor name -> shard index
    std::vector<TensorEntry> m_entries;
    uint64_t m_totalTensorBytes = 0;
};

// Writes `writer`'s tensors split into shards of at most `maxShardBytes` plus
// model.safetensors.index.json into `dir` (used by make-model and tests).
void writeShardedSafetensors(const std::string& dir, const std::vector<std::pair<std::string, WeightView>>& tensors,
                             uint64_t maxShardBytes);

} // namespace moe
