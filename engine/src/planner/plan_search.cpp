// Layout search: the fewest GPUs per layout family, and the cheapest fits across the
// catalog's GPUs. Plans are cheap closed forms, so the search simply tries every count.
#include "moe/error.h"
#include "moe/planner.h"

#include <algorithm>

namespace moe {
namespace {

// The layouts of `family` on `n` GPUs, most tensor-parallel first (empty when the
// family has none).
std::vector<ParallelLayout> layoutsFor(const std::string& family, int64_t n, int64_t gpusPerNode)
{
    std::vector<ParallelLayout> out;
    ParallelLayout l;
    if (family == "TP") {
        l.tp = n;
        out.push_back(l);
    } else if (family == "TP+PP") {
        // Tensor parallel inside a node, pipeline stages across: the usual multi-node shape.
        for (int64_t pp = 2; pp <= n; ++pp) {
            if (n % pp != 0 || n / pp > gpusPerNode)
                continue;
            l.tp = n / pp;
            l.pp = pp;
            out.push_back(l);
        }
    } else if (family == "TP+EP" && n >= 2) {
        l.tp = n;
        l.ep = n;
        out.push_back(l);
    } else if (family == "DP-attention+EP" && n >= 2) {
        l.dp = n;
        l.dpAttention = true;
        l.ep = n;
        out.push_back(l);
    }
    return out;
}

} // namespace

std::vector<LayoutOption> fewestGpusPerLayout(const PlanInput& input, int64_t maxGpus)
{
    std::vector<LayoutOption> options;
    for (const char* family : {"TP", "TP+PP", "TP+EP", "DP-attention+EP"}) {
        bool found = false;
        for (int64_t n = 1; n <= maxGpus && !found; ++n) {
            for (const ParallelLayout& layout : layoutsFor(family, n, input.gpu.gpusPerNode)) {
                PlanInput in = input;
                in.layout = layout;
                in.gpuCount = n;
                try {
                    PlanResult r = planDeployment(in);
                    if (!r.fits)
                        continue;
                    options.push_back({family, in.layout, in.gpu, std::move(r)});
                    found = true;
                    break;
                } catch (const Error&) {
                    continue; // heads or experts do not divide by this layout: try the next
                }
            }
        }
    }
    return options;
}

std::vector<LayoutOption> cheapestFittingLayouts(const PlanInput& input, const Catalog& catalog, size_t limit,
                                                 int64_t maxGpus)
{
    std::vector<LayoutOption> all;
    for (const GpuSpec& gpu : catalog.gpus) {
        PlanInput in = input;
        in.gpu = gpu;
        in.usdPerGpuHour = gpu.usdPerHour;
        if (const InterconnectSpec* link = catalog.findInterconnect(gpu.scaleUpLink))
            in.scaleUp = *link;
        for (LayoutOption& o : fewestGpusPerLayout(in, maxGpus))
            all.push_back(std::move(o));
    }
    std::stable_sort(all.begin(), all.end(), [](const LayoutOption& a, const LayoutOption& b) {
        if (a.result.cost.usdPerHour != b.result.cost.usdPerHour)
            return a.result.cost.usdPerHour < b.result.cost.usdPerHour;
        return a.result.cost.usdPerMillionTokens < b.result.cost.usdPerMillionTokens;
    });
    if (all.size() > limit)
        all.resize(limit);
    return all;
}

} // namespace moe
