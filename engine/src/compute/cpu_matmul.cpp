#include "compute/cpu_matmul.h"

#include <algorithm>
#include <array>

namespace moe {

namespace {

// Float weights: up to this many tokens read the weights in their own dtype (decode);
// above it a block of rows is converted to F32 once and reused by every token.
constexpr int64_t kDirectMaxTokens = 6;
// Rows per unit when streaming weights (decode): as many as balance allows, up to 64.
// Each unit is one contiguous run of rows, and the threads take units in turn, so short
// units cut every thread's weight stream into pieces. Bench preset, 2 threads, decode
// tokens/s, 16 rows -> 64: q8_0 43-46 -> 53-57, q4_k 48-67 -> 72-78, q6_k 51-52 ->
// 55-62, q4_0 58-60 -> 64-71, f16 29 -> 31. At least 4 units per thread keep the
// balance where there are many threads.
constexpr int64_t kGemvRowBlockMax = 64;
constexpr int64_t kGemvRowBlockMin = 16;
constexpr int64_t kGemvUnitsPerThread = 4;
constexpr size_t kMinTileFloats = 64 * 1024; // 256 KiB: half of a Zen 3 L2
// From this many tokens on, AVX2 matmuls go through the packed GEMM: converting a weight
// once costs about as much as a few tokens' worth of GEMV. The integer dot products of
// Q8_0 / Q4_0 are cheaper per token than F16 GEMV, so they hold out longer (measured
// crossover on Zen 3: F16 below 7 tokens, Q8_0 at about 12).
constexpr int64_t kPackedMinTokensFloat = kDirectMaxTokens + 1;
constexpr int64_t kPackedMinTokensQuant = 12;
// Q4_K / Q5_K / Q6_K fused dots on Q8_K activations take batches up to this many tokens (decode
// is 1 per sequence; each expert of a decode step sees 1). Measured on Zen 3, bench
// preset q4_k, --prompt 128: prefill 112 tok/s with 6, 120-125 with 2 (109-139 before the
// fused dots existed; decode gains are the same).
constexpr int64_t kKQuantDotMaxTokens = 2;

struct Plan {
    int64_t rowBlock = 0;
    int64_t tokenChunk = 0;
    int64_t rowBlocks = 0;
    int64_t tokenChunks = 0;
    bool convert = false; // F16 / BF16 rows go through the F32 tile
    bool packed = false;  // kern::packedGemm over blocks of kPackRows rows
    int64_t units() const { return rowBlocks * tokenChunks; }
};

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

Plan planJob(CpuSimd simd, const MatmulJob& j, const MatmulWorkspace& ws, int threads)
{
    Plan p;
    const bool kquant = kern::hasKQuantTile(j.wtype) && j.xqk != nullptr;
    const bool quant = kern::hasQuantTile(j.wtype) || kquant;
    p.packed = matmulUsesPackedGemm(simd, j.wtype, j.n) && kern::packedGemmScratchFloats(kern::kPackRows) <= ws.tileFloats;
    // Block types without an integer tile (K-quants, IQ4, MXFP4, ...) have no direct
    // GEMV: their rows are always dequantised into the per-thread tile first.
    p.convert = !p.packed && !quant && j.wtype != DType::F32 && (j.n > kDirectMaxTokens || isQuantized(j.wtype));
    if (p.packed) {
        p.rowBlock = kern::kPackRows;
    } else if (p.convert) {
        p.rowBlock = std::clamp<int64_t>(int64_t(ws.tileFloats) / std::max<int64_t>(j.in, 1), 4, 64) / 4 * 4;
    } else {
        p.rowBlock = j.n > kDirectMaxTokens
                         ? 32
                         : std::clamp<int64_t>(j.out / (kGemvUnitsPerThread * std::max(threads, 1)) / 4 * 4,
                                               kGemvRowBlockMin, kGemvRowBlockMax);
    }
    p.rowBlocks = ceilDiv(j.out, p.rowBlock);
    // Few rows (router, small projections): split tokens too so every thread has work.
    const int64_t tileTokens =
        p.packed ? kern::kPackMr : quant ? kern::kQuantTileTokens : kern::kFloatTileTokens;
    int64_t splits = 1;
    if (p.rowBlocks < 4 * threads)
        splits = std::clamp<int64_t>(ceilDiv(4 * threads, p.rowBlocks), 1, std::max<int64_t>(1, j.n / (4 * tileTokens)));
    p.tokenChunk = ceilDiv(ceilDiv(j.n, splits), tileTokens) * tileTokens;
    p.tokenChunks = ceilDiv(j.n, p.tokenChunk);
    return p;
}

void runUnit(CpuSimd simd, const MatmulWorkspace& ws, const MatmulJob& j, const Plan& p, int64_t unit, int thread)
{
    const int64_t r0 = (unit / p.tokenChunks) * p.rowBlock;
    const int64_t r1 = std::min(j.out, r0 + p.rowBlock);
    const int64_t t0 = (unit % p.tokenChunks) * p.tokenChunk;
    const int64_t t1 = std::min(j.n, t0 + p.tokenChunk);
    const size_t srcRowBytes = *rowBytes(j.wtype, uint64_t(j.in));
    const auto* w = static_cast<const uint8_t*>(j.w) + size_t(r0) * srcRowBytes;

    if (p.packed) {
        kern::packedGemm(simd, j.wtype, w, srcRowBytes, r1 - r0, j.x + t0 * j.in, j.in, t1 - t0, j.in,
                         j.bias ? j.bias + r0 : nullptr, j.y + t0 * j.out + r0, j.out,
                         ws.tiles + size_t(thread) * ws.tileFloats);
        return;
    }
    if (kern::hasKQuantTile(j.wtype) && j.xqk) {
        const int64_t nb = j.in / kQK_K;
        for (int64_t t = t0; t < t1; t += kern::kQuantTileTokens)
            for (int64_t r = r0; r < r1; r += kern::kQuantTileRows)
                kern::kquantTile(simd, j.wtype, w + size_t(r - r0) * srcRowBytes, srcRowBytes, j.xqk + t * nb, nb, nb,
                                 int(std::min<int64_t>(kern::kQuantTileRows, r1 - r)),
                                 int(std::min<int64_t>(kern::kQuantTileTokens, t1 - t)), j.bias ? j.bias + r : nullptr,
                                 j.y + t * j.out + r, j.out);
        return;
    }
    if (kern::hasQuantTile(j.wtype)) {
        const int64_t nb = j.in / 32;
        for (int64_t t = t0; t < t1; t += kern::kQuantTileTokens)
            for (int64_t r = r0; r < r1; r += kern::kQuantTileRows)
                kern::quantTile(simd, j.wtype, w + size_t(r - r0) * srcRowBytes, srcRowBytes, j.xq + t * nb, nb, nb,
                                int(std::min<int64_t>(kern::kQuantTileRows, r1 - r)),
                                int(std::min<int64_t>(kern::kQuantTileTokens, t1 - t)), j.bias ? j.bias + r : nullptr,
                                j.y + t * j.out + r, j.out);
        return;
    }
    DType wtype = j.wtype;
    size_t wrb = srcRowBytes;
    if (p.convert) {
        float* tile = ws.tiles + size_t(thread) * ws.tileFloats;
        kern::convertRowsToF32(simd, j.wtype, w, srcRowBytes, r1 - r0, j.in, tile);
        w = reinterpret_cast<const uint8_t*>(tile);
        wtype = DType::F32;
        wrb = size_t(j.in) * 4;
    }
    // Token groups outside, row groups inside: a group's x rows stay in L1 while the
    // weight block (in L2) streams past them.
    for (int64_t t = t0; t < t1; t += kern::kFloatTileTokens)
        for (int64_t r = r0; r < r1; r += kern::kFloatTileRows)
            kern::floatTile(simd, wtype, w + size_t(r - r0) * wrb, wrb, j.x + t * j.in, j.in, j.in,
                            int(std::min<int64_t>(kern::kFloatTileRows, r1 - r)),
                            int(std::min<int64_t>(kern::kFloatTileTokens, t1 - t)), j.bias ? j.bias + r : nullptr,
                            j.y + t * j.out + r, j.out);
}

} // namespace

bool matmulUsesPackedGemm(CpuSimd simd, DType wtype, int64_t n)
{
    return kern::packedGemmAvailable(simd) && n >= (kern::hasQuantTile(wtype) ? kPackedMinTokensQuant : kPackedMinTokensFloat);
}

bool matmulUsesKQuantDot(CpuSimd simd, DType wtype, int64_t n)
{
    // Decode-sized batches only, on every SIMD level: prefill keeps F32 activations (the
    // packed GEMM, or dequantised tiles where there is none), so the scalar path rounds
    // activations exactly where the AVX2 one does. From a few tokens on, dequantising a
    // row once and reusing it beats re-decoding its scales per token.
    return kern::hasKQuantTile(wtype) && n <= kKQuantDotMaxTokens && !matmulUsesPackedGemm(simd, wtype, n);
}

size_t matmulTileFloats(int64_t maxIn) { return std::max(kMinTileFloats, size_t(std::max<int64_t>(maxIn, 1)) * 4); }

void quantizeActivations(ThreadPool& pool, CpuSimd simd, const float* x, int64_t n, int64_t in, kern::ActQ8Block* xq)
{
    const int64_t nb = in / 32;
    pool.parallelFor(n, [&](int64_t t, int) { kern::quantizeActRow(simd, x + t * in, in, xq + t * nb); });
}

void quantizeActivationsQ8K(ThreadPool& pool, CpuSimd simd, const float* x, int64_t n, int64_t in, BlockQ8_K* xq)
{
    const int64_t nb = in / kQK_K;
    pool.parallelFor(n, [&](int64_t t, int) { kern::quantizeActRowQ8K(simd, x + t * in, in, xq + t * nb); });
}

void runMatmulJobs(ThreadPool& pool, CpuSimd simd, const MatmulWorkspace& ws, const MatmulJob* jobs, int count)
{
    std::array<Plan, kMaxMatmulJobs> plans;
    std::array<int64_t, kMaxMatmulJobs + 1> firstUnit;
    count = std::min(count, kMaxMatmulJobs);
    firstUnit[0] = 0;
    for (int i = 0; i < count; ++i) {
        plans[size_t(i)] = planJob(simd, jobs[i], ws, pool.threadCount());
        firstUnit[size_t(i) + 1] = firstUnit[size_t(i)] + (jobs[i].n > 0 ? plans[size_t(i)].units() : 0);
    }
    pool.parallelFor(firstUnit[size_t(count)], [&](int64_t unit, int thread) {
        const auto it = std::upper_bound(firstUnit.begin(), firstUnit.begin() + count + 1, unit);
        const size_t job = size_t(it - firstUnit.begin()) - 1;
        runUnit(simd, ws, jobs[job], plans[job], unit - firstUnit[job], thread);
    });
}

} // namespace moe
