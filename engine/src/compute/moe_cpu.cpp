// CpuBackend::moeExperts — grouped SwiGLU experts.
//
// 1. Counting sort of the n * topK (token, slot) assignments by expert (stable, so each
//    expert's tokens stay in token order).
// 2. Gather each expert's token rows into one contiguous block.
// 3. gate and up of every active expert in ONE batched matmul dispatch, swiglu, then
//    every down projection in another: decode pays three pool dispatches per layer, and
//    in prefill each expert's weights are read once for all of its tokens.
// 4. Scatter-add: token t adds w * expert_out in slot order 0..topK-1 — a fixed order, so
//    results do not depend on the thread count.
#include "compute/cpu_backend.h"
#include "compute/cpu_ops.h"
#include "moe/error.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace moe {

void CpuBackend::ensureMoeScratch(int64_t assignments, int64_t hidden, int64_t ffn, int64_t experts)
{
    const size_t a = size_t(std::max<int64_t>(assignments, 1));
    m_moeOffsets.ensure(size_t(experts + 1) * 8);
    m_moeOrder.ensure(a * 4);
    m_moeSlotOf.ensure(a * 4);
    m_moeX.ensure(a * size_t(hidden) * 4);
    m_moeD.ensure(a * size_t(hidden) * 4);
    m_moeG.ensure(a * size_t(ffn) * 4);
    m_moeU.ensure(a * size_t(ffn) * 4);
    m_moeXq.ensure(a * size_t(hidden / 32) * sizeof(kern::ActQ8Block));
    m_moeHq.ensure(a * size_t(ffn / 32) * sizeof(kern::ActQ8Block));
    m_moeXqK.ensure(a * size_t(hidden / kQK_K) * sizeof(BlockQ8_K));
    m_moeHqK.ensure(a * size_t(ffn / kQK_K) * sizeof(BlockQ8_K));
    m_moeJobs.ensure(size_t(2 * experts) * sizeof(MatmulJob));
}

void CpuBackend::moeExperts(const MoeFfnParams& p)
{
    if (!p.x || !p.experts || !p.out || p.topK <= 0)
        throw Error(ErrorCode::InvalidArgument, "", "moeExperts", "missing x / experts / out / topK");
    const std::vector<ExpertWeights>& experts = *p.experts;
    const int64_t n = p.x->rows(), hidden = p.x->cols(), k = p.topK, e = int64_t(experts.size());
    const int32_t* ids = p.expertIds ? p.expertIds : m_routeIds.as<int32_t>();
    const float* weights = p.expertWeights ? p.expertWeights : m_routeWeights.as<float>();
    if (!p.expertIds && (m_routeTokens != n || m_routeTopK != k))
        throw Error(ErrorCode::InvalidArgument, "", "moeExperts", "no routeTopK result for this batch");
    if (p.out->rows() != n || p.out->cols() != hidden || e == 0 || 2 * e > kMaxMatmulJobs)
        throw Error(ErrorCode::InvalidArgument, "", "moeExperts", "out " + p.out->shape.toString());
    // All routed experts of a layer share one width; the gathered blocks rely on it.
    const int64_t ffn = experts.front().gate.rows();
    bool quantUp = false, quantDown = false, kquantUp = false, kquantDown = false;
    for (const ExpertWeights& ew : experts) {
        if (ew.gate.rows() != ffn || ew.up.rows() != ffn || ew.gate.cols() != hidden || ew.up.cols() != hidden ||
            ew.down.rows() != hidden || ew.down.cols() != ffn)
            throw Error(ErrorCode::InvalidArgument, "", "moeExperts",
                        "expert shapes " + ew.gate.shape.toString() + " / " + ew.down.shape.toString());
        if (hidden % dtypeInfo(ew.gate.dtype).blockElements != 0 || hidden % dtypeInfo(ew.up.dtype).blockElements != 0 ||
            ffn % dtypeInfo(ew.down.dtype).blockElements != 0)
            throw Error(ErrorCode::InvalidArgument, "", "moeExperts",
                        "expert widths " + std::to_string(hidden) + " / " + std::to_string(ffn) +
                            " are not multiples of the weights' block size");
        // The 32-block types (kern::hasQuantTile) take integer dots on 8-bit activations,
        // Q4_K / Q5_K / Q6_K on Q8_K ones; other block types are dequantised per row block and
        // multiply F32 activations.
        quantUp = quantUp || kern::hasQuantTile(ew.gate.dtype) || kern::hasQuantTile(ew.up.dtype);
        quantDown = quantDown || kern::hasQuantTile(ew.down.dtype);
        kquantUp = kquantUp || kern::hasKQuantTile(ew.gate.dtype) || kern::hasKQuantTile(ew.up.dtype);
        kquantDown = kquantDown || kern::hasKQuantTile(ew.down.dtype);
    }
    const int64_t total = n * k;
    ensureMoeScratch(total, hidden, ffn, e);

    // 1. counting sort by expert
    auto* offsets = m_moeOffsets.as<int64_t>();
    auto* order = m_moeOrder.as<int32_t>();
    auto* slotOf = m_moeSlotOf.as<int32_t>();
    std::fill(offsets, offsets + e + 1, 0);
    for (int64_t a = 0; a < total; ++a) {
        if (ids[a] < 0 || ids[a] >= e)
            throw Error(ErrorCode::InvalidArgument, "", "moeExperts", "expert id " + std::to_string(ids[a]));
        ++offsets[ids[a] + 1];
    }
    for (int64_t i = 0; i < e; ++i)
        offsets[i + 1] += offsets[i];
    for (int64_t a = 0; a < total; ++a) {
        const int64_t slot = offsets[ids[a]]++;
        order[slot] = int32_t(a);
        slotOf[a] = int32_t(slot);
    }
    for (int64_t i = e; i > 0; --i) // the fill pass advanced each start to the next start
        offsets[i] = offsets[i - 1];
    offsets[0] = 0;

    // 2. gather
    const float* x = static_cast<const float*>(p.x->data);
    float* gx = m_moeX.as<float>();
    m_pool.parallelFor(total, [&](int64_t s, int) {
        std::memcpy(gx + s * hidden, x + (order[s] / k) * hidden, size_t(hidden) * 4);
    });
    const CpuSimd simd = cpuSimdLevel();
    // Integer dot products need quantised activations; experts with enough tokens for
    // the packed GEMM read F32 ones, so prefill usually skips this.
    bool gemvExperts = false, kquantExperts = false;
    for (int64_t i = 0; i < e; ++i) {
        const int64_t rows = offsets[i + 1] - offsets[i];
        // Q8_0 stands for both quantised dtypes: they share the packed threshold.
        gemvExperts = gemvExperts || (rows > 0 && !matmulUsesPackedGemm(simd, DType::Q8_0, rows));
        // Likewise Q4_K for Q4_K / Q5_K / Q6_K (fused dots on Q8_K activations).
        kquantExperts = kquantExperts || (rows > 0 && matmulUsesKQuantDot(simd, DType::Q4_K, rows));
    }
    quantUp = quantUp && gemvExperts;
    quantDown = quantDown && gemvExperts;
    kquantUp = kquantUp && kquantExperts;
    kquantDown = kquantDown && kquantExperts;
    if (quantUp)
        quantizeActivations(m_pool, simd, gx, total, hidden, m_moeXq.as<kern::ActQ8Block>());
    if (kquantUp)
        quantizeActivationsQ8K(m_pool, simd, gx, total, hidden, m_moeXqK.as<BlockQ8_K>());

    // 3. gate + up, swiglu, down
    auto* jobs = m_moeJobs.as<MatmulJob>();
    float* g = m_moeG.as<float>();
    float* u = m_moeU.as<float>();
    int count = 0;
    for (int64_t i = 0; i < e; ++i) {
        const int64_t rows = offsets[i + 1] - offsets[i];
        if (rows == 0)
            continue; // experts nobody chose cost nothing
        const ExpertWeights& ew = experts[size_t(i)];
        MatmulJob j;
        j.x = gx + offsets[i] * hidden;
        j.xq = m_moeXq.as<kern::ActQ8Block>() + offsets[i] * (hidden / 32);
        j.xqk = kquantUp && matmulUsesKQuantDot(simd, DType::Q4_K, rows)
                    ? m_moeXqK.as<BlockQ8_K>() + offsets[i] * (hidden / kQK_K)
                    : nullptr;
        j.n = rows;
        j.in = hidden;
        j.out = ew.gate.rows();
        j.w = ew.gate.data;
        j.wtype = ew.gate.dtype;
        j.y = g + offsets[i] * ffn;
        jobs[count++] = j;
        j.w = ew.up.data;
        j.wtype = ew.up.dtype;
        j.y = u + offsets[i] * ffn;
        jobs[count++] = j;
    }
    const MatmulWorkspace ws = workspace(std::max(hidden, ffn));
    runMatmulJobs(m_pool, simd, ws, jobs, count);
    cpu::swiglu(m_pool, g, u, g, total * ffn);

    if (quantDown)
        quantizeActivations(m_pool, simd, g, total, ffn, m_moeHq.as<kern::ActQ8Block>());
    if (kquantDown)
        quantizeActivationsQ8K(m_pool, simd, g, total, ffn, m_moeHqK.as<BlockQ8_K>());
    float* d = m_moeD.as<float>();
    count = 0;
    for (int64_t i = 0; i < e; ++i) {
        const int64_t rows = offsets[i + 1] - offsets[i];
        if (rows == 0)
            continue;
        const ExpertWeights& ew = experts[size_t(i)];
        MatmulJob j;
        j.x = g + offsets[i] * ffn;
        j.xq = m_moeHq.as<kern::ActQ8Block>() + offsets[i] * (ffn / 32);
        j.xqk = kquantDown && matmulUsesKQuantDot(simd, DType::Q4_K, rows)
                    ? m_moeHqK.as<BlockQ8_K>() + offsets[i] * (ffn / kQK_K)
                    : nullptr;
        j.n = rows;
        j.in = ffn;
        j.out = hidden;
        j.w = ew.down.data;
        j.wtype = ew.down.dtype;
        j.y = d + offsets[i] * hidden;
        jobs[count++] = j;
    }
    runMatmulJobs(m_pool, simd, ws, jobs, count);

    // 4. weighted scatter-add in slot order
    float* out = static_cast<float*>(p.out->data);
    m_pool.parallelFor(n, [&](int64_t t, int) {
        float* o = out + t * hidden;
        for (int64_t s = 0; s < k; ++s) {
            const float w = weights[t * k + s];
            const float* src = d + int64_t(slotOf[t * k + s]) * hidden;
            for (int64_t c = 0; c < hidden; ++c)
                o[c] += w * src[c];
        }
    });
}

} // namespace moe
