// store/profile_codec.h — the compact binary form of a profiling run's bulky parts
// (prompts, steps, traces) as the store keeps them: little-endian fields, length-prefixed
// arrays, then zlib. A step of a 58-layer x 256-expert model is ~118 KiB raw and mostly
// small counts, which zlib shrinks several-fold.
#pragma once

#include "moe/profile_run.h"

#include <string>
#include <vector>

namespace moe::store {

constexpr int kProfileCodecVersion = 1;

std::string encodePrompts(const std::vector<ProfilePromptResult>& prompts);
std::string encodeSteps(const std::vector<ProfileStep>& steps);
std::string encodeTraces(const std::vector<TokenRouting>& traces);

// Throw Error(BadValue, path, field) on a blob that does not decode (truncated, bad
// lengths, bad zlib stream); `path` and `field` only name the source in the error.
std::vector<ProfilePromptResult> decodePrompts(const std::string& blob, const std::string& path, const std::string& field);
std::vector<ProfileStep> decodeSteps(const std::string& blob, const std::string& path, const std::string& field);
std::vector<TokenRouting> decodeTraces(const std::string& blob, const std::string& path, const std::string& field);

} // namespace moe::store
