// Mixtral (MixtralForCausalLM; GGUF arch `llama` with expert_count).
// Router: softmax over the top-k logits, i.e. softmax over all experts renormalised
// over the chosen k. No biases, no q/k norm. llama.cpp's converter permutes Q/K rows
// for the `llama` arch, so GGUF files use interleaved RoPE and HF files rotate-half.
#include "hf_names.h"
#include "spec_readers.h"

#include "moe/error.h"

#include <nlohmann/json.hpp>

namespace moe {
namespace {

void fromHf(ModelSpec& s, const nlohmann::json& c, const std::string& file)
{
    detail::readCommonHfFields(s, c, file);
    s.numExperts = detail::jsonInt(c, "num_local_experts", file);
    s.numExpertsPerToken = detail::jsonInt(c, "num_experts_per_tok", file);
    s.moeIntermediateSize = detail::jsonInt(c, "intermediate_size", file);
    s.normTopkProb = true;
    s.ropeLayout = RopeLayout::NeoX;
    if (s.name.empty())
        s.name = "Mixtral";
}

void fromGguf(ModelSpec& s, const GgufFile& g)
{
    detail::readCommonGgufFields(s, g, "llama");
    if (s.numExperts <= 0)
        throw Error(ErrorCode::UnsupportedArch, g.path(), "llama.expert_count",
                    "dense llama models are not supported; this engine runs Mixture-of-Experts models");
    s.moeIntermediateSize = g.findInt("llama.expert_feed_forward_length").value_or(s.intermediateSize);
    s.normTopkProb = g.findBool("llama.expert_weights_norm").value_or(true);
    s.ropeLayout = RopeLayout::Interleaved;
}

std::string hfName(TensorRole role, int64_t layer, int64_t expert)
{
    const std::string b = "model.layers." + std::to_string(layer) + ".block_sparse_moe.";
    const std::string e = b + "experts." + std::to_string(expert) + ".";
    switch (role) {
    case TensorRole::Router: return b + "gate.weight";
    case TensorRole::ExpertGate: return e + "w1.weight";
    case TensorRole::ExpertDown: return e + "w2.weight";
    case TensorRole::ExpertUp: return e + "w3.weight";
    default: return detail::hfCommonTensorName(role, layer);
    }
}

void addHfFields(nlohmann::json& c, const ModelSpec& s)
{
    c["num_local_experts"] = s.numExperts;
    c["num_experts_per_tok"] = s.numExpertsPerToken;
    c["intermediate_size"] = s.moeIntermediateSize;
    c["hidden_act"] = "silu";
}

} // namespace

const Architecture& mixtralArchitecture()
{
    static const Architecture a{"mixtral", "Mixtral", {"MixtralForCausalLM"}, {"llama"}, true,
                                fromHf, fromGguf, hfName, addHfFields};
    return a;
}

} // namespace moe
