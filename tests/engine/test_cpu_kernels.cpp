// CPU backend ops against naive references written here (double accumulation), for
// every weight dtype, odd sizes, the scalar and AVX2 paths, and 1 vs 2 threads.
//
// Error bounds (|got - ref| per output element, S = sum_i |w_i x_i|, u = 2^-24):
//   F32 / F16 / BF16 weights: 2 k u S — the worst case of a length-k f32 dot product
//     (weights are converted exactly, so only the f32 accumulation rounds).
//   Q8_0 / Q4_0 / IQ4_NL / MXFP4 weights: sum over 32-blocks of sum|w| * amax_b / 254
//     (x is rounded to 8 bits per block, error <= half a step) + 2 k u S + 1e-6 for f32
//     scale products.
//   Q4_K / Q6_K: the same with 256-blocks (activations quantised to Q8_K).
//   Other block types (Q4_1, Q5_*, Q2_K, ...) are dequantised exactly to F32 and multiply
//     F32 activations, so the float bound holds; they get the 8-bit one, which is looser.
// Row lengths are rounded up to each dtype's block size (256 for the K-quants).
// Results must be bit-identical for 1 and 2 threads (same SIMD path).
#include "compute/cpu_backend.h"
#include "compute/cpu_features.h"
#include "moe/backend.h"
#include "moe/error.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

using namespace moe;

namespace {

const DType kAllDtypes[] = {DType::F32,  DType::F16,  DType::BF16,  DType::Q8_0,   DType::Q4_0,
                            DType::Q4_1, DType::Q5_0, DType::Q5_1,  DType::Q2_K,   DType::Q3_K,
                            DType::Q4_K, DType::Q5_K, DType::Q6_K,  DType::Q8_K,   DType::IQ4_NL,
                            DType::IQ4_XS, DType::MXFP4};

// `k` rounded up to a whole number of dtype's blocks.
int64_t fitBlocks(DType dtype, int64_t k)
{
    const int64_t b = dtypeInfo(dtype).blockElements;
    return (k + b - 1) / b * b;
}

struct HostWeight {
    DType dtype;
    int64_t rows = 0, cols = 0;
    std::vector<uint8_t> bytes;  // in dtype layout
    std::vector<float> values;   // exact dequantised values (reference)

    DeviceTensor view() const
    {
        DeviceTensor t;
        t.dtype = dtype;
        t.shape = Shape{rows, cols};
        t.data = const_cast<uint8_t*>(bytes.data());
        t.bytes = bytes.size();
        return t;
    }
};

std::vector<float> randomFloats(std::mt19937& rng, size_t n, float scale = 1.f)
{
    std::uniform_real_distribution<float> dist(-scale, scale);
    std::vector<float> v(n);
    for (float& f : v)
        f = dist(rng);
    return v;
}

HostWeight makeWeight(std::mt19937& rng, DType dtype, int64_t rows, int64_t cols, float scale = 1.f)
{
    HostWeight w{dtype, rows, cols, {}, {}};
    const std::vector<float> src = randomFloats(rng, size_t(rows * cols), scale);
    const uint64_t rb = *rowBytes(dtype, uint64_t(cols));
    w.bytes.resize(rb * uint64_t(rows));
    w.values.resize(size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        quantizeRow(dtype, src.data() + r * cols, w.bytes.data() + rb * uint64_t(r), size_t(cols));
        dequantizeRow(dtype, w.bytes.data() + rb * uint64_t(r), w.values.data() + r * cols, size_t(cols));
    }
    return w;
}

// F32 tensor owned by the test.
struct HostF32 {
    int64_t rows = 0, cols = 0;
    std::vector<float> v;
    HostF32(int64_t r, int64_t c) : rows(r), cols(c), v(size_t(r * c), 0.f) {}
    HostF32(int64_t r, int64_t c, std::vector<float> data) : rows(r), cols(c), v(std::move(data)) {}
    DeviceTensor view()
    {
        DeviceTensor t;
        t.dtype = DType::F32;
        t.shape = Shape{rows, cols};
        t.data = v.data();
        t.bytes = v.size() * 4;
        return t;
    }
};

struct Config {
    CpuSimd simd;
    int threads;
};

std::vector<Config> configs()
{
    std::vector<Config> c;
    for (CpuSimd s : {CpuSimd::Scalar, CpuSimd::Avx2}) {
        if (s == CpuSimd::Avx2 && !cpuSupportsAvx2())
            continue;
        for (int t : {1, 2})
            c.push_back({s, t});
    }
    return c;
}

QString label(const Config& c, DType d)
{
    return QStringLiteral("%1/%2t/%3").arg(cpuSimdName(c.simd)).arg(c.threads).arg(dtypeName(d));
}

// Bound for one dot product of length k (see the header comment).
double dotBound(DType dtype, const float* w, const float* x, int64_t k)
{
    const double u = std::ldexp(1.0, -24);
    double s = 0.0;
    for (int64_t i = 0; i < k; ++i)
        s += std::fabs(double(w[i]) * x[i]);
    double bound = 2.0 * double(k) * u * s + 1e-7;
    if (isQuantized(dtype)) {
        // Q4_K / Q6_K round x to 8 bits per 256 (Q8_K, fused dots); the rest per 32.
        const int64_t bs = (dtype == DType::Q4_K || dtype == DType::Q6_K) ? 256 : 32;
        for (int64_t b = 0; b < k / bs; ++b) {
            double sw = 0.0, amax = 0.0;
            for (int64_t j = 0; j < bs; ++j) {
                sw += std::fabs(w[b * bs + j]);
                amax = std::max(amax, std::fabs(double(x[b * bs + j])));
            }
            bound += sw * amax / 254.0 * 1.0001;
        }
        bound += 1e-6;
    }
    return bound;
}

double silu(double g) { return g / (1.0 + std::exp(-g)); }

} // namespace

class TestCpuKernels : public QObject {
    Q_OBJECT
private slots:
    void cleanup() { setCpuSimdLevel(cpuSupportsAvx2() ? CpuSimd::Avx2 : CpuSimd::Scalar); }

    void matmulAllDtypes();
    void matmulThreadsBitIdentical();
    void matmulPackedEdges();
    void embedAllDtypes();
    void rmsNormWholeRowAndPerHead();
    void ropeLayouts();
    void attentionCausalGqa();

private:
    void attentionCase(std::mt19937& rng, int64_t heads, int64_t kvHeads, int64_t d, int64_t ctx, int64_t start);

private slots:
    void elementwise();
    void routeSoftmaxRenorm();
    void routeSoftmaxNoRenorm();
    void routeSigmoidBiasGroups();
    void routeRandomAgainstSortReference();
    void moeExpertsAgainstNaive();
    void rowsViewAndErrors();
};

void TestCpuKernels::matmulAllDtypes()
{
    struct Size {
        int64_t n, in, out;
        bool bias;
    };
    const Size sizes[] = {{1, 32, 5, false}, {3, 96, 33, true},   {17, 256, 70, false},
                          {64, 4096, 19, true}, {1, 4096, 67, false}, {17, 1024, 130, true}};
    std::mt19937 rng(42);
    for (const Config& c : configs()) {
        setCpuSimdLevel(c.simd);
        auto backend = createCpuBackend({c.threads});
        for (DType dtype : kAllDtypes)
            for (Size s : sizes) {
                s.in = fitBlocks(dtype, s.in);
                const HostWeight w = makeWeight(rng, dtype, s.out, s.in);
                HostF32 x(s.n, s.in, randomFloats(rng, size_t(s.n * s.in)));
                HostF32 bias(1, s.out, randomFloats(rng, size_t(s.out)));
                HostF32 y(s.n, s.out);
                DeviceTensor xv = x.view(), yv = y.view(), bv = bias.view();
                backend->matmul(xv, w.view(), s.bias ? &bv : nullptr, yv);
                for (int64_t t = 0; t < s.n; ++t)
                    for (int64_t o = 0; o < s.out; ++o) {
                        const float* wr = w.values.data() + o * s.in;
                        const float* xr = x.v.data() + t * s.in;
                        double ref = s.bias ? bias.v[size_t(o)] : 0.0;
                        for (int64_t i = 0; i < s.in; ++i)
                            ref += double(wr[i]) * xr[i];
                        const double err = std::fabs(y.v[size_t(t * s.out + o)] - ref);
                        const double bound = dotBound(dtype, wr, xr, s.in);
                        if (!(err <= bound))
                            QFAIL(qPrintable(label(c, dtype) +
                                             QStringLiteral(" n=%1 in=%2 out=%3 [%4,%5]: err %6 > bound %7")
                                                 .arg(s.n).arg(s.in).arg(s.out).arg(t).arg(o).arg(err).arg(bound)));
                    }
            }
    }
}

void TestCpuKernels::matmulThreadsBitIdentical()
{
    std::mt19937 rng(7);
    for (CpuSimd simd : {CpuSimd::Scalar, CpuSimd::Avx2}) {
        setCpuSimdLevel(simd);
        auto one = createCpuBackend({1});
        auto two = createCpuBackend({2});
        for (DType dtype : kAllDtypes)
            for (int64_t n : {1, 5, 40, 128}) {
                // 200 rows: several packed row blocks, a partial panel, and few enough
                // blocks that the planner splits tokens differently for 1 and 2 threads.
                const int64_t out = n == 128 ? 200 : 97, in = fitBlocks(dtype, 320);
                const HostWeight w = makeWeight(rng, dtype, out, in);
                HostF32 x(n, in, randomFloats(rng, size_t(n * in)));
                HostF32 y1(n, out), y2(n, out);
                DeviceTensor xv = x.view(), v1 = y1.view(), v2 = y2.view();
                one->matmul(xv, w.view(), nullptr, v1);
                two->matmul(xv, w.view(), nullptr, v2);
                QVERIFY2(std::memcmp(y1.v.data(), y2.v.data(), y1.v.size() * 4) == 0, dtypeName(dtype));
            }
    }
}

// Shapes at the edges of the packed prefill GEMM (gemm_packed.cpp): every token count
// 1..40 (partial microkernel tiles), outputs that end in a partial panel or block, and
// k that spans two k-blocks with a ragged end (not a multiple of 8 for float weights).
// Counts below the packed threshold check the GEMV tiles on the same shapes.
void TestCpuKernels::matmulPackedEdges()
{
    struct Shape3 {
        int64_t n, in, out;
    };
    std::vector<Shape3> shapes;
    for (int64_t n = 1; n <= 40; ++n)
        shapes.push_back({n, 0, 30});
    for (int64_t n : {7, 33, 40})
        shapes.push_back({n, 0, 221});
    std::mt19937 rng(11);
    for (const Config& c : configs()) {
        setCpuSimdLevel(c.simd);
        auto backend = createCpuBackend({c.threads});
        for (DType dtype : kAllDtypes)
            for (Shape3 s : shapes) {
                // Quantised rows need whole blocks (past one k-block of 256); float ones get a ragged k.
                s.in = isQuantized(dtype) ? fitBlocks(dtype, s.out > 100 ? 544 : 288) : (s.out > 100 ? 517 : 263);
                const HostWeight w = makeWeight(rng, dtype, s.out, s.in);
                HostF32 x(s.n, s.in, randomFloats(rng, size_t(s.n * s.in)));
                HostF32 bias(1, s.out, randomFloats(rng, size_t(s.out)));
                HostF32 y(s.n, s.out);
                DeviceTensor xv = x.view(), yv = y.view(), bv = bias.view();
                backend->matmul(xv, w.view(), &bv, yv);
                for (int64_t t = 0; t < s.n; ++t)
                    for (int64_t o = 0; o < s.out; ++o) {
                        const float* wr = w.values.data() + o * s.in;
                        const float* xr = x.v.data() + t * s.in;
                        double ref = bias.v[size_t(o)];
                        for (int64_t i = 0; i < s.in; ++i)
                            ref += double(wr[i]) * xr[i];
                        const double err = std::fabs(y.v[size_t(t * s.out + o)] - ref);
                        const double bound = dotBound(dtype, wr, xr, s.in) + 2.0 * std::ldexp(1.0, -24) * std::fabs(ref);
                        if (!(err <= bound))
                            QFAIL(qPrintable(label(c, dtype) +
                                             QStringLiteral(" n=%1 in=%2 out=%3 [%4,%5]: err %6 > bound %7")
                                                 .arg(s.n).arg(s.in).arg(s.out).arg(t).arg(o).arg(err).arg(bound)));
                    }
            }
    }
}

void TestCpuKernels::embedAllDtypes()
{
    std::mt19937 rng(3);
    for (const Config& c : configs()) {
        setCpuSimdLevel(c.simd);
        auto backend = createCpuBackend({c.threads});
        for (DType dtype : kAllDtypes) {
            const int64_t cols = fitBlocks(dtype, 64);
            const HostWeight table = makeWeight(rng, dtype, 11, cols);
            const int32_t tokens[] = {3, 0, 10, 3};
            HostF32 out(4, cols);
            DeviceTensor ov = out.view();
            backend->embed(table.view(), tokens, 4, ov);
            for (int i = 0; i < 4; ++i)
                for (int64_t j = 0; j < cols; ++j)
                    QCOMPARE(out.v[size_t(i * cols + j)], table.values[size_t(tokens[i] * cols + j)]);
        }
    }
}

void TestCpuKernels::rmsNormWholeRowAndPerHead()
{
    std::mt19937 rng(5);
    const int64_t n = 3, cols = 96;
    for (const Config& c : configs()) {
        setCpuSimdLevel(c.simd);
        auto backend = createCpuBackend({c.threads});
        for (int64_t group : {cols, int64_t(32)})
            for (DType wtype : {DType::F32, DType::BF16}) {
                HostF32 x(n, cols, randomFloats(rng, size_t(n * cols), 3.f));
                const HostWeight w = makeWeight(rng, wtype, 1, group);
                HostF32 out = x; // in place
                DeviceTensor xv = out.view();
                backend->rmsNorm(xv, w.view(), 1e-5f, group, xv);
                for (int64_t t = 0; t < n; ++t)
                    for (int64_t g = 0; g < cols / group; ++g) {
                        double ss = 0;
                        for (int64_t i = 0; i < group; ++i)
                            ss += std::pow(double(x.v[size_t(t * cols + g * group + i)]), 2);
                        const double inv = 1.0 / std::sqrt(ss / double(group) + 1e-5);
                        for (int64_t i = 0; i < group; ++i) {
                            const size_t at = size_t(t * cols + g * group + i);
                            const double ref = x.v[at] * inv * w.values[size_t(i)];
                            QVERIFY(std::fabs(out.v[at] - ref) <= 1e-5 * std::max(1.0, std::fabs(ref)));
                        }
                    }
            }
    }
}

void TestCpuKernels::ropeLayouts()
{
    std::mt19937 rng(9);
    const int64_t n = 3, heads = 2, headDim = 16, start = 1000;
    for (const Config& c : configs()) {
        setCpuSimdLevel(c.simd);
        auto backend = createCpuBackend({c.threads});
        for (RopeLayout layout : {RopeLayout::NeoX, RopeLayout::Interleaved})
            for (int64_t rot : {headDim, int64_t(8)}) {
                HostF32 x(n, heads * headDim, randomFloats(rng, size_t(n * heads * headDim)));
                HostF32 got = x;
                DeviceTensor gv = got.view();
                backend->rope(gv, start, heads, headDim, rot, 10000.f, layout);
                for (int64_t t = 0; t < n; ++t)
                    for (int64_t h = 0; h < heads; ++h) {
                        const float* src = x.v.data() + t * heads * headDim + h * headDim;
                        const float* dst = got.v.data() + t * heads * headDim + h * headDim;
                        std::vector<double> ref(src, src + headDim);
                        for (int64_t i = 0; i < rot / 2; ++i) {
                            const double ang = double(start + t) / std::pow(10000.0, 2.0 * double(i) / double(rot));
                            const int64_t a = layout == RopeLayout::NeoX ? i : 2 * i;
                            const int64_t b = layout == RopeLayout::NeoX ? i + rot / 2 : 2 * i + 1;
                            ref[size_t(a)] = src[a] * std::cos(ang) - src[b] * std::sin(ang);
                            ref[size_t(b)] = src[a] * std::sin(ang) + src[b] * std::cos(ang);
                        }
                        for (int64_t i = 0; i < headDim; ++i)
                            QVERIFY(std::fabs(dst[i] - ref[size_t(i)]) <= 2e-6);
                        for (int64_t i = rot; i < headDim; ++i) // partial rotary leaves the tail
                            QCOMPARE(dst[i], src[i]);
                    }
            }
    }
}

void TestCpuKernels::attentionCausalGqa()
{
    std::mt19937 rng(11);
    // Short: one block of keys. Long: several blocks (the running max rescales), and 12
    // query heads on one KV head, more than one group of heads per work item.
    struct Shape {
        int64_t heads, kvHeads, d, ctx, start;
    };
    for (const Shape& shape : {Shape{4, 2, 40, 64, 20}, Shape{12, 1, 40, 420, 300}, Shape{8, 2, 64, 300, 200}})
        attentionCase(rng, shape.heads, shape.kvHeads, shape.d, shape.ctx, shape.start);
}

void TestCpuKernels::attentionCase(std::mt19937& rng, int64_t heads, int64_t kvHeads, int64_t d, int64_t ctx,
                                   int64_t start)
{
    for (const Config& c : configs()) {
        setCpuSimdLevel(c.simd);
        auto backend = createCpuBackend({c.threads});
        for (int64_t n : {1, 3, 17}) {
            HostF32 q(n, heads * d, randomFloats(rng, size_t(n * heads * d), 2.f));
            HostF32 kc(ctx, kvHeads * d, randomFloats(rng, size_t(ctx * kvHeads * d), 2.f));
            HostF32 vc(ctx, kvHeads * d, randomFloats(rng, size_t(ctx * kvHeads * d)));
            HostF32 knew(n, kvHeads * d, randomFloats(rng, size_t(n * kvHeads * d), 2.f));
            HostF32 vnew(n, kvHeads * d, randomFloats(rng, size_t(n * kvHeads * d)));
            DeviceTensor kcv = kc.view(), vcv = vc.view();
            backend->storeKv(knew.view(), vnew.view(), kcv, vcv, start);
            QCOMPARE(kc.v[size_t(start * kvHeads * d + 5)], knew.v[5]);
            HostF32 out(n, heads * d);
            DeviceTensor qv = q.view(), ov = out.view();
            AttentionParams p{&qv, &kcv, &vcv, &ov, start, heads, kvHeads, d, float(1.0 / std::sqrt(double(d)))};
            backend->attention(p);
            for (int64_t i = 0; i < n; ++i)
                for (int64_t h = 0; h < heads; ++h) {
                    const int64_t kvh = h / (heads / kvHeads);
                    std::vector<double> s(static_cast<size_t>(start + i + 1));
                    for (int64_t j = 0; j <= start + i; ++j) {
                        double dot = 0;
                        for (int64_t e = 0; e < d; ++e)
                            dot += double(q.v[size_t(i * heads * d + h * d + e)]) * kc.v[size_t(j * kvHeads * d + kvh * d + e)];
                        s[size_t(j)] = dot * p.scale;
                    }
                    const double mx = *std::max_element(s.begin(), s.end());
                    double sum = 0;
                    for (double& v : s)
                        sum += (v = std::exp(v - mx));
                    for (int64_t e = 0; e < d; ++e) {
                        double ref = 0;
                        for (int64_t j = 0; j <= start + i; ++j)
                            ref += s[size_t(j)] / sum * vc.v[size_t(j * kvHeads * d + kvh * d + e)];
                        QVERIFY(std::fabs(out.v[size_t(i * heads * d + h * d + e)] - ref) <= 1e-5);
                    }
                }
        }
    }
}

void TestCpuKernels::elementwise()
{
    std::mt19937 rng(13);
    const int64_t n = 5, w = 7000; // > one 16k chunk in total, odd width
    auto backend = createCpuBackend({2});
    HostF32 a(n, w, randomFloats(rng, size_t(n * w), 4.f)), b(n, w, randomFloats(rng, size_t(n * w), 4.f));
    HostF32 scale(n, 1, randomFloats(rng, size_t(n)));
    HostF32 sum = a, scaled = a, act(n, w), sig = a;
    DeviceTensor sv = sum.view(), scv = scaled.view(), av = act.view(), gv = sig.view();
    backend->add(sv, b.view());
    backend->addScaledRows(scv, b.view(), scale.view());
    backend->swiglu(a.view(), b.view(), av);
    backend->sigmoid(gv);
    for (int64_t i = 0; i < n * w; ++i) {
        const size_t at = size_t(i);
        QCOMPARE(sum.v[at], a.v[at] + b.v[at]);
        QVERIFY(std::fabs(scaled.v[at] - (a.v[at] + double(scale.v[size_t(i / w)]) * b.v[at])) <= 1e-6);
        QVERIFY(std::fabs(act.v[at] - silu(a.v[at]) * b.v[at]) <= 1e-5 * std::max(1.0, std::fabs(silu(a.v[at]) * b.v[at])));
        QVERIFY(std::fabs(sig.v[at] - 1.0 / (1.0 + std::exp(-double(a.v[at])))) <= 1e-6);
    }
}

void TestCpuKernels::routeSoftmaxRenorm()
{
    // Mixtral: softmax over the top-k logits. Experts 1 and 3 tie: both taken, lower id first.
    auto backend = createCpuBackend({1});
    HostF32 logits(2, 4, {1.f, 3.f, 2.f, 3.f, 0.5f, -1.f, 2.f, 0.f});
    RouterParams p;
    p.topK = 2;
    p.normTopkProb = true;
    const RoutingView r = backend->routeTopK(logits.view(), p);
    QCOMPARE(r.tokens, int64_t(2));
    QCOMPARE(r.expertIds[0], 1);
    QCOMPARE(r.expertIds[1], 3);
    QVERIFY(std::fabs(r.weights[0] - 0.5f) < 1e-6 && std::fabs(r.weights[1] - 0.5f) < 1e-6);
    QCOMPARE(r.expertIds[2], 2);
    QCOMPARE(r.expertIds[3], 0);
    const double e0 = std::exp(2.0), e1 = std::exp(0.5); // softmax over the two chosen logits
    QVERIFY(std::fabs(r.weights[2] - e0 / (e0 + e1)) < 1e-6);
    QVERIFY(std::fabs(r.weights[3] - e1 / (e0 + e1)) < 1e-6);
}

void TestCpuKernels::routeSoftmaxNoRenorm()
{
    // Qwen2-MoE norm_topk_prob = false: probabilities over all experts, kept as they are.
    auto backend = createCpuBackend({1});
    HostF32 logits(1, 4, {0.f, float(std::log(2.0)), float(std::log(3.0)), float(std::log(4.0))});
    RouterParams p;
    p.topK = 2;
    const RoutingView r = backend->routeTopK(logits.view(), p);
    QCOMPARE(r.expertIds[0], 3);
    QCOMPARE(r.expertIds[1], 2);
    QVERIFY(std::fabs(r.weights[0] - 0.4f) < 1e-6);
    QVERIFY(std::fabs(r.weights[1] - 0.3f) < 1e-6);
}

void TestCpuKernels::routeSigmoidBiasGroups()
{
    // DeepSeek-V3: 8 experts in 4 groups of 2, keep 2 groups, top-2. Sigmoid scores s,
    // choice = s + bias; group score = sum of its two choice scores.
    auto backend = createCpuBackend({1});
    const float s[8] = {0.9f, 0.1f, 0.6f, 0.6f, 0.2f, 0.3f, 0.7f, 0.05f};
    HostF32 logits(1, 8);
    for (int i = 0; i < 8; ++i)
        logits.v[size_t(i)] = float(std::log(s[i] / (1.0 - s[i]))); // sigmoid^-1
    HostF32 bias(1, 8, {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.5f});
    // group sums: g0 1.0, g1 1.2, g2 0.5, g3 0.7+0.55 = 1.25 -> keep g3, g1
    // choice within: 6 (0.7), 7 (0.55), 2 (0.6), 3 (0.6) -> top-2: 6, then 2 (tie 2/3 -> 2)
    // expert 0 (0.9) is best overall but its group is dropped (max-based would keep g0).
    DeviceTensor bv = bias.view();
    RouterParams p;
    p.topK = 2;
    p.scoring = RouterScoring::Sigmoid;
    p.normTopkProb = true;
    p.routedScalingFactor = 2.5;
    p.numGroups = 4;
    p.topkGroups = 2;
    p.selectionBias = &bv;
    const RoutingView r = backend->routeTopK(logits.view(), p);
    QCOMPARE(r.expertIds[0], 6);
    QCOMPARE(r.expertIds[1], 2);
    QVERIFY(std::fabs(r.weights[0] - 0.7 / 1.3 * 2.5) < 1e-5);
    QVERIFY(std::fabs(r.weights[1] - 0.6 / 1.3 * 2.5) < 1e-5);
}

void TestCpuKernels::routeRandomAgainstSortReference()
{
    std::mt19937 rng(17);
    auto backend = createCpuBackend({2});
    const int64_t n = 9, e = 16, k = 3;
    for (int variant = 0; variant < 4; ++variant) {
        HostF32 logits(n, e, randomFloats(rng, size_t(n * e), 3.f));
        HostF32 bias(1, e, randomFloats(rng, size_t(e), 0.3f));
        DeviceTensor bv = bias.view();
        RouterParams p;
        p.topK = k;
        p.scoring = variant >= 2 ? RouterScoring::Sigmoid : RouterScoring::Softmax;
        p.normTopkProb = variant % 2 == 1;
        p.numGroups = variant == 3 ? 4 : 1;
        p.topkGroups = 2;
        p.selectionBias = variant == 3 ? &bv : nullptr;
        const RoutingView r = backend->routeTopK(logits.view(), p);
        for (int64_t t = 0; t < n; ++t) {
            std::vector<double> score(static_cast<size_t>(e)), choice(static_cast<size_t>(e));
            double mx = -1e300, z = 0;
            for (int64_t i = 0; i < e; ++i)
                mx = std::max(mx, double(logits.v[size_t(t * e + i)]));
            for (int64_t i = 0; i < e; ++i)
                z += std::exp(logits.v[size_t(t * e + i)] - mx);
            for (int64_t i = 0; i < e; ++i) {
                const double l = logits.v[size_t(t * e + i)];
                score[size_t(i)] = p.scoring == RouterScoring::Sigmoid ? 1 / (1 + std::exp(-l)) : std::exp(l - mx) / z;
                choice[size_t(i)] = score[size_t(i)] + (p.selectionBias ? bias.v[size_t(i)] : 0.0);
            }
            std::vector<int> allowed(static_cast<size_t>(e));
            std::iota(allowed.begin(), allowed.end(), 0);
            if (p.numGroups > 1) { // keep the 2 groups (of 4) with the largest top-2 sums
                std::vector<std::pair<double, int>> g;
                for (int gi = 0; gi < 4; ++gi) {
                    std::vector<double> c(choice.begin() + gi * 4, choice.begin() + gi * 4 + 4);
                    std::sort(c.rbegin(), c.rend());
                    g.push_back({-(c[0] + c[1]), gi});
                }
                std::sort(g.begin(), g.end());
                allowed.clear();
                for (int i = 0; i < e; ++i)
                    if (i / 4 == g[0].second || i / 4 == g[1].second)
                        allowed.push_back(i);
            }
            std::stable_sort(allowed.begin(), allowed.end(),
                             [&](int a, int b) { return choice[size_t(a)] > choice[size_t(b)]; });
            double sum = 0;
            for (int64_t s = 0; s < k; ++s)
                sum += score[size_t(allowed[size_t(s)])];
            for (int64_t s = 0; s < k; ++s) {
                QCOMPARE(r.expertIds[t * k + s], allowed[size_t(s)]);
                const double want = score[size_t(allowed[size_t(s)])] / (p.normTopkProb ? sum : 1.0);
                QVERIFY(std::fabs(r.weights[t * k + s] - want) < 1e-6);
            }
        }
    }
}

void TestCpuKernels::moeExpertsAgainstNaive()
{
    std::mt19937 rng(21);
    const int64_t e = 6, k = 2;
    for (DType dtype : kAllDtypes) {
        const int64_t hidden = fitBlocks(dtype, 64), ffn = fitBlocks(dtype, 96);
        std::vector<HostWeight> store;
        std::vector<ExpertWeights> experts(static_cast<size_t>(e));
        for (int64_t i = 0; i < e; ++i) {
            store.push_back(makeWeight(rng, dtype, ffn, hidden, 0.3f));
            store.push_back(makeWeight(rng, dtype, ffn, hidden, 0.3f));
            store.push_back(makeWeight(rng, dtype, hidden, ffn, 0.3f));
        }
        for (int64_t i = 0; i < e; ++i)
            experts[size_t(i)] = {store[size_t(3 * i)].view(), store[size_t(3 * i + 1)].view(),
                                  store[size_t(3 * i + 2)].view()};
        // Batch of 5: experts 1 and 4 shared by several tokens; experts 0 and 5 unused.
        const int64_t n = 5;
        const std::vector<int32_t> ids = {1, 4, 4, 1, 2, 1, 3, 4, 1, 3};
        const std::vector<float> wts = {0.7f, 0.3f, 0.6f, 0.4f, 0.5f, 0.5f, 0.9f, 0.1f, 0.2f, 0.8f};
        HostF32 x(n, hidden, randomFloats(rng, size_t(n * hidden)));
        HostF32 base(n, hidden, randomFloats(rng, size_t(n * hidden)));
        std::vector<double> ref(base.v.begin(), base.v.end());
        for (int64_t t = 0; t < n; ++t)
            for (int64_t s = 0; s < k; ++s) {
                const int32_t ex = ids[size_t(t * k + s)];
                const float* wg = store[size_t(3 * ex)].values.data();
                const float* wu = store[size_t(3 * ex + 1)].values.data();
                const float* wd = store[size_t(3 * ex + 2)].values.data();
                std::vector<double> h(static_cast<size_t>(ffn));
                for (int64_t f = 0; f < ffn; ++f) {
                    double g = 0, u = 0;
                    for (int64_t i = 0; i < hidden; ++i) {
                        g += double(wg[f * hidden + i]) * x.v[size_t(t * hidden + i)];
                        u += double(wu[f * hidden + i]) * x.v[size_t(t * hidden + i)];
                    }
                    h[size_t(f)] = silu(g) * u;
                }
                for (int64_t o = 0; o < hidden; ++o) {
                    double y = 0;
                    for (int64_t f = 0; f < ffn; ++f)
                        y += double(wd[o * ffn + f]) * h[size_t(f)];
                    ref[size_t(t * hidden + o)] += wts[size_t(t * k + s)] * y;
                }
            }
        // Quantised: x and the SwiGLU activations are rounded to 8 bits per block (~0.4%
        // of each block's max) on the way through two matmuls. The K-quants and IQ4_XS
        // round per 256 (Q8_K), whose max is larger than a 32-block's, so their error
        // is about twice the 32-block types' (measured 1.3-2.4e-2 of the largest output
        // against 0.6-1.0e-2).
        double maxRef = 1.0;
        for (double v : ref)
            maxRef = std::max(maxRef, std::fabs(v));
        const double quantTol = dtypeInfo(dtype).blockElements == 256 ? 4e-2 : 2e-2;
        const double tol = (isQuantized(dtype) ? quantTol : 1e-5) * maxRef;
        std::vector<float> first;
        for (const Config& c : configs()) {
            setCpuSimdLevel(c.simd);
            auto backend = createCpuBackend({c.threads});
            HostF32 out = base;
            DeviceTensor xv = x.view(), ov = out.view();
            MoeFfnParams p{&xv, &experts, ids.data(), wts.data(), k, &ov};
            backend->moeExperts(p);
            double worst = 0;
            for (size_t i = 0; i < ref.size(); ++i)
                worst = std::max(worst, std::fabs(out.v[i] - ref[i]));
            qInfo("%s: worst |error| / max|ref| = %.2e", qPrintable(label(c, dtype)), worst / maxRef);
            for (size_t i = 0; i < ref.size(); ++i)
                if (!(std::fabs(out.v[i] - ref[i]) <= tol))
                    QFAIL(qPrintable(label(c, dtype) + QStringLiteral(" element %1: %2 vs %3").arg(i).arg(out.v[i]).arg(ref[i])));
            if (c.threads == 1)
                first = out.v;
            else
                QVERIFY2(first == out.v, qPrintable(label(c, dtype) + " differs from 1 thread"));
        }
    }
    // Routing kept in the backend (expertIds null) gives the same result as passing it.
    auto backend = createCpuBackend({2});
    HostWeight g = makeWeight(rng, DType::F32, 32, 32), u = makeWeight(rng, DType::F32, 32, 32),
               d = makeWeight(rng, DType::F32, 32, 32);
    std::vector<ExpertWeights> experts(4, ExpertWeights{g.view(), u.view(), d.view()});
    HostF32 logits(3, 4, randomFloats(rng, 12)), x(3, 32, randomFloats(rng, 96)), o1(3, 32), o2(3, 32);
    RouterParams rp;
    rp.topK = 2;
    const RoutingView r = backend->routeTopK(logits.view(), rp);
    const std::vector<int32_t> ids(r.expertIds, r.expertIds + 6);
    const std::vector<float> wts(r.weights, r.weights + 6);
    DeviceTensor xv = x.view(), v1 = o1.view(), v2 = o2.view();
    backend->moeExperts({&xv, &experts, nullptr, nullptr, 2, &v1});
    backend->moeExperts({&xv, &experts, ids.data(), wts.data(), 2, &v2});
    QVERIFY(o1.v == o2.v);
}

void TestCpuKernels::rowsViewAndErrors()
{
    auto backend = createCpuBackend({2});
    DeviceTensor t = backend->allocate(DType::Q8_0, Shape{4, 5, 64});
    QCOMPARE(t.bytes, uint64_t(20 * 2 * 34));
    QCOMPARE(reinterpret_cast<uintptr_t>(t.data) % 64, uintptr_t(0));
    const DeviceTensor v = t.rowsView(6, 3);
    QCOMPARE(v.rows(), int64_t(3));
    QCOMPARE(v.cols(), int64_t(64));
    QCOMPARE(static_cast<uint8_t*>(v.data) - static_cast<uint8_t*>(t.data), ptrdiff_t(6 * 68));
    QVERIFY(!v.owned);
    backend->release(t);
    QVERIFY(!t.data);

    HostF32 x(2, 32), y(2, 7);
    std::mt19937 rng(1);
    const HostWeight w = makeWeight(rng, DType::F32, 8, 32);
    DeviceTensor xv = x.view(), yv = y.view();
    QVERIFY_THROWS_EXCEPTION(Error, backend->matmul(xv, w.view(), nullptr, yv));
    std::vector<float> raw(64);
    WeightView wv{DType::F32, Shape{2, 32}, raw.data(), 256};
    const DeviceTensor wt = backend->weight(wv);
    QCOMPARE(wt.data, static_cast<void*>(raw.data()));
    QVERIFY(!wt.owned);
    QVERIFY(backend->name().find("cpu (2 threads") == 0);
}

QTEST_APPLESS_MAIN(TestCpuKernels)
#include "test_cpu_kernels.moc"
