#include "moe/backend.h"

#include <cassert>

namespace moe {

DeviceTensor DeviceTensor::rowsView(int64_t first, int64_t count) const
{
    // Rows of the flattened [rows, cols] matrix, so expert j of a stacked [E, out, in]
    // weight is rowsView(j * out, out).
    assert(first >= 0 && count >= 0 && first + count <= rows());
    const uint64_t rowSize = *rowBytes(dtype, uint64_t(cols()));
    DeviceTensor v;
    v.dtype = dtype;
    v.shape = Shape{count, cols()};
    v.data = static_cast<uint8_t*>(data) + uint64_t(first) * rowSize;
    v.bytes = uint64_t(count) * rowSize;
    v.owned = false;
    return v;
}

DeviceTensor DeviceTensor::leadingView(int64_t rows, int64_t width) const
{
    assert(dtype == DType::F32 && uint64_t(rows * width) * 4 <= bytes);
    DeviceTensor v = *this;
    v.shape = Shape{rows, width};
    v.bytes = uint64_t(rows * width) * 4;
    v.owned = false;
    return v;
}

} // namespace moe
