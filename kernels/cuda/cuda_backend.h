// CudaBackend: the engine's Backend on one NVIDIA GPU. Ops are queued on one stream;
// only download(), synchronize(), routeTopK() asked for its host copy now, and the
// routed experts of a batch above kGemvMaxTokens tokens (grouped per expert on the
// host) wait for it. Dense matmuls use our GEMV for up to kGemvMaxTokens rows and
// cuBLAS above that; a decode step's experts run as GEMVs that find each expert's
// weights on the device (moe_gemv.cuh); everything else is a kernel of kernels/cuda/.
//
// Every device buffer the backend allocates is tracked, so a load that fails half way
// (out of memory, cancelled) frees what it had uploaded when the backend goes away.
#pragma once

#include "moe/backend.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "moe_gemv.cuh"

#include <array>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace moe::cuda {

// A device buffer that grows (never shrinks) to the largest size asked.
struct DeviceScratch {
    void* data = nullptr;
    size_t bytes = 0;
};

// Pinned host memory, for copies the GPU can do asynchronously.
struct PinnedScratch {
    void* data = nullptr;
    size_t bytes = 0;
};

class CudaBackend final : public Backend {
public:
    explicit CudaBackend(int device);
    ~CudaBackend() override;

    std::string name() const override { return m_name; }
    bool isHost() const override { return false; }
    DeviceTensor allocate(DType dtype, const Shape& shape) override;
    void release(DeviceTensor& t) override;
    DeviceTensor weight(const WeightView& w) override;
    void upload(const void* host, DeviceTensor& dst, uint64_t bytes, uint64_t dstOffset) override;
    void download(const DeviceTensor& src, void* host, uint64_t bytes, uint64_t srcOffset) override;
    void synchronize() override;
    void reserve(const BackendReservation& r) override;
    bool runsWeightType(DType t) const override;

    void embed(const DeviceTensor& table, const int32_t* tokens, int64_t n, DeviceTensor& out) override;
    void rmsNorm(const DeviceTensor& x, const DeviceTensor& weight, float eps, int64_t groupSize,
                 DeviceTensor& out) override;
    void matmul(const DeviceTensor& x, const DeviceTensor& w, const DeviceTensor* bias, DeviceTensor& y) override;
    void rope(DeviceTensor& x, int64_t startPos, int64_t heads, int64_t headDim, int64_t rotaryDim, float theta,
              RopeLayout layout) override;
    void storeKv(const DeviceTensor& k, const DeviceTensor& v, DeviceTensor& kCache, DeviceTensor& vCache,
                 int64_t startPos) override;
    void attention(const AttentionParams& p) override;
    void add(DeviceTensor& x, const DeviceTensor& y) override;
    void addScaledRows(DeviceTensor& x, const DeviceTensor& y, const DeviceTensor& rowScale) override;
    void swiglu(const DeviceTensor& gate, const DeviceTensor& up, DeviceTensor& out) override;
    void sigmoid(DeviceTensor& x) override;
    void zero(DeviceTensor& x) override;
    void gatherRows(const DeviceTensor& src, const int32_t* rows, int64_t count, DeviceTensor& dst) override;
    void scatterAddRows(DeviceTensor& dst, const int32_t* rows, int64_t count, const DeviceTensor& src) override;
    void rowSumSquares(const DeviceTensor& x, DeviceTensor& out) override;
    void scaleByRms(DeviceTensor& x, const DeviceTensor& sumSq, int64_t width, float eps,
                    const DeviceTensor& weight) override;
    RoutingView routeTopK(const DeviceTensor& logits, const RouterParams& p) override;
    void moeExperts(const MoeFfnParams& p) override;
    int32_t sampleToken(const DeviceTensor& logits, const TokenChoice& c) override;

    // Recorded steps as CUDA graphs (stream capture). rope, storeKv and attention read
    // the position from device memory while recording, and embed the token ids from its
    // pinned buffer, so a replay only writes those two and launches the graph.
    // MOE_CUDA_GRAPHS=0 in the environment switches recording off.
    bool replayStep(const StepKey& key, int64_t position, const int32_t* tokens, int64_t n) override;
    bool beginStepRecording(const StepKey& key, int64_t position) override;
    void endStepRecording() override;
    void abortStepRecording(const std::string& why) override;
    void forgetSteps(const void* owner) override;
    std::string stepRecordingStatus() const override;

private:
    // One layer's expert weight pointers in device memory, for the decode-step kernels.
    struct ExpertTable {
        std::vector<const void*> host; // gate[E], up[E], down[E]: what `pointers` holds
        std::vector<std::array<int64_t, 7>> signatures; // per expert: the 3 dtypes, then gate's and down's shapes
        void* device = nullptr;
        ExpertPointers pointers;
        int64_t width = 0;
        bool usable = false; // one type for all gate / up, one for all down, one width
    };
    const ExpertTable& expertTable(const std::vector<ExpertWeights>& experts);
    void moeExpertsGrouped(const MoeFfnParams& p, const int32_t* deviceIds, const float* gateWeights, int64_t ffn);
    void* deviceAlloc(size_t bytes, const char* what);
    void deviceFree(void* p);
    void ensure(DeviceScratch& s, size_t bytes, const char* what);
    void ensure(PinnedScratch& s, size_t bytes, const char* what);
    void waitForPinned(); // before the host rewrites a pinned buffer a copy may still read
    // Several GPUs are driven from one thread: every op first makes its device current.
    void makeCurrent() const;
    // Copies `count` int32 / float values from the host into device scratch through a
    // pinned buffer (asynchronously; the pinned buffer is free again at m_pinnedFree).
    const void* stageFromHost(const void* host, size_t bytes, PinnedScratch& pinned, DeviceScratch& device,
                              const char* op);
    void checkRows(const char* op, const int32_t* rows, int64_t count, const DeviceTensor& indexed,
                   const DeviceTensor& packed) const;
    void cublasMatmul(const DeviceTensor& x, const DeviceTensor& w, DeviceTensor& y);
    [[noreturn]] void badArgument(const char* op, const std::string& what) const;
    // Ops that wait for the GPU or allocate cannot be part of a recording.
    void requireNotRecording(const char* op) const;
    void checkTokens(const int32_t* tokens, int64_t n, int64_t vocab) const;
    // Destroys every recording: a scratch buffer or expert table they use moves.
    void dropGraphs();
    const int64_t* stepPosition() const
    {
        return m_recording ? static_cast<const int64_t*>(m_devicePos.data) : nullptr;
    }

    int m_device = 0;
    std::string m_label; // "cuda:0"
    std::string m_name;  // "cuda:0 (NVIDIA H100 80GB HBM3, compute 9.0)"
    cudaStream_t m_stream = nullptr;
    cublasHandle_t m_cublas = nullptr;
    cudaEvent_t m_pinnedFree = nullptr;
    std::unordered_set<void*> m_live; // every device buffer allocate()/weight() handed out

    DeviceScratch m_tokens;      // int32 token ids of embed()
    DeviceScratch m_act16;       // activations as F16 / BF16 for cuBLAS
    DeviceScratch m_weight16;    // a Q8_0 / Q4_0 weight dequantised to F16 for cuBLAS
    DeviceScratch m_routeIds;    // int32 [tokens, topK]
    DeviceScratch m_routeWeights;
    DeviceScratch m_moeTokenOfSlot, m_moeSlotOf; // int32 [assignments]
    DeviceScratch m_moeX, m_moeG, m_moeU, m_moeA, m_moeD; // F32 [assignments, width]
    DeviceScratch m_attnPartial; // split-key attention: F32 [n, heads, chunks, headDim + 2]
    DeviceScratch m_rows, m_callerIds, m_callerWeights; // staged from the host (row moves, moeExperts)
    PinnedScratch m_hostRows, m_hostCallerIds, m_hostCallerWeights;
    std::vector<int32_t> m_scatterStart, m_scatterPacked; // scatterAddRows' grouping by target
    // sampleToken: the work row, two candidate buffers (values, ids), probabilities, the token.
    DeviceScratch m_sampleWork, m_sampleValues[2], m_sampleIds[2], m_sampleProbs, m_sampleToken;
    DeviceScratch m_sampleBans, m_samplePenalties;
    PinnedScratch m_hostBans, m_hostPenalties, m_hostToken;
    std::vector<int32_t> m_penaltyPacked; // ids then counts
    PinnedScratch m_hostTokens, m_hostIds, m_hostWeights, m_hostTokenOfSlot, m_hostSlotOf, m_upload;
    std::vector<int64_t> m_expertOffsets; // [E + 1], reused
    // RoutingHostCopy::AfterSync copies, one pair per slot (layer).
    std::vector<PinnedScratch> m_slotIds, m_slotWeights;
    // Keyed by the layer's expert list; checked against its pointers on every use.
    std::unordered_map<const void*, ExpertTable> m_expertTables;

    struct RecordedGraph {
        cudaGraphExec_t exec = nullptr;
        int64_t tokens = 0; // batch size it was recorded for
        int64_t vocab = 0;  // rows of the embedding table, for checking replayed token ids
    };
    std::map<StepKey, RecordedGraph> m_graphs;
    bool m_graphsOn = true;
    std::string m_graphsOff; // why not, when off
    bool m_recording = false;
    StepKey m_recordingKey;
    int64_t m_recordingTokens = 0, m_recordingVocab = 0;
    DeviceScratch m_devicePos; // int64 position of a recorded step
    PinnedScratch m_hostPos;
    cudaEvent_t m_stepDone = nullptr; // after the last replay: its host inputs are free again
    int64_t m_routeTokens = 0, m_routeTopK = 0;
    uint64_t m_maxQuantizedElements = 0; // largest Q8_0 / Q4_0 weight: sizes m_weight16
};

} // namespace moe::cuda
