#include "model_files.h"

#include "model/hf_quantization.h"
#include "moe/architecture.h"
#include "moe/error.h"
#include "moe/gguf.h"
#include "moe/safetensors.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace moe {

const char* modelFormatName(ModelFormat f) { return f == ModelFormat::Gguf ? "gguf" : "safetensors"; }

namespace {

bool startsWithGgufMagic(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

// Expert tensors are read top-k of E per token; the embedding table one row per token.
bool isRoutedExpertTensor(const std::string& name)
{
    return name.find("_exps.") != std::string::npos || name.find(".experts.") != std::string::npos ||
           name.find("block_sparse_moe.experts") != std::string::npos ||
           (name.rfind("blk.", 0) == 0 && (name.find(".ffn_gate.") != std::string::npos ||
                                           name.find(".ffn_up.") != std::string::npos ||
                                           name.find(".ffn_down.") != std::string::npos) &&
            std::count(name.begin(), name.end(), '.') == 4);
}

} // namespace

void addWeightTotals(ModelInfo& info, const OpenedModel& m)
{
    const int64_t k = std::max<int64_t>(m.spec.numExpertsPerToken, 1);
    const int64_t e = std::max<int64_t>(m.spec.numExperts, 1);
    info.weightBytes = info.activeWeightBytesPerToken = 0;
    const std::vector<TensorEntry>& entries = m.source->tensorEntries();
    for (size_t i = 0; i < entries.size(); ++i) {
        const TensorEntry& t = entries[i];
        const ModelInfo::Tensor& shown = info.tensors[i];
        const uint64_t bytes = shown.loadedType.empty() ? t.bytes : shown.loadedBytes;
        info.weightBytes += bytes;
        const bool embedding = t.name == "token_embd.weight" || t.name == "model.embed_tokens.weight";
        if (embedding && !m.spec.tieWordEmbeddings && t.shape.rank == 2 && t.shape[0] > 0)
            info.activeWeightBytesPerToken += bytes / uint64_t(t.shape[0]);
        else if (isRoutedExpertTensor(t.name))
            info.activeWeightBytesPerToken += bytes * uint64_t(k) / uint64_t(e);
        else
            info.activeWeightBytesPerToken += bytes;
    }
}

OpenedModel openModelFiles(const std::string& path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw Error(ErrorCode::Io, path, "", "no such file or folder");
    OpenedModel m;
    fs::path p(path);
    if (fs::is_regular_file(p, ec) && (p.extension() == ".gguf" || startsWithGgufMagic(path))) {
        auto gguf = std::make_unique<GgufFile>(path);
        m.format = ModelFormat::Gguf;
        m.spec = specFromGguf(*gguf);
        m.randomWeights = gguf->findBool("general.moe_workbench.random_weights").value_or(false);
        m.gguf = gguf.get();
        m.source = std::move(gguf);
    } else {
        // A Hugging Face folder, or a file inside one (config.json, a shard).
        const fs::path dir = fs::is_directory(p, ec) ? p : p.parent_path();
        auto hf = std::make_unique<HfCheckpoint>(dir.string());
        m.format = ModelFormat::Safetensors;
        m.spec = specFromHfConfig(hf->config(), (dir / "config.json").string());
        const auto& cfg = hf->config();
        m.randomWeights = cfg.contains("moe_workbench_random_weights") && cfg["moe_workbench_random_weights"].is_boolean() &&
                          cfg["moe_workbench_random_weights"].get<bool>();
        if (m.spec.name.empty() || m.spec.name == architectureFor(m.spec).displayName)
            m.spec.name = dir.filename().string();
        m.hf = hf.get();
        // AWQ / GPTQ / FP8 checkpoints: their quantized layers read as F16 tensors.
        if (auto quant = parseHfQuantization(cfg, (dir / "config.json").string())) {
            m.checkpointQuantization = quant->label();
            m.source = std::make_unique<QuantizedHfCheckpoint>(std::move(hf), *quant);
        } else {
            m.source = std::move(hf);
        }
    }
    return m;
}

ModelInfo describeModel(const std::string& path, const OpenedModel& m)
{
    ModelInfo info;
    info.path = path;
    info.format = m.format;
    info.spec = m.spec;
    const Architecture& arch = architectureFor(m.spec);
    info.architectureName = arch.displayName;
    info.runnable = arch.runnable;
    info.randomWeights = m.randomWeights;
    info.checkpointQuantization = m.checkpointQuantization;
    for (const TensorEntry& t : m.source->tensorEntries())
        info.tensors.push_back({t.name, t.typeName, t.shape.toString(), t.bytes, t.dtype.has_value(), {}, 0});
    addWeightTotals(info, m);
    info.kvBytesPerToken = uint64_t(m.spec.kvBytesPerToken(4.0));
    return info;
}

void applyLoadQuantization(ModelInfo& info, const OpenedModel& m, const std::vector<TensorQuantization>& plan,
                           const QuantizeOptions& options)
{
    for (size_t i = 0; i < plan.size() && i < info.tensors.size(); ++i) {
        const TensorQuantization& q = plan[i];
        if (q.decision != QuantDecision::Quantized && q.decision != QuantDecision::Fallback)
            continue;
        std::string type = dtypeName(q.stored);
        for (char& c : type)
            c = char(std::toupper(static_cast<unsigned char>(c)));
        info.tensors[i].loadedType = type;
        info.tensors[i].loadedBytes = q.storedBytes;
    }
    addWeightTotals(info, m);
    info.quantizedAtLoad = summarizeQuantization(plan, options);
}

namespace {

std::string dominantType(const ModelInfo& info, bool loaded)
{
    std::map<std::string, uint64_t> bytes;
    for (const auto& t : info.tensors) {
        if (loaded && !t.loadedType.empty())
            bytes[t.loadedType] += t.loadedBytes;
        else
            bytes[t.type] += t.bytes;
    }
    std::string best;
    uint64_t most = 0;
    for (const auto& [type, b] : bytes)
        if (b > most) {
            most = b;
            best = type;
        }
    return best;
}

} // namespace

std::string dominantTensorType(const ModelInfo& info) { return dominantType(info, true); }
std::string dominantFileTensorType(const ModelInfo& info) { return dominantType(info, false); }

std::string resolveModelPath(const std::string& path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw Error(ErrorCode::Io, path, "", "no such file or directory");
    if (!fs::is_directory(path, ec) || fs::exists(fs::path(path) / "config.json", ec))
        return path;
    // `moe make-model --out DIR` writes DIR/model.gguf and DIR/hf/.
    if (fs::exists(fs::path(path) / "model.gguf", ec))
        return (fs::path(path) / "model.gguf").string();
    if (fs::exists(fs::path(path) / "hf" / "config.json", ec))
        return (fs::path(path) / "hf").string();
    return path;
}

ModelInfo inspectModel(const std::string& path)
{
    OpenedModel m = openModelFiles(path);
    return describeModel(path, m);
}

} // namespace moe
