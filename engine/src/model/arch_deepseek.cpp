// DeepSeek-V2 / V3 (DeepseekV2ForCausalLM, DeepseekV3ForCausalLM; GGUF arch `deepseek2`
// for both). Described for the planner; the engine does not execute MLA yet.
//   - Multi-head latent attention: q through an optional LoRA bottleneck; k/v from a
//     compressed latent of kv_lora_rank plus a shared RoPE key of qk_rope_head_dim.
//   - first_k_dense_replace leading dense layers, then MoE every moe_layer_freq layers.
//   - V2: softmax scores, group_limited_greedy (group score = max); V3: sigmoid scores,
//     e_score_correction_bias used for selection only (noaux_tc, group score = sum of the
//     top-2), renormalised top-k, times routed_scaling_factor.
#include "hf_names.h"
#include "spec_readers.h"

#include "moe/error.h"

#include <nlohmann/json.hpp>

namespace moe {
namespace {

void fromHfCommon(ModelSpec& s, const nlohmann::json& c, const std::string& file)
{
    detail::readCommonHfFields(s, c, file);
    s.numExperts = detail::jsonInt(c, "n_routed_experts", file);
    s.numExpertsPerToken = detail::jsonInt(c, "num_experts_per_tok", file);
    s.moeIntermediateSize = detail::jsonInt(c, "moe_intermediate_size", file);
    s.numSharedExperts = detail::jsonIntOr(c, "n_shared_experts", 0, file);
    s.sharedExpertIntermediateSize = s.numSharedExperts * s.moeIntermediateSize;
    s.firstDenseLayers = detail::jsonIntOr(c, "first_k_dense_replace", 0, file);
    s.moeLayerFrequency = detail::jsonIntOr(c, "moe_layer_freq", 1, file);
    s.numExpertGroups = detail::jsonIntOr(c, "n_group", 1, file);
    s.topkGroups = detail::jsonIntOr(c, "topk_group", 1, file);
    s.routedScalingFactor = detail::jsonFloatOr(c, "routed_scaling_factor", 1.0, file);
    s.qLoraRank = detail::jsonIntOr(c, "q_lora_rank", 0, file);
    s.kvLoraRank = detail::jsonInt(c, "kv_lora_rank", file);
    s.qkNopeHeadDim = detail::jsonInt(c, "qk_nope_head_dim", file);
    s.qkRopeHeadDim = detail::jsonInt(c, "qk_rope_head_dim", file);
    s.vHeadDim = detail::jsonInt(c, "v_head_dim", file);
    s.headDim = s.qkNopeHeadDim + s.qkRopeHeadDim;
    s.rotaryDim = s.qkRopeHeadDim;
    s.ropeLayout = RopeLayout::Interleaved;
    const std::string scoring = detail::jsonString(c, "scoring_func", file).value_or("softmax");
    if (scoring == "sigmoid")
        s.routerScoring = RouterScoring::Sigmoid;
    else if (scoring == "softmax")
        s.routerScoring = RouterScoring::Softmax;
    else
        throw Error(ErrorCode::UnsupportedType, file, "scoring_func", "unknown router scoring '" + scoring + "'");
    s.normTopkProb = detail::jsonBoolOr(c, "norm_topk_prob", false, file);
    s.routerBiasForSelection = detail::jsonString(c, "topk_method", file).value_or("") == "noaux_tc";
}

void fromHfV2(ModelSpec& s, const nlohmann::json& c, const std::string& file)
{
    fromHfCommon(s, c, file);
    if (s.name.empty())
        s.name = "DeepSeek-V2";
}

void fromHfV3(ModelSpec& s, const nlohmann::json& c, const std::string& file)
{
    fromHfCommon(s, c, file);
    if (s.name.empty())
        s.name = "DeepSeek-V3";
}

void fromGguf(ModelSpec& s, const GgufFile& g)
{
    detail::readCommonGgufFields(s, g, "deepseek2");
    s.firstDenseLayers = g.findInt("deepseek2.leading_dense_block_count").value_or(0);
    s.numSharedExperts = g.findInt("deepseek2.expert_shared_count").value_or(0);
    s.sharedExpertIntermediateSize = s.numSharedExperts * s.moeIntermediateSize;
    s.routedScalingFactor = g.findFloat("deepseek2.expert_weights_scale").value_or(1.0);
    s.normTopkProb = g.findBool("deepseek2.expert_weights_norm").value_or(false);
    s.routerScoring = g.findInt("deepseek2.expert_gating_func").value_or(1) == 2 ? RouterScoring::Sigmoid
                                                                                   : RouterScoring::Softmax;
    s.routerBiasForSelection = s.routerScoring == RouterScoring::Sigmoid;
    s.numExpertGroups = g.findInt("deepseek2.expert_group_count").value_or(1);
    s.topkGroups = g.findInt("deepseek2.expert_group_used_count").value_or(1);
    s.qLoraRank = g.findInt("deepseek2.attention.q_lora_rank").value_or(0);
    s.kvLoraRank = g.getInt("deepseek2.attention.kv_lora_rank");
    s.qkRopeHeadDim = g.findInt("deepseek2.rope.dimension_count").value_or(64);
    s.qkNopeHeadDim = s.headDim - s.qkRopeHeadDim;
    s.vHeadDim = g.findInt("deepseek2.attention.value_length").value_or(s.qkNopeHeadDim);
    s.rotaryDim = s.qkRopeHeadDim;
    s.ropeLayout = RopeLayout::Interleaved;
    s.name = g.findString("general.name").value_or(s.routerScoring == RouterScoring::Sigmoid ? "DeepSeek-V3" : "DeepSeek-V2");
}

std::string hfName(TensorRole role, int64_t layer, int64_t expert)
{
    const std::string m = "model.layers." + std::to_string(layer) + ".mlp.";
    switch (role) {
    case TensorRole::SharedGate: return m + "shared_experts.gate_proj.weight";
    case TensorRole::SharedUp: return m + "shared_experts.up_proj.weight";
    case TensorRole::SharedDown: return m + "shared_experts.down_proj.weight";
    default: return detail::hfMlpExpertName(role, layer, expert);
    }
}

void addHfFields(nlohmann::json& c, const ModelSpec& s)
{
    c["n_routed_experts"] = s.numExperts;
    c["num_experts_per_tok"] = s.numExpertsPerToken;
    c["moe_intermediate_size"] = s.moeIntermediateSize;
    c["n_shared_experts"] = s.numSharedExperts;
    c["first_k_dense_replace"] = s.firstDenseLayers;
    c["moe_layer_freq"] = s.moeLayerFrequency;
    c["n_group"] = s.numExpertGroups;
    c["topk_group"] = s.topkGroups;
    c["routed_scaling_factor"] = s.routedScalingFactor;
    c["q_lora_rank"] = s.qLoraRank > 0 ? nlohmann::json(s.qLoraRank) : nlohmann::json(nullptr);
    c["kv_lora_rank"] = s.kvLoraRank;
    c["qk_nope_head_dim"] = s.qkNopeHeadDim;
    c["qk_rope_head_dim"] = s.qkRopeHeadDim;
    c["v_head_dim"] = s.vHeadDim;
    c["scoring_func"] = s.routerScoring == RouterScoring::Sigmoid ? "sigmoid" : "softmax";
    c["norm_topk_prob"] = s.normTopkProb;
    c["topk_method"] = s.routerBiasForSelection ? "noaux_tc" : "group_limited_greedy";
    c["intermediate_size"] = s.intermediateSize;
}

} // namespace

const Architecture& deepseek2Architecture()
{
    static const Architecture a{"deepseek2", "DeepSeek-V2", {"DeepseekV2ForCausalLM"}, {"deepseek2"}, false,
                                fromHfV2, fromGguf, hfName, addHfFields};
    return a;
}

const Architecture& deepseek3Architecture()
{
    // GGUF files of V3 also say `deepseek2`; the registry matches that name to V2 first,
    // and fromGguf tells the versions apart by the gating function.
    static const Architecture a{"deepseek3", "DeepSeek-V3", {"DeepseekV3ForCausalLM"}, {"deepseek3"}, false,
                                fromHfV3, fromGguf, hfName, addHfFields};
    return a;
}

} // namespace moe
