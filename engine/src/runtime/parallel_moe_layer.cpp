// ParallelForwardPass: the FFN half of a layer (routing, dispatch, experts, combine,
// shared / dense slices, TP all-reduce, EP all-gather) and the step driver.
#include "parallel_device.h"
#include "parallel_forward_pass.h"

#include "moe/error.h"

#include <algorithm>

namespace moe {
namespace {

float* f32(const DeviceTensor& t, int64_t offset = 0) { return static_cast<float*>(t.data) + offset; }

} // namespace

// Every device's work follows from the routing, so the controller builds each device's
// work list and the per-pair row counts without exchanging them. Row orders (both sides
// agree on them): a device's sends are grouped by destination group, each in (token,
// slot) order; its receives by source group, each in (token, slot) order.
void ParallelForwardPass::planMoe(int64_t layer, int64_t n, int64_t pos)
{
    const ExpertPlacement& placement = m_plan.placement(m_moeIndex[size_t(layer)]);
    const int64_t ep = m_plan.ep(), k = m_spec.numExpertsPerToken, h = m_spec.hiddenSize;
    const std::vector<int32_t>& ids = m_ids;
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
                if (dst == g) {
                    d.workExpert[size_t(local)] = f.localOf[size_t(e)];
                    d.workGate[size_t(local)] = m_gates[size_t(t * k + s)];
                    d.localSource[size_t(local)] = int32_t(t);
                    d.localTarget[size_t(local)] = int32_t(t / ep);
                    ++local;
                } else {
                    const int64_t r = m_cursor[size_t(dst)]++;
                    d.sendSource[size_t(r)] = int32_t(t);
                    d.sendTarget[size_t(r)] = int32_t(t / ep);
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
                    d.workGate[size_t(w)] = m_gates[size_t(t * k + s)];
                    ++w;
                }
        d.workCount = w;
        // The local rows, then the rows to send, out of the normed residual.
        Backend& b = *d.backend;
        const DeviceTensor xn = d.xn.rowsView(0, n);
        DeviceTensor work = d.work, back = d.back;
        b.gatherRows(xn, d.localSource.data(), d.localCount, work);
        b.gatherRows(xn, d.sendSource.data(), d.sendCount, back);
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
        finishQueued(group);
        m_comm.allToAllV(group, m_cptr.data(), m_ptrB.data(), combine ? m_countsT.data() : m_counts.data(),
                         {layer, combine ? TrafficKind::Combine : TrafficKind::Dispatch});
    }
}

void ParallelForwardPass::runExperts(ParallelDevice& d, int64_t layer)
{
    const int64_t h = m_spec.hiddenSize;
    const FfnShard& f = d.ffn[size_t(layer)];
    if (d.workCount == 0)
        return;
    DeviceTensor x = d.work.leadingView(d.workCount, h), out = d.workOut.leadingView(d.workCount, h);
    d.backend->zero(out);
    if (f.experts.empty())
        return;
    MoeFfnParams mp;
    mp.x = &x;
    mp.experts = &f.experts;
    mp.expertIds = d.workExpert.data();
    mp.expertWeights = d.workGate.data();
    mp.routingOnHost = true;
    mp.topK = 1; // one row per (token, expert) pair, already weighted by its gate
    mp.out = &out;
    d.backend->moeExperts(mp);
}

// This device's slice of the shared expert (or dense FFN) over its group's owned tokens.
void ParallelForwardPass::denseSlice(ParallelDevice& d, int64_t layer)
{
    const ExpertWeights& w = d.ffn[size_t(layer)].dense;
    const int64_t m = ownedCount(d.epRank, m_ownedTokens);
    if (!w.gate.data || m == 0)
        return;
    Backend& b = *d.backend;
    const int64_t width = w.gate.rows(), h = m_spec.hiddenSize;
    DeviceTensor xn = d.ownedXn.leadingView(m, h), g = d.ffnGate.leadingView(m, width), u = d.ffnUp.leadingView(m, width),
                 a = d.ffnAct.leadingView(m, width), out = d.ffnOut.leadingView(m, h), acc = d.ownedPartial.leadingView(m, h);
    b.matmul(xn, w.gate, nullptr, g);
    b.matmul(xn, w.up, nullptr, u);
    b.swiglu(g, u, a);
    b.matmul(a, w.down, nullptr, out);
    const DeviceTensor& gate = d.whole[size_t(layer)].sharedExpertGate;
    if (gate.data) {
        // sigmoid(gate · x) scales the whole shared output, so it scales each slice alike.
        DeviceTensor scale = d.scale.leadingView(m, 1);
        b.matmul(xn, gate, nullptr, scale);
        b.sigmoid(scale);
        b.addScaledRows(acc, out, scale);
    } else {
        b.add(acc, out);
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
            if (ownedCount(int64_t(g), n) > 0) {
                finishQueued(group);
                m_comm.allReduceSum(group, m_ptrA.data(), ownedCount(int64_t(g), n) * h, {layer, TrafficKind::AllReduce});
            }
        }
    if (ep == 1) {
        for (auto& dp : m_devices) {
            DeviceTensor x = dp->x.rowsView(0, n);
            dp->backend->add(x, dp->ownedPartial.leadingView(n, h));
        }
        return;
    }
    // Gathered rows come group by group; row j of group g is token g + j * ep.
    int64_t row = 0;
    for (int64_t g = 0; g < ep; ++g) {
        m_cursor[size_t(g)] = ownedCount(g, n) * h;
        for (int64_t t = g; t < n; t += ep)
            m_gatherTargets[size_t(row++)] = int32_t(t);
    }
    for (const auto& group : m_epGroups) {
        for (size_t i = 0; i < group.size(); ++i) {
            m_cptr[i] = f32(m_devices[size_t(group[i])]->ownedPartial);
            m_ptrB[i] = f32(m_devices[size_t(group[i])]->gathered);
        }
        finishQueued(group);
        m_comm.allGatherV(group, m_cptr.data(), m_ptrB.data(), m_cursor.data(), {layer, TrafficKind::AllGather});
    }
    for (auto& dp : m_devices) {
        DeviceTensor x = dp->x.rowsView(0, n);
        dp->backend->scatterAddRows(x, m_gatherTargets.data(), n, dp->gathered.rowsView(0, n));
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
            dp->backend->rmsNorm(dp->x.rowsView(0, n), dp->whole[size_t(layer)].ffnNorm, float(m_spec.rmsNormEps), h,
                                 xn);
        }
        if (lw.moe)
            route(layer, n, observer, recorder);
    }
    StageTimer timer(recorder, Stage::Experts);
    for (auto& dp : m_devices) {
        ParallelDevice& d = *dp;
        const int64_t m = ownedCount(d.epRank, n);
        if (m == 0)
            continue;
        for (int64_t j = 0; j < m; ++j)
            d.ownedRows[size_t(j)] = int32_t(d.epRank + j * ep);
        DeviceTensor owned = d.ownedXn.rowsView(0, m), partial = d.ownedPartial.rowsView(0, m);
        d.backend->gatherRows(d.xn.rowsView(0, n), d.ownedRows.data(), m, owned);
        d.backend->zero(partial);
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
            const int64_t m = ownedCount(d.epRank, n);
            if (m == 0)
                continue;
            DeviceTensor partial = d.ownedPartial.rowsView(0, m);
            d.backend->scatterAddRows(partial, d.localTarget.data(), d.localCount, d.workOut);
            d.backend->scatterAddRows(partial, d.sendTarget.data(), d.sendCount, d.back);
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
        dp->backend->embed(dp->embedding, tokens, n, x);
    }
    for (int64_t l = 0; l < s.numLayers; ++l) {
        {
            StageTimer timer(recorder, Stage::Attention);
            attentionLayer(l, n, pos);
        }
        ffnLayer(l, n, pos, observer, recorder);
        if (observer) {
            m_hostHidden.resize(size_t(n * s.hiddenSize));
            m_devices[0]->backend->download(m_devices[0]->x.rowsView(0, n), m_hostHidden.data(),
                                            uint64_t(n * s.hiddenSize) * 4);
            observer->afterLayer(l, m_hostHidden, n);
        }
    }
    // Every device holds the same residual; device 0 computes the logits.
    StageTimer timer(recorder, Stage::Other);
    ParallelDevice& d0 = *m_devices[0];
    const int64_t first = allLogits ? 0 : n - 1, count = n - first;
    DeviceTensor last = d0.x.rowsView(first, count), normed = d0.xn.rowsView(0, count);
    d0.backend->rmsNorm(last, d0.outputNorm, float(s.rmsNormEps), s.hiddenSize, normed);
    DeviceTensor out = d0.logits.rowsView(0, count);
    d0.backend->matmul(normed, d0.lmHead, nullptr, out);
    d0.backend->download(out, logits, out.bytes);
    for (auto& dp : m_devices) // the other devices' last ops (the KV writes) are done too
        if (dp->backend != d0.backend && !dp->backend->isHost())
            dp->backend->synchronize();
    m_comm.setTrafficSink(nullptr);
    cache.commit(tokens, n);
}

} // namespace moe
