// compute/gemm_kernels.h — the register-tile kernels under every CPU matmul.
//
// A tile computes y[t * ldy + r] = dot(w row r, x row t) + bias[r] for r < rm, t < rn:
// rm weight rows against rn activation rows, each weight vector loaded once per
// k-step and used for all rn tokens. Decode uses rn = n (1..3), prefill loops tiles.
// The per-element arithmetic (lane assignment, order of the k loop, final reduction)
// does not depend on rm, rn or which thread runs the tile, so results are identical
// for any thread count and any partitioning.
//
// Each entry point takes the SIMD level; the AVX2 versions live in the same files
// under GCC target attributes (see cpu_features.h).
#pragma once

#include "compute/cpu_features.h"
#include "moe/dtype.h"
#include "moe/quant_blocks.h"

#include <cstddef>
#include <cstdint>

namespace moe::kern {

// Activations quantised for the integer dot products of Q8_0 / Q4_0 weights. Unlike
// GGML's block_q8_0 the scale stays f32: x is quantised per call, never stored.
struct ActQ8Block {
    float d;
    int8_t q[32];
};
static_assert(sizeof(ActQ8Block) == 36);

inline constexpr int kFloatTileRows = 4;   // rm max for float weights
inline constexpr int kFloatTileTokens = 3; // rn max: 12 accumulators + 4 weight vectors = 16 ymm
inline constexpr int kQuantTileRows = 4;
inline constexpr int kQuantTileTokens = 2;

// Float weights (F32 / F16 / BF16) against F32 activations; k any length.
void floatTile(CpuSimd simd, DType wtype, const void* w, size_t wRowBytes, const float* x, int64_t ldx,
               int64_t k, int rm, int rn, const float* bias, float* y, int64_t ldy);

// Whether quantTile handles wtype: the 32-element block types, whose weights are a
// scale times a small integer (Q8_0, Q4_0, Q5_0; IQ4_NL and MXFP4 through their value
// tables), plus a per-block minimum for Q4_1 / Q5_1. The other GGML block types go
// through kquantTile (Q4_K, Q5_K, Q6_K) or convertRowsToF32 (dequantizeRow into a
// per-thread tile) and floatTile.
inline bool hasQuantTile(DType t)
{
    return t == DType::Q8_0 || t == DType::Q4_0 || t == DType::Q4_1 || t == DType::Q5_0 || t == DType::Q5_1 ||
           t == DType::IQ4_NL || t == DType::MXFP4;
}

// hasQuantTile weights against quantised activations; nb = blocks per row (k / 32).
void quantTile(CpuSimd simd, DType wtype, const void* w, size_t wRowBytes, const ActQ8Block* x, int64_t ldxBlocks,
               int64_t nb, int rm, int rn, const float* bias, float* y, int64_t ldy);

// The K-quants (Q2_K ... Q6_K) and IQ4_XS against activations quantised to Q8_K (gemm_kquant.cpp):
// fused integer dots per 256-block, exact in int32 until the final f32 scaling.
inline bool hasKQuantTile(DType t)
{
    return t == DType::Q2_K || t == DType::Q3_K || t == DType::Q4_K || t == DType::Q5_K || t == DType::Q6_K ||
           t == DType::IQ4_XS;
}

// dot(one Q4_K / Q5_K / Q6_K row of nb super-blocks, nb Q8_K blocks).
float kquantDot(CpuSimd simd, DType wtype, const void* w, const BlockQ8_K* x, int64_t nb);

// As quantTile, for Q4_K / Q5_K / Q6_K weights; nb = blocks per row (k / 256).
void kquantTile(CpuSimd simd, DType wtype, const void* w, size_t wRowBytes, const BlockQ8_K* x, int64_t ldxBlocks,
                int64_t nb, int rm, int rn, const float* bias, float* y, int64_t ldy);

// One activation row (k a multiple of 256) -> k / 256 Q8_K blocks: d = amax / 127,
// q = round(x / d) in -127..127, bsums = sums of each 16 q.
void quantizeActRowQ8K(CpuSimd simd, const float* x, int64_t k, BlockQ8_K* dst);

// rows x k weights of any dtype -> F32 [rows, k] (prefill converts a tile once, then
// reuses it for every token).
void convertRowsToF32(CpuSimd simd, DType wtype, const void* w, size_t wRowBytes, int64_t rows, int64_t k,
                      float* dst);

// A row of k weights of a block type -> f32, bit-identical to dequantizeRow; false
// when no SIMD version exists for wtype at this level (the caller uses dequantizeRow).
// AVX2: Q4_K, Q6_K (dequant_avx2.cpp).
bool dequantizeRowSimd(CpuSimd simd, DType wtype, const void* src, float* dst, int64_t k);

// One activation row (k a multiple of 32) -> k / 32 blocks.
void quantizeActRow(CpuSimd simd, const float* x, int64_t k, ActQ8Block* dst);

// ---- prefill GEMM (gemm_packed.cpp): packed F32 weight panels, AVX2 only ----
inline constexpr int kPackMr = 4;    // tokens per microkernel tile
inline constexpr int kPackNr = 24;   // weight rows per packed panel (3 ymm); 4 x 3 accumulators
inline constexpr int kPackKc = 256;  // k-block: one panel is kPackKc x kPackNr floats (24 KiB, L1)
inline constexpr int kPackRows = 96; // weight rows per packedGemm call = per work unit of the pool

bool packedGemmAvailable(CpuSimd simd);
// Floats of scratch packedGemm needs for `rows` weight rows (any alignment).
size_t packedGemmScratchFloats(int64_t rows);
// y[t * ldy + r] = bias[r] + sum_k x[t * ldx + k] * w[r, k] for r < rows, t < tokens;
// w any dtype (k a multiple of the block size for quantised). Requires packedGemmAvailable(simd).
void packedGemm(CpuSimd simd, DType wtype, const void* w, size_t wRowBytes, int64_t rows, const float* x, int64_t ldx,
                int64_t tokens, int64_t k, const float* bias, float* y, int64_t ldy, float* scratch);

} // namespace moe::kern
