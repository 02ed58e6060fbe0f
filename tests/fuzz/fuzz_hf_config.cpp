// libFuzzer harness for parseJson (config.json, generation_config.json, index files):
// malformed text must raise moe::Error(BadJson), never an nlohmann exception or a crash.
#include "moe/error.h"
#include "moe/safetensors.h"

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        const nlohmann::json j = moe::parseJson(std::string(reinterpret_cast<const char*>(data), size), "config.json");
        volatile size_t sink = j.size();
        (void)sink;
    } catch (const moe::Error&) {
    }
    return 0;
}
