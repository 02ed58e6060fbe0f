// moe/sampler.h — next-token choice from logits: greedy, temperature, top-k, top-p,
// min-p, repetition / frequency / presence penalties, seeded randomness.
#pragma once

#include <cstdint>
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
    const SamplingParams& params() const { return m_params; }

private:
    SamplingParams m_params;
    std::mt19937_64 m_rng;
    std::vector<float> m_logits;
    std::vector<int32_t> m_candidates;
    std::vector<float> m_probs;
    std::vector<int32_t> m_counts; // occurrences of each token in the penalty window
    std::vector<int32_t> m_banned;
};

int32_t argmax(std::span<const float> logits); // lowest index wins ties

} // namespace moe
