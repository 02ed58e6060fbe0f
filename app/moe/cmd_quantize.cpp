// `moe quantize` — writes a quantized GGUF from a GGUF or Hugging Face model (see
// moe/quantize.h for which tensors are quantized and how).
#include "cli_args.h"
#include "cli_common.h"
#include "commands.h"
#include "quant_args.h"

#include "moe/quantize.h"

#include <cstdio>

namespace moecli {
namespace {

const char* const kUsage = R"(usage: moe quantize IN OUT --type TYPE [--keep-embeddings] [--threads N] [--quiet] [--json]

Reads a model (a .gguf file, a Hugging Face folder, or a make-model folder) and writes
OUT, a GGUF with the same metadata and tokenizer whose weights are quantized to TYPE
(Hugging Face input: tensors renamed as llama.cpp names them, experts stacked). The file
appears only when complete: it is written to a temporary file next to OUT and renamed.
Progress goes to stderr; Ctrl-C cancels and leaves nothing behind.

Which tensors: attention and FFN matrices (experts, shared expert, dense FFN), and the
token embedding and LM head unless --keep-embeddings. Routers, norms, biases and the
shared-expert gate keep their precision; tensors already block-quantized are copied as
they are. A matrix whose rows are not whole blocks of TYPE falls back as llama-quantize
does (q4_k -> q5_0, q5_k -> q5_1, q6_k / q8_k -> q8_0) or, if nothing fits, is copied.
`moe eval-quant -m IN -q OUT` measures what the quantization costs.

Options:
  --type TYPE          q8_0 | q6_k | q5_k | q5_1 | q5_0 | q4_k | q4_1 | q4_0 | q8_k
                       (q8_k is ggml's activation type: our engine runs it, llama.cpp
                       does not). int4-g128 / fp8 are GPU formats and are refused.
  --keep-embeddings    keep the token embedding and LM head in their precision
                       (quantize-at-load keeps them by default; a file is usually
                       quantized whole, as llama-quantize does)
  --threads N          threads converting rows (default: all cores)
  --quiet              no progress output
  --json               print a JSON summary: {"output", "file_bytes", "type",
                       "embeddings", "tensors_quantized", "tensors_fallback",
                       "fallback_types", "tensors_already_quantized",
                       "tensors_not_whole_blocks", "tensors_kept", "bytes_before",
                       "bytes_after", "seconds", "tensors": [{"name", "from", "to",
                       "decision"}]}
  -h, --help           show this help
)";

int run(const std::vector<std::string>& argList)
{
    const Args a = Args::parse(withCommonOptions({{"--type", "-t", true},
                                                  {"--keep-embeddings", "", false},
                                                  {"--threads", "", true},
                                                  {"--quiet", "-q", false},
                                                  {"--json", "", false}}),
                               argList);
    if (a.has("--help")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (a.positionals().size() != 2)
        throw UsageError("give the input model and the output file: moe quantize IN OUT --type TYPE");
    if (!a.has("--type"))
        throw UsageError("--type TYPE is required (" + moe::quantizeTargetNames() + ")");
    moe::QuantizeFileOptions o;
    o.input = a.positionals()[0];
    o.output = a.positionals()[1];
    o.quant.type = parseQuantTypeArg(a.value("--type"), "--type");
    o.quant.embeddings = !a.has("--keep-embeddings");
    o.threads = int(a.intValue("--threads", 0, 0, 1024));
    o.cancel = &installInterruptFlag();
    ProgressLine line(!a.has("--quiet"));
    const std::string label = std::string("quantizing to ") + moe::dtypeName(o.quant.type) + ":";
    o.onProgress = [&](const moe::QuantizeProgress& p) { line.update(label, p.bytesDone, p.bytesTotal); };

    const moe::QuantizeFileResult r = moe::quantizeModelFile(o);
    line.finish();
    if (a.has("--json")) {
        nlohmann::json j = quantSummaryJson(r.summary);
        j["output"] = r.output;
        j["file_bytes"] = r.fileBytes;
        nlohmann::json tensors = nlohmann::json::array();
        for (const moe::TensorQuantization& t : r.tensors)
            tensors.push_back({{"name", t.name}, {"from", moe::dtypeName(t.source)}, {"to", moe::dtypeName(t.stored)},
                               {"decision", moe::quantDecisionName(t.decision)}});
        j["tensors"] = std::move(tensors);
        std::printf("%s\n", dumpJson(j).c_str());
        return 0;
    }
    std::printf("wrote %s (%s)\n%s\n", r.output.c_str(), formatBytes(r.fileBytes).c_str(),
                quantSummaryLine(r.summary, "quantized").c_str());
    return 0;
}

} // namespace

const Command kQuantizeCommand = {"quantize", "write a quantized GGUF (q8_0, q6_k, q4_k, ...) from a GGUF or HF model",
                                  kUsage, run};

} // namespace moecli
