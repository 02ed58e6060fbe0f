#include "hf_names.h"

namespace moe::detail {

std::string hfCommonTensorName(TensorRole role, int64_t layer)
{
    const std::string l = "model.layers." + std::to_string(layer) + ".";
    switch (role) {
    case TensorRole::TokenEmbedding: return "model.embed_tokens.weight";
    case TensorRole::OutputNorm: return "model.norm.weight";
    case TensorRole::LmHead: return "lm_head.weight";
    case TensorRole::AttnNorm: return l + "input_layernorm.weight";
    case TensorRole::AttnQ: return l + "self_attn.q_proj.weight";
    case TensorRole::AttnK: return l + "self_attn.k_proj.weight";
    case TensorRole::AttnV: return l + "self_attn.v_proj.weight";
    case TensorRole::AttnOutput: return l + "self_attn.o_proj.weight";
    case TensorRole::AttnQBias: return l + "self_attn.q_proj.bias";
    case TensorRole::AttnKBias: return l + "self_attn.k_proj.bias";
    case TensorRole::AttnVBias: return l + "self_attn.v_proj.bias";
    case TensorRole::AttnQNorm: return l + "self_attn.q_norm.weight";
    case TensorRole::AttnKNorm: return l + "self_attn.k_norm.weight";
    case TensorRole::FfnNorm: return l + "post_attention_layernorm.weight";
    case TensorRole::DenseGate: return l + "mlp.gate_proj.weight";
    case TensorRole::DenseUp: return l + "mlp.up_proj.weight";
    case TensorRole::DenseDown: return l + "mlp.down_proj.weight";
    default: return {};
    }
}

std::string hfMlpExpertName(TensorRole role, int64_t layer, int64_t expert)
{
    const std::string l = "model.layers." + std::to_string(layer) + ".mlp.";
    const std::string e = l + "experts." + std::to_string(expert) + ".";
    switch (role) {
    case TensorRole::Router: return l + "gate.weight";
    case TensorRole::ExpertGate: return e + "gate_proj.weight";
    case TensorRole::ExpertUp: return e + "up_proj.weight";
    case TensorRole::ExpertDown: return e + "down_proj.weight";
    default: return hfCommonTensorName(role, layer);
    }
}

} // namespace moe::detail
