// moe/engine.h — the public face of the runtime: load a model (GGUF file or Hugging
// Face folder), run forward passes with a KV cache, generate with streaming callbacks
// and cancellation.
//
// One Engine holds one model and one sequence (one KV cache). It is not thread-safe:
// the owner (CLI main, the GUI's worker thread) calls it from one thread; cancel flags
// and callbacks are how other threads talk to it.
#pragma once

#include "moe/backend.h"
#include "moe/model_spec.h"
#include "moe/parallel_plan.h"
#include "moe/quantize.h"
#include "moe/sampler.h"
#include "moe/telemetry.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace moe {

class Communicator;
class Sampler;
class Tokenizer;
class WeightSource;

enum class ModelFormat { Gguf, Safetensors };
const char* modelFormatName(ModelFormat f);

// What a model file says about itself, without touching the weights.
struct ModelInfo {
    std::string path;
    ModelFormat format = ModelFormat::Gguf;
    ModelSpec spec;
    std::string architectureName;
    bool runnable = false;
    struct Tensor {
        std::string name;
        std::string type;  // as the file names it
        std::string shape; // "[8, 64, 32]"
        uint64_t bytes = 0;
        bool supported = true;
        // Quantized at load: the type and bytes in memory ("Q8_0"); empty when the
        // tensor is used as the file stores it.
        std::string loadedType;
        uint64_t loadedBytes = 0;
    };
    std::vector<Tensor> tensors;
    // Weight bytes in memory: as the file stores them, or after quantize-at-load.
    uint64_t weightBytes = 0;
    uint64_t activeWeightBytesPerToken = 0; // bytes a decode step reads (experts: top-k only)
    uint64_t kvBytesPerToken = 0;           // at our F32 cache
    bool randomWeights = false;             // made by `moe make-model` (demo / test model)
    // A Hugging Face quantized checkpoint (config.json quantization_config): "AWQ int4
    // g128", "GPTQ int4 g128 act-order", "FP8 E4M3 block 128x128"; empty otherwise. Its
    // quantized layers are dequantized to F16 at load and listed as F16 tensors.
    std::string checkpointQuantization;
    // Set by Engine::load with EngineOptions::quantize: what was converted, bytes before
    // and after, seconds spent (inspectModel leaves it empty).
    std::optional<QuantizeSummary> quantizedAtLoad;
};

// A model path as users give it: a .gguf file, a Hugging Face folder, or a folder from
// `moe make-model --out DIR` (DIR/model.gguf, else DIR/hf). Throws Error(Io) when absent.
std::string resolveModelPath(const std::string& path);

// Reads headers and config only (fast). Throws moe::Error.
ModelInfo inspectModel(const std::string& path);
// The tensor type holding most weight bytes ("F16", "Q8_0", ...): what people call the
// model's dtype. After quantize-at-load, the types in memory.
std::string dominantTensorType(const ModelInfo& info);
// The same over the file's own types (ignores quantize-at-load).
std::string dominantFileTensorType(const ModelInfo& info);

struct LoadProgress {
    uint64_t bytesDone = 0;
    uint64_t bytesTotal = 0;
};

struct EngineOptions {
    int threads = 0;               // 0 = all cores
    int64_t contextLength = 0;     // 0 = min(model's, 4096)
    int64_t maxBatch = 256;        // prefill chunk size
    // Called during load with bytes touched so far; the load checks `cancel` between chunks.
    std::function<void(const LoadProgress&)> onProgress;
    const std::atomic<bool>* cancel = nullptr; // load throws Error(Cancelled) when set
    bool prefault = true;          // touch every weight page during load (progress + no first-token stall)
    bool telemetry = true;         // record routing and stage timings per step (see telemetry.h)
    double capacityFactor = 1.25;  // for the overflow share in the imbalance figures
    int64_t routingHistoryTokens = 4096; // per-token routing kept for the per-token view
    // Tensor / expert parallelism over several devices (cpu:N = virtual devices in this
    // process, real data moved and counted). Default: one device, no communicator.
    ParallelConfig parallel;
    LinkModel link = LinkModel::nvlink4(); // for the estimated communication time
    // Quantize F32 / F16 / BF16 matrices to a block type while loading (moe/quantize.h
    // says which tensors). Progress counts source bytes; `cancel` is checked per tensor.
    // ModelInfo::quantizedAtLoad reports what happened.
    std::optional<QuantizeOptions> quantize;
    // Runs on backends of the caller's own instead of the ones `parallel` names: for
    // programs that bring a backend of their own and for tests of the backend contract.
    // Called with the device index: 0 on one device; each device of a parallel plan, which
    // then also needs makeCommunicator (the plan's weights load on the host, and each
    // device's shards are placed on its backend, as on several GPUs).
    std::function<std::unique_ptr<Backend>(int32_t device)> makeBackend;
    std::function<std::unique_ptr<Communicator>(int32_t devices)> makeCommunicator;
};

// Observes hidden states for tests and the scalar reference (called per layer; never in
// production runs unless set).
struct ForwardObserver {
    virtual ~ForwardObserver() = default;
    // hidden: F32 [n, hidden] after layer `layer` (host memory copy).
    virtual void afterLayer(int64_t layer, std::span<const float> hidden, int64_t n) = 0;
    // routing of MoE layer `layer` for the n tokens of this forward call.
    virtual void routing(int64_t layer, const RoutingView& r) { (void)layer; (void)r; }
};

struct StepTimings {
    double prefillSeconds = 0;
    double decodeSeconds = 0;
    int64_t promptTokens = 0;
    int64_t generatedTokens = 0;
    double timeToFirstTokenSeconds = 0;
};

struct GenerationResult {
    std::vector<int32_t> tokens; // generated ids (no prompt)
    std::string text;
    enum class Stop { Eos, StopString, MaxTokens, Cancelled, ContextFull } stop = Stop::MaxTokens;
    StepTimings timings;
    std::vector<double> tokenLatenciesSeconds; // per decoded token
};

struct GenerateCallbacks {
    // Text pieces as they become valid UTF-8; return false to stop.
    std::function<bool(const std::string& piece, int32_t token)> onToken;
    // Optional: logits of each step before sampling (for --top-logits).
    std::function<void(std::span<const float> logits)> onLogits;
    const std::atomic<bool>* cancel = nullptr;
};

class Engine {
public:
    static std::unique_ptr<Engine> load(const std::string& path, const EngineOptions& options = {});
    ~Engine();

    const ModelInfo& info() const;
    const ModelSpec& spec() const;
    const Tokenizer& tokenizer() const;
    // The backend that computes: the CPU's for virtual devices, device 0's on a plan over
    // GPUs (or the caller's backends).
    Backend& backend();
    // With --devices auto: why the CPU was chosen (no GPU, no CUDA backend, ...); empty
    // when the requested device was used.
    const std::string& deviceFallbackReason() const;
    int64_t contextLength() const;

    // KV cache state: tokens already in the cache.
    int64_t position() const;
    std::span<const int32_t> cachedTokens() const;
    void reset();
    // Drop cached tokens after `keep` (reuse a common prefix across chat turns).
    void truncate(int64_t keep);

    // Runs `tokens` after the cached ones. Returns the logits of the last token (host
    // memory, valid until the next call); with `allLogits`, logitsOf(i) gives each row.
    std::span<const float> forward(std::span<const int32_t> tokens, bool allLogits = false);
    std::span<const float> logitsOf(int64_t i) const;
    // Runs `tokens` after the cached ones and picks the next token with `sampler`
    // (`recent`: as for Sampler::sample). On a GPU with parameters it can sample (see
    // Sampler::runsOnDevice) the logits stay there and only the token comes back; else
    // they are downloaded and sampled on the host. Either way the same token for the same
    // draws. The sampling time is counted in the next step's telemetry.
    int32_t forwardAndSample(std::span<const int32_t> tokens, Sampler& sampler, std::span<const int32_t> recent);
    void setObserver(ForwardObserver* observer);

    // Telemetry: every forward call publishes one StepTelemetry snapshot to this bus
    // (when EngineOptions::telemetry is on). Subscribe from any thread.
    TelemetryBus& telemetry();
    // The parallel plan (null on one device) and the traffic of the last forward call
    // (null on one device; also carried in StepTelemetry::traffic).
    const ParallelPlan* parallelPlan() const;
    const TrafficMatrix* lastTraffic() const;
    // Per device memory of the plan (weights at the file's bytes per weight, F32 KV cache).
    std::vector<DeviceMemory> memoryPerDevice() const;

    // Per-token routing of the last `maxTokens` tokens in the cache, oldest first.
    std::vector<TokenRouting> routingHistory(size_t maxTokens) const;

    // Feeds the prompt (reusing the cached prefix), then samples until EOS, a stop
    // string, maxTokens, the context end or cancellation.
    GenerationResult generate(std::span<const int32_t> prompt, const SamplingParams& params,
                              const GenerateCallbacks& callbacks = {});

private:
    Engine();
    // Sampling happens between two forward calls; its time is counted in the next step.
    void setPendingSamplingSeconds(double seconds);
    // forward(); with `download` false the last logits stay on the backend (one device).
    std::span<const float> runForward(std::span<const int32_t> tokens, bool allLogits, bool download);
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace moe
