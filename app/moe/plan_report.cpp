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

} // namespace

std::string formatGb(double bytes) { return fmt("%.2f GB", bytes / 1e9); }

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
