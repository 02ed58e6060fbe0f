// `moe tokenize` — how a model's tokenizer splits a text (ids and pieces).
#include "cli_args.h"
#include "cli_common.h"
#include "commands.h"

#include <cstdio>
#include <iostream>
#include <iterator>

namespace moecli {
namespace {

const char* const kUsage = R"(usage: moe tokenize (-m PATH | --tokenizer FILE_OR_DIR) TEXT... [--json] [--no-special]

Encodes TEXT (several words are joined by spaces; '-' reads standard input) with a
model's tokenizer and prints the ids and the pieces.

Options:
  -m, --model PATH          a .gguf file or a Hugging Face folder (weights are not loaded)
  --tokenizer FILE_OR_DIR   a tokenizer.json, a folder holding one, or a .gguf file
  --json                    print {"ids": [...], "pieces": [...], "texts": [...], "count": N}
  --no-special              treat special tokens in TEXT as plain text and add no BOS/EOS
  --decode                  TEXT is a comma-separated list of ids to turn back into text
  -h, --help                show this help
)";

std::string readAllStdin()
{
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

std::string joinedText(const std::vector<std::string>& words)
{
    if (words.size() == 1 && words[0] == "-")
        return readAllStdin();
    std::string text;
    for (size_t i = 0; i < words.size(); ++i)
        text += (i ? " " : "") + words[i];
    return text;
}

int run(const std::vector<std::string>& argList)
{
    const Args a = Args::parse(withCommonOptions({{"--model", "-m", true}, {"--tokenizer", "", true},
                                                  {"--json", "", false}, {"--no-special", "", false},
                                                  {"--decode", "", false}}),
                               argList);
    if (a.has("--help")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (a.has("--model") == a.has("--tokenizer"))
        throw UsageError("give exactly one of -m PATH or --tokenizer FILE_OR_DIR");
    if (a.positionals().empty())
        throw UsageError("no TEXT given");
    const moe::Tokenizer tok = loadTokenizer(a.has("--model") ? a.value("--model") : a.value("--tokenizer"));
    const bool special = !a.has("--no-special");
    const std::string text = joinedText(a.positionals());
    const std::vector<int32_t> ids = a.has("--decode") ? parseIdList(text, "TEXT")
                                                       : tok.encode(text, special, special);
    for (int32_t id : ids)
        if (id < 0 || id >= tok.vocabSize())
            throw UsageError("token id " + std::to_string(id) + " is outside the vocabulary of " +
                             std::to_string(tok.vocabSize()));
    if (a.has("--json")) {
        nlohmann::json pieces = nlohmann::json::array(), texts = nlohmann::json::array();
        for (int32_t id : ids) {
            pieces.push_back(tok.tokenPiece(id));
            texts.push_back(tok.tokenBytes(id));
        }
        nlohmann::json j = {{"ids", ids}, {"pieces", pieces}, {"texts", texts}, {"count", ids.size()}};
        if (a.has("--decode"))
            j["text"] = tok.decode(ids, !special);
        std::printf("%s\n", dumpJson(j).c_str());
        return 0;
    }
    if (a.has("--decode")) {
        std::printf("%s\n", tok.decode(ids, !special).c_str());
        return 0;
    }
    std::printf("%zu tokens\n", ids.size());
    for (int32_t id : ids)
        std::printf("%8d  %s\n", id, dumpJson(tok.tokenPiece(id), -1).c_str());
    return 0;
}

} // namespace

const Command kTokenizeCommand = {"tokenize", "show how a model's tokenizer splits a text", kUsage, run};

} // namespace moecli
