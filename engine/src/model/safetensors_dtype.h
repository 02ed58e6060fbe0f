// safetensors_dtype.h — the dtype strings of the safetensors format and their sizes.
#pragma once

#include "moe/dtype.h"

#include <cstdint>
#include <optional>
#include <string_view>

namespace moe::detail {

struct SafetensorsDType {
    std::string_view name;
    uint32_t bytes;             // bytes per element
    std::optional<DType> dtype; // nullopt when we cannot compute with it yet
};

// nullopt for names the format does not define (or sub-byte ones such as F4 we do not size).
std::optional<SafetensorsDType> safetensorsDType(std::string_view name);
const char* safetensorsName(DType t); // "F32", "F16", "BF16"; nullptr for block types

} // namespace moe::detail
