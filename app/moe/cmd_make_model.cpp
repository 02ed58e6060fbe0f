// `moe make-model` — writes a deterministic random-weight MoE model for tests, demos
// and benchmarks (see moe/model_maker.h).
#include "cli_args.h"
#include "commands.h"

#include "moe/dtype.h"
#include "moe/model_maker.h"

#include <cstdio>
#include <unistd.h>

namespace moecli {
namespace {

const char* const kUsage = R"(usage: moe make-model --out DIR [--arch A] [--preset P] [--seed N] [--format F] [--dtype T]

Writes a model with RANDOM weights (labelled as such in every file) and a byte-level
BPE tokenizer trained on a built-in corpus. The same options always give the same
bytes; the GGUF and safetensors copies hold identical weights.

Options:
  --arch A       mixtral | qwen2moe | qwen3moe | olmoe (default qwen3moe)
  --preset P     tiny  — hidden 64, 2 layers, 4 experts top-2, vocab 512 (< 5 MB)
                 small — hidden 256, 4 layers, 8 experts top-2, vocab 2048
                 bench — hidden 2048, 12 layers, 8 experts top-2, vocab 16384 (~1 B parameters)
                 (default tiny)
  --seed N       random seed (default 0)
  --format F     gguf | safetensors | both (default both)
  --dtype T      f32 | f16 | bf16, or a GGUF block type (gguf only): q8_0 | q4_0 |
                 q4_1 | q5_0 | q5_1 | q2_k | q3_k | q4_k | q5_k | q6_k | iq4_nl | iq4_xs |
                 mxfp4 (rows that are not a whole number of blocks, the router and
                 norms stay f32, as llama.cpp does);
                 default f32 for tiny and small, f16 for bench
  --out DIR      output folder: DIR/model.gguf and DIR/hf/ (config.json, tokenizer,
                 model.safetensors or shards)
  --quiet        no progress output
  -h, --help     show this help
)";

moe::MakeFormat parseFormat(const std::string& f)
{
    if (f == "gguf")
        return moe::MakeFormat::Gguf;
    if (f == "safetensors")
        return moe::MakeFormat::Safetensors;
    if (f == "both")
        return moe::MakeFormat::Both;
    throw UsageError("--format must be gguf, safetensors or both, got '" + f + "'");
}

class ProgressPrinter {
public:
    explicit ProgressPrinter(bool quiet) : m_quiet(quiet), m_tty(isatty(STDERR_FILENO)) {}

    void operator()(const moe::MakeModelProgress& p)
    {
        if (m_quiet)
            return;
        if (p.stage != m_stage) {
            finishLine();
            m_stage = p.stage;
            m_lastQuarter = -1;
            if (p.tensorsTotal == 0) {
                std::fprintf(stderr, "%s...\n", p.stage.c_str());
                return;
            }
        }
        if (p.tensorsTotal == 0)
            return;
        const int quarter = int(p.tensorsDone * 4 / p.tensorsTotal);
        if (m_tty) {
            std::fprintf(stderr, "\r%-12s %llu/%llu tensors, %s", p.stage.c_str(), (unsigned long long)p.tensorsDone,
                         (unsigned long long)p.tensorsTotal, formatBytes(p.bytesDone).c_str());
            m_open = true;
        } else if (quarter != m_lastQuarter) { // logs and pipes: one line per 25 %
            std::fprintf(stderr, "%-12s %llu/%llu tensors, %s\n", p.stage.c_str(), (unsigned long long)p.tensorsDone,
                         (unsigned long long)p.tensorsTotal, formatBytes(p.bytesDone).c_str());
        }
        m_lastQuarter = quarter;
        std::fflush(stderr);
    }

    void finishLine()
    {
        if (m_open)
            std::fprintf(stderr, "\n");
        m_open = false;
    }

private:
    bool m_quiet;
    bool m_tty;
    bool m_open = false;
    int m_lastQuarter = -1;
    std::string m_stage;
};

int run(const std::vector<std::string>& argList)
{
    const Args a = Args::parse(withCommonOptions({{"--arch", "", true}, {"--preset", "", true}, {"--seed", "", true},
                                                  {"--format", "", true}, {"--dtype", "", true}, {"--out", "-o", true},
                                                  {"--quiet", "-q", false}}),
                               argList);
    if (a.has("--help")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (!a.positionals().empty())
        throw UsageError("unexpected argument '" + a.positionals()[0] + "'");
    if (!a.has("--out"))
        throw UsageError("--out DIR is required");
    moe::MakeModelOptions o;
    o.architecture = a.value("--arch", o.architecture);
    o.preset = a.value("--preset", o.preset);
    o.seed = a.uintValue("--seed", 0);
    o.format = parseFormat(a.value("--format", "both"));
    o.outDir = a.value("--out");
    if (a.has("--dtype")) {
        o.dtype = moe::dtypeFromName(a.value("--dtype"));
        if (!o.dtype)
            throw UsageError("--dtype must be f32, f16, bf16 or a GGUF block type (q8_0, q4_k, ...), got '" +
                             a.value("--dtype") + "'");
    }
    if (!moe::findModelPreset(o.preset))
        throw UsageError("--preset must be tiny, small or bench, got '" + o.preset + "'");
    ProgressPrinter progress(a.has("--quiet"));
    o.onProgress = [&progress](const moe::MakeModelProgress& p) { progress(p); };

    const moe::MadeModel made = moe::makeModel(o);
    progress.finishLine();
    std::printf("made %s: %s parameters, %s, tokenizer %lld learned tokens (vocab %lld)\n", made.spec.name.c_str(),
                formatCount(made.parameters).c_str(), moe::dtypeName(made.dtype), (long long)made.tokenizerTokens,
                (long long)made.spec.vocabSize);
    if (!made.ggufPath.empty())
        std::printf("  gguf:        %s\n", made.ggufPath.c_str());
    if (!made.hfDir.empty())
        std::printf("  safetensors: %s\n", made.hfDir.c_str());
    return 0;
}

} // namespace

const Command kMakeModelCommand = {"make-model", "write a deterministic random-weight test model (GGUF, safetensors)",
                                   kUsage, run};

} // namespace moecli
