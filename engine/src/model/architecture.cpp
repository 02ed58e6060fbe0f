#include "moe/architecture.h"

#include "moe/error.h"
#include "moe/gguf.h"

#include <cstring>
#include <nlohmann/json.hpp>

namespace moe {

// Each family lives in its own arch_*.cpp and hands its description to the registry.
const Architecture& mixtralArchitecture();
const Architecture& qwen2MoeArchitecture();
const Architecture& qwen3MoeArchitecture();
const Architecture& olmoeArchitecture();
const Architecture& deepseek2Architecture();
const Architecture& deepseek3Architecture();

const std::vector<const Architecture*>& architectures()
{
    static const std::vector<const Architecture*> all = {
        &mixtralArchitecture(), &qwen2MoeArchitecture(), &qwen3MoeArchitecture(),
        &olmoeArchitecture(),   &deepseek2Architecture(), &deepseek3Architecture(),
    };
    return all;
}

const Architecture* findArchitectureByKey(const std::string& key)
{
    for (const Architecture* a : architectures())
        if (a->key == key)
            return a;
    return nullptr;
}

const Architecture& architectureFor(const ModelSpec& spec)
{
    if (const Architecture* a = findArchitectureByKey(spec.architecture))
        return *a;
    throw Error(ErrorCode::UnsupportedArch, spec.name, "architecture", "unknown architecture '" + spec.architecture + "'");
}

ModelSpec specFromHfConfig(const nlohmann::json& config, const std::string& file)
{
    if (!config.is_object())
        throw Error(ErrorCode::BadJson, file, "", "config.json must hold a JSON object");
    std::vector<std::string> names;
    if (auto it = config.find("architectures"); it != config.end() && it->is_array())
        for (const auto& n : *it)
            if (n.is_string())
                names.push_back(n.get<std::string>());
    if (names.empty())
        throw Error(ErrorCode::MissingField, file, "architectures", "config.json names no architecture");
    for (const Architecture* a : architectures()) {
        for (const std::string& cls : a->hfClassNames) {
            for (const std::string& n : names) {
                if (n != cls)
                    continue;
                ModelSpec spec;
                spec.architecture = a->key;
                a->specFromHfConfig(spec, config, file);
                spec.validate(file);
                return spec;
            }
        }
    }
    throw Error(ErrorCode::UnsupportedArch, file, "architectures",
                "unsupported architecture '" + names.front() +
                    "' (supported: MixtralForCausalLM, Qwen2MoeForCausalLM, Qwen3MoeForCausalLM, OlmoeForCausalLM, "
                    "DeepseekV2ForCausalLM, DeepseekV3ForCausalLM)");
}

ModelSpec specFromGguf(const GgufFile& gguf)
{
    const std::string arch = gguf.getString("general.architecture");
    for (const Architecture* a : architectures()) {
        for (const std::string& g : a->ggufNames) {
            if (g != arch)
                continue;
            ModelSpec spec;
            spec.architecture = a->key;
            a->specFromGguf(spec, gguf);
            spec.validate(gguf.path());
            return spec;
        }
    }
    throw Error(ErrorCode::UnsupportedArch, gguf.path(), "general.architecture",
                "unsupported architecture '" + arch + "' (supported: llama with experts (Mixtral), qwen2moe, qwen3moe, "
                "olmoe, deepseek2)");
}

std::string ggufTensorName(TensorRole role, int64_t layer)
{
    const std::string b = "blk." + std::to_string(layer) + ".";
    switch (role) {
    case TensorRole::TokenEmbedding: return "token_embd.weight";
    case TensorRole::OutputNorm: return "output_norm.weight";
    case TensorRole::LmHead: return "output.weight";
    case TensorRole::AttnNorm: return b + "attn_norm.weight";
    case TensorRole::AttnQ: return b + "attn_q.weight";
    case TensorRole::AttnK: return b + "attn_k.weight";
    case TensorRole::AttnV: return b + "attn_v.weight";
    case TensorRole::AttnOutput: return b + "attn_output.weight";
    case TensorRole::AttnQBias: return b + "attn_q.bias";
    case TensorRole::AttnKBias: return b + "attn_k.bias";
    case TensorRole::AttnVBias: return b + "attn_v.bias";
    case TensorRole::AttnQNorm: return b + "attn_q_norm.weight";
    case TensorRole::AttnKNorm: return b + "attn_k_norm.weight";
    case TensorRole::FfnNorm: return b + "ffn_norm.weight";
    case TensorRole::Router: return b + "ffn_gate_inp.weight";
    case TensorRole::ExpertGate: return b + "ffn_gate_exps.weight";
    case TensorRole::ExpertUp: return b + "ffn_up_exps.weight";
    case TensorRole::ExpertDown: return b + "ffn_down_exps.weight";
    case TensorRole::SharedGate: return b + "ffn_gate_shexp.weight";
    case TensorRole::SharedUp: return b + "ffn_up_shexp.weight";
    case TensorRole::SharedDown: return b + "ffn_down_shexp.weight";
    case TensorRole::SharedExpertGate: return b + "ffn_gate_inp_shexp.weight";
    case TensorRole::DenseGate: return b + "ffn_gate.weight";
    case TensorRole::DenseUp: return b + "ffn_up.weight";
    case TensorRole::DenseDown: return b + "ffn_down.weight";
    }
    return {};
}

std::string ggufLegacyExpertName(TensorRole role, int64_t layer, int64_t expert)
{
    const std::string b = "blk." + std::to_string(layer) + ".";
    const std::string e = "." + std::to_string(expert) + ".weight";
    switch (role) {
    case TensorRole::ExpertGate: return b + "ffn_gate" + e;
    case TensorRole::ExpertUp: return b + "ffn_up" + e;
    case TensorRole::ExpertDown: return b + "ffn_down" + e;
    default: return ggufTensorName(role, layer);
    }
}

std::string ggufArchName(const ModelSpec& spec)
{
    const Architecture& a = architectureFor(spec);
    return a.ggufNames.front();
}

void writeGgufSpec(GgufWriter& w, const ModelSpec& s)
{
    const std::string arch = ggufArchName(s);
    const std::string p = arch + ".";
    w.setString("general.architecture", arch);
    if (!s.name.empty())
        w.setString("general.name", s.name);
    w.setUint32(p + "vocab_size", uint32_t(s.vocabSize));
    w.setUint32(p + "context_length", uint32_t(s.maxContext));
    w.setUint32(p + "embedding_length", uint32_t(s.hiddenSize));
    w.setUint32(p + "block_count", uint32_t(s.numLayers));
    w.setUint32(p + "feed_forward_length", uint32_t(s.intermediateSize > 0 ? s.intermediateSize : s.moeIntermediateSize));
    w.setUint32(p + "attention.head_count", uint32_t(s.numHeads));
    w.setUint32(p + "attention.head_count_kv", uint32_t(s.numKvHeads));
    w.setUint32(p + "attention.key_length", uint32_t(s.headDim));
    w.setUint32(p + "attention.value_length", uint32_t(s.headDim));
    w.setUint32(p + "rope.dimension_count", uint32_t(s.effectiveRotaryDim()));
    w.setFloat32(p + "rope.freq_base", float(s.ropeTheta));
    w.setFloat32(p + "attention.layer_norm_rms_epsilon", float(s.rmsNormEps));
    if (s.isMoe()) {
        w.setUint32(p + "expert_count", uint32_t(s.numExperts));
        w.setUint32(p + "expert_used_count", uint32_t(s.numExpertsPerToken));
        w.setUint32(p + "expert_feed_forward_length", uint32_t(s.moeIntermediateSize));
        w.setBool(p + "expert_weights_norm", s.normTopkProb);
        if (s.numSharedExperts > 0)
            w.setUint32(p + "expert_shared_feed_forward_length", uint32_t(s.sharedExpertIntermediateSize));
    }
}

nlohmann::json hfConfigFor(const ModelSpec& s)
{
    const Architecture& a = architectureFor(s);
    nlohmann::json c;
    c["architectures"] = {a.hfClassNames.front()};
    c["model_type"] = a.key;
    c["vocab_size"] = s.vocabSize;
    c["hidden_size"] = s.hiddenSize;
    c["num_hidden_layers"] = s.numLayers;
    c["num_attention_heads"] = s.numHeads;
    c["num_key_value_heads"] = s.numKvHeads;
    c["head_dim"] = s.headDim;
    c["max_position_embeddings"] = s.maxContext;
    c["rms_norm_eps"] = s.rmsNormEps;
    c["rope_theta"] = s.ropeTheta;
    c["tie_word_embeddings"] = s.tieWordEmbeddings;
    c["torch_dtype"] = "float32";
    if (s.bosTokenId >= 0)
        c["bos_token_id"] = s.bosTokenId;
    if (!s.eosTokenIds.empty())
        c["eos_token_id"] = s.eosTokenIds.size() == 1 ? nlohmann::json(s.eosTokenIds.front()) : nlohmann::json(s.eosTokenIds);
    a.addHfConfigFields(c, s);
    return c;
}

void permuteQkRowsForGguf(std::vector<uint8_t>& rows, int64_t heads, int64_t headDim, uint64_t rowBytes)
{
    std::vector<uint8_t> head(uint64_t(headDim) * rowBytes);
    const int64_t half = headDim / 2;
    for (int64_t h = 0; h < heads; ++h) {
        uint8_t* base = rows.data() + uint64_t(h * headDim) * rowBytes;
        for (int64_t i = 0; i < half; ++i) {
            std::memcpy(head.data() + uint64_t(2 * i) * rowBytes, base + uint64_t(i) * rowBytes, rowBytes);
            std::memcpy(head.data() + uint64_t(2 * i + 1) * rowBytes, base + uint64_t(i + half) * rowBytes, rowBytes);
        }
        std::memcpy(base, head.data(), head.size());
    }
}

} // namespace moe
