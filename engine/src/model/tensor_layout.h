// tensor_layout.h — overflow-checked shape and placement arithmetic shared by the GGUF
// and safetensors readers. All values come from untrusted files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace moe::detail {

struct TensorSpan {
    uint64_t begin; // absolute, in the file
    uint64_t end;
    size_t index;   // into the reader's entries
};

// Product of `rank` dims. Each dim must fit int64 (Shape stores int64) and be nonzero
// unless `allowZeroDims`; the product must fit int64 too. Throws Error(BadValue /
// Overflow) naming `file` and `field`.
uint64_t checkedElements(const std::string& file, const std::string& field, const uint64_t* dims, int rank,
                         bool allowZeroDims);

// Absolute begin of a tensor at `base + rel` spanning `bytes`; throws Overflow when the
// sum overflows or starts past the end, Truncated when the file ends inside the tensor.
uint64_t checkedSpan(const std::string& file, const std::string& field, uint64_t base, uint64_t rel, uint64_t bytes,
                     uint64_t fileSize);

// Index (TensorSpan::index) of a tensor whose bytes overlap an earlier one, or SIZE_MAX.
// Sorts `spans` by begin. Empty tensors overlap nothing.
size_t findOverlap(std::vector<TensorSpan>& spans);

} // namespace moe::detail
