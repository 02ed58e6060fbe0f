#include "forward_pass.h"

#include "moe/error.h"

#include <algorithm>
#include <cmath>

namespace moe {

ForwardPass::ForwardPass(Backend& backend, const ModelSpec& spec, const ModelWeights& weights, int64_t maxBatch,
                         int64_t contextLength)
    : m_backend(backend)
    , m_spec(spec)
    , m_weights(weights)
    , m_maxBatch(maxBatch)
{
    const int64_t h = spec.hiddenSize;
    const int64_t qWidth = spec.numHeads * spec.headDim;
    const int64_t kvWidth = spec.numKvHeads * spec.headDim;
    const int64_t ffn = std::max({spec.moeIntermediateSize, spec.sharedExpertIntermediateSize, spec.intermediateSize});
    auto alloc = [&](int64_t width) { return backend.allocate(DType::F32, Shape{maxBatch, std::max<int64_t>(width, 1)}); };
    m_x = alloc(h);
    m_xn = alloc(h);
    m_q = alloc(qWidth);
    m_k = alloc(kvWidth);
    m_v = alloc(kvWidth);
    m_attn = alloc(qWidth);
    m_proj = alloc(h);
    m_routerLogits = alloc(spec.numExperts);
    m_ffnGate = alloc(ffn);
    m_ffnUp = alloc(ffn);
    m_ffnAct = alloc(ffn);
    m_ffnOut = alloc(h);
    m_sharedScale = alloc(1);
    m_logits = alloc(spec.vocabSize);
    m_pendingRouting.assign(size_t(spec.numLayers), RoutingView{});

    BackendReservation r;
    r.maxTokens = maxBatch;
    r.maxWidth = std::max({h, qWidth, ffn, spec.vocabSize});
    r.numExperts = spec.numExperts;
    r.topK = spec.numExpertsPerToken;
    r.expertWidth = ffn;
    r.hiddenSize = h;
    r.maxContext = contextLength;
    r.numHeads = spec.numHeads;
    backend.reserve(r);
}

ForwardPass::~ForwardPass()
{
    m_backend.forgetSteps(this);
    for (DeviceTensor* t : {&m_x, &m_xn, &m_q, &m_k, &m_v, &m_attn, &m_proj, &m_routerLogits, &m_ffnGate, &m_ffnUp,
                            &m_ffnAct, &m_ffnOut, &m_sharedScale, &m_logits})
        m_backend.release(*t);
}

void ForwardPass::attentionBlock(const LayerWeights& lw, KvCache& cache, int64_t layer, int64_t n)
{
    const ModelSpec& s = m_spec;
    const float eps = float(s.rmsNormEps);
    DeviceTensor x = rows(m_x, n), xn = rows(m_xn, n), q = rows(m_q, n), k = rows(m_k, n), v = rows(m_v, n);
    m_backend.rmsNorm(x, lw.attnNorm, eps, s.hiddenSize, xn);
    m_backend.matmul(xn, lw.q, lw.qBias.data ? &lw.qBias : nullptr, q);
    m_backend.matmul(xn, lw.k, lw.kBias.data ? &lw.kBias : nullptr, k);
    m_backend.matmul(xn, lw.v, lw.vBias.data ? &lw.vBias : nullptr, v);
    if (s.qkNorm != QkNorm::None) {
        // Qwen3 normalises each head; OLMoE the whole projection.
        const bool perHead = s.qkNorm == QkNorm::PerHead;
        m_backend.rmsNorm(q, lw.qNorm, eps, perHead ? s.headDim : q.cols(), q);
        m_backend.rmsNorm(k, lw.kNorm, eps, perHead ? s.headDim : k.cols(), k);
    }
    const int64_t pos = cache.position();
    const float theta = float(s.ropeTheta);
    m_backend.rope(q, pos, s.numHeads, s.headDim, s.effectiveRotaryDim(), theta, s.ropeLayout);
    m_backend.rope(k, pos, s.numKvHeads, s.headDim, s.effectiveRotaryDim(), theta, s.ropeLayout);
    m_backend.storeKv(k, v, cache.keys(layer), cache.values(layer), pos);

    DeviceTensor attn = rows(m_attn, n);
    AttentionParams ap;
    ap.q = &q;
    ap.kCache = &cache.keys(layer);
    ap.vCache = &cache.values(layer);
    ap.out = &attn;
    ap.startPos = pos;
    ap.numHeads = s.numHeads;
    ap.numKvHeads = s.numKvHeads;
    ap.headDim = s.headDim;
    ap.scale = 1.0f / std::sqrt(float(s.headDim));
    m_backend.attention(ap);
    DeviceTensor proj = rows(m_proj, n);
    m_backend.matmul(attn, lw.o, nullptr, proj);
    m_backend.add(x, proj);
}

// down(silu(gate·x) * up·x), added to the residual, optionally scaled per row by
// sigmoid(gate_w · x) (Qwen2-MoE's shared-expert gate).
void ForwardPass::denseFfn(const ExpertWeights& w, const DeviceTensor* gate, const DeviceTensor& xn, int64_t n)
{
    const int64_t width = w.gate.rows();
    DeviceTensor g = m_ffnGate.leadingView(n, width), u = m_ffnUp.leadingView(n, width), a = m_ffnAct.leadingView(n, width);
    m_backend.matmul(xn, w.gate, nullptr, g);
    m_backend.matmul(xn, w.up, nullptr, u);
    m_backend.swiglu(g, u, a);
    DeviceTensor out = rows(m_ffnOut, n);
    m_backend.matmul(a, w.down, nullptr, out);
    DeviceTensor x = rows(m_x, n);
    if (gate && gate->data) {
        DeviceTensor scale = rows(m_sharedScale, n);
        m_backend.matmul(xn, *gate, nullptr, scale);
        m_backend.sigmoid(scale);
        m_backend.addScaledRows(x, out, scale);
    } else {
        m_backend.add(x, out);
    }
}

void ForwardPass::ffnBlock(const LayerWeights& lw, int64_t layer, int64_t n, ForwardObserver* observer,
                           TelemetryRecorder* recorder)
{
    const ModelSpec& s = m_spec;
    DeviceTensor x = rows(m_x, n), xn = rows(m_xn, n);
    if (!lw.moe) {
        StageTimer timer(recorder, Stage::Experts);
        m_backend.rmsNorm(x, lw.ffnNorm, float(s.rmsNormEps), s.hiddenSize, xn);
        denseFfn(lw.shared, nullptr, xn, n);
        return;
    }
    RoutingView routing;
    RouterParams rp;
    {
        StageTimer timer(recorder, Stage::Router);
        m_backend.rmsNorm(x, lw.ffnNorm, float(s.rmsNormEps), s.hiddenSize, xn);
        DeviceTensor logits = rows(m_routerLogits, n);
        m_backend.matmul(xn, lw.router, nullptr, logits);
        rp.topK = s.numExpertsPerToken;
        rp.scoring = s.routerScoring;
        rp.normTopkProb = s.normTopkProb;
        rp.routedScalingFactor = s.routedScalingFactor;
        rp.numGroups = s.numExpertGroups;
        rp.topkGroups = s.topkGroups;
        // A GPU need not wait for the copy the recorder reads: it comes with the step's
        // last download. The observer reads it now; without either there is none.
        rp.hostCopy = observer ? RoutingHostCopy::Now
                      : !recorder ? RoutingHostCopy::Never
                      : m_backend.isHost() ? RoutingHostCopy::Now
                                           : RoutingHostCopy::AfterSync;
        rp.slot = layer;
        routing = m_backend.routeTopK(logits, rp);
    }
    // Hook point: every routing choice is counted before the experts run (or, deferred,
    // once the step's logits are on the host).
    if (recorder && rp.hostCopy == RoutingHostCopy::AfterSync)
        m_pendingRouting[size_t(layer)] = routing;
    else if (recorder)
        recorder->recordRouting(layer, routing);
    if (observer)
        observer->routing(layer, routing);
    StageTimer timer(recorder, Stage::Experts);

    MoeFfnParams mp;
    mp.x = &xn;
    mp.experts = &lw.experts;
    mp.topK = s.numExpertsPerToken;
    mp.out = &x; // routed experts add straight into the residual stream
    m_backend.moeExperts(mp);
    if (lw.shared.gate.data)
        denseFfn(lw.shared, &lw.sharedExpertGate, xn, n);
}

// Everything up to the logits in m_logits (device), queued on the backend.
void ForwardPass::queueOps(KvCache& cache, const int32_t* tokens, int64_t n, bool allLogits, ForwardObserver* observer,
                           TelemetryRecorder* recorder)
{
    const ModelSpec& s = m_spec;
    DeviceTensor x = rows(m_x, n);
    std::fill(m_pendingRouting.begin(), m_pendingRouting.end(), RoutingView{});
    m_backend.embed(m_weights.tokenEmbedding, tokens, n, x);
    for (int64_t l = 0; l < s.numLayers; ++l) {
        const LayerWeights& lw = m_weights.layers[size_t(l)];
        {
            StageTimer timer(recorder, Stage::Attention);
            attentionBlock(lw, cache, l, n);
        }
        ffnBlock(lw, l, n, observer, recorder);
        if (observer) {
            m_hostHidden.resize(size_t(n * s.hiddenSize));
            m_backend.download(x, m_hostHidden.data(), x.bytes);
            observer->afterLayer(l, m_hostHidden, n);
        }
    }
    // Only the rows whose logits are wanted go through the final norm and the LM head.
    StageTimer timer(recorder, Stage::Other);
    const int64_t first = allLogits ? 0 : n - 1;
    const int64_t count = n - first;
    DeviceTensor last = m_x.rowsView(first, count);
    DeviceTensor lastNormed = m_xn.rowsView(0, count);
    m_backend.rmsNorm(last, m_weights.outputNorm, float(s.rmsNormEps), s.hiddenSize, lastNormed);
    DeviceTensor out = m_logits.rowsView(0, count);
    m_backend.matmul(lastNormed, m_weights.lmHead, nullptr, out);
}

void ForwardPass::run(KvCache& cache, const int32_t* tokens, int64_t n, bool allLogits, ForwardObserver* observer,
                      TelemetryRecorder* recorder, float* logits)
{
    // Decode steps on a GPU: the first runs as is (it sizes every scratch buffer), the
    // second is recorded, later ones replay the recording. An observer reads the hidden
    // state per layer, so its steps always run as is.
    const bool recordable = n == 1 && !observer && !m_backend.isHost();
    const uint32_t variant = (recorder ? 1u : 0u) | (allLogits ? 2u : 0u);
    const StepKey key{this, cache.id(), variant};
    RecordedStep* step = recordable ? &m_recordedSteps[variant] : nullptr;
    if (step && step->cache != cache.id()) {
        if (step->cache != 0)
            m_backend.forgetSteps(this); // a new cache: the old recordings write into the old one
        *step = RecordedStep{};
        step->cache = cache.id();
    }
    if (cache.position() + n > cache.capacity())
        throw Error(ErrorCode::InvalidArgument, "", "context",
                    "the context is full (" + std::to_string(cache.capacity()) + " tokens)");
    bool done = false;
    if (step && step->recorded) {
        done = m_backend.replayStep(key, cache.position(), tokens, n);
        step->recorded = done; // false: the backend dropped it (a buffer it used moved)
        if (done)
            m_pendingRouting = step->routing; // the recording's copies land in the same host buffers
    }
    if (!done && step && step->eagerSteps >= 1) {
        try {
            if (m_backend.beginStepRecording(key, cache.position())) {
                queueOps(cache, tokens, n, allLogits, observer, recorder);
                m_backend.endStepRecording();
                step->recorded = done = true;
                step->routing = m_pendingRouting;
            }
        } catch (const std::exception& e) {
            // Nothing of the recording ran: run the step as is (the backend stops recording).
            m_backend.abortStepRecording(e.what());
        }
    }
    if (!done) {
        if (step)
            ++step->eagerSteps;
        queueOps(cache, tokens, n, allLogits, observer, recorder);
    }
    // The wait for the step (all of a replay's time) counts as Other.
    StageTimer timer(recorder, Stage::Other);
    const int64_t count = allLogits ? n : 1;
    DeviceTensor out = m_logits.rowsView(0, count);
    if (logits)
        m_backend.download(out, logits, out.bytes);
    else
        m_backend.synchronize(); // the step's routing copies land, as with a download
    if (recorder)
        for (size_t l = 0; l < m_pendingRouting.size(); ++l)
            if (m_pendingRouting[l].tokens > 0)
                recorder->recordRouting(int64_t(l), m_pendingRouting[l]);
    cache.commit(tokens, n);
}

} // namespace moe
