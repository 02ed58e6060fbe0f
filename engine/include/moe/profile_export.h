// moe/profile_export.h — profiling runs as files people can share and analyse elsewhere.
//
// JSON is the exchange format: importProfileRunJson(exportProfileRunJson(run)) == run,
// bit for bit (doubles are printed with 17 significant digits, gate-weight sums are
// floats widened exactly to double and narrowed back). The one lossy case: text that is
// not valid UTF-8 (a reply cut mid-character) is exported with U+FFFD in its place.
//
// CSV is for spreadsheets and pandas and is export-only: it holds the routing matrix but
// not the prompts, traces or run settings, so it cannot rebuild a ProfileRun.
#pragma once

#include "moe/profile_run.h"

#include <string>

namespace moe {

// {"format": "moe-workbench-profile-run", "version": 1, metadata..., "prompts": [...],
//  "steps": [{..., "expertCounts": [...], "gateWeightSums": [...]}], "traces": [...]}
std::string exportProfileRunJson(const ProfileRun& run);

// `source` names the input (a path, "stdin") in errors. Throws Error(BadJson, source,
// field) for malformed JSON or a field of the wrong type, Error(MissingField, ...) for an
// absent field, Error(BadValue, ...) for another format or a newer version.
ProfileRun importProfileRunJson(const std::string& text, const std::string& source);

// Header "step,prompt,prefill,moe_layer,decoder_layer,expert,count,gate_weight_sum", then
// one row per step x MoE layer x expert. prefill is 0/1; floats in shortest round-trip form.
std::string exportProfileRunCsv(const ProfileRun& run);

} // namespace moe
