// `moe make-model`: presets, the spec of each family, the tokenizer, and the order in
// which the files are written. The tensor values come from model_maker_weights.cpp and
// the encoding into each format from model_maker_writers.cpp.
#include "moe/model_maker.h"

#include "model_maker_detail.h"
#include "moe/architecture.h"
#include "moe/error.h"
#include "moe/tokenizer.h"

#include <algorithm>
#include <filesystem>

namespace moe {

const std::vector<ModelPreset>& modelPresets()
{
    // name, hidden, layers, heads, kv heads, head dim, experts, top-k, expert ffn,
    // shared ffn, vocab, context, shard bytes, default dtype
    static const std::vector<ModelPreset> presets = {
        {"tiny", 64, 2, 4, 2, 16, 4, 2, 128, 128, 512, 512, 0, DType::F32},
        {"small", 256, 4, 8, 4, 32, 8, 2, 512, 512, 2048, 2048, 0, DType::F32},
        // ~1.0 B parameters (0.83 B in experts): big enough that decode is memory bound.
        {"bench", 2048, 12, 16, 4, 128, 8, 2, 1408, 1408, 16384, 4096, uint64_t(512) << 20, DType::F16},
    };
    return presets;
}

const ModelPreset* findModelPreset(const std::string& name)
{
    for (const ModelPreset& p : modelPresets())
        if (p.name == name)
            return &p;
    return nullptr;
}

const std::vector<std::string>& makeableArchitectures()
{
    static const std::vector<std::string> archs = {"mixtral", "qwen2moe", "qwen3moe", "olmoe"};
    return archs;
}

ModelSpec makeModelSpec(const std::string& architecture, const ModelPreset& p)
{
    const auto& archs = makeableArchitectures();
    if (std::find(archs.begin(), archs.end(), architecture) == archs.end())
        throw Error(ErrorCode::InvalidArgument, "", "architecture",
                    "make-model cannot build '" + architecture + "' (choose mixtral, qwen2moe, qwen3moe or olmoe)");
    ModelSpec s;
    s.architecture = architecture;
    s.name = "moe-workbench-" + p.name + "-" + architecture; // displays add the random-weights label
    s.vocabSize = p.vocabSize;
    s.hiddenSize = p.hiddenSize;
    s.numLayers = p.numLayers;
    s.numHeads = p.numHeads;
    s.numKvHeads = p.numKvHeads;
    s.headDim = p.headDim;
    s.maxContext = p.maxContext;
    s.rmsNormEps = 1e-6;
    s.ropeTheta = architecture == "olmoe" ? 10000.0 : 1000000.0;
    s.ropeLayout = RopeLayout::NeoX; // HF rotate-half; the GGUF `llama` copy is permuted
    s.moeIntermediateSize = p.expertFfn;
    s.numExperts = p.numExperts;
    s.numExpertsPerToken = p.numExpertsPerToken;
    s.routerScoring = RouterScoring::Softmax;
    if (architecture == "mixtral") {
        s.normTopkProb = true;
    } else if (architecture == "qwen2moe") {
        s.numSharedExperts = 1;
        s.sharedExpertIntermediateSize = p.sharedExpertFfn;
        s.sharedExpertGate = true;
        s.attentionBias = true;
        s.normTopkProb = false;
    } else if (architecture == "qwen3moe") {
        s.qkNorm = QkNorm::PerHead;
        s.normTopkProb = true;
    } else { // olmoe
        s.qkNorm = QkNorm::Full;
        s.normTopkProb = false;
    }
    return s;
}

namespace {

void checkOptions(const MakeModelOptions& o, const ModelPreset*& preset, DType& dtype)
{
    preset = findModelPreset(o.preset);
    if (!preset)
        throw Error(ErrorCode::InvalidArgument, "", "preset", "unknown preset '" + o.preset + "' (tiny, small, bench)");
    dtype = o.dtype.value_or(preset->defaultDtype);
    if (isQuantized(dtype) && o.format != MakeFormat::Gguf)
        throw Error(ErrorCode::InvalidArgument, "", "dtype",
                    std::string(dtypeName(dtype)) + " is a GGML block type; safetensors cannot hold it (use --format gguf)");
    if (o.outDir.empty())
        throw Error(ErrorCode::InvalidArgument, "", "out", "no output folder given");
}

// Pads the trained vocabulary to the model's embedding rows the way llama.cpp's
// converter does ("[PAD<i>]", type Unused): every id the model can emit decodes to
// something, and the GGUF token list matches the embedding rows.
void padVocab(TokenizerVocab& v, int64_t target)
{
    if (int64_t(v.tokens.size()) >= target)
        return;
    if (v.tokenTypes.empty()) {
        v.tokenTypes.assign(v.tokens.size(), TokenType::Normal);
        for (const AddedToken& a : v.addedTokens)
            if (a.id >= 0 && size_t(a.id) < v.tokenTypes.size())
                v.tokenTypes[size_t(a.id)] = a.special ? TokenType::Control : TokenType::UserDefined;
    }
    for (int64_t i = int64_t(v.tokens.size()); i < target; ++i) {
        v.tokens.push_back("[PAD" + std::to_string(i) + "]");
        v.tokenTypes.push_back(TokenType::Unused);
    }
    if (!v.scores.empty())
        v.scores.resize(v.tokens.size(), 0.f);
}

TokenizerVocab makeTokenizer(const ModelPreset& p, int64_t& learned)
{
    // trainByteLevelBpe appends three special tokens after what it learns.
    constexpr int kSpecialTokens = 3;
    TokenizerVocab v = trainByteLevelBpe(builtinTokenizerCorpus(), int(p.vocabSize) - kSpecialTokens);
    learned = int64_t(v.tokens.size());
    if (learned > p.vocabSize)
        throw Error(ErrorCode::BadValue, "", "vocab_size",
                    "trained tokenizer has " + std::to_string(learned) + " tokens, more than the preset's " +
                        std::to_string(p.vocabSize));
    padVocab(v, p.vocabSize);
    return v;
}

} // namespace

MadeModel makeModel(const MakeModelOptions& options)
{
    const ModelPreset* preset = nullptr;
    DType dtype = DType::F32;
    checkOptions(options, preset, dtype);

    MadeModel made;
    made.dtype = dtype;
    made.spec = makeModelSpec(options.architecture, *preset);
    if (options.onProgress)
        options.onProgress({"tokenizer", 0, 0, 0, 0});
    const TokenizerVocab vocab = makeTokenizer(*preset, made.tokenizerTokens);
    made.spec.bosTokenId = vocab.bosId;
    made.spec.eosTokenIds.clear();
    if (vocab.eosId >= 0)
        made.spec.eosTokenIds.push_back(vocab.eosId);
    for (int32_t id : vocab.extraEosIds)
        if (std::find(made.spec.eosTokenIds.begin(), made.spec.eosTokenIds.end(), id) == made.spec.eosTokenIds.end())
            made.spec.eosTokenIds.push_back(id);
    made.spec.validate(options.outDir);
    made.parameters = made.spec.parameterCounts().total;

    std::error_code ec;
    std::filesystem::create_directories(options.outDir, ec);
    if (ec)
        throw Error(ErrorCode::Io, options.outDir, "", "cannot create folder: " + ec.message());

    detail::MakeContext ctx{made.spec, vocab, dtype, options.seed, *preset, options.onProgress};
    if (options.format != MakeFormat::Gguf) {
        made.hfDir = (std::filesystem::path(options.outDir) / "hf").string();
        detail::writeHfModel(ctx, made.hfDir);
    }
    if (options.format != MakeFormat::Safetensors) {
        made.ggufPath = (std::filesystem::path(options.outDir) / "model.gguf").string();
        detail::writeGgufModel(ctx, made.ggufPath);
    }
    return made;
}

} // namespace moe
