// moe/plan_scenario.h — a planner scenario: the planner's inputs as a JSON object (the
// keys of `moe plan`'s options with '_' for '-': model, quant, kv_dtype, gpu, count, tp,
// ep, pp, dp, dp_attention, context, prompt, batch, price, score, interconnect,
// interconnect_bw, interconnect_latency_us, scale_out and the overhead keys), turned
// into a PlanInput against the catalog, and the results as JSON. `moe plan --json`, the
// workbench's planner page and saved scenarios all go through these functions, so the
// same inputs give the same figures everywhere.
#pragma once

#include "moe/planner.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace moe {

// A model from the catalog (key or alias) or from disk (config.json, GGUF file, model
// folder); errors name the argument.
PlanModel resolvePlanModel(const std::string& model, const Catalog& catalog);

// Resolves the scenario's model, GPU, links and price. `file` names the scenario's
// origin in errors ("command line", a file path). Throws moe::Error naming the field.
PlanInput planInputFromScenario(const nlohmann::json& scenario, const Catalog& catalog, const std::string& file);

// {"scenario", "model", "hardware", "result"}: what `moe plan --json` prints.
nlohmann::json planResultJson(const nlohmann::json& scenario, const PlanInput& input, const PlanResult& result);
nlohmann::json layoutOptionsJson(const std::vector<LayoutOption>& options);

} // namespace moe
