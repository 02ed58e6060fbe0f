// quant_args.h — the flags generate, chat, bench and eval-quant share to quantize a
// model while it loads (--quant TYPE [--quant-embeddings]), the load progress line, and
// how the result is reported.
#pragma once

#include "cli_args.h"

#include "moe/engine.h"
#include "moe/quantize.h"

#include <nlohmann/json.hpp>

namespace moecli {

std::vector<OptionSpec> quantOptions();
extern const char* const kQuantHelp;

// A --quant / --type value; UsageError naming the option and the allowed types.
moe::DType parseQuantTypeArg(const std::string& value, const std::string& option);
// Sets options.quantize from --quant / --quant-embeddings, and a progress line on
// stderr while quantizing (terminals only).
void applyQuantArgs(const Args& args, moe::EngineOptions& options);

// {"type", "embeddings", "tensors_quantized", ...} or null when not quantized at load.
nlohmann::json quantSummaryJson(const std::optional<moe::QuantizeSummary>& summary);
// One line: "quantized at load to q8_0: 12 tensors (+4 as q5_0), 9 kept; 2.1 GiB -> 1.1 GiB in 3.2 s".
std::string quantSummaryLine(const moe::QuantizeSummary& s, const char* what);
// "Q8_0 quantized at load from F16", or the file's dominant type ("F16").
std::string dtypeLabel(const moe::ModelInfo& info);
// Writes to stderr what the load decided on its own: quantization at load
// (quantSummaryLine) and the CPU fallback of --devices auto.
void reportLoad(const moe::Engine& engine);

// Progress on stderr for long jobs: a \r-updated line on terminals, nothing on pipes
// (logs would fill with lines); finish() ends the line.
class ProgressLine {
public:
    explicit ProgressLine(bool enabled);
    // `bytes`: done / total are bytes (shown as GiB / MiB), else plain counts.
    void update(const std::string& label, uint64_t done, uint64_t total, bool bytes = true);
    void finish();

private:
    bool m_enabled;
    bool m_open = false;
    int m_lastPermille = -1;
};

} // namespace moecli
