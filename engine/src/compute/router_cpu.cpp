// Router top-k on the host. Scoring, selection and weighting follow Hugging Face:
//   Mixtral:      softmax over the top-k logits == softmax over all, renormalised
//                 (normTopkProb = true).
//   Qwen2-MoE:    norm_topk_prob = false keeps the full-softmax probabilities of the top k.
//   DeepSeek-V2:  softmax, group-limited: a group's score is its best expert's score.
//   DeepSeek-V3:  sigmoid, e_score_correction_bias added for choosing only; a group's
//                 score is the sum of its two best biased scores; weights are the
//                 unbiased sigmoid scores, renormalised, times routed_scaling_factor.
// routedScalingFactor is applied in every case (1.0 unless the config says otherwise).
// Ties go to the lower expert (or group) id; NaN scores never win.
#include "compute/cpu_ops.h"

#include <algorithm>
#include <cmath>

namespace moe::cpu {

namespace {

// Index of the largest allowed value (allowed = !taken[i]); lowest index on ties.
int64_t argmaxAllowed(const float* v, const float* taken, int64_t count)
{
    int64_t best = -1;
    for (int64_t i = 0; i < count; ++i)
        if (taken[i] == 0.f && (best < 0 || v[i] > v[best]))
            best = i;
    return best;
}

void scoreExperts(const float* logits, int64_t e, RouterScoring scoring, float* scores)
{
    if (scoring == RouterScoring::Sigmoid) {
        for (int64_t i = 0; i < e; ++i)
            scores[i] = 1.f / (1.f + std::exp(-logits[i]));
        return;
    }
    float maxLogit = -INFINITY;
    for (int64_t i = 0; i < e; ++i)
        maxLogit = std::max(maxLogit, logits[i]);
    double sum = 0.0;
    for (int64_t i = 0; i < e; ++i) {
        scores[i] = std::exp(logits[i] - maxLogit);
        sum += scores[i];
    }
    for (int64_t i = 0; i < e; ++i)
        scores[i] = float(scores[i] / sum);
}

// Marks experts of groups outside the best topkGroups as taken (DeepSeek n_group).
void maskGroups(const float* choice, int64_t e, const RouterParams& p, bool sumTop2, float* taken)
{
    const int64_t groups = p.numGroups, size = e / groups;
    float groupScore[256];
    float groupTaken[256] = {};
    for (int64_t g = 0; g < groups; ++g) {
        float best = -INFINITY, second = -INFINITY;
        for (int64_t i = g * size; i < (g + 1) * size; ++i) {
            if (choice[i] > best) {
                second = best;
                best = choice[i];
            } else if (choice[i] > second) {
                second = choice[i];
            }
        }
        groupScore[g] = sumTop2 && size >= 2 ? best + second : best;
    }
    for (int64_t picked = 0; picked < std::min(p.topkGroups, groups); ++picked)
        groupTaken[argmaxAllowed(groupScore, groupTaken, groups)] = 2.f; // 2 = kept
    for (int64_t g = 0; g < groups; ++g)
        if (groupTaken[g] == 0.f)
            std::fill(taken + g * size, taken + (g + 1) * size, 1.f);
}

} // namespace

void routeTopK(const float* logits, int64_t n, int64_t e, const RouterParams& p, const float* bias, int32_t* ids,
               float* weights, float* scratch)
{
    float* scores = scratch;     // [E] unbiased scores: the weights
    float* choice = scratch + e; // [E] scores used for choosing (biased, NaN -> -inf)
    float* taken = scratch + 2 * e;
    const int64_t k = p.topK;
    const bool grouped = p.numGroups > 1 && p.numGroups <= 256 && e % p.numGroups == 0;
    for (int64_t t = 0; t < n; ++t) {
        scoreExperts(logits + t * e, e, p.scoring, scores);
        for (int64_t i = 0; i < e; ++i) {
            const float c = scores[i] + (bias ? bias[i] : 0.f);
            choice[i] = std::isnan(c) ? -INFINITY : c;
            taken[i] = 0.f;
        }
        if (grouped)
            maskGroups(choice, e, p, p.scoring == RouterScoring::Sigmoid && bias, taken);
        double sum = 0.0;
        for (int64_t s = 0; s < k; ++s) {
            const int64_t best = argmaxAllowed(choice, taken, e);
            if (best < 0) { // fewer allowed experts than k (bad config): expert 0, weight 0
                ids[t * k + s] = 0;
                weights[t * k + s] = 0.f;
                continue;
            }
            taken[best] = 1.f;
            ids[t * k + s] = int32_t(best);
            weights[t * k + s] = scores[best];
            sum += scores[best];
        }
        const double norm = p.normTopkProb ? 1.0 / (sum + 1e-20) : 1.0;
        for (int64_t s = 0; s < k; ++s)
            weights[t * k + s] = float(weights[t * k + s] * norm * p.routedScalingFactor);
    }
}

} // namespace moe::cpu
