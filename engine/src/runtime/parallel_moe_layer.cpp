// ParallelForwardPass: the FFN half of a layer (routing, dispatch, experts, combine,
// shared / dense slices, TP all-reduce, EP all-gather) and the step driver.
#include "parallel_device.h"
#include "parallel_forward_pass.h"

#include "moe/error.h"

#include <algorithm>
#include <cstring>

namespace moe {
namespace {

float* f32(const DeviceTensor& t, int64_t offset = 0) { return static_cast<float*>(t.data) + offset; }

void addRow(float* dst, const float* src, int64_t h)
{
    for (int64_t i = 0; i < h; ++i)
        dst[i] += src[i];
}

} // namespace

// Every device knows the whole routing, so each builds its own work list and the
// per-pair row counts without exchanging them. Row orders (both sides agree on them):
// a device's sends are grouped by destination group, each in (token, slot) order; its
// receives by source group, each in (token, slot) order.
void ParallelForwardPass::planMoe(int64_t layer, int64_t n, int64_t pos)
{
    const ExpertPlacement& placement = m_plan.placement(m_moeIndex[size_t(layer)]);
    const int64_t ep = m_plan.ep(), k = m_spec.numExpertsPerToken, h = m_spec.hiddenSize;
    const std::vector<int32_t>& ids = m_devices[0]->ids;
    std::fill(m_counts.begin(), m_counts.end(), 0);
    for (int64_t t = 0; t < n; ++t)
        for (int64_t s = 0; s < k; ++s) {
            const int64_t dst = placement.groupFor(ids[size_t(t * k + s)], pos + t);
            if (dst != t % ep)
                m_counts[size_t((t % ep) * ep + dst)] += h;
        }
    for (int64_t i = 0; i < ep; ++i)
        for (int64_t j = 0; j < ep; ++j)
            m_countsT[size_t(j * ep + i)] = m_counts[size_t(i * ep + j)];

    for (auto& dp : m_devices) {
        ParallelDevice& d = *dp;
        const FfnShard& f = d.ffn[size_t(layer)];
        const int64_t g = d.epRank;
        int64_t cursor = 0;
        for (int64_t j = 0; j < ep; ++j) {
            m_cursor[size_t(j)] = cursor / h;
            cursor += m_counts[size_t(g * ep + j)];
        }
        int64_t local = 0;
        d.sendCount = cursor / h;
        for (int64_t t = g; t < n; t += ep)
            for (int64_t s = 0; s < k; ++s) {
                const int32_t e = ids[size_t(t * k + s)];
                const int64_t dst = placement.groupFor(e, pos + t);
                const float* row = f32(d.xn, t * h);
                if (dst == g) {
                    d.workExpert[size_t(local)] = f.localOf[size_t(e)];
                    d.workGate[size_t(local)] = d.gates[size_t(t * k + s)];
                    d.localTarget[size_t(local)] = int32_t(t / ep);
                    std::memcpy(f32(d.work, local * h), row, size_t(h) * 4);
                    ++local;
                } else {
                    const int64_t r = m_cursor[size_t(dst)]++;
                    d.sendTarget[size_t(r)] = int32_t(t / ep);
                    std::memcpy(f32(d.back, r * h), row, size_t(h) * 4);
                }
            }
        d.localCount = local;
        int64_t w = local;
        for (int64_t src = 0; src < ep; ++src)
            for (int64_t t = src; t < n && src != g; t += ep)
                for (int64_t s = 0; s < k; ++s) {
                    const int32_t e = ids[size_t(t * k + s)];
                    if (placement.groupFor(e, pos + t) != g)
                        continue;
                    d.workExpert[size_t(w)] = f.localOf[size_t(e)];
                    d.workGate[size_t(w)] = d.gates[size_t(t * k + s)];
                    ++w;
                }
        d.workCount = w;
    }
}

void ParallelForwardPass::exchangeMoe(int64_t layer, bool combine)
{
    const int64_t h = m_spec.hiddenSize;
    for (const auto& group : m_epGroups) {
        for (size_t i = 0; i < group.size(); ++i) {
            const ParallelDevice& d = *m_devices[size_t(group[i])];
            m_cptr[i] = combine ? f32(d.workOut, d.localCount * h) : f32(d.back);
            m_ptrB[i] = combine ? f32(d.back) : f32(d.work, d.localCount * h);
        }
        m_comm.allToAllV(group, m_cptr.data(), m_ptrB.data(), combine ? m_countsT.data() : m_counts.data(),
                         {layer, combine ? TrafficKind::Combine : TrafficKind::Dispatch});
    }
}

void ParallelForwardPass::runExperts(ParallelDevice& d, int64_t layer)
{
    const int64_t h = m_spec.hiddenSize;
    std::memset(d.workOut.data, 0, size_t(d.workCount * h) * 4);
    const FfnShard& f = d.ffn[size_t(layer)];
    if (d.workCount == 0 || f.experts.empty())
        return;
    DeviceTensor x = d.work.leadingView(d.workCount, h), out = d.workOut.leadingView(d.workCount, h);
    MoeFfnParams mp;
    mp.x = &x;
    mp.experts = &f.experts;
    mp.expertIds = d.workExpert.data();
    mp.expertWeights = d.workGate.data();
    mp.topK = 1; // one row per (token, expert) pair, already weighted by its gate
    mp.out = &out;
    m_backend.moeExperts(mp);
}

// This device's slice of the shared expert (or dense FFN) over its group's owned tokens.
void ParallelForwardPass::denseSlice(ParallelDevice& d, int64_t layer)
{
    const ExpertWeights& w = d.ffn[size_t(layer)].dense;
    const int64_t m = ownedCount(d.epRank, m_ownedTokens);
    if (!w.gate.data || m == 0)
        return;
    const int64_t width = w.gate.rows(), h = m_spec.hiddenSize;
    DeviceTensor xn = d.ownedXn.leadingView(m, h), g = d.ffnGate.leadingView(m, width), u = d.ffnUp.leadingView(m, width),
                 a = d.ffnAct.leadingView(m, width), out = d.ffnOut.leadingView(m, h), acc = d.ownedPartial.leadingView(m, h);
    m_backend.matmul(xn, w.gate, nullptr, g);
    m_backend.matmul(xn, w.up, nullptr, u);
    m_backend.swiglu(g, u, a);
    m_backend.matmul(a, w.down, nullptr, out);
    const DeviceTensor& gate = m_weights.layers[size_t(layer)].sharedExpertGate;
    if (gate.data) {
        // sigmoid(gate · x) scales the whole shared output, so it scales each slice alike.
        DeviceTensor scale = d.scale.leadingView(m, 1);
        m_backend.matmul(xn, gate, nullptr, scale);
        m_backend.sigmoid(scale);
        m_backend.addScaledRows(acc, out, scale);
    } else {
        m_backend.add(acc, out);
    }
}

void ParallelForwardPass::reduceAndGather(int64_t layer, int64_t n)
{
    const int64_t h = m_spec.hiddenSize, ep = m_plan.ep();
    if (m_plan.tp() > 1)
        for (size_t g = 0; g < m_tpGroups.size(); ++g) {
            const auto& group = m_tpGroups[g];
            for (size_t i = 0; i < group.size(); ++i)
                m_ptrA[i] = f32(m_devices[size_t(group[i])]->ownedPartial);
            if (ownedCount(int64_t(g), n) > 0)
                m_comm.allReduceSum(group, m_ptrA.data(), ownedCount(int64_t(g), n) * h, {layer, TrafficKind::AllReduce});
        }
    if (ep == 1) {
        for (auto& dp : m_devices) {
            DeviceTensor x = dp->x.rowsView(0, n);
            m_backend.add(x, dp->ownedPartial.leadingView(n, h));
        }
        return;
    }
    for (int64_t g = 0; g < ep; ++g)
        m_cursor[size_t(g)] = ownedCount(g, n) * h;
    for (const auto& group : m_epGroups) {
        for (size_t i = 0; i < group.size(); ++i) {
            m_cptr[i] = f32(m_devices[size_t(group[i])]->ownedPartial);
            m_ptrB[i] = f32(m_devices[size_t(group[i])]->gathered);
        }
        m_comm.allGatherV(group, m_cptr.data(), m_ptrB.data(), m_cursor.data(), {layer, TrafficKind::AllGather});
    }
    for (auto& dp : m_devices) {
        int64_t offset = 0;
        for (int64_t g = 0; g < ep; ++g) {
            for (int64_t t = g, j = 0; t < n; t += ep, ++j)
                addRow(f32(dp->x, t * h), f32(dp->gathered, (offset + j) * h), h);
            offset += ownedCount(g, n);
        }
    }
}

void ParallelForwardPass::ffnLayer(int64_t layer, int64_t n, int64_t pos, ForwardObserver* observer,
                                   TelemetryRecorder* recorder)
{
    const int64_t h = m_spec.hiddenSize, ep = m_plan.ep();
    const LayerWeights& lw = m_weights.layers[size_t(layer)];
    m_ownedTokens = n;
    {
        StageTimer timer(recorder, Stage::Router);
        for (auto& dp : m_devices) {
            DeviceTensor xn = dp->xn.rowsView(0, n);
            m_backend.rmsNorm(dp->x.rowsView(0, n), lw.ffnNorm, float(m_spec.rmsNormEps), h, xn);
        }
        if (lw.moe)
            route(layer, n, observer, recorder);
    }
    StageTimer timer(recorder, Stage::Experts);
    for (auto& dp : m_devices) {
        ParallelDevice& d = *dp;
        for (int64_t t = d.epRank, j = 0; t < n; t += ep, ++j)
            std::memcpy(f32(d.ownedXn, j * h), f32(d.xn, t * h), size_t(h) * 4);
        std::memset(d.ownedPartial.data, 0, size_t(ownedCount(d.epRank, n) * h) * 4);
    }
    if (lw.moe) {
        planMoe(layer, n, pos);
        if (ep > 1)
            exchangeMoe(layer, false);
        for (auto& dp : m_devices)
            runExperts(*dp, layer);
        if (ep > 1)
            exchangeMoe(layer, true);
        for (auto& dp : m_devices) {
            ParallelDevice& d = *dp;
            for (int64_t i = 0; i < d.localCount; ++i)
                addRow(f32(d.ownedPartial, d.localTarget[size_t(i)] * h), f32(d.workOut, i * h), h);
            for (int64_t i = 0; i < d.sendCount; ++i)
                addRow(f32(d.ownedPartial, d.sendTarget[size_t(i)] * h), f32(d.back, i * h), h);
        }
    }
    for (auto& dp : m_devices)
        denseSlice(*dp, layer);
    reduceAndGather(layer, n);
}

void ParallelForwardPass::run(KvCache& cache, const int32_t* tokens, int64_t n, bool allLogits,
                              ForwardObserver* observer, TelemetryRecorder* recorder, float* logits)
{
    const ModelSpec& s = m_spec;
    m_traffic.reset(m_plan.devices(), s.numLayers); // keeps its storage
    m_comm.setTrafficSink(&m_traffic);
    const int64_t pos = cache.position();
    for (auto& dp : m_devices) {
        DeviceTensor x = dp->x.rowsView(0, n);
        m_backend.embed(m_weights.tokenEmbedding, tokens, n, x);
    }
    for (int64_t l = 0; l < s.numLayers; ++l) {
        {
            StageTimer timer(recorder, Stage::Attention);
            attentionLayer(l, n, pos);
        }
        ffnLayer(l, n, pos, observer, recorder);
        if (observer) {
            m_hostHidden.resize(size_t(n * s.hiddenSize));
            m_backend.download(m_devices[0]->x.rowsView(0, n), m_hostHidden.data(), uint64_t(n * s.hiddenSize) * 4);
            observer->afterLayer(l, m_hostHidden, n);
        }
    }
    // Every device holds the same residual; device 0 computes the logits.
    StageTimer timer(recorder, Stage::Other);
    ParallelDevice& d0 = *m_devices[0];
    const int64_t first = allLogits ? 0 : n - 1, count = n - first;
    DeviceTensor last = d0.x.rowsView(first, count), normed = d0.xn.rowsView(0, count);
    m_backend.rmsNorm(last, m_weights.outputNorm, float(s.rmsNormEps), s.hiddenSize, normed);
    DeviceTensor out = d0.logits.rowsView(0, count);
    m_backend.matmul(normed, m_weights.lmHead, nullptr, out);
    m_backend.download(out, logits, out.bytes);
    m_comm.setTrafficSink(nullptr);
    cache.commit(tokens, n);
}

} // namespace moe
