// Next-token choice on the device (Backend::sampleToken): the logits row copied to a
// work buffer, bans and penalties applied to it, then the k best (value descending, id
// ascending on ties) found by rounds of sorting chunks of 4096 in shared memory, each
// round keeping every chunk's first k, and the choice among those k made by one thread
// with the host's arithmetic (moe::chooseToken).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace moe::cuda {

constexpr int64_t kSampleChunk = 4096;

// work[banned[i]] = -inf; then for the penalty window's tokens the CTRL repetition and
// OpenAI frequency / presence penalties, as on the host.
void launchBanAndPenalise(float* work, const int32_t* banned, int64_t bannedCount, const int32_t* penaltyIds,
                          const int32_t* penaltyCounts, int64_t penaltyCount, float repetition, float frequency,
                          float presence, cudaStream_t stream);
// One round: chunk c of `n` (values, ids; ids null = the index) sorted, its first k to
// out[c * k ..] (padded with -inf / INT32_MAX). Returns the number of chunks.
int64_t launchTopKRound(const float* values, const int32_t* ids, int64_t n, int64_t k, float* outValues,
                        int32_t* outIds, cudaStream_t stream);
// The choice among k sorted candidates: greedy (temperature <= 0) → ids[0]; else softmax
// at 1 / invTemperature, min-p, top-p, and the draw `uniform` in [0, 1). `probs` holds k
// floats of scratch.
void launchPickToken(const float* values, const int32_t* ids, int64_t k, float temperature, float invTemperature,
                     float minP, float topP, double uniform, float* probs, int32_t* token, cudaStream_t stream);

} // namespace moe::cuda
