// GGML block types beyond Q8_0 / Q4_0: dequantisation bit for bit against references
// written here from each format's definition (ggml-common.h block layouts, ggml-quants.c
// dequantize_row_*), reading bytes at their offsets rather than through the engine's
// structs; quantise -> dequantise error per type; GGUF errors for bad block geometry;
// and a GGUF mixing Q4_K / Q6_K / Q8_0 / F32 tensors (as Q4_K_M files do) running end
// to end against the F32 model.
#include "compute/cpu_features.h"
#include "compute/gemm_kernels.h"
#include "moe/dtype.h"
#include "moe/engine.h"
#include "moe/error.h"
#include "moe/gguf.h"
#include "moe/model_maker.h"
#include "test_support.h"

#include <QTest>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <span>
#include <vector>

using namespace moe;

namespace {

const DType kNewTypes[] = {DType::Q4_1, DType::Q5_0, DType::Q5_1,   DType::Q2_K,   DType::Q3_K, DType::Q4_K,
                           DType::Q5_K, DType::Q6_K, DType::Q8_K, DType::IQ4_NL, DType::IQ4_XS, DType::MXFP4};

// ---- the formats, from their definitions ----

float half(const uint8_t* p) // IEEE binary16, little-endian; the tests never use exponent 31
{
    const int h = p[0] | (p[1] << 8);
    const int e = (h >> 10) & 31, m = h & 1023;
    const float mag = e == 0 ? std::ldexp(float(m), -24) : std::ldexp(float(1024 + m), e - 25);
    return (h & 0x8000) ? -mag : mag;
}

float f32At(const uint8_t* p)
{
    float f;
    std::memcpy(&f, p, 4);
    return f;
}

const int kIq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
const int kE2M1x2[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12}; // E2M1 values times 2

int nibble(const uint8_t* qs, int j) // element j of a 32-block: low nibbles first, then high
{
    return j < 16 ? qs[j] & 15 : qs[j - 16] >> 4;
}

// The 6-bit scale (or min, when `min`) of sub-block s of Q4_K / Q5_K: 12 bytes hold
// eight scales then eight mins; 0..3 are plain 6-bit fields, 4..7 a nibble in bytes
// 8..11 plus two bits borrowed from the top of bytes 0..7.
int scaleK4(const uint8_t* sc, int s, bool min)
{
    if (s < 4)
        return sc[s + (min ? 4 : 0)] & 63;
    const int low = min ? sc[s + 4] >> 4 : sc[s + 4] & 15;
    return low | ((sc[s - 4 + (min ? 4 : 0)] >> 6) << 4);
}

// Element e of the block at b, as ggml computes it (the same f32 products in the same order).
float refElement(DType t, const uint8_t* b, int e)
{
    switch (t) {
    case DType::Q4_1: return float(nibble(b + 4, e)) * half(b) + half(b + 2);
    case DType::Q5_0:
    case DType::Q5_1: {
        const bool one = t == DType::Q5_1;
        const uint8_t* qh = b + (one ? 4 : 2);
        const int high = (qh[e / 8] >> (e % 8)) & 1; // bit e of the 32-bit field
        const int q = nibble(qh + 4, e) | (high << 4);
        return one ? float(q) * half(b) + half(b + 2) : float(q - 16) * half(b);
    }
    case DType::Q2_K: { // scales[16] qs[64] d dmin; 2-bit planes of 32 bytes per 128
        const int sc = b[e / 16], plane = (e % 128) / 32, byte = (e / 128) * 32 + e % 32;
        const int q = (b[16 + byte] >> (2 * plane)) & 3;
        return half(b + 80) * float(sc & 15) * float(q) - half(b + 82) * float(sc >> 4);
    }
    case DType::Q3_K: { // hmask[32] qs[64] scales[12] d
        const uint8_t* sc = b + 96;
        const int s = e / 16;
        const int low = s < 8 ? sc[s] & 15 : sc[s - 8] >> 4;
        const int scale = (low | (((sc[8 + s % 4] >> (2 * (s / 4))) & 3) << 4)) - 32;
        const int plane = (e % 128) / 32, byte = (e / 128) * 32 + e % 32;
        const int q = (b[32 + byte] >> (2 * plane)) & 3;
        const bool highSet = (b[e % 32] >> (e / 32)) & 1;
        return half(b + 108) * float(scale) * float(q - (highSet ? 0 : 4));
    }
    case DType::Q4_K:
    case DType::Q5_K: { // d dmin scales[12] (qh[32]) qs[128]
        const bool five = t == DType::Q5_K;
        const int s = e / 32;
        const uint8_t* qs = b + (five ? 48 : 16);
        const int byte = (e / 64) * 32 + e % 32;
        int q = (s % 2) ? qs[byte] >> 4 : qs[byte] & 15;
        if (five)
            q += ((b[16 + e % 32] >> s) & 1) ? 16 : 0;
        return half(b) * float(scaleK4(b + 4, s, false)) * float(q) - half(b + 2) * float(scaleK4(b + 4, s, true));
    }
    case DType::Q6_K: { // ql[128] qh[64] scales[16] d
        const int group = e / 128, r = e % 128, quarter = r / 32, l = r % 32;
        const uint8_t lowByte = b[group * 64 + (quarter % 2) * 32 + l];
        const int low = quarter < 2 ? lowByte & 15 : lowByte >> 4;
        const int high = (b[128 + group * 32 + l] >> (2 * quarter)) & 3;
        const int scale = int8_t(b[192 + e / 16]);
        return half(b + 208) * float(scale) * float((low | (high << 4)) - 32);
    }
    case DType::Q8_K: return f32At(b) * float(int8_t(b[4 + e]));
    case DType::IQ4_NL: return half(b) * float(kIq4nl[nibble(b + 2, e)]);
    case DType::IQ4_XS: { // d scales_h(u16) scales_l[4] qs[128]
        const int s = e / 32, sh = b[2] | (b[3] << 8);
        const int ls = ((b[4 + s / 2] >> (4 * (s % 2))) & 15) | (((sh >> (2 * s)) & 3) << 4);
        return half(b) * float(ls - 32) * float(kIq4nl[nibble(b + 8 + 16 * s, e % 32)]);
    }
    case DType::MXFP4: { // e (E8M0) qs[16]; ggml halves the scale, the values are doubled
        const float scale = b[0] == 0 ? std::ldexp(1.f, -128) : std::ldexp(1.f, int(b[0]) - 128);
        return float(kE2M1x2[nibble(b + 1, e)]) * scale;
    }
    default: return 0.f;
    }
}

// Byte offsets of a block's f16 scale fields (d, then dmin / m where the type has one).
std::vector<int> halfScaleOffsets(DType t)
{
    switch (t) {
    case DType::Q4_1:
    case DType::Q5_1:
    case DType::Q4_K:
    case DType::Q5_K: return {0, 2};
    case DType::Q5_0:
    case DType::IQ4_NL:
    case DType::IQ4_XS: return {0};
    case DType::Q2_K: return {80, 82};
    case DType::Q3_K: return {108};
    case DType::Q6_K: return {208};
    default: return {};
    }
}

enum class Scale { Random, Zero, Max, Negative };

// A block of random quants whose scale fields are set by `kind`; Zero also zeroes
// every quant (the all-zero block).
std::vector<uint8_t> makeBlock(std::mt19937& rng, DType t, Scale kind)
{
    const DTypeInfo& info = dtypeInfo(t);
    std::vector<uint8_t> b(size_t(info.blockBytes));
    for (uint8_t& v : b)
        v = uint8_t(rng());
    if (kind == Scale::Zero) {
        std::fill(b.begin(), b.end(), 0);
        return b;
    }
    auto halfBits = [&]() -> uint16_t {
        switch (kind) {
        case Scale::Max: return 0x7BFF; // 65504, the largest finite f16
        case Scale::Negative: return uint16_t(0x8000 | (rng() % 0x7C00));
        default: return uint16_t(rng() % 0x7C00 | (rng() & 0x8000)); // any finite f16, subnormals too
        }
    };
    for (int off : halfScaleOffsets(t)) {
        const uint16_t h = halfBits();
        b[size_t(off)] = uint8_t(h);
        b[size_t(off) + 1] = uint8_t(h >> 8);
    }
    if (t == DType::Q8_K) {
        const float d = kind == Scale::Max ? 3.4028235e38f
                        : kind == Scale::Negative ? -std::ldexp(float(rng() % 1000 + 1), -int(rng() % 20))
                                                  : std::ldexp(float(int(rng() % 2001) - 1000), -int(rng() % 30));
        std::memcpy(b.data(), &d, 4);
    }
    if (t == DType::MXFP4) // E8M0: 255 is NaN, 254 the largest; "negative" has no meaning, take tiny ones
        b[0] = kind == Scale::Max ? 254 : kind == Scale::Negative ? uint8_t(rng() % 2) : uint8_t(rng() % 255);
    return b;
}

bool sameBits(float a, float b) { return std::memcmp(&a, &b, 4) == 0; }

// Rows of roughly normal weights with a few outliers, like trained matrices.
std::vector<float> sampleRow(std::mt19937& rng, size_t n)
{
    std::normal_distribution<float> nd(0.f, 0.02f);
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i)
        v[i] = nd(rng) * (i % 97 == 0 ? 6.f : 1.f);
    return v;
}

// Raw GGUF with one tensor (no metadata), so a test can set any dimension.
std::string oneTensorGguf(const std::string& name, uint32_t ggmlType, uint64_t innerDim, uint64_t rows,
                          size_t dataBytes)
{
    std::string s;
    auto put = [&](const auto& v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); };
    s += "GGUF";
    put(uint32_t(3));
    put(uint64_t(1));
    put(uint64_t(0));
    put(uint64_t(name.size()));
    s += name;
    put(uint32_t(2));
    put(innerDim);
    put(rows);
    put(ggmlType);
    put(uint64_t(0));
    while (s.size() % 32)
        s.push_back('\0');
    s.append(dataBytes, '\x11');
    return s;
}

// Copies every metadata key of `src` into `w` (the types make-model writes).
void copyMetadata(const GgufFile& src, GgufWriter& w)
{
    for (const auto& [key, v] : src.metadata()) {
        switch (v.type) {
        case GgufType::Uint32: w.setUint32(key, uint32_t(v.u)); break;
        case GgufType::Int32: w.setInt32(key, int32_t(v.i)); break;
        case GgufType::Uint64: w.setUint64(key, v.u); break;
        case GgufType::Float32: w.setFloat32(key, float(v.f)); break;
        case GgufType::Bool: w.setBool(key, v.i != 0); break;
        case GgufType::String: w.setString(key, v.str); break;
        case GgufType::Array:
            if (v.arrayType == GgufType::String)
                w.setStringArray(key, v.strings);
            else if (v.arrayType == GgufType::Int32)
                w.setInt32Array(key, std::vector<int32_t>(v.ints.begin(), v.ints.end()));
            else if (v.arrayType == GgufType::Float32)
                w.setFloat32Array(key, std::vector<float>(v.floats.begin(), v.floats.end()));
            else
                throw Error(ErrorCode::UnsupportedType, src.path(), key, "array type the test does not copy");
            break;
        default: throw Error(ErrorCode::UnsupportedType, src.path(), key, "metadata type the test does not copy");
        }
    }
}

// The per-tensor choice of a Q4_K_M-like file: most matrices Q4_K, attn_v / ffn_down /
// output Q6_K, attn_output Q8_0; norms and the router stay F32 (llama.cpp keeps 1-D
// tensors and the router in full precision).
DType mixedType(const std::string& name, const Shape& shape)
{
    auto has = [&](const char* part) { return name.find(part) != std::string::npos; };
    if (shape.rank < 2 || has("ffn_gate_inp") || has("norm"))
        return DType::F32;
    if (has("attn_output")) // before "output.weight", which it also contains
        return DType::Q8_0;
    if (has("attn_v") || has("ffn_down") || has("output.weight") || has("token_embd"))
        return DType::Q6_K;
    return DType::Q4_K;
}

} // namespace

class TestQuantBlocks : public QObject {
    Q_OBJECT

private slots:
    void blockGeometryMatchesGgml()
    {
        // ggml type_traits: (elements, bytes) per block.
        const std::pair<int, int> expected[] = {{32, 20},  {32, 22},  {32, 24},  {256, 84}, {256, 110}, {256, 144},
                                                {256, 176}, {256, 210}, {256, 292}, {32, 18},  {256, 136}, {32, 17}};
        int i = 0;
        for (DType t : kNewTypes) {
            QCOMPARE(dtypeInfo(t).blockElements, expected[i].first);
            QCOMPARE(dtypeInfo(t).blockBytes, expected[i].second);
            QVERIFY(isQuantized(t));
            QCOMPARE(dtypeFromName(dtypeName(t)), std::optional<DType>(t));
            QCOMPARE(dtypeFromGgml(ggmlTypeFromDType(t)), std::optional<DType>(t));
            ++i;
        }
        QCOMPARE(ggmlTypeFromDType(DType::Q4_K), 12u);
        QCOMPARE(ggmlTypeFromDType(DType::MXFP4), 39u);
    }

    void dequantizeMatchesDefinitionBitForBit()
    {
        std::mt19937 rng(7);
        for (DType t : kNewTypes) {
            const int n = dtypeInfo(t).blockElements;
            for (Scale kind : {Scale::Zero, Scale::Max, Scale::Negative, Scale::Random}) {
                const int blocks = kind == Scale::Random ? 64 : 8;
                std::vector<uint8_t> row;
                for (int i = 0; i < blocks; ++i) {
                    const auto b = makeBlock(rng, t, kind);
                    row.insert(row.end(), b.begin(), b.end());
                }
                std::vector<float> got(size_t(blocks * n));
                dequantizeRow(t, row.data(), got.data(), got.size());
                for (int i = 0; i < blocks; ++i)
                    for (int e = 0; e < n; ++e) {
                        const float want = refElement(t, row.data() + size_t(i) * size_t(dtypeInfo(t).blockBytes), e);
                        const float have = got[size_t(i * n + e)];
                        if (!sameBits(have, want))
                            QFAIL(qPrintable(QStringLiteral("%1 scale kind %2 block %3 element %4: %5 vs %6")
                                                 .arg(dtypeName(t))
                                                 .arg(int(kind))
                                                 .arg(i)
                                                 .arg(e)
                                                 .arg(double(have), 0, 'g', 9)
                                                 .arg(double(want), 0, 'g', 9)));
                    }
                if (kind == Scale::Zero)
                    for (float v : got)
                        QVERIFY2(v == 0.f, dtypeName(t));
            }
        }
    }

    void simdDequantizeMatchesScalar()
    {
        // The AVX2 dequantisers (GEMV tile and packed panels) give the same bits.
        if (!cpuSupportsAvx2())
            QSKIP("no AVX2 on this machine");
        std::mt19937 rng(5);
        int covered = 0;
        for (DType t : kNewTypes)
            for (Scale kind : {Scale::Zero, Scale::Max, Scale::Negative, Scale::Random}) {
                const int blocks = 16, n = dtypeInfo(t).blockElements * blocks;
                std::vector<uint8_t> row;
                for (int i = 0; i < blocks; ++i) {
                    const auto b = makeBlock(rng, t, kind);
                    row.insert(row.end(), b.begin(), b.end());
                }
                std::vector<float> scalar(static_cast<size_t>(n)), simd(static_cast<size_t>(n));
                dequantizeRow(t, row.data(), scalar.data(), size_t(n));
                if (!kern::dequantizeRowSimd(CpuSimd::Avx2, t, row.data(), simd.data(), n))
                    continue;
                ++covered;
                QVERIFY2(std::memcmp(scalar.data(), simd.data(), size_t(n) * 4) == 0, dtypeName(t));
            }
        // Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS, Q4_1, Q5_0, Q5_1, IQ4_NL and MXFP4, four
        // scale kinds each.
        QCOMPARE(covered, 11 * 4);
    }

    void quantizeRoundTripWithinBound()
    {
        // RMS error of quantise -> dequantise relative to the RMS of the data (normal
        // weights with outliers). Bounds are about 1.5x what the reference quantisers reach.
        const std::pair<DType, double> bounds[] = {
            {DType::Q4_1, 0.16}, {DType::Q5_0, 0.09}, {DType::Q5_1, 0.08},  {DType::Q2_K, 0.60},
            {DType::Q3_K, 0.30}, {DType::Q4_K, 0.16}, {DType::Q5_K, 0.08},  {DType::Q6_K, 0.05},
            {DType::Q8_K, 0.03}, {DType::IQ4_NL, 0.16}, {DType::IQ4_XS, 0.16}, {DType::MXFP4, 0.30}};
        std::mt19937 rng(11);
        const size_t n = 4096;
        const std::vector<float> x = sampleRow(rng, n);
        for (const auto& [t, bound] : bounds) {
            std::vector<uint8_t> q(*rowBytes(t, n));
            std::vector<float> back(n);
            quantizeRow(t, x.data(), q.data(), n);
            dequantizeRow(t, q.data(), back.data(), n);
            double err = 0, ref = 0;
            for (size_t i = 0; i < n; ++i) {
                err += (double(back[i]) - x[i]) * (double(back[i]) - x[i]);
                ref += double(x[i]) * x[i];
            }
            const double rel = std::sqrt(err / ref);
            qInfo("%s: relative RMS error %.4f (bound %.2f)", dtypeName(t), rel, bound);
            QVERIFY2(rel < bound, qPrintable(QStringLiteral("%1: %2").arg(dtypeName(t)).arg(rel)));
            // All-zero input gives an all-zero block, not NaN.
            std::vector<float> zeros(n, 0.f);
            quantizeRow(t, zeros.data(), q.data(), n);
            dequantizeRow(t, q.data(), back.data(), n);
            for (float v : back)
                QVERIFY2(v == 0.f, dtypeName(t));
        }
    }

    void ggufRejectsBadBlockGeometry()
    {
        test::TempDir dir;
        // Row length 300 is not a whole number of Q4_K blocks (256).
        const std::string badRow = dir.file("bad_row.gguf");
        test::writeFile(badRow, oneTensorGguf("blk.0.ffn_down.weight", 12, 300, 2, 1024));
        try {
            GgufFile f(badRow);
            QFAIL("row length 300 accepted for Q4_K");
        } catch (const Error& e) {
            QCOMPARE(e.code(), ErrorCode::BadValue);
            QVERIFY2(e.field().find("blk.0.ffn_down.weight") != std::string::npos, e.what());
            QVERIFY2(e.detail().find("Q4_K block size 256") != std::string::npos, e.what());
        }
        // Two Q6_K rows of 512 need 4 * 210 bytes; the file stops one byte short.
        const std::string truncated = dir.file("truncated.gguf");
        test::writeFile(truncated, oneTensorGguf("blk.0.attn_v.weight", 14, 512, 2, 4 * 210 - 1));
        try {
            GgufFile f(truncated);
            QFAIL("truncated Q6_K block accepted");
        } catch (const Error& e) {
            QVERIFY2(e.field().find("blk.0.attn_v.weight") != std::string::npos, e.what());
        }
        // The complete file opens and reports the dtype.
        const std::string ok = dir.file("ok.gguf");
        test::writeFile(ok, oneTensorGguf("blk.0.attn_v.weight", 14, 512, 2, 4 * 210));
        GgufFile f(ok);
        QCOMPARE(f.tensorEntries().front().dtype, std::optional<DType>(DType::Q6_K));
    }
    void mixedTypeGgufRunsEndToEnd()
    {
        // The small preset: widths 256 / 512, so every matrix holds whole K-quant blocks.
        test::TempDir dir;
        MakeModelOptions mo;
        mo.architecture = "qwen3moe";
        mo.preset = "small";
        mo.format = MakeFormat::Gguf;
        mo.dtype = DType::F32;
        mo.outDir = dir.file("f32");
        const MadeModel made = makeModel(mo);

        // mixed.gguf holds the blocks; dequantised.gguf holds, in F32, exactly the values
        // those blocks decode to. The engine must compute the same function from both
        // (that checks layouts, kernels and dispatch); F32 vs mixed measures what the
        // quantisation itself costs.
        const std::string mixedPath = dir.file("mixed.gguf"), dequantPath = dir.file("dequantised.gguf");
        int typesUsed[kDTypeCount] = {};
        {
            GgufFile src(made.ggufPath);
            GgufWriter mixedW, dequantW;
            copyMetadata(src, mixedW);
            copyMetadata(src, dequantW);
            for (const TensorEntry& e : src.tensorEntries()) {
                const WeightView v = src.weight(e.name);
                QCOMPARE(v.dtype, DType::F32);
                const DType t = mixedType(e.name, e.shape);
                const int64_t cols = e.shape.dims[size_t(e.shape.rank - 1)], rows = e.shape.elements() / cols;
                const uint64_t rb = *rowBytes(t, uint64_t(cols));
                std::vector<uint8_t> out(size_t(rb) * size_t(rows));
                std::vector<float> back(size_t(rows * cols));
                for (int64_t r = 0; r < rows; ++r) {
                    quantizeRow(t, static_cast<const float*>(v.data) + r * cols, out.data() + size_t(r) * rb,
                                size_t(cols));
                    dequantizeRow(t, out.data() + size_t(r) * rb, back.data() + r * cols, size_t(cols));
                }
                mixedW.addTensor(e.name, t, e.shape, out.data(), out.size());
                dequantW.addTensor(e.name, DType::F32, e.shape, back.data(), back.size() * 4);
                ++typesUsed[int(t)];
            }
            mixedW.write(mixedPath);
            dequantW.write(dequantPath);
        }
        QVERIFY(typesUsed[int(DType::Q4_K)] > 0 && typesUsed[int(DType::Q6_K)] > 0 &&
                typesUsed[int(DType::Q8_0)] > 0 && typesUsed[int(DType::F32)] > 0);
        {
            GgufFile check(mixedPath);
            QCOMPARE(check.ggmlType("blk.0.attn_q.weight"), 12u);
            QCOMPARE(check.ggmlType("blk.0.ffn_down_exps.weight"), 14u);
        }

        EngineOptions eo;
        eo.threads = 2;
        auto f32 = Engine::load(made.ggufPath, eo);
        auto dequant = Engine::load(dequantPath, eo);
        auto mixed = Engine::load(mixedPath, eo);
        const std::vector<int32_t> prompt = {1, 17, 230, 5, 99, 1024, 7, 300, 12, 45, 800, 3, 64, 150};
        // max |logit difference| / max |logit| over a row.
        auto rel = [](std::span<const float> a, std::span<const float> b) {
            double scale = 0, diff = 0;
            for (size_t i = 0; i < a.size(); ++i) {
                scale = std::max(scale, std::fabs(double(a[i])));
                diff = std::max(diff, std::fabs(double(a[i]) - double(b[i])));
            }
            return diff / std::max(scale, 1e-30);
        };
        double engineErr = 0, quantErr = 0;
        auto compare = [&](std::span<const float> a, std::span<const float> d, std::span<const float> m) {
            for (float v : m)
                QVERIFY(std::isfinite(v));
            engineErr = std::max(engineErr, rel(d, m));
            quantErr = std::max(quantErr, rel(a, m));
        };
        f32->forward(prompt, true);
        dequant->forward(prompt, true);
        mixed->forward(prompt, true);
        for (int64_t t = 0; t < int64_t(prompt.size()); ++t)
            compare(f32->logitsOf(t), dequant->logitsOf(t), mixed->logitsOf(t));
        // Decode steps (the GEMV path) as well as the prefill (packed GEMM on AVX2).
        for (int32_t tok : {11, 400, 2}) {
            const auto a = f32->forward(std::span<const int32_t>(&tok, 1));
            const std::vector<float> av(a.begin(), a.end());
            const auto d = dequant->forward(std::span<const int32_t>(&tok, 1));
            const std::vector<float> dv(d.begin(), d.end());
            compare(av, dv, mixed->forward(std::span<const int32_t>(&tok, 1)));
        }
        qInfo("mixed Q4_K/Q6_K/Q8_0 GGUF: max|dlogit|/max|logit| vs its dequantised F32 twin %.2e, vs the F32 model %.4f",
              engineErr, quantErr);
        // Bounds: vs the twin 4e-2 (measured 2.1e-2 AVX2, 1.8e-2 scalar; 3.6e-3 before Q4_K / Q6_K had fused
        // dots: Q8_0 and now Q4_K / Q6_K GEMV take integer dots on 8-bit activations, 8
        // bits per 256 for the K-quants (Q8_K), and this is a max-norm ratio);
        // vs F32 0.6 (measured 0.35: random weights with ~9% / ~2.4% RMS weight noise from
        // Q4_K / Q6_K, compounded over four layers, on logits of small range).
        QVERIFY2(engineErr < 4e-2, qPrintable(QString::number(engineErr)));
        QVERIFY2(quantErr < 0.6, qPrintable(QString::number(quantErr)));
    }
};

QTEST_APPLESS_MAIN(TestQuantBlocks)
#include "test_quant_blocks.moc"
