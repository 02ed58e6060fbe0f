// quant/tensor_quantizer.h — internal: which tensors of a model get quantized (the one
// decision both quantize-at-load and `moe quantize` use) and the row-parallel converter.
#pragma once

#include "moe/architecture.h"
#include "moe/quantize.h"
#include "moe/weight_source.h"

#include <unordered_map>

namespace moe {

class ThreadPool;

namespace quant {

// One entry per tensor of `source`, in its order. `gguf` selects the tensor names
// (llama.cpp's, stacked experts) or the architecture's Hugging Face names.
std::vector<TensorQuantization> planQuantization(const WeightSource& source, const ModelSpec& spec,
                                                 const Architecture& arch, bool gguf, const QuantizeOptions& options);

// Name -> stored type of the tensors the plan converts (Quantized / Fallback).
std::unordered_map<std::string, DType> conversionsOf(const std::vector<TensorQuantization>& plan);

// Converts `rows` rows of `cols` values from `from` to `to` (dequantizeRow, then
// quantizeRow), rows spread over `pool`. `dst` holds rows * rowBytes(to, cols) bytes.
// Results do not depend on the thread count.
void convertRows(DType from, const void* src, DType to, void* dst, int64_t rows, int64_t cols, ThreadPool& pool);

} // namespace quant
} // namespace moe
