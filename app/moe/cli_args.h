// cli_args.h — the small argument parser every `moe` subcommand shares, plus the
// sampling flags that `generate` and `chat` have in common.
//
// Bad flags raise UsageError (main prints the command's usage and exits 2); errors in
// what the user points us at (files, models) are moe::Error (exit 1).
#pragma once

#include "moe/engine.h"
#include "moe/sampler.h"

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace moecli {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct OptionSpec {
    std::string longName;   // "--temp"
    std::string shortName;  // "-t" or ""
    bool takesValue = true;
};

class Args {
public:
    // Parses `args` (the words after the subcommand). "--name=value" and "--name value"
    // both work; "--" ends the options. Unknown options throw UsageError.
    static Args parse(const std::vector<OptionSpec>& specs, const std::vector<std::string>& args);

    bool has(const std::string& longName) const { return m_values.count(longName) > 0; }
    std::string value(const std::string& longName, const std::string& fallback = {}) const;
    const std::vector<std::string>& values(const std::string& longName) const;
    int64_t intValue(const std::string& longName, int64_t fallback, int64_t min, int64_t max) const;
    double floatValue(const std::string& longName, double fallback) const;
    uint64_t uintValue(const std::string& longName, uint64_t fallback) const;
    const std::vector<std::string>& positionals() const { return m_positionals; }

private:
    std::map<std::string, std::vector<std::string>> m_values;
    std::vector<std::string> m_positionals;
};

// Options every command accepts.
std::vector<OptionSpec> withCommonOptions(std::vector<OptionSpec> specs);

// --temp --top-k --top-p --min-p --repeat-penalty --frequency-penalty
// --presence-penalty --seed --stop (repeatable) -n/--max-tokens
std::vector<OptionSpec> samplingOptions();
moe::SamplingParams samplingFromArgs(const Args& args);
extern const char* const kSamplingHelp;

// "1.5 GiB", "512 KiB", "12 B".
std::string formatBytes(uint64_t bytes);
// "1.02 B", "290.3 K".
std::string formatCount(int64_t n);

// Model paths resolve as moe::resolveModelPath (moe/engine.h) says.
using moe::resolveModelPath;

} // namespace moecli
