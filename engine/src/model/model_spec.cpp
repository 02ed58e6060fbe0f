#include "moe/model_spec.h"

#include "moe/error.h"

#include <limits>

namespace moe {

bool ModelSpec::isMoeLayer(int64_t layer) const
{
    if (!isMoe() || layer < firstDenseLayers)
        return false;
    const int64_t freq = moeLayerFrequency > 0 ? moeLayerFrequency : 1;
    return (layer - firstDenseLayers) % freq == 0;
}

int64_t ModelSpec::numMoeLayers() const
{
    int64_t n = 0;
    for (int64_t l = 0; l < numLayers; ++l)
        n += isMoeLayer(l) ? 1 : 0;
    return n;
}

namespace {

int64_t attentionParameters(const ModelSpec& s)
{
    if (s.usesMla()) {
        // DeepSeek-V2/V3 MLA: q (optionally through a LoRA bottleneck with its norm),
        // kv_a (latent + shared rope key), kv_a norm, kv_b (up-projection to k_nope and v), o.
        const int64_t qHead = s.qkNopeHeadDim + s.qkRopeHeadDim;
        int64_t q = s.qLoraRank > 0 ? s.hiddenSize * s.qLoraRank + s.qLoraRank + s.qLoraRank * s.numHeads * qHead
                                    : s.hiddenSize * s.numHeads * qHead;
        const int64_t kvA = s.hiddenSize * (s.kvLoraRank + s.qkRopeHeadDim) + s.kvLoraRank;
        const int64_t kvB = s.kvLoraRank * s.numHeads * (s.qkNopeHeadDim + s.vHeadDim);
        const int64_t o = s.numHeads * s.vHeadDim * s.hiddenSize;
        return q + kvA + kvB + o;
    }
    const int64_t qWidth = s.numHeads * s.headDim;
    const int64_t kvWidth = s.numKvHeads * s.headDim;
    int64_t p = s.hiddenSize * (qWidth + 2 * kvWidth) + qWidth * s.hiddenSize;
    if (s.attentionBias)
        p += qWidth + 2 * kvWidth;
    if (s.qkNorm == QkNorm::PerHead)
        p += 2 * s.headDim;
    else if (s.qkNorm == QkNorm::Full)
        p += qWidth + kvWidth;
    return p;
}

} // namespace

ModelSpec::ParameterCounts ModelSpec::parameterCounts() const
{
    ParameterCounts c;
    const int64_t expertParams = 3 * hiddenSize * moeIntermediateSize;
    const int64_t sharedWidth = sharedExpertIntermediateSize > 0 ? sharedExpertIntermediateSize
                                                                 : numSharedExperts * moeIntermediateSize;
    int64_t activeRouted = 0;
    for (int64_t l = 0; l < numLayers; ++l) {
        c.attention += attentionParameters(*this);
        c.norms += 2 * hiddenSize;
        if (isMoeLayer(l)) {
            c.router += numExperts * hiddenSize + (routerBiasForSelection ? numExperts : 0);
            c.routedExperts += numExperts * expertParams;
            activeRouted += numExpertsPerToken * expertParams;
            if (numSharedExperts > 0) {
                c.sharedExperts += 3 * hiddenSize * sharedWidth;
                if (sharedExpertGate)
                    c.sharedExperts += hiddenSize;
            }
        } else {
            c.denseFfn += 3 * hiddenSize * intermediateSize;
        }
    }
    c.embeddings = vocabSize * hiddenSize * (tieWordEmbeddings ? 1 : 2);
    c.norms += hiddenSize; // final norm
    c.total = c.attention + c.norms + c.router + c.routedExperts + c.sharedExperts + c.denseFfn + c.embeddings;
    c.active = c.attention + c.norms + c.router + activeRouted + c.sharedExperts + c.denseFfn + c.embeddings;
    return c;
}

int64_t ModelSpec::kvBytesPerToken(double bytesPerElement) const
{
    const double perLayer = usesMla() ? double(kvLoraRank + qkRopeHeadDim)
                                      : 2.0 * double(numKvHeads * headDim);
    return int64_t(perLayer * double(numLayers) * bytesPerElement + 0.5);
}

void ModelSpec::validate(const std::string& source) const
{
    auto bad = [&](const char* field, const std::string& why) { throw Error(ErrorCode::BadValue, source, field, why); };
    auto positive = [&](const char* field, int64_t v) {
        if (v <= 0)
            bad(field, "must be positive, got " + std::to_string(v));
        // Every dimension we multiply must stay far from overflow: 2^31 per axis is
        // beyond any real model and keeps products of three axes inside int64.
        if (v > (int64_t(1) << 31))
            bad(field, "is implausibly large: " + std::to_string(v));
    };
    positive("vocab_size", vocabSize);
    positive("hidden_size", hiddenSize);
    positive("num_hidden_layers", numLayers);
    positive("num_attention_heads", numHeads);
    positive("num_key_value_heads", numKvHeads);
    positive("max_position_embeddings", maxContext);
    if (!usesMla()) {
        positive("head_dim", headDim);
        if (numHeads % numKvHeads != 0)
            bad("num_key_value_heads", std::to_string(numKvHeads) + " does not divide num_attention_heads " +
                                           std::to_string(numHeads));
        if (rotaryDim < 0 || rotaryDim > headDim || rotaryDim % 2 != 0)
            bad("rotary_dim", std::to_string(rotaryDim) + " must be even and at most head_dim " + std::to_string(headDim));
        if (headDim % 2 != 0)
            bad("head_dim", "must be even for rotary embeddings, got " + std::to_string(headDim));
    } else {
        positive("kv_lora_rank", kvLoraRank);
        positive("qk_rope_head_dim", qkRopeHeadDim);
        positive("v_head_dim", vHeadDim);
    }
    if (!(rmsNormEps > 0.0) || rmsNormEps > 1.0)
        bad("rms_norm_eps", "must be in (0, 1], got " + std::to_string(rmsNormEps));
    if (!(ropeTheta > 0.0))
        bad("rope_theta", "must be positive");
    if (firstDenseLayers < 0 || firstDenseLayers > numLayers)
        bad("first_k_dense_replace", std::to_string(firstDenseLayers) + " is outside 0.." + std::to_string(numLayers));
    if (isMoe()) {
        positive("num_experts", numExperts);
        positive("moe_intermediate_size", moeIntermediateSize);
        if (numExpertsPerToken <= 0 || numExpertsPerToken > numExperts)
            bad("num_experts_per_tok", std::to_string(numExpertsPerToken) + " must be in 1.." + std::to_string(numExperts));
        if (numExpertGroups <= 0 || numExperts % numExpertGroups != 0)
            bad("n_group", std::to_string(numExpertGroups) + " does not divide num_experts " + std::to_string(numExperts));
        if (topkGroups <= 0 || topkGroups > numExpertGroups)
            bad("topk_group", std::to_string(topkGroups) + " must be in 1.." + std::to_string(numExpertGroups));
        if (moeLayerFrequency <= 0)
            bad("moe_layer_freq", "must be positive");
        if (numSharedExperts < 0)
            bad("n_shared_experts", "must not be negative");
    }
    if (numMoeLayers() < numLayers)
        positive("intermediate_size", intermediateSize);
}

} // namespace moe
