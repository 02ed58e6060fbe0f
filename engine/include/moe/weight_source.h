// moe/weight_source.h — one interface over the places weights come from (a GGUF file,
// a Hugging Face safetensors checkpoint), so architectures look tensors up by name
// without caring about the format.
#pragma once

#include "moe/tensor.h"

#include <optional>
#include <string>
#include <vector>

namespace moe {

struct TensorEntry {
    std::string name;
    std::string typeName;        // as the file spells it ("F16", "q8_0", "Q4_K", ...)
    std::optional<DType> dtype;  // nullopt when the type is not one we can compute with
    Shape shape;                 // row-major, outermost first
    uint64_t bytes = 0;
    std::string file;            // file the tensor lives in (shards differ)
};

class WeightSource {
public:
    virtual ~WeightSource() = default;
    // Path shown in errors (the GGUF file or the checkpoint folder).
    virtual const std::string& path() const = 0;
    virtual const std::vector<TensorEntry>& tensorEntries() const = 0;
    virtual bool has(const std::string& name) const = 0;
    // The tensor in place. Throws Error(MissingField) naming the tensor if absent and
    // Error(UnsupportedType) naming the tensor and type if we cannot compute with it.
    virtual WeightView weight(const std::string& name) const = 0;
    // Total bytes of tensor data (for load progress).
    virtual uint64_t totalTensorBytes() const = 0;
    // Sources that convert a tensor on request (quantized Hugging Face checkpoints,
    // dequantized at load) free that copy: the loader calls it once it has made its own
    // (quantize at load). Views of `name` handed out before are invalid afterwards.
    virtual void releaseConverted(const std::string& /*name*/) const {}
};

} // namespace moe
