// Internal: the weights of a loaded model as backend tensors, found by role in a GGUF
// file or a Hugging Face checkpoint and checked against the shapes the spec implies.
#pragma once

#include "moe/architecture.h"
#include "moe/backend.h"
#include "moe/weight_source.h"

#include <atomic>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace moe {

class ThreadPool;

struct LayerWeights {
    DeviceTensor attnNorm, ffnNorm;                 // F32 [hidden]
    DeviceTensor q, k, v, o;                        // [out, in]
    DeviceTensor qBias, kBias, vBias;               // F32 (optional)
    DeviceTensor qNorm, kNorm;                      // F32 [headDim] or [width] (optional)
    bool moe = false;
    DeviceTensor router;                            // [E, hidden]
    std::vector<ExpertWeights> experts;             // routed experts
    ExpertWeights shared;                           // shared expert or dense FFN (data null if absent)
    DeviceTensor sharedExpertGate;                  // [1, hidden] (Qwen2-MoE)
};

struct ModelWeights {
    DeviceTensor tokenEmbedding;  // [vocab, hidden]
    DeviceTensor outputNorm;      // F32 [hidden]
    DeviceTensor lmHead;          // [vocab, hidden] (the embedding when tied)
    std::vector<LayerWeights> layers;
    std::vector<DeviceTensor> owned; // converted tensors to release (norms as F32, quantized-at-load matrices)
};

struct WeightLoadContext {
    const WeightSource& source;
    const ModelSpec& spec;
    const Architecture& arch;
    bool gguf = false;
    Backend& backend;
    std::function<void(uint64_t bytesDone)> onBytes; // cumulative bytes touched
    const std::atomic<bool>* cancel = nullptr;
    bool prefault = true;
    // Quantize at load: tensor name -> block type (quant::planQuantization decides);
    // those matrices are converted into backend memory instead of used in place.
    const std::unordered_map<std::string, DType>* quantize = nullptr;
    ThreadPool* quantizePool = nullptr; // required when `quantize` is set
    // The backend whose weight types are checked (null: `backend`): a parallel plan loads
    // on the host for GPUs that run fewer types.
    const Backend* runsOn = nullptr;
};

// Throws Error(MissingField) naming a missing tensor, Error(BadValue) naming a tensor
// whose shape differs from what the spec implies, Error(Cancelled) when cancelled.
ModelWeights loadModelWeights(const WeightLoadContext& ctx);
void releaseModelWeights(ModelWeights& w, Backend& backend);

} // namespace moe
