// libFuzzer harness for the GGUF reader: any input must parse or raise moe::Error.
// Any other exception escapes and libFuzzer reports it, like a crash or sanitizer hit.
#include "moe/error.h"
#include "moe/gguf.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        const auto file = moe::GgufFile::fromMemory(data, size, "fuzz.gguf");
        volatile uint64_t sink = file->alignment() + file->dataOffset();
        for (const auto& [key, value] : file->metadata()) {
            try {
                (void)file->findFloat(key);
            } catch (const moe::Error&) {
            }
            sink = sink + value.arrayLength;
        }
        for (const moe::TensorEntry& e : file->tensorEntries()) {
            try {
                const moe::WeightView w = file->weight(e.name);
                // Touch the first and last byte: a view outside the buffer trips ASan.
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
