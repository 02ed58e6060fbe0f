#include "moe/engine.h"

#include "forward_pass.h"
#include "kv_cache.h"
#include "model_files.h"
#include "model_weights.h"
#include "parallel_forward_pass.h"
#include "telemetry_recorder.h"

#include "core/thread_pool.h"
#include "quant/tensor_quantizer.h"

#include "moe/architecture.h"
#include "moe/communicator.h"
#include "moe/devices.h"
#include "moe/error.h"
#include "moe/gguf.h"
#include "moe/sampler.h"
#include "moe/safetensors.h"
#include "moe/tokenizer.h"

#include <algorithm>
#include <chrono>
#include <optional>

namespace moe {

struct Engine::Impl {
    OpenedModel files;
    ModelInfo info;
    std::optional<Tokenizer> tokenizer;
    std::unique_ptr<Backend> backend;
    ModelWeights weights;
    std::unique_ptr<KvCache> cache;
    std::unique_ptr<ForwardPass> pass;
    std::optional<ParallelPlan> plan;
    std::unique_ptr<Communicator> comm;
    std::vector<std::unique_ptr<Backend>> deviceBackends; // a parallel plan's GPUs (or the caller's backends)
    std::unique_ptr<ParallelForwardPass> parallelPass; // instead of `pass` when the plan has several devices
    std::vector<DeviceMemory> deviceMemory;
    int64_t contextLength = 0;
    std::vector<float> lastLogits;  // [vocab]
    std::vector<float> allLogits;   // [n, vocab] of the last forward(allLogits=true)
    ForwardObserver* observer = nullptr;
    TelemetryBus bus;
    std::unique_ptr<TelemetryRecorder> recorder;
    double pendingSamplingSeconds = 0; // set by generate(), counted in the next step
    std::string deviceFallbackReason;  // --devices auto chose the CPU because of this

    ~Impl()
    {
        parallelPass.reset();
        comm.reset();
        pass.reset();
        cache.reset();
        if (backend)
            releaseModelWeights(weights, *backend);
    }
};

namespace {

// Validates the plan and checks it fits before any weight is touched (on GPUs: in the
// memory of the smallest one named, unless the caller set a limit).
void planParallel(const ModelSpec& spec, const ModelInfo& info, int64_t context, const ParallelConfig& config,
                  std::optional<ParallelPlan>& plan, std::vector<DeviceMemory>& memory)
{
    ParallelConfig c = config;
    bool gpuLimit = false;
    if (c.kind == DeviceKind::Cuda) {
        for (size_t i = 0; i < c.cudaDevices.size(); ++i)
            if (std::find(c.cudaDevices.begin(), c.cudaDevices.begin() + std::ptrdiff_t(i), c.cudaDevices[i]) !=
                c.cudaDevices.begin() + std::ptrdiff_t(i))
                throw Error(ErrorCode::InvalidArgument, info.path, "devices",
                            "cuda:" + std::to_string(c.cudaDevices[i]) +
                                " is named twice; each device of a plan is its own GPU");
        const DeviceReport report = discoverDevices();
        if (!report.cuda.empty() && !report.cudaComputeAvailable)
            throw Error(ErrorCode::UnsupportedType, info.path, "devices",
                        "the GPUs are there but the CUDA backend is not: " + report.cudaBackendReason);
        if (!report.cuda.empty() && !report.ncclBuilt)
            throw Error(ErrorCode::UnsupportedType, info.path, "devices",
                        "the CUDA backend was built without NCCL, so it cannot split a model over GPUs");
        for (int id : c.cudaDevices) {
            const auto it = std::find_if(report.cuda.begin(), report.cuda.end(),
                                         [id](const CudaDeviceInfo& g) { return g.index == id; });
            if (report.cuda.empty())
                throw Error(ErrorCode::UnsupportedType, info.path, "devices",
                            "cannot run on cuda:" + std::to_string(id) + ": " + report.reason);
            if (it == report.cuda.end())
                throw Error(ErrorCode::InvalidArgument, info.path, "devices",
                            "cuda:" + std::to_string(id) + " does not exist: this machine has " +
                                std::to_string(report.cuda.size()) + " CUDA device" +
                                (report.cuda.size() == 1 ? "" : "s"));
            if (config.memoryLimitBytes == 0) {
                gpuLimit = true;
                c.memoryLimitBytes = c.memoryLimitBytes ? std::min(c.memoryLimitBytes, it->memoryBytes) : it->memoryBytes;
            }
        }
    }
    plan = ParallelPlan::make(spec, c);
    const int64_t params = spec.parameterCounts().total;
    const double bytesPerWeight = params > 0 ? double(info.weightBytes) / double(params) : 4.0;
    memory = plan->memoryPerDevice(bytesPerWeight, context);
    try {
        plan->checkFits(memory);
    } catch (const Error& e) {
        if (!gpuLimit)
            throw;
        throw Error(e.code(), info.path, "devices",
                    e.detail() + " (the limit is the memory of the smallest GPU named; devices are numbered in the "
                                 "order of --devices)");
    }
}

std::unique_ptr<Backend> cpuBackend(const EngineOptions& options) { return createCpuBackend({options.threads}); }

// The backend the options ask for. A named GPU that cannot be used is an error; only
// "auto" falls back to the CPU (here, or when the weights do not fit or run on the
// GPU: see Engine::load), and says why.
std::unique_ptr<Backend> createBackend(const EngineOptions& options, std::string& fallbackReason)
{
    const ParallelConfig& c = options.parallel;
    if (c.kind == DeviceKind::Cuda)
        return createCudaBackend(c.cudaDevices.empty() ? 0 : c.cudaDevices.front());
    if (c.kind == DeviceKind::Auto && !c.isParallel()) { // virtual devices are CPU devices
        try {
            return createCudaBackend(0);
        } catch (const Error& e) {
            fallbackReason = e.detail();
        }
    }
    return cpuBackend(options);
}

} // namespace

Engine::Engine()
    : m_impl(std::make_unique<Impl>())
{
}

Engine::~Engine() = default;

std::unique_ptr<Engine> Engine::load(const std::string& path, const EngineOptions& options)
{
    std::unique_ptr<Engine> engine(new Engine());
    Impl& d = *engine->m_impl;
    d.files = openModelFiles(path);
    d.info = describeModel(path, d.files);
    const ModelSpec& spec = d.files.spec;
    const Architecture& arch = architectureFor(spec);
    if (!arch.runnable)
        throw Error(ErrorCode::UnsupportedArch, path, "architecture",
                    arch.displayName + " can be planned but not run by this engine yet (multi-head latent attention)");
    d.tokenizer = d.files.gguf ? Tokenizer::fromGguf(*d.files.gguf) : Tokenizer::fromHuggingFace(d.files.hf->dir());

    d.contextLength = options.contextLength > 0 ? options.contextLength : std::min<int64_t>(spec.maxContext, 4096);
    if (d.contextLength <= 0)
        throw Error(ErrorCode::InvalidArgument, path, "context", "context length must be positive");
    // Quantize-at-load decisions come first: the memory plan sizes the quantized weights.
    std::unordered_map<std::string, DType> conversions;
    if (options.quantize) {
        const bool gguf = d.files.format == ModelFormat::Gguf;
        const std::vector<TensorQuantization> qplan =
            quant::planQuantization(*d.files.source, spec, arch, gguf, *options.quantize);
        applyLoadQuantization(d.info, d.files, qplan, *options.quantize);
        conversions = quant::conversionsOf(qplan);
    }
    const bool parallel = options.parallel.isParallel();
    if (options.makeBackend && parallel && !options.makeCommunicator)
        throw Error(ErrorCode::InvalidArgument, path, "devices",
                    "backends of the caller's own need a communicator of its own for a parallel plan");
    if (parallel)
        planParallel(spec, d.info, d.contextLength, options.parallel, d.plan, d.deviceMemory);
    // A parallel plan loads the weights on the host and places each device's shards on it;
    // its GPUs and NCCL start first, so a device that cannot is named before any weight is read.
    std::vector<Backend*> devices;
    if (parallel) {
        d.backend = cpuBackend(options);
        devices.assign(size_t(d.plan->devices()), d.backend.get()); // virtual CPU devices
        if (options.makeBackend || options.parallel.kind == DeviceKind::Cuda) {
            for (int32_t i = 0; i < d.plan->devices(); ++i) {
                d.deviceBackends.push_back(options.makeBackend ? options.makeBackend(i)
                                                               : createCudaBackend(options.parallel.cudaDevices[size_t(i)]));
                devices[size_t(i)] = d.deviceBackends.back().get();
            }
            d.comm = options.makeCommunicator ? options.makeCommunicator(d.plan->devices())
                                              : createNcclCommunicator(options.parallel.cudaDevices);
            d.comm->setLinkModel(options.link);
        } else {
            LocalCommunicatorOptions lo;
            lo.devices = d.plan->devices();
            lo.link = options.link;
            d.comm = createLocalCommunicator(lo);
        }
    } else {
        d.backend = options.makeBackend ? options.makeBackend(0) : createBackend(options, d.deviceFallbackReason);
    }

    const uint64_t total = d.files.source->totalTensorBytes();
    std::unique_ptr<ThreadPool> quantizePool;
    if (!conversions.empty())
        quantizePool = std::make_unique<ThreadPool>(options.threads);
    auto loadWeights = [&] {
        WeightLoadContext ctx{*d.files.source, spec, arch, d.files.format == ModelFormat::Gguf, *d.backend, {},
                              options.cancel, options.prefault};
        if (options.onProgress)
            ctx.onBytes = [&](uint64_t done) { options.onProgress(LoadProgress{done, total}); };
        if (quantizePool) {
            ctx.quantize = &conversions;
            ctx.quantizePool = quantizePool.get();
        }
        ctx.runsOn = d.deviceBackends.empty() ? nullptr : d.deviceBackends.front().get();
        d.weights = loadModelWeights(ctx);
    };
    const auto loadStart = std::chrono::steady_clock::now();
    try {
        loadWeights();
    } catch (const Error& e) {
        // "auto" on a GPU that cannot hold or run this model: start over on the CPU. The
        // GPU backend frees what it had uploaded as it goes.
        if (options.parallel.kind != DeviceKind::Auto || d.backend->isHost() || e.code() == ErrorCode::Cancelled)
            throw;
        d.deviceFallbackReason = d.backend->name() + ": " + (e.field().empty() ? "" : e.field() + ": ") + e.detail();
        d.weights = {};
        d.backend = cpuBackend(options);
        loadWeights();
    }
    if (d.info.quantizedAtLoad)
        d.info.quantizedAtLoad->seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - loadStart).count();
    quantizePool.reset();

    const int64_t maxBatch = std::clamp<int64_t>(options.maxBatch, 1, d.contextLength);
    if (d.plan) {
        // The KV shards live on the devices; this cache only tracks the tokens.
        d.cache = std::make_unique<KvCache>(*d.backend, 0, d.contextLength, 0);
        d.parallelPass = std::make_unique<ParallelForwardPass>(devices, spec, d.weights, *d.plan, *d.comm, maxBatch,
                                                               d.contextLength);
    } else {
        d.cache = std::make_unique<KvCache>(*d.backend, spec.numLayers, d.contextLength, spec.numKvHeads * spec.headDim);
        d.pass = std::make_unique<ForwardPass>(*d.backend, spec, d.weights, maxBatch, d.contextLength);
    }
    d.lastLogits.resize(size_t(spec.vocabSize));
    if (options.telemetry)
        d.recorder = std::make_unique<TelemetryRecorder>(spec, options.capacityFactor,
                                                         size_t(std::max<int64_t>(options.routingHistoryTokens, 1)));
    return engine;
}

const ParallelPlan* Engine::parallelPlan() const { return m_impl->plan ? &*m_impl->plan : nullptr; }
const TrafficMatrix* Engine::lastTraffic() const
{
    return m_impl->parallelPass ? &m_impl->parallelPass->traffic() : nullptr;
}
std::vector<DeviceMemory> Engine::memoryPerDevice() const { return m_impl->deviceMemory; }

const ModelInfo& Engine::info() const { return m_impl->info; }
const std::string& Engine::deviceFallbackReason() const { return m_impl->deviceFallbackReason; }
const ModelSpec& Engine::spec() const { return m_impl->files.spec; }
const Tokenizer& Engine::tokenizer() const { return *m_impl->tokenizer; }
Backend& Engine::backend() { return m_impl->deviceBackends.empty() ? *m_impl->backend : *m_impl->deviceBackends.front(); }
int64_t Engine::contextLength() const { return m_impl->contextLength; }
int64_t Engine::position() const { return m_impl->cache->position(); }
std::span<const int32_t> Engine::cachedTokens() const { return m_impl->cache->tokens(); }
void Engine::reset() { truncate(0); }
void Engine::setPendingSamplingSeconds(double s) { m_impl->pendingSamplingSeconds = s; }
void Engine::truncate(int64_t keep)
{
    m_impl->cache->truncate(keep);
    if (m_impl->recorder)
        m_impl->recorder->truncateHistory(m_impl->cache->position());
}
void Engine::setObserver(ForwardObserver* observer) { m_impl->observer = observer; }
TelemetryBus& Engine::telemetry() { return m_impl->bus; }

std::vector<TokenRouting> Engine::routingHistory(size_t maxTokens) const
{
    return m_impl->recorder ? m_impl->recorder->history(maxTokens) : std::vector<TokenRouting>{};
}

std::span<const float> Engine::forward(std::span<const int32_t> tokens, bool allLogits)
{
    return runForward(tokens, allLogits, true);
}

int32_t Engine::forwardAndSample(std::span<const int32_t> tokens, Sampler& sampler, std::span<const int32_t> recent)
{
    Impl& d = *m_impl;
    const bool onDevice = d.pass && !d.backend->isHost() && sampler.runsOnDevice();
    const std::span<const float> logits = runForward(tokens, false, !onDevice);
    const auto start = std::chrono::steady_clock::now();
    std::optional<int32_t> token;
    if (onDevice)
        token = sampler.sampleOnDevice(*d.backend, d.pass->lastLogits(), recent);
    if (!token) {
        if (onDevice) { // the backend does not sample after all: fetch the row
            const DeviceTensor row = d.pass->lastLogits();
            d.backend->download(row, d.lastLogits.data(), row.bytes);
        }
        token = sampler.sample(onDevice ? std::span<const float>(d.lastLogits) : logits, recent);
    }
    setPendingSamplingSeconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return *token;
}

std::span<const float> Engine::runForward(std::span<const int32_t> tokens, bool allLogits, bool download)
{
    Impl& d = *m_impl;
    const int64_t vocab = spec().vocabSize;
    if (tokens.empty())
        throw Error(ErrorCode::InvalidArgument, "", "tokens", "forward needs at least one token");
    if (d.cache->position() + int64_t(tokens.size()) > d.contextLength)
        throw Error(ErrorCode::InvalidArgument, "", "context",
                    "prompt of " + std::to_string(tokens.size()) + " tokens after " + std::to_string(d.cache->position()) +
                        " cached ones exceeds the context length " + std::to_string(d.contextLength));
    for (int32_t t : tokens)
        if (t < 0 || t >= vocab)
            throw Error(ErrorCode::InvalidArgument, "", "token id",
                        std::to_string(t) + " is outside the vocabulary (0.." + std::to_string(vocab - 1) + ")");
    if (allLogits)
        d.allLogits.resize(tokens.size() * size_t(vocab));
    const int64_t chunk = d.parallelPass ? d.parallelPass->maxBatch() : d.pass->maxBatch();
    for (size_t first = 0; first < tokens.size(); first += size_t(chunk)) {
        const int64_t n = std::min<int64_t>(chunk, int64_t(tokens.size() - first));
        float* out = allLogits ? d.allLogits.data() + first * size_t(vocab) : download ? d.lastLogits.data() : nullptr;
        TelemetryRecorder* rec = d.recorder.get();
        if (rec) {
            rec->begin(tokens.data() + first, n, d.cache->position(), tokens.size() > 1);
            rec->addStageSeconds(Stage::Sampling, d.pendingSamplingSeconds);
            d.pendingSamplingSeconds = 0;
        }
        if (d.parallelPass) {
            d.parallelPass->run(*d.cache, tokens.data() + first, n, allLogits, d.observer, rec, out);
            if (rec)
                rec->setTraffic(d.parallelPass->traffic());
        } else {
            d.pass->run(*d.cache, tokens.data() + first, n, allLogits, d.observer, rec, out);
        }
        if (rec)
            d.bus.publish(rec->finish(d.cache->position(), d.contextLength,
                                      d.parallelPass ? d.parallelPass->kvBytes() : d.cache->bytes()));
    }
    if (allLogits)
        std::copy_n(d.allLogits.end() - vocab, vocab, d.lastLogits.begin());
    return d.lastLogits;
}

std::span<const float> Engine::logitsOf(int64_t i) const
{
    const size_t vocab = size_t(spec().vocabSize);
    const auto& all = m_impl->allLogits;
    if (i < 0 || size_t(i + 1) * vocab > all.size())
        throw Error(ErrorCode::InvalidArgument, "", "index", "no logits for row " + std::to_string(i));
    return std::span<const float>(all.data() + size_t(i) * vocab, vocab);
}

} // namespace moe
