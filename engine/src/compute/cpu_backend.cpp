#include "compute/cpu_backend.h"

#include "compute/cpu_ops.h"
#include "moe/error.h"
#include "moe/sampler.h"

#include <algorithm>
#include <cstring>

namespace moe {

namespace {

constexpr size_t kAlign = 64;

[[noreturn]] void badArgument(const char* op, const std::string& detail)
{
    throw Error(ErrorCode::InvalidArgument, "", op, detail);
}

void requireF32(const DeviceTensor& t, const char* op, const char* what)
{
    if (t.dtype != DType::F32 || !t.data)
        badArgument(op, std::string(what) + " must be an allocated F32 tensor");
}

void requireSameShape(const DeviceTensor& a, const DeviceTensor& b, const char* op)
{
    if (a.rows() != b.rows() || a.cols() != b.cols())
        badArgument(op, "shape " + a.shape.toString() + " vs " + b.shape.toString());
}

float* f32(DeviceTensor& t) { return static_cast<float*>(t.data); }
const float* f32(const DeviceTensor& t) { return static_cast<const float*>(t.data); }

} // namespace

void* alignedAllocate(size_t bytes)
{
    const size_t rounded = (std::max<size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, rounded);
    if (!p)
        throw Error(ErrorCode::OutOfMemory, "", "cpu backend", "cannot allocate " + std::to_string(bytes) + " bytes");
    return p;
}

void AlignedBuffer::ensure(size_t bytes)
{
    if (bytes <= m_bytes && m_data)
        return;
    m_data.reset(alignedAllocate(bytes));
    m_bytes = bytes;
}

CpuBackend::CpuBackend(const CpuBackendOptions& options) : m_pool(options.threads) {}

std::string CpuBackend::name() const
{
    return "cpu (" + std::to_string(threadCount()) + " threads, " + cpuSimdName(cpuSimdLevel()) + ")";
}

DeviceTensor CpuBackend::allocate(DType dtype, const Shape& shape)
{
    const auto rowSize = rowBytes(dtype, uint64_t(shape.cols()));
    if (!rowSize || shape.elements() < 0)
        badArgument("allocate", "shape " + shape.toString() + " does not fit dtype " + dtypeName(dtype));
    DeviceTensor t;
    t.dtype = dtype;
    t.shape = shape;
    t.bytes = *rowSize * uint64_t(shape.rows());
    t.data = alignedAllocate(t.bytes);
    std::memset(t.data, 0, t.bytes); // a fresh KV cache or accumulator starts at zero
    t.owned = true;
    return t;
}

void CpuBackend::release(DeviceTensor& t)
{
    if (t.owned)
        std::free(t.data);
    t = DeviceTensor{};
}

DeviceTensor CpuBackend::weight(const WeightView& w)
{
    DeviceTensor t;
    t.dtype = w.dtype;
    t.shape = w.shape;
    t.data = const_cast<void*>(w.data); // ops only read weights; the mapping stays read-only
    t.bytes = w.bytes;
    t.owned = false;
    return t;
}

void CpuBackend::upload(const void* host, DeviceTensor& dst, uint64_t bytes, uint64_t dstOffset)
{
    if (dstOffset > dst.bytes || bytes > dst.bytes - dstOffset)
        badArgument("upload", "range past the end of the tensor");
    std::memcpy(static_cast<uint8_t*>(dst.data) + dstOffset, host, bytes);
}

void CpuBackend::download(const DeviceTensor& src, void* host, uint64_t bytes, uint64_t srcOffset)
{
    if (srcOffset > src.bytes || bytes > src.bytes - srcOffset)
        badArgument("download", "range past the end of the tensor");
    std::memcpy(host, static_cast<const uint8_t*>(src.data) + srcOffset, bytes);
}

void CpuBackend::reserve(const BackendReservation& r)
{
    const int64_t threads = threadCount();
    const int64_t maxIn = std::max({r.maxWidth, r.expertWidth, r.hiddenSize, int64_t(32)});
    const size_t tileFloats = matmulTileFloats(maxIn);
    m_tiles.ensure(size_t(threads) * tileFloats * 4);
    m_actQ.ensure(size_t(r.maxTokens) * size_t(maxIn / 32) * sizeof(kern::ActQ8Block));
    m_actQK.ensure(size_t(r.maxTokens) * size_t(maxIn / kQK_K) * sizeof(BlockQ8_K));
    m_biasF32.ensure(size_t(maxIn) * 4);
    m_paramF32.ensure(size_t(std::max(maxIn, r.numExperts)) * 4);
    m_scoresPerThread = std::max<int64_t>(r.maxContext, 1024); // see attention()
    m_scores.ensure(size_t(threads * m_scoresPerThread) * 4);
    m_ropeTable.ensure(size_t(threads * maxIn) * 4);
    const int64_t assignments = r.maxTokens * std::max<int64_t>(r.topK, 1);
    m_routeIds.ensure(size_t(assignments) * 4);
    m_routeWeights.ensure(size_t(assignments) * 4);
    m_routeScratch.ensure(size_t(3 * std::max<int64_t>(r.numExperts, 1)) * 4);
    if (r.numExperts > 0)
        ensureMoeScratch(assignments, r.hiddenSize, r.expertWidth, r.numExperts);
}

MatmulWorkspace CpuBackend::workspace(int64_t in)
{
    const size_t tileFloats = matmulTileFloats(in);
    m_tiles.ensure(size_t(threadCount()) * tileFloats * 4);
    // Use all of the reserved space: wider tiles mean more rows per converted block.
    return {m_tiles.as<float>(), m_tiles.bytes() / 4 / size_t(threadCount())};
}

const float* CpuBackend::f32Param(const DeviceTensor& t, AlignedBuffer& buf)
{
    if (t.dtype == DType::F32)
        return f32(t);
    const int64_t count = t.shape.elements();
    buf.ensure(size_t(count) * 4);
    dequantizeRow(t.dtype, t.data, buf.as<float>(), size_t(count));
    return buf.as<float>();
}

void CpuBackend::embed(const DeviceTensor& table, const int32_t* tokens, int64_t n, DeviceTensor& out)
{
    requireF32(out, "embed", "out");
    const int64_t hidden = table.cols(), vocab = table.rows();
    if (out.cols() != hidden || out.rows() < n)
        badArgument("embed", "out " + out.shape.toString() + " for table " + table.shape.toString());
    for (int64_t i = 0; i < n; ++i)
        if (tokens[i] < 0 || tokens[i] >= vocab)
            badArgument("embed", "token id " + std::to_string(tokens[i]) + " outside the vocabulary");
    const size_t rb = *rowBytes(table.dtype, uint64_t(hidden));
    const CpuSimd simd = cpuSimdLevel();
    m_pool.parallelFor(n, [&](int64_t i, int) {
        kern::convertRowsToF32(simd, table.dtype, static_cast<const uint8_t*>(table.data) + size_t(tokens[i]) * rb,
                               rb, 1, hidden, f32(out) + i * hidden);
    });
}

void CpuBackend::rmsNorm(const DeviceTensor& x, const DeviceTensor& weight, float eps, int64_t groupSize,
                         DeviceTensor& out)
{
    requireF32(x, "rmsNorm", "x");
    requireF32(out, "rmsNorm", "out");
    requireSameShape(x, out, "rmsNorm");
    const int64_t cols = x.cols(), wCount = weight.shape.elements();
    if (groupSize <= 0 || cols % groupSize != 0 || (wCount != groupSize && wCount != cols))
        badArgument("rmsNorm", "group " + std::to_string(groupSize) + " / weight " + weight.shape.toString() +
                                   " for rows of " + std::to_string(cols));
    cpu::rmsNorm(m_pool, f32(x), f32Param(weight, m_paramF32), wCount, eps, x.rows(), cols, groupSize, f32(out));
}

void CpuBackend::matmul(const DeviceTensor& x, const DeviceTensor& w, const DeviceTensor* bias, DeviceTensor& y)
{
    requireF32(x, "matmul", "x");
    requireF32(y, "matmul", "y");
    const int64_t n = x.rows(), in = x.cols(), out = w.rows();
    if (w.cols() != in || y.cols() != out || y.rows() != n || in % dtypeInfo(w.dtype).blockElements != 0)
        badArgument("matmul", "x " + x.shape.toString() + " w " + w.shape.toString() + " y " + y.shape.toString());
    if (bias && bias->shape.elements() != out)
        badArgument("matmul", "bias " + bias->shape.toString());
    const CpuSimd simd = cpuSimdLevel();
    MatmulJob job;
    job.x = f32(x);
    job.n = n;
    job.in = in;
    job.out = out;
    job.w = w.data;
    job.wtype = w.dtype;
    job.bias = bias ? f32Param(*bias, m_biasF32) : nullptr;
    job.y = f32(y);
    if (kern::hasQuantTile(w.dtype) && !matmulUsesPackedGemm(simd, w.dtype, n)) {
        m_actQ.ensure(size_t(n * (in / 32)) * sizeof(kern::ActQ8Block));
        job.xq = m_actQ.as<kern::ActQ8Block>();
        quantizeActivations(m_pool, simd, job.x, n, in, m_actQ.as<kern::ActQ8Block>());
    }
    if (matmulUsesKQuantDot(simd, w.dtype, n)) {
        m_actQK.ensure(size_t(n * (in / kQK_K)) * sizeof(BlockQ8_K));
        job.xqk = m_actQK.as<BlockQ8_K>();
        quantizeActivationsQ8K(m_pool, simd, job.x, n, in, m_actQK.as<BlockQ8_K>());
    }
    runMatmulJobs(m_pool, simd, workspace(in), &job, 1);
}

void CpuBackend::rope(DeviceTensor& x, int64_t startPos, int64_t heads, int64_t headDim, int64_t rotaryDim,
                      float theta, RopeLayout layout)
{
    requireF32(x, "rope", "x");
    if (rotaryDim <= 0)
        rotaryDim = headDim;
    if (heads * headDim > x.cols() || rotaryDim > headDim || rotaryDim % 2 != 0)
        badArgument("rope", "heads x headDim / rotaryDim do not fit " + x.shape.toString());
    m_ropeTable.ensure(size_t(threadCount() * rotaryDim) * 4);
    cpu::rope(m_pool, f32(x), x.rows(), x.cols(), startPos, heads, headDim, rotaryDim, theta, layout,
              m_ropeTable.as<float>());
}

void CpuBackend::storeKv(const DeviceTensor& k, const DeviceTensor& v, DeviceTensor& kCache, DeviceTensor& vCache,
                         int64_t startPos)
{
    requireSameShape(k, v, "storeKv");
    const int64_t n = k.rows(), width = k.cols();
    if (kCache.cols() != width || vCache.cols() != width || startPos < 0 || startPos + n > kCache.rows() ||
        startPos + n > vCache.rows())
        badArgument("storeKv", "rows [" + std::to_string(startPos) + ", +" + std::to_string(n) + ") of cache " +
                                   kCache.shape.toString());
    std::memcpy(f32(kCache) + startPos * width, f32(k), size_t(n * width) * 4);
    std::memcpy(f32(vCache) + startPos * width, f32(v), size_t(n * width) * 4);
}

void CpuBackend::attention(const AttentionParams& p)
{
    if (!p.q || !p.kCache || !p.vCache || !p.out || p.numKvHeads <= 0 || p.numHeads % p.numKvHeads != 0)
        badArgument("attention", "missing tensors or heads not a multiple of KV heads");
    const int64_t n = p.q->rows();
    if (p.q->cols() < p.numHeads * p.headDim || p.out->cols() < p.numHeads * p.headDim || p.out->rows() != n ||
        p.kCache->cols() != p.numKvHeads * p.headDim || p.startPos + n > p.kCache->rows())
        badArgument("attention", "q " + p.q->shape.toString() + " cache " + p.kCache->shape.toString());
    // The per-head path keeps a score per visible key; the AVX2 path 1024 at most.
    const int64_t needed = std::max<int64_t>(p.startPos + n, 1024);
    if (needed > m_scoresPerThread) {
        m_scoresPerThread = needed;
        m_scores.ensure(size_t(threadCount() * needed) * 4);
    }
    cpu::attention(m_pool, cpuSimdLevel(), p, m_scores.as<float>(), m_scoresPerThread);
}

void CpuBackend::add(DeviceTensor& x, const DeviceTensor& y)
{
    requireSameShape(x, y, "add");
    cpu::add(m_pool, f32(x), f32(y), x.shape.elements());
}

void CpuBackend::addScaledRows(DeviceTensor& x, const DeviceTensor& y, const DeviceTensor& rowScale)
{
    requireSameShape(x, y, "addScaledRows");
    if (rowScale.shape.elements() != x.rows())
        badArgument("addScaledRows", "rowScale " + rowScale.shape.toString());
    cpu::addScaledRows(m_pool, f32(x), f32(y), f32(rowScale), x.rows(), x.cols());
}

void CpuBackend::swiglu(const DeviceTensor& gate, const DeviceTensor& up, DeviceTensor& out)
{
    requireSameShape(gate, up, "swiglu");
    requireSameShape(gate, out, "swiglu");
    cpu::swiglu(m_pool, f32(gate), f32(up), f32(out), gate.shape.elements());
}

void CpuBackend::sigmoid(DeviceTensor& x) { cpu::sigmoid(m_pool, f32(x), x.shape.elements()); }

void CpuBackend::zero(DeviceTensor& x)
{
    requireF32(x, "zero", "x");
    std::memset(x.data, 0, size_t(x.shape.elements()) * 4);
}

namespace {
// The row indices of gatherRows / scatterAddRows, checked against the indexed tensor.
void requireRows(const char* op, const int32_t* rows, int64_t count, const DeviceTensor& indexed,
                 const DeviceTensor& packed)
{
    requireF32(indexed, op, "indexed tensor");
    requireF32(packed, op, "packed rows");
    if (indexed.cols() != packed.cols() || packed.rows() < count || (count > 0 && !rows))
        badArgument(op, std::to_string(count) + " rows of " + indexed.shape.toString() + " vs " +
                            packed.shape.toString());
    for (int64_t i = 0; i < count; ++i)
        if (rows[i] < 0 || rows[i] >= indexed.rows())
            badArgument(op, "row " + std::to_string(rows[i]) + " of " + std::to_string(indexed.rows()));
}
} // namespace

void CpuBackend::gatherRows(const DeviceTensor& src, const int32_t* rows, int64_t count, DeviceTensor& dst)
{
    requireRows("gatherRows", rows, count, src, dst);
    cpu::gatherRows(m_pool, f32(src), rows, count, src.cols(), f32(dst));
}

void CpuBackend::scatterAddRows(DeviceTensor& dst, const int32_t* rows, int64_t count, const DeviceTensor& src)
{
    requireRows("scatterAddRows", rows, count, dst, src);
    cpu::scatterAddRows(m_pool, f32(dst), rows, count, dst.cols(), f32(src));
}

void CpuBackend::rowSumSquares(const DeviceTensor& x, DeviceTensor& out)
{
    requireF32(x, "rowSumSquares", "x");
    requireF32(out, "rowSumSquares", "out");
    if (out.shape.elements() != x.rows())
        badArgument("rowSumSquares", "out " + out.shape.toString() + " for x " + x.shape.toString());
    cpu::rowSumSquares(m_pool, f32(x), x.rows(), x.cols(), f32(out));
}

void CpuBackend::scaleByRms(DeviceTensor& x, const DeviceTensor& sumSq, int64_t width, float eps,
                            const DeviceTensor& weight)
{
    requireF32(x, "scaleByRms", "x");
    requireF32(sumSq, "scaleByRms", "sumSq");
    if (sumSq.shape.elements() != x.rows() || weight.shape.elements() != x.cols() || width < x.cols())
        badArgument("scaleByRms", "x " + x.shape.toString() + ", sumSq " + sumSq.shape.toString() + ", weight " +
                                      weight.shape.toString() + ", width " + std::to_string(width));
    cpu::scaleByRms(m_pool, f32(x), x.rows(), x.cols(), f32(sumSq), width, eps, f32Param(weight, m_paramF32));
}

RoutingView CpuBackend::routeTopK(const DeviceTensor& logits, const RouterParams& p)
{
    requireF32(logits, "routeTopK", "logits");
    const int64_t n = logits.rows(), e = logits.cols();
    if (p.topK <= 0 || p.topK > e || (p.selectionBias && p.selectionBias->shape.elements() != e))
        badArgument("routeTopK", "topK " + std::to_string(p.topK) + " of " + std::to_string(e) + " experts");
    m_routeIds.ensure(size_t(n * p.topK) * 4);
    m_routeWeights.ensure(size_t(n * p.topK) * 4);
    m_routeScratch.ensure(size_t(3 * e) * 4);
    const float* bias = p.selectionBias ? f32Param(*p.selectionBias, m_paramF32) : nullptr;
    cpu::routeTopK(f32(logits), n, e, p, bias, m_routeIds.as<int32_t>(), m_routeWeights.as<float>(),
                   m_routeScratch.as<float>());
    m_routeTokens = n;
    m_routeTopK = p.topK;
    return {m_routeIds.as<int32_t>(), m_routeWeights.as<float>(), n, p.topK};
}

int32_t CpuBackend::sampleToken(const DeviceTensor& logits, const TokenChoice& c)
{
    requireF32(logits, "sampleToken", "logits");
    const int64_t n = logits.cols();
    if (logits.rows() != 1 || n <= 0)
        badArgument("sampleToken", "logits must be one row, not " + logits.shape.toString());
    for (int64_t i = 0; i < c.bannedCount + c.penaltyCount; ++i) {
        const int32_t t = i < c.bannedCount ? c.banned[i] : c.penaltyIds[i - c.bannedCount];
        if (t < 0 || t >= n)
            badArgument("sampleToken", "token " + std::to_string(t) + " of " + std::to_string(n));
    }
    for (AlignedBuffer* b : {&m_sampleLogits, &m_sampleIds, &m_sampleProbs})
        b->ensure(size_t(n) * 4);
    std::memcpy(m_sampleLogits.as<float>(), logits.data, size_t(n) * 4);
    return chooseToken(m_sampleLogits.as<float>(), n, c, m_sampleIds.as<int32_t>(), m_sampleProbs.as<float>());
}

std::unique_ptr<Backend> createCpuBackend(const CpuBackendOptions& options)
{
    return std::make_unique<CpuBackend>(options);
}

} // namespace moe
