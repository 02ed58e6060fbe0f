// A naive double-precision forward pass written for the tests, independent of the
// engine's kernels: it reads the Hugging Face tensors by name and follows the
// transformers implementations of each family line by line (rotate-half RoPE, softmax
// or top-k renormalised routing, shared expert gate).
#pragma once

#include "moe/architecture.h"
#include "moe/model_spec.h"
#include "moe/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace moe::test {

using Vec = std::vector<double>;

class ReferenceModel {
public:
    ReferenceModel(const HfCheckpoint& hf, const ModelSpec& spec)
        : m_hf(hf)
        , m_spec(spec)
        , m_arch(architectureFor(spec))
    {
    }

    struct Output {
        std::vector<std::vector<Vec>> hidden; // [layer][token] after each layer
        std::vector<Vec> logits;              // [token]
        std::vector<std::vector<std::vector<int>>> experts; // [layer][token] chosen ids
    };

    Output run(const std::vector<int32_t>& tokens) const
    {
        const ModelSpec& s = m_spec;
        const int64_t n = int64_t(tokens.size());
        Output out;
        std::vector<Vec> x;
        const Vec& emb = w(name(TensorRole::TokenEmbedding, 0));
        for (int32_t t : tokens)
            x.emplace_back(emb.begin() + t * s.hiddenSize, emb.begin() + (t + 1) * s.hiddenSize);
        for (int64_t l = 0; l < s.numLayers; ++l) {
            attention(x, l);
            std::vector<std::vector<int>> chosen;
            for (int64_t i = 0; i < n; ++i) {
                const Vec xn = rmsNorm(x[size_t(i)], w(name(TensorRole::FfnNorm, l)));
                std::vector<int> ids;
                const Vec y = moeFfn(xn, l, ids);
                for (int64_t j = 0; j < s.hiddenSize; ++j)
                    x[size_t(i)][size_t(j)] += y[size_t(j)];
                chosen.push_back(ids);
            }
            out.experts.push_back(chosen);
            out.hidden.push_back(x);
        }
        const std::string head = m_hf.has(name(TensorRole::LmHead, 0)) ? name(TensorRole::LmHead, 0)
                                                                       : name(TensorRole::TokenEmbedding, 0);
        for (const Vec& row : x)
            out.logits.push_back(matVec(w(head), rmsNorm(row, w(name(TensorRole::OutputNorm, 0))), s.vocabSize));
        return out;
    }

private:
    std::string name(TensorRole r, int64_t layer, int64_t expert = 0) const { return m_arch.hfTensorName(r, layer, expert); }

    const Vec& w(const std::string& tensor) const
    {
        auto it = m_cache.find(tensor);
        if (it != m_cache.end())
            return it->second;
        const WeightView v = m_hf.weight(tensor);
        Vec out(size_t(v.shape.elements()));
        for (size_t i = 0; i < out.size(); ++i) {
            const auto* p = static_cast<const uint8_t*>(v.data);
            if (v.dtype == DType::F32) {
                float f;
                std::memcpy(&f, p + i * 4, 4);
                out[i] = f;
            } else {
                uint16_t h;
                std::memcpy(&h, p + i * 2, 2);
                out[i] = v.dtype == DType::F16 ? f16ToF32(h) : bf16ToF32(h);
            }
        }
        return m_cache.emplace(tensor, std::move(out)).first->second;
    }

    // RMSNorm of x[offset, offset + len) with weight g (len elements); whole row by default.
    Vec rmsNorm(const Vec& x, const Vec& g, size_t offset = 0, size_t len = 0) const
    {
        if (len == 0)
            len = x.size();
        Vec y(x);
        double ss = 0;
        for (size_t i = 0; i < len; ++i)
            ss += x[offset + i] * x[offset + i];
        const double r = 1.0 / std::sqrt(ss / double(len) + m_spec.rmsNormEps);
        for (size_t i = 0; i < len; ++i)
            y[offset + i] = x[offset + i] * r * g[i];
        return y;
    }

    static Vec matVec(const Vec& m, const Vec& x, int64_t rows)
    {
        const size_t cols = x.size();
        Vec y(size_t(rows), 0.0);
        for (int64_t r = 0; r < rows; ++r) {
            double acc = 0;
            for (size_t c = 0; c < cols; ++c)
                acc += m[size_t(r) * cols + c] * x[c];
            y[size_t(r)] = acc;
        }
        return y;
    }

    // Hugging Face rotate_half: pairs (i, i + rot/2) of each head.
    void rope(Vec& v, int64_t heads, int64_t pos) const
    {
        const int64_t hd = m_spec.headDim, rot = m_spec.effectiveRotaryDim();
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t i = 0; i < rot / 2; ++i) {
                const double freq = std::pow(m_spec.ropeTheta, -2.0 * double(i) / double(rot));
                const double a = double(pos) * freq, c = std::cos(a), sn = std::sin(a);
                double& x0 = v[size_t(h * hd + i)];
                double& x1 = v[size_t(h * hd + i + rot / 2)];
                const double y0 = x0 * c - x1 * sn, y1 = x1 * c + x0 * sn;
                x0 = y0;
                x1 = y1;
            }
    }

    void attention(std::vector<Vec>& x, int64_t l) const
    {
        const ModelSpec& s = m_spec;
        const int64_t H = s.numHeads, KV = s.numKvHeads, hd = s.headDim, n = int64_t(x.size());
        std::vector<Vec> q, k, v;
        for (int64_t i = 0; i < n; ++i) {
            const Vec xn = rmsNorm(x[size_t(i)], w(name(TensorRole::AttnNorm, l)));
            Vec qi = matVec(w(name(TensorRole::AttnQ, l)), xn, H * hd);
            Vec ki = matVec(w(name(TensorRole::AttnK, l)), xn, KV * hd);
            Vec vi = matVec(w(name(TensorRole::AttnV, l)), xn, KV * hd);
            if (s.attentionBias) {
                for (int64_t j = 0; j < H * hd; ++j)
                    qi[size_t(j)] += w(name(TensorRole::AttnQBias, l))[size_t(j)];
                for (int64_t j = 0; j < KV * hd; ++j) {
                    ki[size_t(j)] += w(name(TensorRole::AttnKBias, l))[size_t(j)];
                    vi[size_t(j)] += w(name(TensorRole::AttnVBias, l))[size_t(j)];
                }
            }
            if (s.qkNorm == QkNorm::Full) {
                qi = rmsNorm(qi, w(name(TensorRole::AttnQNorm, l)));
                ki = rmsNorm(ki, w(name(TensorRole::AttnKNorm, l)));
            } else if (s.qkNorm == QkNorm::PerHead) {
                for (int64_t h = 0; h < H; ++h)
                    qi = rmsNorm(qi, w(name(TensorRole::AttnQNorm, l)), size_t(h * hd), size_t(hd));
                for (int64_t h = 0; h < KV; ++h)
                    ki = rmsNorm(ki, w(name(TensorRole::AttnKNorm, l)), size_t(h * hd), size_t(hd));
            }
            rope(qi, H, i);
            rope(ki, KV, i);
            q.push_back(qi);
            k.push_back(ki);
            v.push_back(vi);
        }
        for (int64_t i = 0; i < n; ++i) {
            Vec attn(size_t(H * hd), 0.0);
            for (int64_t h = 0; h < H; ++h) {
                const int64_t g = h / (H / KV);
                std::vector<double> scores;
                double mx = -1e300;
                for (int64_t j = 0; j <= i; ++j) {
                    double d = 0;
                    for (int64_t e = 0; e < hd; ++e)
                        d += q[size_t(i)][size_t(h * hd + e)] * k[size_t(j)][size_t(g * hd + e)];
                    scores.push_back(d / std::sqrt(double(hd)));
                    mx = std::max(mx, scores.back());
                }
                double sum = 0;
                for (double& sc : scores)
                    sum += (sc = std::exp(sc - mx));
                for (int64_t j = 0; j <= i; ++j)
                    for (int64_t e = 0; e < hd; ++e)
                        attn[size_t(h * hd + e)] += scores[size_t(j)] / sum * v[size_t(j)][size_t(g * hd + e)];
            }
            const Vec o = matVec(w(name(TensorRole::AttnOutput, l)), attn, s.hiddenSize);
            for (int64_t j = 0; j < s.hiddenSize; ++j)
                x[size_t(i)][size_t(j)] += o[size_t(j)];
        }
    }

    Vec swiglu(const Vec& xn, const std::string& gate, const std::string& up, const std::string& down, int64_t width) const
    {
        const Vec g = matVec(w(gate), xn, width), u = matVec(w(up), xn, width);
        Vec a(static_cast<size_t>(width));
        for (int64_t i = 0; i < width; ++i)
            a[size_t(i)] = g[size_t(i)] / (1.0 + std::exp(-g[size_t(i)])) * u[size_t(i)];
        return matVec(w(down), a, m_spec.hiddenSize);
    }

    Vec moeFfn(const Vec& xn, int64_t l, std::vector<int>& ids) const
    {
        const ModelSpec& s = m_spec;
        const int64_t E = s.numExperts, K = s.numExpertsPerToken;
        const Vec logits = matVec(w(name(TensorRole::Router, l)), xn, E);
        double mx = -1e300, sum = 0;
        for (double v : logits)
            mx = std::max(mx, v);
        Vec p(static_cast<size_t>(E));
        for (int64_t e = 0; e < E; ++e)
            sum += (p[size_t(e)] = std::exp(logits[size_t(e)] - mx));
        for (double& v : p)
            v /= sum;
        std::vector<int> order(static_cast<size_t>(E));
        for (int e = 0; e < int(E); ++e)
            order[size_t(e)] = e;
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p[size_t(a)] > p[size_t(b)]; });
        ids.assign(order.begin(), order.begin() + K);
        double chosen = 0;
        for (int e : ids)
            chosen += p[size_t(e)];
        Vec y(size_t(s.hiddenSize), 0.0);
        for (int e : ids) {
            const double gw = s.normTopkProb ? p[size_t(e)] / chosen : p[size_t(e)];
            const Vec o = swiglu(xn, name(TensorRole::ExpertGate, l, e), name(TensorRole::ExpertUp, l, e),
                                 name(TensorRole::ExpertDown, l, e), s.moeIntermediateSize);
            for (int64_t j = 0; j < s.hiddenSize; ++j)
                y[size_t(j)] += gw * o[size_t(j)];
        }
        if (s.numSharedExperts > 0) {
            const Vec o = swiglu(xn, name(TensorRole::SharedGate, l), name(TensorRole::SharedUp, l),
                                 name(TensorRole::SharedDown, l), s.sharedExpertIntermediateSize);
            double gate = 1.0;
            if (s.sharedExpertGate) {
                const Vec gl = matVec(w(name(TensorRole::SharedExpertGate, l)), xn, 1);
                gate = 1.0 / (1.0 + std::exp(-gl[0]));
            }
            for (int64_t j = 0; j < s.hiddenSize; ++j)
                y[size_t(j)] += gate * o[size_t(j)];
        }
        return y;
    }

    const HfCheckpoint& m_hf;
    const ModelSpec& m_spec;
    const Architecture& m_arch;
    mutable std::map<std::string, Vec> m_cache;
};

} // namespace moe::test
