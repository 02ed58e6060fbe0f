// Fused Q2_K ... Q6_K / IQ4_XS x Q8_K dot products (compute/gemm_kquant.cpp), scalar and AVX2,
// against dequantize-then-dot: reference = sum_i w_i * a_i in double, where w =
// dequantizeRow(weight row) and a = dequantizeRow(Q8_K row), both f32.
//
// Bound: |fused - reference| <= 1e-5 * S + 1e-30, S = sum_i T_i * |a_i| with T_i the
// magnitude of the weight's terms before they cancel (Q2_K, Q4_K, Q5_K: |d sc q| + |dmin m|;
// Q3_K, Q6_K: |d sc q|; IQ4_XS: |d (ls - 32) kv[q]|). The integer sums are exact; what differs is a handful of f32
// roundings per super-block (int -> float, scale products, w_i's own two roundings in
// dequantizeRow) plus the f32 sum over nb blocks: about (nb + 8) u S, 1.4e-6 S for
// nb = 16 (k = 4096) — the bound leaves ~7x room. All-zero rows must give exactly 0.
// The Q8_K activation quantiser: scalar and AVX2 agree byte for byte, bsums are the
// sums of each 16, and |dequantized - x| <= amax / 254 per 256-block.
#include "compute/cpu_features.h"
#include "compute/gemm_kernels.h"
#include "moe/dtype.h"
#include "moe/quant_blocks.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

using namespace moe;

namespace {

enum class Kind { Random, Zero, MaxScale, NegativeScale };

uint16_t h(float f) { return f32ToF16(f); }

void fillQ4K(BlockQ4_K& b, Kind kind, std::mt19937& rng)
{
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_real_distribution<float> u(0.f, 0.05f);
    for (auto& s : b.scales)
        s = uint8_t(byte(rng));
    for (auto& q : b.qs)
        q = uint8_t(byte(rng));
    b.d = h(u(rng));
    b.dmin = h(u(rng));
    if (kind == Kind::Zero) {
        std::memset(&b, 0, sizeof b);
    } else if (kind == Kind::MaxScale) {
        b.d = b.dmin = 0x7BFF; // 65504
        std::memset(b.scales, 0xFF, sizeof b.scales); // every 6-bit scale and min = 63
        std::memset(b.qs, 0xFF, sizeof b.qs);
    } else if (kind == Kind::NegativeScale) {
        b.d = h(-u(rng) - 0.01f);
        b.dmin = h(-u(rng));
    }
}

// Q5_K: Q4_K's fields plus the fifth bits; max-scale sets every bit (q = 31).
void fillQ5K(BlockQ5_K& b, Kind kind, std::mt19937& rng)
{
    BlockQ4_K low;
    fillQ4K(low, kind, rng);
    b.d = low.d;
    b.dmin = low.dmin;
    std::memcpy(b.scales, low.scales, sizeof b.scales);
    std::memcpy(b.qs, low.qs, sizeof b.qs);
    std::uniform_int_distribution<int> byte(0, 255);
    for (auto& q : b.qh)
        q = kind == Kind::Zero ? 0 : kind == Kind::MaxScale ? 0xFF : uint8_t(byte(rng));
}

// IQ4_XS: max-scale = d 65504 with every 6-bit scale 0 (ls - 32 = -32, the largest
// |scale|) and index 0 (-127); negative: a negative d.
void fillIQ4XS(BlockIQ4_XS& b, Kind kind, std::mt19937& rng)
{
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_real_distribution<float> u(0.f, 0.05f);
    for (auto& q : b.qs)
        q = uint8_t(byte(rng));
    for (auto& s : b.scalesL)
        s = uint8_t(byte(rng));
    b.scalesH = uint16_t(byte(rng) | byte(rng) << 8);
    b.d = h(u(rng));
    if (kind == Kind::Zero) {
        std::memset(&b, 0, sizeof b);
    } else if (kind == Kind::MaxScale) {
        b.d = 0x7BFF;
        b.scalesH = 0;
        std::memset(b.scalesL, 0, sizeof b.scalesL);
        std::memset(b.qs, 0, sizeof b.qs);
    } else if (kind == Kind::NegativeScale) {
        b.d = h(-u(rng) - 0.01f);
    }
}

// Q2_K: max-scale = d, dmin 65504 with every 4-bit scale / min 15 and q 3.
void fillQ2K(BlockQ2_K& b, Kind kind, std::mt19937& rng)
{
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_real_distribution<float> u(0.f, 0.05f);
    for (auto& s : b.scales)
        s = uint8_t(byte(rng));
    for (auto& q : b.qs)
        q = uint8_t(byte(rng));
    b.d = h(u(rng));
    b.dmin = h(u(rng));
    if (kind == Kind::Zero) {
        std::memset(&b, 0, sizeof b);
    } else if (kind == Kind::MaxScale) {
        b.d = b.dmin = 0x7BFF;
        std::memset(b.scales, 0xFF, sizeof b.scales);
        std::memset(b.qs, 0xFF, sizeof b.qs);
    } else if (kind == Kind::NegativeScale) {
        b.d = h(-u(rng) - 0.01f);
        b.dmin = h(-u(rng));
    }
}

// Q3_K: max-scale = d 65504, every 6-bit scale 0 (sc - 32 = -32), q 0 with no high bit
// (value -4).
void fillQ3K(BlockQ3_K& b, Kind kind, std::mt19937& rng)
{
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_real_distribution<float> u(0.f, 0.05f);
    for (auto& q : b.hmask)
        q = uint8_t(byte(rng));
    for (auto& q : b.qs)
        q = uint8_t(byte(rng));
    for (auto& s : b.scales)
        s = uint8_t(byte(rng));
    b.d = h(u(rng));
    if (kind == Kind::Zero) {
        std::memset(&b, 0, sizeof b);
    } else if (kind == Kind::MaxScale) {
        std::memset(&b, 0, sizeof b);
        b.d = 0x7BFF;
    } else if (kind == Kind::NegativeScale) {
        b.d = h(-u(rng) - 0.01f);
    }
}

void fillQ6K(BlockQ6_K& b, Kind kind, std::mt19937& rng)
{
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_real_distribution<float> u(0.f, 0.05f);
    for (auto& q : b.ql)
        q = uint8_t(byte(rng));
    for (auto& q : b.qh)
        q = uint8_t(byte(rng));
    for (auto& s : b.scales)
        s = int8_t(byte(rng) - 128);
    b.d = h(u(rng));
    if (kind == Kind::Zero) {
        std::memset(&b, 0, sizeof b);
    } else if (kind == Kind::MaxScale) {
        b.d = 0x7BFF;
        std::memset(b.scales, 0x80, sizeof b.scales); // -128: the largest |scale|
        std::memset(b.ql, 0, sizeof b.ql);            // q = 0 -> q - 32 = -32
        std::memset(b.qh, 0, sizeof b.qh);
    } else if (kind == Kind::NegativeScale) {
        b.d = h(-u(rng) - 0.01f);
    }
}

void fillQ8K(BlockQ8_K& b, Kind kind, std::mt19937& rng)
{
    std::uniform_int_distribution<int> byte(-128, 127);
    std::uniform_real_distribution<float> u(1e-4f, 1e-2f);
    for (auto& q : b.qs)
        q = int8_t(byte(rng));
    b.d = u(rng);
    if (kind == Kind::Zero) {
        std::memset(b.qs, 0, sizeof b.qs);
    } else if (kind == Kind::MaxScale) {
        std::memset(b.qs, 0x80, sizeof b.qs); // -128 everywhere
        b.d = 1.f;
    } else if (kind == Kind::NegativeScale) {
        b.d = -b.d;
    }
    for (int j = 0; j < kQK_K / 16; ++j) {
        int s = 0;
        for (int l = 0; l < 16; ++l)
            s += b.qs[16 * j + l];
        b.bsums[j] = int16_t(s);
    }
}

void fillBlock(DType t, void* row, int64_t i, Kind kind, std::mt19937& rng)
{
    if (t == DType::Q4_K)
        fillQ4K(static_cast<BlockQ4_K*>(row)[i], kind, rng);
    else if (t == DType::Q5_K)
        fillQ5K(static_cast<BlockQ5_K*>(row)[i], kind, rng);
    else if (t == DType::IQ4_XS)
        fillIQ4XS(static_cast<BlockIQ4_XS*>(row)[i], kind, rng);
    else if (t == DType::Q2_K)
        fillQ2K(static_cast<BlockQ2_K*>(row)[i], kind, rng);
    else if (t == DType::Q3_K)
        fillQ3K(static_cast<BlockQ3_K*>(row)[i], kind, rng);
    else
        fillQ6K(static_cast<BlockQ6_K*>(row)[i], kind, rng);
}

size_t blockBytes(DType t) { return size_t(dtypeInfo(t).blockBytes); }

// Element l of sub-block j of a Q4_K / Q5_K block: the nibble, plus Q5_K's fifth bit.
template <class Block>
int q45(const Block& b, int j, int l)
{
    int q = (b.qs[32 * (j / 2) + l] >> (4 * (j & 1))) & 0xF;
    if constexpr (std::is_same_v<Block, BlockQ5_K>)
        q |= ((b.qh[l] >> j) & 1) << 4;
    return q;
}

template <class Block>
void q45Magnitudes(const Block& b, double* m)
{
    const double d = f16ToF32(b.d), dmin = f16ToF32(b.dmin);
    for (int j = 0; j < 8; ++j) {
        int sc, mn;
        if (j < 4) {
            sc = b.scales[j] & 63;
            mn = b.scales[j + 4] & 63;
        } else {
            sc = (b.scales[j + 4] & 0xF) | ((b.scales[j - 4] >> 6) << 4);
            mn = (b.scales[j + 4] >> 4) | ((b.scales[j] >> 6) << 4);
        }
        for (int l = 0; l < 32; ++l)
            m[32 * j + l] = std::fabs(d * sc * q45(b, j, l)) + std::fabs(dmin * mn);
    }
}

// Per-element magnitudes of the weight's terms before cancellation (see the header).
std::vector<double> termMagnitudes(DType t, const void* row, int64_t nb)
{
    std::vector<double> m(size_t(nb) * kQK_K);
    for (int64_t i = 0; i < nb; ++i) {
        if (t == DType::Q5_K) {
            q45Magnitudes(static_cast<const BlockQ5_K*>(row)[i], m.data() + i * kQK_K);
        } else if (t == DType::Q2_K) {
            // |d sc q| + |dmin m| per element, in element order (sub-blocks of 16).
            const auto& b = static_cast<const BlockQ2_K*>(row)[i];
            const double d = f16ToF32(b.d), dmin = f16ToF32(b.dmin);
            for (int e = 0; e < kQK_K; ++e) {
                const int sb = e / 16, hh = e / 128, p = (e / 32) % 4, l = e % 32;
                const int q = (b.qs[32 * hh + l] >> (2 * p)) & 3;
                m[size_t(i * kQK_K + e)] = std::fabs(d * (b.scales[sb] & 0xF) * q) + std::fabs(dmin * (b.scales[sb] >> 4));
            }
        } else if (t == DType::Q4_K) {
            q45Magnitudes(static_cast<const BlockQ4_K*>(row)[i], m.data() + i * kQK_K);
        } else {
            // Q3_K, Q6_K, IQ4_XS: one term per weight (|d sc q|, |d (ls - 32) kv[q]|),
            // exact up to dequantizeRow's rounding; nothing cancels.
            const uint8_t* block = static_cast<const uint8_t*>(row) + size_t(i) * size_t(dtypeInfo(t).blockBytes);
            float w[kQK_K];
            dequantizeRow(t, block, w, kQK_K);
            for (int e = 0; e < kQK_K; ++e)
                m[size_t(i * kQK_K + e)] = std::fabs(double(w[e])) * (1.0 + 1e-6);
        }
    }
    return m;
}

struct Case {
    DType type;
    int64_t nb;
    Kind wKind, xKind;
    unsigned seed;
};

} // namespace

class TestKQuantDot : public QObject {
    Q_OBJECT

    static std::vector<CpuSimd> levels()
    {
        std::vector<CpuSimd> l{CpuSimd::Scalar};
        if (cpuSupportsAvx2())
            l.push_back(CpuSimd::Avx2);
        return l;
    }

    static void check(const Case& c)
    {
        std::mt19937 rng(c.seed);
        const size_t wBytes = size_t(c.nb) * blockBytes(c.type);
        std::vector<uint8_t> w(wBytes);
        std::vector<BlockQ8_K> x(size_t(c.nb));
        for (int64_t i = 0; i < c.nb; ++i) {
            // Special kinds apply to every other block so rows mix them with random ones.
            const Kind wk = (i % 2 == 0) ? c.wKind : Kind::Random;
            const Kind xk = (i % 2 == 0) ? c.xKind : Kind::Random;
            fillBlock(c.type, w.data(), i, wk, rng);
            fillQ8K(x[size_t(i)], xk, rng);
        }
        const size_t k = size_t(c.nb) * kQK_K;
        std::vector<float> wf(k), xf(k);
        dequantizeRow(c.type, w.data(), wf.data(), k);
        dequantizeRow(DType::Q8_K, x.data(), xf.data(), k);
        const std::vector<double> mag = termMagnitudes(c.type, w.data(), c.nb);
        double ref = 0.0, s = 0.0;
        for (size_t i = 0; i < k; ++i) {
            ref += double(wf[i]) * double(xf[i]);
            s += mag[i] * std::fabs(double(xf[i]));
        }
        const double bound = 1e-5 * s + 1e-30;
        for (CpuSimd simd : levels()) {
            const float got = kern::kquantDot(simd, c.type, w.data(), x.data(), c.nb);
            const double err = std::fabs(double(got) - ref);
            QVERIFY2(std::isfinite(got) && err <= bound,
                     qPrintable(QStringLiteral("%1 %2 nb=%3 seed=%4: got %5 ref %6 err %7 > bound %8")
                                    .arg(dtypeName(c.type))
                                    .arg(cpuSimdName(simd))
                                    .arg(c.nb)
                                    .arg(c.seed)
                                    .arg(double(got), 0, 'g', 10)
                                    .arg(ref, 0, 'g', 10)
                                    .arg(err)
                                    .arg(bound)));
            if (s == 0.0)
                QCOMPARE(got, 0.f);
        }
    }

private slots:
    void fusedDotMatchesDequantized_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<int>("wKind");
        QTest::addColumn<int>("xKind");
        const char* kinds[] = {"random", "zero", "max-scale", "negative-scale"};
        for (DType t : {DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::IQ4_XS})
            for (int wk = 0; wk < 4; ++wk)
                for (int xk = 0; xk < 4; ++xk)
                    QTest::addRow("%s w=%s x=%s", dtypeName(t), kinds[wk], kinds[xk]) << int(t) << wk << xk;
    }

    void fusedDotMatchesDequantized()
    {
        QFETCH(int, type);
        QFETCH(int, wKind);
        QFETCH(int, xKind);
        for (int64_t nb : {1, 2, 5, 16})
            for (unsigned seed = 1; seed <= 25; ++seed)
                check(Case{DType(type), nb, Kind(wKind), Kind(xKind), seed * 7919u + unsigned(nb)});
    }

    void allZeroGivesZero()
    {
        for (DType t : {DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::IQ4_XS}) {
            std::vector<uint8_t> w(4 * sizeof(BlockQ6_K), 0);
            std::vector<BlockQ8_K> x(4);
            std::mt19937 rng(3);
            for (auto& b : x)
                fillQ8K(b, Kind::Random, rng);
            for (CpuSimd simd : levels())
                QCOMPARE(kern::kquantDot(simd, t, w.data(), x.data(), 4), 0.f);
        }
    }

    void tileMatchesDot()
    {
        // kquantTile = kquantDot per (row, token) + bias, for every tile shape.
        std::mt19937 rng(11);
        const int64_t nb = 3, rows = 4, tokens = 2;
        for (DType t : {DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::IQ4_XS}) {
            const size_t rb = size_t(nb) * blockBytes(t);
            std::vector<uint8_t> w(rb * rows);
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t i = 0; i < nb; ++i) {
                    fillBlock(t, w.data() + r * rb, i, Kind::Random, rng);
                }
            std::vector<BlockQ8_K> x(size_t(nb * tokens));
            for (auto& b : x)
                fillQ8K(b, Kind::Random, rng);
            const float bias[4] = {0.5f, -1.f, 2.f, 0.f};
            for (CpuSimd simd : levels()) {
                std::vector<float> y(size_t(rows * tokens), -7.f);
                kern::kquantTile(simd, t, w.data(), rb, x.data(), nb, nb, int(rows), int(tokens), bias, y.data(), rows);
                for (int64_t tk = 0; tk < tokens; ++tk)
                    for (int64_t r = 0; r < rows; ++r)
                        QCOMPARE(y[size_t(tk * rows + r)],
                                 kern::kquantDot(simd, t, w.data() + r * rb, x.data() + tk * nb, nb) + bias[r]);
            }
        }
    }

    void activationQuantizer()
    {
        std::mt19937 rng(5);
        std::normal_distribution<float> nd(0.f, 1.f);
        const int64_t k = 4 * kQK_K;
        std::vector<float> xs(static_cast<size_t>(k));
        for (int trial = 0; trial < 20; ++trial) {
            for (auto& v : xs)
                v = nd(rng) * (trial % 3 == 0 ? 100.f : 1.f);
            if (trial == 1)
                std::fill(xs.begin(), xs.begin() + kQK_K, 0.f); // an all-zero block
            if (trial == 2)
                xs[7] = 1e6f; // one outlier dominates its block
            std::vector<std::vector<BlockQ8_K>> out;
            for (CpuSimd simd : levels()) {
                std::vector<BlockQ8_K> q(size_t(k / kQK_K));
                kern::quantizeActRowQ8K(simd, xs.data(), k, q.data());
                out.push_back(q);
                std::vector<float> back(static_cast<size_t>(k));
                dequantizeRow(DType::Q8_K, q.data(), back.data(), size_t(k));
                for (int64_t b = 0; b < k / kQK_K; ++b) {
                    float amax = 0.f;
                    for (int j = 0; j < kQK_K; ++j)
                        amax = std::max(amax, std::fabs(xs[size_t(b * kQK_K + j)]));
                    for (int j = 0; j < kQK_K; ++j) {
                        const size_t e = size_t(b * kQK_K + j);
                        QVERIFY(std::fabs(back[e] - xs[e]) <= amax / 254.f * 1.0001f + 1e-30f);
                    }
                    for (int j = 0; j < kQK_K / 16; ++j) {
                        int s = 0;
                        for (int l = 0; l < 16; ++l)
                            s += q[size_t(b)].qs[16 * j + l];
                        QCOMPARE(int(q[size_t(b)].bsums[j]), s);
                    }
                }
            }
            if (out.size() == 2)
                QVERIFY(std::memcmp(out[0].data(), out[1].data(), out[0].size() * sizeof(BlockQ8_K)) == 0);
        }
    }
};

QTEST_APPLESS_MAIN(TestKQuantDot)
#include "test_kquant_dot.moc"
