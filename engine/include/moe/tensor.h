// moe/tensor.h — shapes and read-only views of weights as they lie in a file.
//
// Shapes are row-major, outermost first (PyTorch order): a linear layer's weight is
// [out, in], a stacked expert tensor [n_expert, out, in]. GGUF lists dimensions
// innermost first; its reader reverses them so every room sees one convention.
#pragma once

#include "moe/dtype.h"

#include <array>
#include <cstdint>
#include <string>

namespace moe {

struct Shape {
    int rank = 0;
    std::array<int64_t, 4> dims{};

    Shape() = default;
    Shape(std::initializer_list<int64_t> d);
    int64_t operator[](int i) const { return dims[size_t(i)]; }
    int64_t elements() const;
    int64_t rows() const { return rank <= 1 ? 1 : elements() / dims[size_t(rank - 1)]; }
    int64_t cols() const { return rank == 0 ? 1 : dims[size_t(rank - 1)]; }
    bool operator==(const Shape& o) const;
    std::string toString() const; // "[8, 64, 32]"
};

// A weight in host memory (usually inside an mmap). `data` points at the first byte.
struct WeightView {
    DType dtype = DType::F32;
    Shape shape;
    const void* data = nullptr;
    uint64_t bytes = 0;

    bool valid() const { return data != nullptr; }
    // Row r of a 2-D (or flattened) weight.
    const uint8_t* row(int64_t r) const;
    uint64_t bytesPerRow() const;
    // Slice `index` of the outermost dimension of a >= 2-D weight (expert j of a stack).
    WeightView slice(int64_t index) const;
};

} // namespace moe
