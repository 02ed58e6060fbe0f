// moe/model_spec.h — the one description of a model's shape.
//
// The runtime builds its layers from a ModelSpec and the planner predicts memory and
// speed from the same struct, whether it came from a loaded file (config.json, GGUF
// metadata) or from the catalog. It therefore describes architectures the engine cannot
// run yet (DeepSeek-V2/V3: MLA, group-limited routing, leading dense layers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moe {

enum class RopeLayout : uint8_t {
    NeoX,        // rotate halves: (x[i], x[i + d/2]) pairs — Hugging Face rotate_half
    Interleaved, // rotate adjacent pairs (x[2i], x[2i+1]) — GGUF `llama` arch (Q/K rows permuted)
};

enum class RouterScoring : uint8_t { Softmax, Sigmoid };

enum class QkNorm : uint8_t {
    None,
    PerHead, // RMSNorm over each head's head_dim (Qwen3-MoE)
    Full,    // RMSNorm over the whole q / k projection (OLMoE)
};

struct ModelSpec {
    std::string architecture; // registry key: "mixtral", "qwen2moe", "qwen3moe", "olmoe", "deepseek2", "deepseek3", "llama"
    std::string name;         // display name (general.name, folder name or catalog name)

    int64_t vocabSize = 0;
    int64_t hiddenSize = 0;
    int64_t numLayers = 0;
    int64_t numHeads = 0;
    int64_t numKvHeads = 0;
    int64_t headDim = 0;          // q/k/v head width (non-MLA)
    int64_t maxContext = 4096;
    double rmsNormEps = 1e-5;
    double ropeTheta = 10000.0;
    RopeLayout ropeLayout = RopeLayout::NeoX;
    int64_t rotaryDim = 0;        // 0 = whole head
    QkNorm qkNorm = QkNorm::None;
    bool attentionBias = false;   // q/k/v projections carry biases (Qwen2)
    bool tieWordEmbeddings = false;

    // Feed-forward.
    int64_t intermediateSize = 0;       // dense FFN width (dense layers, dense models)
    int64_t moeIntermediateSize = 0;    // routed expert FFN width
    int64_t numExperts = 0;             // routed experts per MoE layer (0 = dense model)
    int64_t numExpertsPerToken = 0;     // top-k
    int64_t numSharedExperts = 0;       // always-on experts (DeepSeek), or 1 for Qwen2-MoE
    int64_t sharedExpertIntermediateSize = 0; // total width of the shared expert block
    bool sharedExpertGate = false;      // Qwen2-MoE: sigmoid(x . w) scales the shared expert
    bool normTopkProb = false;          // renormalise the top-k weights to sum to 1
    RouterScoring routerScoring = RouterScoring::Softmax;
    double routedScalingFactor = 1.0;   // DeepSeek-V3 multiplies routed output
    int64_t numExpertGroups = 1;        // n_group (DeepSeek group-limited routing)
    int64_t topkGroups = 1;             // topk_group
    bool routerBiasForSelection = false; // DeepSeek-V3: e_score_correction_bias affects choice only
    int64_t firstDenseLayers = 0;       // first_k_dense_replace: leading dense layers
    int64_t moeLayerFrequency = 1;      // every n-th layer (after the dense prefix) is MoE

    // Multi-head latent attention (DeepSeek-V2/V3). kvLoraRank > 0 turns MLA on.
    int64_t qLoraRank = 0;
    int64_t kvLoraRank = 0;
    int64_t qkNopeHeadDim = 0;
    int64_t qkRopeHeadDim = 0;
    int64_t vHeadDim = 0;

    // Token ids from the config (the tokenizer may know better).
    int64_t bosTokenId = -1;
    std::vector<int64_t> eosTokenIds;

    bool isMoe() const { return numExperts > 0; }
    bool usesMla() const { return kvLoraRank > 0; }
    bool isMoeLayer(int64_t layer) const;
    int64_t qHeadDim() const { return usesMla() ? qkNopeHeadDim + qkRopeHeadDim : headDim; }
    int64_t effectiveRotaryDim() const { return rotaryDim > 0 ? rotaryDim : headDim; }
    int64_t numMoeLayers() const;

    // Parameter counts from the shapes (embeddings and LM head included; untied head counted once more).
    struct ParameterCounts {
        int64_t total = 0;
        int64_t active = 0;      // per token: attention + shared + top-k routed experts + embeddings/head
        int64_t attention = 0;   // all layers
        int64_t routedExperts = 0;
        int64_t sharedExperts = 0;
        int64_t denseFfn = 0;
        int64_t router = 0;
        int64_t embeddings = 0;  // token embedding + LM head (+ final norm)
        int64_t norms = 0;
    };
    ParameterCounts parameterCounts() const;

    // KV-cache bytes per token over all layers for elements of `bytesPerElement`
    // (MLA caches the compressed latent + rope key: (kvLoraRank + qkRopeHeadDim) per layer).
    int64_t kvBytesPerToken(double bytesPerElement) const;

    // Throws Error(BadValue / MissingField) naming the field when a shape is impossible
    // (heads not dividing hidden, top-k > experts, ...). `source` names the file.
    void validate(const std::string& source) const;
};

} // namespace moe
