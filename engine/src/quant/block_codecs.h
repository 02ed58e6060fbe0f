// quant/block_codecs.h — row codecs for the GGML block types after Q4_0 (the types
// in moe/quant_blocks.h). dtype.cpp's dequantizeRow / quantizeRow route here, so the
// rest of the engine only ever sees those two entry points.
#pragma once

#include "moe/dtype.h"

#include <cstddef>

namespace moe::quant {

// n a multiple of dtypeInfo(t).blockElements; t one of Q4_1 ... MXFP4.
void dequantizeBlocks(DType t, const void* src, float* dst, size_t n);
void quantizeBlocks(DType t, const float* src, void* dst, size_t n);

} // namespace moe::quant
