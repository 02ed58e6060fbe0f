// Internal: opening what a user points at (a .gguf file, a Hugging Face folder, its
// config.json or one of its .safetensors files) and reading its spec and tokenizer.
#pragma once

#include "moe/engine.h"
#include "moe/weight_source.h"

#include <memory>
#include <string>

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
};

OpenedModel openModelFiles(const std::string& path);
ModelInfo describeModel(const std::string& path, const OpenedModel& m);

} // namespace moe
