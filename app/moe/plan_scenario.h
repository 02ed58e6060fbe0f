// plan_scenario.h — `moe plan`'s pieces: a scenario (the planner's inputs as a JSON
// object, what `--json` echoes and `--compare` reads back), turning one into a
// PlanInput against the catalog, and printing results as text or JSON.
#pragma once

#include "cli_args.h"

#include "moe/planner.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace moecli {

// The command-line options of `moe plan` as a scenario object (only what was given).
nlohmann::json scenarioFromArgs(const Args& args);

// Resolves the scenario's model (catalog key, config.json, GGUF file or model folder),
// GPU, links and price. `file` names the scenario's origin in errors.
moe::PlanInput planInputFromScenario(const nlohmann::json& scenario, const moe::Catalog& catalog,
                                     const std::string& file);

// A model from the catalog or from disk; errors name the argument.
moe::PlanModel resolvePlanModel(const std::string& model, const moe::Catalog& catalog);

nlohmann::json planJson(const nlohmann::json& scenario, const moe::PlanInput& input, const moe::PlanResult& result);
nlohmann::json layoutOptionsJson(const std::vector<moe::LayoutOption>& options);

void printPlan(const moe::PlanInput& input, const moe::PlanResult& result);
void printLayoutOptions(const std::vector<moe::LayoutOption>& options, const char* title);
void printComparison(const std::vector<std::string>& names, const std::vector<moe::PlanInput>& inputs,
                     const std::vector<moe::PlanResult>& results);

// `moe plan --validate`: predict this machine's decode speed, run `moe bench`, compare.
int runPlanValidation(const Args& args);

// "71.3 GB" (1e9 bytes: GPU memory is sold in decimal gigabytes).
std::string formatGb(double bytes);

} // namespace moecli
