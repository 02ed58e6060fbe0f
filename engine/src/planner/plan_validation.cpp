// validatePlanInput(): the planner refuses what no server could run, naming the field
// and the number, before any arithmetic divides by it.
#include "moe/error.h"
#include "moe/planner.h"

#include <cmath>
#include <cstdio>

namespace moe {
namespace {

[[noreturn]] void bad(const std::string& field, const std::string& why)
{
    throw Error(ErrorCode::InvalidArgument, "", field, why);
}

std::string num(int64_t v) { return std::to_string(v); }

std::string num(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

void requirePositive(const std::string& field, int64_t v)
{
    if (v < 1)
        bad(field, "must be at least 1, got " + num(v));
}

void requireFraction(const std::string& field, double v)
{
    if (!(v > 0.0 && v <= 1.0))
        bad(field, "must be in (0, 1], got " + num(v));
}

void validateLayout(const PlanInput& in)
{
    const ModelSpec& s = in.model.spec;
    const ParallelLayout& l = in.layout;
    if (in.gpuCount < 1)
        bad("gpu_count", "must be at least 1 GPU, got " + num(in.gpuCount));
    requirePositive("tp", l.tp);
    requirePositive("ep", l.ep);
    requirePositive("pp", l.pp);
    requirePositive("dp", l.dp);
    if (l.gpuCount() != in.gpuCount)
        bad("gpu_count", num(in.gpuCount) + " GPUs do not match tp " + num(l.tp) + " x pp " + num(l.pp) + " x dp " +
                             num(l.dp) + " = " + num(l.gpuCount()));
    if (s.numHeads % l.tp != 0)
        bad("tp", "num_attention_heads " + num(s.numHeads) + " is not divisible by tp " + num(l.tp));
    // vLLM: tp must divide the KV heads, or be a multiple of them (heads replicated).
    if (!s.usesMla() && s.numKvHeads % l.tp != 0 && l.tp % s.numKvHeads != 0)
        bad("tp", "tp " + num(l.tp) + " neither divides nor is a multiple of num_key_value_heads " + num(s.numKvHeads));
    if (l.pp > s.numLayers)
        bad("pp", "pp " + num(l.pp) + " exceeds num_hidden_layers " + num(s.numLayers));
    if (l.ep > 1 && !s.isMoe())
        bad("ep", "ep " + num(l.ep) + " needs an MoE model; " + s.name + " is dense");
    if (l.ep > 1 && l.ep > s.numExperts)
        bad("ep", "ep " + num(l.ep) + " exceeds num_experts " + num(s.numExperts));
    if (l.ep > 1 && s.numExperts % l.ep != 0)
        bad("ep", "ep " + num(l.ep) + " does not divide num_experts " + num(s.numExperts));
    if (l.moeGroupSize() % l.ep != 0)
        bad("ep", "ep " + num(l.ep) + " does not divide the " + num(l.moeGroupSize()) +
                      " GPUs sharing each MoE layer (tp" + (l.dpAttention ? " x dp" : "") + ")");
    if (l.dpAttention && l.dp < 2)
        bad("dp", "DP attention needs dp >= 2, got " + num(l.dp));
}

void validateHardware(const PlanInput& in)
{
    if (in.gpu.memoryBytes == 0)
        bad("gpu.memory_gb", "must be positive for GPU '" + in.gpu.key + "'");
    if (!(in.gpu.memoryBandwidthGbPerSecond > 0))
        bad("gpu.memory_bandwidth_gb_per_second", "must be positive, got " + num(in.gpu.memoryBandwidthGbPerSecond));
    if (!(in.gpu.tflopsBf16 > 0))
        bad("gpu.tflops_bf16", "must be positive, got " + num(in.gpu.tflopsBf16));
    if (in.gpu.gpusPerNode < 1)
        bad("gpu.gpus_per_node", "must be at least 1, got " + num(in.gpu.gpusPerNode));
    for (const InterconnectSpec* ic : {&in.scaleUp, &in.scaleOut}) {
        if (!(ic->bandwidthGbPerSecond > 0))
            bad("interconnect", "bandwidth of '" + ic->key + "' must be positive, got " + num(ic->bandwidthGbPerSecond));
        if (!(ic->latencyMicroseconds >= 0))
            bad("interconnect", "latency of '" + ic->key + "' must not be negative, got " + num(ic->latencyMicroseconds));
    }
    if (!(in.usdPerGpuHour >= 0) || !std::isfinite(in.usdPerGpuHour))
        bad("price", "USD per GPU-hour must not be negative, got " + num(in.usdPerGpuHour));
}

} // namespace

void validatePlanInput(const PlanInput& in)
{
    validateLayout(in);
    validateHardware(in);
    requirePositive("context", in.contextTokens);
    requirePositive("batch", in.batch);
    if (in.promptTokens < 0 || in.promptTokens > in.contextTokens)
        bad("prompt", "must be in 0.." + num(in.contextTokens) + " (the context), got " + num(in.promptTokens));
    if (!(in.kvBytesPerElement > 0) || in.kvBytesPerElement > 8)
        bad("kv_dtype", "bytes per KV element must be in (0, 8], got " + num(in.kvBytesPerElement));
    if (!(in.qualityScore >= 0) || !std::isfinite(in.qualityScore))
        bad("score", "must not be negative, got " + num(in.qualityScore));
    requireFraction("usable_memory_fraction", in.overheads.usableMemoryFraction);
    requireFraction("bandwidth_efficiency", in.overheads.bandwidthEfficiency);
    requireFraction("compute_efficiency", in.overheads.computeEfficiency);
    requirePositive("max_batched_tokens", in.overheads.maxBatchedTokens);
}

} // namespace moe
