// Internal helpers shared by the arch_*.cpp files: typed reads of config.json fields
// and GGUF metadata that raise errors naming the file and the field.
#pragma once

#include "moe/gguf.h"
#include "moe/model_spec.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace moe::detail {

int64_t jsonInt(const nlohmann::json& j, const char* key, const std::string& file);
int64_t jsonIntOr(const nlohmann::json& j, const char* key, int64_t fallback, const std::string& file);
double jsonFloatOr(const nlohmann::json& j, const char* key, double fallback, const std::string& file);
bool jsonBoolOr(const nlohmann::json& j, const char* key, bool fallback, const std::string& file);
std::optional<std::string> jsonString(const nlohmann::json& j, const char* key, const std::string& file);

// Fields every decoder-only config.json spells the same way (hidden_size, heads, rope...).
void readCommonHfFields(ModelSpec& spec, const nlohmann::json& config, const std::string& file);
// `{arch}.*` keys of llama.cpp's GGUF convention shared by every family.
void readCommonGgufFields(ModelSpec& spec, const GgufFile& gguf, const std::string& arch);

// Routed-expert keys as the Qwen-MoE and OLMoE configs spell them: num_experts,
// num_experts_per_tok, the expert width under `expertFfnKey`, norm_topk_prob and
// (where the family has it) decoder_sparse_step.
struct QwenStyleMoeKeys {
    const char* expertFfnKey = "moe_intermediate_size";
    bool normTopkDefault = false;
    bool hasSparseStep = true;
};
void readQwenStyleMoeFields(ModelSpec& spec, const nlohmann::json& config, const std::string& file,
                            const QwenStyleMoeKeys& keys);
void writeQwenStyleMoeFields(nlohmann::json& config, const ModelSpec& spec, const QwenStyleMoeKeys& keys);

} // namespace moe::detail
