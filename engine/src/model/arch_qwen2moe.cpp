// Qwen2-MoE (Qwen1.5-MoE-A2.7B, Qwen2-57B-A14B): q/k/v biases, softmax router WITHOUT
// renormalisation (norm_topk_prob=false), and a shared expert whose output is scaled by
// sigmoid(shared_expert_gate · x).
#include "hf_names.h"
#include "spec_readers.h"

#include <nlohmann/json.hpp>

namespace moe {
namespace {

const detail::QwenStyleMoeKeys kMoeKeys{"moe_intermediate_size", /*normTopkDefault=*/false, true};

void fromHf(ModelSpec& s, const nlohmann::json& c, const std::string& file)
{
    detail::readCommonHfFields(s, c, file);
    detail::readQwenStyleMoeFields(s, c, file, kMoeKeys);
    s.sharedExpertIntermediateSize = detail::jsonIntOr(c, "shared_expert_intermediate_size", 0, file);
    s.numSharedExperts = s.sharedExpertIntermediateSize > 0 ? 1 : 0;
    s.sharedExpertGate = s.numSharedExperts > 0;
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
    detail::writeQwenStyleMoeFields(c, s, kMoeKeys);
    c["shared_expert_intermediate_size"] = s.sharedExpertIntermediateSize;
}

} // namespace

const Architecture& qwen2MoeArchitecture()
{
    static const Architecture a{"qwen2moe", "Qwen2-MoE", {"Qwen2MoeForCausalLM"}, {"qwen2moe"}, true,
                                fromHf, fromGguf, hfName, addHfFields};
    return a;
}

} // namespace moe
