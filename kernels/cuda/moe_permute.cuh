// Token permutation for the grouped expert FFN and its inverse:
//   gather:  rows[s] = x[tokenOfSlot[s]]          (slots sorted by expert)
//   scatter: dst[rows[i]] += src[i]           (the parallel pass's combine and gather)
//   combine: out[t] += sum_s weight[t*k+s] * rows[slotOf[t*k+s]]   (slotOf null: rows[t*k+s])
// Combine walks each token's k slots in order, so the sum is deterministic (no atomics).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moe::cuda {

void launchGatherRows(const float* x, int64_t cols, const int32_t* tokenOfSlot, int64_t slots, float* rows,
                      cudaStream_t stream);
// dst[rows[i]] += src[i] for i < count, in order of i (rows may repeat), with the rows
// grouped by target on the host: `groups` packs targets[g] (g < groups), then the start
// of each group in `order` (groups + 1 entries), then order (the i of each source row,
// ascending within a group). One block per target adds its rows in order, so the sums
// are those of the sequential loop, bit for bit.
void launchScatterAddRows(float* dst, int64_t cols, const int32_t* packed, int64_t groups, const float* src,
                          cudaStream_t stream);
void launchCombineExperts(const float* rows, int64_t cols, const int32_t* slotOf, const float* weights, int64_t n,
                          int64_t topK, float* out, cudaStream_t stream);

} // namespace moe::cuda
