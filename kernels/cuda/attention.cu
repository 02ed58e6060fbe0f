// One block of kWarps warps per (query, head). Each warp walks every kWarps-th key with
// an online softmax (running max, running sum, rescaled accumulator: the flash-attention
// recurrence), so no score row is stored and any context length fits; the warps' partial
// results are merged at the end. Lane l owns output dimensions l, l + 32, ...
//
// Keys are re-read per query from L2 here; a prefill of more than 8 queries with heads of
// up to 128 takes the tiled kernel below instead, and decode (a few queries) splits the
// keys over blocks (launchAttentionSplit), so a long context is read by many SMs.
#include "attention.cuh"

#include "common.cuh"

#include <cfloat>

namespace moe::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kMaxChunks = int(kAttentionMaxHeadDim / 32);
constexpr int64_t kSplitKeys = 256; // keys per block of the split-key decode kernel

// One (query, head) over keys [first, last): kWarps warps each walk every kWarps-th key
// with the online softmax, then the warps' results are merged. Calls emit(d, v, total)
// for every output dimension d, v being the unnormalised accumulator (relative to the
// returned maximum) and total the sum of weights; returns {maximum, total}. qs holds the
// scaled query; last > first.
template <class Emit>
__device__ float2 attendRange(const float* qs, const float* kCache, const float* vCache, int64_t kvWidth,
                              int64_t kvOffset, int64_t headDim, int64_t first, int64_t last, Emit emit)
{
    __shared__ float warpMaxes[kWarps], warpSums[kWarps];
    __shared__ float warpAcc[kWarps][kAttentionMaxHeadDim];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    float acc[kMaxChunks];
#pragma unroll
    for (int c = 0; c < kMaxChunks; ++c)
        acc[c] = 0.f;
    float runningMax = -FLT_MAX, runningSum = 0.f;
    for (int64_t j = first + warp; j < last; j += kWarps) {
        const float* kr = kCache + j * kvWidth + kvOffset;
        float s = 0.f;
#pragma unroll
        for (int c = 0; c < kMaxChunks; ++c) {
            const int64_t d = lane + 32 * c;
            if (d < headDim)
                s += qs[d] * kr[d];
        }
        s = warpSum(s);
        const float newMax = fmaxf(runningMax, s);
        const float correction = __expf(runningMax - newMax), p = __expf(s - newMax);
        runningSum = runningSum * correction + p;
        runningMax = newMax;
        const float* vr = vCache + j * kvWidth + kvOffset;
#pragma unroll
        for (int c = 0; c < kMaxChunks; ++c) {
            const int64_t d = lane + 32 * c;
            if (d < headDim)
                acc[c] = acc[c] * correction + p * vr[d];
        }
    }
    if (lane == 0) {
        warpMaxes[warp] = runningMax;
        warpSums[warp] = runningSum;
    }
#pragma unroll
    for (int c = 0; c < kMaxChunks; ++c) {
        const int64_t d = lane + 32 * c;
        if (d < headDim)
            warpAcc[warp][d] = acc[c];
    }
    __syncthreads();
    float blockMax = -FLT_MAX;
    for (int w = 0; w < kWarps; ++w)
        blockMax = fmaxf(blockMax, warpMaxes[w]);
    float total = 0.f;
    float weight[kWarps];
    for (int w = 0; w < kWarps; ++w) {
        // A warp that saw no key keeps max -FLT_MAX and sum 0: its weight is 0.
        weight[w] = warpSums[w] > 0.f ? __expf(warpMaxes[w] - blockMax) : 0.f;
        total += warpSums[w] * weight[w];
    }
    for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) {
        float v = 0.f;
        for (int w = 0; w < kWarps; ++w)
            v += warpAcc[w][d] * weight[w];
        emit(d, v, total);
    }
    return make_float2(blockMax, total);
}

// The scaled query of (t, h) into shared memory.
__device__ void loadQuery(const float* q, int64_t t, int64_t h, int64_t heads, int64_t headDim, float scale,
                          float* qs)
{
    for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x)
        qs[d] = q[t * heads * headDim + h * headDim + d] * scale;
    __syncthreads();
}

__global__ void attentionKernel(const float* q, const float* kCache, const float* vCache, float* out,
                                int64_t startPos, const int64_t* devicePos, int64_t heads, int64_t kvHeads,
                                int64_t headDim, float scale)
{
    __shared__ float qs[kAttentionMaxHeadDim];
    if (devicePos)
        startPos = *devicePos;
    const int64_t t = blockIdx.x, h = blockIdx.y;
    loadQuery(q, t, h, heads, headDim, scale, qs);
    float* o = out + t * heads * headDim + h * headDim;
    attendRange(qs, kCache, vCache, kvHeads * headDim, h / (heads / kvHeads) * headDim, headDim, 0, startPos + t + 1,
                [o](int64_t d, float v, float total) { o[d] = v / total; });
}

// Split-key decode (flash-decoding): block (c, h, t) runs the same recurrence over keys
// [c * kSplitKeys, (c + 1) * kSplitKeys) of query t's causal range and leaves its
// maximum, sum and unnormalised accumulator in `partial`; attentionCombineKernel merges
// the chunks. The grid covers the whole cache, so it does not change with the position
// (a recorded step replays it); chunks past the query's keys leave an empty partial.
__global__ void attentionPartialKernel(const float* q, const float* kCache, const float* vCache, int64_t startPos,
                                       const int64_t* devicePos, int64_t heads, int64_t kvHeads, int64_t headDim,
                                       float scale, int64_t chunks, float* partial)
{
    __shared__ float qs[kAttentionMaxHeadDim];
    if (devicePos)
        startPos = *devicePos;
    const int64_t c = blockIdx.x, h = blockIdx.y, t = blockIdx.z;
    float* out = partial + ((t * heads + h) * chunks + c) * (headDim + 2);
    const int64_t keys = startPos + t + 1;
    const int64_t first = c * kSplitKeys, last = min(first + kSplitKeys, keys);
    if (first >= keys) { // the whole block leaves: no barrier is skipped
        if (threadIdx.x == 0) {
            out[0] = -FLT_MAX;
            out[1] = 0.f;
        }
        return;
    }
    loadQuery(q, t, h, heads, headDim, scale, qs);
    const float2 r = attendRange(qs, kCache, vCache, kvHeads * headDim, h / (heads / kvHeads) * headDim, headDim,
                                 first, last, [out](int64_t d, float v, float) { out[2 + d] = v; });
    if (threadIdx.x == 0) {
        out[0] = r.x;
        out[1] = r.y;
    }
}

// out[t, h] = sum_c acc_c e^(max_c - M) / sum_c sum_c e^(max_c - M), M the largest max,
// over the chunks that hold query t's keys (the position is read as the partial kernel
// read it). Each chunk's weight e^(max_c - M) is computed once, into shared memory.
__global__ void attentionCombineKernel(const float* partial, int64_t chunks, int64_t startPos, const int64_t* devicePos,
                                       int64_t heads, int64_t headDim, float* out)
{
    extern __shared__ float weights[]; // [chunks]
    __shared__ float reduce[32];
    if (devicePos)
        startPos = *devicePos;
    const int64_t t = blockIdx.x, h = blockIdx.y;
    const int64_t used = min(chunks, (startPos + t + 1 + kSplitKeys - 1) / kSplitKeys);
    const float* p = partial + (t * heads + h) * chunks * (headDim + 2);
    float localMax = -FLT_MAX;
    for (int64_t c = threadIdx.x; c < used; c += blockDim.x)
        localMax = fmaxf(localMax, p[c * (headDim + 2)]); // every used chunk has a key
    // Block maximum: warps, then the first warp.
    localMax = warpMax(localMax);
    if ((threadIdx.x & 31) == 0)
        reduce[threadIdx.x >> 5] = localMax;
    __syncthreads();
    const int warps = int(blockDim.x >> 5);
    const float globalMax = warpMax((threadIdx.x & 31) < warps ? reduce[threadIdx.x & 31] : -FLT_MAX);
    float localTotal = 0.f;
    for (int64_t c = threadIdx.x; c < used; c += blockDim.x) {
        const float w = __expf(p[c * (headDim + 2)] - globalMax);
        weights[c] = w;
        localTotal += p[c * (headDim + 2) + 1] * w;
    }
    const float total = blockSum(localTotal, reduce); // synchronises: weights are complete
    for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) {
        float v = 0.f;
        for (int64_t c = 0; c < used; ++c)
            v += p[c * (headDim + 2) + 2 + d] * weights[c];
        out[t * heads * headDim + h * headDim + d] = v / total;
    }
}

// Prefill (flash-attention style): block (tile, h) holds kTileQueries consecutive queries
// of head h, one warp each, and walks the keys in tiles of 32 that the block loads into
// shared memory once for all its queries (the per-query kernel reads every key once per
// query from L2). Lane j scores key j of a tile (rows padded to headDim + 1 floats, so
// the lanes' reads fall in different banks); the online softmax then folds the tile
// into the lane's output dimensions l, l + 32, ... Keys past a query's position are
// masked; tiles past the block's last query are not loaded.
constexpr int kTileQueries = 16;
constexpr int kTileKeys = 32;
constexpr int64_t kTiledMaxHeadDim = 128;

__global__ void attentionTiledKernel(const float* q, const float* kCache, const float* vCache, float* out, int64_t n,
                                     int64_t startPos, int64_t heads, int64_t kvHeads, int64_t headDim, float scale)
{
    extern __shared__ float shared[];
    const int64_t stride = headDim + 1;
    float* ks = shared;                             // [kTileKeys][headDim + 1]
    float* vs = ks + kTileKeys * stride;            // [kTileKeys][headDim + 1]
    float* qs = vs + kTileKeys * stride;            // [kTileQueries][headDim]

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int64_t h = blockIdx.y, firstQuery = int64_t(blockIdx.x) * kTileQueries;
    const int64_t t = firstQuery + warp; // this warp's query
    const bool active = t < n;
    const int64_t qWidth = heads * headDim, kvWidth = kvHeads * headDim;
    const int64_t kvHead = h / (heads / kvHeads);
    for (int64_t d = lane; d < headDim; d += 32)
        qs[warp * headDim + d] = active ? q[t * qWidth + h * headDim + d] * scale : 0.f;

    float acc[kTiledMaxHeadDim / 32];
#pragma unroll
    for (int c = 0; c < int(kTiledMaxHeadDim / 32); ++c)
        acc[c] = 0.f;
    float runningMax = -FLT_MAX, runningSum = 0.f;
    const int64_t myKeys = startPos + t + 1; // keys [0, myKeys) for this query
    const int64_t lastQuery = min(firstQuery + kTileQueries, n) - 1;
    const int64_t blockKeys = startPos + lastQuery + 1;
    for (int64_t tile = 0; tile < blockKeys; tile += kTileKeys) {
        __syncthreads(); // the previous tile is no longer read (and qs is written)
        for (int64_t i = threadIdx.x; i < kTileKeys * headDim; i += blockDim.x) {
            const int64_t j = i / headDim, d = i % headDim, key = tile + j;
            const bool in = key < blockKeys;
            ks[j * stride + d] = in ? kCache[key * kvWidth + kvHead * headDim + d] : 0.f;
            vs[j * stride + d] = in ? vCache[key * kvWidth + kvHead * headDim + d] : 0.f;
        }
        __syncthreads();
        if (!active || tile >= myKeys)
            continue;
        const int64_t key = tile + lane;
        float s = -FLT_MAX;
        if (key < myKeys) {
            s = 0.f;
            const float* qr = qs + warp * headDim;
            const float* kr = ks + lane * stride;
            for (int64_t d = 0; d < headDim; ++d)
                s += qr[d] * kr[d];
        }
        const float tileMax = warpMax(s);
        const float newMax = fmaxf(runningMax, tileMax);
        const float correction = __expf(runningMax - newMax);
        const float p = key < myKeys ? __expf(s - newMax) : 0.f;
        runningSum = runningSum * correction + warpSum(p);
        runningMax = newMax;
#pragma unroll
        for (int c = 0; c < int(kTiledMaxHeadDim / 32); ++c)
            acc[c] *= correction;
        for (int j = 0; j < kTileKeys; ++j) {
            const float pj = __shfl_sync(0xffffffffu, p, j);
#pragma unroll
            for (int c = 0; c < int(kTiledMaxHeadDim / 32); ++c) {
                const int64_t d = lane + 32 * c;
                if (d < headDim)
                    acc[c] += pj * vs[j * stride + d];
            }
        }
    }
    if (!active)
        return;
#pragma unroll
    for (int c = 0; c < int(kTiledMaxHeadDim / 32); ++c) {
        const int64_t d = lane + 32 * c;
        if (d < headDim)
            out[t * qWidth + h * headDim + d] = acc[c] / runningSum;
    }
}

__global__ void storeKvKernel(const float* k, const float* v, float* kCache, float* vCache, int64_t count,
                              int64_t width, int64_t startPos, const int64_t* devicePos)
{
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= count)
        return;
    const int64_t offset = (devicePos ? *devicePos : startPos) * width;
    kCache[offset + i] = k[i];
    vCache[offset + i] = v[i];
}

} // namespace

void launchAttention(const float* q, const float* kCache, const float* vCache, float* out, int64_t n, int64_t startPos,
                     const int64_t* devicePos, int64_t heads, int64_t kvHeads, int64_t headDim, float scale,
                     cudaStream_t stream)
{
    if (n <= 0)
        return;
    if (!devicePos && n > kTileQueries / 2 && headDim <= kTiledMaxHeadDim) {
        const size_t sharedBytes = size_t(2 * kTileKeys * (headDim + 1) + kTileQueries * headDim) * sizeof(float);
        const dim3 grid{unsigned((n + kTileQueries - 1) / kTileQueries), unsigned(heads)};
        attentionTiledKernel<<<grid, kTileQueries * 32, sharedBytes, stream>>>(q, kCache, vCache, out, n, startPos, heads,
                                                                               kvHeads, headDim, scale);
        return;
    }
    const dim3 grid{unsigned(n), unsigned(heads)}; // tokens on x: a long prefill exceeds y's 65535
    attentionKernel<<<grid, kWarps * 32, 0, stream>>>(q, kCache, vCache, out, startPos, devicePos, heads, kvHeads,
                                                      headDim, scale);
}

int64_t attentionSplitChunks(int64_t cacheRows) { return (cacheRows + kSplitKeys - 1) / kSplitKeys; }

void launchAttentionSplit(const float* q, const float* kCache, const float* vCache, float* out, int64_t n,
                          int64_t startPos, const int64_t* devicePos, int64_t heads, int64_t kvHeads, int64_t headDim,
                          float scale, int64_t chunks, float* partial, cudaStream_t stream)
{
    if (n <= 0 || chunks <= 0)
        return;
    const dim3 grid{unsigned(chunks), unsigned(heads), unsigned(n)};
    attentionPartialKernel<<<grid, kWarps * 32, 0, stream>>>(q, kCache, vCache, startPos, devicePos, heads, kvHeads,
                                                             headDim, scale, chunks, partial);
    attentionCombineKernel<<<dim3{unsigned(n), unsigned(heads)}, 128, size_t(chunks) * sizeof(float), stream>>>(
        partial, chunks, startPos, devicePos, heads, headDim, out);
}

void launchStoreKv(const float* k, const float* v, float* kCache, float* vCache, int64_t n, int64_t width,
                   int64_t startPos, const int64_t* devicePos, cudaStream_t stream)
{
    const int64_t count = n * width;
    if (count > 0)
        storeKvKernel<<<blocksFor(count, 256), 256, 0, stream>>>(k, v, kCache, vCache, count, width, startPos,
                                                                 devicePos);
}

} // namespace moe::cuda
