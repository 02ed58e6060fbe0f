// ggml_types.h — block geometry of every ggml tensor type we know by id, so byte sizes
// of tensors can be bounds-checked even for types we cannot compute with yet.
#pragma once

#include <cstdint>
#include <optional>

namespace moe::detail {

struct GgmlBlock {
    const char* name;
    uint32_t blockElements; // weights per block (1 for plain types)
    uint32_t blockBytes;    // bytes per block
};

// nullopt for ids ggml never assigned or has since removed (4, 5, 31-33, 36-38, ...).
std::optional<GgmlBlock> ggmlBlock(uint32_t ggmlType);

} // namespace moe::detail
