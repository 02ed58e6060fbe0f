// moe/planner.h — the what-if planner: memory per GPU, GPU count, decode / prefill
// speed and cost of serving a model (a ModelSpec from the catalog, a config.json or a
// GGUF file) on a GPU type, interconnect and parallel layout (TP, EP, PP, DP attention).
//
// Everything is a closed-form model a user can check by hand: weight bytes from the
// shapes and the bytes-per-weight table (moe/quant_formats.h), KV from the spec, a
// roofline for decode (bytes actually read — with B tokens an MoE layer touches
// E·(1 − (1 − k/E)^B) distinct experts — and FLOPs against the GPU's figures), and
// collectives from the link's bandwidth and latency. The same code plans a catalog
// entry and a model on disk, so `moe plan --validate` can hold it against `moe bench`.
#pragma once

#include "moe/model_spec.h"
#include "moe/quant_formats.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moe {

// A GPU type from resources/catalog/gpus.json. Rates are dense (no 2:4 sparsity).
struct GpuSpec {
    std::string key;  // "h100-sxm"
    std::string name; // "NVIDIA H100 SXM5 80GB"
    uint64_t memoryBytes = 0;
    double memoryBandwidthGbPerSecond = 0; // 1e9 bytes / s
    double tflopsBf16 = 0;
    double tflopsFp8 = 0;  // 0: no FP8 tensor cores (runs at the BF16 rate)
    double tflopsInt8 = 0; // 0: runs at the BF16 rate
    std::string scaleUpLink;  // interconnect key of the in-node link ("nvlink4")
    int64_t gpusPerNode = 8;  // GPUs the scale-up link joins
    double usdPerHour = 0;    // default on-demand price per GPU-hour (editable)

    double tflopsFor(ComputeDType dtype) const;
};

// A link from resources/catalog/interconnects.json (or --interconnect-bw/-latency).
struct InterconnectSpec {
    std::string key;  // "nvlink4"
    std::string name;
    double bandwidthGbPerSecond = 0; // per GPU, per direction
    double latencyMicroseconds = 0;  // one small-message collective on this link
};

// What the planner needs of a model beyond its shapes.
struct PlanModel {
    ModelSpec spec;
    std::string key;              // catalog key, or the path it came from
    int64_t slidingWindow = 0;    // tokens; 0 = every layer attends to the whole context
    int64_t slidingWindowLayers = 0; // layers with the window (gpt-oss: every other layer)
};

struct Catalog {
    std::string directory;
    struct Model {
        PlanModel model;
        std::vector<std::string> aliases;
    };
    std::vector<Model> models;
    std::vector<GpuSpec> gpus;
    std::vector<InterconnectSpec> interconnects;

    const Model* findModel(const std::string& key) const; // key or alias, any case
    const GpuSpec* findGpu(const std::string& key) const;
    const InterconnectSpec* findInterconnect(const std::string& key) const;
};

// Reads models.json, gpus.json and interconnects.json from `directory`. Errors name
// the file and the field ("models.json", "models[3].config.hidden_size").
Catalog loadCatalog(const std::string& directory);
// $MOE_CATALOG_DIR, then next to the executable (../share/moe-workbench/catalog,
// ./catalog, ../resources/catalog), then the source tree this was built from.
// Throws Error(Io) listing the places tried.
std::string findCatalogDirectory();

// TP shards attention and dense layers; EP splits the routed experts of a stage into
// `ep` groups; PP splits the layers into stages; DP adds replicas. With dpAttention
// the DP ranks keep their own attention (and KV) but share the MoE layers, which are
// then sharded over tp × dp GPUs. GPUs = tp × pp × dp.
struct ParallelLayout {
    int64_t tp = 1;
    int64_t ep = 1;
    int64_t pp = 1;
    int64_t dp = 1;
    bool dpAttention = false;

    int64_t gpuCount() const { return tp * pp * dp; }
    int64_t moeGroupSize() const { return tp * (dpAttention ? dp : 1); }
    std::string describe() const; // "TP4 EP4 PP1"
};

// vLLM-like serving overheads. Efficiencies turn the roofline's peaks into what a
// tuned server reaches; set them to 1 for the pure roofline.
struct RuntimeOverheads {
    double usableMemoryFraction = 0.90;          // vLLM gpu_memory_utilization default
    uint64_t cudaContextBytes = 512ull << 20;    // CUDA context + kernels, per GPU
    uint64_t workspaceBytes = 1ull << 30;        // cuBLAS / NCCL / CUDA-graph buffers, per GPU
    int64_t maxBatchedTokens = 8192;             // activation peak sized at this many tokens
    double bandwidthEfficiency = 0.80;           // achieved / peak HBM bandwidth in decode
    double computeEfficiency = 0.60;             // achieved / peak dense TFLOPS in prefill
};

struct PlanInput {
    PlanModel model;
    QuantFormatId weightFormat = QuantFormatId::BF16;
    double kvBytesPerElement = 2.0; // BF16 cache; FP8 cache = 1
    int64_t contextTokens = 4096;   // KV length a sequence reaches
    int64_t promptTokens = 0;       // prompt for TTFT; 0 = half the context
    int64_t batch = 1;              // concurrent sequences
    GpuSpec gpu;
    int64_t gpuCount = 1;
    ParallelLayout layout;
    InterconnectSpec scaleUp;       // inside a node
    InterconnectSpec scaleOut;      // between nodes (collectives that span nodes use it)
    double usdPerGpuHour = 0;
    double qualityScore = 0;        // benchmark score, 0 = none
    RuntimeOverheads overheads;
};

// Checks the input; throws Error(InvalidArgument) naming the field and the number.
void validatePlanInput(const PlanInput& input);

// Weight bytes of the whole model in a format, by component.
struct WeightBytes {
    double attention = 0;
    double routedExperts = 0;
    double sharedExperts = 0;
    double denseFfn = 0;
    double tokenEmbedding = 0;
    double lmHead = 0;
    double routerAndNorms = 0;
    double total() const { return attention + routedExperts + sharedExperts + denseFfn + tokenEmbedding + lmHead + routerAndNorms; }
};
WeightBytes modelWeightBytes(const ModelSpec& spec, QuantFormatId format);

// E·(1 − (1 − k/E)^B): distinct experts a layer reads for B tokens routed uniformly.
double expectedDistinctExperts(int64_t experts, int64_t topK, double tokens);

// KV bytes of one sequence of `contextTokens` over the whole model.
double sequenceKvBytes(const PlanModel& model, int64_t contextTokens, double bytesPerElement);

struct MemoryBreakdown { // bytes on the most loaded GPU
    double attentionWeights = 0;
    double expertWeights = 0;
    double sharedExpertWeights = 0; // shared experts and dense FFN layers
    double embeddings = 0;          // token embedding + LM head
    double otherWeights = 0;        // router, norms
    double kvCache = 0;
    double activations = 0;
    double overhead = 0;            // CUDA context + workspace
    double weights() const { return attentionWeights + expertWeights + sharedExpertWeights + embeddings + otherWeights; }
    double total() const { return weights() + kvCache + activations + overhead; }
};

struct DecodeEstimate {
    double stepSeconds = 0;      // one pipeline stage's step
    double memorySeconds = 0;
    double computeSeconds = 0;
    double allReduceSeconds = 0;
    double allToAllSeconds = 0;
    double pipelineSeconds = 0;
    double distinctExpertsPerLayer = 0;
    double weightBytesReadPerGpu = 0;
    double kvBytesReadPerGpu = 0;
    double flopsPerGpu = 0;
    bool computeBound = false;
    double tokensPerSecondPerSequence = 0;
    double tokensPerSecond = 0;  // aggregate over the batch
};

struct PrefillEstimate {
    int64_t promptTokens = 0;
    double tokensPerSecond = 0;
    double timeToFirstTokenSeconds = 0;
    bool computeBound = false;
};

struct CostEstimate {
    double usdPerHour = 0;
    double usdPerMillionTokens = 0; // output tokens at the aggregate decode rate
    double usdPerMonth = 0;         // 730 hours
    double usdPerMillionTokensPerQualityPoint = 0; // 0 without a score
};

struct PlanResult {
    WeightBytes modelWeights;       // whole model
    double kvBytesPerToken = 0;     // whole model, at the input's KV dtype
    double usableBytesPerGpu = 0;   // memory × usable fraction
    MemoryBreakdown perGpu;
    bool fits = false;
    double marginBytes = 0;         // usable − used; negative = short by
    int64_t maxConcurrentSequences = 0; // at contextTokens, whole deployment
    DecodeEstimate decode;
    PrefillEstimate prefill;
    CostEstimate cost;
    std::vector<std::string> notes; // warnings worth printing (context beyond the model's, ...)
};

PlanResult planDeployment(const PlanInput& input);

// usd/hour ÷ (tokens/s × 3600) × 1e6.
double usdPerMillionTokens(double usdPerHour, double tokensPerSecond);

// The fewest GPUs of `input.gpu` that fit the input's model, context and batch, for
// each layout family (TP, TP+PP, TP+EP, DP-attention+EP). Families that cannot fit
// within `maxGpus` are left out.
struct LayoutOption {
    std::string family;
    ParallelLayout layout;
    GpuSpec gpu;
    PlanResult result;
};
std::vector<LayoutOption> fewestGpusPerLayout(const PlanInput& input, int64_t maxGpus = 64);
// Layouts over every catalog GPU that fit, cheapest per hour first (ties: $/Mtok).
std::vector<LayoutOption> cheapestFittingLayouts(const PlanInput& input, const Catalog& catalog, size_t limit = 10,
                                                 int64_t maxGpus = 64);

} // namespace moe
