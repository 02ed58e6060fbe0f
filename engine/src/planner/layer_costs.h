// layer_costs.h — internal to the planner: what each decoder layer of a model weighs
// in a storage format, how many parameters it multiplies per token and how much KV it
// caches, so stages of a pipeline can be summed layer by layer (DeepSeek's dense
// prefix and gpt-oss's sliding-window layers are not uniform).
#pragma once

#include "moe/planner.h"

#include <vector>

namespace moe::detail {

struct LayerCost {
    bool moe = false;
    bool slidingWindow = false;
    double attentionBytes = 0;
    double routedBytes = 0;        // all routed experts of the layer
    double sharedBytes = 0;        // shared experts or the dense FFN
    double otherBytes = 0;         // router, norms, biases
    double attentionParams = 0;
    double expertParams = 0;       // one routed expert
    double sharedParams = 0;
    double kvBytesPerToken = 0;    // whole layer, at the KV dtype
    double attentionFlopsPerContextToken = 0; // decode: FLOPs per token per cached token
};

struct ModelCosts {
    std::vector<LayerCost> layers;
    double tokenEmbeddingBytes = 0;
    double lmHeadBytes = 0;
    double finalNormBytes = 0;
    double lmHeadParams = 0; // V × h, tied or not (the head matmul runs either way)
};

ModelCosts modelCosts(const PlanModel& model, QuantFormatId format, double kvBytesPerElement);

} // namespace moe::detail
