// Quantize at load, `moe quantize` to a file and the eval-quant statistics, each checked
// against something computed independently here: the quantized weights against
// quantizeRow() of the original rows read through a separate GgufFile, the file against
// the in-memory quantization, the KL / agreement maths against a naive long-double
// implementation on hand-made logits.
#include "test_support.h"
#include "tiny_model.h"

#include "moe/architecture.h"
#include "moe/engine.h"
#include "moe/error.h"
#include "moe/gguf.h"
#include "moe/quant_eval.h"
#include "moe/quantize.h"
#include "moe/tokenizer.h"
#include "core/thread_pool.h"
#include "quant/tensor_quantizer.h"
#include "runtime/model_weights.h"

#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>
#include <random>

using namespace moe;

namespace {

const std::vector<int32_t> kPrompt = {5, 17, 99, 3, 250, 17, 42, 8, 77, 130, 1, 64, 300, 12, 9, 480};

// The policy, restated from moe/quantize.h over GGUF names: matrices quantized except the
// router (ffn_gate_inp*), the embedding and LM head only when asked.
bool expectQuantized(const std::string& name, int rank, bool embeddings)
{
    if (rank < 2 || name.find("ffn_gate_inp") != std::string::npos)
        return false;
    if (name == "token_embd.weight" || name == "output.weight")
        return embeddings;
    return true;
}

// llama-quantize's fallback table (src/llama-quant.cpp), restated.
std::optional<DType> expectType(DType asked, int64_t cols)
{
    if (cols % dtypeInfo(asked).blockElements == 0)
        return asked;
    DType f = asked;
    if (asked == DType::Q4_K)
        f = DType::Q5_0;
    else if (asked == DType::Q5_K)
        f = DType::Q5_1;
    else if (asked == DType::Q6_K || asked == DType::Q8_K)
        f = DType::Q8_0;
    if (cols % dtypeInfo(f).blockElements == 0)
        return f;
    return std::nullopt;
}

// Every matrix of loaded weights under its GGUF name (experts: name + "#e").
std::vector<std::pair<std::string, DeviceTensor>> namedMatrices(const ModelWeights& w, const ModelSpec& s)
{
    std::vector<std::pair<std::string, DeviceTensor>> out;
    out.emplace_back("token_embd.weight", w.tokenEmbedding);
    if (!s.tieWordEmbeddings)
        out.emplace_back("output.weight", w.lmHead);
    for (int64_t l = 0; l < s.numLayers; ++l) {
        const LayerWeights& lw = w.layers[size_t(l)];
        const std::string b = "blk." + std::to_string(l) + ".";
        out.emplace_back(b + "attn_q.weight", lw.q);
        out.emplace_back(b + "attn_k.weight", lw.k);
        out.emplace_back(b + "attn_v.weight", lw.v);
        out.emplace_back(b + "attn_output.weight", lw.o);
        out.emplace_back(b + "ffn_gate_inp.weight", lw.router);
        for (size_t e = 0; e < lw.experts.size(); ++e) {
            const std::string tag = "#" + std::to_string(e);
            out.emplace_back(b + "ffn_gate_exps.weight" + tag, lw.experts[e].gate);
            out.emplace_back(b + "ffn_up_exps.weight" + tag, lw.experts[e].up);
            out.emplace_back(b + "ffn_down_exps.weight" + tag, lw.experts[e].down);
        }
        if (lw.shared.gate.data) {
            out.emplace_back(b + "ffn_gate_shexp.weight", lw.shared.gate);
            out.emplace_back(b + "ffn_up_shexp.weight", lw.shared.up);
            out.emplace_back(b + "ffn_down_shexp.weight", lw.shared.down);
        }
    }
    return out;
}

WeightView originalView(const GgufFile& f, const std::string& tagged)
{
    const size_t hash = tagged.find('#');
    if (hash == std::string::npos)
        return f.weight(tagged);
    return f.weight(tagged.substr(0, hash)).slice(std::stoll(tagged.substr(hash + 1)));
}

// Weights of a GGUF loaded the way Engine::load does (runtime/model_weights.h), so the
// test can read the tensors the engine computes with.
struct LoadedWeights {
    std::unique_ptr<GgufFile> file;
    ModelSpec spec;
    std::unique_ptr<Backend> backend;
    std::unique_ptr<ThreadPool> pool;
    std::unordered_map<std::string, DType> conversions;
    QuantizeSummary summary;
    ModelWeights weights;

    LoadedWeights(const std::string& path, std::optional<QuantizeOptions> quant)
        : file(std::make_unique<GgufFile>(path))
        , spec(specFromGguf(*file))
        , backend(createCpuBackend({2}))
    {
        const Architecture& arch = architectureFor(spec);
        WeightLoadContext ctx{*file, spec, arch, true, *backend, {}, nullptr, false};
        if (quant) {
            const auto plan = quant::planQuantization(*file, spec, arch, true, *quant);
            summary = summarizeQuantization(plan, *quant);
            conversions = quant::conversionsOf(plan);
            pool = std::make_unique<ThreadPool>(2);
            ctx.quantize = &conversions;
            ctx.quantizePool = pool.get();
        }
        weights = loadModelWeights(ctx);
    }
    ~LoadedWeights() { releaseModelWeights(weights, *backend); }
};

std::vector<float> dequantized(DType t, const void* data, int64_t rows, int64_t cols)
{
    std::vector<float> out(size_t(rows * cols));
    const uint64_t rowSize = *rowBytes(t, uint64_t(cols));
    for (int64_t r = 0; r < rows; ++r)
        dequantizeRow(t, static_cast<const uint8_t*>(data) + uint64_t(r) * rowSize, out.data() + r * cols, size_t(cols));
    return out;
}

bool sameBits(const std::vector<float>& a, const std::vector<float>& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * 4) == 0;
}

// Naive statistics in long double, straight from the definitions.
struct Naive {
    long double kl = 0, refNll = 0, quantNll = 0;
    bool top1 = false;
};

Naive naiveCompare(const std::vector<float>& x, const std::vector<float>& y, int target)
{
    long double sx = 0, sy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        sx += expl((long double)x[i]);
        sy += expl((long double)y[i]);
    }
    Naive n;
    for (size_t i = 0; i < x.size(); ++i) {
        const long double p = expl((long double)x[i]) / sx, q = expl((long double)y[i]) / sy;
        n.kl += p * logl(p / q);
    }
    n.refNll = -logl(expl((long double)x[size_t(target)]) / sx);
    n.quantNll = -logl(expl((long double)y[size_t(target)]) / sy);
    const auto ax = std::max_element(x.begin(), x.end()) - x.begin();
    const auto ay = std::max_element(y.begin(), y.end()) - y.begin();
    n.top1 = ax == ay;
    return n;
}

// ||a - b|| / ||b|| over all logits. (The largest single error is a poor measure on a
// random-weight model: where two experts score almost alike, a tiny weight change flips
// the routing of one token and its logits jump.)
double relativeRms(std::span<const float> a, std::span<const float> b)
{
    double diff = 0, norm = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff += (double(a[i]) - double(b[i])) * (double(a[i]) - double(b[i]));
        norm += double(b[i]) * double(b[i]);
    }
    return std::sqrt(diff / norm);
}

std::vector<float> logitsOf(const std::string& path, std::optional<QuantizeOptions> quant)
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

// An F32 copy of an F32 GGUF whose matrices hold dequantize(quantizeRow(w)): the
// numbers a quantized model computes with, run through the F32 kernels.
void writeDequantizedCopy(const std::string& in, const std::string& out, DType asked, bool embeddings)
{
    const GgufFile f(in);
    GgufWriter w;
    for (const auto& [key, value] : f.metadata())
        w.setValue(key, value);
    for (const TensorEntry& e : f.tensorEntries()) {
        const WeightView v = f.weight(e.name);
        std::vector<float> values(size_t(e.shape.elements()));
        std::memcpy(values.data(), v.data, values.size() * 4);
        const auto type = expectQuantized(e.name, e.shape.rank, embeddings) ? expectType(asked, e.shape.cols())
                                                                            : std::nullopt;
        if (type) {
            const int64_t cols = e.shape.cols();
            std::vector<uint8_t> block(*rowBytes(*type, uint64_t(cols)));
            for (int64_t r = 0; r < e.shape.rows(); ++r) {
                quantizeRow(*type, values.data() + r * cols, block.data(), size_t(cols));
                dequantizeRow(*type, block.data(), values.data() + r * cols, size_t(cols));
            }
        }
        w.addTensor(e.name, DType::F32, e.shape, values.data(), values.size() * 4);
    }
    w.write(out);
}

std::vector<int32_t> evalTokens(const Engine& engine)
{
    std::vector<int32_t> tokens = engine.tokenizer().encode(builtinEvalText(), true, false);
    tokens.resize(std::min<size_t>(tokens.size(), size_t(engine.contextLength())));
    return tokens;
}

std::unique_ptr<Engine> loadForEval(const std::string& path, std::optional<QuantizeOptions> quant)
{
    EngineOptions eo;
    eo.threads = 2;
    eo.telemetry = false;
    eo.quantize = quant;
    return Engine::load(path, eo);
}

QString typeName(DType t) { return QString::fromLatin1(dtypeName(t)); }

} // namespace

class TestQuantize : public QObject {
    Q_OBJECT

    test::TempDir m_dir;
    MadeModel m_tiny;  // qwen3moe, hidden 64: K-quant rows fall back
    MadeModel m_small; // qwen3moe, hidden 256: every quantized matrix takes K-quant blocks

private slots:
    void initTestCase()
    {
        m_tiny = test::makeTinyModel("qwen3moe", m_dir.file("tiny"), MakeFormat::Both, 5, DType::F32);
        MakeModelOptions mo;
        mo.architecture = "qwen3moe";
        mo.preset = "small";
        mo.seed = 2;
        mo.format = MakeFormat::Gguf;
        mo.dtype = DType::F32;
        mo.outDir = m_dir.file("small");
        m_small = makeModel(mo);
    }

    // --- the maths of eval-quant --------------------------------------------------

    void compareNextTokenMatchesNaive()
    {
        std::mt19937 rng(7);
        std::normal_distribution<float> normal(0.f, 3.f);
        for (int round = 0; round < 50; ++round) {
            const size_t n = 5 + size_t(round) * 7;
            std::vector<float> x(n), y(n);
            for (size_t i = 0; i < n; ++i) {
                x[i] = normal(rng);
                y[i] = x[i] + (round % 5 == 0 ? 0.f : 0.3f * normal(rng));
            }
            const int target = int(size_t(round) * 13 % n);
            const NextTokenComparison c = compareNextToken(x, y, target);
            const Naive want = naiveCompare(x, y, target);
            QVERIFY2(std::fabs(c.kl - double(want.kl)) <= 1e-12 + 1e-9 * double(want.kl),
                     qPrintable(QString("round %1: %2 vs %3").arg(round).arg(c.kl).arg(double(want.kl))));
            QVERIFY(std::fabs(c.referenceNll - double(want.refNll)) < 1e-9);
            QVERIFY(std::fabs(c.quantizedNll - double(want.quantNll)) < 1e-9);
            QCOMPARE(c.top1Agrees, want.top1);
            QVERIFY(c.kl >= 0);
        }
        // Identical logits: exactly zero. Large logits (exp overflows in float) are handled
        // by the max subtraction: shifting both sides changes nothing.
        std::vector<float> a = {1.f, 2.f, 3.f, -4.f}, b = {1.5f, 2.f, 2.5f, -4.f};
        QCOMPARE(compareNextToken(a, a, 2).kl, 0.0);
        std::vector<float> a1 = a, b1 = b;
        for (float& v : a1)
            v += 1000.f;
        for (float& v : b1)
            v += 1000.f;
        QVERIFY(std::fabs(compareNextToken(a1, b1, 1).kl - compareNextToken(a, b, 1).kl) < 1e-12);
        QVERIFY(std::isfinite(compareNextToken(a1, b1, 1).referenceNll));
        // Hand-computed: p = softmax(0, ln 3) = (1/4, 3/4), q = uniform: KL = 1/4 ln(1/2) + 3/4 ln(3/2).
        const std::vector<float> p = {0.f, float(std::log(3.0))}, q = {0.f, 0.f};
        QVERIFY(std::fabs(compareNextToken(p, q, 0).kl - (0.25 * std::log(0.5) + 0.75 * std::log(1.5))) < 1e-7);
        QVERIFY_THROWS_EXCEPTION(Error, compareNextToken(a, std::vector<float>{1.f}, 0));
    }

    void accumulatorMatchesNaive()
    {
        std::mt19937 rng(11);
        std::normal_distribution<float> normal(0.f, 2.f);
        QuantEvalAccumulator acc;
        std::vector<long double> kls;
        long double refNll = 0, quantNll = 0;
        int top1 = 0;
        const int positions = 237, vocab = 40;
        for (int i = 0; i < positions; ++i) {
            std::vector<float> x(vocab), y(vocab);
            for (int j = 0; j < vocab; ++j) {
                x[size_t(j)] = normal(rng);
                y[size_t(j)] = x[size_t(j)] + 0.5f * normal(rng);
            }
            const int target = (i * 7) % vocab;
            acc.addPosition(x, y, target);
            const Naive n = naiveCompare(x, y, target);
            kls.push_back(n.kl);
            refNll += n.refNll;
            quantNll += n.quantNll;
            top1 += n.top1 ? 1 : 0;
        }
        std::sort(kls.begin(), kls.end());
        long double mean = 0;
        for (long double k : kls)
            mean += k;
        mean /= positions;
        // numpy.percentile(..., 99) with linear interpolation: rank 0.99 * (n - 1).
        const long double rank = 0.99L * (positions - 1);
        const size_t lo = size_t(rank);
        const long double p99 = kls[lo] + (kls[lo + 1] - kls[lo]) * (rank - lo);
        const QuantEvalFigures f = acc.figures();
        QCOMPARE(f.positions, int64_t(positions));
        QVERIFY(std::fabs(f.meanKl - double(mean)) < 1e-10);
        QVERIFY(std::fabs(f.p99Kl - double(p99)) < 1e-10);
        QVERIFY(std::fabs(f.maxKl - double(kls.back())) < 1e-10);
        QVERIFY(std::fabs(f.medianKl - double((kls[118]))) < 1e-10); // n odd: the middle one
        QCOMPARE(f.top1Agreement, double(top1) / positions);
        QVERIFY(std::fabs(f.referencePerplexity - double(expl(refNll / positions))) < 1e-6 * f.referencePerplexity);
        QVERIFY(std::fabs(f.quantizedPerplexity - double(expl(quantNll / positions))) < 1e-6 * f.quantizedPerplexity);

        // Routing: sets compare regardless of order within a token.
        QuantEvalAccumulator r;
        const int32_t ref0[] = {0, 1, 2, 3, 5, 6};  // 3 tokens, top-2
        const int32_t got0[] = {1, 0, 2, 4, 6, 5};  // same, differs, same (reordered)
        const int32_t ref1[] = {7, 1};
        const int32_t got1[] = {7, 1};
        r.addRouting(3, ref0, got0, 3, 2);
        r.addRouting(1, ref1, got1, 1, 2);
        r.addRouting(3, ref1, got1, 1, 2);
        const QuantEvalFigures rf = r.figures();
        QCOMPARE(rf.routingPairs, int64_t(5));
        QCOMPARE(rf.routingAgreement, 4.0 / 5.0);
        QCOMPARE(rf.routingPerLayer.size(), size_t(2));
        QCOMPARE(rf.routingPerLayer[0].layer, int64_t(1));
        QCOMPARE(rf.routingPerLayer[0].agreement, 1.0);
        QCOMPARE(rf.routingPerLayer[1].layer, int64_t(3));
        QCOMPARE(rf.routingPerLayer[1].pairs, int64_t(4));
        QCOMPARE(rf.routingPerLayer[1].agreement, 0.75);
    }

    // --- types and policy ------------------------------------------------------------

    void typeNames()
    {
        for (const char* name : {"q8_0", "Q4_0", "q4_k", "q6_k", "q5_k", "q8_k"})
            QVERIFY(dtypeFromName(name) == parseQuantizeType(name, "--quant"));
        for (const char* bad : {"int4-g128", "fp8", "q3_x", "f16", "iq2_xxs"}) {
            try {
                parseQuantizeType(bad, "--quant");
                QFAIL(bad);
            } catch (const Error& e) {
                QCOMPARE(e.field(), std::string("--quant"));
                QVERIFY2(e.detail().find("q8_0, q6_k, q5_k") != std::string::npos, e.what());
                QVERIFY(e.detail().find(bad) != std::string::npos);
            }
        }
        QVERIFY(quantizeTypeForRow(DType::Q4_K, 64) == DType::Q5_0);
        QVERIFY(quantizeTypeForRow(DType::Q6_K, 96) == DType::Q8_0);
        QVERIFY(quantizeTypeForRow(DType::Q5_K, 512) == DType::Q5_K);
        QVERIFY(!quantizeTypeForRow(DType::Q4_K, 48));
        QVERIFY(!quantizeTypeForRow(DType::Q8_0, 40));
    }

    // --- quantize at load --------------------------------------------------------------

    void loadQuantizesFromOriginal_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<bool>("embeddings");
        QTest::addColumn<bool>("small");
        for (const char* t : {"q8_0", "q4_0", "q4_k", "q6_k", "q5_k", "q8_k"}) {
            QTest::addRow("%s small", t) << QString(t) << false << true;
            QTest::addRow("%s tiny fallback", t) << QString(t) << false << false;
        }
        QTest::addRow("q4_k small embeddings") << QString("q4_k") << true << true;
    }

    // Every matrix in memory equals quantizeRow() of the original row (read through a
    // second GgufFile), bytes and dequantised values; routers and norms are untouched.
    void loadQuantizesFromOriginal()
    {
        QFETCH(QString, type);
        QFETCH(bool, embeddings);
        QFETCH(bool, small);
        const DType asked = *dtypeFromName(type.toStdString());
        const std::string path = small ? m_small.ggufPath : m_tiny.ggufPath;
        LoadedWeights loaded(path, QuantizeOptions{asked, embeddings});
        const GgufFile original(path);
        int64_t quantizedMatrices = 0;
        for (const auto& [name, t] : namedMatrices(loaded.weights, loaded.spec)) {
            const WeightView src = originalView(original, name);
            QCOMPARE(src.dtype, DType::F32);
            const std::string base = name.substr(0, name.find('#'));
            const auto want = expectQuantized(base, original.weight(base).shape.rank, embeddings)
                                  ? expectType(asked, src.shape.cols())
                                  : std::nullopt;
            if (!want) {
                QVERIFY2(t.dtype == DType::F32, name.c_str());
                QVERIFY(sameBits(dequantized(t.dtype, t.data, t.rows(), t.cols()),
                                 dequantized(src.dtype, src.data, src.shape.rows(), src.shape.cols())));
                continue;
            }
            QVERIFY2(t.dtype == *want, qPrintable(QString::fromStdString(name) + " is " + typeName(t.dtype)));
            if (small)
                QCOMPARE(t.dtype, asked); // hidden 256, FFN 512: whole K-quant blocks
            QVERIFY(t.owned);
            const int64_t rows = src.shape.rows(), cols = src.shape.cols();
            const uint64_t rowSize = *rowBytes(*want, uint64_t(cols));
            std::vector<uint8_t> expected(size_t(rowSize * uint64_t(rows)));
            for (int64_t r = 0; r < rows; ++r)
                quantizeRow(*want, reinterpret_cast<const float*>(src.row(r)), expected.data() + uint64_t(r) * rowSize,
                            size_t(cols));
            QCOMPARE(t.bytes, uint64_t(expected.size()));
            QVERIFY2(std::memcmp(t.data, expected.data(), expected.size()) == 0, name.c_str());
            QVERIFY(sameBits(dequantized(*want, t.data, rows, cols), dequantized(*want, expected.data(), rows, cols)));
            ++quantizedMatrices;
        }
        QVERIFY(quantizedMatrices > 0);
        // Norms stay F32 values of the file.
        QCOMPARE(loaded.weights.outputNorm.dtype, DType::F32);
        QCOMPARE(loaded.summary.tensorsAlreadyQuantized, int64_t(0));
        QVERIFY(loaded.summary.bytesAfter < loaded.summary.bytesBefore);
        if (!small && (asked == DType::Q4_K || asked == DType::Q6_K))
            QVERIFY(loaded.summary.tensorsFallback > 0 && loaded.summary.tensorsQuantized == 0);
    }

    void quantizedKernelsMatchDequantizedF32_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<double>("bound");
        // Q8_0 / Q4_0 weights multiply activations quantised to 8 bits per 32 (ggml's
        // scheme, compute/gemm_quant.cpp): that rounding shows (measured ~0.9 %). The
        // other types are dequantised into F32 tiles today and match to rounding; a type
        // that gains an integer-dot kernel moves to the first bound.
        // Q4_K / Q5_K / Q6_K decode GEMV uses fused dots on Q8_K activations (8 bits per
        // 256, compute/gemm_kquant.cpp), so they take the first bound too.
        for (const char* t : {"q8_0", "q4_0", "q4_k", "q5_k", "q6_k"})
            QTest::newRow(t) << QString(t) << 0.02;
        QTest::newRow("q8_k") << "q8_k" << 1e-4;
    }

    // The quantized model computes what an F32 model holding the dequantised weights
    // computes: quantization noise aside, nothing else changes.
    void quantizedKernelsMatchDequantizedF32()
    {
        QFETCH(QString, type);
        QFETCH(double, bound);
        const DType t = *dtypeFromName(type.toStdString());
        test::TempDir dir;
        writeDequantizedCopy(m_small.ggufPath, dir.file("dq.gguf"), t, false);
        const std::vector<float> q = logitsOf(m_small.ggufPath, QuantizeOptions{t, false});
        const std::vector<float> dq = logitsOf(dir.file("dq.gguf"), std::nullopt);
        const double rel = relativeRms(q, dq);
        qInfo("%s: ||logits - dequantised F32 logits|| / ||.|| = %.2e", dtypeName(t), rel);
        QVERIFY2(rel <= bound, qPrintable(QString::number(rel)));
    }

    void logitsStayClose_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<double>("bound");
        // ||logits - F32 logits|| / ||F32 logits|| over 16 prompt positions of the small
        // model (hidden 256, 4 layers, random weights), measured at 0.017 (q8_0), 0.029
        // (q8_k), 0.066 (q6_k), 0.18 (q5_k), 0.24 (q4_k), 0.29 (q4_0); the bounds leave
        // ~1.6x room. Random routers are touchy (a weight change flips some tokens'
        // experts), so these are loose next to the weight error itself.
        QTest::newRow("q8_0") << "q8_0" << 0.03;
        QTest::newRow("q8_k") << "q8_k" << 0.05;
        QTest::newRow("q6_k") << "q6_k" << 0.11;
        QTest::newRow("q5_k") << "q5_k" << 0.30;
        QTest::newRow("q4_k") << "q4_k" << 0.40;
        QTest::newRow("q4_0") << "q4_0" << 0.45;
    }

    void logitsStayClose()
    {
        QFETCH(QString, type);
        QFETCH(double, bound);
        const DType t = *dtypeFromName(type.toStdString());
        const std::vector<float> f32 = logitsOf(m_small.ggufPath, std::nullopt);
        const std::vector<float> q = logitsOf(m_small.ggufPath, QuantizeOptions{t, false});
        const double rel = relativeRms(q, f32);
        qInfo("%s: ||logits - F32 logits|| / ||F32 logits|| = %.5f (bound %.3f)", dtypeName(t), rel, bound);
        QVERIFY2(rel > 0, "quantizing changed nothing");
        QVERIFY2(rel < bound, qPrintable(QString::number(rel)));
    }

    // ModelInfo says what happened; the memory plan uses the quantized bytes.
    void infoReportsQuantization()
    {
        EngineOptions eo;
        eo.threads = 2;
        eo.quantize = QuantizeOptions{DType::Q4_K, false};
        std::vector<uint64_t> progress;
        eo.onProgress = [&](const LoadProgress& p) { progress.push_back(p.bytesDone); };
        auto engine = Engine::load(m_small.ggufPath, eo);
        const ModelInfo& info = engine->info();
        QVERIFY(info.quantizedAtLoad.has_value());
        QCOMPARE(info.quantizedAtLoad->type, DType::Q4_K);
        QVERIFY(info.quantizedAtLoad->tensorsQuantized > 0);
        QVERIFY(info.quantizedAtLoad->tensorsKept > 0);
        QCOMPARE(dominantTensorType(info), std::string("Q4_K"));
        QCOMPARE(dominantFileTensorType(info), std::string("F32"));
        QCOMPARE(info.weightBytes, info.quantizedAtLoad->bytesAfter);
        const ModelInfo plain = inspectModel(m_small.ggufPath);
        QVERIFY(info.activeWeightBytesPerToken < plain.activeWeightBytesPerToken / 3);
        QVERIFY(!plain.quantizedAtLoad);
        for (const auto& t : info.tensors)
            if (t.name == "blk.0.ffn_gate_inp.weight" || t.name == "token_embd.weight")
                QVERIFY(t.loadedType.empty());
            else if (t.name == "blk.0.ffn_down_exps.weight")
                QCOMPARE(t.loadedType, std::string("Q4_K"));
        QVERIFY(!progress.empty());
        QCOMPARE(progress.back(), plain.weightBytes); // every source byte read once
        QVERIFY(std::is_sorted(progress.begin(), progress.end()));
    }

    // Safetensors input: the per-expert HF tensors are quantized like the stacked GGUF
    // ones (same rows, same bytes in total, same logits up to the readers' float order).
    void hfLoadQuantizesLikeGguf()
    {
        const QuantizeOptions q{DType::Q8_0, true};
        const std::vector<float> fromGguf = logitsOf(m_tiny.ggufPath, q), fromHf = logitsOf(m_tiny.hfDir, q);
        QVERIFY2(relativeRms(fromHf, fromGguf) < 1e-5, qPrintable(QString::number(relativeRms(fromHf, fromGguf))));
        QVERIFY(relativeRms(fromHf, logitsOf(m_tiny.hfDir, std::nullopt)) > 1e-4); // it did quantize
        EngineOptions eo;
        eo.quantize = q;
        const QuantizeSummary g = *Engine::load(m_tiny.ggufPath, eo)->info().quantizedAtLoad;
        const QuantizeSummary h = *Engine::load(m_tiny.hfDir, eo)->info().quantizedAtLoad;
        QCOMPARE(h.bytesAfter, g.bytesAfter);
        QCOMPARE(h.bytesBefore, g.bytesBefore);
    }

    void cancelDuringQuantize()
    {
        std::atomic<bool> cancel{false};
        EngineOptions eo;
        eo.threads = 2;
        eo.quantize = QuantizeOptions{DType::Q8_0, false};
        eo.cancel = &cancel;
        eo.onProgress = [&](const LoadProgress&) { cancel = true; };
        try {
            Engine::load(m_small.ggufPath, eo);
            QFAIL("no cancellation");
        } catch (const Error& e) {
            QCOMPARE(e.code(), ErrorCode::Cancelled);
        }
    }

    // A GGUF already in Q8_0 keeps its tensors: quantizing them again would only add error.
    void alreadyQuantizedIsKept()
    {
        test::TempDir dir;
        const MadeModel q8 = test::makeTinyModel("qwen3moe", dir.path(), MakeFormat::Gguf, 5, DType::Q8_0);
        const std::vector<float> plain = logitsOf(q8.ggufPath, std::nullopt);
        EngineOptions eo;
        eo.quantize = QuantizeOptions{DType::Q4_0, true};
        auto engine = Engine::load(q8.ggufPath, eo);
        const QuantizeSummary& s = *engine->info().quantizedAtLoad;
        QCOMPARE(s.tensorsQuantized, int64_t(0));
        QVERIFY(s.tensorsAlreadyQuantized > 0);
        QCOMPARE(s.bytesAfter, s.bytesBefore);
        QVERIFY(logitsOf(q8.ggufPath, QuantizeOptions{DType::Q4_0, true}) == plain);
    }

    // --- quantize to a file -----------------------------------------------------------------

    void fileMatchesLoadQuantization_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<bool>("embeddings");
        for (const char* t : {"q8_0", "q4_0", "q4_k", "q6_k"})
            QTest::addRow("%s", t) << QString(t) << false;
        QTest::newRow("q4_k embeddings") << "q4_k" << true;
    }

    // quantize -> write -> load gives the in-memory quantization bit for bit, and the
    // same logits; the metadata and tokenizer are carried over.
    void fileMatchesLoadQuantization()
    {
        QFETCH(QString, type);
        QFETCH(bool, embeddings);
        const DType t = *dtypeFromName(type.toStdString());
        test::TempDir dir;
        QuantizeFileOptions o;
        o.input = m_small.ggufPath;
        o.output = dir.file("out.gguf");
        o.quant = {t, embeddings};
        o.threads = 2;
        std::vector<QuantizeProgress> progress;
        o.onProgress = [&](const QuantizeProgress& p) { progress.push_back(p); };
        const QuantizeFileResult r = quantizeModelFile(o);
        QVERIFY(r.summary.tensorsQuantized > 0);
        QCOMPARE(r.fileBytes, uint64_t(std::filesystem::file_size(o.output)));
        QVERIFY(!progress.empty());
        QCOMPARE(progress.back().bytesDone, progress.back().bytesTotal);
        QCOMPARE(progress.back().tensorsDone, progress.back().tensorsTotal);

        LoadedWeights fromFile(o.output, std::nullopt);
        LoadedWeights atLoad(m_small.ggufPath, QuantizeOptions{t, embeddings});
        const auto a = namedMatrices(fromFile.weights, fromFile.spec), b = namedMatrices(atLoad.weights, atLoad.spec);
        QCOMPARE(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].first, b[i].first);
            QVERIFY2(a[i].second.dtype == b[i].second.dtype, a[i].first.c_str());
            QCOMPARE(a[i].second.bytes, b[i].second.bytes);
            QVERIFY2(std::memcmp(a[i].second.data, b[i].second.data, a[i].second.bytes) == 0, a[i].first.c_str());
        }
        QVERIFY(logitsOf(o.output, std::nullopt) == logitsOf(m_small.ggufPath, QuantizeOptions{t, embeddings}));

        const GgufFile in(m_small.ggufPath), out(o.output);
        QCOMPARE(out.getInt("general.file_type"), int64_t(llamaFileTypeFor(t)));
        QCOMPARE(out.getInt("general.quantization_version"), int64_t(2));
        QCOMPARE(out.getString("general.moe_workbench.quantize_type"), std::string(dtypeName(t)));
        for (const auto& [key, value] : in.metadata()) {
            if (key == "general.file_type")
                continue;
            const GgufValue* v = out.find(key);
            QVERIFY2(v, key.c_str());
            QCOMPARE(v->type, value.type);
            QVERIFY2(v->i == value.i && v->f == value.f && v->str == value.str && v->strings == value.strings &&
                         v->ints == value.ints && v->floats == value.floats,
                     key.c_str());
        }
        QCOMPARE(out.tensorEntries().size(), in.tensorEntries().size());
        QVERIFY(out.findBool("general.moe_workbench.random_weights").value_or(false));
    }

    // The writer's streamed tensors: pieces are joined in order, a wrong byte count is an
    // error that leaves no file.
    void streamedTensorsAreChecked()
    {
        test::TempDir dir;
        std::vector<float> values(128); // room for the producer that writes too much
        for (size_t i = 0; i < values.size(); ++i)
            values[i] = float(i) * 0.5f;
        GgufWriter good;
        good.setString("general.architecture", "test");
        good.addTensor("t", DType::F32, Shape{2, 32}, [&](const GgufWriter::TensorSink& sink) {
            sink(values.data(), 40 * 4);
            sink(values.data() + 40, 24 * 4);
        });
        good.write(dir.file("good.gguf"));
        const GgufFile f(dir.file("good.gguf"));
        QVERIFY(std::memcmp(f.weight("t").data, values.data(), 64 * 4) == 0);

        for (size_t floats : {size_t(32), size_t(65)}) {
            GgufWriter bad;
            bad.addTensor("t", DType::F32, Shape{2, 32},
                          [&](const GgufWriter::TensorSink& sink) { sink(values.data(), floats * 4); });
            QVERIFY_THROWS_EXCEPTION(Error, bad.write(dir.file("bad.gguf")));
            QVERIFY(!std::filesystem::exists(dir.file("bad.gguf")));
        }
        QCOMPARE(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1L);
    }

    void hfInputMatchesGgufInput_data()
    {
        QTest::addColumn<QString>("arch");
        for (const char* a : {"mixtral", "qwen2moe", "olmoe"})
            QTest::newRow(a) << QString(a);
    }

    // Hugging Face input is renamed, stacked and (mixtral) Q/K-permuted as the GGUF writer
    // of make-model does: its quantized tensors equal those from the GGUF copy byte for byte.
    void hfInputMatchesGgufInput()
    {
        QFETCH(QString, arch);
        test::TempDir dir;
        const MadeModel made = test::makeTinyModel(arch.toStdString(), dir.file("m"), MakeFormat::Both, 9, DType::F32);
        for (const auto& [in, out] : {std::pair{made.ggufPath, dir.file("from_gguf.gguf")},
                                      std::pair{made.hfDir, dir.file("from_hf.gguf")}}) {
            QuantizeFileOptions o;
            o.input = in;
            o.output = out;
            o.quant = {DType::Q8_0, true};
            quantizeModelFile(o);
        }
        const GgufFile g(dir.file("from_gguf.gguf")), h(dir.file("from_hf.gguf"));
        QCOMPARE(h.tensorEntries().size(), g.tensorEntries().size());
        for (const TensorEntry& e : g.tensorEntries()) {
            QVERIFY2(h.has(e.name), e.name.c_str());
            QCOMPARE(h.ggmlType(e.name), g.ggmlType(e.name));
            QVERIFY(h.weight(e.name).shape == e.shape);
            const auto a = g.tensorData(e.name), b = h.tensorData(e.name);
            QVERIFY2(a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0, e.name.c_str());
        }
        QCOMPARE(Tokenizer::fromGguf(h).vocab().tokens, Tokenizer::fromGguf(g).vocab().tokens);
        QCOMPARE(specFromGguf(h).numExperts, specFromGguf(g).numExperts);
        QVERIFY(logitsOf(dir.file("from_hf.gguf"), std::nullopt) == logitsOf(dir.file("from_gguf.gguf"), std::nullopt));
    }

    void fileErrors()
    {
        test::TempDir dir;
        auto expectError = [](const QuantizeFileOptions& o, ErrorCode code, const std::string& mention) {
            try {
                quantizeModelFile(o);
                QFAIL("no error");
            } catch (const Error& e) {
                QCOMPARE(e.code(), code);
                QVERIFY2(std::string(e.what()).find(mention) != std::string::npos, e.what());
            }
        };
        QuantizeFileOptions o;
        o.input = dir.file("missing.gguf");
        o.output = dir.file("out.gguf");
        expectError(o, ErrorCode::Io, "missing.gguf");
        o.input = m_tiny.ggufPath;
        o.output = m_tiny.ggufPath;
        expectError(o, ErrorCode::InvalidArgument, "input");
        o.output = dir.file("no/such/folder/out.gguf");
        expectError(o, ErrorCode::Io, "no/such/folder");
        o.output = dir.path();
        expectError(o, ErrorCode::InvalidArgument, "folder");
        o.output = dir.file("out.gguf");
        o.quant.type = DType::IQ4_XS;
        expectError(o, ErrorCode::InvalidArgument, "q8_0");

        // Cancelled half way: nothing at OUT, no temporary left behind.
        std::atomic<bool> cancel{false};
        o.quant.type = DType::Q8_0;
        o.input = m_small.ggufPath;
        o.cancel = &cancel;
        o.onProgress = [&](const QuantizeProgress& p) { cancel = p.tensorsDone > 3; };
        expectError(o, ErrorCode::Cancelled, "cancelled");
        QVERIFY(std::filesystem::is_empty(dir.path()));
    }

    // --- eval-quant on the tiny model ------------------------------------------------------

    void evalQuantOnTiny()
    {
        auto reference = loadForEval(m_tiny.ggufPath, std::nullopt);
        const std::vector<int32_t> tokens = evalTokens(*reference);
        QVERIFY(tokens.size() >= 300);

        auto same = loadForEval(m_tiny.ggufPath, std::nullopt);
        const QuantEvalFigures self = evaluateQuantization(*reference, *same, tokens);
        QCOMPARE(self.meanKl, 0.0);
        QCOMPARE(self.maxKl, 0.0);
        QCOMPARE(self.top1Agreement, 1.0);
        QCOMPARE(self.routingAgreement, 1.0);
        QCOMPARE(self.referencePerplexity, self.quantizedPerplexity);
        QCOMPARE(self.positions, int64_t(tokens.size() - 1));
        QCOMPARE(self.routingPairs, int64_t(tokens.size()) * reference->spec().numMoeLayers());

        auto q8 = loadForEval(m_tiny.ggufPath, QuantizeOptions{DType::Q8_0, false});
        const QuantEvalFigures f = evaluateQuantization(*reference, *q8, tokens);
        qInfo("q8_0: KL mean %.6f p99 %.6f, top-1 %.4f, routing %.4f, ppl %.2f -> %.2f", f.meanKl, f.p99Kl,
              f.top1Agreement, f.routingAgreement, f.referencePerplexity, f.quantizedPerplexity);
        QVERIFY(f.meanKl > 0);
        QVERIFY2(f.top1Agreement >= 0.97, qPrintable(QString::number(f.top1Agreement)));
        QVERIFY2(f.routingAgreement >= 0.95, qPrintable(QString::number(f.routingAgreement)));

        for (DType t : {DType::Q6_K, DType::Q5_K, DType::Q4_K, DType::Q4_0}) {
            auto q = loadForEval(m_tiny.ggufPath, QuantizeOptions{t, false});
            const QuantEvalFigures g = evaluateQuantization(*reference, *q, tokens);
            qInfo("%s: KL mean %.6f p99 %.6f, top-1 %.4f, routing %.4f, ppl %.2f -> %.2f", dtypeName(t), g.meanKl,
                  g.p99Kl, g.top1Agreement, g.routingAgreement, g.referencePerplexity, g.quantizedPerplexity);
            QVERIFY(g.meanKl > 0);
        }
    }

    void evalQuantRefusesMismatchedModels()
    {
        auto a = loadForEval(m_tiny.ggufPath, std::nullopt);
        auto b = loadForEval(m_small.ggufPath, std::nullopt);
        const std::vector<int32_t> tokens = {1, 2, 3, 4};
        try {
            evaluateQuantization(*a, *b, tokens);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.field(), std::string("vocab_size"));
        }
        const std::vector<int32_t> one = {1};
        QVERIFY_THROWS_EXCEPTION(Error, evaluateQuantization(*a, *a, one));
    }
};

QTEST_APPLESS_MAIN(TestQuantize)
#include "test_quantize.moc"
