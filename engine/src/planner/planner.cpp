// planDeployment(): memory per GPU, decode / prefill roofline and cost. Every figure
// is per pipeline stage, on one GPU of that stage; the worst stage sets the answer.
#include "layer_costs.h"

#include "moe/error.h"
#include "moe/planner.h"

#include <algorithm>
#include <cmath>

namespace moe {

using detail::LayerCost;
using detail::ModelCosts;

namespace {

constexpr double kActivationBytes = 2.0; // BF16 activations on the wire and in buffers
constexpr double kHoursPerMonth = 730.0;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The layers [first, last) of one pipeline stage and their per-GPU share.
struct Stage {
    int64_t first = 0, last = 0;
    bool holdsEmbedding = false, holdsHead = false;
    MemoryBreakdown memory;        // weights only until KV / activations are added
    double kvBytesPerSequence = 0; // per GPU, at the context length
};

struct Shares {
    double attention;  // tensor-parallel degree of attention / dense layers
    double moe;        // GPUs sharing one MoE layer
    double kv;         // ways the KV heads are split
};

Shares sharesOf(const PlanInput& in)
{
    const ModelSpec& s = in.model.spec;
    // MLA caches one latent per token that every TP rank needs: vLLM / SGLang keep a
    // full copy per rank, which is why DP attention exists. GQA splits the KV heads;
    // beyond numKvHeads ranks the heads are replicated.
    const double kv = s.usesMla() ? 1.0 : double(std::min(in.layout.tp, s.numKvHeads));
    return {double(in.layout.tp), double(in.layout.moeGroupSize()), kv};
}

double effectiveContext(const LayerCost& c, const PlanModel& m, int64_t context)
{
    return c.slidingWindow ? double(std::min(context, m.slidingWindow)) : double(context);
}

Stage stageWeights(const PlanInput& in, const ModelCosts& mc, int64_t index)
{
    const int64_t layers = in.model.spec.numLayers, pp = in.layout.pp;
    Stage st;
    st.first = index * layers / pp;
    st.last = (index + 1) * layers / pp;
    st.holdsEmbedding = index == 0;
    st.holdsHead = index == pp - 1;
    const Shares sh = sharesOf(in);
    for (int64_t l = st.first; l < st.last; ++l) {
        const LayerCost& c = mc.layers[size_t(l)];
        st.memory.attentionWeights += c.attentionBytes / sh.attention;
        st.memory.expertWeights += c.routedBytes / sh.moe;
        st.memory.sharedExpertWeights += c.sharedBytes / sh.attention;
        st.memory.otherWeights += c.otherBytes;
        st.kvBytesPerSequence += c.kvBytesPerToken * effectiveContext(c, in.model, in.contextTokens) / sh.kv;
    }
    // Vocabulary-parallel embedding and head (vLLM VocabParallelEmbedding / ParallelLMHead).
    if (st.holdsEmbedding)
        st.memory.embeddings += mc.tokenEmbeddingBytes / sh.attention;
    if (st.holdsHead) {
        const bool sharedWithEmbedding = in.model.spec.tieWordEmbeddings;
        if (!sharedWithEmbedding || !st.holdsEmbedding)
            st.memory.embeddings += (sharedWithEmbedding ? mc.tokenEmbeddingBytes : mc.lmHeadBytes) / sh.attention;
        st.memory.otherWeights += mc.finalNormBytes;
    }
    return st;
}

// Peak activations of a forward pass over maxBatchedTokens (vLLM profiles exactly
// this): residual + norm + attention in/out buffers, the widest FFN intermediate
// (gate, up, product) and FP32 logits for up to 256 sampled rows.
double activationBytes(const PlanInput& in)
{
    const ModelSpec& s = in.model.spec;
    const Shares sh = sharesOf(in);
    const double t = double(in.overheads.maxBatchedTokens), h = double(s.hiddenSize);
    const double attnWidth = double(s.numHeads * s.qHeadDim() + 2 * s.numKvHeads * s.headDim) / sh.attention;
    double ffn = double(s.intermediateSize) / sh.attention;
    if (s.isMoe()) {
        ffn = std::max(ffn, double(s.numExpertsPerToken * s.moeIntermediateSize) / sh.moe);
        ffn = std::max(ffn, double(std::max(s.sharedExpertIntermediateSize, s.numSharedExperts * s.moeIntermediateSize)) /
                                sh.attention);
    }
    const double logits = double(std::min<int64_t>(in.overheads.maxBatchedTokens, 256)) * double(s.vocabSize) /
                          sh.attention * 4.0;
    return t * kActivationBytes * (4 * h + attnWidth + 3 * ffn) + logits;
}

const InterconnectSpec& linkFor(const PlanInput& in, int64_t groupSize)
{
    return groupSize <= in.gpu.gpusPerNode ? in.scaleUp : in.scaleOut;
}

double transferSeconds(const InterconnectSpec& link, double bytes)
{
    return link.latencyMicroseconds * 1e-6 + bytes / (link.bandwidthGbPerSecond * 1e9);
}

// Ring all-reduce: each GPU sends and receives 2(n − 1)/n of the message.
double allReduceSeconds(const PlanInput& in, int64_t n, double bytes)
{
    if (n <= 1)
        return 0;
    return transferSeconds(linkFor(in, n), 2.0 * double(n - 1) / double(n) * bytes);
}

struct StepFigures {
    double seconds = 0, memory = 0, compute = 0, allReduce = 0, allToAll = 0, pipeline = 0;
    double weightBytes = 0, kvBytes = 0, flops = 0, distinctExperts = 0;
};

// One forward step of a stage on one GPU: `tokens` new tokens per attention rank
// (decode: one per sequence; prefill: the prompt), each attending to `context` tokens.
StepFigures stageStep(const PlanInput& in, const ModelCosts& mc, const Stage& st, double tokens, double sequences,
                      double contextPerToken)
{
    const ModelSpec& s = in.model.spec;
    const Shares sh = sharesOf(in);
    const ParallelLayout& lay = in.layout;
    const double tokensAtMoe = tokens * (lay.dpAttention ? double(lay.dp) : 1.0);
    StepFigures f;
    f.distinctExperts = s.isMoe() ? expectedDistinctExperts(s.numExperts, s.numExpertsPerToken, tokensAtMoe) : 0;
    const double touched = s.isMoe() ? f.distinctExperts / double(s.numExperts) : 0;
    const double k = double(s.numExpertsPerToken), h = double(s.hiddenSize);
    const int64_t moeN = lay.moeGroupSize();
    for (int64_t l = st.first; l < st.last; ++l) {
        const LayerCost& c = mc.layers[size_t(l)];
        f.flops += 2 * tokens * (c.attentionParams + c.sharedParams) / sh.attention;
        f.flops += tokens * effectiveContext(c, in.model, int64_t(contextPerToken)) * c.attentionFlopsPerContextToken /
                   sh.attention;
        f.kvBytes += sequences * c.kvBytesPerToken * effectiveContext(c, in.model, int64_t(contextPerToken)) / sh.kv;
        const double msg = tokens * h * kActivationBytes;
        f.allReduce += allReduceSeconds(in, lay.tp, msg); // attention output
        if (!c.moe) {
            f.allReduce += allReduceSeconds(in, lay.tp, msg);
            continue;
        }
        f.flops += 2 * tokensAtMoe * k * c.expertParams / sh.moe;
        if (lay.ep > 1) {
            // Dispatch + combine: each GPU sends its tokens' k copies, (ep − 1)/ep of them off-GPU.
            const double bytes = tokensAtMoe / double(moeN) * k * h * kActivationBytes * double(lay.ep - 1) / double(lay.ep);
            f.allToAll += 2 * transferSeconds(linkFor(in, moeN), bytes);
        } else {
            f.allReduce += allReduceSeconds(in, moeN, tokensAtMoe * h * kActivationBytes);
        }
    }
    f.weightBytes = st.memory.attentionWeights + st.memory.sharedExpertWeights + st.memory.otherWeights +
                    st.memory.expertWeights * touched;
    if (st.holdsHead) {
        f.weightBytes += (s.tieWordEmbeddings ? mc.tokenEmbeddingBytes : mc.lmHeadBytes) / sh.attention;
        f.flops += 2 * sequences * mc.lmHeadParams / sh.attention; // logits of the last token only
    }
    if (lay.pp > 1)
        f.pipeline = transferSeconds(linkFor(in, lay.tp * lay.dp * 2), tokens * h * kActivationBytes);
    const double bandwidth = in.gpu.memoryBandwidthGbPerSecond * 1e9 * in.overheads.bandwidthEfficiency;
    const double flopRate = in.gpu.tflopsFor(quantFormat(in.weightFormat).computeDType) * 1e12 *
                            in.overheads.computeEfficiency;
    f.memory = (f.weightBytes + f.kvBytes) / bandwidth;
    f.compute = f.flops / flopRate;
    // Memory and compute overlap within a kernel; collectives are not overlapped
    // (vLLM decode without dual-batch overlap).
    f.seconds = std::max(f.memory, f.compute) + f.allReduce + f.allToAll + f.pipeline;
    return f;
}

std::vector<Stage> buildStages(const PlanInput& in, const ModelCosts& mc, double activations, double& worstMargin,
                               size_t& worstIndex)
{
    std::vector<Stage> stages;
    const double usable = double(in.gpu.memoryBytes) * in.overheads.usableMemoryFraction;
    const double sequencesPerRank = double(ceilDiv(in.batch, in.layout.dp));
    worstMargin = 0;
    worstIndex = 0;
    for (int64_t i = 0; i < in.layout.pp; ++i) {
        Stage st = stageWeights(in, mc, i);
        st.memory.kvCache = st.kvBytesPerSequence * sequencesPerRank;
        st.memory.activations = activations;
        st.memory.overhead = double(in.overheads.cudaContextBytes + in.overheads.workspaceBytes);
        const double margin = usable - st.memory.total();
        if (i == 0 || margin < worstMargin) {
            worstMargin = margin;
            worstIndex = size_t(i);
        }
        stages.push_back(st);
    }
    return stages;
}

} // namespace

double expectedDistinctExperts(int64_t experts, int64_t topK, double tokens)
{
    if (experts <= 0 || topK <= 0 || tokens <= 0)
        return 0;
    const double e = double(experts);
    return e * (1.0 - std::pow(1.0 - double(topK) / e, tokens));
}

double usdPerMillionTokens(double usdPerHour, double tokensPerSecond)
{
    return tokensPerSecond > 0 ? usdPerHour / (tokensPerSecond * 3600.0) * 1e6 : 0.0;
}

double sequenceKvBytes(const PlanModel& model, int64_t contextTokens, double bytesPerElement)
{
    const ModelCosts mc = detail::modelCosts(model, QuantFormatId::BF16, bytesPerElement);
    double total = 0;
    for (const LayerCost& c : mc.layers)
        total += c.kvBytesPerToken * effectiveContext(c, model, contextTokens);
    return total;
}

WeightBytes modelWeightBytes(const ModelSpec& spec, QuantFormatId format)
{
    PlanModel m;
    m.spec = spec;
    const ModelCosts mc = detail::modelCosts(m, format, 2.0);
    WeightBytes w;
    for (const LayerCost& c : mc.layers) {
        w.attention += c.attentionBytes;
        (c.moe ? w.sharedExperts : w.denseFfn) += c.sharedBytes;
        w.routedExperts += c.routedBytes;
        w.routerAndNorms += c.otherBytes;
    }
    w.tokenEmbedding = mc.tokenEmbeddingBytes;
    w.lmHead = mc.lmHeadBytes;
    w.routerAndNorms += mc.finalNormBytes;
    return w;
}

std::string ParallelLayout::describe() const
{
    std::string s = "TP" + std::to_string(tp);
    if (ep > 1)
        s += " EP" + std::to_string(ep);
    if (pp > 1)
        s += " PP" + std::to_string(pp);
    if (dp > 1)
        s += (dpAttention ? " DP-attn" : " DP") + std::to_string(dp);
    return s;
}

PlanResult planDeployment(const PlanInput& in)
{
    validatePlanInput(in);
    const ModelSpec& s = in.model.spec;
    const ModelCosts mc = detail::modelCosts(in.model, in.weightFormat, in.kvBytesPerElement);
    PlanResult r;
    r.modelWeights = modelWeightBytes(s, in.weightFormat);
    r.kvBytesPerToken = double(s.kvBytesPerToken(in.kvBytesPerElement));
    r.usableBytesPerGpu = double(in.gpu.memoryBytes) * in.overheads.usableMemoryFraction;

    size_t worst = 0;
    const std::vector<Stage> stages = buildStages(in, mc, activationBytes(in), r.marginBytes, worst);
    r.perGpu = stages[worst].memory;
    r.fits = r.marginBytes >= 0;

    // Concurrent sequences: what the tightest stage's free memory holds, per rank.
    int64_t perRank = -1;
    for (const Stage& st : stages) {
        const double free = r.usableBytesPerGpu - (st.memory.total() - st.memory.kvCache);
        const int64_t n = free <= 0 ? 0 : int64_t(std::floor(free / std::max(st.kvBytesPerSequence, 1.0)));
        perRank = perRank < 0 ? n : std::min(perRank, n);
    }
    r.maxConcurrentSequences = std::max<int64_t>(perRank, 0) * in.layout.dp;

    // Decode: each rank's sequences in pp micro-batches; a token crosses every stage.
    const double perRankSequences = double(ceilDiv(in.batch, in.layout.dp));
    const double micro = double(ceilDiv(int64_t(perRankSequences), in.layout.pp));
    StepFigures slowest;
    for (const Stage& st : stages) {
        const StepFigures f = stageStep(in, mc, st, micro, micro, double(in.contextTokens));
        if (f.seconds > slowest.seconds)
            slowest = f;
    }
    DecodeEstimate& d = r.decode;
    d.stepSeconds = slowest.seconds;
    d.memorySeconds = slowest.memory;
    d.computeSeconds = slowest.compute;
    d.allReduceSeconds = slowest.allReduce;
    d.allToAllSeconds = slowest.allToAll;
    d.pipelineSeconds = slowest.pipeline;
    d.distinctExpertsPerLayer = slowest.distinctExperts;
    d.weightBytesReadPerGpu = slowest.weightBytes;
    d.kvBytesReadPerGpu = slowest.kvBytes;
    d.flopsPerGpu = slowest.flops;
    d.computeBound = slowest.compute > slowest.memory;
    d.tokensPerSecondPerSequence = 1.0 / (double(in.layout.pp) * slowest.seconds);
    d.tokensPerSecond = double(in.batch) * d.tokensPerSecondPerSequence;

    // Prefill of one prompt alone: stages run one after the other; causal attention
    // sees on average half the prompt.
    PrefillEstimate& p = r.prefill;
    p.promptTokens = in.promptTokens > 0 ? in.promptTokens : std::max<int64_t>(1, in.contextTokens / 2);
    bool computeBound = true;
    for (const Stage& st : stages) {
        const StepFigures f = stageStep(in, mc, st, double(p.promptTokens), 1.0, double(p.promptTokens) / 2.0);
        p.timeToFirstTokenSeconds += f.seconds;
        computeBound = computeBound && f.compute > f.memory;
    }
    p.computeBound = computeBound;
    p.tokensPerSecond = double(p.promptTokens) / p.timeToFirstTokenSeconds;

    CostEstimate& c = r.cost;
    c.usdPerHour = in.usdPerGpuHour * double(in.gpuCount);
    c.usdPerMillionTokens = usdPerMillionTokens(c.usdPerHour, d.tokensPerSecond);
    c.usdPerMonth = c.usdPerHour * kHoursPerMonth;
    if (in.qualityScore > 0)
        c.usdPerMillionTokensPerQualityPoint = c.usdPerMillionTokens / in.qualityScore;

    if (in.contextTokens > s.maxContext)
        r.notes.push_back("context " + std::to_string(in.contextTokens) + " exceeds the model's max_position_embeddings " +
                          std::to_string(s.maxContext));
    if (r.maxConcurrentSequences < in.batch)
        r.notes.push_back("memory holds KV for " + std::to_string(r.maxConcurrentSequences) + " sequences of " +
                          std::to_string(in.contextTokens) + " tokens, fewer than the batch of " + std::to_string(in.batch));
    return r;
}

} // namespace moe
