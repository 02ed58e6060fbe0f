// `moe generate` — one completion, streamed to stdout (or one JSON object with ids,
// timings and, on request, the top logits of every step).
#include "chat_format.h"
#include "cli_args.h"
#include "parallel_args.h"
#include "quant_args.h"
#include "cli_common.h"
#include "commands.h"

#include "moe/engine.h"
#include "moe/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace moecli {
namespace {

const char* const kUsageHead = R"(usage: moe generate -m PATH (-p TEXT | --prompt-ids 1,2,3) [options]

Loads a model and continues the prompt, streaming text to standard output. Ctrl-C
stops the generation and prints what was produced.

Options:
  -m, --model PATH          a .gguf file or a Hugging Face folder
  -p, --prompt TEXT         the prompt text
  --prompt-ids IDS          the prompt as comma-separated token ids (no tokenizer involved)
  --chat                    wrap the prompt as a user message in the model's chat template
  --system TEXT             system message (with --chat)
  --threads T               CPU threads (default: all cores)
  --ctx N                   context length (default: min(model, 4096))
  --json                    print one JSON object instead of streaming:
                            {"ids", "text", "prompt_ids", "stop_reason",
                             "timings": {"prompt_tokens", "generated_tokens", "prefill_seconds",
                                         "decode_seconds", "time_to_first_token_seconds",
                                         "prefill_tokens_per_second", "decode_tokens_per_second"},
                             "top_logits": [[{"id", "logit", "piece"}, ...] per step],
                             "quantized_at_load": {...} with --quant (see moe bench --help)}
  --top-logits K            record the K highest logits of each step (JSON output)
  -h, --help                show this help

)";

const std::string& usageText()
{
    static const std::string text = std::string(kUsageHead) + kSamplingHelp + "\n" + kQuantHelp + kParallelHelp;
    return text;
}

const char* stopReasonName(moe::GenerationResult::Stop s)
{
    using S = moe::GenerationResult::Stop;
    switch (s) {
    case S::Eos: return "eos";
    case S::StopString: return "stop_string";
    case S::MaxTokens: return "max_tokens";
    case S::Cancelled: return "cancelled";
    case S::ContextFull: return "context_full";
    }
    return "unknown";
}

nlohmann::json topLogitsJson(std::span<const float> logits, int k, const moe::Tokenizer& tok)
{
    std::vector<int32_t> idx(logits.size());
    std::iota(idx.begin(), idx.end(), 0);
    const size_t n = std::min(size_t(k), idx.size());
    std::partial_sort(idx.begin(), idx.begin() + long(n), idx.end(), [&](int32_t a, int32_t b) {
        return logits[size_t(a)] > logits[size_t(b)] || (logits[size_t(a)] == logits[size_t(b)] && a < b);
    });
    nlohmann::json step = nlohmann::json::array();
    for (size_t i = 0; i < n; ++i)
        step.push_back({{"id", idx[i]}, {"logit", logits[size_t(idx[i])]}, {"piece", tok.tokenPiece(idx[i])}});
    return step;
}

std::vector<int32_t> promptIds(const Args& a, const moe::Tokenizer& tok)
{
    if (a.has("--prompt-ids")) {
        std::vector<int32_t> ids = parseIdList(a.value("--prompt-ids"), "--prompt-ids");
        for (int32_t id : ids)
            if (id >= tok.vocabSize())
                throw UsageError("--prompt-ids: token id " + std::to_string(id) + " is outside the vocabulary of " +
                                 std::to_string(tok.vocabSize()));
        return ids;
    }
    if (!a.has("--chat"))
        return tok.encode(a.value("--prompt"), true, true);
    std::vector<ChatTurn> turns;
    if (a.has("--system"))
        turns.push_back({"system", a.value("--system")});
    turns.push_back({"user", a.value("--prompt")});
    std::string notice;
    const std::string text = renderConversation(tok, turns, true, notice);
    if (!notice.empty())
        std::fprintf(stderr, "moe: note: %s\n", notice.c_str());
    // Templates write their own BOS; adding another would double it.
    return tok.encode(text, false, true);
}

nlohmann::json timingsJson(const moe::StepTimings& t)
{
    return {{"prompt_tokens", t.promptTokens},
            {"generated_tokens", t.generatedTokens},
            {"prefill_seconds", t.prefillSeconds},
            {"decode_seconds", t.decodeSeconds},
            {"time_to_first_token_seconds", t.timeToFirstTokenSeconds},
            {"prefill_tokens_per_second", t.prefillSeconds > 0 ? double(t.promptTokens) / t.prefillSeconds : 0.0},
            {"decode_tokens_per_second", t.decodeSeconds > 0 ? double(t.generatedTokens) / t.decodeSeconds : 0.0}};
}

std::vector<OptionSpec> optionSpecs()
{
    std::vector<OptionSpec> specs = samplingOptions();
    for (OptionSpec s : std::initializer_list<OptionSpec>{
             {"--model", "-m", true}, {"--prompt", "-p", true}, {"--prompt-ids", "", true}, {"--chat", "", false},
             {"--system", "", true}, {"--threads", "", true}, {"--ctx", "", true}, {"--json", "", false},
             {"--top-logits", "", true}})
        specs.push_back(s);
    for (const OptionSpec& s : parallelOptions())
        specs.push_back(s);
    for (const OptionSpec& s : quantOptions())
        specs.push_back(s);
    return withCommonOptions(specs);
}

int run(const std::vector<std::string>& argList)
{
    const Args a = Args::parse(optionSpecs(), argList);
    if (a.has("--help")) {
        std::fputs(usageText().c_str(), stdout);
        return 0;
    }
    if (!a.has("--model"))
        throw UsageError("-m PATH is required");
    if (a.has("--prompt") == a.has("--prompt-ids"))
        throw UsageError("give exactly one of -p TEXT or --prompt-ids IDS");
    if (!a.positionals().empty())
        throw UsageError("unexpected argument '" + a.positionals()[0] + "'");
    const moe::SamplingParams params = samplingFromArgs(a);
    const int topLogits = int(a.intValue("--top-logits", 0, 0, 1000));
    const bool json = a.has("--json");

    moe::EngineOptions options;
    options.threads = int(a.intValue("--threads", 0, 0, 1024));
    options.contextLength = a.intValue("--ctx", 0, 0, int64_t(1) << 24);
    applyParallelArgs(a, options);
    applyQuantArgs(a, options);
    auto engine = moe::Engine::load(resolveModelPath(a.value("--model")), options);
    reportLoad(*engine);
    const moe::Tokenizer& tok = engine->tokenizer();
    const std::vector<int32_t> prompt = promptIds(a, tok);
    if (prompt.empty())
        throw UsageError("the prompt encodes to no tokens");

    std::atomic<bool>& interrupted = installInterruptFlag();
    nlohmann::json steps = nlohmann::json::array();
    moe::GenerateCallbacks cb;
    cb.cancel = &interrupted;
    if (!json)
        cb.onToken = [](const std::string& piece, int32_t) {
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
            return true;
        };
    if (topLogits > 0)
        cb.onLogits = [&](std::span<const float> logits) { steps.push_back(topLogitsJson(logits, topLogits, tok)); };
    const moe::GenerationResult r = engine->generate(prompt, params, cb);

    if (!json) {
        std::printf("\n");
        if (r.stop == moe::GenerationResult::Stop::Cancelled)
            std::fprintf(stderr, "moe: generation interrupted\n");
        return 0;
    }
    nlohmann::json j = {{"ids", r.tokens}, {"text", r.text}, {"prompt_ids", prompt},
                        {"stop_reason", stopReasonName(r.stop)}, {"timings", timingsJson(r.timings)}};
    if (topLogits > 0)
        j["top_logits"] = std::move(steps);
    if (engine->info().quantizedAtLoad)
        j["quantized_at_load"] = quantSummaryJson(engine->info().quantizedAtLoad);
    if (engine->parallelPlan()) {
        j["parallel"] = planJson(*engine->parallelPlan());
        j["parallel"]["last_step_traffic"] = trafficJson(*engine->lastTraffic());
    }
    std::printf("%s\n", dumpJson(j).c_str());
    return 0;
}

} // namespace

const Command kGenerateCommand = {"generate", "continue a prompt (streamed text or JSON with ids and timings)",
                                  usageText().c_str(), run};

} // namespace moecli
