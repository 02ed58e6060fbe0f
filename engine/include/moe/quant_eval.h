// moe/quant_eval.h — how far a quantized model drifts from its reference on a text
// (`moe eval-quant`). Both models read the same tokens (teacher forcing); at every
// position that predicts a next token we compare the two next-token distributions:
// KL(reference || quantized) in nats, whether the top-1 token agrees, and the negative
// log-likelihood of the actual next token (perplexity of each model). For every
// (token, MoE layer) pair we compare the SET of top-k experts the routers chose:
// quantization that flips routing changes which weights run at all, the MoE-specific
// risk a dense-model metric does not see.
//
// The maths (compareNextToken, QuantEvalAccumulator) takes plain logits and expert ids
// so tests can check it on hand-made numbers; evaluateQuantization drives two engines.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace moe {

class Engine;

struct NextTokenComparison {
    double kl = 0;             // KL(p_ref || p_quant) = sum p_ref * (log p_ref - log p_quant), >= 0
    bool top1Agrees = false;   // argmax equal (lowest index wins ties, as moe::argmax)
    double referenceNll = 0;   // -log p_ref(target); 0 when target < 0
    double quantizedNll = 0;
};

// Log-softmax of each side in double (max subtracted, then log-sum-exp), then the sums
// above. Rounding can leave a KL a hair below zero; it is clamped to 0, so identical
// logits give exactly 0. Spans must have the same non-zero size.
NextTokenComparison compareNextToken(std::span<const float> reference, std::span<const float> quantized,
                                     int32_t target);

struct QuantEvalFigures {
    int64_t positions = 0;          // compared next-token predictions
    double meanKl = 0;
    double medianKl = 0;
    double p99Kl = 0;               // linear interpolation between order statistics (numpy's default)
    double maxKl = 0;
    double top1Agreement = 0;       // share of positions, 0..1
    double referencePerplexity = 0; // exp(mean NLL of the actual next tokens)
    double quantizedPerplexity = 0;
    int64_t routingPairs = 0;       // (token, MoE layer) pairs compared
    double routingAgreement = 0;    // share whose top-k expert set is unchanged, 0..1
    struct Layer {
        int64_t layer = 0;
        int64_t pairs = 0;
        double agreement = 0;
    };
    std::vector<Layer> routingPerLayer; // ascending layer order
};

class QuantEvalAccumulator {
public:
    void addPosition(std::span<const float> reference, std::span<const float> quantized, int32_t target);
    // The routing of `tokens` tokens in MoE layer `layer`: ids [tokens * topK] row-major,
    // the two sides in the same token order. Order within a token's row is ignored.
    void addRouting(int64_t layer, const int32_t* referenceIds, const int32_t* quantizedIds, int64_t tokens,
                    int64_t topK);
    QuantEvalFigures figures() const;

private:
    std::vector<double> m_kl;
    int64_t m_top1 = 0;
    double m_refNll = 0, m_quantNll = 0;
    int64_t m_nllCount = 0;
    struct LayerCount {
        int64_t layer = 0, pairs = 0, same = 0;
    };
    std::vector<LayerCount> m_layers;
};

struct QuantEvalOptions {
    int64_t chunkTokens = 128; // tokens per forward call (bounds the all-logits buffers)
    std::function<void(int64_t tokensDone, int64_t tokensTotal)> onProgress;
    const std::atomic<bool>* cancel = nullptr; // checked per chunk; throws Error(Cancelled)
};

// Runs `tokens` through both engines (reset first; both caches hold the text after)
// and compares them. The engines must agree on vocabulary size, layer count, experts
// and top-k, and hold at least tokens.size() tokens of context; else Error(InvalidArgument)
// naming the field. Needs at least 2 tokens.
QuantEvalFigures evaluateQuantization(Engine& reference, Engine& quantized, std::span<const int32_t> tokens,
                                      const QuantEvalOptions& options = {});

// A few paragraphs of our own prose (about 2,600 characters) for `moe eval-quant`
// when no --text is given.
const std::string& builtinEvalText();

} // namespace moe
