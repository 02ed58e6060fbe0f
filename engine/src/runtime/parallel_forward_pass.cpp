#include "parallel_forward_pass.h"

#include "parallel_device.h"

#include "moe/error.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace moe {
namespace {

float* f32(const DeviceTensor& t) { return static_cast<float*>(t.data); }

} // namespace

ParallelForwardPass::ParallelForwardPass(std::span<Backend* const> devices, const ModelSpec& spec,
                                         const ModelWeights& weights, const ParallelPlan& plan, Communicator& comm,
                                         int64_t maxBatch, int64_t contextLength)
    : m_spec(spec)
    , m_weights(weights)
    , m_plan(plan)
    , m_comm(comm)
    , m_maxBatch(maxBatch)
{
    if (comm.deviceCount() != plan.devices() || int64_t(devices.size()) != plan.devices())
        throw Error(ErrorCode::InvalidArgument, "", "devices",
                    "the plan has " + std::to_string(plan.devices()) + " devices, the communicator " +
                        std::to_string(comm.deviceCount()) + " and the backends " + std::to_string(devices.size()));
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
        dev->backend = devices[size_t(d)];
        m_devices.push_back(std::move(dev));
    }
    // Scratch first (once per backend), then the shards.
    const int64_t ffn = std::max({spec.moeIntermediateSize, spec.sharedExpertIntermediateSize, spec.intermediateSize});
    BackendReservation r;
    r.maxTokens = maxBatch; // expert work rows (k = 1) number at most maxBatch * topK
    r.maxWidth = std::max({spec.hiddenSize, spec.numHeads * spec.headDim, ffn, spec.vocabSize});
    r.numExperts = spec.numExperts;
    r.topK = spec.numExpertsPerToken;
    r.expertWidth = ffn / plan.tp();
    r.hiddenSize = spec.hiddenSize;
    r.maxContext = contextLength;
    r.numHeads = spec.numHeads;
    for (size_t i = 0; i < m_devices.size(); ++i)
        if (std::find(devices.begin(), devices.begin() + std::ptrdiff_t(i), devices[i]) == devices.begin() + std::ptrdiff_t(i))
            devices[i]->reserve(r); // once per backend
    try {
        for (auto& d : m_devices)
            buildParallelDevice(*d, spec, weights, plan, maxBatch, contextLength);
    } catch (...) {
        for (auto& d : m_devices)
            if (d->backend)
                releaseParallelDevice(*d);
        throw;
    }
    const int64_t assignments = maxBatch * std::max<int64_t>(spec.numExpertsPerToken, 1);
    m_ids.assign(size_t(assignments), 0);
    m_gates.assign(size_t(assignments), 0.f);
    m_gatherTargets.assign(size_t(maxBatch), 0);
    m_counts.assign(size_t(plan.ep() * plan.ep()), 0);
    m_countsT = m_counts;
    m_cursor.assign(size_t(plan.ep()), 0);
    m_ptrA.assign(size_t(plan.devices()), nullptr);
    m_ptrB = m_ptrA;
    m_cptr.assign(size_t(plan.devices()), nullptr);
    m_traffic.reset(plan.devices(), spec.numLayers);
    m_traffic.link = comm.linkModel().name;
}

ParallelForwardPass::~ParallelForwardPass()
{
    for (auto& d : m_devices)
        releaseParallelDevice(*d);
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

void ParallelForwardPass::finishQueued(std::span<const int32_t> group)
{
    for (int32_t d : group) {
        Backend& b = *m_devices[size_t(d)]->backend;
        if (!b.isHost())
            b.synchronize();
    }
}

// OLMoE normalises the whole q (or k) projection: each device sums the squares of its
// columns, the TP group all-reduces those n numbers, and each device scales its own.
// Replicated kv heads (tp > kv heads) are counted by their first replica only.
void ParallelForwardPass::wholeQkNorm(int64_t layer, int64_t n, bool keys)
{
    const int64_t width = (keys ? m_spec.numKvHeads : m_spec.numHeads) * m_spec.headDim;
    for (auto& dp : m_devices) {
        ParallelDevice& d = *dp;
        DeviceTensor sums = d.normSq.rowsView(0, n);
        if (!keys || d.heads.ownsKvNorm)
            d.backend->rowSumSquares((keys ? d.k : d.q).rowsView(0, n), sums);
        else
            d.backend->zero(sums);
    }
    for (const auto& group : m_tpGroups) {
        for (size_t i = 0; i < group.size(); ++i)
            m_ptrA[i] = f32(m_devices[size_t(group[i])]->normSq);
        finishQueued(group);
        m_comm.allReduceSum(group, m_ptrA.data(), n, {layer, TrafficKind::AllReduce});
    }
    for (auto& dp : m_devices) {
        ParallelDevice& d = *dp;
        DeviceTensor t = (keys ? d.k : d.q).rowsView(0, n);
        const DeviceTensor& w = keys ? d.attn[size_t(layer)].kNorm : d.attn[size_t(layer)].qNorm;
        d.backend->scaleByRms(t, d.normSq.rowsView(0, n), width, float(m_spec.rmsNormEps), w);
    }
}

void ParallelForwardPass::attentionLayer(int64_t layer, int64_t n, int64_t pos)
{
    const ModelSpec& s = m_spec;
    const float eps = float(s.rmsNormEps);
    for (auto& dp : m_devices) {
        ParallelDevice& d = *dp;
        Backend& b = *d.backend;
        const AttentionShard& a = d.attn[size_t(layer)];
        DeviceTensor x = d.x.rowsView(0, n), xn = d.xn.rowsView(0, n), q = d.q.rowsView(0, n),
                     k = d.k.rowsView(0, n), v = d.v.rowsView(0, n);
        b.rmsNorm(x, d.whole[size_t(layer)].attnNorm, eps, s.hiddenSize, xn);
        b.matmul(xn, a.q, a.qBias.data ? &a.qBias : nullptr, q);
        b.matmul(xn, a.k, a.kBias.data ? &a.kBias : nullptr, k);
        b.matmul(xn, a.v, a.vBias.data ? &a.vBias : nullptr, v);
        if (s.qkNorm == QkNorm::PerHead) {
            b.rmsNorm(q, a.qNorm, eps, s.headDim, q);
            b.rmsNorm(k, a.kNorm, eps, s.headDim, k);
        }
    }
    if (s.qkNorm == QkNorm::Full) {
        wholeQkNorm(layer, n, false);
        wholeQkNorm(layer, n, true);
    }
    for (auto& dp : m_devices) {
        ParallelDevice& d = *dp;
        Backend& b = *d.backend;
        DeviceTensor q = d.q.rowsView(0, n), k = d.k.rowsView(0, n), v = d.v.rowsView(0, n);
        const float theta = float(s.ropeTheta);
        b.rope(q, pos, d.heads.heads, s.headDim, s.effectiveRotaryDim(), theta, s.ropeLayout);
        b.rope(k, pos, d.heads.kvHeads, s.headDim, s.effectiveRotaryDim(), theta, s.ropeLayout);
        b.storeKv(k, v, d.kCache[size_t(layer)], d.vCache[size_t(layer)], pos);
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
        b.attention(ap);
        DeviceTensor partial = d.partial.leadingView(n, s.hiddenSize);
        b.matmul(att, d.attn[size_t(layer)].o, nullptr, partial);
    }
    if (m_plan.tp() > 1)
        for (const auto& group : m_tpGroups) {
            for (size_t i = 0; i < group.size(); ++i)
                m_ptrA[i] = f32(m_devices[size_t(group[i])]->partial);
            finishQueued(group);
            m_comm.allReduceSum(group, m_ptrA.data(), n * s.hiddenSize, {layer, TrafficKind::AllReduce});
        }
    for (auto& dp : m_devices) {
        DeviceTensor x = dp->x.rowsView(0, n);
        dp->backend->add(x, dp->partial.leadingView(n, s.hiddenSize));
    }
}

void ParallelForwardPass::route(int64_t layer, int64_t n, ForwardObserver* observer, TelemetryRecorder* recorder)
{
    const ModelSpec& s = m_spec;
    RouterParams rp;
    rp.topK = s.numExpertsPerToken;
    rp.scoring = s.routerScoring;
    rp.normTopkProb = s.normTopkProb;
    rp.routedScalingFactor = s.routedScalingFactor;
    rp.numGroups = s.numExpertGroups;
    rp.topkGroups = s.topkGroups;
    ParallelDevice& d = *m_devices[0];
    DeviceTensor logits = d.partial.leadingView(n, s.numExperts);
    d.backend->matmul(d.xn.rowsView(0, n), d.whole[size_t(layer)].router, nullptr, logits);
    const RoutingView r = d.backend->routeTopK(logits, rp); // host copy now: the plan needs it
    std::copy_n(r.expertIds, n * r.topK, m_ids.begin());
    std::copy_n(r.weights, n * r.topK, m_gates.begin());
    const RoutingView view{m_ids.data(), m_gates.data(), n, s.numExpertsPerToken};
    if (recorder)
        recorder->recordRouting(layer, view);
    if (observer)
        observer->routing(layer, view);
}
} // namespace moe
