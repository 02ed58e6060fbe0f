// parallel_args.h — the flags generate, bench, profile and info share to run (or size)
// a model over several devices: --devices cpu:4 | cuda:0,1 --tp N --ep N
// --placement contiguous|round-robin|balanced[:run.db] [--memory-limit-mib N]
// [--link nvlink4|pcie4|pcie5 | --link-gbps G --link-latency-us U].
#pragma once

#include "cli_args.h"

#include "moe/engine.h"

#include <nlohmann/json.hpp>

namespace moecli {

std::vector<OptionSpec> parallelOptions();
extern const char* const kParallelHelp;

// Fills options.parallel and options.link. balanced:run.db reads the expert loads of the
// latest profiling run in that store (or --profile-id N). Throws UsageError / moe::Error.
void applyParallelArgs(const Args& args, moe::EngineOptions& options);

// {"devices", "tp", "ep", "placement", ...} for JSON outputs.
nlohmann::json planJson(const moe::ParallelPlan& plan);
// Bytes per device pair of one step and the link-model estimate, labelled as one.
nlohmann::json trafficJson(const moe::TrafficMatrix& traffic);
// Memory per device of the plan the flags describe (moe info PATH --devices/--tp/--ep),
// at the file's bytes per weight and an F32 KV cache of `context` tokens. Throws when
// the plan is invalid or, with --memory-limit-mib, does not fit (saying by how much).
nlohmann::json deviceMemoryJson(const moe::ModelInfo& info, int64_t context, const Args& args);
void printDeviceMemory(const moe::ModelInfo& info, int64_t context, const Args& args);
// Plain text of the same for terminals.
void printTraffic(const moe::TrafficMatrix& traffic, const char* what);

} // namespace moecli
