#include "cli_args.h"

#include "moe/error.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace moecli {

namespace {

const OptionSpec* findSpec(const std::vector<OptionSpec>& specs, const std::string& name)
{
    for (const OptionSpec& s : specs)
        if (s.longName == name || (!s.shortName.empty() && s.shortName == name))
            return &s;
    return nullptr;
}

} // namespace

Args Args::parse(const std::vector<OptionSpec>& specs, const std::vector<std::string>& args)
{
    Args out;
    bool optionsDone = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        // A lone "-" and negative numbers are values, not options.
        const bool looksLikeOption = a.size() > 1 && a[0] == '-' && !(std::isdigit(static_cast<unsigned char>(a[1])));
        if (optionsDone || !looksLikeOption) {
            out.m_positionals.push_back(a);
            continue;
        }
        if (a == "--") {
            optionsDone = true;
            continue;
        }
        std::string name = a, inlineValue;
        bool hasInline = false;
        if (const size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
            name = a.substr(0, eq);
            inlineValue = a.substr(eq + 1);
            hasInline = true;
        }
        const OptionSpec* spec = findSpec(specs, name);
        if (!spec)
            throw UsageError("unknown option '" + name + "'");
        if (!spec->takesValue) {
            if (hasInline)
                throw UsageError("option '" + name + "' takes no value");
            out.m_values[spec->longName].push_back("1");
            continue;
        }
        if (!hasInline) {
            if (i + 1 >= args.size())
                throw UsageError("option '" + name + "' needs a value");
            inlineValue = args[++i];
        }
        out.m_values[spec->longName].push_back(inlineValue);
    }
    return out;
}

std::string Args::value(const std::string& longName, const std::string& fallback) const
{
    auto it = m_values.find(longName);
    return it == m_values.end() ? fallback : it->second.back();
}

const std::vector<std::string>& Args::values(const std::string& longName) const
{
    static const std::vector<std::string> none;
    auto it = m_values.find(longName);
    return it == m_values.end() ? none : it->second;
}

int64_t Args::intValue(const std::string& longName, int64_t fallback, int64_t min, int64_t max) const
{
    if (!has(longName))
        return fallback;
    const std::string v = value(longName);
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno == ERANGE)
        throw UsageError("option '" + longName + "' needs an integer, got '" + v + "'");
    if (n < min || n > max)
        throw UsageError("option '" + longName + "' must be between " + std::to_string(min) + " and " +
                         std::to_string(max) + ", got " + v);
    return n;
}

uint64_t Args::uintValue(const std::string& longName, uint64_t fallback) const
{
    if (!has(longName))
        return fallback;
    const std::string v = value(longName);
    char* end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || v[0] == '-' || *end != '\0' || errno == ERANGE)
        throw UsageError("option '" + longName + "' needs a non-negative integer, got '" + v + "'");
    return n;
}

double Args::floatValue(const std::string& longName, double fallback) const
{
    if (!has(longName))
        return fallback;
    const std::string v = value(longName);
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !std::isfinite(d))
        throw UsageError("option '" + longName + "' needs a number, got '" + v + "'");
    return d;
}

std::vector<OptionSpec> withCommonOptions(std::vector<OptionSpec> specs)
{
    specs.push_back({"--help", "-h", false});
    return specs;
}

std::vector<OptionSpec> samplingOptions()
{
    return {
        {"--max-tokens", "-n", true},   {"--temp", "", true},        {"--top-k", "", true},
        {"--top-p", "", true},          {"--min-p", "", true},       {"--repeat-penalty", "", true},
        {"--frequency-penalty", "", true}, {"--presence-penalty", "", true}, {"--repeat-last-n", "", true},
        {"--seed", "", true},           {"--stop", "", true},        {"--ignore-eos", "", false},
    };
}

const char* const kSamplingHelp = R"(Sampling:
  -n, --max-tokens N        tokens to generate (default 256)
  --temp T                  temperature; 0 = greedy (default 0.8)
  --top-k K                 keep the K most likely tokens; 0 = off (default 40)
  --top-p P                 nucleus sampling; 1 = off (default 0.95)
  --min-p P                 drop tokens below P x the best probability; 0 = off (default 0.05)
  --repeat-penalty R        divide logits of recent tokens by R (default 1.0 = off)
  --frequency-penalty F     subtract F x count of each recent token (default 0)
  --presence-penalty P      subtract P from every recent token (default 0)
  --repeat-last-n N         window of recent tokens the penalties see (default 64)
  --seed S                  random seed; same seed, same output (default 0)
  --stop STR                stop when STR is generated (repeatable)
  --ignore-eos              keep generating past end-of-sequence tokens
)";

moe::SamplingParams samplingFromArgs(const Args& a)
{
    moe::SamplingParams p;
    p.maxTokens = int32_t(a.intValue("--max-tokens", p.maxTokens, 0, 1 << 24));
    p.temperature = float(a.floatValue("--temp", p.temperature));
    p.topK = int32_t(a.intValue("--top-k", p.topK, 0, 1 << 30));
    p.topP = float(a.floatValue("--top-p", p.topP));
    p.minP = float(a.floatValue("--min-p", p.minP));
    p.repetitionPenalty = float(a.floatValue("--repeat-penalty", p.repetitionPenalty));
    p.frequencyPenalty = float(a.floatValue("--frequency-penalty", p.frequencyPenalty));
    p.presencePenalty = float(a.floatValue("--presence-penalty", p.presencePenalty));
    p.penaltyLastN = int32_t(a.intValue("--repeat-last-n", p.penaltyLastN, 0, 1 << 24));
    p.seed = a.uintValue("--seed", p.seed);
    p.stopStrings = a.values("--stop");
    p.ignoreEos = a.has("--ignore-eos");
    if (p.topP <= 0.f || p.topP > 1.f)
        throw UsageError("--top-p must be in (0, 1]");
    if (p.minP < 0.f || p.minP > 1.f)
        throw UsageError("--min-p must be in [0, 1]");
    if (p.repetitionPenalty <= 0.f)
        throw UsageError("--repeat-penalty must be positive");
    return p;
}

std::string formatBytes(uint64_t bytes)
{
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
    return buf;
}

std::string formatCount(int64_t n)
{
    char buf[32];
    if (n >= 1000000000)
        std::snprintf(buf, sizeof buf, "%.2f B", double(n) / 1e9);
    else if (n >= 1000000)
        std::snprintf(buf, sizeof buf, "%.2f M", double(n) / 1e6);
    else if (n >= 1000)
        std::snprintf(buf, sizeof buf, "%.1f K", double(n) / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
    return buf;
}

} // namespace moecli
