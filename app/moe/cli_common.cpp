#include "cli_common.h"

#include "cli_args.h"
#include "moe/error.h"
#include "moe/gguf.h"

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace moecli {

namespace {

bool hasGgufMagic(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    char magic[4] = {};
    return f.read(magic, 4) && std::string(magic, 4) == "GGUF";
}

std::atomic<bool> g_interrupted{false};

extern "C" void onSigint(int)
{
    // Second Ctrl-C before the first was handled: the user really wants out.
    if (g_interrupted.exchange(true))
        _exit(130);
}

} // namespace

moe::Tokenizer loadTokenizer(const std::string& path)
{
    namespace fs = std::filesystem;
    const std::string resolved = resolveModelPath(path);
    std::error_code ec;
    if (fs::is_regular_file(resolved, ec) && (resolved.ends_with(".gguf") || hasGgufMagic(resolved))) {
        moe::GgufFile gguf(resolved);
        return moe::Tokenizer::fromGguf(gguf);
    }
    return moe::Tokenizer::fromHuggingFace(resolved);
}

std::string dumpJson(const nlohmann::json& j, int indent)
{
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string cpuModelName()
{
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("model name", 0) == 0) {
            const size_t colon = line.find(':');
            if (colon != std::string::npos) {
                std::string name = line.substr(colon + 1);
                name.erase(0, name.find_first_not_of(" \t"));
                return name;
            }
        }
    }
    return "unknown";
}

std::atomic<bool>& installInterruptFlag()
{
    struct sigaction sa {};
    sa.sa_handler = onSigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: a blocked read of stdin returns so the REPL can react
    sigaction(SIGINT, &sa, nullptr);
    return g_interrupted;
}

std::vector<int32_t> parseIdList(const std::string& text, const std::string& option)
{
    std::vector<int32_t> ids;
    size_t pos = 0;
    while (pos <= text.size()) {
        const size_t comma = std::min(text.find(',', pos), text.size());
        std::string item = text.substr(pos, comma - pos);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        char* end = nullptr;
        const long v = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || v < 0 || v > INT32_MAX)
            throw UsageError(option + ": '" + item + "' is not a token id");
        ids.push_back(int32_t(v));
        pos = comma + 1;
    }
    return ids;
}

} // namespace moecli
