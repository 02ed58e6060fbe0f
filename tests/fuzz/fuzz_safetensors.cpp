// libFuzzer harness for the safetensors reader: any input must parse or raise moe::Error.
#include "moe/error.h"
#include "moe/safetensors.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        const auto file = moe::SafetensorsFile::fromMemory(data, size, "fuzz.safetensors");
        volatile uint64_t sink = file->userMetadata().size();
        for (const moe::TensorEntry& e : file->tensorEntries()) {
            try {
                const moe::WeightView w = file->weight(e.name);
                if (w.bytes > 0) {
                    const auto* p = static_cast<const uint8_t*>(w.data);
                    sink = sink + p[0] + p[w.bytes - 1];
                }
            } catch (const moe::Error&) {
            }
        }
    } catch (const moe::Error&) {
    }
    return 0;
}
