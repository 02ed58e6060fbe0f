// Catalog loading: resources/catalog/{models,gpus,interconnects}.json. Every error
// names the file and a JSON path to the field ("models[3].spec.hidden_size").
#include "moe/architecture.h"
#include "moe/error.h"
#include "moe/planner.h"
#include "moe/safetensors.h" // readJsonFile

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace moe {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

// A JSON object and where it sits, so reads can name "gpus[2].memory_gb".
struct Node {
    const json& j;
    std::string file;
    std::string path;

    [[noreturn]] void fail(ErrorCode code, const std::string& key, const std::string& why) const
    {
        throw Error(code, file, path.empty() ? key : path + "." + key, why);
    }
    const json& need(const std::string& key) const
    {
        if (!j.is_object())
            throw Error(ErrorCode::BadValue, file, path, "must be a JSON object");
        auto it = j.find(key);
        if (it == j.end())
            fail(ErrorCode::MissingField, key, "is missing");
        return *it;
    }
    std::string str(const std::string& key) const
    {
        const json& v = need(key);
        if (!v.is_string() || v.get<std::string>().empty())
            fail(ErrorCode::BadValue, key, "must be a non-empty string");
        return v.get<std::string>();
    }
    double number(const std::string& key, double min) const
    {
        const json& v = need(key);
        if (!v.is_number())
            fail(ErrorCode::BadValue, key, "must be a number");
        const double d = v.get<double>();
        if (!(d >= min) || d > 1e15)
            fail(ErrorCode::BadValue, key, "must be at least " + std::to_string(min) + ", got " + std::to_string(d));
        return d;
    }
    int64_t integer(const std::string& key, int64_t fallback, bool required) const
    {
        if (!required && (!j.is_object() || !j.contains(key)))
            return fallback;
        const json& v = need(key);
        if (!v.is_number_integer())
            fail(ErrorCode::BadValue, key, "must be an integer");
        return v.get<int64_t>();
    }
    Node child(const std::string& key) const { return {need(key), file, path.empty() ? key : path + "." + key}; }
    Node at(size_t i) const { return {j.at(i), file, path + "[" + std::to_string(i) + "]"}; }
};

// Every entry carries the provenance of its figures.
void requireProvenance(const Node& n)
{
    n.str("source");
    n.str("date");
}

Node arrayNode(const json& root, const std::string& file, const std::string& key)
{
    Node top{root, file, ""};
    Node arr = top.child(key);
    if (!arr.j.is_array())
        throw Error(ErrorCode::BadValue, file, key, "must be an array");
    return arr;
}

// Families the registry cannot parse (DBRX, Grok-1, gpt-oss, dense Llama): the shapes
// the planner needs, under config.json's key names.
ModelSpec specFromCatalogFields(const Node& n, const std::string& name)
{
    ModelSpec s;
    s.architecture = n.str("architecture");
    s.name = name;
    s.vocabSize = n.integer("vocab_size", 0, true);
    s.hiddenSize = n.integer("hidden_size", 0, true);
    s.numLayers = n.integer("num_hidden_layers", 0, true);
    s.numHeads = n.integer("num_attention_heads", 0, true);
    s.numKvHeads = n.integer("num_key_value_heads", s.numHeads, false);
    s.headDim = n.integer("head_dim", s.numHeads > 0 ? s.hiddenSize / s.numHeads : 0, false);
    s.intermediateSize = n.integer("intermediate_size", 0, false);
    s.moeIntermediateSize = n.integer("moe_intermediate_size", 0, false);
    s.numExperts = n.integer("num_experts", 0, false);
    s.numExpertsPerToken = n.integer("num_experts_per_tok", 0, false);
    s.maxContext = n.integer("max_position_embeddings", 4096, false);
    if (n.j.contains("tie_word_embeddings"))
        s.tieWordEmbeddings = n.need("tie_word_embeddings").is_boolean() && n.need("tie_word_embeddings").get<bool>();
    if (n.j.contains("attention_bias"))
        s.attentionBias = n.need("attention_bias").is_boolean() && n.need("attention_bias").get<bool>();
    return s;
}

Catalog::Model loadModelEntry(const Node& n)
{
    requireProvenance(n);
    Catalog::Model m;
    m.model.key = lower(n.str("key"));
    const std::string name = n.str("name");
    const std::string where = n.file + " (" + n.path + " '" + m.model.key + "')";
    if (n.j.contains("config")) {
        m.model.spec = specFromHfConfig(n.need("config"), where); // validates, errors name the entry
        m.model.spec.name = name;
    } else if (n.j.contains("spec")) {
        const Node spec = n.child("spec");
        m.model.spec = specFromCatalogFields(spec, name);
        m.model.slidingWindow = spec.integer("sliding_window", 0, false);
        m.model.slidingWindowLayers = spec.integer("sliding_window_layers", 0, false);
        if (m.model.slidingWindow < 0 || m.model.slidingWindowLayers < 0 ||
            m.model.slidingWindowLayers > m.model.spec.numLayers)
            spec.fail(ErrorCode::BadValue, "sliding_window_layers", "must be in 0..num_hidden_layers");
        m.model.spec.validate(where);
    } else {
        n.fail(ErrorCode::MissingField, "config", "each model needs 'config' (HF config.json) or 'spec'");
    }
    if (n.j.contains("aliases")) {
        const json& a = n.need("aliases");
        if (!a.is_array())
            n.fail(ErrorCode::BadValue, "aliases", "must be an array of strings");
        for (const json& s : a)
            if (s.is_string())
                m.aliases.push_back(lower(s.get<std::string>()));
    }
    return m;
}

GpuSpec loadGpuEntry(const Node& n)
{
    requireProvenance(n);
    GpuSpec g;
    g.key = lower(n.str("key"));
    g.name = n.str("name");
    const double memoryGb = n.number("memory_gb", 1e-3);
    g.memoryBytes = uint64_t(memoryGb * 1e9);
    g.memoryBandwidthGbPerSecond = n.number("memory_bandwidth_gb_per_second", 1e-3);
    g.tflopsBf16 = n.number("tflops_bf16", 1e-6);
    g.tflopsFp8 = n.number("tflops_fp8", 0);
    g.tflopsInt8 = n.number("tflops_int8", 0);
    g.scaleUpLink = lower(n.str("scale_up_link"));
    g.gpusPerNode = n.integer("gpus_per_node", 8, false);
    if (g.gpusPerNode <= 0)
        n.fail(ErrorCode::BadValue, "gpus_per_node", "must be positive");
    const Node price = n.child("price");
    requireProvenance(price);
    g.usdPerHour = price.number("usd_per_hour", 0);
    return g;
}

InterconnectSpec loadInterconnectEntry(const Node& n)
{
    requireProvenance(n);
    InterconnectSpec ic;
    ic.key = lower(n.str("key"));
    ic.name = n.str("name");
    ic.bandwidthGbPerSecond = n.number("bandwidth_gb_per_second", 1e-6);
    ic.latencyMicroseconds = n.number("latency_us", 0);
    return ic;
}

template <class T, class F>
std::vector<T> loadList(const std::string& directory, const std::string& fileName, const std::string& key, F load)
{
    const std::string file = (fs::path(directory) / fileName).string();
    const json root = readJsonFile(file);
    const Node arr = arrayNode(root, file, key);
    std::vector<T> out;
    for (size_t i = 0; i < arr.j.size(); ++i)
        out.push_back(load(arr.at(i)));
    return out;
}

std::string executableDirectory()
{
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : exe.parent_path().string();
}

} // namespace

double GpuSpec::tflopsFor(ComputeDType dtype) const
{
    switch (dtype) {
    case ComputeDType::FP8:
        return tflopsFp8 > 0 ? tflopsFp8 : tflopsBf16;
    case ComputeDType::INT8:
        return tflopsInt8 > 0 ? tflopsInt8 : tflopsBf16;
    default:
        return tflopsBf16;
    }
}

const Catalog::Model* Catalog::findModel(const std::string& key) const
{
    const std::string k = lower(key);
    for (const Model& m : models)
        if (m.model.key == k || std::find(m.aliases.begin(), m.aliases.end(), k) != m.aliases.end())
            return &m;
    return nullptr;
}

const GpuSpec* Catalog::findGpu(const std::string& key) const
{
    const std::string k = lower(key);
    for (const GpuSpec& g : gpus)
        if (g.key == k)
            return &g;
    return nullptr;
}

const InterconnectSpec* Catalog::findInterconnect(const std::string& key) const
{
    const std::string k = lower(key);
    for (const InterconnectSpec& ic : interconnects)
        if (ic.key == k)
            return &ic;
    return nullptr;
}

Catalog loadCatalog(const std::string& directory)
{
    Catalog c;
    c.directory = directory;
    c.models = loadList<Catalog::Model>(directory, "models.json", "models", loadModelEntry);
    c.gpus = loadList<GpuSpec>(directory, "gpus.json", "gpus", loadGpuEntry);
    c.interconnects = loadList<InterconnectSpec>(directory, "interconnects.json", "interconnects", loadInterconnectEntry);
    const std::string gpuFile = (fs::path(directory) / "gpus.json").string();
    for (size_t i = 0; i < c.gpus.size(); ++i)
        if (!c.findInterconnect(c.gpus[i].scaleUpLink))
            throw Error(ErrorCode::BadValue, gpuFile, "gpus[" + std::to_string(i) + "].scale_up_link",
                        "'" + c.gpus[i].scaleUpLink + "' is not in interconnects.json");
    return c;
}

std::string findCatalogDirectory()
{
    std::vector<std::string> tried;
    auto usable = [&](const fs::path& p) {
        tried.push_back(p.string());
        std::error_code ec;
        return fs::is_regular_file(p / "models.json", ec) && fs::is_regular_file(p / "gpus.json", ec);
    };
    if (const char* env = std::getenv("MOE_CATALOG_DIR"); env && *env) {
        if (usable(env))
            return env;
        throw Error(ErrorCode::Io, env, "MOE_CATALOG_DIR", "holds no models.json / gpus.json");
    }
    if (const std::string exe = executableDirectory(); !exe.empty()) {
        for (const char* rel : {"../share/moe-workbench/catalog", "catalog", "../resources/catalog", "../../resources/catalog"})
            if (usable(fs::path(exe) / rel))
                return (fs::path(exe) / rel).lexically_normal().string();
    }
#ifdef MOE_SOURCE_CATALOG_DIR
    if (usable(MOE_SOURCE_CATALOG_DIR))
        return MOE_SOURCE_CATALOG_DIR;
#endif
    std::string list;
    for (const std::string& t : tried)
        list += (list.empty() ? "" : ", ") + t;
    throw Error(ErrorCode::Io, "models.json", "MOE_CATALOG_DIR", "catalog not found (tried " + list + ")");
}

} // namespace moe
