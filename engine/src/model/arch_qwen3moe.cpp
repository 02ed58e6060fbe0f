// Qwen3-MoE (Qwen3-30B-A3B, Qwen3-235B-A22B): per-head RMSNorm on q and k before RoPE,
// softmax router with norm_topk_prob (renormalised top-k), no biases, no shared expert.
#include "hf_names.h"
#include "spec_readers.h"

#include <nlohmann/json.hpp>

namespace moe {
namespace {

const detail::QwenStyleMoeKeys kMoeKeys{"moe_intermediate_size", /*normTopkDefault=*/true, true};

void fromHf(ModelSpec& s, const nlohmann::json& c, const std::string& file)
{
    detail::readCommonHfFields(s, c, file);
    detail::readQwenStyleMoeFields(s, c, file, kMoeKeys);
    s.attentionBias = detail::jsonBoolOr(c, "attention_bias", false, file);
    s.qkNorm = QkNorm::PerHead;
    if (s.name.empty())
        s.name = "Qwen3-MoE";
}

void fromGguf(ModelSpec& s, const GgufFile& g)
{
    detail::readCommonGgufFields(s, g, "qwen3moe");
    s.normTopkProb = g.findBool("qwen3moe.expert_weights_norm").value_or(true);
    s.qkNorm = QkNorm::PerHead;
}

std::string hfName(TensorRole role, int64_t layer, int64_t expert) { return detail::hfMlpExpertName(role, layer, expert); }

void addHfFields(nlohmann::json& c, const ModelSpec& s)
{
    detail::writeQwenStyleMoeFields(c, s, kMoeKeys);
    c["attention_bias"] = s.attentionBias;
}

} // namespace

const Architecture& qwen3MoeArchitecture()
{
    static const Architecture a{"qwen3moe", "Qwen3-MoE", {"Qwen3MoeForCausalLM"}, {"qwen3moe"}, true,
                                fromHf, fromGguf, hfName, addHfFields};
    return a;
}

} // namespace moe
