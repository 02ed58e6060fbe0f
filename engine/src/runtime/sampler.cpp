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
    // Distinct tokens of the penalty window: at most the window, at most the vocabulary.
    const int64_t window = params.penaltyLastN < 0 ? vocabSize : std::max<int64_t>(params.penaltyLastN, 64);
    m_penaltyIds.reserve(size_t(std::min(window, vocabSize)));
    m_penaltyCounts.reserve(m_penaltyIds.capacity());
}

void Sampler::reset(uint64_t seed)
{
    m_rng.seed(seed);
    m_pendingDraw.reset();
}

void Sampler::banTokens(std::vector<int32_t> ids)
{
    std::erase_if(ids, [&](int32_t id) { return id < 0 || size_t(id) >= m_logits.size(); });
    m_banned = std::move(ids);
}

bool Sampler::runsOnDevice() const
{
    return m_params.temperature <= 0.f || (m_params.topK > 0 && m_params.topK <= kMaxDeviceTopK);
}

// The uniform draw of one sample: 53 random bits → [0, 1), identical on every platform
// (unlike std::uniform_real_distribution); a draw a device could not use is kept for
// the host sample that replaces it.
double Sampler::nextUniform()
{
    if (m_pendingDraw) {
        const double u = *m_pendingDraw;
        m_pendingDraw.reset();
        return u;
    }
    return double(m_rng() >> 11) * 0x1.0p-53;
}

TokenChoice Sampler::choice(std::span<const int32_t> recent, size_t n)
{
    TokenChoice c;
    c.temperature = m_params.temperature;
    c.topK = m_params.topK;
    c.topP = m_params.topP;
    c.minP = m_params.minP;
    c.repetitionPenalty = m_params.repetitionPenalty;
    c.frequencyPenalty = m_params.frequencyPenalty;
    c.presencePenalty = m_params.presencePenalty;
    c.banned = m_banned.data();
    c.bannedCount = int64_t(m_banned.size());
    m_penaltyIds.clear();
    m_penaltyCounts.clear();
    const bool penalise = m_params.repetitionPenalty != 1.f || m_params.frequencyPenalty != 0.f ||
                          m_params.presencePenalty != 0.f;
    if (penalise && m_params.penaltyLastN != 0) {
        const size_t window = m_params.penaltyLastN < 0 ? recent.size()
                                                        : std::min(recent.size(), size_t(m_params.penaltyLastN));
        for (int32_t t : recent.subspan(recent.size() - window))
            if (t >= 0 && size_t(t) < n && m_counts[size_t(t)]++ == 0)
                m_penaltyIds.push_back(t); // capacity kept: no allocation once the window is full
        for (int32_t t : m_penaltyIds) {
            m_penaltyCounts.push_back(m_counts[size_t(t)]);
            m_counts[size_t(t)] = 0;
        }
    }
    c.penaltyIds = m_penaltyIds.data();
    c.penaltyCounts = m_penaltyCounts.data();
    c.penaltyCount = int64_t(m_penaltyIds.size());
    c.uniform = m_params.temperature > 0.f ? nextUniform() : 0.0;
    return c;
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> recent)
{
    const size_t n = std::min(logits.size(), m_logits.size());
    std::copy_n(logits.begin(), n, m_logits.begin());
    const TokenChoice c = choice(recent, n);
    return chooseToken(m_logits.data(), int64_t(n), c, m_candidates.data(), m_probs.data());
}

std::optional<int32_t> Sampler::sampleOnDevice(Backend& backend, const DeviceTensor& logits,
                                               std::span<const int32_t> recent)
{
    if (!runsOnDevice())
        return std::nullopt;
    const TokenChoice c = choice(recent, std::min(size_t(logits.cols()), m_logits.size()));
    const int32_t token = backend.sampleToken(logits, c);
    if (token >= 0)
        return token;
    if (c.temperature > 0.f)
        m_pendingDraw = c.uniform;
    return std::nullopt;
}

int32_t chooseToken(float* logits, int64_t n, const TokenChoice& c, int32_t* candidates, float* probs)
{
    for (int64_t i = 0; i < n; ++i) // NaN orders as nothing else does: it is never chosen (as on a GPU)
        if (std::isnan(logits[i]))
            logits[i] = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < c.bannedCount; ++i)
        if (c.banned[i] >= 0 && c.banned[i] < n)
            logits[c.banned[i]] = -std::numeric_limits<float>::infinity();
    // CTRL-style repetition penalty as llama.cpp applies it, then OpenAI-style frequency /
    // presence penalties; each token of the window once.
    for (int64_t i = 0; i < c.penaltyCount; ++i) {
        float& l = logits[c.penaltyIds[i]];
        l = l > 0.f ? l / c.repetitionPenalty : l * c.repetitionPenalty;
        l -= float(c.penaltyCounts[i]) * c.frequencyPenalty + c.presencePenalty;
    }

    if (c.temperature <= 0.f)
        return argmax(std::span<const float>(logits, size_t(n)));

    // Candidates sorted by logit (partially, to top-k when set).
    size_t count = size_t(n);
    std::iota(candidates, candidates + n, 0);
    auto byLogit = [&](int32_t a, int32_t b) {
        const float la = logits[a], lb = logits[b];
        return la > lb || (la == lb && a < b);
    };
    if (c.topK > 0 && c.topK < n) {
        count = size_t(c.topK);
        std::partial_sort(candidates, candidates + count, candidates + n, byLogit);
    } else {
        std::sort(candidates, candidates + n, byLogit);
    }

    const float invT = 1.f / c.temperature;
    const float maxLogit = logits[candidates[0]];
    double sum = 0.0;
    for (size_t i = 0; i < count; ++i) {
        probs[i] = std::exp((logits[candidates[i]] - maxLogit) * invT);
        sum += probs[i];
    }
    for (size_t i = 0; i < count; ++i)
        probs[i] = float(probs[i] / sum);

    if (c.minP > 0.f) { // keep p >= minP * p_max (p_max is the first)
        const float threshold = c.minP * probs[0];
        size_t keep = 1;
        while (keep < count && probs[keep] >= threshold)
            ++keep;
        count = keep;
    }
    if (c.topP < 1.f) { // smallest prefix whose mass reaches topP
        double cum = 0.0;
        size_t keep = 0;
        while (keep < count) {
            cum += probs[keep++];
            if (cum >= c.topP)
                break;
        }
        count = std::max<size_t>(keep, 1);
    }

    double mass = 0.0;
    for (size_t i = 0; i < count; ++i)
        mass += probs[i];
    const double u = c.uniform * mass;
    double cum = 0.0;
    for (size_t i = 0; i < count; ++i) {
        cum += probs[i];
        if (u < cum)
            return candidates[i];
    }
    return candidates[count - 1];
}

} // namespace moe
