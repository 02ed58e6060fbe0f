// compute/cpu_backend.h — the Backend that runs on host threads (createCpuBackend()).
//
// Ops validate shapes, take scratch sized by reserve(), and hand raw rows to the
// kernels in cpu_ops.h / cpu_matmul.h. An op called beyond its reservation grows its
// scratch once (the only allocation an op can make), so a runtime that reserves
// correctly never allocates while generating.
#pragma once

#include "compute/cpu_matmul.h"
#include "core/thread_pool.h"
#include "moe/backend.h"

#include <cstdlib>
#include <memory>

namespace moe {

// 64-byte aligned host memory; ensure() grows it, dropping the old contents.
class AlignedBuffer {
public:
    void ensure(size_t bytes);
    template <class T>
    T* as() const { return static_cast<T*>(m_data.get()); }
    size_t bytes() const { return m_bytes; }

private:
    struct Free {
        void operator()(void* p) const { std::free(p); }
    };
    std::unique_ptr<void, Free> m_data;
    size_t m_bytes = 0;
};

void* alignedAllocate(size_t bytes); // throws Error(OutOfMemory)

class CpuBackend final : public Backend {
public:
    explicit CpuBackend(const CpuBackendOptions& options);

    std::string name() const override;
    bool isHost() const override { return true; }
    DeviceTensor allocate(DType dtype, const Shape& shape) override;
    void release(DeviceTensor& t) override;
    DeviceTensor weight(const WeightView& w) override;
    void upload(const void* host, DeviceTensor& dst, uint64_t bytes, uint64_t dstOffset) override;
    void download(const DeviceTensor& src, void* host, uint64_t bytes, uint64_t srcOffset) override;
    void synchronize() override {}
    void reserve(const BackendReservation& r) override;
    int threadCount() const override { return m_pool.threadCount(); }

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

private:
    // F32 view of a small parameter tensor (norm weight, bias), converted into buf if needed.
    const float* f32Param(const DeviceTensor& t, AlignedBuffer& buf);
    MatmulWorkspace workspace(int64_t in);
    void ensureMoeScratch(int64_t assignments, int64_t hidden, int64_t ffn, int64_t experts);

    ThreadPool m_pool;
    AlignedBuffer m_tiles;       // per-thread F32 weight tiles (prefill)
    AlignedBuffer m_actQ;        // quantised activations for matmul()
    AlignedBuffer m_actQK;       // Q8_K activations for matmul() with Q4_K / Q5_K / Q6_K weights
    AlignedBuffer m_biasF32;     // converted bias
    AlignedBuffer m_paramF32;    // converted norm weight / selection bias
    AlignedBuffer m_scores;      // attention scores, maxContext per thread
    int64_t m_scoresPerThread = 0;
    AlignedBuffer m_ropeTable;   // cos/sin, rotaryDim per thread
    AlignedBuffer m_routeIds;    // int32 [tokens, topK] of the last routeTopK
    AlignedBuffer m_routeWeights;
    AlignedBuffer m_routeScratch;
    int64_t m_routeTokens = 0;
    int64_t m_routeTopK = 0;
    // moeExperts: tokens sorted by expert, gathered rows and per-expert results.
    AlignedBuffer m_moeOffsets;  // int64 [E + 1]
    AlignedBuffer m_moeOrder;    // int32 [assignments]: assignment index per sorted slot
    AlignedBuffer m_moeSlotOf;   // int32 [assignments]: sorted slot per assignment
    AlignedBuffer m_moeX, m_moeG, m_moeU, m_moeD;
    AlignedBuffer m_moeXq, m_moeHq;
    AlignedBuffer m_moeXqK, m_moeHqK; // Q8_K activations for Q4_K / Q5_K / Q6_K experts
    AlignedBuffer m_moeJobs;     // MatmulJob [2E]
    AlignedBuffer m_sampleLogits, m_sampleIds, m_sampleProbs; // sampleToken: [vocab] each
};

} // namespace moe
