// Weight shards of the devices of a parallel plan. Row slices (q/k/v heads, expert
// gate/up FFN rows) are row ranges of the loaded weights; column slices (o-proj inputs,
// down-proj FFN columns) are not contiguous in row-major [out, in], so they are copied:
// in the weights' own type when the slice falls on block boundaries, else as F32
// (quantised rows dequantised whole and then cut). Every tensor reaches its device through Backend::weight(): a
// host backend keeps a view of it, a GPU gets its own copy.
#include "parallel_device.h"

#include "moe/error.h"

#include <algorithm>
#include <cstring>

namespace moe {
namespace {

// Host tensor `t` (a view of the loaded weights or of a host copy) on d's backend.
DeviceTensor place(ParallelDevice& d, const DeviceTensor& t)
{
    if (!t.data)
        return t;
    DeviceTensor out = d.backend->weight(WeightView{t.dtype, t.shape, t.data, t.bytes});
    d.owned.push_back(out);
    return out;
}

DeviceTensor vectorSlice(ParallelDevice& d, const DeviceTensor& t, int64_t first, int64_t count)
{
    if (!t.data)
        return t;
    DeviceTensor v = t;
    v.shape = Shape{count};
    v.data = static_cast<float*>(t.data) + first;
    v.bytes = uint64_t(count) * 4;
    v.owned = false;
    return place(d, v);
}

// A tensor built on the host, copied into memory of d's backend.
DeviceTensor placeCopy(ParallelDevice& d, DType type, const Shape& shape, const void* host)
{
    DeviceTensor t = d.backend->allocate(type, shape);
    d.owned.push_back(t);
    d.backend->upload(host, t, t.bytes);
    return t;
}

// Columns [first, first + count) of every row. When the range starts and ends on block
// boundaries (plain types always do), the rows' bytes are cut as they are, so the slice
// keeps the weights' type; otherwise the rows are dequantised and the slice is F32.
DeviceTensor columnSlice(ParallelDevice& d, const DeviceTensor& w, int64_t first, int64_t count)
{
    const int64_t rows = w.rows(), cols = w.cols();
    const uint64_t rowBytes = w.bytes / uint64_t(rows);
    const DTypeInfo& type = dtypeInfo(w.dtype);
    if (first % type.blockElements == 0 && count % type.blockElements == 0) {
        const size_t from = size_t(first / type.blockElements) * size_t(type.blockBytes);
        const size_t bytes = size_t(count / type.blockElements) * size_t(type.blockBytes);
        std::vector<uint8_t> out(size_t(rows) * bytes);
        for (int64_t r = 0; r < rows; ++r)
            std::memcpy(out.data() + size_t(r) * bytes, static_cast<const uint8_t*>(w.data) + uint64_t(r) * rowBytes + from,
                        bytes);
        return placeCopy(d, w.dtype, Shape{rows, count}, out.data());
    }
    std::vector<float> out(size_t(rows * count));
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
        dequantizeRow(w.dtype, static_cast<const uint8_t*>(w.data) + uint64_t(r) * rowBytes, row.data(), size_t(cols));
        std::memcpy(out.data() + r * count, row.data() + first, size_t(count) * 4);
    }
    return placeCopy(d, DType::F32, Shape{rows, count}, out.data());
}

ExpertWeights ffnSlice(ParallelDevice& d, const ExpertWeights& w, int64_t tp)
{
    if (!w.gate.data)
        return w;
    if (tp == 1)
        return {place(d, w.gate), place(d, w.up), place(d, w.down)};
    const int64_t f = w.gate.rows() / tp, first = d.tpRank * f;
    ExpertWeights s;
    s.gate = place(d, w.gate.rowsView(first, f));
    s.up = place(d, w.up.rowsView(first, f));
    s.down = columnSlice(d, w.down, first, f);
    return s;
}

void buildAttention(ParallelDevice& d, const ModelSpec& s, const LayerWeights& lw, AttentionShard& a, int64_t tp)
{
    const int64_t hd = s.headDim;
    const int64_t q0 = d.heads.firstHead * hd, qn = d.heads.heads * hd;
    const int64_t k0 = d.heads.firstKvHead * hd, kn = d.heads.kvHeads * hd;
    a.q = place(d, lw.q.rowsView(q0, qn));
    a.k = place(d, lw.k.rowsView(k0, kn));
    a.v = place(d, lw.v.rowsView(k0, kn));
    a.o = tp == 1 ? place(d, lw.o) : columnSlice(d, lw.o, q0, qn);
    a.qBias = vectorSlice(d, lw.qBias, q0, qn);
    a.kBias = vectorSlice(d, lw.kBias, k0, kn);
    a.vBias = vectorSlice(d, lw.vBias, k0, kn);
    const bool whole = s.qkNorm == QkNorm::Full;
    a.qNorm = whole ? vectorSlice(d, lw.qNorm, q0, qn) : place(d, lw.qNorm);
    a.kNorm = whole ? vectorSlice(d, lw.kNorm, k0, kn) : place(d, lw.kNorm);
}

void buildFfn(ParallelDevice& d, const ModelSpec& s, const ParallelPlan& plan, const LayerWeights& lw,
              int64_t moeLayer, FfnShard& f)
{
    f.dense = ffnSlice(d, lw.shared, plan.tp());
    if (!lw.moe)
        return;
    f.localOf.assign(size_t(s.numExperts), -1);
    for (int32_t e : plan.placement(moeLayer).expertsOfGroup[size_t(d.epRank)]) {
        f.localOf[size_t(e)] = int32_t(f.experts.size());
        f.experts.push_back(ffnSlice(d, lw.experts[size_t(e)], plan.tp()));
    }
}

void buildReplicated(ParallelDevice& d, const ModelWeights& w)
{
    const bool first = d.id == 0; // routes and computes the logits
    for (const LayerWeights& lw : w.layers)
        d.whole.push_back({place(d, lw.attnNorm), place(d, lw.ffnNorm), first ? place(d, lw.router) : DeviceTensor{},
                           place(d, lw.sharedExpertGate)});
    d.embedding = place(d, w.tokenEmbedding);
    if (first) {
        d.outputNorm = place(d, w.outputNorm);
        d.lmHead = w.lmHead.data == w.tokenEmbedding.data ? d.embedding : place(d, w.lmHead);
    }
}

void allocateBuffers(ParallelDevice& d, const ModelSpec& s, int64_t tp, int64_t maxBatch, int64_t context)
{
    const int64_t h = s.hiddenSize, hd = s.headDim;
    const int64_t assignments = maxBatch * std::max<int64_t>(s.numExpertsPerToken, 1);
    const int64_t ffn = std::max({s.moeIntermediateSize, s.sharedExpertIntermediateSize, s.intermediateSize}) / tp;
    auto alloc = [&](int64_t rows, int64_t width) { // zeroed by the backend
        DeviceTensor t = d.backend->allocate(DType::F32, Shape{std::max<int64_t>(rows, 1), std::max<int64_t>(width, 1)});
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
    d.logits = d.id == 0 ? alloc(maxBatch, s.vocabSize) : DeviceTensor{};
    d.ownedXn = alloc(maxBatch, h);
    d.ownedPartial = alloc(maxBatch, h);
    d.gathered = alloc(maxBatch, h);
    d.ffnGate = alloc(maxBatch, ffn);
    d.ffnUp = alloc(maxBatch, ffn);
    d.ffnAct = alloc(maxBatch, ffn);
    d.ffnOut = alloc(maxBatch, h);
    d.scale = alloc(maxBatch, 1);
    d.normSq = alloc(maxBatch, 1);
    d.work = alloc(assignments, h);
    d.workOut = alloc(assignments, h);
    d.back = alloc(assignments, h);
    for (auto* v : {&d.workExpert, &d.localSource, &d.localTarget, &d.sendSource, &d.sendTarget})
        v->assign(size_t(assignments), 0);
    d.workGate.assign(size_t(assignments), 0.f);
    d.ownedRows.assign(size_t(maxBatch), 0);
    for (int64_t l = 0; l < s.numLayers; ++l) {
        d.kCache.push_back(alloc(context, d.heads.kvHeads * hd));
        d.vCache.push_back(alloc(context, d.heads.kvHeads * hd));
    }
}

} // namespace

void buildParallelDevice(ParallelDevice& d, const ModelSpec& s, const ModelWeights& w, const ParallelPlan& plan,
                         int64_t maxBatch, int64_t context)
{
    if (!d.backend)
        throw Error(ErrorCode::InvalidArgument, "", "devices", "device " + std::to_string(d.id) + " has no backend");
    d.tpRank = plan.tpRankOf(d.id);
    d.epRank = plan.epRankOf(d.id);
    d.heads = plan.headShard(d.tpRank);
    try {
        d.attn.resize(size_t(s.numLayers));
        d.ffn.resize(size_t(s.numLayers));
        int64_t moeLayer = 0;
        for (int64_t l = 0; l < s.numLayers; ++l) {
            const LayerWeights& lw = w.layers[size_t(l)];
            buildAttention(d, s, lw, d.attn[size_t(l)], plan.tp());
            buildFfn(d, s, plan, lw, lw.moe ? moeLayer : -1, d.ffn[size_t(l)]);
            moeLayer += lw.moe ? 1 : 0;
        }
        buildReplicated(d, w);
        allocateBuffers(d, s, plan.tp(), maxBatch, context);
    } catch (...) {
        releaseParallelDevice(d);
        throw;
    }
}

void releaseParallelDevice(ParallelDevice& d)
{
    for (DeviceTensor& t : d.owned)
        d.backend->release(t);
    d.owned.clear();
}

} // namespace moe
