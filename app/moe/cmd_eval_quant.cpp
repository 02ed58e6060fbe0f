// `moe eval-quant` — what quantization costs on a text: next-token KL divergence, top-1
// agreement, perplexity of both models and expert-routing agreement (moe/quant_eval.h).
#include "cli_args.h"
#include "cli_common.h"
#include "commands.h"
#include "quant_args.h"

#include "moe/engine.h"
#include "moe/error.h"
#include "moe/quant_eval.h"
#include "moe/tokenizer.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace moecli {
namespace {

const char* const kUsage = R"(usage: moe eval-quant -m REFERENCE (-q QUANTIZED | --quant TYPE) [--text FILE] [--tokens N] [--json]

Runs the same text through a reference model and a quantized one (teacher forcing:
both read the text's tokens, whatever they would have generated) and compares them at
every position that predicts a next token:
  KL divergence   KL(reference || quantized) of the next-token distributions, in nats
                  (log-softmax in double): mean, median, p99, max
  top-1           share of positions where both models rank the same token first
  perplexity      exp(mean negative log-likelihood of the text's next tokens), each model
  routing         share of (token, MoE layer) pairs whose top-k expert SET is unchanged,
                  overall and per layer: quantization that flips routing runs other
                  experts entirely
Both models must share the tokenizer and shape (a model and its quantized copy).

Options:
  -m, --model PATH          the reference model (.gguf or Hugging Face folder)
  -q, --quantized PATH      the quantized model (e.g. written by moe quantize)
  --quant TYPE              instead of -q: REFERENCE quantized at load to TYPE
                            (q8_0 | q6_k | q5_k | q5_1 | q5_0 | q4_k | q4_1 | q4_0 | q8_k)
  --quant-embeddings        with --quant: quantize the embedding and LM head too
  --text FILE               UTF-8 text to evaluate on (default: a built-in text of a few
                            paragraphs, several hundred tokens)
  --tokens N                evaluate the first N tokens (default: all, at most the
                            model's context length)
  --threads T               CPU threads per model (default: all cores)
  --json                    print one JSON object:
                            {"reference": {"path", "dtype"},
                             "quantized": {"path", "dtype", "quantized_at_load"},
                             "text": {"source", "tokens", "positions"},
                             "kl_divergence": {"mean", "median", "p99", "max"},
                             "top1_agreement", "perplexity": {"reference", "quantized"},
                             "routing": {"agreement", "pairs",
                                         "per_layer": [{"layer", "pairs", "agreement"}]},
                             "seconds"}
                            shares are 0..1
  -h, --help                show this help
)";

std::string readTextFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw moe::Error(moe::ErrorCode::Io, path, "", "cannot open the text file");
    std::ostringstream s;
    s << in.rdbuf();
    if (!in.good() && !in.eof())
        throw moe::Error(moe::ErrorCode::Io, path, "", "cannot read the text file");
    return s.str();
}

nlohmann::json reportJson(const moe::Engine& ref, const moe::Engine& quant, const moe::QuantEvalFigures& f,
                          const std::string& source, size_t tokens, double seconds)
{
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : f.routingPerLayer)
        layers.push_back({{"layer", l.layer}, {"pairs", l.pairs}, {"agreement", l.agreement}});
    return {{"reference", {{"path", ref.info().path}, {"dtype", moe::dominantTensorType(ref.info())}}},
            {"quantized",
             {{"path", quant.info().path},
              {"dtype", moe::dominantTensorType(quant.info())},
              {"quantized_at_load", quantSummaryJson(quant.info().quantizedAtLoad)}}},
            {"text", {{"source", source}, {"tokens", tokens}, {"positions", f.positions}}},
            {"kl_divergence", {{"mean", f.meanKl}, {"median", f.medianKl}, {"p99", f.p99Kl}, {"max", f.maxKl}}},
            {"top1_agreement", f.top1Agreement},
            {"perplexity", {{"reference", f.referencePerplexity}, {"quantized", f.quantizedPerplexity}}},
            {"routing", {{"agreement", f.routingAgreement}, {"pairs", f.routingPairs}, {"per_layer", layers}}},
            {"seconds", seconds}};
}

void printReport(const moe::Engine& ref, const moe::Engine& quant, const moe::QuantEvalFigures& f,
                 const std::string& source, size_t tokens)
{
    std::printf("reference:   %s (%s)\n", ref.info().path.c_str(), dtypeLabel(ref.info()).c_str());
    std::printf("quantized:   %s (%s)\n", quant.info().path.c_str(), dtypeLabel(quant.info()).c_str());
    std::printf("text:        %s, %zu tokens, %lld predicted positions\n", source.c_str(), tokens,
                (long long)f.positions);
    std::printf("KL divergence (nats): mean %.6f, median %.6f, p99 %.6f, max %.6f\n", f.meanKl, f.medianKl, f.p99Kl,
                f.maxKl);
    std::printf("top-1 agreement:      %.2f %%\n", f.top1Agreement * 100.0);
    const double change = f.referencePerplexity > 0 ? (f.quantizedPerplexity / f.referencePerplexity - 1.0) * 100.0 : 0;
    std::printf("perplexity:           reference %.4f, quantized %.4f (%+.2f %%)\n", f.referencePerplexity,
                f.quantizedPerplexity, change);
    std::printf("routing agreement:    %.2f %% of %lld token-layer pairs keep their top-%lld expert set\n",
                f.routingAgreement * 100.0, (long long)f.routingPairs, (long long)ref.spec().numExpertsPerToken);
    std::string perLayer;
    for (const auto& l : f.routingPerLayer) {
        char buf[48];
        std::snprintf(buf, sizeof buf, "%s%lld: %.1f %%", perLayer.empty() ? "" : ", ", (long long)l.layer,
                      l.agreement * 100.0);
        perLayer += buf;
    }
    if (!perLayer.empty())
        std::printf("  per layer:          %s\n", perLayer.c_str());
}

int run(const std::vector<std::string>& argList)
{
    std::vector<OptionSpec> specs = {{"--model", "-m", true},  {"--quantized", "-q", true}, {"--text", "", true},
                                     {"--tokens", "", true},    {"--threads", "", true},     {"--json", "", false}};
    for (const OptionSpec& s : quantOptions())
        specs.push_back(s);
    const Args a = Args::parse(withCommonOptions(specs), argList);
    if (a.has("--help")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (!a.has("--model"))
        throw UsageError("-m REFERENCE is required");
    if (a.has("--quantized") == a.has("--quant"))
        throw UsageError("give exactly one of -q QUANTIZED or --quant TYPE");
    if (!a.positionals().empty())
        throw UsageError("unexpected argument '" + a.positionals()[0] + "'");
    const int64_t maxTokens = a.intValue("--tokens", 0, 0, int64_t(1) << 24);
    const std::string refPath = resolveModelPath(a.value("--model"));
    const std::string text = a.has("--text") ? readTextFile(a.value("--text")) : moe::builtinEvalText();
    const std::string source = a.has("--text") ? a.value("--text") : "built-in text";

    std::vector<int32_t> tokens = loadTokenizer(refPath).encode(text, true, false);
    const moe::ModelInfo refInfo = moe::inspectModel(refPath);
    size_t limit = size_t(refInfo.spec.maxContext);
    if (maxTokens > 0)
        limit = std::min(limit, size_t(maxTokens));
    if (tokens.size() > limit) {
        if (maxTokens == 0 || size_t(maxTokens) > size_t(refInfo.spec.maxContext))
            std::fprintf(stderr, "moe: note: the text has %zu tokens; evaluating the first %zu (the context length)\n",
                         tokens.size(), limit);
        tokens.resize(limit);
    }
    if (tokens.size() < 2)
        throw moe::Error(moe::ErrorCode::InvalidArgument, source, "text", "the text encodes to fewer than 2 tokens");

    moe::EngineOptions options;
    options.threads = int(a.intValue("--threads", 0, 0, 1024));
    options.contextLength = int64_t(tokens.size());
    options.maxBatch = 128;
    options.telemetry = false;
    auto reference = moe::Engine::load(refPath, options);
    moe::EngineOptions quantOptions = options;
    std::string quantPath = refPath;
    if (a.has("--quant"))
        applyQuantArgs(a, quantOptions);
    else
        quantPath = resolveModelPath(a.value("--quantized"));
    auto quantized = moe::Engine::load(quantPath, quantOptions);
    if (quantized->tokenizer().encode(text, true, false) != reference->tokenizer().encode(text, true, false))
        throw moe::Error(moe::ErrorCode::InvalidArgument, quantPath, "tokenizer",
                         "tokenizes the text differently from the reference; compare a model with its own "
                         "quantized copy");

    ProgressLine line(true);
    moe::QuantEvalOptions eo;
    eo.cancel = &installInterruptFlag();
    eo.onProgress = [&](int64_t done, int64_t total) { line.update("evaluating: tokens", uint64_t(done), uint64_t(total), false); };
    const auto start = std::chrono::steady_clock::now();
    const moe::QuantEvalFigures f = moe::evaluateQuantization(*reference, *quantized, tokens, eo);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    line.finish();
    if (a.has("--json"))
        std::printf("%s\n", dumpJson(reportJson(*reference, *quantized, f, source, tokens.size(), seconds)).c_str());
    else
        printReport(*reference, *quantized, f, source, tokens.size());
    return 0;
}

} // namespace

const Command kEvalQuantCommand = {"eval-quant",
                                   "compare a quantized model with its reference: KL, top-1, perplexity, routing",
                                   kUsage, run};

} // namespace moecli
