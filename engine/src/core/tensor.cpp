#include "moe/tensor.h"

#include <cassert>

namespace moe {

Shape::Shape(std::initializer_list<int64_t> d)
{
    assert(d.size() <= 4);
    for (int64_t v : d)
        dims[size_t(rank++)] = v;
}

int64_t Shape::elements() const
{
    int64_t n = 1;
    for (int i = 0; i < rank; ++i)
        n *= dims[size_t(i)];
    return n;
}

bool Shape::operator==(const Shape& o) const
{
    if (rank != o.rank)
        return false;
    for (int i = 0; i < rank; ++i)
        if (dims[size_t(i)] != o.dims[size_t(i)])
            return false;
    return true;
}

std::string Shape::toString() const
{
    std::string s = "[";
    for (int i = 0; i < rank; ++i) {
        if (i)
            s += ", ";
        s += std::to_string(dims[size_t(i)]);
    }
    return s + "]";
}

uint64_t WeightView::bytesPerRow() const { return *rowBytes(dtype, uint64_t(shape.cols())); }

const uint8_t* WeightView::row(int64_t r) const
{
    return static_cast<const uint8_t*>(data) + uint64_t(r) * bytesPerRow();
}

WeightView WeightView::slice(int64_t index) const
{
    assert(shape.rank >= 2 && index >= 0 && index < shape[0]);
    WeightView v;
    v.dtype = dtype;
    v.shape.rank = shape.rank - 1;
    for (int i = 1; i < shape.rank; ++i)
        v.shape.dims[size_t(i - 1)] = shape[i];
    v.bytes = bytes / uint64_t(shape[0]);
    v.data = static_cast<const uint8_t*>(data) + uint64_t(index) * v.bytes;
    return v;
}

} // namespace moe
