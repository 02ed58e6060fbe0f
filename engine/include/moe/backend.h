// moe/backend.h — the compute interface the runtime drives, shaped for devices.
//
// The runtime never dereferences a DeviceTensor's pointer: it allocates through the
// backend, moves data with explicit upload()/download(), and issues ops on a stream.
// The CPU backend runs ops synchronously on its thread pool; the CUDA backend (a shared
// library loaded at run time) queues them on its stream. Activations are F32 rows
// ([tokens, width], row-major); weights may be any DType the backend supports.
//
// Hot path rule: ops never allocate, lock or throw once `reserve()` has sized the
// backend's scratch for the largest batch.
#pragma once

#include "moe/dtype.h"
#include "moe/model_spec.h"
#include "moe/tensor.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace moe {

struct DeviceTensor {
    DType dtype = DType::F32;
    Shape shape;
    void* data = nullptr; // device memory (host memory for the CPU backend)
    uint64_t bytes = 0;
    bool owned = false;   // allocated by the backend (vs a view of mapped weights)

    int64_t rows() const { return shape.rows(); }
    int64_t cols() const { return shape.cols(); }
    // Row range [first, first + count) of a 2-D activation / weight (a view, not a copy).
    DeviceTensor rowsView(int64_t first, int64_t count) const;
    // A [rows, width] view of the start of an F32 scratch buffer sized for the widest
    // use (activations of different widths share one allocation).
    DeviceTensor leadingView(int64_t rows, int64_t width) const;
};

// Sizes the backend's scratch so ops never allocate while generating.
struct BackendReservation {
    int64_t maxTokens = 1;         // largest batch (prefill chunk)
    int64_t maxWidth = 0;          // widest activation row (max of hidden, q width, ffn width, vocab)
    int64_t numExperts = 0;
    int64_t topK = 0;
    int64_t expertWidth = 0;       // widest expert FFN (routed or shared)
    int64_t hiddenSize = 0;
    int64_t maxContext = 0;        // for attention score rows
    int64_t numHeads = 0;
};

// Routing of one batch: for token t, slot s: expert ids[t*k+s] with weight weights[t*k+s].
// Host-side copy filled by routeTopK for telemetry and tests.
struct RoutingView {
    const int32_t* expertIds = nullptr;
    const float* weights = nullptr;
    int64_t tokens = 0;
    int64_t topK = 0;
};

// When the caller reads routeTopK's host copy. A GPU backend that is not asked for it
// right away keeps running instead of waiting for the copy (a decode step then has no
// host round trip per layer); a host backend's copy is always there at once.
enum class RoutingHostCopy {
    Now,       // filled when routeTopK returns
    AfterSync, // filled by the next synchronize() or download(); kept per `slot`
    Never,     // no host copy (the view's arrays are null on a GPU backend)
};

struct RouterParams {
    int64_t topK = 1;
    RoutingHostCopy hostCopy = RoutingHostCopy::Now;
    int64_t slot = 0; // AfterSync: views of different slots (e.g. layers) stay valid together
    RouterScoring scoring = RouterScoring::Softmax;
    bool normTopkProb = false;
    double routedScalingFactor = 1.0;
    int64_t numGroups = 1;  // group-limited routing (DeepSeek); 1 = off
    int64_t topkGroups = 1;
    const DeviceTensor* selectionBias = nullptr; // [E] added for choice only (DeepSeek-V3)
};

// One SwiGLU expert: down( silu(gate x) * (up x) ). Weights [ffn, hidden], [ffn, hidden], [hidden, ffn].
struct ExpertWeights {
    DeviceTensor gate;
    DeviceTensor up;
    DeviceTensor down;
};

struct MoeFfnParams {
    const DeviceTensor* x = nullptr;                 // F32 [n, hidden] normed input
    const std::vector<ExpertWeights>* experts = nullptr;
    // Routing in this backend's memory (device memory on a GPU); each null = the last
    // routeTopK's.
    const int32_t* expertIds = nullptr;              // [n, topK]
    const float* expertWeights = nullptr;            // [n, topK]
    int64_t topK = 0;
    DeviceTensor* out = nullptr;                     // F32 [n, hidden]; the op ADDS into it
    bool routingOnHost = false;                      // ids and weights given in HOST memory (a GPU backend stages them)
};

struct AttentionParams {
    const DeviceTensor* q = nullptr;   // F32 [n, numHeads*headDim]
    const DeviceTensor* kCache = nullptr; // F32 [maxContext, numKvHeads*headDim]
    const DeviceTensor* vCache = nullptr;
    DeviceTensor* out = nullptr;       // F32 [n, numHeads*headDim]
    int64_t startPos = 0;              // position of the first of the n tokens
    int64_t numHeads = 0;
    int64_t numKvHeads = 0;
    int64_t headDim = 0;
    float scale = 1.f;                 // usually 1/sqrt(headDim)
};

// One next-token choice over a row of logits (Sampler's algorithm, moe/sampler.h): the
// `banned` tokens at -inf and the penalties applied to the tokens of the penalty window,
// then greedy (temperature <= 0: the highest logit, lowest id on ties) or the topK best
// (ties: lower id first) → softmax at `temperature` → min-p → top-p → the first candidate
// whose cumulative mass exceeds uniform * mass. Arrays are HOST memory, read before the
// op returns.
struct TokenChoice {
    float temperature = 0.f;
    int32_t topK = 0;                    // the device path needs 1..kMaxDeviceTopK when temperature > 0
    float topP = 1.f;
    float minP = 0.f;
    float repetitionPenalty = 1.f, frequencyPenalty = 0.f, presencePenalty = 0.f;
    const int32_t* banned = nullptr;
    int64_t bannedCount = 0;
    const int32_t* penaltyIds = nullptr;    // distinct tokens of the penalty window
    const int32_t* penaltyCounts = nullptr; // their occurrences in it
    int64_t penaltyCount = 0;
    double uniform = 0.0;                   // in [0, 1), drawn by the caller
};
inline constexpr int32_t kMaxDeviceTopK = 1024;

// Names a recorded step (see Backend::replayStep). Two steps under one key call the
// same ops on the same tensors with the same parameters, except for the position and
// the token ids, which the recording reads from memory the backend fills per replay.
struct StepKey {
    const void* owner = nullptr; // the caller (a ForwardPass)
    uint64_t cache = 0;          // its KV cache's id
    uint32_t variant = 0;        // the caller's own distinctions (telemetry on, all logits)
    bool operator<(const StepKey& o) const
    {
        if (owner != o.owner)
            return std::less<const void*>()(owner, o.owner);
        return cache != o.cache ? cache < o.cache : variant < o.variant;
    }
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual std::string name() const = 0;            // "cpu (2 threads, avx2)"
    virtual bool isHost() const = 0;                 // data pointers are host memory

    // ---- memory ----
    virtual DeviceTensor allocate(DType dtype, const Shape& shape) = 0; // throws Error(OutOfMemory)
    virtual void release(DeviceTensor& t) = 0;       // no-op for views
    // A weight ready for ops: the CPU backend keeps the mmap'ed bytes in place (no copy);
    // device backends upload.
    virtual DeviceTensor weight(const WeightView& w) = 0;
    virtual void upload(const void* host, DeviceTensor& dst, uint64_t bytes, uint64_t dstOffset = 0) = 0;
    virtual void download(const DeviceTensor& src, void* host, uint64_t bytes, uint64_t srcOffset = 0) = 0;
    virtual void synchronize() = 0;
    virtual void reserve(const BackendReservation& r) = 0;
    virtual int threadCount() const { return 1; }
    // Whether matmul() and embed() take weights of this type; the loader asks first so a
    // model the device cannot run fails at load, naming the tensor.
    virtual bool runsWeightType(DType t) const { (void)t; return true; }

    // ---- recorded steps (CUDA graphs) ----
    // A GPU spends more time launching a decode step's few hundred small kernels than
    // running them; recorded once, the step is replayed as one launch. Replays key's
    // recording for `tokens` [n] at `position`; false when there is none (the caller then
    // runs the ops, perhaps recording them). The step's results are read as usual after,
    // with a download(), which also frees the step's inputs for the next one.
    virtual bool replayStep(const StepKey& key, int64_t position, const int32_t* tokens, int64_t n)
    {
        (void)key, (void)position, (void)tokens, (void)n;
        return false;
    }
    // Starts recording the ops that follow (queued, not run; no download() or
    // synchronize() among them); false when this backend does not record.
    // endStepRecording() keeps the recording and runs it once; abortStepRecording() drops
    // it after an op failed (nothing of it ran: run the ops again) and stops recording.
    virtual bool beginStepRecording(const StepKey& key, int64_t position)
    {
        (void)key, (void)position;
        return false;
    }
    virtual void endStepRecording() {}
    virtual void abortStepRecording(const std::string& why) { (void)why; }
    // Drops owner's recordings (its tensors are going away).
    virtual void forgetSteps(const void* owner) { (void)owner; }
    // "on", or why steps are not recorded ("" for backends that never record).
    virtual std::string stepRecordingStatus() const { return ""; }

    // ---- ops ----
    // out[i] = table[tokens[i]] (table any dtype, [vocab, hidden]); tokens is HOST memory.
    virtual void embed(const DeviceTensor& table, const int32_t* tokens, int64_t n, DeviceTensor& out) = 0;
    // RMSNorm of each group of `groupSize` consecutive columns (groupSize = cols for a
    // whole-row norm, = headDim for per-head q/k norm); weight has groupSize elements
    // (per-head) or cols elements (whole row). In place allowed (out may alias x).
    virtual void rmsNorm(const DeviceTensor& x, const DeviceTensor& weight, float eps, int64_t groupSize,
                         DeviceTensor& out) = 0;
    // y[n, out] = x[n, in] · w[out, in]^T (+ bias[out]); w any dtype. Overwrites y.
    virtual void matmul(const DeviceTensor& x, const DeviceTensor& w, const DeviceTensor* bias, DeviceTensor& y) = 0;
    // Rotary embedding in place over x [n, heads*headDim]; token i at position startPos + i.
    virtual void rope(DeviceTensor& x, int64_t startPos, int64_t heads, int64_t headDim, int64_t rotaryDim,
                      float theta, RopeLayout layout) = 0;
    // Writes k/v [n, kvWidth] into cache rows [startPos, startPos + n).
    virtual void storeKv(const DeviceTensor& k, const DeviceTensor& v, DeviceTensor& kCache, DeviceTensor& vCache,
                         int64_t startPos) = 0;
    // Causal grouped-query attention of n queries over cache rows [0, startPos + i].
    virtual void attention(const AttentionParams& p) = 0;
    // x += y (same shape).
    virtual void add(DeviceTensor& x, const DeviceTensor& y) = 0;
    // x[i] += rowScale[i] * y[i] per row; rowScale is F32 [n, 1] (Qwen2-MoE shared expert gate).
    virtual void addScaledRows(DeviceTensor& x, const DeviceTensor& y, const DeviceTensor& rowScale) = 0;
    // out = silu(gate) * up, elementwise over [n, w].
    virtual void swiglu(const DeviceTensor& gate, const DeviceTensor& up, DeviceTensor& out) = 0;
    // x = sigmoid(x) elementwise.
    virtual void sigmoid(DeviceTensor& x) = 0;
    // x = 0 (any F32 tensor or view).
    virtual void zero(DeviceTensor& x) = 0;
    // dst row i = src row rows[i] for i < count (F32, equal widths). `rows` is HOST
    // memory, read before the op returns (a GPU backend stages it).
    virtual void gatherRows(const DeviceTensor& src, const int32_t* rows, int64_t count, DeviceTensor& dst) = 0;
    // dst row rows[i] += src row i for i < count, in order of i (rows may repeat, so the
    // sums are deterministic); `rows` HOST memory as for gatherRows.
    virtual void scatterAddRows(DeviceTensor& dst, const int32_t* rows, int64_t count, const DeviceTensor& src) = 0;
    // out[r] = sum over c of x[r, c]^2 (out F32 [n, 1]; the CPU sums in double).
    virtual void rowSumSquares(const DeviceTensor& x, DeviceTensor& out) = 0;
    // x[r, c] *= weight[c] / sqrt(sumSq[r] / width + eps): the second half of an RMSNorm
    // whose sum of squares spans `width` columns held on several devices (OLMoE's q / k
    // norm under tensor parallelism, after an all-reduce of rowSumSquares).
    virtual void scaleByRms(DeviceTensor& x, const DeviceTensor& sumSq, int64_t width, float eps,
                            const DeviceTensor& weight) = 0;
    // Router: logits [n, E] → expert ids / weights [n, topK] kept in the backend's
    // routing scratch (sized by reserve()). The returned view is a host copy for
    // telemetry and tests, filled as p.hostCopy asks and valid until the next
    // routeTopK (AfterSync: the next one with the same slot).
    virtual RoutingView routeTopK(const DeviceTensor& logits, const RouterParams& p) = 0;
    // Grouped SwiGLU experts: tokens gathered per expert, one matmul per expert, weighted
    // scatter-add into p.out. Uses the last routeTopK result when p.expertIds is null.
    virtual void moeExperts(const MoeFfnParams& p) = 0;
    // The next token chosen from logits row [1, vocab] (see TokenChoice), or -1 when this
    // backend does not sample (the caller downloads the logits and samples on the host).
    // A GPU sends 4 bytes to the host instead of the whole row.
    virtual int32_t sampleToken(const DeviceTensor& logits, const TokenChoice& c)
    {
        (void)logits;
        (void)c;
        return -1;
    }
};

struct CpuBackendOptions {
    int threads = 0; // 0 = hardware concurrency
};

std::unique_ptr<Backend> createCpuBackend(const CpuBackendOptions& options = {});

// The CUDA backend lives in a library of its own (libmoe_cuda.so, built from kernels/
// when the toolkit is found) that is opened on first use. Status never throws; it says
// which library was opened, or why none could be.
struct CudaBackendStatus {
    bool loaded = false;
    std::string library;   // the path opened (or tried)
    std::string buildInfo; // "CUDA 13.0, cuBLAS ..., NCCL ..., sm_90"
    std::string reason;    // why not loaded ("" when loaded)
};
CudaBackendStatus cudaBackendStatus();
// The backend on CUDA device `device`. Throws Error naming why not: no backend library,
// no driver, no such device (with the devices there are), or out of device memory.
std::unique_ptr<Backend> createCudaBackend(int device);

} // namespace moe
