// moe/quant_blocks.h — GGML's block-quantized layouts beyond Q8_0 / Q4_0, byte for byte.
//
// The structs mirror ggml-common.h (block_q4_1, block_q5_0, ..., block_mxfp4) so a GGUF
// tensor is read in place from the mmap. "Super-block" types hold QK_K = 256 weights
// split into sub-blocks whose scales are themselves quantized against one f16 scale;
// dequantizeRow (moe/dtype.h) turns any of them into f32 exactly as ggml's
// dequantize_row_* does (ggml/src/ggml-quants.c), so results match llama.cpp bit for bit.
#pragma once

#include <cstdint>
#include <cstring>

namespace moe {

inline constexpr int kQK = 32;   // weights per block of the "_0 / _1 / NL / MXFP4" types
inline constexpr int kQK_K = 256; // weights per super-block of the K-quants and IQ4_XS

struct BlockQ4_1 { // w = d * q + m, q in 0..15 (low nibbles: elements 0..15)
    uint16_t d, m;
    uint8_t qs[kQK / 2];
};
struct BlockQ5_0 { // w = d * (q - 16); bit 4 of element j is bit j of qh
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[kQK / 2];
};
struct BlockQ5_1 { // w = d * q + m
    uint16_t d, m;
    uint8_t qh[4];
    uint8_t qs[kQK / 2];
};
struct BlockQ2_K { // 16 sub-blocks of 16: w = d * sc * q - dmin * mn (4-bit sc / mn)
    uint8_t scales[kQK_K / 16];
    uint8_t qs[kQK_K / 4];
    uint16_t d, dmin;
};
struct BlockQ3_K { // 16 sub-blocks of 16, 6-bit signed scales: w = d * (sc - 32) * (q - 4)
    uint8_t hmask[kQK_K / 8];
    uint8_t qs[kQK_K / 4];
    uint8_t scales[12];
    uint16_t d;
};
struct BlockQ4_K { // 8 sub-blocks of 32, 6-bit scales and mins packed in 12 bytes
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qs[kQK_K / 2];
};
struct BlockQ5_K {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[kQK_K / 8];
    uint8_t qs[kQK_K / 2];
};
struct BlockQ6_K { // 16 sub-blocks of 16, int8 scales: w = d * sc * (q - 32)
    uint8_t ql[kQK_K / 2];
    uint8_t qh[kQK_K / 4];
    int8_t scales[kQK_K / 16];
    uint16_t d;
};
struct BlockQ8_K { // activations format of ggml's k-quant dots; f32 scale
    float d;
    int8_t qs[kQK_K];
    int16_t bsums[kQK_K / 16]; // sum of each 16 quants
};
struct BlockIQ4_NL { // w = d * kIq4nlValues[q]
    uint16_t d;
    uint8_t qs[kQK / 2];
};
struct BlockIQ4_XS { // 8 sub-blocks of 32, 6-bit scales: w = d * (ls - 32) * kIq4nlValues[q]
    uint16_t d;
    uint16_t scalesH;
    uint8_t scalesL[kQK_K / 64];
    uint8_t qs[kQK_K / 2];
};
struct BlockMXFP4 { // OCP MX: E8M0 shared exponent + 32 E2M1 values
    uint8_t e;
    uint8_t qs[kQK / 2];
};

static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);
static_assert(sizeof(BlockIQ4_NL) == 18);
static_assert(sizeof(BlockIQ4_XS) == 136);
static_assert(sizeof(BlockMXFP4) == 17);

// ggml-common.h kvalues_iq4nl: the non-linear 4-bit grid of IQ4_NL / IQ4_XS.
inline constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
// Q3_K's sixteen 6-bit scales, unbiased (-32): the low nibbles are in bytes 0..7
// (sub-blocks 0..7 low, 8..15 high nibble), the top two bits in bytes 8..11 (ggml's
// aux[] unpacking). `scales` is the block's 12 scale bytes.
inline void q3kScales(const uint8_t* scales, int8_t* out)
{
    for (int j = 0; j < 16; ++j) {
        const int low = j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4;
        const int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
        out[j] = int8_t((low | (high << 4)) - 32);
    }
}

// ggml-common.h kvalues_mxfp4: E2M1 values doubled (so they are integers); the scale
// is halved to match (ggml_e8m0_to_fp32_half).
inline constexpr int8_t kMxfp4Values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// ggml-quants.c get_scale_min_k4: 6-bit scale d and min m of sub-block j (0..7) of a
// Q4_K / Q5_K block. Sub-blocks 0..3 keep theirs in the low 6 bits of bytes 0..3 / 4..7;
// 4..7 split a nibble in bytes 8..11 and the two leftover top bits of bytes 0..7.
inline void scaleMinK4(int j, const uint8_t* q, int& d, int& m)
{
    if (j < 4) {
        d = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// ggml-impl.h ggml_e8m0_to_fp32_half: 2^(e - 128), i.e. half the E8M0 scale, because
// kMxfp4Values are twice the E2M1 values. e < 2 gives f32 subnormals.
inline float e8m0ToF32Half(uint8_t e)
{
    const uint32_t bits = e < 2 ? 0x00200000u << e : uint32_t(e - 1) << 23;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

} // namespace moe
