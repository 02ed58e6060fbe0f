// moe/dtype.h — element types of tensors and the block-quantized layouts we read.
//
// Block layouts follow GGML exactly, so GGUF tensors are used in place from the mmap:
//   Q8_0: 32 weights per block = f16 scale d + 32 x int8 q;       w = d * q
//   Q4_0: 32 weights per block = f16 scale d + 16 bytes of nibbles; element j < 16 is
//         the low nibble of byte j, element j >= 16 the high nibble of byte j-16;
//         w = d * (q - 8)
// The other GGML block types (Q4_1 ... MXFP4) are laid out in moe/quant_blocks.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace moe {

// Every value after Q4_0 is a GGML block type (moe/quant_blocks.h). Append only: the
// order is not persisted, but tables in dtype.cpp are indexed by it.
enum class DType : uint8_t {
    F32,
    F16,
    BF16,
    Q8_0,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q2_K,
    Q3_K,
    Q4_K,
    Q5_K,
    Q6_K,
    Q8_K,
    IQ4_NL,
    IQ4_XS,
    MXFP4,
};
inline constexpr int kDTypeCount = int(DType::MXFP4) + 1;

struct DTypeInfo {
    const char* name;   // "f32", "f16", "bf16", "q8_0", "q4_k", "iq4_nl", "mxfp4", ...
    int blockElements;  // elements per block (1 for plain types)
    int blockBytes;     // bytes per block
};

const DTypeInfo& dtypeInfo(DType t);
inline const char* dtypeName(DType t) { return dtypeInfo(t).name; }
std::optional<DType> dtypeFromName(std::string_view name); // accepts "f16", "F16", "q8_0", ...
bool isQuantized(DType t); // any block type (blockElements > 1)

// Bytes of a row of `elements` values; nullopt if `elements` is not a multiple of the
// block size or the byte count overflows.
std::optional<uint64_t> rowBytes(DType t, uint64_t elements);

inline constexpr int kQ8_0Block = 32;
inline constexpr int kQ4_0Block = 32;

struct BlockQ8_0 {
    uint16_t d; // f16 scale
    int8_t q[kQ8_0Block];
};
static_assert(sizeof(BlockQ8_0) == 34);

struct BlockQ4_0 {
    uint16_t d; // f16 scale
    uint8_t q[kQ4_0Block / 2];
};
static_assert(sizeof(BlockQ4_0) == 18);

// ---- scalar conversions (exact IEEE semantics; SIMD paths live in compute/) ----
float f16ToF32(uint16_t h);
uint16_t f32ToF16(float f); // round to nearest even, saturates to inf like IEEE

inline float bf16ToF32(uint16_t h)
{
    uint32_t bits = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

inline uint16_t f32ToBf16(float f) // round to nearest even; NaN stays NaN
{
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u)
        return uint16_t((bits >> 16) | 0x40);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return uint16_t(bits >> 16);
}

// Dequantise / convert `n` elements of a row in dtype `t` starting at `src` into f32.
// `n` must be a multiple of the block size for quantized types.
void dequantizeRow(DType t, const void* src, float* dst, size_t n);
// Quantise / convert `n` f32 values into dtype `t`. Q8_0 / Q4_0 / Q4_1 / Q5_0 / Q5_1 /
// Q8_K / MXFP4 follow GGML's quantize_row_*_ref; the K-quants and IQ4 types use simple
// round-to-nearest reference quantisers (valid blocks, not GGML's searched scales).
void quantizeRow(DType t, const float* src, void* dst, size_t n);

} // namespace moe
