// `moe chat` — an interactive conversation on stdin/stdout. Each turn re-renders the
// whole conversation with the chat template; the KV cache keeps the common prefix, so
// only the new user message and the assistant opening are prefilled.
#include "chat_format.h"
#include "cli_args.h"
#include "cli_common.h"
#include "commands.h"
#include "quant_args.h"

#include "moe/engine.h"
#include "moe/tokenizer.h"

#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace moecli {
namespace {

const char* const kUsageHead = R"(usage: moe chat -m PATH [--system TEXT] [options]

Chats with a model. Type a message and press Enter; the answer streams back.
Commands: /reset clears the conversation, /exit (or end of input) quits.
Ctrl-C stops the current answer (a second Ctrl-C quits). Standard input may be a
pipe: every line is one user message, and the program exits at end of input.

Options:
  -m, --model PATH          a .gguf file or a Hugging Face folder
  --system TEXT             system message at the start of the conversation
  --threads T               CPU threads (default: all cores)
  --ctx N                   context length (default: min(model, 4096))
  --verbose                 report cache reuse and speed after each answer (stderr)
  -h, --help                show this help

)";

const std::string& usageText()
{
    static const std::string text = std::string(kUsageHead) + kSamplingHelp + "\n" + kQuantHelp;
    return text;
}

class ChatSession {
public:
    ChatSession(moe::Engine& engine, const moe::SamplingParams& params, std::string system, bool verbose)
        : m_engine(engine), m_tok(engine.tokenizer()), m_params(params), m_system(std::move(system)), m_verbose(verbose)
    {
        reset();
    }

    void reset()
    {
        m_turns.clear();
        if (!m_system.empty())
            m_turns.push_back({"system", m_system});
        m_engine.reset();
    }

    void answer(const std::string& userText, std::atomic<bool>& interrupted)
    {
        m_turns.push_back({"user", userText});
        std::vector<int32_t> prompt = promptForTurns();
        if (prompt.empty())
            return;
        // Keep the tokens the cache already holds for this conversation; everything after
        // the first difference is recomputed.
        const auto cached = m_engine.cachedTokens();
        size_t common = 0;
        while (common < cached.size() && common < prompt.size() && cached[common] == prompt[common])
            ++common;
        m_engine.truncate(int64_t(common));

        interrupted.store(false);
        moe::GenerateCallbacks cb;
        cb.cancel = &interrupted;
        cb.onToken = [](const std::string& piece, int32_t) {
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
            return true;
        };
        const moe::GenerationResult r = m_engine.generate(prompt, m_params, cb);
        std::printf("\n");
        std::fflush(stdout);
        if (r.stop == moe::GenerationResult::Stop::Cancelled)
            std::fprintf(stderr, "[interrupted]\n");
        if (m_verbose)
            std::fprintf(stderr, "[reused %zu of %zu prompt tokens, %lld generated, %.1f tokens/s]\n", common,
                         prompt.size(), (long long)r.timings.generatedTokens,
                         r.timings.decodeSeconds > 0 ? double(r.timings.generatedTokens) / r.timings.decodeSeconds : 0.0);
        m_turns.push_back({"assistant", r.text});
        interrupted.store(false);
    }

private:
    // The rendered conversation; drops the oldest exchanges when it no longer fits.
    std::vector<int32_t> promptForTurns()
    {
        std::vector<moe::ChatMessage> messages;
        messages.reserve(m_turns.size());
        for (const ChatTurn& t : m_turns)
            messages.push_back({t.role, t.content});
        moe::FittedChat fitted = moe::fitChatToContext(m_tok, std::move(messages), m_engine.contextLength(), m_params.maxTokens);
        const std::string notice = fallbackNotice(fitted.rendered);
        if (!notice.empty() && !m_noticeShown) {
            std::fprintf(stderr, "moe: note: %s\n", notice.c_str());
            m_noticeShown = true;
        }
        if (!fitted.fits) {
            std::fprintf(stderr, "moe: message too long for the context (%zu tokens); not sent\n", fitted.tokens.size());
            m_turns.pop_back();
            return {};
        }
        const auto first = m_turns.begin() + long(fitted.firstDroppable);
        m_turns.erase(first, first + long(fitted.droppedMessages)); // the oldest messages are gone for good
        return std::move(fitted.tokens);
    }

    moe::Engine& m_engine;
    const moe::Tokenizer& m_tok;
    moe::SamplingParams m_params;
    std::string m_system;
    bool m_verbose;
    bool m_noticeShown = false;
    std::vector<ChatTurn> m_turns;
};

std::vector<OptionSpec> optionSpecs()
{
    std::vector<OptionSpec> specs = samplingOptions();
    for (OptionSpec s : std::initializer_list<OptionSpec>{{"--model", "-m", true}, {"--system", "", true},
                                                          {"--threads", "", true}, {"--ctx", "", true},
                                                          {"--verbose", "", false}})
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
    if (!a.positionals().empty())
        throw UsageError("unexpected argument '" + a.positionals()[0] + "'");
    const moe::SamplingParams params = samplingFromArgs(a);
    moe::EngineOptions options;
    options.threads = int(a.intValue("--threads", 0, 0, 1024));
    options.contextLength = a.intValue("--ctx", 0, 0, int64_t(1) << 24);
    applyQuantArgs(a, options);
    auto engine = moe::Engine::load(resolveModelPath(a.value("--model")), options);
    reportLoad(*engine);
    const bool tty = isatty(STDIN_FILENO);
    if (tty) {
        std::fprintf(stderr, "%s — /reset clears, /exit quits, Ctrl-C stops an answer\n", engine->spec().name.c_str());
        if (engine->info().randomWeights)
            std::fprintf(stderr, "note: this model has random weights; its answers are meaningless\n");
    }
    ChatSession session(*engine, params, a.value("--system"), a.has("--verbose"));
    std::atomic<bool>& interrupted = installInterruptFlag();
    std::string line;
    while (true) {
        if (tty) {
            std::fputs("> ", stdout);
            std::fflush(stdout);
        }
        if (!std::getline(std::cin, line)) {
            if (interrupted.exchange(false)) { // Ctrl-C at the prompt: the read was interrupted, not ended
                std::cin.clear();
                std::clearerr(stdin);
                std::printf("\n");
                continue;
            }
            break;
        }
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            continue;
        if (line == "/exit" || line == "/quit")
            break;
        if (line == "/reset") {
            session.reset();
            if (tty)
                std::fprintf(stderr, "[conversation cleared]\n");
            continue;
        }
        session.answer(line, interrupted);
    }
    return 0;
}

} // namespace

const Command kChatCommand = {"chat", "interactive chat on the terminal (or driven through a pipe)", usageText().c_str(),
                              run};

} // namespace moecli
