// safetensors writer and the sharded checkpoint layout Hugging Face uses
// (model-00001-of-00003.safetensors + model.safetensors.index.json).
#include "moe/safetensors.h"

#include "model/atomic_file.h"
#include "model/safetensors_dtype.h"
#include "moe/error.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace moe {

namespace {

[[noreturn]] void invalid(const std::string& field, const std::string& detail)
{
    throw Error(ErrorCode::InvalidArgument, "", field, detail);
}

} // namespace

void SafetensorsWriter::setMetadata(const std::string& key, const std::string& value) { m_metadata[key] = value; }

void SafetensorsWriter::addTensor(const std::string& name, DType dtype, const Shape& shape, const void* data,
                                  uint64_t bytes)
{
    const char* typeName = detail::safetensorsName(dtype);
    if (!typeName)
        invalid("tensor " + name, std::string("safetensors cannot hold ") + dtypeName(dtype));
    addRawTensor(name, typeName, shape, data, bytes);
}

void SafetensorsWriter::addRawTensor(const std::string& name, const std::string& typeName, const Shape& shape,
                                     const void* data, uint64_t bytes)
{
    const std::string field = "tensor " + name;
    if (name.empty() || name == "__metadata__")
        invalid(field, "reserved or empty tensor name");
    const auto st = detail::safetensorsDType(typeName);
    if (!st)
        invalid(field, "unknown safetensors dtype " + typeName);
    for (const Tensor& t : m_tensors)
        if (t.name == name)
            invalid(field, "duplicate tensor name");
    if (shape.rank < 0 || shape.rank > 4)
        invalid(field, "rank " + std::to_string(shape.rank) + " is outside 0..4");
    uint64_t expected = st->bytes;
    for (int d = 0; d < shape.rank; ++d)
        if (shape[d] < 0 || __builtin_mul_overflow(expected, uint64_t(shape[d]), &expected))
            invalid(field, "bad shape " + shape.toString());
    if (bytes != expected)
        invalid(field, std::to_string(bytes) + " bytes given, shape " + shape.toString() + " in " + typeName
                           + " needs " + std::to_string(expected));
    const auto* p = static_cast<const uint8_t*>(data);
    m_tensors.push_back({name, typeName, shape, std::vector<uint8_t>(p, p + bytes)});
}

uint64_t SafetensorsWriter::dataBytes() const
{
    uint64_t total = 0;
    for (const Tensor& t : m_tensors)
        total += t.data.size();
    return total;
}

void SafetensorsWriter::write(const std::string& path) const
{
    nlohmann::json header = nlohmann::json::object();
    if (!m_metadata.empty())
        header["__metadata__"] = m_metadata;
    uint64_t offset = 0; // tensors lie in insertion order
    for (const Tensor& t : m_tensors) {
        std::vector<int64_t> dims(t.shape.dims.begin(), t.shape.dims.begin() + t.shape.rank);
        header[t.name] = {{"dtype", t.typeName},
                          {"shape", dims},
                          {"data_offsets", {offset, offset + t.data.size()}}};
        offset += t.data.size();
    }
    std::string text = header.dump();
    // Pad with spaces so the buffer starts 8-byte aligned, as the reference writer does.
    text.append((8 - text.size() % 8) % 8, ' ');

    detail::AtomicFile out(path);
    const uint64_t headerBytes = text.size();
    out.write(&headerBytes, 8);
    out.write(text.data(), text.size());
    for (const Tensor& t : m_tensors)
        out.write(t.data.data(), t.data.size());
    out.commit();
}

void writeShardedSafetensors(const std::string& dir, const std::vector<std::pair<std::string, WeightView>>& tensors,
                             uint64_t maxShardBytes)
{
    // Greedy split in the given order; a tensor larger than the limit gets a shard of its own.
    std::vector<size_t> shardOf(tensors.size());
    size_t shards = 0;
    uint64_t fill = 0;
    for (size_t k = 0; k < tensors.size(); ++k) {
        const uint64_t bytes = tensors[k].second.bytes;
        if (shards == 0 || (fill > 0 && fill + bytes > maxShardBytes)) {
            ++shards;
            fill = 0;
        }
        fill += bytes;
        shardOf[k] = shards - 1;
    }
    if (shards == 0)
        shards = 1; // an empty checkpoint is still one (empty) shard

    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        throw Error(ErrorCode::Io, dir, "", "cannot create directory: " + ec.message());

    auto shardName = [shards](size_t index) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", index + 1, shards);
        return std::string(buf);
    };
    nlohmann::json weightMap = nlohmann::json::object();
    uint64_t totalBytes = 0;
    for (size_t s = 0; s < shards; ++s) {
        SafetensorsWriter writer;
        for (size_t k = 0; k < tensors.size(); ++k) {
            if (shardOf[k] != s)
                continue;
            const auto& [name, view] = tensors[k];
            writer.addTensor(name, view.dtype, view.shape, view.data, view.bytes);
            weightMap[name] = shardName(s);
            totalBytes += view.bytes;
        }
        writer.write(dir + "/" + shardName(s));
    }
    const nlohmann::json index = {{"metadata", {{"total_size", totalBytes}}}, {"weight_map", weightMap}};
    const std::string text = index.dump(2) + "\n";
    detail::AtomicFile out(dir + "/model.safetensors.index.json");
    out.write(text.data(), text.size());
    out.commit();
}

} // namespace moe
