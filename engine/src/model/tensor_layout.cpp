#include "model/tensor_layout.h"

#include "moe/error.h"

#include <algorithm>
#include <cstdint>

namespace moe::detail {

uint64_t checkedElements(const std::string& file, const std::string& field, const uint64_t* dims, int rank,
                         bool allowZeroDims)
{
    uint64_t elements = 1;
    for (int d = 0; d < rank; ++d) {
        if (dims[d] > uint64_t(INT64_MAX))
            throw Error(ErrorCode::Overflow, file, field,
                        "dimension " + std::to_string(d) + " = " + std::to_string(dims[d]) + " does not fit int64");
        if (dims[d] == 0 && !allowZeroDims)
            throw Error(ErrorCode::BadValue, file, field, "dimension " + std::to_string(d) + " is zero");
        if (__builtin_mul_overflow(elements, dims[d], &elements) || elements > uint64_t(INT64_MAX))
            throw Error(ErrorCode::Overflow, file, field, "element count overflows");
    }
    return elements;
}

uint64_t checkedSpan(const std::string& file, const std::string& field, uint64_t base, uint64_t rel, uint64_t bytes,
                     uint64_t fileSize)
{
    uint64_t begin = 0;
    uint64_t end = 0;
    if (__builtin_add_overflow(base, rel, &begin) || __builtin_add_overflow(begin, bytes, &end))
        throw Error(ErrorCode::Overflow, file, field, "offset " + std::to_string(rel) + " overflows");
    if (begin > fileSize)
        throw Error(ErrorCode::Overflow, file, field,
                    "offset " + std::to_string(begin) + " is past the end of the file (" + std::to_string(fileSize)
                        + " bytes)");
    if (end > fileSize)
        throw Error(ErrorCode::Truncated, file, field,
                    "data ends at " + std::to_string(end) + ", past the end of the file (" + std::to_string(fileSize)
                        + " bytes)");
    return begin;
}

size_t findOverlap(std::vector<TensorSpan>& spans)
{
    std::sort(spans.begin(), spans.end(), [](const TensorSpan& a, const TensorSpan& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t reach = 0; // furthest end of the non-empty tensors so far
    for (const TensorSpan& s : spans) {
        if (s.begin == s.end)
            continue;
        if (s.begin < reach)
            return s.index;
        reach = s.end;
    }
    return SIZE_MAX;
}

} // namespace moe::detail
