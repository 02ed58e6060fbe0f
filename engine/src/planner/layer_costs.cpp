#include "layer_costs.h"

#include <cmath>

namespace moe::detail {
namespace {

struct Sizer {
    QuantFormatId format;
    int64_t numLayers;
    int64_t numExperts;
    double bytes(double params, TensorClass cls, int64_t layer) const
    {
        return params * quantFormat(tensorFormatFor(format, cls, layer, numLayers, numExperts)).bytesPerWeight();
    }
};

// Attention of one layer; the split into q / k / v / o matters only to llama.cpp's
// mixtures. The sums equal ModelSpec::parameterCounts().attention (tested).
void addAttention(LayerCost& c, const ModelSpec& s, const Sizer& z, int64_t l)
{
    const double h = double(s.hiddenSize), heads = double(s.numHeads);
    if (s.usesMla()) {
        const double qHead = double(s.qkNopeHeadDim + s.qkRopeHeadDim);
        const double q = s.qLoraRank > 0 ? h * double(s.qLoraRank) + double(s.qLoraRank) * heads * qHead : h * heads * qHead;
        const double kvA = h * double(s.kvLoraRank + s.qkRopeHeadDim);
        const double kvB = double(s.kvLoraRank) * heads * double(s.qkNopeHeadDim + s.vHeadDim);
        const double o = heads * double(s.vHeadDim) * h;
        const double norms = double(s.qLoraRank) + double(s.kvLoraRank);
        c.attentionBytes = z.bytes(q + kvA + kvB, TensorClass::AttnOther, l) + z.bytes(o, TensorClass::AttnOutput, l);
        c.otherBytes += z.bytes(norms, TensorClass::Norm, l);
        c.attentionParams = q + kvA + kvB + o + norms;
        return;
    }
    const double qWidth = heads * double(s.headDim), kvWidth = double(s.numKvHeads * s.headDim);
    double extra = s.attentionBias ? qWidth + 2 * kvWidth : 0;
    if (s.qkNorm == QkNorm::PerHead)
        extra += 2.0 * double(s.headDim);
    else if (s.qkNorm == QkNorm::Full)
        extra += qWidth + kvWidth;
    c.attentionBytes = z.bytes(h * qWidth, TensorClass::AttnQ, l) + z.bytes(h * kvWidth, TensorClass::AttnK, l) +
                       z.bytes(h * kvWidth, TensorClass::AttnV, l) + z.bytes(qWidth * h, TensorClass::AttnOutput, l);
    c.otherBytes += z.bytes(extra, TensorClass::Norm, l);
    c.attentionParams = 2 * h * qWidth + 2 * h * kvWidth + extra;
}

void addFeedForward(LayerCost& c, const ModelSpec& s, const Sizer& z, int64_t l)
{
    const double h = double(s.hiddenSize);
    auto ffn = [&](double width) {
        return z.bytes(2 * h * width, TensorClass::FfnGateUp, l) + z.bytes(h * width, TensorClass::FfnDown, l);
    };
    if (!c.moe) {
        c.sharedBytes = ffn(double(s.intermediateSize));
        c.sharedParams = 3 * h * double(s.intermediateSize);
        return;
    }
    const double m = double(s.moeIntermediateSize), e = double(s.numExperts);
    c.routedBytes = e * ffn(m);
    c.expertParams = 3 * h * m;
    double router = e * h + (s.routerBiasForSelection ? e : 0);
    if (s.numSharedExperts > 0) {
        const double width = s.sharedExpertIntermediateSize > 0 ? double(s.sharedExpertIntermediateSize)
                                                                 : double(s.numSharedExperts) * m;
        c.sharedBytes = ffn(width);
        c.sharedParams = 3 * h * width;
        if (s.sharedExpertGate)
            router += h;
    }
    c.otherBytes += z.bytes(router, TensorClass::Router, l);
}

// gpt-oss alternates sliding-window and full attention; spread the window layers evenly.
bool isSlidingLayer(const PlanModel& m, int64_t l)
{
    if (m.slidingWindow <= 0 || m.slidingWindowLayers <= 0)
        return false;
    const int64_t stride = std::max<int64_t>(1, m.spec.numLayers / m.slidingWindowLayers);
    return l % stride == 0 && l / stride < m.slidingWindowLayers;
}

} // namespace

ModelCosts modelCosts(const PlanModel& model, QuantFormatId format, double kvBytesPerElement)
{
    const ModelSpec& s = model.spec;
    const Sizer z{format, s.numLayers, s.numExperts};
    ModelCosts mc;
    mc.layers.resize(size_t(s.numLayers));
    const double h = double(s.hiddenSize), heads = double(s.numHeads);
    for (int64_t l = 0; l < s.numLayers; ++l) {
        LayerCost& c = mc.layers[size_t(l)];
        c.moe = s.isMoeLayer(l);
        c.slidingWindow = isSlidingLayer(model, l);
        c.otherBytes = z.bytes(2 * h, TensorClass::Norm, l);
        addAttention(c, s, z, l);
        addFeedForward(c, s, z, l);
        c.kvBytesPerToken = double(s.kvBytesPerToken(kvBytesPerElement)) / double(s.numLayers);
        // Per cached token: q·k and p·v, 2 FLOPs per multiply-add. MLA decode runs in the
        // absorbed form (FlashMLA): scores over the latent + rope key, values over the latent.
        c.attentionFlopsPerContextToken = s.usesMla()
                                              ? 2 * heads * double(2 * s.kvLoraRank + s.qkRopeHeadDim)
                                              : 2 * heads * double(s.qHeadDim() + s.headDim);
    }
    const double vocabRows = double(s.vocabSize) * h;
    // A tied GGUF embedding is quantized like output.weight (llama.cpp) and doubles as the head.
    mc.tokenEmbeddingBytes = z.bytes(vocabRows, s.tieWordEmbeddings ? TensorClass::LmHead : TensorClass::TokenEmbedding, 0);
    mc.lmHeadBytes = s.tieWordEmbeddings ? 0 : z.bytes(vocabRows, TensorClass::LmHead, s.numLayers - 1);
    mc.finalNormBytes = z.bytes(h, TensorClass::Norm, s.numLayers - 1);
    mc.lmHeadParams = vocabRows;
    return mc;
}

} // namespace moe::detail
