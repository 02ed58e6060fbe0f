#include "parallel_forward_pass.h"

#include "parallel_device.h"

#include "moe/error.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace moe {
namespace {

float* f32(const DeviceTensor& t, int64_t offset = 0) { return static_cast<float*>(t.data) + offset; }

} // namespace

ParallelForwardPass::ParallelForwardPass(Backend& backend, const ModelSpec& spec, const ModelWeights& weights,
                                         const ParallelPlan& plan, Communicator& comm, int64_t maxBatch,
                                         int64_t contextLength)
    : m_backend(backend)
    , m_spec(spec)
    , m_weights(weights)
    , m_plan(plan)
    , m_comm(comm)
    , m_maxBatch(maxBatch)
{
    if (comm.deviceCount() != plan.devices())
        throw Error(ErrorCode::InvalidArgument, "", "devices",
                    "communicator has " + std::to_string(comm.deviceCount()) + " devices, the plan " +
                        std::to_string(plan.devices()));
    int64_t moe = 0;
    for (int64_t l = 0; l < spec.numLayers; ++l)
        m_moeIndex.push_back(spec.isMoeLayer(l) ? moe++ : -1);
    m_tpGroups.resize(size_t(plan.ep()));
    m_epGroups.resize(size_t(plan.tp()));
    for (int32_t d = 0; d < plan.devices(); ++d) {
        m_tpGroups[size_t(plan.epRankOf(d))].push_back(d);
        m_epGroups[size_t(plan.tpRankOf(d))].push_back(d);
        auto dev = std::make_unique<ParallelDevice>();
        dev->id = d;
        m_devices.push_back(std::move(dev));
    }
    try {
        for (auto& d : m_devices)
            buildParallelDevice(*d, backend, spec, weights, plan, maxBatch, contextLength);
    } catch (...) {
        for (auto& d : m_devices)
            releaseParallelDevice(*d, backend);
        throw;
    }
    m_counts.assign(size_t(plan.ep() * plan.ep()), 0);
    m_countsT = m_counts;
    m_cursor.assign(size_t(plan.ep()), 0);
    m_ptrA.assign(size_t(plan.devices()), nullptr);
    m_ptrB = m_ptrA;
    m_cptr.assign(size_t(plan.devices()), nullptr);
    m_traffic.reset(plan.devices(), spec.numLayers);
    m_traffic.link = comm.linkModel().name;

    const int64_t ffn = std::max({spec.moeIntermediateSize, spec.sharedExpertIntermediateSize, spec.intermediateSize});
    BackendReservation r;
    r.maxTokens = maxBatch * std::max<int64_t>(spec.numExpertsPerToken, 1);
    r.maxWidth = std::max({spec.hiddenSize, spec.numHeads * spec.headDim, ffn, spec.vocabSize});
    r.numExperts = spec.numExperts;
    r.topK = spec.numExpertsPerToken;
    r.expertWidth = ffn;
    r.hiddenSize = spec.hiddenSize;
    r.maxContext = contextLength;
    r.numHeads = spec.numHeads;
    backend.reserve(r);
}

ParallelForwardPass::~ParallelForwardPass()
{
    for (auto& d : m_devices)
        releaseParallelDevice(*d, m_backend);
}

uint64_t ParallelForwardPass::kvBytes() const
{
    uint64_t sum = 0;
    for (const auto& d : m_devices)
        for (size_t l = 0; l < d->kCache.size(); ++l)
            sum += d->kCache[l].bytes + d->vCache[l].bytes;
    return sum;
}

int64_t ParallelForwardPass::ownedCount(int64_t group, int64_t n) const
{
    const int64_t ep = m_plan.ep();
    return group < n ? (n - group + ep - 1) / ep : 0;
}

// OLMoE normalises the whole q (or k) projection: each device sums the squares of its
// columns, the TP group all-reduces those n numbers, and each device scales its own.
// Replicated kv heads (tp > kv heads) are counted by their first replica only.
void ParallelForwardPass::wholeQkNorm(int64_t layer, int64_t n, bool keys)
{
    const int64_t width = (keys ? m_spec.numKvHeads : m_spec.numHeads) * m_spec.headDim;
    for (auto& dp : m_devices) {
        ParallelDevice& d = *dp;
        const DeviceTensor& t = keys ? d.k : d.q;
        const int64_t cols = (keys ? d.heads.kvHeads : d.heads.heads) * m_spec.headDim;
        const bool counts = !keys || d.heads.ownsKvNorm;
        for (int64_t r = 0; r < n; ++r) {
            double ss = 0;
            for (int64_t c = 0; c < cols && counts; ++c)
                ss += double(f32(t)[r * cols + c]) * double(f32(t)[r * cols + c]);
            d.normSq[size_t(r)] = float(ss);
        }
    }
    for (const auto& group : m_tpGroups) {
        for (size_t i = 0; i < group.size(); ++i)
            m_ptrA[i] = m_devices[size_t(group[i])]->normSq.data();
        m_comm.allReduceSum(group, m_ptrA.data(), n, {layer, TrafficKind::AllReduce});
    }
    for (auto& dp : m_devices) {
        ParallelDevice& d = *dp;
        const DeviceTensor& t = keys ? d.k : d.q;
        const DeviceTensor& w = keys ? d.attn[size_t(layer)].kNorm : d.attn[size_t(layer)].qNorm;
        const int64_t cols = (keys ? d.heads.kvHeads : d.heads.heads) * m_spec.headDim;
        for (int64_t r = 0; r < n; ++r) {
            const float inv = float(1.0 / std::sqrt(double(d.normSq[size_t(r)]) / double(width) + m_spec.rmsNormEps));
            for (int64_t c = 0; c < cols; ++c)
                f32(t)[r * cols + c] = f32(t)[r * cols + c] * inv * f32(w)[c];
        }
    }
}

void ParallelForwardPass::attentionLayer(int64_t layer, int64_t n, int64_t pos)
{
    const ModelSpec& s = m_spec;
    const float eps = float(s.rmsNormEps);
    const LayerWeights& lw = m_weights.layers[size_t(layer)];
    for (auto& dp : m_devices) {
        ParallelDevice& d = *dp;
        const AttentionShard& a = d.attn[size_t(layer)];
        DeviceTensor x = d.x.rowsView(0, n), xn = d.xn.rowsView(0, n), q = d.q.rowsView(0, n),
                     k = d.k.rowsView(0, n), v = d.v.rowsView(0, n);
        m_backend.rmsNorm(x, lw.attnNorm, eps, s.hiddenSize, xn);
        m_backend.matmul(xn, a.q, a.qBias.data ? &a.qBias : nullptr, q);
        m_backend.matmul(xn, a.k, a.kBias.data ? &a.kBias : nullptr, k);
        m_backend.matmul(xn, a.v, a.vBias.data ? &a.vBias : nullptr, v);
        if (s.qkNorm == QkNorm::PerHead) {
            m_backend.rmsNorm(q, a.qNorm, eps, s.headDim, q);
            m_backend.rmsNorm(k, a.kNorm, eps, s.headDim, k);
        }
    }
    if (s.qkNorm == QkNorm::Full) {
        wholeQkNorm(layer, n, false);
        wholeQkNorm(layer, n, true);
    }
    for (auto& dp : m_devices) {
        ParallelDevice& d = *dp;
        DeviceTensor q = d.q.rowsView(0, n), k = d.k.rowsView(0, n), v = d.v.rowsView(0, n);
        const float theta = float(s.ropeTheta);
        m_backend.rope(q, pos, d.heads.heads, s.headDim, s.effectiveRotaryDim(), theta, s.ropeLayout);
        m_backend.rope(k, pos, d.heads.kvHeads, s.headDim, s.effectiveRotaryDim(), theta, s.ropeLayout);
        m_backend.storeKv(k, v, d.kCache[size_t(layer)], d.vCache[size_t(layer)], pos);
        DeviceTensor att = d.att.rowsView(0, n);
        AttentionParams ap;
        ap.q = &q;
        ap.kCache = &d.kCache[size_t(layer)];
        ap.vCache = &d.vCache[size_t(layer)];
        ap.out = &att;
        ap.startPos = pos;
        ap.numHeads = d.heads.heads;
        ap.numKvHeads = d.heads.kvHeads;
        ap.headDim = s.headDim;
        ap.scale = 1.0f / std::sqrt(float(s.headDim));
        m_backend.attention(ap);
        DeviceTensor partial = d.partial.leadingView(n, s.hiddenSize);
        m_backend.matmul(att, d.attn[size_t(layer)].o, nullptr, partial);
    }
    if (m_plan.tp() > 1)
        for (const auto& group : m_tpGroups) {
            for (size_t i = 0; i < group.size(); ++i)
                m_ptrA[i] = f32(m_devices[size_t(group[i])]->partial);
            m_comm.allReduceSum(group, m_ptrA.data(), n * s.hiddenSize, {layer, TrafficKind::AllReduce});
        }
    for (auto& dp : m_devices) {
        DeviceTensor x = dp->x.rowsView(0, n);
        m_backend.add(x, dp->partial.leadingView(n, s.hiddenSize));
    }
}

void ParallelForwardPass::route(int64_t layer, int64_t n, ForwardObserver* observer, TelemetryRecorder* recorder)
{
    const ModelSpec& s = m_spec;
    const LayerWeights& lw = m_weights.layers[size_t(layer)];
    RouterParams rp;
    rp.topK = s.numExpertsPerToken;
    rp.scoring = s.routerScoring;
    rp.normTopkProb = s.normTopkProb;
    rp.routedScalingFactor = s.routedScalingFactor;
    rp.numGroups = s.numExpertGroups;
    rp.topkGroups = s.topkGroups;
    for (auto& dp : m_devices) {
        ParallelDevice& d = *dp;
        DeviceTensor logits = d.partial.leadingView(n, s.numExperts);
        m_backend.matmul(d.xn.rowsView(0, n), lw.router, nullptr, logits);
        const RoutingView r = m_backend.routeTopK(logits, rp);
        std::copy_n(r.expertIds, n * r.topK, d.ids.begin());
        std::copy_n(r.weights, n * r.topK, d.gates.begin());
    }
    RoutingView r0{m_devices[0]->ids.data(), m_devices[0]->gates.data(), n, s.numExpertsPerToken};
    if (recorder)
        recorder->recordRouting(layer, r0);
    if (observer)
        observer->routing(layer, r0);
}
} // namespace moe
