#include "spec_readers.h"

#include "moe/error.h"

#include <cmath>

namespace moe::detail {

namespace {

const nlohmann::json* member(const nlohmann::json& j, const char* key)
{
    if (!j.is_object())
        return nullptr;
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return nullptr;
    return &*it;
}

} // namespace

int64_t jsonInt(const nlohmann::json& j, const char* key, const std::string& file)
{
    const nlohmann::json* v = member(j, key);
    if (!v)
        throw Error(ErrorCode::MissingField, file, key, "required field is missing");
    if (v->is_number_integer())
        return v->get<int64_t>();
    if (v->is_number_float()) {
        const double d = v->get<double>();
        if (std::floor(d) == d && std::fabs(d) < 9e15)
            return int64_t(d);
    }
    throw Error(ErrorCode::BadValue, file, key, "expected an integer, got " + v->dump());
}

int64_t jsonIntOr(const nlohmann::json& j, const char* key, int64_t fallback, const std::string& file)
{
    return member(j, key) ? jsonInt(j, key, file) : fallback;
}

double jsonFloatOr(const nlohmann::json& j, const char* key, double fallback, const std::string& file)
{
    const nlohmann::json* v = member(j, key);
    if (!v)
        return fallback;
    if (!v->is_number())
        throw Error(ErrorCode::BadValue, file, key, "expected a number, got " + v->dump());
    return v->get<double>();
}

bool jsonBoolOr(const nlohmann::json& j, const char* key, bool fallback, const std::string& file)
{
    const nlohmann::json* v = member(j, key);
    if (!v)
        return fallback;
    if (!v->is_boolean())
        throw Error(ErrorCode::BadValue, file, key, "expected true or false, got " + v->dump());
    return v->get<bool>();
}

std::optional<std::string> jsonString(const nlohmann::json& j, const char* key, const std::string& file)
{
    const nlohmann::json* v = member(j, key);
    if (!v)
        return std::nullopt;
    if (!v->is_string())
        throw Error(ErrorCode::BadValue, file, key, "expected a string, got " + v->dump());
    return v->get<std::string>();
}

void readCommonHfFields(ModelSpec& spec, const nlohmann::json& config, const std::string& file)
{
    spec.vocabSize = jsonInt(config, "vocab_size", file);
    spec.hiddenSize = jsonInt(config, "hidden_size", file);
    spec.numLayers = jsonInt(config, "num_hidden_layers", file);
    spec.numHeads = jsonInt(config, "num_attention_heads", file);
    spec.numKvHeads = jsonIntOr(config, "num_key_value_heads", spec.numHeads, file);
    spec.headDim = jsonIntOr(config, "head_dim", spec.numHeads > 0 ? spec.hiddenSize / spec.numHeads : 0, file);
    spec.maxContext = jsonIntOr(config, "max_position_embeddings", 4096, file);
    spec.rmsNormEps = jsonFloatOr(config, "rms_norm_eps", 1e-6, file);
    spec.ropeTheta = jsonFloatOr(config, "rope_theta", 10000.0, file);
    spec.tieWordEmbeddings = jsonBoolOr(config, "tie_word_embeddings", false, file);
    spec.intermediateSize = jsonIntOr(config, "intermediate_size", 0, file);
    spec.bosTokenId = jsonIntOr(config, "bos_token_id", -1, file);
    if (const auto it = config.find("eos_token_id"); it != config.end() && !it->is_null()) {
        if (it->is_array()) {
            for (const auto& e : *it) {
                if (!e.is_number_integer())
                    throw Error(ErrorCode::BadValue, file, "eos_token_id", "expected integers, got " + e.dump());
                spec.eosTokenIds.push_back(e.get<int64_t>());
            }
        } else {
            spec.eosTokenIds.push_back(jsonInt(config, "eos_token_id", file));
        }
    }
    if (auto name = jsonString(config, "_name_or_path", file))
        spec.name = *name;
}

void readCommonGgufFields(ModelSpec& spec, const GgufFile& gguf, const std::string& arch)
{
    const std::string p = arch + ".";
    spec.hiddenSize = gguf.getInt(p + "embedding_length");
    spec.numLayers = gguf.getInt(p + "block_count");
    spec.numHeads = gguf.getInt(p + "attention.head_count");
    spec.numKvHeads = gguf.findInt(p + "attention.head_count_kv").value_or(spec.numHeads);
    spec.headDim = gguf.findInt(p + "attention.key_length").value_or(spec.numHeads > 0 ? spec.hiddenSize / spec.numHeads : 0);
    spec.maxContext = gguf.findInt(p + "context_length").value_or(4096);
    spec.rmsNormEps = gguf.findFloat(p + "attention.layer_norm_rms_epsilon").value_or(1e-5);
    spec.ropeTheta = gguf.findFloat(p + "rope.freq_base").value_or(10000.0);
    spec.intermediateSize = gguf.findInt(p + "feed_forward_length").value_or(0);
    spec.numExperts = gguf.findInt(p + "expert_count").value_or(0);
    spec.numExpertsPerToken = gguf.findInt(p + "expert_used_count").value_or(0);
    spec.moeIntermediateSize = gguf.findInt(p + "expert_feed_forward_length").value_or(spec.intermediateSize);
    if (const auto rot = gguf.findInt(p + "rope.dimension_count"); rot && *rot != spec.headDim)
        spec.rotaryDim = *rot;
    if (const auto norm = gguf.findBool(p + "expert_weights_norm"))
        spec.normTopkProb = *norm;
    // The vocabulary size is the embedding's row count when the key is absent.
    if (const auto v = gguf.findInt(p + "vocab_size")) {
        spec.vocabSize = *v;
    } else if (const GgufValue* tokens = gguf.find("tokenizer.ggml.tokens")) {
        spec.vocabSize = int64_t(tokens->arrayLength);
    }
    for (const TensorEntry& e : gguf.tensorEntries())
        if (e.name == "token_embd.weight" && e.shape.rank == 2)
            spec.vocabSize = e.shape[0];
    spec.tieWordEmbeddings = !gguf.has("output.weight");
    if (const auto name = gguf.findString("general.name"))
        spec.name = *name;
    if (const auto bos = gguf.findInt("tokenizer.ggml.bos_token_id"))
        spec.bosTokenId = *bos;
    if (const auto eos = gguf.findInt("tokenizer.ggml.eos_token_id"))
        spec.eosTokenIds = {*eos};
}

void readQwenStyleMoeFields(ModelSpec& s, const nlohmann::json& c, const std::string& file, const QwenStyleMoeKeys& keys)
{
    s.numExperts = jsonInt(c, "num_experts", file);
    s.numExpertsPerToken = jsonInt(c, "num_experts_per_tok", file);
    s.moeIntermediateSize = jsonInt(c, keys.expertFfnKey, file);
    s.normTopkProb = jsonBoolOr(c, "norm_topk_prob", keys.normTopkDefault, file);
    if (keys.hasSparseStep)
        s.moeLayerFrequency = jsonIntOr(c, "decoder_sparse_step", 1, file);
}

void writeQwenStyleMoeFields(nlohmann::json& c, const ModelSpec& s, const QwenStyleMoeKeys& keys)
{
    c["num_experts"] = s.numExperts;
    c["num_experts_per_tok"] = s.numExpertsPerToken;
    c["norm_topk_prob"] = s.normTopkProb;
    if (keys.hasSparseStep) {
        c["decoder_sparse_step"] = s.moeLayerFrequency;
        c["intermediate_size"] = s.intermediateSize > 0 ? s.intermediateSize : s.moeIntermediateSize;
    }
    c[keys.expertFfnKey] = s.moeIntermediateSize;
    c["hidden_act"] = "silu";
}

} // namespace moe::detail
