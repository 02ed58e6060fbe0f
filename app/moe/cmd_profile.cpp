// `moe profile` — run prompts through a model, record how every token was routed to
// experts, keep the run in a SQLite store, and show / export / import saved runs.
#include "cli_args.h"
#include "parallel_args.h"
#include "cli_common.h"
#include "commands.h"

#include "moe/engine.h"
#include "moe/error.h"
#include "moe/profile_export.h"
#include "moe/profiler.h"
#include "moe/store.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace moecli {
namespace {

const char* const kUsage = R"(usage: moe profile -m PATH (--prompts FILE | --builtin) --out RUN.db [options]
       moe profile show RUN.db [--id N] [--json]
       moe profile list RUN.db
       moe profile export RUN.db (--json | --csv) [--id N] [--out FILE]
       moe profile import RUN.json --out RUN.db
       moe profile delete RUN.db --id N

Runs each prompt through the model (wrapped in its chat template, greedy by default),
records the layer x expert routing counts of every step and the per-token routing of
the first tokens, saves the run into RUN.db (a SQLite store, created when absent; other
runs in it are kept) and prints a summary: the hottest and coldest expert of each
layer, load imbalance per layer and experts never used.

Options (profile):
  -m, --model PATH      a .gguf file or a Hugging Face folder
  --prompts FILE        prompts: JSON {"prompts": [{"category", "prompt"}]} or one per line
  --builtin             the built-in prompt set (code, maths, languages, chit-chat, long context)
  --out RUN.db          the store to save the run in
  --max-tokens N        tokens generated per prompt (default 64)
  --trace-tokens K      keep per-token routing for the first K tokens (default 256)
  --name TEXT           name of the run (default: model and time)
  --no-chat-template    feed the prompts as they are
  --threads T           CPU threads (default: all cores)
  --ctx N               context length (default: min(model, 4096))
  --temp T, --seed S    sampling (default greedy)
Options (show, export, delete):
  --id N                which run (default: the newest)
  --json / --csv        export format; --out FILE writes there instead of stdout
  -h, --help            show this help

Exit status: 0 success, 1 error (the message names the file), 2 bad usage.
)";

void printSummary(const moe::ProfileRun& run)
{
    const moe::ProfileSummary s = moe::summarizeProfileRun(run);
    std::printf("run %lld \"%s\"%s\n  model %s (%s), %lld MoE layers x %lld experts, top-%lld\n",
                static_cast<long long>(run.id), run.name.c_str(), run.randomWeights ? " [random weights]" : "",
                run.modelName.c_str(), run.architecture.c_str(), static_cast<long long>(run.numMoeLayers),
                static_cast<long long>(run.numExperts), static_cast<long long>(run.topK));
    std::printf("  %zu prompts, %lld steps, %lld tokens, %zu traced tokens\n\n", run.prompts.size(),
                static_cast<long long>(s.steps), static_cast<long long>(s.tokens), run.traces.size());
    std::printf("  layer  hottest (count)   coldest (count)   max/mean  CV     entropy  overflow@1.25  unused\n");
    for (const moe::LayerSummary& l : s.layers) {
        std::string unused;
        for (int32_t e : l.unusedExperts)
            unused += (unused.empty() ? "" : ",") + std::to_string(e);
        std::printf("  %5d  %4d (%8lld)   %4d (%8lld)   %8.2f  %5.2f  %7.3f  %12.1f%%  %s\n", l.decoderLayer,
                    l.hottestExpert, static_cast<long long>(l.hottestCount), l.coldestExpert,
                    static_cast<long long>(l.coldestCount), l.imbalance.maxOverMean, l.imbalance.coefficientOfVariation,
                    l.imbalance.normalizedEntropy, 100.0 * l.imbalance.overflowShare,
                    unused.empty() ? "-" : unused.c_str());
    }
}

moe::ProfileRun pickRun(const moe::Store& store, const Args& args)
{
    int64_t id = args.intValue("--id", 0, 0, INT64_MAX);
    if (id == 0) {
        const auto runs = store.listProfileRuns();
        if (runs.empty())
            throw moe::Error(moe::ErrorCode::MissingField, store.path(), "profile runs", "the store holds no profiling run");
        for (const auto& r : runs)
            id = std::max(id, r.id);
    }
    auto run = store.loadProfileRun(id);
    if (!run)
        throw moe::Error(moe::ErrorCode::MissingField, store.path(), "id", "no profiling run with id " + std::to_string(id));
    return *run;
}

void writeOutput(const std::string& text, const std::string& path)
{
    if (path.empty()) {
        std::fwrite(text.data(), 1, text.size(), stdout);
        return;
    }
    // Write beside and rename, so a failed export never leaves half a file.
    const std::string tmp = path + ".part";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out)
            throw moe::Error(moe::ErrorCode::Io, path, "", "cannot write the export");
    }
    std::filesystem::rename(tmp, path);
}

int runRecord(const Args& args)
{
    if (!args.has("--model"))
        throw UsageError("missing -m PATH");
    if (!args.has("--out"))
        throw UsageError("missing --out RUN.db");
    if (args.has("--prompts") == args.has("--builtin"))
        throw UsageError("give exactly one of --prompts FILE and --builtin");
    // Everything that can fail on the user's input is checked before the long run.
    const std::vector<moe::ProfilePrompt> prompts =
        args.has("--builtin") ? moe::builtinProfilePrompts() : moe::readProfilePrompts(args.value("--prompts"));
    moe::Store store = moe::Store::open(args.value("--out"), moe::StoreMode::ReadWrite);

    moe::EngineOptions eo;
    eo.threads = int(args.intValue("--threads", 0, 0, 1024));
    eo.contextLength = args.intValue("--ctx", 0, 0, int64_t(1) << 24);
    applyParallelArgs(args, eo);
    auto engine = moe::Engine::load(resolveModelPath(args.value("--model")), eo);

    moe::ProfileOptions po;
    po.name = args.value("--name");
    po.maxTokens = int32_t(args.intValue("--max-tokens", 64, 1, 1 << 20));
    po.traceTokens = args.intValue("--trace-tokens", 256, 0, int64_t(1) << 30);
    po.useChatTemplate = !args.has("--no-chat-template");
    po.sampling.temperature = float(args.floatValue("--temp", 0.0));
    po.sampling.seed = args.uintValue("--seed", 0);
    po.cancel = &installInterruptFlag();
    po.onProgress = [](size_t done, size_t total) { std::fprintf(stderr, "\rprofiling: %zu/%zu prompts", done, total); };
    moe::ProfileRun run = moe::runProfile(*engine, prompts, po);
    std::fprintf(stderr, "\n");
    const size_t skipped = prompts.size() - run.prompts.size();
    if (skipped > 0 && !(po.cancel && po.cancel->load()))
        std::fprintf(stderr, "note: %zu prompt(s) longer than the context (%lld tokens) were left out\n", skipped,
                     static_cast<long long>(engine->contextLength()));
    store.saveProfileRun(run);
    printSummary(run);
    std::printf("\nsaved as run %lld in %s\n", static_cast<long long>(run.id), store.path().c_str());
    return 0;
}

int runShow(const Args& args, const std::string& db)
{
    const moe::Store store = moe::Store::open(db, moe::StoreMode::ReadOnly);
    const moe::ProfileRun run = pickRun(store, args);
    if (args.has("--json"))
        writeOutput(moe::exportProfileRunJson(run), "");
    else
        printSummary(run);
    return 0;
}

int runList(const std::string& db)
{
    const moe::Store store = moe::Store::open(db, moe::StoreMode::ReadOnly);
    std::printf("  id  created               tokens  steps  model\n");
    for (const auto& r : store.listProfileRuns())
        std::printf("%4lld  %s  %7lld  %5lld  %s%s  \"%s\"\n", static_cast<long long>(r.id), r.createdAt.c_str(),
                    static_cast<long long>(r.totalTokens), static_cast<long long>(r.stepCount), r.modelName.c_str(),
                    r.randomWeights ? " [random weights]" : "", r.name.c_str());
    return 0;
}

int runExport(const Args& args, const std::string& db)
{
    if (args.has("--json") == args.has("--csv"))
        throw UsageError("give exactly one of --json and --csv");
    const moe::Store store = moe::Store::open(db, moe::StoreMode::ReadOnly);
    const moe::ProfileRun run = pickRun(store, args);
    writeOutput(args.has("--json") ? moe::exportProfileRunJson(run) : moe::exportProfileRunCsv(run), args.value("--out"));
    return 0;
}

int runImport(const Args& args, const std::string& file)
{
    if (!args.has("--out"))
        throw UsageError("missing --out RUN.db");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw moe::Error(moe::ErrorCode::Io, file, "", "cannot read the file");
    std::stringstream ss;
    ss << in.rdbuf();
    moe::ProfileRun run = moe::importProfileRunJson(ss.str(), file);
    moe::Store store = moe::Store::open(args.value("--out"), moe::StoreMode::ReadWrite);
    store.saveProfileRun(run);
    std::printf("imported as run %lld into %s\n", static_cast<long long>(run.id), store.path().c_str());
    return 0;
}

int runDelete(const Args& args, const std::string& db)
{
    if (!args.has("--id"))
        throw UsageError("missing --id N");
    moe::Store store = moe::Store::open(db, moe::StoreMode::ReadWrite);
    const int64_t id = args.intValue("--id", 0, 1, INT64_MAX);
    if (!store.deleteProfileRun(id))
        throw moe::Error(moe::ErrorCode::MissingField, db, "id", "no profiling run with id " + std::to_string(id));
    return 0;
}

int run(const std::vector<std::string>& argv)
{
    std::vector<OptionSpec> specs = {{"--model", "-m"},
                                                     {"--prompts", ""},
                                                     {"--builtin", "", false},
                                                     {"--out", "-o"},
                                                     {"--max-tokens", "-n"},
                                                     {"--trace-tokens", ""},
                                                     {"--name", ""},
                                                     {"--no-chat-template", "", false},
                                                     {"--threads", ""},
                                                     {"--ctx", ""},
                                                     {"--temp", ""},
                                                     {"--seed", ""},
                                                     {"--id", ""},
                                                     {"--json", "", false},
                                                     {"--csv", "", false}};
    for (const OptionSpec& s : parallelOptions())
        specs.push_back(s);
    const Args args = Args::parse(withCommonOptions(specs), argv);
    const auto& pos = args.positionals();
    if (pos.empty())
        return runRecord(args);
    const std::string& verb = pos[0];
    if (pos.size() != 2)
        throw UsageError("'" + verb + "' takes one file argument");
    if (verb == "show")
        return runShow(args, pos[1]);
    if (verb == "list")
        return runList(pos[1]);
    if (verb == "export")
        return runExport(args, pos[1]);
    if (verb == "import")
        return runImport(args, pos[1]);
    if (verb == "delete")
        return runDelete(args, pos[1]);
    throw UsageError("unknown profile action '" + verb + "'");
}

} // namespace

const Command kProfileCommand = {"profile", "record expert routing over a prompt set; show, export, import runs", kUsage,
                                 run};

} // namespace moecli
