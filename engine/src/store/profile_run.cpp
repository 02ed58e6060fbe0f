#include "moe/profile_run.h"

#include <algorithm>
#include <cstring>

namespace moe {

namespace {

// Floating-point fields compare by bit pattern: the point of operator== here is to prove
// that a store or export round trip is exact (and NaN == NaN, -0 != +0 say so correctly).
template <typename T>
bool sameBits(T a, T b)
{
    return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <typename T>
bool sameBits(const std::vector<T>& a, const std::vector<T>& b)
{
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

} // namespace

std::vector<int64_t> ProfileRun::totalCounts() const
{
    std::vector<int64_t> total(size_t(std::max<int64_t>(0, numMoeLayers * numExperts)), 0);
    for (const ProfileStep& step : steps) {
        // A step shorter than the run's shape (hand-edited import) adds what it has.
        size_t n = std::min(total.size(), step.expertCounts.size());
        for (size_t i = 0; i < n; ++i)
            total[i] += step.expertCounts[i];
    }
    return total;
}

int64_t ProfileRun::totalTokens() const
{
    int64_t tokens = 0;
    for (const ProfileStep& step : steps)
        tokens += step.tokens;
    return tokens;
}

bool operator==(const ProfilePromptResult& a, const ProfilePromptResult& b)
{
    return a.category == b.category && a.prompt == b.prompt && a.output == b.output &&
           a.promptTokens == b.promptTokens && a.generatedTokens == b.generatedTokens &&
           sameBits(a.prefillSeconds, b.prefillSeconds) && sameBits(a.decodeSeconds, b.decodeSeconds);
}

bool operator==(const ProfileStep& a, const ProfileStep& b)
{
    return a.index == b.index && a.promptIndex == b.promptIndex && a.prefill == b.prefill && a.tokens == b.tokens &&
           sameBits(a.seconds, b.seconds) && a.expertCounts == b.expertCounts &&
           sameBits(a.gateWeightSums, b.gateWeightSums);
}

bool operator==(const TokenRouting& a, const TokenRouting& b)
{
    return a.position == b.position && a.token == b.token && a.expertIds == b.expertIds &&
           sameBits(a.weights, b.weights);
}

bool operator==(const ProfileRun& a, const ProfileRun& b)
{
    return a.id == b.id && a.name == b.name && a.createdAt == b.createdAt && a.modelPath == b.modelPath &&
           a.modelName == b.modelName && a.architecture == b.architecture && a.randomWeights == b.randomWeights &&
           a.settingsJson == b.settingsJson && a.numMoeLayers == b.numMoeLayers && a.numExperts == b.numExperts &&
           a.topK == b.topK && a.moeLayers == b.moeLayers && a.prompts == b.prompts && a.steps == b.steps &&
           a.traces == b.traces;
}

} // namespace moe
