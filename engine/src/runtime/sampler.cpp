#include "moe/sampler.h"

#include "moe/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace moe {

SamplingParams SamplingParams::greedy()
{
    SamplingParams p;
    p.temperature = 0.f;
    p.topK = 0;
    p.topP = 1.f;
    p.minP = 0.f;
    return p;
}

int32_t argmax(std::span<const float> logits)
{
    int32_t best = 0;
    for (size_t i = 1; i < logits.size(); ++i)
        if (logits[i] > logits[size_t(best)])
            best = int32_t(i);
    return best;
}

Sampler::Sampler(int64_t vocabSize, const SamplingParams& params)
    : m_params(params)
    , m_rng(params.seed)
{
    if (vocabSize <= 0)
        throw Error(ErrorCode::InvalidArgument, "", "vocab_size", "sampler needs a positive vocabulary size");
    if (params.topP <= 0.f)
        throw Error(ErrorCode::InvalidArgument, "", "top_p", "must be in (0, 1]");
    if (params.repetitionPenalty <= 0.f)
        throw Error(ErrorCode::InvalidArgument, "", "repetition_penalty", "must be positive");
    // Sized once: sample() runs per token and must not allocate.
    m_logits.resize(size_t(vocabSize));
    m_candidates.resize(size_t(vocabSize));
    m_probs.resize(size_t(vocabSize));
    m_counts.assign(size_t(vocabSize), 0);
}

void Sampler::reset(uint64_t seed) { m_rng.seed(seed); }

void Sampler::banTokens(std::vector<int32_t> ids)
{
    std::erase_if(ids, [&](int32_t id) { return id < 0 || size_t(id) >= m_logits.size(); });
    m_banned = std::move(ids);
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> recent)
{
    const size_t n = std::min(logits.size(), m_logits.size());
    std::copy_n(logits.begin(), n, m_logits.begin());
    for (int32_t t : m_banned)
        if (size_t(t) < n)
            m_logits[size_t(t)] = -std::numeric_limits<float>::infinity();

    const bool penalise = m_params.repetitionPenalty != 1.f || m_params.frequencyPenalty != 0.f ||
                          m_params.presencePenalty != 0.f;
    if (penalise && m_params.penaltyLastN != 0) {
        const size_t window = m_params.penaltyLastN < 0 ? recent.size()
                                                        : std::min(recent.size(), size_t(m_params.penaltyLastN));
        const auto tail = recent.subspan(recent.size() - window);
        for (int32_t t : tail)
            if (t >= 0 && size_t(t) < n)
                ++m_counts[size_t(t)];
        for (int32_t t : tail) {
            if (t < 0 || size_t(t) >= n || m_counts[size_t(t)] == 0)
                continue;
            float& l = m_logits[size_t(t)];
            // CTRL-style repetition penalty as llama.cpp applies it, then OpenAI-style
            // frequency / presence penalties; each token once (counts reset below).
            l = l > 0.f ? l / m_params.repetitionPenalty : l * m_params.repetitionPenalty;
            l -= float(m_counts[size_t(t)]) * m_params.frequencyPenalty + m_params.presencePenalty;
            m_counts[size_t(t)] = 0;
        }
    }

    if (m_params.temperature <= 0.f)
        return argmax(std::span<const float>(m_logits.data(), n));

    // Candidates sorted by logit (partially, to top-k when set).
    size_t count = n;
    std::iota(m_candidates.begin(), m_candidates.begin() + ptrdiff_t(n), 0);
    auto byLogit = [&](int32_t a, int32_t b) {
        const float la = m_logits[size_t(a)], lb = m_logits[size_t(b)];
        return la > lb || (la == lb && a < b);
    };
    if (m_params.topK > 0 && size_t(m_params.topK) < n) {
        count = size_t(m_params.topK);
        std::partial_sort(m_candidates.begin(), m_candidates.begin() + ptrdiff_t(count),
                          m_candidates.begin() + ptrdiff_t(n), byLogit);
    } else {
        std::sort(m_candidates.begin(), m_candidates.begin() + ptrdiff_t(n), byLogit);
    }

    const float invT = 1.f / m_params.temperature;
    const float maxLogit = m_logits[size_t(m_candidates[0])];
    double sum = 0.0;
    for (size_t i = 0; i < count; ++i) {
        m_probs[i] = std::exp((m_logits[size_t(m_candidates[i])] - maxLogit) * invT);
        sum += m_probs[i];
    }
    for (size_t i = 0; i < count; ++i)
        m_probs[i] = float(m_probs[i] / sum);

    if (m_params.minP > 0.f) { // keep p >= minP * p_max (p_max is the first)
        const float threshold = m_params.minP * m_probs[0];
        size_t keep = 1;
        while (keep < count && m_probs[keep] >= threshold)
            ++keep;
        count = keep;
    }
    if (m_params.topP < 1.f) { // smallest prefix whose mass reaches topP
        double cum = 0.0;
        size_t keep = 0;
        while (keep < count) {
            cum += m_probs[keep++];
            if (cum >= m_params.topP)
                break;
        }
        count = std::max<size_t>(keep, 1);
    }

    double mass = 0.0;
    for (size_t i = 0; i < count; ++i)
        mass += m_probs[i];
    // 53 random bits → uniform double in [0, 1): identical on every platform, unlike
    // std::uniform_real_distribution.
    const double u = double(m_rng() >> 11) * 0x1.0p-53 * mass;
    double cum = 0.0;
    for (size_t i = 0; i < count; ++i) {
        cum += m_probs[i];
        if (u < cum)
            return m_candidates[i];
    }
    return m_candidates[count - 1];
}

} // namespace moe
