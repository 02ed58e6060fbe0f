#include "quant_args.h"

#include "moe/error.h"

#include <cctype>
#include <cstdio>
#include <memory>
#include <unistd.h>

namespace moecli {

std::vector<OptionSpec> quantOptions() { return {{"--quant", "", true}, {"--quant-embeddings", "", false}}; }

const char* const kQuantHelp = R"(Quantize at load (F32 / F16 / BF16 models; nothing is written to disk):
  --quant TYPE              q8_0 | q6_k | q5_k | q5_1 | q5_0 | q4_k | q4_1 | q4_0 | q8_k:
                            attention and FFN matrices are quantized in memory; routers,
                            norms and already-quantized tensors stay as they are; rows that
                            are not whole blocks fall back as llama-quantize does
                            (q4_k -> q5_0, q6_k -> q8_0, ...). int4-g128 / fp8 are GPU
                            formats this CPU engine does not produce.
  --quant-embeddings        also quantize the token embedding and the LM head

)";

moe::DType parseQuantTypeArg(const std::string& value, const std::string& option)
{
    try {
        return moe::parseQuantizeType(value, option);
    } catch (const moe::Error& e) {
        throw UsageError(option + ": " + e.detail());
    }
}

ProgressLine::ProgressLine(bool enabled) : m_enabled(enabled && isatty(STDERR_FILENO)) {}

void ProgressLine::update(const std::string& label, uint64_t done, uint64_t total, bool bytes)
{
    if (!m_enabled || total == 0)
        return;
    const int permille = int(done * 1000 / total);
    if (permille == m_lastPermille)
        return;
    m_lastPermille = permille;
    const std::string d = bytes ? formatBytes(done) : std::to_string(done);
    const std::string t = bytes ? formatBytes(total) : std::to_string(total);
    std::fprintf(stderr, "\r%s %5.1f %% (%s of %s)  ", label.c_str(), permille / 10.0, d.c_str(), t.c_str());
    std::fflush(stderr);
    m_open = true;
}

void ProgressLine::finish()
{
    if (m_open)
        std::fprintf(stderr, "\n");
    m_open = false;
    m_lastPermille = -1;
}

void applyQuantArgs(const Args& args, moe::EngineOptions& options)
{
    if (!args.has("--quant")) {
        if (args.has("--quant-embeddings"))
            throw UsageError("--quant-embeddings needs --quant TYPE");
        return;
    }
    moe::QuantizeOptions q;
    q.type = parseQuantTypeArg(args.value("--quant"), "--quant");
    q.embeddings = args.has("--quant-embeddings");
    options.quantize = q;
    // The line lives as long as the options' callback may be called (the load).
    auto line = std::make_shared<ProgressLine>(true);
    const std::string label = std::string("loading, quantizing to ") + moe::dtypeName(q.type) + ":";
    options.onProgress = [line, label](const moe::LoadProgress& p) {
        line->update(label, p.bytesDone, p.bytesTotal);
        if (p.bytesDone >= p.bytesTotal)
            line->finish();
    };
}

nlohmann::json quantSummaryJson(const std::optional<moe::QuantizeSummary>& summary)
{
    if (!summary)
        return nullptr;
    const moe::QuantizeSummary& s = *summary;
    nlohmann::json fallback = nlohmann::json::array();
    for (moe::DType t : s.fallbackTypes)
        fallback.push_back(moe::dtypeName(t));
    return {{"type", moe::dtypeName(s.type)},
            {"embeddings", s.embeddings},
            {"tensors_quantized", s.tensorsQuantized},
            {"tensors_fallback", s.tensorsFallback},
            {"fallback_types", fallback},
            {"tensors_already_quantized", s.tensorsAlreadyQuantized},
            {"tensors_not_whole_blocks", s.tensorsNotWholeBlocks},
            {"tensors_kept", s.tensorsKept},
            {"bytes_before", s.bytesBefore},
            {"bytes_after", s.bytesAfter},
            {"seconds", s.seconds}};
}

std::string quantSummaryLine(const moe::QuantizeSummary& s, const char* what)
{
    std::string line = std::string(what) + " to " + moe::dtypeName(s.type) + ": " +
                       std::to_string(s.tensorsQuantized) + " tensors";
    if (s.tensorsFallback > 0) {
        std::string types;
        for (moe::DType t : s.fallbackTypes)
            types += (types.empty() ? "" : "/") + std::string(moe::dtypeName(t));
        line += " (+" + std::to_string(s.tensorsFallback) + " as " + types + ": rows not whole blocks)";
    }
    line += ", " + std::to_string(s.tensorsKept) + " kept high precision";
    if (s.tensorsAlreadyQuantized > 0)
        line += ", " + std::to_string(s.tensorsAlreadyQuantized) + " already quantized (kept)";
    if (s.tensorsNotWholeBlocks > 0)
        line += ", " + std::to_string(s.tensorsNotWholeBlocks) + " kept (no block type fits their rows)";
    char tail[128];
    std::snprintf(tail, sizeof tail, "; %s -> %s in %.1f s", formatBytes(s.bytesBefore).c_str(),
                  formatBytes(s.bytesAfter).c_str(), s.seconds);
    return line + tail;
}

std::string dtypeLabel(const moe::ModelInfo& info)
{
    if (!info.quantizedAtLoad)
        return moe::dominantTensorType(info);
    std::string type = moe::dtypeName(info.quantizedAtLoad->type);
    for (char& c : type)
        c = char(std::toupper(static_cast<unsigned char>(c)));
    return type + " quantized at load from " + moe::dominantFileTensorType(info);
}

void reportLoad(const moe::Engine& engine)
{
    if (const auto& s = engine.info().quantizedAtLoad)
        std::fprintf(stderr, "moe: %s\n", quantSummaryLine(*s, "quantized at load").c_str());
    if (!engine.deviceFallbackReason().empty())
        std::fprintf(stderr, "moe: --devices auto: running on the CPU (%s)\n", engine.deviceFallbackReason().c_str());
}

} // namespace moecli
