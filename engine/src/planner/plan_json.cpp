// The planner's inputs and results as JSON: what `moe plan --json` prints and the
// workbench's planner page saves.
#include "moe/plan_scenario.h"

namespace moe {
namespace {

using nlohmann::json;

json memoryJson(const MemoryBreakdown& m)
{
    return {{"attention_weights_bytes", m.attentionWeights}, {"expert_weights_bytes", m.expertWeights},
            {"shared_expert_and_dense_ffn_bytes", m.sharedExpertWeights}, {"embedding_and_lm_head_bytes", m.embeddings},
            {"router_and_norm_bytes", m.otherWeights}, {"kv_cache_bytes", m.kvCache},
            {"activation_bytes", m.activations}, {"overhead_bytes", m.overhead}, {"weights_bytes", m.weights()},
            {"total_bytes", m.total()}};
}

json resultJson(const PlanInput& in, const PlanResult& r)
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

json planResultJson(const json& scenario, const PlanInput& in, const PlanResult& r)
{
    const auto counts = in.model.spec.parameterCounts();
    json j = {{"scenario", scenario},
              {"model", {{"name", in.model.spec.name}, {"key", in.model.key}, {"parameters_total", counts.total},
                         {"parameters_active", counts.active}, {"format", quantFormat(in.weightFormat).key},
                         {"bytes_per_weight", quantFormat(in.weightFormat).bytesPerWeight()}}},
              {"hardware", {{"gpu", in.gpu.key}, {"gpu_name", in.gpu.name}, {"count", in.gpuCount},
                            {"memory_bytes", in.gpu.memoryBytes},
                            {"memory_bandwidth_gb_per_second", in.gpu.memoryBandwidthGbPerSecond},
                            {"interconnect", in.scaleUp.key}, {"scale_out", in.scaleOut.key},
                            {"usd_per_gpu_hour", in.usdPerGpuHour}}},
              {"result", resultJson(in, r)}};
    return j;
}

json layoutOptionsJson(const std::vector<LayoutOption>& options)
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

} // namespace moe
