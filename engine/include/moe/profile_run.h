// moe/profile_run.h — a saved profiling run: which prompts ran on which model, the
// layer x expert routing counts of every step, per-token traces of the first tokens, and
// what each prompt produced. Written by `moe profile`, kept in the store, exported to
// JSON / CSV and imported back exactly.
#pragma once

#include "moe/telemetry.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moe {

struct ProfilePromptResult {
    std::string category;   // "code", "maths", "german", ...
    std::string prompt;
    std::string output;
    int64_t promptTokens = 0;
    int64_t generatedTokens = 0;
    double prefillSeconds = 0;
    double decodeSeconds = 0;
};

struct ProfileStep {
    int64_t index = 0;          // step number within the run
    int64_t promptIndex = 0;    // which prompt it belongs to
    bool prefill = false;
    int64_t tokens = 0;
    double seconds = 0;
    std::vector<int32_t> expertCounts;   // [moeLayer * numExperts + expert]
    std::vector<float> gateWeightSums;   // same layout
};

struct ProfileRun {
    int64_t id = 0;             // store row id (0 = not stored)
    std::string name;
    std::string createdAt;      // ISO 8601 UTC, "2026-11-28T10:00:00Z"
    std::string modelPath;
    std::string modelName;
    std::string architecture;
    bool randomWeights = false;
    std::string settingsJson;   // max tokens, sampling, threads, prompt source (JSON object text)
    int64_t numMoeLayers = 0;
    int64_t numExperts = 0;
    int64_t topK = 0;
    std::vector<int32_t> moeLayers; // decoder-layer index of each MoE layer
    std::vector<ProfilePromptResult> prompts;
    std::vector<ProfileStep> steps;
    std::vector<TokenRouting> traces; // per-token routing of the first tokens

    // Sum of every step's counts: [moeLayer * numExperts + expert].
    std::vector<int64_t> totalCounts() const;
    int64_t totalTokens() const;
};

bool operator==(const ProfilePromptResult& a, const ProfilePromptResult& b);
bool operator==(const ProfileStep& a, const ProfileStep& b);
bool operator==(const TokenRouting& a, const TokenRouting& b);
bool operator==(const ProfileRun& a, const ProfileRun& b);

} // namespace moe
