// The tensors a made model holds and how their random values are drawn.
#include "model_maker_detail.h"

#include <cmath>
#include <numbers>

namespace moe::detail {

uint64_t splitmix64(uint64_t& state)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

MakerRng::MakerRng(uint64_t seed)
{
    uint64_t sm = seed;
    for (uint64_t& s : m_s)
        s = splitmix64(sm);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t MakerRng::next()
{
    const uint64_t result = rotl(m_s[1] * 5, 7) * 9;
    const uint64_t t = m_s[1] << 17;
    m_s[2] ^= m_s[0];
    m_s[3] ^= m_s[1];
    m_s[1] ^= m_s[2];
    m_s[0] ^= m_s[3];
    m_s[2] ^= t;
    m_s[3] = rotl(m_s[3], 45);
    return result;
}

double MakerRng::uniform() { return double(next() >> 11) * 0x1.0p-53; }

float MakerRng::normal()
{
    if (m_haveSpare) {
        m_haveSpare = false;
        return m_spare;
    }
    // 1 - u keeps log() away from 0. The uniforms are bit-exact everywhere; log/sin/cos
    // may differ in the last double ulp between libms, which rounding to float hides in
    // all but vanishingly rare cases (sqrt is exact by IEEE).
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double a = 2.0 * std::numbers::pi * u2;
    m_spare = float(r * std::sin(a));
    m_haveSpare = true;
    return float(r * std::cos(a));
}

namespace {

void addLayerAttention(std::vector<PlannedTensor>& out, const ModelSpec& s, int64_t l)
{
    const int64_t h = s.hiddenSize, q = s.numHeads * s.headDim, kv = s.numKvHeads * s.headDim;
    out.push_back({TensorRole::AttnNorm, l, 0, Shape{h}, FillKind::Norm, 1.f});
    out.push_back({TensorRole::AttnQ, l, 0, Shape{q, h}, FillKind::Linear, 1.f});
    out.push_back({TensorRole::AttnK, l, 0, Shape{kv, h}, FillKind::Linear, 1.f});
    out.push_back({TensorRole::AttnV, l, 0, Shape{kv, h}, FillKind::Linear, 1.f});
    if (s.attentionBias) {
        out.push_back({TensorRole::AttnQBias, l, 0, Shape{q}, FillKind::Bias, 1.f});
        out.push_back({TensorRole::AttnKBias, l, 0, Shape{kv}, FillKind::Bias, 1.f});
        out.push_back({TensorRole::AttnVBias, l, 0, Shape{kv}, FillKind::Bias, 1.f});
    }
    if (s.qkNorm == QkNorm::PerHead) {
        out.push_back({TensorRole::AttnQNorm, l, 0, Shape{s.headDim}, FillKind::Norm, 1.f});
        out.push_back({TensorRole::AttnKNorm, l, 0, Shape{s.headDim}, FillKind::Norm, 1.f});
    } else if (s.qkNorm == QkNorm::Full) {
        out.push_back({TensorRole::AttnQNorm, l, 0, Shape{q}, FillKind::Norm, 1.f});
        out.push_back({TensorRole::AttnKNorm, l, 0, Shape{kv}, FillKind::Norm, 1.f});
    }
    out.push_back({TensorRole::AttnOutput, l, 0, Shape{h, q}, FillKind::Linear, 1.f});
}

void addLayerFfn(std::vector<PlannedTensor>& out, const ModelSpec& s, int64_t l)
{
    const int64_t h = s.hiddenSize, f = s.moeIntermediateSize, e = s.numExperts;
    out.push_back({TensorRole::FfnNorm, l, 0, Shape{h}, FillKind::Norm, 1.f});
    if (!s.isMoeLayer(l)) {
        // Leading dense layers (DeepSeek) or decoder_sparse_step gaps (Qwen-MoE): one
        // SwiGLU FFN, as the loader reads it. Presets never make these; the quantizer
        // walks real models through this list.
        const int64_t d = s.intermediateSize;
        out.push_back({TensorRole::DenseGate, l, 0, Shape{d, h}, FillKind::Linear, 1.f});
        out.push_back({TensorRole::DenseUp, l, 0, Shape{d, h}, FillKind::Linear, 1.f});
        out.push_back({TensorRole::DenseDown, l, 0, Shape{h, d}, FillKind::Linear, 1.f});
        return;
    }
    // Router logits get a standard deviation of ~2 on a normed input: wide enough that
    // different tokens pick different experts, so the routing heatmaps have something
    // to show.
    out.push_back({TensorRole::Router, l, 0, Shape{e, h}, FillKind::Linear, 2.f});
    out.push_back({TensorRole::ExpertGate, l, e, Shape{f, h}, FillKind::Linear, 1.f});
    out.push_back({TensorRole::ExpertUp, l, e, Shape{f, h}, FillKind::Linear, 1.f});
    out.push_back({TensorRole::ExpertDown, l, e, Shape{h, f}, FillKind::Linear, 1.f});
    if (s.numSharedExperts > 0) {
        const int64_t sf = s.sharedExpertIntermediateSize;
        out.push_back({TensorRole::SharedGate, l, 0, Shape{sf, h}, FillKind::Linear, 1.f});
        out.push_back({TensorRole::SharedUp, l, 0, Shape{sf, h}, FillKind::Linear, 1.f});
        out.push_back({TensorRole::SharedDown, l, 0, Shape{h, sf}, FillKind::Linear, 1.f});
        if (s.sharedExpertGate)
            out.push_back({TensorRole::SharedExpertGate, l, 0, Shape{1, h}, FillKind::Linear, 1.f});
    }
}

} // namespace

std::vector<PlannedTensor> plannedTensors(const ModelSpec& s)
{
    std::vector<PlannedTensor> out;
    out.push_back({TensorRole::TokenEmbedding, -1, 0, Shape{s.vocabSize, s.hiddenSize}, FillKind::Embedding, 1.f});
    for (int64_t l = 0; l < s.numLayers; ++l) {
        addLayerAttention(out, s, l);
        addLayerFfn(out, s, l);
    }
    out.push_back({TensorRole::OutputNorm, -1, 0, Shape{s.hiddenSize}, FillKind::Norm, 1.f});
    if (!s.tieWordEmbeddings)
        // Logit spread ~2 makes greedy and sampled text differ visibly from uniform noise.
        out.push_back({TensorRole::LmHead, -1, 0, Shape{s.vocabSize, s.hiddenSize}, FillKind::Linear, 2.f});
    return out;
}

std::vector<float> drawValues(const PlannedTensor& t, int64_t expert, uint64_t seed)
{
    // Stream key: seed, role, layer, expert — mixed through splitmix64 so neighbouring
    // keys give unrelated streams.
    uint64_t key = seed;
    uint64_t k1 = splitmix64(key) ^ (uint64_t(t.role) + 1) * 0x9e3779b97f4a7c15ull;
    uint64_t k2 = splitmix64(k1) ^ uint64_t(t.layer + 2) * 0xc2b2ae3d27d4eb4full;
    uint64_t k3 = splitmix64(k2) ^ uint64_t(expert + 1) * 0x165667b19e3779f9ull;
    MakerRng rng(splitmix64(k3));

    std::vector<float> v(size_t(t.shape.elements()));
    switch (t.fill) {
    case FillKind::Linear: {
        const float scale = t.gain / std::sqrt(float(t.shape.cols()));
        for (float& x : v)
            x = rng.normal() * scale;
        break;
    }
    case FillKind::Norm:
        for (float& x : v)
            x = 1.f + 0.05f * rng.normal();
        break;
    case FillKind::Bias:
        for (float& x : v)
            x = 0.02f * rng.normal();
        break;
    case FillKind::Embedding:
        for (float& x : v)
            x = rng.normal();
        break;
    }
    return v;
}

} // namespace moe::detail
