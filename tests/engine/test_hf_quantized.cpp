// Hugging Face quantized checkpoints (AWQ, GPTQ, FP8), checked against fixtures this
// test packs itself from the format definitions: the tiny model's F32 weights W are
// quantized here (int4 per group with scales and zeros, FP8 E4M3 with per-tensor,
// per-channel and block scales), packed as AutoAWQ / GPTQ / FP8 checkpoints store them,
// and written as a Hugging Face folder. The loaded weights must equal the test's own
// dequantization of the packed data bit for bit (rounded to F16 as the engine stores
// them) and lie within the quantization error of W; the logits must match a plain F32
// folder holding those same dequantized weights, and stay near the F32 model's.
#include "test_support.h"
#include "tiny_model.h"

#include "model/hf_quantization.h"
#include "moe/engine.h"
#include "moe/error.h"
#include "moe/quantize.h"
#include "moe/safetensors.h"
#include "runtime/model_files.h"

#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

using namespace moe;
namespace fs = std::filesystem;

namespace {

const std::vector<int32_t> kPrompt = {5, 17, 99, 3, 250, 17, 42, 8, 77, 130, 1, 64, 300, 12, 9, 480};
constexpr int64_t kGroup = 32;

// A matrix [out, in] in F32, row-major.
struct Matrix {
    int64_t out = 0, in = 0;
    std::vector<float> v;
    float at(int64_t j, int64_t k) const { return v[size_t(j * in + k)]; }
};

// What a packer produces: the tensors to write and the weights they stand for.
struct Packed {
    std::vector<std::pair<std::string, std::pair<std::string, std::pair<Shape, std::vector<uint8_t>>>>> tensors;
    std::vector<float> expected; // [out, in], the test's dequantization of the packed data
    std::vector<float> bound;    // [out, in], the largest error each value may carry vs W
    void add(const std::string& name, const std::string& type, const Shape& shape, const void* data, size_t bytes)
    {
        const auto* p = static_cast<const uint8_t*>(data);
        tensors.push_back({name, {type, {shape, std::vector<uint8_t>(p, p + bytes)}}});
    }
};

float roundF16(float f) { return f16ToF32(f32ToF16(f)); }

// ---- int4 group quantization, from the definition: per (group, output column) an
// affine map w ~ (q - z) * s with q in 0..15. `group[k]` is the group of input row k.
struct Int4 {
    std::vector<uint8_t> q;      // [in, out]
    std::vector<uint8_t> zero;   // [groups, out], the real zero point
    std::vector<uint16_t> scale; // [groups, out], f16
    int64_t groups = 0;
};

Int4 quantizeInt4(const Matrix& w, const std::vector<int64_t>& group, int64_t groups, int minZero)
{
    Int4 r;
    r.groups = groups;
    r.q.resize(size_t(w.in * w.out));
    r.zero.resize(size_t(groups * w.out));
    r.scale.resize(size_t(groups * w.out));
    for (int64_t g = 0; g < groups; ++g)
        for (int64_t j = 0; j < w.out; ++j) {
            // The range includes 0, so the zero point lies inside it; one spare level keeps
            // round(hi/s) + round(-lo/s) + minZero <= 15 (no clamping, error <= s/2).
            float lo = 0, hi = 0;
            for (int64_t k = 0; k < w.in; ++k)
                if (group[size_t(k)] == g) {
                    lo = std::min(lo, w.at(j, k));
                    hi = std::max(hi, w.at(j, k));
                }
            const float s = roundF16(std::max(hi - lo, 1e-3f) / float(14 - minZero));
            const int z = std::clamp(int(std::lround(-lo / s)) + minZero, minZero, 15);
            r.scale[size_t(g * w.out + j)] = f32ToF16(s);
            r.zero[size_t(g * w.out + j)] = uint8_t(z);
            for (int64_t k = 0; k < w.in; ++k)
                if (group[size_t(k)] == g)
                    r.q[size_t(k * w.out + j)] = uint8_t(std::clamp(int(std::lround(w.at(j, k) / s)) + z, 0, 15));
        }
    return r;
}

void fillInt4Expected(const Matrix& w, const Int4& r, const std::vector<int64_t>& group, Packed& p)
{
    p.expected.resize(size_t(w.out * w.in));
    p.bound.resize(size_t(w.out * w.in));
    for (int64_t j = 0; j < w.out; ++j)
        for (int64_t k = 0; k < w.in; ++k) {
            const size_t gi = size_t(group[size_t(k)] * w.out + j);
            const float s = f16ToF32(r.scale[gi]);
            const int diff = int(r.q[size_t(k * w.out + j)]) - int(r.zero[gi]);
            p.expected[size_t(j * w.in + k)] = float(diff) * s;
            p.bound[size_t(j * w.in + k)] = 0.5f * s * 1.001f + 1e-6f; // round to nearest, range covers W
        }
}

// AutoAWQ GEMM packing (awq/modules/linear/gemm.py, WQLinear_GEMM.from_linear): eight
// output columns per int32, column order_map[i] in nibble i.
Packed packAwq(const std::string& prefix, const Matrix& w)
{
    static const int orderMap[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    const int64_t groups = w.in / kGroup;
    std::vector<int64_t> group(size_t(w.in));
    for (int64_t k = 0; k < w.in; ++k)
        group[size_t(k)] = k / kGroup;
    const Int4 r = quantizeInt4(w, group, groups, 0);
    const int64_t words = w.out / 8;
    std::vector<int32_t> qweight(size_t(w.in * words), 0), qzeros(size_t(groups * words), 0);
    for (int64_t k = 0; k < w.in; ++k)
        for (int64_t c = 0; c < words; ++c)
            for (int i = 0; i < 8; ++i)
                qweight[size_t(k * words + c)] |= int32_t(r.q[size_t(k * w.out + c * 8 + orderMap[i])]) << (4 * i);
    for (int64_t g = 0; g < groups; ++g)
        for (int64_t c = 0; c < words; ++c)
            for (int i = 0; i < 8; ++i)
                qzeros[size_t(g * words + c)] |= int32_t(r.zero[size_t(g * w.out + c * 8 + orderMap[i])]) << (4 * i);
    Packed p;
    p.add(prefix + ".qweight", "I32", Shape{w.in, words}, qweight.data(), qweight.size() * 4);
    p.add(prefix + ".qzeros", "I32", Shape{groups, words}, qzeros.data(), qzeros.size() * 4);
    p.add(prefix + ".scales", "F16", Shape{groups, w.out}, r.scale.data(), r.scale.size() * 2);
    fillInt4Expected(w, r, group, p);
    return p;
}

// GPTQ v1 packing (AutoGPTQ QuantLinear.pack): qweight eight input rows per int32 in
// plain order, zeros eight output columns per int32 stored minus one. With `actOrder`,
// input rows are assigned to groups through a shuffled g_idx.
Packed packGptq(const std::string& prefix, const Matrix& w, bool actOrder, uint64_t seed)
{
    const int64_t groups = w.in / kGroup;
    std::vector<int64_t> order(size_t(w.in));
    std::iota(order.begin(), order.end(), 0);
    if (actOrder)
        std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
    std::vector<int64_t> group(size_t(w.in));
    for (int64_t i = 0; i < w.in; ++i)
        group[size_t(order[size_t(i)])] = i / kGroup;
    const Int4 r = quantizeInt4(w, group, groups, 1); // stored zero = z - 1 must be >= 0
    std::vector<int32_t> qweight(size_t(w.in / 8 * w.out), 0), qzeros(size_t(groups * w.out / 8), 0);
    std::vector<int32_t> gIdx(size_t(w.in));
    for (int64_t k = 0; k < w.in; ++k) {
        gIdx[size_t(k)] = int32_t(group[size_t(k)]);
        for (int64_t j = 0; j < w.out; ++j)
            qweight[size_t((k / 8) * w.out + j)] |= int32_t(r.q[size_t(k * w.out + j)]) << (4 * (k % 8));
    }
    for (int64_t g = 0; g < groups; ++g)
        for (int64_t j = 0; j < w.out; ++j)
            qzeros[size_t(g * (w.out / 8) + j / 8)] |= int32_t(r.zero[size_t(g * w.out + j)] - 1) << (4 * (j % 8));
    Packed p;
    p.add(prefix + ".qweight", "I32", Shape{w.in / 8, w.out}, qweight.data(), qweight.size() * 4);
    p.add(prefix + ".qzeros", "I32", Shape{groups, w.out / 8}, qzeros.data(), qzeros.size() * 4);
    p.add(prefix + ".scales", "F16", Shape{groups, w.out}, r.scale.data(), r.scale.size() * 2);
    p.add(prefix + ".g_idx", "I32", Shape{w.in}, gIdx.data(), gIdx.size() * 4);
    fillInt4Expected(w, r, group, p);
    return p;
}

// ---- FP8 E4M3 from the OCP definition: sign, 4 exponent bits (bias 7), 3 mantissa
// bits; exponent 0 is subnormal (m/8 * 2^-6); S.1111.111 is NaN; largest 448.
float e4m3Value(int code)
{
    const int e = (code >> 3) & 15, m = code & 7;
    const float mag = e == 0 ? float(m) / 8.0f * std::pow(2.0f, -6.0f) : (1.0f + float(m) / 8.0f) * std::pow(2.0f, float(e - 7));
    return (code & 0x80) ? -mag : mag;
}

uint8_t e4m3Nearest(float x)
{
    int best = 0;
    float bestErr = INFINITY;
    for (int c = 0; c < 256; ++c) {
        if ((c & 0x7f) == 0x7f)
            continue; // NaN
        const float err = std::fabs(e4m3Value(c) - x);
        if (err < bestErr) {
            bestErr = err;
            best = c;
        }
    }
    return uint8_t(best);
}

enum class Fp8Scale { PerTensor, PerChannel, Block };

// FP8 weight with scales: `scaleOf(j, k)` picks the scale cell of each weight.
Packed packFp8(const std::string& prefix, const Matrix& w, Fp8Scale mode, int64_t bo, int64_t bi)
{
    Shape scaleShape;
    int64_t rowsS = 1, colsS = 1;
    if (mode == Fp8Scale::PerChannel) {
        rowsS = w.out;
        scaleShape = Shape{w.out, 1};
    } else if (mode == Fp8Scale::Block) {
        rowsS = (w.out + bo - 1) / bo;
        colsS = (w.in + bi - 1) / bi;
        scaleShape = Shape{rowsS, colsS};
    } else {
        scaleShape = Shape{};
    }
    auto cell = [&](int64_t j, int64_t k) -> size_t {
        if (mode == Fp8Scale::PerChannel)
            return size_t(j);
        if (mode == Fp8Scale::Block)
            return size_t((j / bo) * colsS + k / bi);
        return 0;
    };
    std::vector<float> amax(size_t(rowsS * colsS), 0.0f), scale(size_t(rowsS * colsS));
    for (int64_t j = 0; j < w.out; ++j)
        for (int64_t k = 0; k < w.in; ++k)
            amax[cell(j, k)] = std::max(amax[cell(j, k)], std::fabs(w.at(j, k)));
    for (size_t c = 0; c < scale.size(); ++c)
        scale[c] = std::max(amax[c], 1e-8f) / 448.0f;
    std::vector<uint8_t> q(size_t(w.out * w.in));
    Packed p;
    p.expected.resize(q.size());
    p.bound.resize(q.size());
    for (int64_t j = 0; j < w.out; ++j)
        for (int64_t k = 0; k < w.in; ++k) {
            const float s = scale[cell(j, k)];
            const uint8_t code = e4m3Nearest(w.at(j, k) / s);
            q[size_t(j * w.in + k)] = code;
            p.expected[size_t(j * w.in + k)] = e4m3Value(code) * s;
            // 3 mantissa bits: half a step is 2^-4 relative; subnormal steps 2^-9 absolute.
            p.bound[size_t(j * w.in + k)] = std::fabs(w.at(j, k)) / 16.0f + std::ldexp(1.0f, -10) * s + 1e-7f;
        }
    p.add(prefix + ".weight", "F8_E4M3", Shape{w.out, w.in}, q.data(), q.size());
    const std::string scaleName = prefix + (mode == Fp8Scale::Block ? ".weight_scale_inv" : ".weight_scale");
    p.add(scaleName, "F32", scaleShape, scale.data(), scale.size() * 4);
    return p;
}

bool isQuantizedLinear(const std::string& name)
{
    return name.size() > 12 && name.compare(name.size() - 12, 12, "_proj.weight") == 0;
}

std::string prefixOf(const std::string& weightName) { return weightName.substr(0, weightName.size() - 7); }

using Packer = std::function<Packed(const std::string& prefix, const Matrix& w)>;

// A quantized copy of an F32 Hugging Face folder: every *_proj.weight packed by `pack`,
// everything else (embeddings, norms, routers, LM head) kept as F32.
struct QuantizedFolder {
    std::string dir;
    std::map<std::string, Matrix> original;  // by weight name
    std::map<std::string, Packed> packed;
};

QuantizedFolder writeQuantizedFolder(const std::string& srcDir, const std::string& dir, const nlohmann::json& quantConfig,
                                     const Packer& pack)
{
    QuantizedFolder f;
    f.dir = dir;
    fs::create_directories(dir);
    for (const auto& entry : fs::directory_iterator(srcDir)) {
        const std::string name = entry.path().filename().string();
        if (name != "model.safetensors" && name != "config.json")
            fs::copy_file(entry.path(), fs::path(dir) / name);
    }
    nlohmann::json config = readJsonFile(srcDir + "/config.json");
    config["quantization_config"] = quantConfig;
    test::writeFile(dir + "/config.json", config.dump(2));

    const SafetensorsFile src(srcDir + "/model.safetensors");
    SafetensorsWriter out;
    for (const TensorEntry& e : src.tensorEntries()) {
        const WeightView v = src.weight(e.name);
        if (!isQuantizedLinear(e.name)) {
            out.addTensor(e.name, v.dtype, v.shape, v.data, v.bytes);
            continue;
        }
        Matrix m{v.shape[0], v.shape[1], std::vector<float>(size_t(v.shape.elements()))};
        std::memcpy(m.v.data(), v.data, m.v.size() * 4);
        Packed p = pack(prefixOf(e.name), m);
        for (const auto& [name, t] : p.tensors)
            out.addRawTensor(name, t.first, t.second.first, t.second.second.data(), t.second.second.size());
        f.original.emplace(e.name, std::move(m));
        f.packed.emplace(e.name, std::move(p));
    }
    out.write(dir + "/model.safetensors");
    return f;
}

// The same model as a plain F32 folder holding the test's dequantized weights (rounded
// to F16, as the engine stores them): the numbers the quantized model must compute with.
void writeReferenceFolder(const std::string& srcDir, const QuantizedFolder& q, const std::string& dir)
{
    fs::create_directories(dir);
    for (const auto& entry : fs::directory_iterator(srcDir))
        if (entry.path().filename() != "model.safetensors")
            fs::copy_file(entry.path(), fs::path(dir) / entry.path().filename());
    const SafetensorsFile src(srcDir + "/model.safetensors");
    SafetensorsWriter out;
    for (const TensorEntry& e : src.tensorEntries()) {
        const WeightView v = src.weight(e.name);
        const auto it = q.packed.find(e.name);
        if (it == q.packed.end()) {
            out.addTensor(e.name, v.dtype, v.shape, v.data, v.bytes);
            continue;
        }
        std::vector<float> values(it->second.expected.size());
        for (size_t i = 0; i < values.size(); ++i)
            values[i] = roundF16(it->second.expected[i]);
        out.addTensor(e.name, DType::F32, v.shape, values.data(), values.size() * 4);
    }
    out.write(dir + "/model.safetensors");
}

std::vector<float> logitsOf(const std::string& path, std::optional<QuantizeOptions> quant = std::nullopt)
{
    EngineOptions eo;
    eo.threads = 2;
    eo.quantize = quant;
    auto engine = Engine::load(path, eo);
    engine->forward(kPrompt, true);
    std::vector<float> out;
    for (size_t i = 0; i < kPrompt.size(); ++i) {
        auto row = engine->logitsOf(int64_t(i));
        out.insert(out.end(), row.begin(), row.end());
    }
    return out;
}

double relativeRms(const std::vector<float>& a, const std::vector<float>& b)
{
    double diff = 0, norm = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff += (double(a[i]) - double(b[i])) * (double(a[i]) - double(b[i]));
        norm += double(b[i]) * double(b[i]);
    }
    return std::sqrt(diff / norm);
}

bool allFinite(const std::vector<float>& v)
{
    return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

template <typename Fn>
Error expectError(Fn&& fn)
{
    try {
        fn();
    } catch (const Error& e) {
        return e;
    }
    QTest::qFail("no moe::Error thrown", __FILE__, __LINE__);
    return Error(ErrorCode::Io, "", "", "");
}

} // namespace

class TestHfQuantized : public QObject {
    Q_OBJECT

private:
    test::TempDir m_tmp;
    MadeModel m_model;
    std::vector<float> m_f32Logits;

    // Checks every quantized layer of `q` as the checkpoint source serves it, then the
    // logits against the reference folder and the F32 model. Returns the logits.
    std::vector<float> checkFolder(const QuantizedFolder& q, const std::string& label, double f32Bound)
    {
        const OpenedModel m = openModelFiles(q.dir);
        const ModelInfo info = describeModel(q.dir, m);
        [&] { QCOMPARE(QString::fromStdString(info.checkpointQuantization), QString::fromStdString(label)); }();
        for (const auto& [name, packed] : q.packed) {
            const WeightView v = m.source->weight(name);
            const Matrix& w = q.original.at(name);
            if (v.dtype != DType::F16 || !(v.shape == Shape{w.out, w.in}))
                QTest::qFail(("bad view of " + name).c_str(), __FILE__, __LINE__);
            const auto* got = static_cast<const uint16_t*>(v.data);
            size_t mismatches = 0, outOfBound = 0;
            for (size_t i = 0; i < packed.expected.size(); ++i) {
                if (got[i] != f32ToF16(packed.expected[i]))
                    ++mismatches;
                const float err = std::fabs(f16ToF32(got[i]) - w.v[i]);
                if (err > packed.bound[i] + std::fabs(w.v[i]) * 1e-3f) // plus the F16 rounding
                    ++outOfBound;
            }
            if (mismatches || outOfBound)
                QTest::qFail((name + ": " + std::to_string(mismatches) + " values differ from the packed data, "
                              + std::to_string(outOfBound) + " outside the quantization error").c_str(),
                             __FILE__, __LINE__);
            // No packed companion is listed; the layer reads as one F16 weight.
            for (const TensorEntry& e : m.source->tensorEntries())
                if (e.name.find(".qweight") != std::string::npos || e.name.find(".qzeros") != std::string::npos
                    || e.name.find("weight_scale") != std::string::npos)
                    QTest::qFail(("packed tensor listed: " + e.name).c_str(), __FILE__, __LINE__);
        }
        const std::string ref = q.dir + "-reference";
        writeReferenceFolder(m_model.hfDir, q, ref);
        const std::vector<float> logits = logitsOf(q.dir);
        const std::vector<float> refLogits = logitsOf(ref);
        if (!allFinite(logits))
            QTest::qFail("non-finite logits", __FILE__, __LINE__);
        // Same weights, F16 vs F32 storage of already F16-exact values: only the
        // kernels' summation order may differ.
        const double vsRef = relativeRms(logits, refLogits);
        const double vsF32 = relativeRms(logits, m_f32Logits);
        qInfo("%s: logits rel. RMS vs dequantized F32 reference %.2e, vs original F32 %.3f", label.c_str(), vsRef, vsF32);
        if (vsRef > 1e-4)
            QTest::qFail("logits differ from the reference folder", __FILE__, __LINE__);
        if (vsF32 > f32Bound)
            QTest::qFail("logits too far from the F32 model", __FILE__, __LINE__);
        return logits;
    }

private slots:
    void initTestCase()
    {
        m_model = test::makeTinyModel("qwen3moe", m_tmp.path() + "/f32", MakeFormat::Safetensors, 7, DType::F32);
        m_f32Logits = logitsOf(m_model.hfDir);
        QVERIFY(allFinite(m_f32Logits));
    }

    void fp8Decoding()
    {
        QCOMPARE(fp8E4M3ToF32(0x38), 1.0f);
        QCOMPARE(fp8E4M3ToF32(0x7e), 448.0f);
        QCOMPARE(fp8E4M3ToF32(0xfe), -448.0f);
        QCOMPARE(fp8E4M3ToF32(0x01), std::ldexp(1.0f, -9));
        QCOMPARE(fp8E4M3ToF32(0x08), std::ldexp(1.0f, -6));
        QVERIFY(std::isnan(fp8E4M3ToF32(0x7f)));
        for (int c = 0; c < 256; ++c)
            if ((c & 0x7f) != 0x7f)
                QCOMPARE(fp8E4M3ToF32(uint8_t(c)), e4m3Value(c));
    }

    // DeepSeek-V3 block scales on a matrix larger than the tiny model's: 256 x 384 with
    // 128 x 128 blocks is a 2 x 3 scale grid.
    void fp8BlockDequantDirect()
    {
        Matrix w{256, 384, std::vector<float>(256 * 384)};
        std::mt19937 rng(3);
        std::normal_distribution<float> nd(0.0f, 0.05f);
        for (size_t i = 0; i < w.v.size(); ++i)
            w.v[i] = nd(rng) * (1.0f + float(i % 384 / 128) + float(i / 384 / 128) * 3.0f); // blocks differ
        const Packed p = packFp8("x", w, Fp8Scale::Block, 128, 128);
        const auto& weight = p.tensors[0].second.second.second;
        std::vector<float> scales(6);
        QVERIFY(p.tensors[1].second.second.first == (Shape{2, 3}));
        std::memcpy(scales.data(), p.tensors[1].second.second.second.data(), 24);
        Fp8Linear l;
        l.out = 256;
        l.in = 384;
        l.weight = weight.data();
        l.scales = scales.data();
        l.scale = Fp8Linear::Scale::Block;
        l.blockOut = l.blockIn = 128;
        std::vector<float> got(w.v.size());
        dequantizeFp8Rows(l, 0, 100, got.data());
        dequantizeFp8Rows(l, 100, 156, got.data() + 100 * 384);
        for (size_t i = 0; i < got.size(); ++i) {
            QCOMPARE(got[i], p.expected[i]);
            QVERIFY(std::fabs(got[i] - w.v[i]) <= p.bound[i]);
        }
    }

    void awq()
    {
        const nlohmann::json cfg = {{"quant_method", "awq"}, {"bits", 4}, {"group_size", kGroup},
                                    {"zero_point", true}, {"version", "gemm"}};
        const auto q = writeQuantizedFolder(m_model.hfDir, m_tmp.path() + "/awq", cfg, packAwq);
        const auto logits = checkFolder(q, "AWQ int4 g32", 0.5);
        // Quantize at load goes on from the dequantized weights.
        QuantizeOptions qo;
        qo.type = DType::Q8_0;
        EngineOptions eo;
        eo.threads = 2;
        eo.quantize = qo;
        auto engine = Engine::load(q.dir, eo);
        QVERIFY(engine->info().quantizedAtLoad);
        QCOMPARE(engine->info().quantizedAtLoad->tensorsQuantized, int64_t(q.packed.size()));
        const auto q8 = logitsOf(q.dir, qo);
        QVERIFY(allFinite(q8));
        QVERIFY2(relativeRms(q8, logits) < 0.05, "q8_0 of the AWQ weights far from the AWQ logits");
    }

    void gptq()
    {
        const nlohmann::json cfg = {{"quant_method", "gptq"}, {"bits", 4}, {"group_size", kGroup},
                                    {"desc_act", false}, {"sym", false}};
        const auto q = writeQuantizedFolder(m_model.hfDir, m_tmp.path() + "/gptq", cfg,
                                            [](const std::string& p, const Matrix& w) { return packGptq(p, w, false, 0); });
        checkFolder(q, "GPTQ int4 g32", 0.5);
    }

    void gptqActOrder()
    {
        const nlohmann::json cfg = {{"quant_method", "gptq"}, {"bits", 4}, {"group_size", kGroup},
                                    {"desc_act", true}, {"sym", false}};
        uint64_t seed = 11;
        const auto q = writeQuantizedFolder(m_model.hfDir, m_tmp.path() + "/gptq-act", cfg,
                                            [&seed](const std::string& p, const Matrix& w) { return packGptq(p, w, true, seed++); });
        checkFolder(q, "GPTQ int4 g32 act-order", 0.5);
    }

    void fp8PerTensor()
    {
        const nlohmann::json cfg = {{"quant_method", "fp8"}, {"activation_scheme", "dynamic"}};
        const auto q = writeQuantizedFolder(m_model.hfDir, m_tmp.path() + "/fp8-tensor", cfg,
                                            [](const std::string& p, const Matrix& w) { return packFp8(p, w, Fp8Scale::PerTensor, 0, 0); });
        checkFolder(q, "FP8 E4M3", 0.15);
    }

    void fp8PerChannel()
    {
        const nlohmann::json cfg = {{"quant_method", "fp8"}};
        const auto q = writeQuantizedFolder(m_model.hfDir, m_tmp.path() + "/fp8-channel", cfg,
                                            [](const std::string& p, const Matrix& w) { return packFp8(p, w, Fp8Scale::PerChannel, 0, 0); });
        checkFolder(q, "FP8 E4M3", 0.15);
    }

    // Block scales as DeepSeek-V3 stores them; blocks of 16 x 32 so the tiny model's
    // matrices hold several (a 128 x 128 grid would be one cell here; see the direct test).
    void fp8Block()
    {
        const nlohmann::json cfg = {{"quant_method", "fp8"}, {"fmt", "e4m3"}, {"weight_block_size", {16, 32}}};
        const auto q = writeQuantizedFolder(m_model.hfDir, m_tmp.path() + "/fp8-block", cfg,
                                            [](const std::string& p, const Matrix& w) { return packFp8(p, w, Fp8Scale::Block, 16, 32); });
        checkFolder(q, "FP8 E4M3 block 16x32", 0.15);
    }

    // ---- bad input: errors name the file, the tensor or field, and the value.
    void unknownMethod()
    {
        const nlohmann::json cfg = {{"quant_method", "bitsandbytes"}, {"load_in_4bit", true}};
        const auto q = writeQuantizedFolder(m_model.hfDir, m_tmp.path() + "/bnb", cfg, packAwq);
        const Error e = expectError([&] { inspectModel(q.dir); });
        QCOMPARE(e.code(), ErrorCode::UnsupportedType);
        QVERIFY(e.file().ends_with("config.json"));
        QCOMPARE(QString::fromStdString(e.field()), QStringLiteral("quantization_config.quant_method"));
        QVERIFY(e.detail().find("bitsandbytes") != std::string::npos);
    }

    void awqMissingZeros()
    {
        const nlohmann::json cfg = {{"quant_method", "awq"}, {"bits", 4}, {"group_size", kGroup}};
        const std::string victim = "model.layers.1.self_attn.k_proj";
        const auto q = writeQuantizedFolder(m_model.hfDir, m_tmp.path() + "/awq-nozeros", cfg,
                                            [&](const std::string& p, const Matrix& w) {
                                                Packed packed = packAwq(p, w);
                                                if (p == victim)
                                                    std::erase_if(packed.tensors, [](const auto& t) {
                                                        return t.first.ends_with(".qzeros");
                                                    });
                                                return packed;
                                            });
        const Error e = expectError([&] { Engine::load(q.dir, {}); });
        QCOMPARE(e.code(), ErrorCode::MissingField);
        QCOMPARE(QString::fromStdString(e.field()), QString::fromStdString("tensor " + victim + ".qzeros"));
        QVERIFY(e.file().ends_with("model.safetensors"));
    }

    void gptqGroupIndexOutOfRange()
    {
        const nlohmann::json cfg = {{"quant_method", "gptq"}, {"bits", 4}, {"group_size", kGroup}, {"desc_act", true}};
        const std::string victim = "model.layers.0.mlp.experts.2.down_proj";
        const auto q = writeQuantizedFolder(m_model.hfDir, m_tmp.path() + "/gptq-badidx", cfg,
                                            [&](const std::string& p, const Matrix& w) {
                                                Packed packed = packGptq(p, w, true, 5);
                                                if (p == victim)
                                                    for (auto& t : packed.tensors)
                                                        if (t.first.ends_with(".g_idx")) {
                                                            const int32_t bad = int32_t(w.in / kGroup); // one past the last group
                                                            std::memcpy(t.second.second.second.data() + 4 * 7, &bad, 4);
                                                        }
                                                return packed;
                                            });
        const Error e = expectError([&] { Engine::load(q.dir, {}); });
        QCOMPARE(e.code(), ErrorCode::BadValue);
        QCOMPARE(QString::fromStdString(e.field()), QString::fromStdString("tensor " + victim + ".g_idx"));
        QVERIFY(e.detail().find("g_idx[7]") != std::string::npos);
    }

    void fp8ScaleShapeWrong()
    {
        const nlohmann::json cfg = {{"quant_method", "fp8"}};
        const std::string victim = "model.layers.0.self_attn.o_proj";
        const auto q = writeQuantizedFolder(m_model.hfDir, m_tmp.path() + "/fp8-badscale", cfg,
                                            [&](const std::string& p, const Matrix& w) {
                                                Packed packed = packFp8(p, w, Fp8Scale::PerChannel, 0, 0);
                                                if (p == victim) { // [out, 1] -> [out / 2, 2]
                                                    packed.tensors[1].second.second.first = Shape{w.out / 2, 2};
                                                }
                                                return packed;
                                            });
        const Error e = expectError([&] { inspectModel(q.dir); });
        QCOMPARE(e.code(), ErrorCode::BadValue);
        QCOMPARE(QString::fromStdString(e.field()), QString::fromStdString("tensor " + victim + ".weight_scale"));
    }

    void fp8BlockScaleShapeWrong()
    {
        const nlohmann::json cfg = {{"quant_method", "fp8"}, {"weight_block_size", {16, 32}}};
        const auto q = writeQuantizedFolder(m_model.hfDir, m_tmp.path() + "/fp8-badblock", cfg,
                                            [](const std::string& p, const Matrix& w) { return packFp8(p, w, Fp8Scale::Block, 32, 32); });
        const Error e = expectError([&] { inspectModel(q.dir); });
        QCOMPARE(e.code(), ErrorCode::BadValue);
        QVERIFY(e.field().ends_with(".weight_scale_inv"));
        QVERIFY(e.detail().find("weight_block_size") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestHfQuantized)
#include "test_hf_quantized.moc"
