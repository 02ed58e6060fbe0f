// Internal: Hugging Face tensor names shared by the Llama-style families; each arch
// file overrides only its MoE block names.
#pragma once

#include "moe/architecture.h"

#include <string>

namespace moe::detail {

// "model.layers.3." prefix etc. Returns "" for roles that are family-specific.
std::string hfCommonTensorName(TensorRole role, int64_t layer);
// The `mlp.experts.J.gate_proj` style used by Qwen2/3-MoE, OLMoE and DeepSeek.
std::string hfMlpExpertName(TensorRole role, int64_t layer, int64_t expert);

} // namespace moe::detail
