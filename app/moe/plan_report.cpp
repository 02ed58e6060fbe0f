// Text and JSON reports of `moe plan`.
#include "plan_scenario.h"

#include <cmath>
#include <cstdio>

namespace moecli {
namespace {

using nlohmann::json;

std::string fmt(const char* format, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

std::string usd(double v) { return v >= 1000 ? fmt("$%.0f", v) : v >= 1 ? fmt("$%.2f", v) : fmt("$%.4f", v); }

std::string seconds(double s) { return s >= 1 ? fmt("%.2f s", s) : fmt("%.2f ms", s * 1e3); }

const char* linkNote(const moe::PlanInput& in)
{
    return in.gpuCount > in.gpu.gpusPerNode ? " (groups beyond one node use the scale-out link)" : "";
}

json memoryJson(const moe::MemoryBreakdown& m)
{
    return {{"attention_weights_bytes", m.attentionWeights}, {"expert_weights_bytes", m.expertWeights},
            {"shared_expert_and_dense_ffn_bytes", m.sharedExpertWeights}, {"embedding_and_lm_head_bytes", m.embeddings},
            {"router_and_norm_bytes", m.otherWeights}, {"kv_cache_bytes", m.kvCache},
            {"activation_bytes", m.activations}, {"overhead_bytes", m.overhead}, {"weights_bytes", m.weights()},
            {"total_bytes", m.total()}};
}

json resultJson(const moe::PlanInput& in, const moe::PlanResult& r)
{
    const auto& d = r.decode;
    const auto& w = r.modelWeights;
    return {
        {"model_weights", {{"attention_bytes", w.attention}, {"routed_expert_bytes", w.routedExperts},
                           {"shared_expert_bytes", w.sharedExperts}, {"dense_ffn_bytes", w.denseFfn},
                           {"token_embedding_bytes", w.tokenEmbedding}, {"lm_head_bytes", w.lmHead},
                           {"router_and_norm_bytes", w.routerAndNorms}, {"total_bytes", w.total()}}},
        {"kv_bytes_per_token", r.kvBytesPerToken},
        {"memory_per_gpu", memoryJson(r.perGpu)},
        {"usable_bytes_per_gpu", r.usableBytesPerGpu},
        {"fits", r.fits},
        {"margin_bytes", r.marginBytes},
        {"max_concurrent_sequences", r.maxConcurrentSequences},
        {"decode", {{"tokens_per_second_per_sequence", d.tokensPerSecondPerSequence}, {"tokens_per_second", d.tokensPerSecond},
                    {"step_seconds", d.stepSeconds}, {"memory_seconds", d.memorySeconds},
                    {"compute_seconds", d.computeSeconds}, {"all_reduce_seconds", d.allReduceSeconds},
                    {"all_to_all_seconds", d.allToAllSeconds}, {"pipeline_seconds", d.pipelineSeconds},
                    {"distinct_experts_per_layer", d.distinctExpertsPerLayer},
                    {"weight_bytes_read_per_gpu", d.weightBytesReadPerGpu}, {"kv_bytes_read_per_gpu", d.kvBytesReadPerGpu},
                    {"flops_per_gpu", d.flopsPerGpu}, {"bound", d.computeBound ? "compute" : "memory"}}},
        {"prefill", {{"prompt_tokens", r.prefill.promptTokens}, {"tokens_per_second", r.prefill.tokensPerSecond},
                     {"time_to_first_token_seconds", r.prefill.timeToFirstTokenSeconds},
                     {"bound", r.prefill.computeBound ? "compute" : "memory"}}},
        {"cost", {{"usd_per_hour", r.cost.usdPerHour}, {"usd_per_million_tokens", r.cost.usdPerMillionTokens},
                  {"usd_per_month", r.cost.usdPerMonth},
                  {"usd_per_million_tokens_per_quality_point", r.cost.usdPerMillionTokensPerQualityPoint}}},
        {"layout", in.layout.describe()},
        {"notes", r.notes},
    };
}

} // namespace

std::string formatGb(double bytes) { return fmt("%.2f GB", bytes / 1e9); }

json planJson(const json& scenario, const moe::PlanInput& in, const moe::PlanResult& r)
{
    const auto counts = in.model.spec.parameterCounts();
    json j = {{"scenario", scenario},
              {"model", {{"name", in.model.spec.name}, {"key", in.model.key}, {"parameters_total", counts.total},
                         {"parameters_active", counts.active}, {"format", moe::quantFormat(in.weightFormat).key},
                         {"bytes_per_weight", moe::quantFormat(in.weightFormat).bytesPerWeight()}}},
              {"hardware", {{"gpu", in.gpu.key}, {"gpu_name", in.gpu.name}, {"count", in.gpuCount},
                            {"memory_bytes", in.gpu.memoryBytes},
                            {"memory_bandwidth_gb_per_second", in.gpu.memoryBandwidthGbPerSecond},
                            {"interconnect", in.scaleUp.key}, {"scale_out", in.scaleOut.key},
                            {"usd_per_gpu_hour", in.usdPerGpuHour}}},
              {"result", resultJson(in, r)}};
    return j;
}

json layoutOptionsJson(const std::vector<moe::LayoutOption>& options)
{
    json arr = json::array();
    for (const auto& o : options)
        arr.push_back({{"family", o.family}, {"layout", o.layout.describe()}, {"gpu", o.gpu.key},
                       {"count", o.layout.gpuCount()}, {"usd_per_hour", o.result.cost.usdPerHour},
                       {"usd_per_million_tokens", o.result.cost.usdPerMillionTokens},
                       {"decode_tokens_per_second", o.result.decode.tokensPerSecond},
                       {"margin_bytes", o.result.marginBytes},
                       {"max_concurrent_sequences", o.result.maxConcurrentSequences}});
    return arr;
}

void printPlan(const moe::PlanInput& in, const moe::PlanResult& r)
{
    const auto counts = in.model.spec.parameterCounts();
    const moe::QuantFormat& q = moe::quantFormat(in.weightFormat);
    std::printf("model:     %s, %.1f B parameters (%.1f B active), %s (%.4f bytes/weight)\n", in.model.spec.name.c_str(),
                double(counts.total) / 1e9, double(counts.active) / 1e9, q.key.c_str(), q.bytesPerWeight());
    std::printf("hardware:  %lld x %s (%s, %.0f GB/s), %s (%.0f GB/s, %.0f us)%s, layout %s\n", (long long)in.gpuCount,
                in.gpu.name.c_str(), formatGb(double(in.gpu.memoryBytes)).c_str(), in.gpu.memoryBandwidthGbPerSecond,
                in.scaleUp.name.c_str(), in.scaleUp.bandwidthGbPerSecond, in.scaleUp.latencyMicroseconds, linkNote(in),
                in.layout.describe().c_str());
    std::printf("workload:  context %lld tokens, batch %lld sequences, KV %.0f B/token (%.0f B/element)\n\n",
                (long long)in.contextTokens, (long long)in.batch, r.kvBytesPerToken, in.kvBytesPerElement);
    const auto& m = r.perGpu;
    std::printf("memory per GPU (most loaded stage)\n");
    const std::pair<const char*, double> rows[] = {
        {"attention weights", m.attentionWeights}, {"routed expert weights", m.expertWeights},
        {"shared experts / dense FFN", m.sharedExpertWeights}, {"embeddings + LM head", m.embeddings},
        {"router + norms", m.otherWeights}, {"KV cache", m.kvCache}, {"activations (peak)", m.activations},
        {"CUDA context + workspace", m.overhead}};
    for (const auto& [label, bytes] : rows)
        std::printf("  %-30s %12s\n", label, formatGb(bytes).c_str());
    std::printf("  %-30s %12s\n", "total", formatGb(m.total()).c_str());
    std::printf("  %-30s %12s (%.2f x %s)\n", "usable", formatGb(r.usableBytesPerGpu).c_str(),
                in.overheads.usableMemoryFraction, formatGb(double(in.gpu.memoryBytes)).c_str());
    if (r.fits)
        std::printf("  fits: yes, %s to spare\n", formatGb(r.marginBytes).c_str());
    else
        std::printf("  fits: NO, short by %s\n", formatGb(-r.marginBytes).c_str());
    std::printf("  whole model: %s of weights\n", formatGb(r.modelWeights.total()).c_str());
    std::printf("max concurrent sequences at %lld tokens: %lld\n\n", (long long)in.contextTokens,
                (long long)r.maxConcurrentSequences);

    const auto& d = r.decode;
    std::printf("decode (roofline at %.0f%% of bandwidth, %.0f%% of dense TFLOPS)\n", in.overheads.bandwidthEfficiency * 100,
                in.overheads.computeEfficiency * 100);
    if (in.model.spec.isMoe())
        std::printf("  distinct experts per MoE layer: %.2f of %lld\n", d.distinctExpertsPerLayer,
                    (long long)in.model.spec.numExperts);
    std::printf("  per GPU per step: %s weights + %s KV read, %.3g TFLOP\n", formatGb(d.weightBytesReadPerGpu).c_str(),
                formatGb(d.kvBytesReadPerGpu).c_str(), d.flopsPerGpu / 1e12);
    std::printf("  stage step: memory %s, compute %s, all-reduce %s, all-to-all %s, pipeline %s -> %s (%s-bound)\n",
                seconds(d.memorySeconds).c_str(), seconds(d.computeSeconds).c_str(), seconds(d.allReduceSeconds).c_str(),
                seconds(d.allToAllSeconds).c_str(), seconds(d.pipelineSeconds).c_str(), seconds(d.stepSeconds).c_str(),
                d.computeBound ? "compute" : "memory");
    std::printf("  tokens/s: %.1f per sequence, %.1f aggregate\n", d.tokensPerSecondPerSequence, d.tokensPerSecond);
    std::printf("prefill:   %lld-token prompt: %.0f tokens/s, time to first token %s (%s-bound)\n",
                (long long)r.prefill.promptTokens, r.prefill.tokensPerSecond,
                seconds(r.prefill.timeToFirstTokenSeconds).c_str(), r.prefill.computeBound ? "compute" : "memory");
    std::printf("cost:      %s/hour (%s per GPU-hour), %s per million output tokens, %s/month (730 h)\n",
                usd(r.cost.usdPerHour).c_str(), usd(in.usdPerGpuHour).c_str(), usd(r.cost.usdPerMillionTokens).c_str(),
                usd(r.cost.usdPerMonth).c_str());
    if (in.qualityScore > 0)
        std::printf("           %s per million tokens per quality point (score %.2f)\n",
                    usd(r.cost.usdPerMillionTokensPerQualityPoint).c_str(), in.qualityScore);
    for (const std::string& n : r.notes)
        std::printf("note:      %s\n", n.c_str());
}

void printLayoutOptions(const std::vector<moe::LayoutOption>& options, const char* title)
{
    std::printf("%s\n", title);
    if (options.empty()) {
        std::printf("  none fits within the searched GPU counts\n");
        return;
    }
    std::printf("  %-18s %-10s %-26s %10s %11s %12s %9s\n", "family", "gpu", "layout", "$/hour", "$/Mtok", "tokens/s",
                "max seqs");
    for (const auto& o : options)
        std::printf("  %-18s %-10s %-26s %10s %11s %12.1f %9lld\n", o.family.c_str(), o.gpu.key.c_str(),
                    (std::to_string(o.layout.gpuCount()) + " GPUs, " + o.layout.describe()).c_str(),
                    usd(o.result.cost.usdPerHour).c_str(), usd(o.result.cost.usdPerMillionTokens).c_str(),
                    o.result.decode.tokensPerSecond, (long long)o.result.maxConcurrentSequences);
}

void printComparison(const std::vector<std::string>& names, const std::vector<moe::PlanInput>& inputs,
                     const std::vector<moe::PlanResult>& results)
{
    std::printf("%-34s", "");
    for (const std::string& n : names)
        std::printf(" %22s", n.size() > 22 ? n.substr(n.size() - 22).c_str() : n.c_str());
    std::printf("\n");
    auto row = [&](const char* label, auto value) {
        std::printf("%-34s", label);
        for (size_t i = 0; i < results.size(); ++i)
            std::printf(" %22s", value(inputs[i], results[i]).c_str());
        std::printf("\n");
    };
    using In = const moe::PlanInput&;
    using Res = const moe::PlanResult&;
    row("model", [](In in, Res) { return in.model.spec.name; });
    row("format", [](In in, Res) { return moe::quantFormat(in.weightFormat).key; });
    row("GPUs", [](In in, Res) { return std::to_string(in.gpuCount) + " x " + in.gpu.key; });
    row("layout", [](In in, Res) { return in.layout.describe(); });
    row("context x batch", [](In in, Res) { return std::to_string(in.contextTokens) + " x " + std::to_string(in.batch); });
    row("memory per GPU", [](In, Res r) { return formatGb(r.perGpu.total()); });
    row("fits (margin)", [](In, Res r) { return std::string(r.fits ? "yes " : "NO ") + formatGb(r.marginBytes); });
    row("max concurrent sequences", [](In, Res r) { return std::to_string(r.maxConcurrentSequences); });
    row("decode tokens/s per sequence", [](In, Res r) { return fmt("%.1f", r.decode.tokensPerSecondPerSequence); });
    row("decode tokens/s aggregate", [](In, Res r) { return fmt("%.1f", r.decode.tokensPerSecond); });
    row("time to first token", [](In, Res r) { return seconds(r.prefill.timeToFirstTokenSeconds); });
    row("$/hour", [](In, Res r) { return usd(r.cost.usdPerHour); });
    row("$ per million tokens", [](In, Res r) { return usd(r.cost.usdPerMillionTokens); });
    row("$/month", [](In, Res r) { return usd(r.cost.usdPerMonth); });
}

} // namespace moecli
