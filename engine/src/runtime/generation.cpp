// Engine::generate: prompt prefill (reusing the cached prefix), then the decode loop.
#include "moe/engine.h"
#include "moe/error.h"
#include "moe/sampler.h"
#include "moe/tokenizer.h"

#include <algorithm>
#include <chrono>

namespace moe {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Holds back text that could be the start of a stop string, so a stop string is never
// streamed to the user and then retracted.
class StopStringFilter {
public:
    explicit StopStringFilter(const std::vector<std::string>& stops)
        : m_stops(stops)
    {
    }

    // Appends `piece`; returns the text safe to emit. Sets `stopped` when a stop string
    // completed (the text before it is returned, the rest dropped).
    std::string push(const std::string& piece, bool& stopped)
    {
        m_held += piece;
        for (const std::string& s : m_stops) {
            if (s.empty())
                continue;
            const size_t at = m_held.find(s);
            if (at != std::string::npos) {
                stopped = true;
                std::string out = m_held.substr(0, at);
                m_held.clear();
                return out;
            }
        }
        size_t keep = 0; // longest suffix of m_held that is a prefix of some stop string
        for (const std::string& s : m_stops)
            for (size_t len = std::min(s.size() - (s.empty() ? 0 : 1), m_held.size()); len > keep; --len)
                if (m_held.compare(m_held.size() - len, len, s, 0, len) == 0) {
                    keep = len;
                    break;
                }
        std::string out = m_held.substr(0, m_held.size() - keep);
        m_held.erase(0, m_held.size() - keep);
        return out;
    }

    std::string flush()
    {
        std::string out;
        out.swap(m_held);
        return out;
    }

private:
    const std::vector<std::string>& m_stops;
    std::string m_held;
};

} // namespace

GenerationResult Engine::generate(std::span<const int32_t> prompt, const SamplingParams& params,
                                  const GenerateCallbacks& callbacks)
{
    GenerationResult result;
    if (prompt.empty())
        throw Error(ErrorCode::InvalidArgument, "", "prompt", "the prompt holds no tokens");
    const auto start = Clock::now();

    // Reuse the longest cached prefix; at least the last prompt token is run again so
    // there are logits to sample from.
    const auto cached = cachedTokens();
    size_t common = 0;
    while (common < cached.size() && common < prompt.size() && cached[common] == prompt[common])
        ++common;
    common = std::min(common, prompt.size() - 1);
    truncate(int64_t(common));
    std::span<const float> logits = forward(prompt.subspan(common));
    result.timings.promptTokens = int64_t(prompt.size() - common);
    result.timings.prefillSeconds = secondsSince(start);

    Sampler sampler(spec().vocabSize, params);
    const Tokenizer& tok = tokenizer();
    // Ids the vocabulary marks unused (padding up to the embedding's row count) are never
    // output: a trained model gives them no probability, a random demo model would.
    std::vector<int32_t> unused;
    const auto& types = tok.vocab().tokenTypes;
    for (size_t id = 0; id < types.size(); ++id)
        if (types[id] == TokenType::Unused)
            unused.push_back(int32_t(id));
    sampler.banTokens(std::move(unused));
    StreamDecoder decoder(tok, /*skipSpecial=*/true);
    StopStringFilter stops(params.stopStrings);
    std::vector<int32_t> history(prompt.begin(), prompt.end());
    history.reserve(prompt.size() + size_t(std::max(params.maxTokens, 0)));
    result.tokens.reserve(size_t(std::max(params.maxTokens, 0)));
    result.tokenLatenciesSeconds.reserve(size_t(std::max(params.maxTokens, 0)));

    auto emit = [&](const std::string& text, int32_t token) {
        result.text += text;
        return !callbacks.onToken || callbacks.onToken(text, token);
    };

    const auto decodeStart = Clock::now();
    result.stop = GenerationResult::Stop::MaxTokens;
    int32_t next = -1; // chosen by forwardAndSample along with the last step (no logits on the host)
    for (int32_t i = 0; i < params.maxTokens; ++i) {
        const auto stepStart = Clock::now();
        if (callbacks.cancel && callbacks.cancel->load(std::memory_order_relaxed)) {
            result.stop = GenerationResult::Stop::Cancelled;
            break;
        }
        int32_t token = next;
        next = -1;
        if (token < 0) {
            if (callbacks.onLogits)
                callbacks.onLogits(logits);
            const auto sampleStart = Clock::now();
            token = sampler.sample(logits, history);
            setPendingSamplingSeconds(secondsSince(sampleStart));
        }
        if (!params.ignoreEos && (tok.isEos(token) || std::count(spec().eosTokenIds.begin(), spec().eosTokenIds.end(), token))) {
            result.stop = GenerationResult::Stop::Eos;
            break;
        }
        result.tokens.push_back(token);
        history.push_back(token);
        if (result.tokens.size() == 1)
            result.timings.timeToFirstTokenSeconds = secondsSince(start);
        bool stopped = false;
        const std::string text = stops.push(decoder.push(token), stopped);
        const bool keepGoing = emit(text, token);
        if (stopped) {
            result.stop = GenerationResult::Stop::StopString;
            break;
        }
        if (!keepGoing) {
            result.stop = GenerationResult::Stop::Cancelled;
            break;
        }
        if (position() >= contextLength()) {
            result.stop = GenerationResult::Stop::ContextFull;
            break;
        }
        if (i + 1 < params.maxTokens) {
            // Whoever watches the logits gets them on the host; else the backend may sample.
            if (callbacks.onLogits)
                logits = forward(std::span<const int32_t>(&token, 1));
            else
                next = forwardAndSample(std::span<const int32_t>(&token, 1), sampler, history);
        }
        result.tokenLatenciesSeconds.push_back(secondsSince(stepStart));
    }
    if (result.stop != GenerationResult::Stop::StopString) {
        bool ignored = false;
        std::string tail = stops.push(decoder.flush(), ignored);
        tail += stops.flush();
        if (!tail.empty())
            emit(tail, -1);
    }
    result.timings.generatedTokens = int64_t(result.tokens.size());
    result.timings.decodeSeconds = secondsSince(decodeStart);
    return result;
}

} // namespace moe
