// The statistics of `moe eval-quant`: per-position KL divergence, top-1 agreement and
// next-token likelihood from two sets of logits, and routing-set agreement.
#include "moe/quant_eval.h"

#include "moe/error.h"

#include <algorithm>
#include <cmath>

namespace moe {
namespace {

// log-softmax in double: x - (max + log sum exp(x - max)).
void logSoftmax(std::span<const float> x, std::vector<double>& out)
{
    double max = -INFINITY;
    for (float v : x)
        max = std::max(max, double(v));
    double sum = 0;
    for (float v : x)
        sum += std::exp(double(v) - max);
    const double lse = max + std::log(sum);
    out.resize(x.size());
    for (size_t i = 0; i < x.size(); ++i)
        out[i] = double(x[i]) - lse;
}

size_t argmaxIndex(std::span<const float> x) // lowest index wins ties
{
    size_t best = 0;
    for (size_t i = 1; i < x.size(); ++i)
        if (x[i] > x[best])
            best = i;
    return best;
}

double percentileOfSorted(const std::vector<double>& sorted, double p)
{
    if (sorted.empty())
        return 0;
    const double rank = p / 100.0 * double(sorted.size() - 1);
    const size_t lo = size_t(rank);
    const size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - double(lo));
}

} // namespace

NextTokenComparison compareNextToken(std::span<const float> reference, std::span<const float> quantized,
                                     int32_t target)
{
    if (reference.empty() || reference.size() != quantized.size())
        throw Error(ErrorCode::InvalidArgument, "", "logits",
                    "reference and quantized logits differ in size (" + std::to_string(reference.size()) + " vs " +
                        std::to_string(quantized.size()) + ")");
    // Not a hot path (once per evaluated token); thread_local keeps repeated calls cheap.
    thread_local std::vector<double> logP, logQ;
    logSoftmax(reference, logP);
    logSoftmax(quantized, logQ);
    NextTokenComparison c;
    double kl = 0;
    for (size_t i = 0; i < logP.size(); ++i)
        kl += std::exp(logP[i]) * (logP[i] - logQ[i]);
    c.kl = std::max(kl, 0.0);
    c.top1Agrees = argmaxIndex(reference) == argmaxIndex(quantized);
    if (target >= 0 && size_t(target) < logP.size()) {
        c.referenceNll = -logP[size_t(target)];
        c.quantizedNll = -logQ[size_t(target)];
    }
    return c;
}

void QuantEvalAccumulator::addPosition(std::span<const float> reference, std::span<const float> quantized,
                                       int32_t target)
{
    const NextTokenComparison c = compareNextToken(reference, quantized, target);
    m_kl.push_back(c.kl);
    m_top1 += c.top1Agrees ? 1 : 0;
    if (target >= 0) {
        m_refNll += c.referenceNll;
        m_quantNll += c.quantizedNll;
        ++m_nllCount;
    }
}

void QuantEvalAccumulator::addRouting(int64_t layer, const int32_t* referenceIds, const int32_t* quantizedIds,
                                      int64_t tokens, int64_t topK)
{
    auto it = std::find_if(m_layers.begin(), m_layers.end(), [layer](const LayerCount& l) { return l.layer == layer; });
    if (it == m_layers.end()) {
        m_layers.push_back({layer, 0, 0});
        std::sort(m_layers.begin(), m_layers.end(), [](const LayerCount& a, const LayerCount& b) { return a.layer < b.layer; });
        it = std::find_if(m_layers.begin(), m_layers.end(), [layer](const LayerCount& l) { return l.layer == layer; });
    }
    std::vector<int32_t> a(static_cast<size_t>(topK)), b(static_cast<size_t>(topK));
    for (int64_t t = 0; t < tokens; ++t) {
        std::copy_n(referenceIds + t * topK, topK, a.begin());
        std::copy_n(quantizedIds + t * topK, topK, b.begin());
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        it->same += a == b ? 1 : 0;
        ++it->pairs;
    }
}

QuantEvalFigures QuantEvalAccumulator::figures() const
{
    QuantEvalFigures f;
    f.positions = int64_t(m_kl.size());
    if (!m_kl.empty()) {
        std::vector<double> sorted = m_kl;
        std::sort(sorted.begin(), sorted.end());
        double sum = 0;
        for (double k : m_kl)
            sum += k;
        f.meanKl = sum / double(m_kl.size());
        f.medianKl = percentileOfSorted(sorted, 50);
        f.p99Kl = percentileOfSorted(sorted, 99);
        f.maxKl = sorted.back();
        f.top1Agreement = double(m_top1) / double(m_kl.size());
    }
    if (m_nllCount > 0) {
        f.referencePerplexity = std::exp(m_refNll / double(m_nllCount));
        f.quantizedPerplexity = std::exp(m_quantNll / double(m_nllCount));
    }
    int64_t same = 0;
    for (const LayerCount& l : m_layers) {
        f.routingPairs += l.pairs;
        same += l.same;
        f.routingPerLayer.push_back({l.layer, l.pairs, l.pairs > 0 ? double(l.same) / double(l.pairs) : 0.0});
    }
    f.routingAgreement = f.routingPairs > 0 ? double(same) / double(f.routingPairs) : 0.0;
    return f;
}

} // namespace moe
