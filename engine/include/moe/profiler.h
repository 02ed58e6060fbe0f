// moe/profiler.h — profiling runs: run a set of prompts through an Engine and keep the
// routing telemetry of every step (layer x expert counts, per-token traces of the first
// tokens) as a ProfileRun, plus the summary figures a report shows.
#pragma once

#include "moe/engine.h"
#include "moe/profile_run.h"

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace moe {

struct ProfilePrompt {
    std::string category;
    std::string text;
};

// The built-in prompt set (resources/prompts/builtin.json, compiled in).
std::vector<ProfilePrompt> builtinProfilePrompts();
// A prompts file: JSON ({"prompts": [{"category", "prompt"}]} or ["text", ...]) or plain
// text with one prompt per line. Errors name the file and the line / field: text that is
// not UTF-8, malformed JSON, no prompts at all.
std::vector<ProfilePrompt> readProfilePrompts(const std::string& path);

struct ProfileOptions {
    std::string name;                  // defaults to "<model> <date>"
    int32_t maxTokens = 64;            // generated per prompt
    SamplingParams sampling = SamplingParams::greedy();
    int64_t traceTokens = 256;         // per-token routing kept for the first N tokens
    bool useChatTemplate = true;       // wrap each prompt as a user message
    std::string settingsJson;          // extra settings recorded with the run
    std::function<void(size_t promptsDone, size_t promptsTotal)> onProgress;
    const std::atomic<bool>* cancel = nullptr; // stops between steps; the run so far is returned
};

ProfileRun runProfile(Engine& engine, const std::vector<ProfilePrompt>& prompts, const ProfileOptions& options);

struct LayerSummary {
    int64_t moeLayer = 0;
    int32_t decoderLayer = 0;
    int32_t hottestExpert = -1;
    int64_t hottestCount = 0;
    int32_t coldestExpert = -1;
    int64_t coldestCount = 0;
    std::vector<int32_t> unusedExperts;
    LayerImbalance imbalance;
};

struct ProfileSummary {
    int64_t tokens = 0;    // token positions processed (prompt + generated)
    int64_t steps = 0;
    std::vector<LayerSummary> layers;
};

ProfileSummary summarizeProfileRun(const ProfileRun& run, double capacityFactor = 1.25);

} // namespace moe
