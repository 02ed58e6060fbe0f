// json_util.h — JSON parsing that turns nlohmann's exceptions into moe::Error(BadJson).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace moe::detail {

// Parses [begin, end). Errors name `file` and the absolute byte position
// (`positionBase` + position in the text), so a safetensors header error points into the file.
nlohmann::json parseJsonBytes(const char* begin, const char* end, const std::string& file, uint64_t positionBase);

} // namespace moe::detail
