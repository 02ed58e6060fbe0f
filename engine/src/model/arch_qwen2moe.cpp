// Qwen2-MoE (Qwen1.5-MoE-A2.7B, Qwen2-57B-A14B): q/k/v biases, softmax router WITHOUT
// renormalisation (norm_topk_prob=false), and a shared expert whose output is scaled by
// sigmoid(shared_expert_gate · x).
#include "hf_names.h"
#include "spec_readers.h"

#include <nlohmann/json.hpp>

namespace moe {
namespace {

void fromHf(ModelSpec& s, const nlohmann::json& c, const std::string& file)
{
    detail::readCommonHfFields(s, c, file);
    s.numExperts = detail::jsonInt(c, "num_experts", file);
    s.numExpertsPerToken = detail::jsonInt(c, "num_experts_per_tok", file);
    s.moeIntermediateSize = detail::jsonInt(c, "moe_intermediate_size", file);
    s.sharedExpertIntermediateSize = detail::jsonIntOr(c, "shared_expert_intermediate_size", 0, file);
    s.numSharedExperts = s.sharedExpertIntermediateSize > 0 ? 1 : 0;
    s.sharedExpertGate = s.numSharedExperts > 0;
    s.normTopkProb = detail::jsonBoolOr(c, "norm_topk_prob", false, file);
    s.moeLayerFrequency = detail::jsonIntOr(c, "decoder_sparse_step", 1, file);
    s.attentionBias = true;
    if (s.name.empty())
        s.name = "Qwen2-MoE";
}

void fromGguf(ModelSpec& s, const GgufFile& g)
{
    detail::readCommonGgufFields(s, g, "qwen2moe");
    s.sharedExpertIntermediateSize = g.findInt("qwen2moe.expert_shared_feed_forward_length").value_or(0);
    s.numSharedExperts = s.sharedExpertIntermediateSize > 0 ? 1 : 0;
    s.sharedExpertGate = s.numSharedExperts > 0;
    s.normTopkProb = g.findBool("qwen2moe.expert_weights_norm").value_or(false);
    s.attentionBias = true;
}

std::string hfName(TensorRole role, int64_t layer, int64_t expert)
{
    const std::string m = "model.layers." + std::to_string(layer) + ".mlp.";
    switch (role) {
    case TensorRole::SharedGate: return m + "shared_expert.gate_proj.weight";
    case TensorRole::SharedUp: return m + "shared_expert.up_proj.weight";
    case TensorRole::SharedDown: return m + "shared_expert.down_proj.weight";
    case TensorRole::SharedExpertGate: return m + "shared_expert_gate.weight";
    default: return detail::hfMlpExpertName(role, layer, expert);
    }
}

void addHfFields(nlohmann::json& c, const ModelSpec& s)
{
    c["num_experts"] = s.numExperts;
    c["num_experts_per_tok"] = s.numExpertsPerToken;
    c["moe_intermediate_size"] = s.moeIntermediateSize;
    c["shared_expert_intermediate_size"] = s.sharedExpertIntermediateSize;
    c["norm_topk_prob"] = s.normTopkProb;
    c["decoder_sparse_step"] = s.moeLayerFrequency;
    c["intermediate_size"] = s.intermediateSize > 0 ? s.intermediateSize : s.moeIntermediateSize;
    c["hidden_act"] = "silu";
}

} // namespace

const Architecture& qwen2MoeArchitecture()
{
    static const Architecture a{"qwen2moe", "Qwen2-MoE", {"Qwen2MoeForCausalLM"}, {"qwen2moe"}, true,
                                fromHf, fromGguf, hfName, addHfFields};
    return a;
}

} // namespace moe
