// evaluateQuantization: two engines read the same text chunk by chunk (teacher forcing)
// while an observer on each records the routers' choices; the statistics live in
// quant/quant_eval.cpp. Plus the built-in text it reads when the user gives none.
#include "moe/quant_eval.h"

#include "moe/engine.h"
#include "moe/error.h"

#include <algorithm>

namespace moe {
namespace {

// Appends each MoE layer's expert ids in call order (a forward call longer than the
// engine's batch reports a layer several times).
class RoutingRecorder final : public ForwardObserver {
public:
    void afterLayer(int64_t, std::span<const float>, int64_t) override {}
    void routing(int64_t layer, const RoutingView& r) override
    {
        if (size_t(layer) >= m_ids.size())
            m_ids.resize(size_t(layer) + 1);
        m_ids[size_t(layer)].insert(m_ids[size_t(layer)].end(), r.expertIds, r.expertIds + r.tokens * r.topK);
    }
    const std::vector<std::vector<int32_t>>& ids() const { return m_ids; }
    void clear()
    {
        for (auto& v : m_ids)
            v.clear();
    }

private:
    std::vector<std::vector<int32_t>> m_ids; // [layer] -> [tokens * topK]
};

void checkComparable(const Engine& a, const Engine& b, size_t tokens)
{
    const ModelSpec &s = a.spec(), &t = b.spec();
    auto mismatch = [&](const char* field, int64_t x, int64_t y) {
        if (x != y)
            throw Error(ErrorCode::InvalidArgument, b.info().path, field,
                        "the quantized model has " + std::to_string(y) + ", the reference " + std::to_string(x) +
                            "; they are not the same model");
    };
    mismatch("vocab_size", s.vocabSize, t.vocabSize);
    mismatch("layers", s.numLayers, t.numLayers);
    mismatch("experts", s.numExperts, t.numExperts);
    mismatch("experts per token", s.numExpertsPerToken, t.numExpertsPerToken);
    if (tokens < 2)
        throw Error(ErrorCode::InvalidArgument, "", "tokens", "the text must hold at least 2 tokens");
    for (const Engine* e : {&a, &b})
        if (int64_t(tokens) > e->contextLength())
            throw Error(ErrorCode::InvalidArgument, e->info().path, "context",
                        std::to_string(tokens) + " tokens exceed the context length " +
                            std::to_string(e->contextLength()));
}

} // namespace

QuantEvalFigures evaluateQuantization(Engine& reference, Engine& quantized, std::span<const int32_t> tokens,
                                      const QuantEvalOptions& options)
{
    checkComparable(reference, quantized, tokens.size());
    const int64_t n = int64_t(tokens.size());
    const int64_t chunk = std::max<int64_t>(options.chunkTokens, 1);
    const int64_t topK = reference.spec().numExpertsPerToken;
    RoutingRecorder refRouting, quantRouting;
    reference.reset();
    quantized.reset();
    reference.setObserver(&refRouting);
    quantized.setObserver(&quantRouting);
    QuantEvalAccumulator acc;
    try {
        for (int64_t first = 0; first < n; first += chunk) {
            if (options.cancel && options.cancel->load(std::memory_order_relaxed))
                throw Error(ErrorCode::Cancelled, "", "", "evaluation cancelled");
            const int64_t count = std::min(chunk, n - first);
            const std::span<const int32_t> part = tokens.subspan(size_t(first), size_t(count));
            refRouting.clear();
            quantRouting.clear();
            reference.forward(part, true);
            quantized.forward(part, true);
            // Position i predicts token i + 1; the last token of the text predicts nothing.
            for (int64_t i = 0; i < count && first + i + 1 < n; ++i)
                acc.addPosition(reference.logitsOf(i), quantized.logitsOf(i), tokens[size_t(first + i + 1)]);
            const auto& r = refRouting.ids();
            const auto& q = quantRouting.ids();
            for (size_t layer = 0; layer < r.size() && layer < q.size(); ++layer)
                if (!r[layer].empty() && r[layer].size() == q[layer].size())
                    acc.addRouting(int64_t(layer), r[layer].data(), q[layer].data(),
                                   int64_t(r[layer].size()) / topK, topK);
            if (options.onProgress)
                options.onProgress(first + count, n);
        }
    } catch (...) {
        reference.setObserver(nullptr);
        quantized.setObserver(nullptr);
        throw;
    }
    reference.setObserver(nullptr);
    quantized.setObserver(nullptr);
    return acc.figures();
}

const std::string& builtinEvalText()
{
    // Written for this project (no outside source), mixing narrative, explanation,
    // numbers and dialogue so that many kinds of tokens are predicted.
    static const std::string text =
        "The ferry left the harbour a little after six, when the fog was still lying on the water like a sheet "
        "that nobody had bothered to fold. Mara stood at the rail with her coat buttoned to the chin and counted "
        "the buoys as they slid past: one red, one green, then a long gap before the bell buoy that marked the "
        "channel. Her grandfather had taught her that trick. If you know where the buoys are, he used to say, you "
        "always know where you are, even when you cannot see the shore.\n\n"
        "On the far side of the bay the old cannery had been turned into a workshop for boat builders. Inside, "
        "the air smelled of cedar shavings and varnish. Three hulls stood upside down on trestles, each at a "
        "different stage: the first was only a skeleton of steamed oak ribs, the second had its planks fastened "
        "with copper rivets, and the third was being sanded for the fourth time. \"Patience is cheaper than "
        "paint,\" the foreman said when Mara asked why. \"Every coat you put on a rough surface just makes the "
        "roughness shinier.\"\n\n"
        "A computer that answers questions works in a way that is less mysterious than it first appears. It "
        "reads the words it has been given, turns each piece of text into a list of numbers, and passes those "
        "numbers through many layers of arithmetic. In a mixture-of-experts model, a small router in every layer "
        "decides which few specialists should handle each piece of text, so that only a fraction of the whole "
        "network does any work for a given word. If the numbers inside the model are stored with fewer bits, the "
        "model becomes smaller and faster, but the router may start to send some words to different "
        "specialists, and the answers can drift.\n\n"
        "By noon the fog had burned off. The market along the quay sold apples at 3 for 2 euros, smoked fish by "
        "the kilogram, and honey in jars with hand-written labels. A boy was selling newspapers from a wooden "
        "cart, calling out the headline about the new bridge: 412 metres long, 18 months late, and still not "
        "open to bicycles. Mara bought a paper, two apples and a cup of tea, and sat on the steps of the church "
        "to read.\n\n"
        "Later, on the ferry home, she wrote a short list in the margin of the paper. Check the mooring lines "
        "before the storm on Thursday. Ask the foreman whether the second hull needs another set of rivets. "
        "Return the library book about tides, which is already two weeks overdue. Call her brother, who never "
        "calls first. The list was not long, but writing it down made the evening feel lighter, as if the water "
        "itself had agreed to carry some of the weight.\n";
    return text;
}

} // namespace moe
