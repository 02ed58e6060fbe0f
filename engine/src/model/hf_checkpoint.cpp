// A Hugging Face checkpoint folder. The index's weight_map decides which tensors exist
// and where; each shard is mapped once however many tensors it holds.
#include "moe/safetensors.h"

#include "moe/error.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

namespace moe {

namespace fs = std::filesystem;

namespace {

constexpr const char* kIndexName = "model.safetensors.index.json";

// Shard names come from an untrusted index; only plain file names inside `dir` are allowed.
bool isPlainFileName(const std::string& name)
{
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos
        && name.find('\0') == std::string::npos;
}

// The error_code form: a permission problem reads as "absent" here and surfaces as an
// Io error naming the file when it is opened, instead of a std::filesystem exception.
bool isFile(const std::string& path)
{
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

} // namespace

HfCheckpoint::HfCheckpoint(const std::string& dir)
    : m_dir(dir)
{
    const std::string configPath = dir + "/config.json";
    if (!isFile(configPath))
        throw Error(ErrorCode::MissingField, configPath, "config.json", "checkpoint folder has no config.json");
    m_config = std::make_unique<nlohmann::json>(readJsonFile(configPath));
    if (!m_config->is_object())
        throw Error(ErrorCode::BadValue, configPath, "config.json", "not a JSON object");

    const std::string genPath = dir + "/generation_config.json";
    m_generationConfig = std::make_unique<nlohmann::json>(
        isFile(genPath) ? readJsonFile(genPath) : nlohmann::json::object());
    if (!m_generationConfig->is_object())
        throw Error(ErrorCode::BadValue, genPath, "generation_config.json", "not a JSON object");

    const std::string indexPath = dir + "/" + kIndexName;
    const std::string singlePath = dir + "/model.safetensors";
    std::map<std::string, std::vector<std::string>> tensorsOfShard; // sorted: shard order is stable
    std::map<std::string, std::string> shardOfTensor;
    if (isFile(indexPath)) {
        const nlohmann::json index = readJsonFile(indexPath);
        if (!index.is_object() || !index.contains("weight_map"))
            throw Error(ErrorCode::MissingField, indexPath, "weight_map", "index has no weight_map");
        const nlohmann::json& weightMap = index["weight_map"];
        if (!weightMap.is_object())
            throw Error(ErrorCode::BadValue, indexPath, "weight_map", "not an object");
        for (const auto& [tensor, shard] : weightMap.items()) {
            if (!shard.is_string() || !isPlainFileName(shard.get<std::string>()))
                throw Error(ErrorCode::BadValue, indexPath, "weight_map." + tensor,
                            "shard must be a file name in the checkpoint folder");
            tensorsOfShard[shard.get<std::string>()].push_back(tensor);
            shardOfTensor[tensor] = shard.get<std::string>();
        }
    } else if (isFile(singlePath)) {
        tensorsOfShard["model.safetensors"] = {}; // every tensor of the one file
    } else {
        throw Error(ErrorCode::MissingField, dir, "model.safetensors",
                    "checkpoint folder has neither model.safetensors nor " + std::string(kIndexName));
    }

    for (const auto& [shardName, listed] : tensorsOfShard) {
        const size_t shardIndex = m_shards.size();
        m_shards.push_back(std::make_unique<SafetensorsFile>(dir + "/" + shardName));
        const SafetensorsFile& shard = *m_shards.back();
        for (const std::string& name : listed)
            if (!shard.has(name))
                throw Error(ErrorCode::MissingField, shard.path(), "tensor " + name,
                            std::string("listed in ") + kIndexName + " but missing from " + shardName);
        // File order within a shard; with an index only the tensors it lists count.
        for (const TensorEntry& e : shard.tensorEntries()) {
            if (!shardOfTensor.empty()) {
                auto it = shardOfTensor.find(e.name);
                if (it == shardOfTensor.end() || it->second != shardName)
                    continue;
            }
            m_shardOf.emplace(e.name, shardIndex);
            m_entries.push_back(e);
            m_totalTensorBytes += e.bytes;
        }
    }
}

HfCheckpoint::~HfCheckpoint() = default;

bool HfCheckpoint::has(const std::string& name) const { return m_shardOf.count(name) != 0; }

RawTensor HfCheckpoint::raw(const std::string& name) const
{
    auto it = m_shardOf.find(name);
    if (it == m_shardOf.end())
        throw Error(ErrorCode::MissingField, m_dir, "tensor " + name, "no such tensor");
    return m_shards[it->second]->raw(name);
}

WeightView HfCheckpoint::weight(const std::string& name) const
{
    auto it = m_shardOf.find(name);
    if (it == m_shardOf.end())
        throw Error(ErrorCode::MissingField, m_dir, "tensor " + name, "no such tensor");
    return m_shards[it->second]->weight(name);
}

} // namespace moe
