// plan_scenario.h — `moe plan`'s pieces: a scenario (the planner's inputs as a JSON
// object, what `--json` echoes and `--compare` reads back), turning one into a
// PlanInput against the catalog, and printing results as text or JSON.
#pragma once

#include "cli_args.h"

#include "moe/plan_scenario.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace moecli {

using moe::layoutOptionsJson;
using moe::planInputFromScenario;
using moe::planResultJson;

// The command-line options of `moe plan` as a scenario object (only what was given).
nlohmann::json scenarioFromArgs(const Args& args);


void printPlan(const moe::PlanInput& input, const moe::PlanResult& result);
void printLayoutOptions(const std::vector<moe::LayoutOption>& options, const char* title);
void printComparison(const std::vector<std::string>& names, const std::vector<moe::PlanInput>& inputs,
                     const std::vector<moe::PlanResult>& results);

// `moe plan --validate`: predict this machine's decode speed, run `moe bench`, compare.
int runPlanValidation(const Args& args);

// "71.3 GB" (1e9 bytes: GPU memory is sold in decimal gigabytes).
std::string formatGb(double bytes);

} // namespace moecli
