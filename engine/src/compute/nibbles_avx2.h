// compute/nibbles_avx2.h — 8 elements of the 32-element nibble block types (Q4_0, Q4_1,
// Q5_0, Q5_1, IQ4_NL, MXFP4) as i32 lanes, shared by the dequantisers and the packed
// GEMM's panel loads. Include it inside namespace moe::kern, within MOE_AVX2_BEGIN/END,
// after simd_avx2.h, <cstdint> and <cstring> (it includes nothing and opens no namespace
// itself: a system header inside a target region would get the target too).
#pragma once

// Elements j .. j + 7 (j % 8 == 0) of the 16 nibble bytes: element e < 16 is the low
// nibble of byte e, e >= 16 the high nibble of byte e - 16 (GGML order).
inline __m256i nibbles8(const uint8_t* qs, int j)
{
    __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(qs + (j & 15))));
    if (j >= 16)
        v = _mm256_srli_epi32(v, 4);
    return _mm256_and_si256(v, _mm256_set1_epi32(0xF));
}

// Bits j .. j + 7 of the 32-bit little-endian mask at qh, each moved to bit 4 (Q5_0 /
// Q5_1's fifth bit of element e is bit e).
inline __m256i fifthBits8(const uint8_t* qh, int j)
{
    uint32_t bits;
    std::memcpy(&bits, qh, 4);
    const __m256i shifts = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(j));
    return _mm256_slli_epi32(_mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(int(bits)), shifts),
                                              _mm256_set1_epi32(1)),
                             4);
}

// table[idx] for idx in 0..15 (two 8-entry permutes, chosen by idx's bit 3).
inline __m256i lookup16(const int8_t* table, __m256i idx)
{
    const __m256i lo = _mm256_setr_epi32(table[0], table[1], table[2], table[3], table[4], table[5], table[6], table[7]);
    const __m256i hi =
        _mm256_setr_epi32(table[8], table[9], table[10], table[11], table[12], table[13], table[14], table[15]);
    const __m256i upper = _mm256_cmpgt_epi32(idx, _mm256_set1_epi32(7));
    return _mm256_blendv_epi8(_mm256_permutevar8x32_epi32(lo, idx), _mm256_permutevar8x32_epi32(hi, idx), upper);
}
