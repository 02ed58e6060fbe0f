#include "backend_ops.h"

#include "moe/dtype.h"

#include <algorithm>

#include <cmath>
#include <limits>

namespace moe::test {

OpContext::OpContext(Backend& backend, uint64_t seed)
    : m_backend(backend)
    , m_rng(seed)
{
    BackendReservation r;
    r.maxTokens = 128;
    r.maxWidth = 4096;
    r.numExperts = 64;
    r.topK = 8;
    r.expertWidth = 1024;
    r.hiddenSize = 1024;
    r.maxContext = 1024;
    r.numHeads = 32;
    backend.reserve(r);
}

OpContext::~OpContext()
{
    for (DeviceTensor& t : m_owned)
        m_backend.release(t);
}

DeviceTensor OpContext::upload(const std::vector<float>& host, int64_t rows, int64_t cols)
{
    DeviceTensor t = m_backend.allocate(DType::F32, Shape{rows, cols});
    m_owned.push_back(t);
    m_backend.upload(host.data(), t, t.bytes, 0);
    return t;
}

DeviceTensor OpContext::activations(int64_t rows, int64_t cols, float scale)
{
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> host(size_t(rows * cols));
    for (float& v : host)
        v = u(m_rng);
    return upload(host, rows, cols);
}

DeviceTensor OpContext::zeros(int64_t rows, int64_t cols)
{
    return upload(std::vector<float>(size_t(rows * cols), 0.f), rows, cols);
}

DeviceTensor OpContext::weight(DType type, int64_t rows, int64_t cols, float scale)
{
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> values(static_cast<size_t>(cols));
    const uint64_t rowSize = *rowBytes(type, uint64_t(cols));
    std::vector<uint8_t>& bytes = m_hostWeights.emplace_back(size_t(rowSize * uint64_t(rows)));
    for (int64_t r = 0; r < rows; ++r) {
        for (float& v : values)
            v = u(m_rng);
        quantizeRow(type, values.data(), bytes.data() + size_t(r) * rowSize, size_t(cols));
    }
    WeightView w;
    w.dtype = type;
    w.shape = Shape{rows, cols};
    w.data = bytes.data();
    w.bytes = bytes.size();
    DeviceTensor t = m_backend.weight(w);
    m_owned.push_back(t);
    return t;
}

std::vector<float> OpContext::read(const DeviceTensor& t)
{
    std::vector<float> host(size_t(t.bytes / 4));
    m_backend.download(t, host.data(), t.bytes, 0);
    return host;
}

double normalisedMse(const std::vector<float>& got, const std::vector<float>& reference)
{
    if (got.size() != reference.size())
        return std::numeric_limits<double>::infinity();
    double err = 0, norm = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        if (!std::isfinite(got[i]) || !std::isfinite(reference[i]))
            return std::numeric_limits<double>::infinity();
        const double d = double(got[i]) - double(reference[i]);
        err += d * d;
        norm += double(reference[i]) * double(reference[i]);
    }
    return norm > 0 ? err / norm : (err > 0 ? std::numeric_limits<double>::infinity() : 0.0);
}

namespace {

const DType kWeightTypes[] = {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0};

double typeBytes(DType t, int64_t elements) { return double(*rowBytes(t, uint64_t(elements))); }

// Both sides accumulate in F32, in different orders (~1e-14). On top of that: the CPU
// multiplies Q8_0 / Q4_0 weights by activations quantised to 8 bits (GGML's scheme,
// NMSE ~1e-5), and the CUDA cuBLAS path (n > 8) rounds activations to F16 (~1e-7) or
// BF16 (~5e-6).
double matmulBound(DType t, int64_t n)
{
    if (t == DType::Q8_0 || t == DType::Q4_0)
        return 5e-5;
    if (n > 8)
        return t == DType::BF16 ? 1e-4 : t == DType::F16 ? 1e-5 : 1e-9;
    return 1e-9;
}

OpCase embedCase(DType t)
{
    return {std::string("embed ") + dtypeName(t), 1e-12, [t](OpContext& c) {
                DeviceTensor table = c.weight(t, 300, 256);
                DeviceTensor out = c.zeros(5, 256);
                auto tokens = std::make_shared<std::vector<int32_t>>(std::vector<int32_t>{0, 299, 17, 17, 150});
                return OpRun{[&c, table, out, tokens]() mutable { c.backend().embed(table, tokens->data(), 5, out); },
                             [&c, out] { return c.read(out); }, typeBytes(t, 256) * 5 + 5 * 256 * 4, 0};
            }};
}

OpCase rmsNormCase(int64_t n, int64_t cols, int64_t group, bool inPlace)
{
    const std::string name = "rms_norm n=" + std::to_string(n) + " cols=" + std::to_string(cols) + " group=" +
                             std::to_string(group) + (inPlace ? " in-place" : "");
    return {name, 1e-11, [=](OpContext& c) {
                DeviceTensor x = c.activations(n, cols, 3.f);
                DeviceTensor w = c.activations(1, group == cols ? cols : group);
                DeviceTensor out = inPlace ? x : c.zeros(n, cols);
                return OpRun{[&c, x, w, out, group]() mutable { c.backend().rmsNorm(x, w, 1e-6f, group, out); },
                             [&c, out] { return c.read(out); }, double(n * cols * 8), 0};
            }};
}

OpCase matmulCase(DType t, int64_t n, int64_t out, int64_t in, bool bias)
{
    const std::string name = std::string("matmul ") + dtypeName(t) + " n=" + std::to_string(n) + " " +
                             std::to_string(out) + "x" + std::to_string(in) + (bias ? " +bias" : "");
    return {name, matmulBound(t, n), [=](OpContext& c) {
                DeviceTensor x = c.activations(n, in);
                DeviceTensor w = c.weight(t, out, in);
                DeviceTensor b = bias ? c.activations(1, out) : DeviceTensor{};
                DeviceTensor y = c.zeros(n, out);
                return OpRun{[&c, x, w, b, y, bias]() mutable { c.backend().matmul(x, w, bias ? &b : nullptr, y); },
                             [&c, y] { return c.read(y); }, typeBytes(t, in) * double(out) + double(n * (in + out) * 4),
                             2.0 * double(n * out * in)};
            }};
}

OpCase ropeCase(RopeLayout layout, int64_t n, int64_t startPos, int64_t heads, int64_t headDim, int64_t rotary)
{
    const std::string name = std::string("rope ") + (layout == RopeLayout::NeoX ? "neox" : "interleaved") + " n=" +
                             std::to_string(n) + " pos=" + std::to_string(startPos) + " rot=" + std::to_string(rotary) +
                             "/" + std::to_string(headDim);
    return {name, 1e-11, [=](OpContext& c) {
                DeviceTensor x = c.activations(n, heads * headDim);
                return OpRun{[&c, x, startPos, heads, headDim, rotary, layout]() mutable {
                                 c.backend().rope(x, startPos, heads, headDim, rotary, 1e6f, layout);
                             },
                             [&c, x] { return c.read(x); }, double(n * heads * headDim * 8), 0};
            }};
}

// storeKv of n new rows after startPos old ones, then attention of the n queries.
// The cache holds `capacity` rows (0: just startPos + n); rows past the position hold
// other values, which no query may see.
OpCase attentionCase(int64_t n, int64_t startPos, int64_t heads, int64_t kvHeads, int64_t headDim,
                     int64_t capacity = 0)
{
    const std::string name = "attention n=" + std::to_string(n) + " pos=" + std::to_string(startPos) + " heads=" +
                             std::to_string(heads) + "/" + std::to_string(kvHeads) + " d=" + std::to_string(headDim) +
                             (capacity > 0 ? " cache=" + std::to_string(capacity) : std::string());
    return {name, 1e-10, [=](OpContext& c) {
                const int64_t context = startPos + n, kvWidth = kvHeads * headDim;
                const int64_t rows = std::max(capacity, context);
                DeviceTensor kCache = c.activations(rows, kvWidth), vCache = c.activations(rows, kvWidth);
                DeviceTensor k = c.activations(n, kvWidth), v = c.activations(n, kvWidth);
                DeviceTensor q = c.activations(n, heads * headDim);
                DeviceTensor out = c.zeros(n, heads * headDim);
                return OpRun{[&c, q, k, v, kCache, vCache, out, n, startPos, heads, kvHeads, headDim]() mutable {
                                 c.backend().storeKv(k, v, kCache, vCache, startPos);
                                 AttentionParams p;
                                 p.q = &q;
                                 p.kCache = &kCache;
                                 p.vCache = &vCache;
                                 p.out = &out;
                                 p.startPos = startPos;
                                 p.numHeads = heads;
                                 p.numKvHeads = kvHeads;
                                 p.headDim = headDim;
                                 p.scale = 1.f / std::sqrt(float(headDim));
                                 c.backend().attention(p);
                                 (void)n;
                             },
                             [&c, out] { return c.read(out); }, double(2 * context * kvWidth * 4 * n),
                             4.0 * double(n * context * heads * headDim)};
            }};
}

OpCase elementwiseCase(const std::string& op, int64_t n, int64_t cols)
{
    return {op + " n=" + std::to_string(n) + " cols=" + std::to_string(cols), 1e-12, [=](OpContext& c) {
                DeviceTensor x = c.activations(n, cols, 4.f), y = c.activations(n, cols, 4.f);
                DeviceTensor s = c.activations(n, 1), out = c.zeros(n, cols);
                std::function<void()> run;
                DeviceTensor result = op == "swiglu" ? out : x;
                if (op == "add")
                    run = [&c, x, y]() mutable { c.backend().add(x, y); };
                else if (op == "add_scaled_rows")
                    run = [&c, x, y, s]() mutable { c.backend().addScaledRows(x, y, s); };
                else if (op == "swiglu")
                    run = [&c, x, y, out]() mutable { c.backend().swiglu(x, y, out); };
                else
                    run = [&c, x]() mutable { c.backend().sigmoid(x); };
                return OpRun{run, [&c, result] { return c.read(result); }, double(n * cols * 12), 0};
            }};
}

// The parallel pass's row moves: rows gathered by index, rows added into repeated
// targets in order, a buffer zeroed. Indices come from the host.
OpCase rowMovesCase(const std::string& op, int64_t count, int64_t rows, int64_t cols)
{
    return {op + " count=" + std::to_string(count) + " rows=" + std::to_string(rows) + " cols=" + std::to_string(cols),
            1e-12, [=](OpContext& c) {
                DeviceTensor table = c.activations(rows, cols), packed = c.activations(count, cols);
                auto index = std::make_shared<std::vector<int32_t>>();
                std::uniform_int_distribution<int32_t> pick(0, int32_t(rows - 1));
                for (int64_t i = 0; i < count; ++i) // repeats: several rows add into one
                    index->push_back(pick(c.rng()));
                std::function<void()> run;
                DeviceTensor result = op == "gather_rows" ? packed : table;
                if (op == "gather_rows")
                    run = [&c, table, index, packed]() mutable {
                        c.backend().gatherRows(table, index->data(), int64_t(index->size()), packed);
                    };
                else if (op == "scatter_add_rows")
                    run = [&c, table, index, packed]() mutable {
                        c.backend().scatterAddRows(table, index->data(), int64_t(index->size()), packed);
                    };
                else
                    run = [&c, table]() mutable {
                        DeviceTensor part = table.rowsView(1, table.rows() - 2);
                        c.backend().zero(part);
                    };
                return OpRun{run, [&c, result] { return c.read(result); }, double(count * cols * 12), 0};
            }};
}

// An RMSNorm split over devices: row sums of squares of this device's columns, then the
// scale by a norm over `width` columns (the sums doubled, as an all-reduce over two
// equal halves would give them).
OpCase splitNormCase(int64_t n, int64_t cols)
{
    return {"row_sum_squares + scale_by_rms n=" + std::to_string(n) + " cols=" + std::to_string(cols), 1e-10,
            [=](OpContext& c) {
                DeviceTensor x = c.activations(n, cols, 3.f), w = c.activations(1, cols), sums = c.zeros(n, 1);
                DeviceTensor y = c.zeros(n, cols);
                return OpRun{[&c, x, w, sums, y]() mutable {
                                 c.backend().rowSumSquares(x, sums);
                                 c.backend().add(sums, sums);
                                 c.backend().zero(y);
                                 c.backend().add(y, x);
                                 c.backend().scaleByRms(y, sums, 2 * x.cols(), 1e-6f, w.rowsView(0, 1));
                             },
                             [&c, sums, y] {
                                 std::vector<float> v = c.read(sums), rows = c.read(y);
                                 v.insert(v.end(), rows.begin(), rows.end());
                                 return v;
                             },
                             double(n * cols * 16), 0};
            }};
}

// Next-token choice on the device against the host's algorithm: the tokens picked for
// 24 draws spread over [0, 1), with bans and penalties. Logits are spread wide enough
// that rounding does not reorder candidates.
OpCase sampleCase(const std::string& label, int64_t vocab, TokenChoice choice, bool bansAndPenalties)
{
    return {"sample_token " + label + " vocab=" + std::to_string(vocab), 1e-12, [=](OpContext& c) {
                DeviceTensor logits = c.activations(1, vocab, 8.f);
                auto banned = std::make_shared<std::vector<int32_t>>();
                auto ids = std::make_shared<std::vector<int32_t>>();
                auto counts = std::make_shared<std::vector<int32_t>>();
                if (bansAndPenalties) {
                    std::uniform_int_distribution<int32_t> pick(0, int32_t(vocab - 1));
                    for (int i = 0; i < 40; ++i)
                        banned->push_back(pick(c.rng()));
                    for (int32_t t = 3; t < vocab && ids->size() < 30; t += 7) { // distinct
                        ids->push_back(t);
                        counts->push_back(1 + t % 4);
                    }
                }
                auto tokens = std::make_shared<std::vector<float>>();
                return OpRun{[&c, logits, choice, banned, ids, counts, tokens] {
                                 tokens->clear();
                                 for (int draw = 0; draw < 24; ++draw) {
                                     TokenChoice t = choice;
                                     t.banned = banned->data();
                                     t.bannedCount = int64_t(banned->size());
                                     t.penaltyIds = ids->data();
                                     t.penaltyCounts = counts->data();
                                     t.penaltyCount = int64_t(ids->size());
                                     t.uniform = (draw + 0.5) / 24.0;
                                     tokens->push_back(float(c.backend().sampleToken(logits, t)));
                                 }
                             },
                             [tokens] { return *tokens; }, double(vocab * 4 * 24), 0};
            }};
}

// Expert ids (exactly, as floats) followed by the weights.
std::vector<float> routingResult(const RoutingView& r)
{
    std::vector<float> v;
    for (int64_t i = 0; i < r.tokens * r.topK; ++i)
        v.push_back(float(r.expertIds[i]));
    for (int64_t i = 0; i < r.tokens * r.topK; ++i)
        v.push_back(r.weights[i]);
    return v;
}

OpCase routerCase(const std::string& label, int64_t n, int64_t experts, RouterParams params, bool bias)
{
    return {"route_topk " + label + " n=" + std::to_string(n) + " E=" + std::to_string(experts), 1e-12,
            [=](OpContext& c) {
                DeviceTensor logits = c.activations(n, experts, 4.f);
                auto p = std::make_shared<RouterParams>(params);
                auto biasT = std::make_shared<DeviceTensor>();
                if (bias) {
                    *biasT = c.activations(1, experts, 0.5f);
                    p->selectionBias = biasT.get();
                }
                auto view = std::make_shared<RoutingView>();
                return OpRun{[&c, logits, p, biasT, view] {
                                 *view = c.backend().routeTopK(logits, *p);
                                 if (p->hostCopy == RoutingHostCopy::AfterSync)
                                     c.backend().synchronize();
                             },
                             [view] { return routingResult(*view); }, double(n * experts * 4), 0};
            }};
}

// The routing's host copy as the engine asks for it: Now (as telemetry with an
// observer), AfterSync (a GPU decode step with telemetry), Never (no telemetry).
// hostRouting: no routeTopK; ids and gates given in host memory (the parallel pass).
OpCase moeCase(DType t, int64_t n, int64_t experts, int64_t topK, int64_t hidden, int64_t ffn,
               RoutingHostCopy hostCopy = RoutingHostCopy::Now, bool hostRouting = false)
{
    const char* copyName = hostRouting                              ? " (routing from the host)"
                           : hostCopy == RoutingHostCopy::Now       ? ""
                           : hostCopy == RoutingHostCopy::AfterSync ? " (routing copied after sync)"
                                                                    : " (no routing copy)";
    const std::string name = std::string("moe_experts ") + dtypeName(t) + " n=" + std::to_string(n) + " E=" +
                             std::to_string(experts) + " k=" + std::to_string(topK) + copyName;
    return {name, matmulBound(t, n), [=](OpContext& c) {
                DeviceTensor x = c.activations(n, hidden);
                DeviceTensor logits = c.activations(n, experts, 4.f);
                auto weights = std::make_shared<std::vector<ExpertWeights>>();
                for (int64_t e = 0; e < experts; ++e)
                    weights->push_back({c.weight(t, ffn, hidden), c.weight(t, ffn, hidden), c.weight(t, hidden, ffn)});
                DeviceTensor out = c.activations(n, hidden); // the residual the experts add into
                if (hostRouting) {
                    // Ids and gates from the host, as the parallel pass hands over its work rows.
                    auto ids = std::make_shared<std::vector<int32_t>>();
                    auto gates = std::make_shared<std::vector<float>>();
                    std::uniform_int_distribution<int32_t> pick(0, int32_t(experts - 1));
                    std::uniform_real_distribution<float> gate(0.f, 1.f);
                    for (int64_t a = 0; a < n * topK; ++a) {
                        ids->push_back(pick(c.rng()));
                        gates->push_back(gate(c.rng()));
                    }
                    return OpRun{[&c, x, weights, out, topK, ids, gates]() mutable {
                                     MoeFfnParams mp;
                                     mp.x = &x;
                                     mp.experts = weights.get();
                                     mp.expertIds = ids->data();
                                     mp.expertWeights = gates->data();
                                     mp.routingOnHost = true;
                                     mp.topK = topK;
                                     mp.out = &out;
                                     c.backend().moeExperts(mp);
                                 },
                                 [&c, out] { return c.read(out); },
                                 typeBytes(t, hidden) * double(3 * ffn * std::min(experts, n * topK)),
                                 6.0 * double(n * topK * hidden * ffn)};
                }
                return OpRun{[&c, x, logits, weights, out, topK, hostCopy]() mutable {
                                 RouterParams rp;
                                 rp.topK = topK;
                                 rp.normTopkProb = true;
                                 rp.hostCopy = hostCopy;
                                 rp.slot = 5;
                                 c.backend().routeTopK(logits, rp);
                                 MoeFfnParams mp;
                                 mp.x = &x;
                                 mp.experts = weights.get();
                                 mp.topK = topK;
                                 mp.out = &out;
                                 c.backend().moeExperts(mp);
                             },
                             [&c, out] { return c.read(out); },
                             typeBytes(t, hidden) * double(3 * ffn * std::min(experts, n * topK)),
                             6.0 * double(n * topK * hidden * ffn)};
            }};
}

} // namespace

std::vector<OpCase> registerCases()
{
    std::vector<OpCase> cases;
    for (DType t : kWeightTypes)
        cases.push_back(embedCase(t));
    cases.push_back(rmsNormCase(4, 1024, 1024, false));
    cases.push_back(rmsNormCase(3, 1024, 1024, true));
    cases.push_back(rmsNormCase(5, 512, 64, true)); // per-head q/k norm
    for (DType t : kWeightTypes)
        for (int64_t n : {1, 3, 8, 9, 64}) {
            cases.push_back(matmulCase(t, n, 256, 512, false));
            cases.push_back(matmulCase(t, n, 1000, 96, n == 3)); // rows not a multiple of a block of warps
        }
    for (DType t : {DType::F32, DType::F16, DType::BF16}) // rows not a multiple of 8: 4 weights per lane step
        cases.push_back(matmulCase(t, 2, 64, 100, false));
    cases.push_back(ropeCase(RopeLayout::NeoX, 4, 0, 8, 128, 128));
    cases.push_back(ropeCase(RopeLayout::NeoX, 1, 70000, 8, 128, 64)); // partial rotary, far position
    cases.push_back(ropeCase(RopeLayout::Interleaved, 6, 33, 4, 64, 64));
    cases.push_back(attentionCase(1, 37, 8, 2, 64));   // decode, GQA
    cases.push_back(attentionCase(1, 900, 4, 4, 128)); // decode over a long cache
    cases.push_back(attentionCase(20, 0, 8, 2, 64));   // prefill from the start (causal mask)
    cases.push_back(attentionCase(7, 50, 4, 1, 256));  // prefill after a cache, MQA, widest head
    cases.push_back(attentionCase(40, 100, 8, 2, 128)); // tiled prefill after a cache, a partial query tile
    cases.push_back(attentionCase(12, 5, 4, 4, 256));   // prefill, heads too wide for the tiled kernel
    cases.push_back(attentionCase(1, 37, 8, 2, 64, 1024)); // decode in a larger cache: empty key chunks
    cases.push_back(attentionCase(3, 600, 4, 2, 128, 2048));
    cases.push_back(attentionCase(24, 10, 6, 2, 80, 64));  // tiled, head size not a multiple of 32, GQA 3
    for (const char* op : {"add", "add_scaled_rows", "swiglu", "sigmoid"})
        cases.push_back(elementwiseCase(op, 7, 1000));
    RouterParams mixtral;
    mixtral.topK = 2;
    mixtral.normTopkProb = true;
    cases.push_back(routerCase("softmax renormalised", 9, 8, mixtral, false));
    RouterParams qwen;
    qwen.topK = 4;
    cases.push_back(routerCase("softmax", 5, 60, qwen, false));
    RouterParams v2 = qwen;
    v2.topK = 6;
    v2.numGroups = 8;
    v2.topkGroups = 3;
    v2.routedScalingFactor = 16.0;
    cases.push_back(routerCase("grouped (deepseek-v2)", 6, 64, v2, false));
    RouterParams v3 = v2;
    v3.scoring = RouterScoring::Sigmoid;
    v3.topK = 8;
    v3.numGroups = 8;
    v3.topkGroups = 4;
    v3.normTopkProb = true;
    v3.routedScalingFactor = 2.5;
    cases.push_back(routerCase("sigmoid + bias, grouped (deepseek-v3)", 6, 256, v3, true));
    RouterParams pairs = v3;
    pairs.numGroups = 128; // groups of two experts: the widest grouping the CPU honours
    pairs.topkGroups = 3;
    pairs.topK = 6;
    cases.push_back(routerCase("sigmoid + bias, 128 groups", 4, 256, pairs, true));
    for (DType t : {DType::F32, DType::F16, DType::Q8_0})
        for (int64_t n : {1, 5, 40}) // 40 tokens over 8 experts: most get more than 8 rows (cuBLAS)
            cases.push_back(moeCase(t, n, 8, 2, 256, 128));
    cases.push_back(moeCase(DType::BF16, 3, 16, 4, 128, 64)); // several experts get no token
    // Up to 8 tokens run on the device without a host round trip; the engine's decode
    // step asks for the routing copy after the sync, or not at all.
    cases.push_back(moeCase(DType::Q4_0, 1, 8, 2, 256, 128));
    cases.push_back(moeCase(DType::F16, 2, 8, 2, 100, 36)); // widths not multiples of 8
    cases.push_back(moeCase(DType::F16, 1, 60, 4, 256, 96, RoutingHostCopy::AfterSync));
    cases.push_back(moeCase(DType::Q8_0, 8, 64, 6, 256, 128, RoutingHostCopy::Never));
    cases.push_back(moeCase(DType::F32, 12, 8, 2, 256, 128, RoutingHostCopy::Never)); // grouped, ids from the device
    cases.push_back(moeCase(DType::F16, 6, 4, 1, 256, 128, RoutingHostCopy::Now, true));  // decode kernels
    cases.push_back(moeCase(DType::Q8_0, 20, 4, 1, 256, 64, RoutingHostCopy::Now, true)); // grouped
    for (const char* op : {"gather_rows", "scatter_add_rows", "zero"})
        cases.push_back(rowMovesCase(op, 37, 16, 300));
    cases.push_back(rowMovesCase("scatter_add_rows", 600, 40, 2048)); // a prefill's combine
    cases.push_back(splitNormCase(5, 256));
    cases.push_back(splitNormCase(3, 96));
    TokenChoice greedy;
    cases.push_back(sampleCase("greedy", 1000, greedy, false));
    cases.push_back(sampleCase("greedy, bans and penalties", 152064, [] {
                                   TokenChoice t;
                                   t.repetitionPenalty = 1.3f;
                                   t.frequencyPenalty = 0.4f;
                                   t.presencePenalty = 0.25f;
                                   return t;
                               }(), true));
    TokenChoice sampled;
    sampled.temperature = 0.8f;
    sampled.topK = 40;
    sampled.topP = 0.95f;
    sampled.minP = 0.05f;
    cases.push_back(sampleCase("t=0.8 top-k 40 top-p 0.95 min-p 0.05", 32000, sampled, true));
    sampled.topK = 1024;
    sampled.temperature = 1.5f;
    sampled.minP = 0.f;
    cases.push_back(sampleCase("t=1.5 top-k 1024 top-p 0.95 (several rounds)", 152064, sampled, false));
    sampled.topK = 7;
    sampled.topP = 1.f;
    cases.push_back(sampleCase("t=1.5 top-k 7", 50, sampled, true)); // one chunk, smaller than k rows pad
    RouterParams deferred = mixtral;
    deferred.hostCopy = RoutingHostCopy::AfterSync;
    deferred.slot = 11;
    cases.push_back(routerCase("softmax, copied after sync", 3, 8, deferred, false));
    return cases;
}

} // namespace moe::test
