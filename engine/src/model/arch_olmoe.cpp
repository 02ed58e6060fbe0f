// OLMoE (allenai/OLMoE-1B-7B): RMSNorm over the whole q and k projections (not per
// head) before RoPE; softmax router without renormalisation; 64 experts, top-8.
#include "hf_names.h"
#include "spec_readers.h"

#include <nlohmann/json.hpp>

namespace moe {
namespace {

// OLMoE calls the expert width intermediate_size and has no dense layers.
const detail::QwenStyleMoeKeys kMoeKeys{"intermediate_size", false, false};

void fromHf(ModelSpec& s, const nlohmann::json& c, const std::string& file)
{
    detail::readCommonHfFields(s, c, file);
    detail::readQwenStyleMoeFields(s, c, file, kMoeKeys);
    s.qkNorm = QkNorm::Full;
    if (s.name.empty())
        s.name = "OLMoE";
}

void fromGguf(ModelSpec& s, const GgufFile& g)
{
    detail::readCommonGgufFields(s, g, "olmoe");
    s.normTopkProb = g.findBool("olmoe.expert_weights_norm").value_or(false);
    s.qkNorm = QkNorm::Full;
}

std::string hfName(TensorRole role, int64_t layer, int64_t expert) { return detail::hfMlpExpertName(role, layer, expert); }

void addHfFields(nlohmann::json& c, const ModelSpec& s) { detail::writeQwenStyleMoeFields(c, s, kMoeKeys); }

} // namespace

const Architecture& olmoeArchitecture()
{
    static const Architecture a{"olmoe", "OLMoE", {"OlmoeForCausalLM"}, {"olmoe"}, true,
                                fromHf, fromGguf, hfName, addHfFields};
    return a;
}

} // namespace moe
