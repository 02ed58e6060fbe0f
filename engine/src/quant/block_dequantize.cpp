// Dequantisation of GGML block types, one function per ggml dequantize_row_* in
// ggml/src/ggml-quants.c. The arithmetic (which products are formed, in which order,
// in f32) follows ggml's exactly: a GGUF gives the same f32 weights here as in
// llama.cpp, bit for bit, which the tests check against references written from the
// formats' definitions.
#include "quant/block_codecs.h"

#include "moe/quant_blocks.h"

#include <cstring>

namespace moe::quant {

namespace {

void q4_1(const BlockQ4_1* x, float* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i) {
        const float d = f16ToF32(x[i].d), m = f16ToF32(x[i].m);
        for (int j = 0; j < kQK / 2; ++j) {
            y[i * kQK + j] = float(x[i].qs[j] & 0x0F) * d + m;
            y[i * kQK + j + kQK / 2] = float(x[i].qs[j] >> 4) * d + m;
        }
    }
}

// Q5_0 / Q5_1: bit 4 of element j (j < 16) is qh bit j, of element j + 16 qh bit j + 16.
inline uint32_t loadQh(const uint8_t* qh)
{
    uint32_t v;
    std::memcpy(&v, qh, 4);
    return v;
}

void q5_0(const BlockQ5_0* x, float* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i) {
        const float d = f16ToF32(x[i].d);
        const uint32_t qh = loadQh(x[i].qh);
        for (int j = 0; j < kQK / 2; ++j) {
            const int h0 = int(((qh >> j) << 4) & 0x10), h1 = int((qh >> (j + 12)) & 0x10);
            y[i * kQK + j] = float(((x[i].qs[j] & 0x0F) | h0) - 16) * d;
            y[i * kQK + j + kQK / 2] = float(((x[i].qs[j] >> 4) | h1) - 16) * d;
        }
    }
}

void q5_1(const BlockQ5_1* x, float* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i) {
        const float d = f16ToF32(x[i].d), m = f16ToF32(x[i].m);
        const uint32_t qh = loadQh(x[i].qh);
        for (int j = 0; j < kQK / 2; ++j) {
            const int h0 = int(((qh >> j) << 4) & 0x10), h1 = int((qh >> (j + 12)) & 0x10);
            y[i * kQK + j] = float((x[i].qs[j] & 0x0F) | h0) * d + m;
            y[i * kQK + j + kQK / 2] = float((x[i].qs[j] >> 4) | h1) * d + m;
        }
    }
}

// Q2_K: each 32-byte group of qs holds 128 weights as four 2-bit planes; the scale
// byte of each 16 weights is (min << 4) | scale.
void q2_K(const BlockQ2_K* x, float* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i) {
        const float d = f16ToF32(x[i].d), dmin = f16ToF32(x[i].dmin);
        const uint8_t* q = x[i].qs;
        int is = 0;
        for (int n = 0; n < kQK_K; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; ++half) {
                    const uint8_t sc = x[i].scales[is++];
                    const float dl = d * float(sc & 0xF), ml = dmin * float(sc >> 4);
                    for (int l = 0; l < 16; ++l)
                        *y++ = dl * float((q[l + 16 * half] >> shift) & 3) - ml;
                }
            }
            q += 32;
        }
    }
}

// Q3_K: sixteen 6-bit scales biased by 32 (q3kScales), 2 low bits per weight in four
// planes, the third from hmask.
void q3_K(const BlockQ3_K* x, float* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i) {
        const float dAll = f16ToF32(x[i].d);
        int8_t scales[16];
        q3kScales(x[i].scales, scales);
        const uint8_t* q = x[i].qs;
        const uint8_t* hm = x[i].hmask;
        uint8_t m = 1;
        int is = 0;
        for (int n = 0; n < kQK_K; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; ++half) {
                    const float dl = dAll * float(scales[is++]);
                    for (int l = 16 * half; l < 16 * half + 16; ++l)
                        *y++ = dl * float(((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4));
                }
                m = uint8_t(m << 1);
            }
            q += 32;
        }
    }
}

void q4_K(const BlockQ4_K* x, float* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i) {
        const float d = f16ToF32(x[i].d), dmin = f16ToF32(x[i].dmin);
        const uint8_t* q = x[i].qs;
        for (int is = 0; is < 8; is += 2) {
            int sc, m;
            scaleMinK4(is, x[i].scales, sc, m);
            const float d1 = d * float(sc), m1 = dmin * float(m);
            scaleMinK4(is + 1, x[i].scales, sc, m);
            const float d2 = d * float(sc), m2 = dmin * float(m);
            for (int l = 0; l < 32; ++l)
                *y++ = d1 * float(q[l] & 0xF) - m1;
            for (int l = 0; l < 32; ++l)
                *y++ = d2 * float(q[l] >> 4) - m2;
            q += 32;
        }
    }
}

void q5_K(const BlockQ5_K* x, float* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i) {
        const float d = f16ToF32(x[i].d), dmin = f16ToF32(x[i].dmin);
        const uint8_t* ql = x[i].qs;
        const uint8_t* qh = x[i].qh;
        uint8_t u1 = 1, u2 = 2;
        for (int is = 0; is < 8; is += 2) {
            int sc, m;
            scaleMinK4(is, x[i].scales, sc, m);
            const float d1 = d * float(sc), m1 = dmin * float(m);
            scaleMinK4(is + 1, x[i].scales, sc, m);
            const float d2 = d * float(sc), m2 = dmin * float(m);
            for (int l = 0; l < 32; ++l)
                *y++ = d1 * float((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; ++l)
                *y++ = d2 * float((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
            ql += 32;
            u1 = uint8_t(u1 << 2);
            u2 = uint8_t(u2 << 2);
        }
    }
}

// Q6_K: per 128 weights, 64 bytes of low nibbles and 32 bytes of 2-bit high parts.
// ggml evaluates d * sc * q left to right: (d * sc) rounded, then times q.
void q6_K(const BlockQ6_K* x, float* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i) {
        const float d = f16ToF32(x[i].d);
        const uint8_t* ql = x[i].ql;
        const uint8_t* qh = x[i].qh;
        const int8_t* sc = x[i].scales;
        for (int n = 0; n < kQK_K; n += 128) {
            for (int l = 0; l < 32; ++l) {
                const int is = l / 16;
                const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * float(sc[is]) * float(q1);
                y[l + 32] = d * float(sc[is + 2]) * float(q2);
                y[l + 64] = d * float(sc[is + 4]) * float(q3);
                y[l + 96] = d * float(sc[is + 6]) * float(q4);
            }
            y += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}

void q8_K(const BlockQ8_K* x, float* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i)
        for (int j = 0; j < kQK_K; ++j)
            *y++ = x[i].d * float(x[i].qs[j]);
}

void iq4_nl(const BlockIQ4_NL* x, float* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i) {
        const float d = f16ToF32(x[i].d);
        for (int j = 0; j < kQK / 2; ++j) {
            y[j] = d * float(kIq4nlValues[x[i].qs[j] & 0xF]);
            y[j + kQK / 2] = d * float(kIq4nlValues[x[i].qs[j] >> 4]);
        }
        y += kQK;
    }
}

// IQ4_XS: sub-block ib's 6-bit scale = nibble ib of scalesL | bits 2ib..2ib+1 of scalesH << 4.
void iq4_xs(const BlockIQ4_XS* x, float* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i) {
        const float d = f16ToF32(x[i].d);
        const uint8_t* qs = x[i].qs;
        for (int ib = 0; ib < kQK_K / 32; ++ib) {
            const int ls = ((x[i].scalesL[ib / 2] >> 4 * (ib % 2)) & 0xF) | (((x[i].scalesH >> 2 * ib) & 3) << 4);
            const float dl = d * float(ls - 32);
            for (int j = 0; j < 16; ++j) {
                y[j] = dl * float(kIq4nlValues[qs[j] & 0xF]);
                y[j + 16] = dl * float(kIq4nlValues[qs[j] >> 4]);
            }
            y += 32;
            qs += 16;
        }
    }
}

void mxfp4(const BlockMXFP4* x, float* y, size_t nb)
{
    for (size_t i = 0; i < nb; ++i) {
        const float d = e8m0ToF32Half(x[i].e);
        for (int j = 0; j < kQK / 2; ++j) {
            y[i * kQK + j] = float(kMxfp4Values[x[i].qs[j] & 0x0F]) * d;
            y[i * kQK + j + kQK / 2] = float(kMxfp4Values[x[i].qs[j] >> 4]) * d;
        }
    }
}

template <class Block>
const Block* as(const void* p)
{
    return static_cast<const Block*>(p);
}

} // namespace

void dequantizeBlocks(DType t, const void* src, float* dst, size_t n)
{
    const size_t nb = n / size_t(dtypeInfo(t).blockElements);
    switch (t) {
    case DType::Q4_1: return q4_1(as<BlockQ4_1>(src), dst, nb);
    case DType::Q5_0: return q5_0(as<BlockQ5_0>(src), dst, nb);
    case DType::Q5_1: return q5_1(as<BlockQ5_1>(src), dst, nb);
    case DType::Q2_K: return q2_K(as<BlockQ2_K>(src), dst, nb);
    case DType::Q3_K: return q3_K(as<BlockQ3_K>(src), dst, nb);
    case DType::Q4_K: return q4_K(as<BlockQ4_K>(src), dst, nb);
    case DType::Q5_K: return q5_K(as<BlockQ5_K>(src), dst, nb);
    case DType::Q6_K: return q6_K(as<BlockQ6_K>(src), dst, nb);
    case DType::Q8_K: return q8_K(as<BlockQ8_K>(src), dst, nb);
    case DType::IQ4_NL: return iq4_nl(as<BlockIQ4_NL>(src), dst, nb);
    case DType::IQ4_XS: return iq4_xs(as<BlockIQ4_XS>(src), dst, nb);
    case DType::MXFP4: return mxfp4(as<BlockMXFP4>(src), dst, nb);
    case DType::F32:
    case DType::F16:
    case DType::BF16:
    case DType::Q8_0:
    case DType::Q4_0: return; // dtype.cpp handles these itself
    }
}

} // namespace moe::quant
