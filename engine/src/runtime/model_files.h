// Internal: opening what a user points at (a .gguf file, a Hugging Face folder, its
// config.json or one of its .safetensors files) and reading its spec and tokenizer.
#pragma once

#include "moe/engine.h"
#include "moe/quantize.h"
#include "moe/weight_source.h"

#include <memory>
#include <string>
#include <vector>

namespace moe {

class GgufFile;
class HfCheckpoint;

struct OpenedModel {
    ModelFormat format = ModelFormat::Gguf;
    std::unique_ptr<WeightSource> source;
    const GgufFile* gguf = nullptr;     // set for GGUF
    const HfCheckpoint* hf = nullptr;   // set for safetensors
    ModelSpec spec;
    bool randomWeights = false;
    std::string checkpointQuantization; // HfQuantization::label(); empty when not quantized
};

OpenedModel openModelFiles(const std::string& path);
ModelInfo describeModel(const std::string& path, const OpenedModel& m);
// weightBytes and activeWeightBytesPerToken from info.tensors (loaded bytes where a
// tensor is quantized at load); info.tensors is in m.source's order.
void addWeightTotals(ModelInfo& info, const OpenedModel& m);
// Records quantize-at-load in `info`: loaded types and bytes per tensor, new totals,
// the summary. `plan` is in m.source's tensor order.
void applyLoadQuantization(ModelInfo& info, const OpenedModel& m, const std::vector<TensorQuantization>& plan,
                           const QuantizeOptions& options);

} // namespace moe
