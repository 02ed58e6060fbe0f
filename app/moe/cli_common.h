// cli_common.h — helpers several `moe` commands share: loading a tokenizer alone,
// printing JSON that survives invalid UTF-8, the machine description, Ctrl-C.
#pragma once

#include "moe/tokenizer.h"

#include <atomic>
#include <cstdint>
#include <vector>
#include <nlohmann/json.hpp>
#include <string>

namespace moecli {

// A tokenizer from a .gguf file, a tokenizer.json, or a folder holding one (a folder
// written by make-model works too). Throws moe::Error naming the path.
moe::Tokenizer loadTokenizer(const std::string& path);

// JSON text with invalid UTF-8 (a token that cuts a character) replaced by U+FFFD
// instead of throwing.
std::string dumpJson(const nlohmann::json& j, int indent = 2);

// "Intel(R) Xeon(R) ..." from /proc/cpuinfo, or "unknown".
std::string cpuModelName();

// Installs a SIGINT handler that sets the returned flag (and clears nothing): the
// program keeps running, the current generation stops. A second Ctrl-C while the flag
// is still set exits the program.
std::atomic<bool>& installInterruptFlag();

// Comma-separated ids ("1,2,3"); throws UsageError naming the option.
std::vector<int32_t> parseIdList(const std::string& text, const std::string& option);

} // namespace moecli
