#include "cuda_backend.h"

#include "attention.cuh"
#include "cuda_check.h"
#include "elementwise.cuh"
#include "embedding.cuh"
#include "gemv.cuh"
#include "moe_gemv.cuh"
#include "moe_permute.cuh"
#include "rms_norm.cuh"
#include "rope.cuh"
#include "router.cuh"
#include "sampling.cuh"

#include "moe/error.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#if CUDART_VERSION < 12000
#error "the CUDA backend needs CUDA 12 or newer (graph instantiation with flags, capture-safe cuBLAS)"
#endif

namespace moe::cuda {
namespace {

constexpr size_t kUploadChunkBytes = size_t(32) << 20; // per half of the pinned upload buffer

bool runnableWeightType(DType t)
{
    return t == DType::F32 || t == DType::F16 || t == DType::BF16 || t == DType::Q8_0 || t == DType::Q4_0;
}

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

DeviceTensor view(void* data, DType dtype, int64_t rows, int64_t cols)
{
    DeviceTensor t;
    t.dtype = dtype;
    t.shape = Shape{rows, cols};
    t.data = data;
    t.bytes = uint64_t(rows) * uint64_t(cols) * (dtype == DType::F32 ? 4u : 2u);
    return t;
}

} // namespace

CudaBackend::CudaBackend(int device)
    : m_device(device)
    , m_label("cuda:" + std::to_string(device))
{
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess)
        throw Error(ErrorCode::UnsupportedType, m_label, "devices",
                    std::string("no usable CUDA driver or device (") + cudaGetErrorName(e) + ": " + cudaGetErrorString(e) +
                        ")");
    if (device < 0 || device >= count)
        throw Error(ErrorCode::InvalidArgument, m_label, "devices",
                    m_label + " does not exist: this machine has " + std::to_string(count) + " CUDA device" +
                        (count == 1 ? " (cuda:0)" : "s (cuda:0 to cuda:" + std::to_string(count - 1) + ")"));
    MOE_CUDA(cudaSetDevice(device));
    cudaDeviceProp prop{};
    MOE_CUDA(cudaGetDeviceProperties(&prop, device));
    m_name = m_label + " (" + prop.name + ", compute " + std::to_string(prop.major) + "." + std::to_string(prop.minor) +
             ", " + mib(prop.totalGlobalMem) + ")";
    try {
        MOE_CUDA(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking));
        MOE_CUDA(cudaEventCreateWithFlags(&m_pinnedFree, cudaEventDisableTiming));
        MOE_CUDA(cudaEventCreateWithFlags(&m_stepDone, cudaEventDisableTiming));
        MOE_CUDA(cublasCreate(&m_cublas));
        MOE_CUDA(cublasSetStream(m_cublas, m_stream));
        // Full FP32 for F32 weights (no silent TF32): the CPU comparison relies on it.
        MOE_CUDA(cublasSetMathMode(m_cublas, CUBLAS_DEFAULT_MATH));
    } catch (...) {
        if (m_cublas)
            cublasDestroy(m_cublas);
        if (m_pinnedFree)
            cudaEventDestroy(m_pinnedFree);
        if (m_stepDone)
            cudaEventDestroy(m_stepDone);
        if (m_stream)
            cudaStreamDestroy(m_stream);
        throw;
    }
    if (const char* env = std::getenv("MOE_CUDA_GRAPHS"); env && std::strcmp(env, "0") == 0) {
        m_graphsOn = false;
        m_graphsOff = "off (MOE_CUDA_GRAPHS=0)";
    }
}

CudaBackend::~CudaBackend()
{
    cudaSetDevice(m_device);
    if (m_recording) {
        cudaGraph_t graph = nullptr;
        cudaStreamEndCapture(m_stream, &graph);
        if (graph)
            cudaGraphDestroy(graph);
    }
    cudaStreamSynchronize(m_stream);
    for (auto& [key, graph] : m_graphs)
        cudaGraphExecDestroy(graph.exec);
    cudaFree(m_devicePos.data);
    cudaFreeHost(m_hostPos.data);
    cudaEventDestroy(m_stepDone);
    for (void* p : m_live)
        cudaFree(p);
    for (DeviceScratch* s : {&m_tokens, &m_act16, &m_weight16, &m_routeIds, &m_routeWeights, &m_moeTokenOfSlot,
                             &m_moeSlotOf, &m_moeX, &m_moeG, &m_moeU, &m_moeA, &m_moeD, &m_attnPartial, &m_rows,
                             &m_callerIds, &m_callerWeights, &m_sampleWork, &m_sampleValues[0], &m_sampleValues[1],
                             &m_sampleIds[0], &m_sampleIds[1], &m_sampleProbs, &m_sampleToken, &m_sampleBans,
                             &m_samplePenalties})
        cudaFree(s->data);
    for (PinnedScratch* s : {&m_hostTokens, &m_hostIds, &m_hostWeights, &m_hostTokenOfSlot, &m_hostSlotOf, &m_upload,
                             &m_hostRows, &m_hostCallerIds, &m_hostCallerWeights, &m_hostBans, &m_hostPenalties,
                             &m_hostToken})
        cudaFreeHost(s->data);
    for (std::vector<PinnedScratch>* v : {&m_slotIds, &m_slotWeights})
        for (PinnedScratch& s : *v)
            cudaFreeHost(s.data);
    for (auto& [key, table] : m_expertTables)
        cudaFree(table.device);
    cublasDestroy(m_cublas);
    cudaEventDestroy(m_pinnedFree);
    cudaStreamDestroy(m_stream);
}

void CudaBackend::badArgument(const char* op, const std::string& what) const
{
    throw Error(ErrorCode::InvalidArgument, m_label, op, what);
}

void CudaBackend::requireNotRecording(const char* op) const
{
    if (m_recording)
        badArgument(op, "cannot be part of a recorded step (it waits for the GPU or allocates)");
}

void CudaBackend::checkTokens(const int32_t* tokens, int64_t n, int64_t vocab) const
{
    for (int64_t i = 0; i < n; ++i)
        if (tokens[i] < 0 || tokens[i] >= vocab)
            throw Error(ErrorCode::InvalidArgument, m_label, "token",
                        "token id " + std::to_string(tokens[i]) + " outside the vocabulary of " + std::to_string(vocab));
}

// ---- memory ----

void* CudaBackend::deviceAlloc(size_t bytes, const char* what)
{
    void* p = nullptr;
    const cudaError_t e = cudaMalloc(&p, std::max<size_t>(bytes, 1));
    if (e == cudaErrorMemoryAllocation) {
        cudaGetLastError(); // clear the sticky-free error so later calls work
        size_t freeBytes = 0, totalBytes = 0;
        cudaMemGetInfo(&freeBytes, &totalBytes);
        throw Error(ErrorCode::OutOfMemory, m_label, what,
                    "out of GPU memory: cannot allocate " + mib(bytes) + ", " + mib(freeBytes) + " free of " +
                        mib(totalBytes));
    }
    MOE_CUDA(e);
    return p;
}

void CudaBackend::deviceFree(void* p)
{
    if (p)
        cudaFree(p);
}

void CudaBackend::ensure(DeviceScratch& s, size_t bytes, const char* what)
{
    if (bytes <= s.bytes)
        return;
    requireNotRecording(what);
    if (s.data) {
        dropGraphs(); // they hold the old address
        MOE_CUDA(cudaStreamSynchronize(m_stream)); // queued kernels may still read the old buffer
    }
    deviceFree(s.data);
    s.data = nullptr;
    s.bytes = 0;
    s.data = deviceAlloc(bytes, what);
    s.bytes = bytes;
}

void CudaBackend::ensure(PinnedScratch& s, size_t bytes, const char* what)
{
    if (bytes <= s.bytes)
        return;
    requireNotRecording(what);
    if (s.data)
        dropGraphs(); // they hold the old address
    waitForPinned();
    cudaFreeHost(s.data);
    s.data = nullptr;
    s.bytes = 0;
    if (cudaMallocHost(&s.data, bytes) != cudaSuccess) {
        cudaGetLastError();
        throw Error(ErrorCode::OutOfMemory, m_label, what, "cannot pin " + mib(bytes) + " of host memory");
    }
    s.bytes = bytes;
}

void CudaBackend::waitForPinned() { MOE_CUDA(cudaEventSynchronize(m_pinnedFree)); }

void CudaBackend::makeCurrent() const
{
    int current = -1;
    MOE_CUDA(cudaGetDevice(&current));
    if (current != m_device)
        MOE_CUDA(cudaSetDevice(m_device));
}

const void* CudaBackend::stageFromHost(const void* host, size_t bytes, PinnedScratch& pinned, DeviceScratch& device,
                                       const char* op)
{
    requireNotRecording(op);
    ensure(pinned, bytes, op);
    ensure(device, bytes, op);
    waitForPinned(); // an earlier copy out of a pinned buffer may still be queued
    std::memcpy(pinned.data, host, bytes);
    MOE_CUDA(cudaMemcpyAsync(device.data, pinned.data, bytes, cudaMemcpyHostToDevice, m_stream));
    MOE_CUDA(cudaEventRecord(m_pinnedFree, m_stream));
    return device.data;
}

DeviceTensor CudaBackend::allocate(DType dtype, const Shape& shape)
{
    requireNotRecording("allocate");
    MOE_CUDA(cudaSetDevice(m_device));
    const std::optional<uint64_t> row = rowBytes(dtype, uint64_t(shape.cols()));
    if (!row || shape.rows() < 0)
        badArgument("allocate", "shape " + shape.toString() + " does not fit dtype " + dtypeName(dtype));
    DeviceTensor t;
    t.dtype = dtype;
    t.shape = shape;
    t.bytes = *row * uint64_t(shape.rows());
    t.data = deviceAlloc(t.bytes, "allocate");
    t.owned = true;
    m_live.insert(t.data);
    // Zeroed, as on the CPU: a fresh KV cache or accumulator starts at zero.
    MOE_CUDA(cudaMemsetAsync(t.data, 0, t.bytes, m_stream));
    if (dtype == DType::Q8_0 || dtype == DType::Q4_0) // prefill dequantises these for cuBLAS
        m_maxQuantizedElements = std::max<uint64_t>(m_maxQuantizedElements, uint64_t(shape.elements()));
    return t;
}

void CudaBackend::release(DeviceTensor& t)
{
    cudaSetDevice(m_device); // never throws: destructors release (cudaFree below ignores errors too)
    if (t.owned && t.data)
        requireNotRecording("release");
    if (t.owned && t.data && m_live.erase(t.data))
        cudaFree(t.data);
    t.data = nullptr;
    t.owned = false;
}

DeviceTensor CudaBackend::weight(const WeightView& w)
{
    if (!runnableWeightType(w.dtype))
        throw Error(ErrorCode::UnsupportedType, m_label, "weight type",
                    std::string("the CUDA backend runs f32, f16, bf16, q8_0 and q4_0 weights, not ") + dtypeName(w.dtype) +
                        " (load with --quant q8_0, or on the CPU)");
    DeviceTensor t = allocate(w.dtype, w.shape);
    upload(w.data, t, w.bytes, 0);
    return t;
}

// Pageable host memory goes through two pinned halves so the host copy of one chunk
// overlaps the DMA of the other.
void CudaBackend::upload(const void* host, DeviceTensor& dst, uint64_t bytes, uint64_t dstOffset)
{
    makeCurrent();
    if (dstOffset + bytes > dst.bytes)
        badArgument("upload", "write of " + std::to_string(bytes) + " bytes at " + std::to_string(dstOffset) +
                                  " past the end of a " + std::to_string(dst.bytes) + "-byte tensor");
    requireNotRecording("upload");
    ensure(m_upload, 2 * kUploadChunkBytes, "upload");
    const auto* src = static_cast<const uint8_t*>(host);
    auto* out = static_cast<uint8_t*>(dst.data) + dstOffset;
    cudaEvent_t halfFree[2] = {nullptr, nullptr};
    MOE_CUDA(cudaEventCreateWithFlags(&halfFree[0], cudaEventDisableTiming));
    MOE_CUDA(cudaEventCreateWithFlags(&halfFree[1], cudaEventDisableTiming));
    waitForPinned();
    int half = 0;
    for (uint64_t done = 0; done < bytes; done += kUploadChunkBytes, half ^= 1) {
        const size_t chunk = size_t(std::min<uint64_t>(kUploadChunkBytes, bytes - done));
        uint8_t* staging = static_cast<uint8_t*>(m_upload.data) + size_t(half) * kUploadChunkBytes;
        MOE_CUDA(cudaEventSynchronize(halfFree[half]));
        std::memcpy(staging, src + done, chunk);
        MOE_CUDA(cudaMemcpyAsync(out + done, staging, chunk, cudaMemcpyHostToDevice, m_stream));
        MOE_CUDA(cudaEventRecord(halfFree[half], m_stream));
    }
    MOE_CUDA(cudaStreamSynchronize(m_stream));
    cudaEventDestroy(halfFree[0]);
    cudaEventDestroy(halfFree[1]);
}

void CudaBackend::download(const DeviceTensor& src, void* host, uint64_t bytes, uint64_t srcOffset)
{
    makeCurrent();
    if (srcOffset + bytes > src.bytes)
        badArgument("download", "read of " + std::to_string(bytes) + " bytes at " + std::to_string(srcOffset) +
                                    " past the end of a " + std::to_string(src.bytes) + "-byte tensor");
    requireNotRecording("download");
    MOE_CUDA(cudaMemcpyAsync(host, static_cast<const uint8_t*>(src.data) + srcOffset, bytes, cudaMemcpyDeviceToHost,
                             m_stream));
    MOE_CUDA(cudaStreamSynchronize(m_stream));
}

bool CudaBackend::runsWeightType(DType t) const { return runnableWeightType(t); }

void CudaBackend::synchronize()
{
    makeCurrent();
    requireNotRecording("synchronize");
    MOE_CUDA(cudaStreamSynchronize(m_stream));
}

void CudaBackend::reserve(const BackendReservation& r)
{
    requireNotRecording("reserve");
    MOE_CUDA(cudaSetDevice(m_device));
    const size_t tokens = size_t(std::max<int64_t>(r.maxTokens, 1));
    const size_t assignments = tokens * size_t(std::max<int64_t>(r.topK, 1));
    ensure(m_tokens, tokens * 4, "reserve");
    ensure(m_hostTokens, tokens * 4, "reserve");
    ensure(m_act16, tokens * size_t(std::max<int64_t>(r.maxWidth, 1)) * 2, "reserve");
    if (tokens > size_t(kGemvMaxTokens) && m_maxQuantizedElements > 0)
        ensure(m_weight16, size_t(m_maxQuantizedElements) * 2, "reserve");
    ensure(m_routeIds, assignments * 4, "reserve");
    ensure(m_routeWeights, assignments * 4, "reserve");
    ensure(m_hostIds, assignments * 4, "reserve");
    ensure(m_hostWeights, assignments * 4, "reserve");
    if (r.maxContext > 0 && r.numHeads > 0) {
        // Split-key decode attention: up to kGemvMaxTokens queries, head size at most the
        // widest row over the heads.
        const int64_t headDimBound = std::max<int64_t>(r.maxWidth / r.numHeads, 1);
        ensure(m_attnPartial,
               size_t(kGemvMaxTokens * r.numHeads * attentionSplitChunks(r.maxContext) * (headDimBound + 2)) * 4,
               "reserve");
    }
    if (r.numExperts > 0) {
        const size_t hidden = size_t(std::max<int64_t>(r.hiddenSize, 1)), ffn = size_t(std::max<int64_t>(r.expertWidth, 1));
        ensure(m_moeTokenOfSlot, assignments * 4, "reserve");
        ensure(m_moeSlotOf, assignments * 4, "reserve");
        ensure(m_hostTokenOfSlot, assignments * 4, "reserve");
        ensure(m_hostSlotOf, assignments * 4, "reserve");
        ensure(m_moeX, assignments * hidden * 4, "reserve");
        ensure(m_moeD, assignments * hidden * 4, "reserve");
        for (DeviceScratch* s : {&m_moeG, &m_moeU, &m_moeA})
            ensure(*s, assignments * ffn * 4, "reserve");
        m_expertOffsets.assign(size_t(r.numExperts) + 1, 0);
    }
}

// ---- ops ----

void CudaBackend::embed(const DeviceTensor& table, const int32_t* tokens, int64_t n, DeviceTensor& out)
{
    MOE_CUDA(cudaSetDevice(m_device)); // ops run on the thread that generates
    const int64_t vocab = table.rows(), hidden = table.cols();
    if (!runnableWeightType(table.dtype))
        badArgument("embed", std::string("embedding table of type ") + dtypeName(table.dtype));
    if (out.dtype != DType::F32 || out.rows() != n || out.cols() != hidden)
        badArgument("embed", "output must be F32 [" + std::to_string(n) + ", " + std::to_string(hidden) + "]");
    checkTokens(tokens, n, vocab);
    ensure(m_tokens, size_t(n) * 4, "embed");
    ensure(m_hostTokens, size_t(n) * 4, "embed");
    if (m_recording) {
        // The recording copies from m_hostTokens when it runs; replayStep() refills it.
        // The step before ended with a download, so no copy still reads it.
        m_recordingTokens = n;
        m_recordingVocab = vocab;
        std::memcpy(m_hostTokens.data, tokens, size_t(n) * 4);
        MOE_CUDA(cudaMemcpyAsync(m_tokens.data, m_hostTokens.data, size_t(n) * 4, cudaMemcpyHostToDevice, m_stream));
    } else {
        waitForPinned();
        std::memcpy(m_hostTokens.data, tokens, size_t(n) * 4);
        MOE_CUDA(cudaMemcpyAsync(m_tokens.data, m_hostTokens.data, size_t(n) * 4, cudaMemcpyHostToDevice, m_stream));
        MOE_CUDA(cudaEventRecord(m_pinnedFree, m_stream));
    }
    launchEmbed(int(table.dtype), table.data, hidden, static_cast<const int32_t*>(m_tokens.data), n,
                static_cast<float*>(out.data), m_stream);
    MOE_CUDA_LAUNCHED("embed");
}

void CudaBackend::rmsNorm(const DeviceTensor& x, const DeviceTensor& weight, float eps, int64_t groupSize,
                          DeviceTensor& out)
{
    makeCurrent();
    const int64_t cols = x.cols(), wCount = weight.shape.elements();
    if (x.dtype != DType::F32 || out.dtype != DType::F32 || out.rows() != x.rows() || out.cols() != cols)
        badArgument("rmsNorm", "x and out must be F32 of the same shape");
    if (weight.dtype != DType::F32 || groupSize <= 0 || cols % groupSize != 0 || (wCount != groupSize && wCount != cols))
        badArgument("rmsNorm", "weight must be F32 with " + std::to_string(groupSize) + " or " + std::to_string(cols) +
                                   " elements");
    launchRmsNorm(static_cast<const float*>(x.data), static_cast<const float*>(weight.data), wCount, eps, x.rows(), cols,
                  groupSize, static_cast<float*>(out.data), m_stream);
    MOE_CUDA_LAUNCHED("rmsNorm");
}

void CudaBackend::matmul(const DeviceTensor& x, const DeviceTensor& w, const DeviceTensor* bias, DeviceTensor& y)
{
    makeCurrent();
    const int64_t n = x.rows(), in = x.cols(), out = w.rows();
    if (!runnableWeightType(w.dtype))
        throw Error(ErrorCode::UnsupportedType, m_label, "weight type",
                    std::string("the CUDA backend cannot multiply by ") + dtypeName(w.dtype) + " weights");
    if (x.dtype != DType::F32 || w.cols() != in || y.dtype != DType::F32 || y.rows() != n || y.cols() != out)
        badArgument("matmul", "x [" + std::to_string(n) + ", " + std::to_string(in) + "] · w " + w.shape.toString() +
                                  "^T does not give y " + y.shape.toString());
    if (bias && (bias->dtype != DType::F32 || bias->shape.elements() != out))
        badArgument("matmul", "bias must be F32 with " + std::to_string(out) + " elements");
    if (n == 0)
        return;
    const float* b = bias ? static_cast<const float*>(bias->data) : nullptr;
    if (n <= kGemvMaxTokens && in % 4 == 0) {
        launchGemv(int(w.dtype), w.data, out, in, static_cast<const float*>(x.data), n, b, static_cast<float*>(y.data),
                   m_stream);
        MOE_CUDA_LAUNCHED("matmul (gemv)");
        return;
    }
    cublasMatmul(x, w, y);
    if (b) {
        launchAddBias(static_cast<float*>(y.data), b, n, out, m_stream);
        MOE_CUDA_LAUNCHED("matmul (bias)");
    }
}

// Row-major y[n, out] = x[n, in] · w[out, in]^T is column-major y^T = w^T(op T) · x^T:
// cuBLAS sees w as an [in, out] column-major matrix and transposes it.
void CudaBackend::cublasMatmul(const DeviceTensor& x, const DeviceTensor& w, DeviceTensor& y)
{
    const int n = int(x.rows()), in = int(x.cols()), out = int(w.rows());
    const float one = 1.f, zero = 0.f;
    if (w.dtype == DType::F32) {
        MOE_CUDA(cublasSgemm(m_cublas, CUBLAS_OP_T, CUBLAS_OP_N, out, n, in, &one, static_cast<const float*>(w.data), in,
                             static_cast<const float*>(x.data), in, &zero, static_cast<float*>(y.data), out));
        return;
    }
    // 16-bit inputs, F32 accumulation and output. Quantized weights are dequantised to
    // F16 first (prefill only: decode takes the GEMV path above).
    const bool bf16 = w.dtype == DType::BF16;
    const void* weights = w.data;
    if (w.dtype == DType::Q8_0 || w.dtype == DType::Q4_0) {
        ensure(m_weight16, size_t(out) * size_t(in) * 2, "matmul");
        launchDequantizeToF16(int(w.dtype), w.data, out, in, m_weight16.data, m_stream);
        MOE_CUDA_LAUNCHED("matmul (dequantize)");
        weights = m_weight16.data;
    }
    ensure(m_act16, size_t(n) * size_t(in) * 2, "matmul");
    launchConvertActivations(static_cast<const float*>(x.data), m_act16.data, int64_t(n) * in, bf16, m_stream);
    MOE_CUDA_LAUNCHED("matmul (convert)");
    const cudaDataType type = bf16 ? CUDA_R_16BF : CUDA_R_16F;
    MOE_CUDA(cublasGemmEx(m_cublas, CUBLAS_OP_T, CUBLAS_OP_N, out, n, in, &one, weights, type, in, m_act16.data, type,
                          in, &zero, y.data, CUDA_R_32F, out, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

void CudaBackend::rope(DeviceTensor& x, int64_t startPos, int64_t heads, int64_t headDim, int64_t rotaryDim,
                       float theta, RopeLayout layout)
{
    makeCurrent();
    if (rotaryDim <= 0) // as on the CPU: the whole head rotates
        rotaryDim = headDim;
    if (x.dtype != DType::F32 || heads * headDim > x.cols() || rotaryDim > headDim || rotaryDim % 2 != 0)
        badArgument("rope", "x must be F32 with heads x headDim columns and an even rotaryDim <= headDim");
    launchRope(static_cast<float*>(x.data), x.rows(), x.cols(), startPos, stepPosition(), heads, headDim, rotaryDim, theta,
               layout == RopeLayout::NeoX, m_stream);
    MOE_CUDA_LAUNCHED("rope");
}

void CudaBackend::storeKv(const DeviceTensor& k, const DeviceTensor& v, DeviceTensor& kCache, DeviceTensor& vCache,
                          int64_t startPos)
{
    makeCurrent();
    const int64_t n = k.rows(), width = k.cols();
    if (k.dtype != DType::F32 || v.dtype != DType::F32 || kCache.dtype != DType::F32 || vCache.dtype != DType::F32 ||
        v.rows() != n || v.cols() != width || kCache.cols() != width || vCache.cols() != width)
        badArgument("storeKv", "k, v and the caches must be F32 of one width");
    if (startPos < 0 || startPos + n > kCache.rows() || startPos + n > vCache.rows())
        badArgument("storeKv", "rows " + std::to_string(startPos) + ".." + std::to_string(startPos + n) +
                                   " exceed the cache of " + std::to_string(kCache.rows()));
    launchStoreKv(static_cast<const float*>(k.data), static_cast<const float*>(v.data), static_cast<float*>(kCache.data),
                  static_cast<float*>(vCache.data), n, width, startPos, stepPosition(), m_stream);
    MOE_CUDA_LAUNCHED("storeKv");
}

void CudaBackend::attention(const AttentionParams& p)
{
    makeCurrent();
    if (!p.q || !p.kCache || !p.vCache || !p.out)
        badArgument("attention", "q, caches and out are required");
    const int64_t n = p.q->rows();
    if (p.headDim <= 0 || p.headDim > kAttentionMaxHeadDim || p.numKvHeads <= 0 || p.numHeads % p.numKvHeads != 0)
        badArgument("attention", "head size " + std::to_string(p.headDim) + " (at most " +
                                     std::to_string(kAttentionMaxHeadDim) + ") or head counts " +
                                     std::to_string(p.numHeads) + "/" + std::to_string(p.numKvHeads));
    if (p.startPos < 0 || p.startPos + n > p.kCache->rows() || p.startPos + n > p.vCache->rows())
        badArgument("attention", "positions " + std::to_string(p.startPos) + ".." + std::to_string(p.startPos + n) +
                                     " outside the cache");
    const int64_t kvWidth = p.numKvHeads * p.headDim, qWidth = p.numHeads * p.headDim;
    if (p.kCache->cols() != kvWidth || p.vCache->cols() != kvWidth || p.q->cols() != qWidth ||
        p.out->rows() != n || p.out->cols() != qWidth)
        badArgument("attention", "q / out [n, heads x headDim] and caches [context, kvHeads x headDim] expected");
    if (n <= kGemvMaxTokens) {
        // Decode: the keys split over blocks (the grid spans the whole cache, so it does
        // not depend on the position).
        const int64_t chunks = attentionSplitChunks(p.kCache->rows());
        ensure(m_attnPartial, size_t(n * p.numHeads * chunks * (p.headDim + 2)) * 4, "attention");
        launchAttentionSplit(static_cast<const float*>(p.q->data), static_cast<const float*>(p.kCache->data),
                             static_cast<const float*>(p.vCache->data), static_cast<float*>(p.out->data), n,
                             p.startPos, stepPosition(), p.numHeads, p.numKvHeads, p.headDim, p.scale, chunks,
                             static_cast<float*>(m_attnPartial.data), m_stream);
        MOE_CUDA_LAUNCHED("attention (split keys)");
        return;
    }
    launchAttention(static_cast<const float*>(p.q->data), static_cast<const float*>(p.kCache->data),
                    static_cast<const float*>(p.vCache->data), static_cast<float*>(p.out->data), n, p.startPos,
                    stepPosition(), p.numHeads, p.numKvHeads, p.headDim, p.scale, m_stream);
    MOE_CUDA_LAUNCHED("attention");
}

void CudaBackend::add(DeviceTensor& x, const DeviceTensor& y)
{
    makeCurrent();
    if (x.dtype != DType::F32 || y.dtype != DType::F32 || x.rows() != y.rows() || x.cols() != y.cols())
        badArgument("add", "x and y must be F32 of one shape");
    launchAdd(static_cast<float*>(x.data), static_cast<const float*>(y.data), x.rows() * x.cols(), m_stream);
    MOE_CUDA_LAUNCHED("add");
}

void CudaBackend::addScaledRows(DeviceTensor& x, const DeviceTensor& y, const DeviceTensor& rowScale)
{
    makeCurrent();
    if (x.dtype != DType::F32 || y.dtype != DType::F32 || x.rows() != y.rows() || x.cols() != y.cols() ||
        rowScale.shape.elements() != x.rows())
        badArgument("addScaledRows", "x, y F32 of one shape and one scale per row");
    launchAddScaledRows(static_cast<float*>(x.data), static_cast<const float*>(y.data),
                        static_cast<const float*>(rowScale.data), x.rows(), x.cols(), m_stream);
    MOE_CUDA_LAUNCHED("addScaledRows");
}

void CudaBackend::swiglu(const DeviceTensor& gate, const DeviceTensor& up, DeviceTensor& out)
{
    makeCurrent();
    const int64_t count = gate.rows() * gate.cols();
    if (up.rows() * up.cols() != count || out.rows() * out.cols() != count)
        badArgument("swiglu", "gate, up and out must have one shape");
    launchSwiglu(static_cast<const float*>(gate.data), static_cast<const float*>(up.data), static_cast<float*>(out.data),
                 count, m_stream);
    MOE_CUDA_LAUNCHED("swiglu");
}

void CudaBackend::sigmoid(DeviceTensor& x)
{
    makeCurrent();
    launchSigmoid(static_cast<float*>(x.data), x.rows() * x.cols(), m_stream);
    MOE_CUDA_LAUNCHED("sigmoid");
}

void CudaBackend::zero(DeviceTensor& x)
{
    makeCurrent();
    if (x.dtype != DType::F32 || !x.data)
        badArgument("zero", "x must be an allocated F32 tensor");
    MOE_CUDA(cudaMemsetAsync(x.data, 0, size_t(x.rows() * x.cols()) * 4, m_stream));
}

void CudaBackend::checkRows(const char* op, const int32_t* rows, int64_t count, const DeviceTensor& indexed,
                            const DeviceTensor& packed) const
{
    if (indexed.dtype != DType::F32 || packed.dtype != DType::F32 || indexed.cols() != packed.cols() ||
        packed.rows() < count || (count > 0 && !rows))
        badArgument(op, std::to_string(count) + " F32 rows of " + indexed.shape.toString() + " vs " +
                            packed.shape.toString());
    for (int64_t i = 0; i < count; ++i)
        if (rows[i] < 0 || rows[i] >= indexed.rows())
            badArgument(op, "row " + std::to_string(rows[i]) + " of " + std::to_string(indexed.rows()));
}

void CudaBackend::gatherRows(const DeviceTensor& src, const int32_t* rows, int64_t count, DeviceTensor& dst)
{
    makeCurrent();
    checkRows("gatherRows", rows, count, src, dst);
    if (count == 0)
        return;
    const auto* deviceRows = static_cast<const int32_t*>(
        stageFromHost(rows, size_t(count) * 4, m_hostRows, m_rows, "gatherRows"));
    launchGatherRows(static_cast<const float*>(src.data), src.cols(), deviceRows, count, static_cast<float*>(dst.data),
                     m_stream);
    MOE_CUDA_LAUNCHED("gatherRows");
}

void CudaBackend::scatterAddRows(DeviceTensor& dst, const int32_t* rows, int64_t count, const DeviceTensor& src)
{
    makeCurrent();
    checkRows("scatterAddRows", rows, count, dst, src);
    if (count == 0)
        return;
    // Group the rows by target (a stable counting sort): targets, group starts, order.
    const int64_t targets = dst.rows();
    m_scatterStart.assign(size_t(targets) + 1, 0); // keeps its capacity
    for (int64_t i = 0; i < count; ++i)
        ++m_scatterStart[size_t(rows[i]) + 1];
    int64_t groups = 0;
    for (int64_t t = 0; t < targets; ++t) {
        groups += m_scatterStart[size_t(t) + 1] > 0 ? 1 : 0;
        m_scatterStart[size_t(t) + 1] += m_scatterStart[size_t(t)];
    }
    m_scatterPacked.resize(size_t(groups + groups + 1 + count));
    int32_t* packedTargets = m_scatterPacked.data();
    int32_t* starts = packedTargets + groups;
    int32_t* order = starts + groups + 1;
    int64_t g = 0;
    for (int64_t t = 0; t < targets; ++t)
        if (m_scatterStart[size_t(t) + 1] > m_scatterStart[size_t(t)]) {
            packedTargets[g] = int32_t(t);
            starts[g++] = m_scatterStart[size_t(t)];
        }
    starts[groups] = int32_t(count);
    for (int64_t i = 0; i < count; ++i) // m_scatterStart[t] walks forward through t's slots
        order[m_scatterStart[size_t(rows[i])]++] = int32_t(i);
    const auto* packed = static_cast<const int32_t*>(stageFromHost(
        m_scatterPacked.data(), m_scatterPacked.size() * 4, m_hostRows, m_rows, "scatterAddRows"));
    launchScatterAddRows(static_cast<float*>(dst.data), dst.cols(), packed, groups, static_cast<const float*>(src.data),
                         m_stream);
    MOE_CUDA_LAUNCHED("scatterAddRows");
}

void CudaBackend::rowSumSquares(const DeviceTensor& x, DeviceTensor& out)
{
    makeCurrent();
    if (x.dtype != DType::F32 || out.dtype != DType::F32 || out.shape.elements() != x.rows())
        badArgument("rowSumSquares", "x F32 [n, cols], out F32 [n, 1]");
    launchRowSumSquares(static_cast<const float*>(x.data), x.rows(), x.cols(), static_cast<float*>(out.data), m_stream);
    MOE_CUDA_LAUNCHED("rowSumSquares");
}

void CudaBackend::scaleByRms(DeviceTensor& x, const DeviceTensor& sumSq, int64_t width, float eps,
                             const DeviceTensor& weight)
{
    makeCurrent();
    if (x.dtype != DType::F32 || sumSq.dtype != DType::F32 || weight.dtype != DType::F32 ||
        sumSq.shape.elements() != x.rows() || weight.shape.elements() != x.cols() || width < x.cols())
        badArgument("scaleByRms", "x F32 [n, cols], sumSq F32 [n, 1], weight F32 [cols], width >= cols");
    launchScaleByRms(static_cast<float*>(x.data), x.rows(), x.cols(), static_cast<const float*>(sumSq.data), width, eps,
                     static_cast<const float*>(weight.data), m_stream);
    MOE_CUDA_LAUNCHED("scaleByRms");
}

RoutingView CudaBackend::routeTopK(const DeviceTensor& logits, const RouterParams& p)
{
    makeCurrent();
    const int64_t n = logits.rows(), e = logits.cols(), k = p.topK;
    if (logits.dtype != DType::F32 || e <= 0 || e > kRouterMaxExperts || k <= 0 || k > e)
        badArgument("routeTopK", std::to_string(e) + " experts (at most " + std::to_string(kRouterMaxExperts) +
                                     ") and top-k " + std::to_string(k));
    if (p.selectionBias && (p.selectionBias->dtype != DType::F32 || p.selectionBias->shape.elements() != e))
        badArgument("routeTopK", "selection bias must be F32 with one value per expert");
    const size_t assignments = size_t(n * k);
    ensure(m_routeIds, assignments * 4, "routeTopK");
    ensure(m_routeWeights, assignments * 4, "routeTopK");
    ensure(m_hostIds, assignments * 4, "routeTopK");
    ensure(m_hostWeights, assignments * 4, "routeTopK");
    RouterLaunch launch;
    launch.topK = k;
    launch.sigmoid = p.scoring == RouterScoring::Sigmoid;
    launch.normTopkProb = p.normTopkProb;
    launch.routedScalingFactor = float(p.routedScalingFactor);
    launch.numGroups = p.numGroups;
    launch.topkGroups = p.topkGroups;
    launch.selectionBias = p.selectionBias ? static_cast<const float*>(p.selectionBias->data) : nullptr;
    launchRouteTopK(static_cast<const float*>(logits.data), n, e, launch, static_cast<int32_t*>(m_routeIds.data),
                    static_cast<float*>(m_routeWeights.data), m_stream);
    MOE_CUDA_LAUNCHED("routeTopK");
    m_routeTokens = n;
    m_routeTopK = k;
    if (p.hostCopy == RoutingHostCopy::Never)
        return RoutingView{nullptr, nullptr, n, k};
    if (p.hostCopy == RoutingHostCopy::AfterSync) {
        // Into this slot's own pinned pair; the copy lands by the next synchronize().
        if (p.slot < 0)
            badArgument("routeTopK", "negative routing slot");
        if (m_slotIds.size() <= size_t(p.slot)) {
            m_slotIds.resize(size_t(p.slot) + 1);
            m_slotWeights.resize(size_t(p.slot) + 1);
        }
        PinnedScratch& ids = m_slotIds[size_t(p.slot)];
        PinnedScratch& weights = m_slotWeights[size_t(p.slot)];
        const size_t bytes = std::max(assignments, m_hostIds.bytes / 4) * 4; // at least what reserve() sized
        if (ids.bytes < bytes || weights.bytes < bytes) {
            requireNotRecording("routeTopK (routing buffers grow)");
            MOE_CUDA(cudaStreamSynchronize(m_stream)); // a copy into the old buffers may be in flight
        }
        ensure(ids, bytes, "routeTopK");
        ensure(weights, bytes, "routeTopK");
        MOE_CUDA(cudaMemcpyAsync(ids.data, m_routeIds.data, assignments * 4, cudaMemcpyDeviceToHost, m_stream));
        MOE_CUDA(cudaMemcpyAsync(weights.data, m_routeWeights.data, assignments * 4, cudaMemcpyDeviceToHost, m_stream));
        return RoutingView{static_cast<const int32_t*>(ids.data), static_cast<const float*>(weights.data), n, k};
    }
    // The caller reads the choices now.
    requireNotRecording("routeTopK (routing on the host now)");
    waitForPinned();
    MOE_CUDA(cudaMemcpyAsync(m_hostIds.data, m_routeIds.data, assignments * 4, cudaMemcpyDeviceToHost, m_stream));
    MOE_CUDA(cudaMemcpyAsync(m_hostWeights.data, m_routeWeights.data, assignments * 4, cudaMemcpyDeviceToHost, m_stream));
    MOE_CUDA(cudaStreamSynchronize(m_stream));
    return RoutingView{static_cast<const int32_t*>(m_hostIds.data), static_cast<const float*>(m_hostWeights.data), n, k};
}

const CudaBackend::ExpertTable& CudaBackend::expertTable(const std::vector<ExpertWeights>& experts)
{
    ExpertTable& t = m_expertTables[static_cast<const void*>(&experts)];
    const size_t count = experts.size();
    auto signature = [](const ExpertWeights& w) {
        return std::array<int64_t, 7>{int64_t(w.gate.dtype), int64_t(w.up.dtype), int64_t(w.down.dtype), w.gate.rows(),
                                      w.gate.cols(), w.down.rows(), w.down.cols()};
    };
    bool same = t.host.size() == 3 * count && t.signatures.size() == count;
    for (size_t e = 0; same && e < count; ++e)
        same = t.host[e] == experts[e].gate.data && t.host[count + e] == experts[e].up.data &&
               t.host[2 * count + e] == experts[e].down.data && t.signatures[e] == signature(experts[e]);
    if (same)
        return t;
    // First use of this layer (or its weights changed): rebuild and upload.
    requireNotRecording("moeExperts (expert table)");
    t.host.assign(3 * count, nullptr);
    t.signatures.resize(count);
    t.usable = count > 0;
    t.width = count > 0 ? experts[0].gate.rows() : 0;
    const DType gateUp = count > 0 ? experts[0].gate.dtype : DType::F32;
    const DType down = count > 0 ? experts[0].down.dtype : DType::F32;
    for (size_t e = 0; e < count; ++e) {
        const ExpertWeights& w = experts[e];
        t.host[e] = w.gate.data;
        t.host[count + e] = w.up.data;
        t.host[2 * count + e] = w.down.data;
        t.signatures[e] = signature(w);
        t.usable = t.usable && w.gate.dtype == gateUp && w.up.dtype == gateUp && w.down.dtype == down &&
                   w.gate.rows() == t.width && w.up.rows() == t.width && w.down.cols() == t.width &&
                   w.up.cols() == w.gate.cols() && w.down.rows() == w.gate.cols();
    }
    if (t.device) {
        dropGraphs(); // they hold the old table
        MOE_CUDA(cudaStreamSynchronize(m_stream)); // kernels may still read it
        cudaFree(t.device);
        t.device = nullptr;
    }
    t.device = deviceAlloc(std::max<size_t>(3 * count, 1) * sizeof(void*), "moeExperts");
    // Pageable source: returns once staged, so `host` may change afterwards.
    MOE_CUDA(cudaMemcpyAsync(t.device, t.host.data(), 3 * count * sizeof(void*), cudaMemcpyHostToDevice, m_stream));
    const auto* table = static_cast<const void* const*>(t.device);
    t.pointers = ExpertPointers{table, table + count, table + 2 * count, int64_t(count), int(gateUp), int(down)};
    return t;
}

void CudaBackend::moeExperts(const MoeFfnParams& p)
{
    makeCurrent();
    if (!p.x || !p.experts || !p.out)
        badArgument("moeExperts", "x, experts and out are required");
    const int64_t n = p.x->rows(), hidden = p.x->cols(), k = p.topK;
    const int64_t experts = int64_t(p.experts->size());
    if (p.out->rows() != n || p.out->cols() != hidden || p.out->dtype != DType::F32 || p.x->dtype != DType::F32)
        badArgument("moeExperts", "x and out must be F32 [n, hidden]");
    // Ids and weights each come from the caller (device memory of this backend) or from
    // the last routeTopK, independently, as on the CPU.
    if ((!p.expertIds || !p.expertWeights) && (m_routeTokens != n || m_routeTopK != k))
        badArgument("moeExperts", "no routeTopK result for this batch");
    if (n == 0 || experts == 0)
        return;
    const float* gateWeights = p.expertWeights ? p.expertWeights : static_cast<const float*>(m_routeWeights.data);
    const int32_t* deviceIds = p.expertIds ? p.expertIds : static_cast<const int32_t*>(m_routeIds.data);
    if (p.routingOnHost) {
        if (!p.expertIds || !p.expertWeights)
            badArgument("moeExperts", "routing on the host needs both ids and weights");
        for (int64_t a = 0; a < n * k; ++a)
            if (p.expertIds[a] < 0 || p.expertIds[a] >= experts)
                badArgument("moeExperts", "expert id " + std::to_string(p.expertIds[a]) + " of " + std::to_string(experts));
        deviceIds = static_cast<const int32_t*>(
            stageFromHost(p.expertIds, size_t(n * k) * 4, m_hostCallerIds, m_callerIds, "moeExperts"));
        gateWeights = static_cast<const float*>(
            stageFromHost(p.expertWeights, size_t(n * k) * 4, m_hostCallerWeights, m_callerWeights, "moeExperts"));
    }
    const int64_t ffn = (*p.experts)[0].gate.rows();
    const size_t assignments = size_t(n * k);
    ensure(m_moeA, assignments * size_t(ffn) * 4, "moeExperts");
    ensure(m_moeD, assignments * size_t(hidden) * 4, "moeExperts");

    // Larger batches group per expert on the host: they need no device table.
    const ExpertTable* table = n <= kGemvMaxTokens ? &expertTable(*p.experts) : nullptr;
    if (table && table->usable && (*p.experts)[0].gate.cols() == hidden && hidden % 4 == 0 && ffn % 4 == 0) {
        launchMoeGateUp(table->pointers, deviceIds, int64_t(assignments), k, static_cast<const float*>(p.x->data), hidden,
                        ffn, static_cast<float*>(m_moeA.data), m_stream);
        MOE_CUDA_LAUNCHED("moeExperts (gate, up)");
        launchMoeDown(table->pointers, deviceIds, int64_t(assignments), static_cast<const float*>(m_moeA.data), ffn,
                      hidden, static_cast<float*>(m_moeD.data), m_stream);
        MOE_CUDA_LAUNCHED("moeExperts (down)");
        launchCombineExperts(static_cast<const float*>(m_moeD.data), hidden, nullptr, gateWeights, n, k,
                             static_cast<float*>(p.out->data), m_stream);
        MOE_CUDA_LAUNCHED("moeExperts (combine)");
        return;
    }
    moeExpertsGrouped(p, deviceIds, gateWeights, ffn);
}

static_assert(kMaxDeviceTopK * 4 <= kSampleChunk, "each round of the top-k must shrink the candidates");

int32_t CudaBackend::sampleToken(const DeviceTensor& logits, const TokenChoice& c)
{
    makeCurrent();
    requireNotRecording("sampleToken");
    const int64_t vocab = logits.cols();
    if (logits.dtype != DType::F32 || logits.rows() != 1 || vocab <= 0)
        badArgument("sampleToken", "logits must be one F32 row, not " + logits.shape.toString());
    const bool greedy = c.temperature <= 0.f;
    if (!greedy && (c.topK <= 0 || c.topK > kMaxDeviceTopK))
        return -1; // without a bounded top-k every logit would be sorted: the host does it
    const int64_t k = greedy ? 1 : std::min<int64_t>(c.topK, vocab);
    const int64_t chunks = (vocab + kSampleChunk - 1) / kSampleChunk;
    // Sized for any choice over this vocabulary at once: growing later would drop the
    // recorded decode steps (ensure() cannot tell these buffers are never recorded).
    ensure(m_sampleWork, size_t(vocab) * 4, "sampleToken");
    for (int b = 0; b < 2; ++b) {
        ensure(m_sampleValues[b], size_t(chunks * kMaxDeviceTopK) * 4, "sampleToken");
        ensure(m_sampleIds[b], size_t(chunks * kMaxDeviceTopK) * 4, "sampleToken");
    }
    ensure(m_sampleProbs, size_t(kMaxDeviceTopK) * 4, "sampleToken");
    ensure(m_sampleToken, 4, "sampleToken");
    ensure(m_hostToken, 4, "sampleToken");
    ensure(m_sampleBans, size_t(vocab) * 4, "sampleToken");
    ensure(m_hostBans, size_t(vocab) * 4, "sampleToken");
    ensure(m_samplePenalties, size_t(vocab) * 8, "sampleToken");
    ensure(m_hostPenalties, size_t(vocab) * 8, "sampleToken");
    if (c.bannedCount > vocab || c.penaltyCount > vocab)
        badArgument("sampleToken", "more banned or penalised tokens than the vocabulary holds");
    auto* work = static_cast<float*>(m_sampleWork.data);
    MOE_CUDA(cudaMemcpyAsync(work, logits.data, size_t(vocab) * 4, cudaMemcpyDeviceToDevice, m_stream));

    for (int64_t i = 0; i < c.bannedCount; ++i)
        if (c.banned[i] < 0 || c.banned[i] >= vocab)
            badArgument("sampleToken", "banned token " + std::to_string(c.banned[i]) + " of " + std::to_string(vocab));
    for (int64_t i = 0; i < c.penaltyCount; ++i)
        if (c.penaltyIds[i] < 0 || c.penaltyIds[i] >= vocab)
            badArgument("sampleToken", "penalised token " + std::to_string(c.penaltyIds[i]) + " of " + std::to_string(vocab));
    const int32_t* bans = c.bannedCount > 0 ? static_cast<const int32_t*>(stageFromHost(
                                                  c.banned, size_t(c.bannedCount) * 4, m_hostBans, m_sampleBans, "sampleToken"))
                                            : nullptr;
    const int32_t* penalties = nullptr;
    if (c.penaltyCount > 0) {
        m_penaltyPacked.assign(c.penaltyIds, c.penaltyIds + c.penaltyCount);
        m_penaltyPacked.insert(m_penaltyPacked.end(), c.penaltyCounts, c.penaltyCounts + c.penaltyCount);
        penalties = static_cast<const int32_t*>(stageFromHost(m_penaltyPacked.data(), m_penaltyPacked.size() * 4,
                                                              m_hostPenalties, m_samplePenalties, "sampleToken"));
    }
    launchBanAndPenalise(work, bans, c.bannedCount, penalties, penalties ? penalties + c.penaltyCount : nullptr,
                         c.penaltyCount, c.repetitionPenalty, c.frequencyPenalty, c.presencePenalty, m_stream);
    MOE_CUDA_LAUNCHED("sampleToken (bans, penalties)");

    // Rounds of chunk sorts until one chunk holds the k best, in order.
    const float* values = work;
    const int32_t* ids = nullptr;
    int64_t n = vocab;
    for (int round = 0;; ++round) {
        auto* outValues = static_cast<float*>(m_sampleValues[round % 2].data);
        auto* outIds = static_cast<int32_t*>(m_sampleIds[round % 2].data);
        const int64_t used = launchTopKRound(values, ids, n, k, outValues, outIds, m_stream);
        MOE_CUDA_LAUNCHED("sampleToken (top-k)");
        values = outValues;
        ids = outIds;
        n = used * k;
        if (used == 1)
            break;
    }
    launchPickToken(values, ids, k, c.temperature, greedy ? 0.f : 1.f / c.temperature, c.minP, c.topP, c.uniform,
                    static_cast<float*>(m_sampleProbs.data), static_cast<int32_t*>(m_sampleToken.data), m_stream);
    MOE_CUDA_LAUNCHED("sampleToken (choice)");
    MOE_CUDA(cudaMemcpyAsync(m_hostToken.data, m_sampleToken.data, 4, cudaMemcpyDeviceToHost, m_stream));
    MOE_CUDA(cudaStreamSynchronize(m_stream));
    return *static_cast<const int32_t*>(m_hostToken.data);
}

// Larger batches: group the assignments per expert on the host, then one GEMV or
// cuBLAS GEMM per expert over its contiguous rows.
void CudaBackend::moeExpertsGrouped(const MoeFfnParams& p, const int32_t* deviceIds, const float* gateWeights,
                                    int64_t ffn)
{
    const int64_t n = p.x->rows(), hidden = p.x->cols(), k = p.topK;
    const int64_t experts = int64_t(p.experts->size());
    requireNotRecording("moeExperts (experts grouped on the host)");
    ensure(m_hostIds, size_t(n * k) * 4, "moeExperts");
    waitForPinned();
    MOE_CUDA(cudaMemcpyAsync(m_hostIds.data, deviceIds, size_t(n * k) * 4, cudaMemcpyDeviceToHost, m_stream));
    MOE_CUDA(cudaStreamSynchronize(m_stream));
    const auto* ids = static_cast<const int32_t*>(m_hostIds.data);
    const size_t assignments = size_t(n * k);
    ensure(m_moeTokenOfSlot, assignments * 4, "moeExperts");
    ensure(m_moeSlotOf, assignments * 4, "moeExperts");
    ensure(m_hostTokenOfSlot, assignments * 4, "moeExperts");
    ensure(m_hostSlotOf, assignments * 4, "moeExperts");
    ensure(m_moeX, assignments * size_t(hidden) * 4, "moeExperts");
    ensure(m_moeD, assignments * size_t(hidden) * 4, "moeExperts");
    for (DeviceScratch* s : {&m_moeG, &m_moeU, &m_moeA})
        ensure(*s, assignments * size_t(ffn) * 4, "moeExperts");
    if (m_expertOffsets.size() < size_t(experts) + 1)
        m_expertOffsets.assign(size_t(experts) + 1, 0);

    // Counting sort of the assignments by expert: slots of one expert are contiguous.
    std::fill(m_expertOffsets.begin(), m_expertOffsets.begin() + experts + 1, 0);
    for (size_t a = 0; a < assignments; ++a) {
        if (ids[a] < 0 || ids[a] >= experts)
            badArgument("moeExperts", "expert id " + std::to_string(ids[a]) + " of " + std::to_string(experts));
        ++m_expertOffsets[size_t(ids[a]) + 1];
    }
    for (int64_t e = 0; e < experts; ++e)
        m_expertOffsets[size_t(e) + 1] += m_expertOffsets[size_t(e)];
    waitForPinned();
    auto* tokenOfSlot = static_cast<int32_t*>(m_hostTokenOfSlot.data);
    auto* slotOf = static_cast<int32_t*>(m_hostSlotOf.data);
    // m_expertOffsets[e] walks forward as slots fill, then is restored below.
    for (size_t a = 0; a < assignments; ++a) {
        const int64_t slot = m_expertOffsets[size_t(ids[a])]++;
        slotOf[a] = int32_t(slot);
        tokenOfSlot[slot] = int32_t(a / size_t(k));
    }
    for (int64_t e = experts; e > 0; --e)
        m_expertOffsets[size_t(e)] = m_expertOffsets[size_t(e) - 1];
    m_expertOffsets[0] = 0;
    MOE_CUDA(cudaMemcpyAsync(m_moeTokenOfSlot.data, tokenOfSlot, assignments * 4, cudaMemcpyHostToDevice, m_stream));
    MOE_CUDA(cudaMemcpyAsync(m_moeSlotOf.data, slotOf, assignments * 4, cudaMemcpyHostToDevice, m_stream));
    MOE_CUDA(cudaEventRecord(m_pinnedFree, m_stream));

    launchGatherRows(static_cast<const float*>(p.x->data), hidden, static_cast<const int32_t*>(m_moeTokenOfSlot.data),
                     int64_t(assignments), static_cast<float*>(m_moeX.data), m_stream);
    MOE_CUDA_LAUNCHED("moeExperts (gather)");
    auto* xs = static_cast<float*>(m_moeX.data);
    auto* gs = static_cast<float*>(m_moeG.data);
    auto* us = static_cast<float*>(m_moeU.data);
    auto* as = static_cast<float*>(m_moeA.data);
    auto* ds = static_cast<float*>(m_moeD.data);
    for (int64_t e = 0; e < experts; ++e) {
        const int64_t first = m_expertOffsets[size_t(e)], count = m_expertOffsets[size_t(e) + 1] - first;
        if (count == 0)
            continue;
        const ExpertWeights& w = (*p.experts)[size_t(e)];
        const int64_t width = w.gate.rows();
        if (width > ffn)
            badArgument("moeExperts", "expert widths differ within a layer");
        DeviceTensor xe = view(xs + first * hidden, DType::F32, count, hidden);
        DeviceTensor ge = view(gs + first * width, DType::F32, count, width);
        DeviceTensor ue = view(us + first * width, DType::F32, count, width);
        DeviceTensor ae = view(as + first * width, DType::F32, count, width);
        DeviceTensor de = view(ds + first * hidden, DType::F32, count, hidden);
        matmul(xe, w.gate, nullptr, ge);
        matmul(xe, w.up, nullptr, ue);
        swiglu(ge, ue, ae);
        matmul(ae, w.down, nullptr, de);
    }
    launchCombineExperts(ds, hidden, static_cast<const int32_t*>(m_moeSlotOf.data), gateWeights, n, k,
                         static_cast<float*>(p.out->data), m_stream);
    MOE_CUDA_LAUNCHED("moeExperts (combine)");
}

// ---- recorded steps ----

bool CudaBackend::beginStepRecording(const StepKey& key, int64_t position)
{
    if (!m_graphsOn)
        return false;
    requireNotRecording("beginStepRecording");
    MOE_CUDA(cudaSetDevice(m_device));
    ensure(m_devicePos, sizeof(int64_t), "beginStepRecording");
    ensure(m_hostPos, sizeof(int64_t), "beginStepRecording");
    MOE_CUDA(cudaEventSynchronize(m_stepDone)); // a replay may still read m_hostPos
    *static_cast<int64_t*>(m_hostPos.data) = position;
    MOE_CUDA(cudaStreamBeginCapture(m_stream, cudaStreamCaptureModeThreadLocal));
    m_recording = true;
    m_recordingKey = key;
    m_recordingTokens = 0;
    m_recordingVocab = 0;
    const cudaError_t copied =
        cudaMemcpyAsync(m_devicePos.data, m_hostPos.data, sizeof(int64_t), cudaMemcpyHostToDevice, m_stream);
    if (copied != cudaSuccess) {
        abortStepRecording(cudaGetErrorString(copied)); // leaves capture mode
        return false;
    }
    return true;
}

void CudaBackend::endStepRecording()
{
    if (!m_recording)
        return;
    m_recording = false;
    cudaGraph_t graph = nullptr;
    const cudaError_t ended = cudaStreamEndCapture(m_stream, &graph);
    if (ended != cudaSuccess || !graph) {
        cudaGetLastError();
        if (graph)
            cudaGraphDestroy(graph);
        MOE_CUDA(ended);
        badArgument("endStepRecording", "the capture gave no graph");
    }
    cudaGraphExec_t exec = nullptr;
    const cudaError_t made = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    MOE_CUDA(made);
    RecordedGraph& slot = m_graphs[m_recordingKey];
    if (slot.exec)
        cudaGraphExecDestroy(slot.exec);
    slot = RecordedGraph{exec, m_recordingTokens, m_recordingVocab};
    // Recording queued nothing: run the step once now.
    MOE_CUDA(cudaGraphLaunch(exec, m_stream));
    MOE_CUDA(cudaEventRecord(m_stepDone, m_stream));
}

void CudaBackend::abortStepRecording(const std::string& why)
{
    if (m_recording) {
        m_recording = false;
        cudaGraph_t graph = nullptr;
        cudaStreamEndCapture(m_stream, &graph);
        if (graph)
            cudaGraphDestroy(graph);
        cudaGetLastError(); // a capture error is not sticky; clear it for the ops that follow
    }
    // Once failed it would fail again: run every later step as is.
    m_graphsOn = false;
    m_graphsOff = "off: a step could not be recorded (" + why + ")";
    dropGraphs();
}

void CudaBackend::dropGraphs()
{
    if (m_graphs.empty())
        return;
    cudaStreamSynchronize(m_stream); // a replay may be running
    for (auto& [key, graph] : m_graphs)
        cudaGraphExecDestroy(graph.exec);
    m_graphs.clear();
}

bool CudaBackend::replayStep(const StepKey& key, int64_t position, const int32_t* tokens, int64_t n)
{
    if (!m_graphsOn || m_recording)
        return false;
    const auto it = m_graphs.find(key);
    if (it == m_graphs.end() || it->second.tokens != n)
        return false;
    checkTokens(tokens, n, it->second.vocab);
    MOE_CUDA(cudaSetDevice(m_device));
    MOE_CUDA(cudaEventSynchronize(m_stepDone)); // the last replay has read its inputs
    waitForPinned();                            // and so has any copy of an op run as is
    std::memcpy(m_hostTokens.data, tokens, size_t(n) * 4);
    *static_cast<int64_t*>(m_hostPos.data) = position;
    MOE_CUDA(cudaGraphLaunch(it->second.exec, m_stream));
    MOE_CUDA(cudaEventRecord(m_stepDone, m_stream));
    return true;
}

void CudaBackend::forgetSteps(const void* owner)
{
    for (auto it = m_graphs.begin(); it != m_graphs.end();) {
        if (it->first.owner == owner) {
            cudaStreamSynchronize(m_stream); // a replay may be running
            cudaGraphExecDestroy(it->second.exec);
            it = m_graphs.erase(it);
        } else {
            ++it;
        }
    }
}

std::string CudaBackend::stepRecordingStatus() const { return m_graphsOn ? "on" : m_graphsOff; }

} // namespace moe::cuda
