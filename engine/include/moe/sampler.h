// moe/sampler.h — next-token choice from logits: greedy, temperature, top-k, top-p,
// min-p, repetition / frequency / presence penalties, seeded randomness.
#pragma once

#include "moe/backend.h"

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace moe {

struct SamplingParams {
    float temperature = 0.8f;        // <= 0 → greedy (argmax)
    int32_t topK = 40;               // <= 0 → off
    float topP = 0.95f;              // >= 1 → off
    float minP = 0.05f;              // <= 0 → off; keep tokens with p >= minP * p_max
    float repetitionPenalty = 1.0f;  // llama.cpp / CTRL style: logit / p if > 0 else logit * p
    float frequencyPenalty = 0.0f;   // OpenAI style: logit -= count * f
    float presencePenalty = 0.0f;    // logit -= (count > 0) * p
    int32_t penaltyLastN = 64;       // window of recent tokens the penalties look at
    uint64_t seed = 0;               // same seed + same inputs → same tokens
    int32_t maxTokens = 256;
    std::vector<std::string> stopStrings;
    bool ignoreEos = false;

    static SamplingParams greedy();
};

// Holds scratch for a vocabulary so that sample() does not allocate.
class Sampler {
public:
    Sampler(int64_t vocabSize, const SamplingParams& params);
    void reset(uint64_t seed);
    // Tokens that are never sampled (their logit is treated as -inf), e.g. the ids a
    // vocabulary marks unused (padding rows of the embedding). Ids out of range are ignored.
    void banTokens(std::vector<int32_t> ids);
    // `recent` are the last tokens (prompt + generated) the penalties consider.
    int32_t sample(std::span<const float> logits, std::span<const int32_t> recent);
    // Whether a device can sample with these parameters: greedy, or a top-k of
    // 1..kMaxDeviceTopK (without top-k every logit would have to be sorted).
    bool runsOnDevice() const;
    // sample() over logits that stay on `backend` (a [1, vocab] row): the same choice and
    // the same random draw, with only the token coming back. nullopt when the backend does
    // not sample; the next sample() then uses this call's draw, so the sequence of tokens
    // is the one host sampling gives.
    std::optional<int32_t> sampleOnDevice(Backend& backend, const DeviceTensor& logits, std::span<const int32_t> recent);
    const SamplingParams& params() const { return m_params; }

private:
    TokenChoice choice(std::span<const int32_t> recent, size_t n);
    double nextUniform();

    SamplingParams m_params;
    std::mt19937_64 m_rng;
    std::vector<float> m_logits;
    std::vector<int32_t> m_candidates;
    std::vector<float> m_probs;
    std::vector<int32_t> m_counts; // occurrences of each token in the penalty window
    std::vector<int32_t> m_banned;
    std::vector<int32_t> m_penaltyIds, m_penaltyCounts; // distinct tokens of the window, occurrences
    std::optional<double> m_pendingDraw;
};

// The host side of Backend::sampleToken: the choice TokenChoice describes, over n logits
// (changed in place: bans and penalties); `candidates` and `probs` hold n entries.
int32_t chooseToken(float* logits, int64_t n, const TokenChoice& c, int32_t* candidates, float* probs);

int32_t argmax(std::span<const float> logits); // lowest index wins ties

} // namespace moe
