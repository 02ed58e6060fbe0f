// moe/architecture.h — the architecture registry: which model families we know, how
// their config.json / GGUF metadata become a ModelSpec, and what their tensors are
// called in each format. One file per architecture in engine/src/model/arch_*.cpp.
#pragma once

#include "moe/model_spec.h"

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace moe {

class GgufFile;
class GgufWriter;

// What a tensor does in a decoder layer; names differ per format and family.
enum class TensorRole {
    TokenEmbedding, OutputNorm, LmHead,
    AttnNorm, AttnQ, AttnK, AttnV, AttnOutput, AttnQBias, AttnKBias, AttnVBias, AttnQNorm, AttnKNorm,
    FfnNorm,
    Router,                               // [E, hidden]
    ExpertGate, ExpertUp, ExpertDown,     // per expert (HF) or stacked [E, ...] (GGUF)
    SharedGate, SharedUp, SharedDown,     // shared expert / dense FFN
    SharedExpertGate,                     // Qwen2-MoE: [1, hidden] sigmoid gate of the shared expert
    DenseGate, DenseUp, DenseDown,        // leading dense layers (DeepSeek) / dense models
};

struct Architecture {
    std::string key;                      // "mixtral"
    std::string displayName;              // "Mixtral"
    std::vector<std::string> hfClassNames; // config.json "architectures"
    std::vector<std::string> ggufNames;   // general.architecture
    bool runnable = true;                 // the engine can execute it (false: planner only)

    void (*specFromHfConfig)(ModelSpec& spec, const nlohmann::json& config, const std::string& file) = nullptr;
    void (*specFromGguf)(ModelSpec& spec, const GgufFile& gguf) = nullptr;
    // Hugging Face tensor name for a role; layer/expert are ignored where meaningless.
    std::string (*hfTensorName)(TensorRole role, int64_t layer, int64_t expert) = nullptr;
    // The family's own config.json keys (experts, norms, ...) for writing a checkpoint.
    void (*addHfConfigFields)(nlohmann::json& config, const ModelSpec& spec) = nullptr;
};

const std::vector<const Architecture*>& architectures();
const Architecture* findArchitectureByKey(const std::string& key);

// Resolves the architecture of a config.json / GGUF file and builds its spec. Unknown
// families raise Error(UnsupportedArch) naming the file and the class / arch string.
ModelSpec specFromHfConfig(const nlohmann::json& config, const std::string& file);
ModelSpec specFromGguf(const GgufFile& gguf);
const Architecture& architectureFor(const ModelSpec& spec); // throws UnsupportedArch

// GGUF tensor names are shared by every family in llama.cpp's convention:
// "blk.3.ffn_gate_exps.weight" (stacked experts, expert ignored).
std::string ggufTensorName(TensorRole role, int64_t layer);
// Legacy per-expert GGUF name "blk.3.ffn_gate.5.weight" (older Mixtral conversions).
std::string ggufLegacyExpertName(TensorRole role, int64_t layer, int64_t expert);

// The GGUF architecture string and metadata a writer puts into a file for `spec`
// (used by make-model; llama.cpp's key names).
std::string ggufArchName(const ModelSpec& spec);
void writeGgufSpec(GgufWriter& writer, const ModelSpec& spec);
// config.json content for `spec` (make-model).
nlohmann::json hfConfigFor(const ModelSpec& spec);

// GGUF `llama` stores Q/K rows permuted so that interleaved RoPE reproduces HF's
// rotate-half: within each head, row 2i <- row i, row 2i+1 <- row i + headDim/2.
// Applies to a row-major [heads*headDim, cols] matrix of `elementBytes`-sized values.
void permuteQkRowsForGguf(std::vector<uint8_t>& rows, int64_t heads, int64_t headDim, uint64_t rowBytes);

} // namespace moe
