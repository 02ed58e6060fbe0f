// Weight shards for virtual devices. Row slices (q/k/v heads, expert gate/up FFN rows)
// are views of the loaded weights; column slices (o-proj inputs, down-proj FFN columns)
// are not contiguous in row-major [out, in], so they are copied, as F32 (quantised rows
// are dequantised whole and then cut, since a block may straddle the slice boundary).
#include "parallel_device.h"

#include "moe/error.h"

#include <algorithm>
#include <cstring>

namespace moe {
namespace {

DeviceTensor vectorSlice(const DeviceTensor& t, int64_t first, int64_t count)
{
    if (!t.data)
        return t;
    DeviceTensor v = t;
    v.shape = Shape{count};
    v.data = static_cast<float*>(t.data) + first;
    v.bytes = uint64_t(count) * 4;
    v.owned = false;
    return v;
}

DeviceTensor columnSlice(ParallelDevice& d, Backend& b, const DeviceTensor& w, int64_t first, int64_t count)
{
    const int64_t rows = w.rows(), cols = w.cols();
    DeviceTensor out = b.allocate(DType::F32, Shape{rows, count});
    d.owned.push_back(out);
    const uint64_t rowBytes = w.bytes / uint64_t(rows);
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
        dequantizeRow(w.dtype, static_cast<const uint8_t*>(w.data) + uint64_t(r) * rowBytes, row.data(), size_t(cols));
        std::memcpy(static_cast<float*>(out.data) + r * count, row.data() + first, size_t(count) * 4);
    }
    return out;
}

ExpertWeights ffnSlice(ParallelDevice& d, Backend& b, const ExpertWeights& w, int64_t tp)
{
    if (!w.gate.data || tp == 1)
        return w;
    const int64_t f = w.gate.rows() / tp, first = d.tpRank * f;
    ExpertWeights s;
    s.gate = w.gate.rowsView(first, f);
    s.up = w.up.rowsView(first, f);
    s.down = columnSlice(d, b, w.down, first, f);
    return s;
}

void buildAttention(ParallelDevice& d, Backend& b, const ModelSpec& s, const LayerWeights& lw, AttentionShard& a,
                    int64_t tp)
{
    const int64_t hd = s.headDim;
    const int64_t q0 = d.heads.firstHead * hd, qn = d.heads.heads * hd;
    const int64_t k0 = d.heads.firstKvHead * hd, kn = d.heads.kvHeads * hd;
    a.q = lw.q.rowsView(q0, qn);
    a.k = lw.k.rowsView(k0, kn);
    a.v = lw.v.rowsView(k0, kn);
    a.o = tp == 1 ? lw.o : columnSlice(d, b, lw.o, q0, qn);
    a.qBias = vectorSlice(lw.qBias, q0, qn);
    a.kBias = vectorSlice(lw.kBias, k0, kn);
    a.vBias = vectorSlice(lw.vBias, k0, kn);
    const bool whole = s.qkNorm == QkNorm::Full;
    a.qNorm = whole ? vectorSlice(lw.qNorm, q0, qn) : lw.qNorm;
    a.kNorm = whole ? vectorSlice(lw.kNorm, k0, kn) : lw.kNorm;
}

void buildFfn(ParallelDevice& d, Backend& b, const ModelSpec& s, const ParallelPlan& plan, const LayerWeights& lw,
              int64_t moeLayer, FfnShard& f)
{
    f.dense = ffnSlice(d, b, lw.shared, plan.tp());
    if (!lw.moe)
        return;
    f.localOf.assign(size_t(s.numExperts), -1);
    for (int32_t e : plan.placement(moeLayer).expertsOfGroup[size_t(d.epRank)]) {
        f.localOf[size_t(e)] = int32_t(f.experts.size());
        f.experts.push_back(ffnSlice(d, b, lw.experts[size_t(e)], plan.tp()));
    }
}

void allocateBuffers(ParallelDevice& d, Backend& b, const ModelSpec& s, int64_t tp, int64_t maxBatch, int64_t context)
{
    const int64_t h = s.hiddenSize, hd = s.headDim;
    const int64_t assignments = maxBatch * std::max<int64_t>(s.numExpertsPerToken, 1);
    const int64_t ffn = std::max({s.moeIntermediateSize, s.sharedExpertIntermediateSize, s.intermediateSize}) / tp;
    auto alloc = [&](int64_t rows, int64_t width) {
        DeviceTensor t = b.allocate(DType::F32, Shape{std::max<int64_t>(rows, 1), std::max<int64_t>(width, 1)});
        std::memset(t.data, 0, t.bytes);
        d.owned.push_back(t);
        return t;
    };
    d.x = alloc(maxBatch, h);
    d.xn = alloc(maxBatch, h);
    d.q = alloc(maxBatch, d.heads.heads * hd);
    d.att = alloc(maxBatch, d.heads.heads * hd);
    d.k = alloc(maxBatch, d.heads.kvHeads * hd);
    d.v = alloc(maxBatch, d.heads.kvHeads * hd);
    d.partial = alloc(maxBatch, std::max(h, s.numExperts)); // o-proj partials, then router logits
    d.logits = alloc(maxBatch, s.vocabSize);
    d.ownedXn = alloc(maxBatch, h);
    d.ownedPartial = alloc(maxBatch, h);
    d.gathered = alloc(maxBatch, h);
    d.ffnGate = alloc(maxBatch, ffn);
    d.ffnUp = alloc(maxBatch, ffn);
    d.ffnAct = alloc(maxBatch, ffn);
    d.ffnOut = alloc(maxBatch, h);
    d.scale = alloc(maxBatch, 1);
    d.work = alloc(assignments, h);
    d.workOut = alloc(assignments, h);
    d.back = alloc(assignments, h);
    d.normSq.assign(size_t(maxBatch), 0.f);
    d.ids.assign(size_t(assignments), 0);
    d.gates.assign(size_t(assignments), 0.f);
    d.workExpert.assign(size_t(assignments), 0);
    d.workGate.assign(size_t(assignments), 0.f);
    d.localTarget.assign(size_t(assignments), 0);
    d.sendTarget.assign(size_t(assignments), 0);
    d.sendSlot.assign(size_t(assignments), 0);
    for (int64_t l = 0; l < s.numLayers; ++l) {
        d.kCache.push_back(alloc(context, d.heads.kvHeads * hd));
        d.vCache.push_back(alloc(context, d.heads.kvHeads * hd));
    }
}

} // namespace

void buildParallelDevice(ParallelDevice& d, Backend& b, const ModelSpec& s, const ModelWeights& w,
                         const ParallelPlan& plan, int64_t maxBatch, int64_t context)
{
    if (!b.isHost())
        throw Error(ErrorCode::InvalidArgument, "", "devices", "virtual devices need a host (CPU) backend");
    d.tpRank = plan.tpRankOf(d.id);
    d.epRank = plan.epRankOf(d.id);
    d.heads = plan.headShard(d.tpRank);
    try {
        d.attn.resize(size_t(s.numLayers));
        d.ffn.resize(size_t(s.numLayers));
        int64_t moeLayer = 0;
        for (int64_t l = 0; l < s.numLayers; ++l) {
            const LayerWeights& lw = w.layers[size_t(l)];
            buildAttention(d, b, s, lw, d.attn[size_t(l)], plan.tp());
            buildFfn(d, b, s, plan, lw, lw.moe ? moeLayer : -1, d.ffn[size_t(l)]);
            moeLayer += lw.moe ? 1 : 0;
        }
        allocateBuffers(d, b, s, plan.tp(), maxBatch, context);
    } catch (...) {
        releaseParallelDevice(d, b);
        throw;
    }
}

void releaseParallelDevice(ParallelDevice& d, Backend& b)
{
    for (DeviceTensor& t : d.owned)
        b.release(t);
    d.owned.clear();
}

} // namespace moe
