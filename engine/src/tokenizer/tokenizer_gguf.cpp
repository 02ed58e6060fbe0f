// GGUF tokenizer.ggml.* reader and writer (key names as llama.cpp's gguf-py writes them).
#include "moe/error.h"
#include "moe/gguf.h"
#include "moe/tokenizer.h"
#include "tokenizer/text_util.h"

#include <unordered_map>

namespace moe {

namespace {

// Regexes from llama.cpp src/llama-vocab.cpp (llm_tokenizer_bpe), by pre-tokenizer type.
const char* const kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
const char* const kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// DeepSeek-V3: digits in threes, CJK runs, then the word pattern (llama.cpp DEEPSEEK3_LLM).
const char* const kDeepSeek3Digits = R"(\p{N}{1,3})";
const char* const kDeepSeek3Cjk = R"([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)";
const char* const kDeepSeek3Words =
    R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

int32_t intOr(const GgufFile& g, std::string_view key, int32_t fallback)
{
    auto v = g.findInt(key);
    return v ? static_cast<int32_t>(*v) : fallback;
}

} // namespace

std::optional<std::vector<std::string>> preTokenizerRegexesFor(std::string_view name)
{
    if (name == "gpt2" || name == "olmo" || name == "mpt" || name == "jais" || name == "gpt-2")
        return std::vector<std::string>{kGpt2};
    if (name == "default") // llama.cpp's fallback for unnamed BPE vocabularies
        return std::vector<std::string>{R"([\p{P}\$\+<=>\^~\|]+)", kGpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"};
    if (name == "llama-bpe" || name == "llama3" || name == "falcon3" || name == "dbrx" || name == "smaug-bpe")
        return std::vector<std::string>{kLlama3};
    if (name == "qwen2" || name == "deepseek-r1-qwen" || name == "qwen3")
        return std::vector<std::string>{kQwen2};
    if (name == "deepseek-v3")
        return std::vector<std::string>{kDeepSeek3Digits, kDeepSeek3Cjk, kDeepSeek3Words};
    return std::nullopt;
}

std::optional<std::string> preTokenizerNameFor(const std::vector<std::string>& regexes)
{
    // HF tokenizer.json spells the contraction group as (?i:...); llama.cpp avoids inline
    // flags. Both match the same strings, so compare with the HF spelling folded in.
    auto fold = [](std::string r) {
        const std::string hf = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
        if (r.compare(0, hf.size(), hf) == 0) r.replace(0, hf.size(), "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])");
        return r;
    };
    std::vector<std::string> folded;
    for (const auto& r : regexes) folded.push_back(fold(r));
    if (folded.size() == 1 && folded[0] == std::string(kGpt2) + "|\\s+") return std::string("gpt2");
    if (folded.size() == 3 && folded[0] == kDeepSeek3Digits && folded[2] == kDeepSeek3Words) return std::string("deepseek-v3");
    for (const char* name : {"gpt2", "llama-bpe", "qwen2", "deepseek-v3", "default"})
        if (preTokenizerRegexesFor(name) == folded) return std::string(name);
    return std::nullopt;
}

TokenizerVocab vocabFromGguf(const GgufFile& g)
{
    TokenizerVocab v;
    const std::string model = g.getString("tokenizer.ggml.model");
    if (model == "gpt2") v.model = TokenizerModel::ByteLevelBpe;
    else if (model == "llama") v.model = TokenizerModel::SentencePieceBpe;
    else throw Error(ErrorCode::UnsupportedType, g.path(), "tokenizer.ggml.model", model + " (supported: gpt2, llama)");

    v.tokens = g.getArray("tokenizer.ggml.tokens").strings;
    const size_t n = v.tokens.size();
    if (const GgufValue* types = g.find("tokenizer.ggml.token_type")) {
        if (types->ints.size() != n)
            throw Error(ErrorCode::BadValue, g.path(), "tokenizer.ggml.token_type", "length differs from tokenizer.ggml.tokens");
        v.tokenTypes.reserve(n);
        for (int64_t t : types->ints) v.tokenTypes.push_back(t >= 0 && t <= 6 ? static_cast<TokenType>(t) : TokenType::Normal);
    }
    if (const GgufValue* scores = g.find("tokenizer.ggml.scores")) {
        if (scores->floats.size() != n)
            throw Error(ErrorCode::BadValue, g.path(), "tokenizer.ggml.scores", "length differs from tokenizer.ggml.tokens");
        v.scores.assign(scores->floats.begin(), scores->floats.end());
    }
    if (const GgufValue* merges = g.find("tokenizer.ggml.merges")) {
        for (const auto& m : merges->strings) {
            size_t sp = m.find(' ', 1);
            if (sp == std::string::npos) throw Error(ErrorCode::BadValue, g.path(), "tokenizer.ggml.merges", "merge without a space: " + m);
            v.merges.emplace_back(m.substr(0, sp), m.substr(sp + 1));
        }
    }

    if (v.model == TokenizerModel::ByteLevelBpe) {
        v.preName = g.findString("tokenizer.ggml.pre").value_or("default");
        auto regexes = preTokenizerRegexesFor(v.preName);
        if (!regexes) throw Error(ErrorCode::UnsupportedType, g.path(), "tokenizer.ggml.pre", "pre-tokenizer " + v.preName);
        v.preTokenizerRegexes = *regexes;
        v.ignoreMerges = v.preName == "llama-bpe" || v.preName == "llama3";
        if (v.merges.empty()) throw Error(ErrorCode::MissingField, g.path(), "tokenizer.ggml.merges", "byte-level BPE needs merges");
    } else {
        v.byteFallback = true;
        v.addSpacePrefix = g.findBool("tokenizer.ggml.add_space_prefix").value_or(true);
        // Merges, when a file carries them, rank better than scores (they are what HF used).
        if (!v.merges.empty()) v.scores.clear();
    }

    // Control, user-defined and unknown tokens are matched verbatim in text, as llama.cpp does.
    for (size_t id = 0; id < v.tokenTypes.size(); ++id) {
        TokenType t = v.tokenTypes[id];
        if (t != TokenType::Control && t != TokenType::UserDefined && t != TokenType::Unknown) continue;
        if (v.tokens[id].empty()) continue;
        AddedToken a;
        a.id = static_cast<int32_t>(id);
        a.content = v.tokens[id];
        a.special = t != TokenType::UserDefined;
        v.addedTokens.push_back(std::move(a));
    }

    v.bosId = intOr(g, "tokenizer.ggml.bos_token_id", -1);
    v.eosId = intOr(g, "tokenizer.ggml.eos_token_id", -1);
    v.unkId = intOr(g, "tokenizer.ggml.unknown_token_id", -1);
    v.padId = intOr(g, "tokenizer.ggml.padding_token_id", -1);
    for (const char* key : {"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"})
        if (int32_t id = intOr(g, key, -1); id >= 0 && id != v.eosId) v.extraEosIds.push_back(id);
    v.addBos = g.findBool("tokenizer.ggml.add_bos_token").value_or(v.model == TokenizerModel::SentencePieceBpe);
    v.addEos = g.findBool("tokenizer.ggml.add_eos_token").value_or(false);
    v.chatTemplate = g.findString("tokenizer.chat_template").value_or("");
    return v;
}

Tokenizer Tokenizer::fromGguf(const GgufFile& gguf)
{
    return Tokenizer(vocabFromGguf(gguf), gguf.path());
}

void writeGgufTokenizer(GgufWriter& w, const TokenizerVocab& v)
{
    const bool spm = v.model == TokenizerModel::SentencePieceBpe;
    w.setString("tokenizer.ggml.model", spm ? "llama" : "gpt2");
    if (!spm) {
        // llama.cpp knows pre-tokenizers by name only; the name must stand for our regexes.
        std::string pre = v.preName;
        if (preTokenizerRegexesFor(pre) != v.preTokenizerRegexes) {
            auto named = preTokenizerNameFor(v.preTokenizerRegexes);
            if (!named) throw Error(ErrorCode::InvalidArgument, "", "pre_tokenizer", "regexes have no GGUF tokenizer.ggml.pre name");
            pre = *named;
        }
        w.setString("tokenizer.ggml.pre", pre);
    }
    w.setStringArray("tokenizer.ggml.tokens", v.tokens);

    std::vector<int32_t> types(v.tokens.size(), static_cast<int32_t>(TokenType::Normal));
    for (size_t id = 0; id < v.tokenTypes.size() && id < types.size(); ++id) types[id] = static_cast<int32_t>(v.tokenTypes[id]);
    for (const auto& a : v.addedTokens)
        if (a.id >= 0 && static_cast<size_t>(a.id) < types.size())
            types[a.id] = static_cast<int32_t>(a.special ? TokenType::Control : TokenType::UserDefined);
    if (spm && v.byteFallback)
        for (size_t id = 0; id < types.size(); ++id)
            if (types[id] == static_cast<int32_t>(TokenType::Normal) && tok::parseByteToken(v.tokens[id]) >= 0)
                types[id] = static_cast<int32_t>(TokenType::Byte);
    w.setInt32Array("tokenizer.ggml.token_type", types);

    if (!spm) {
        std::vector<std::string> merges;
        merges.reserve(v.merges.size());
        for (const auto& [a, b] : v.merges) merges.push_back(a + " " + b);
        w.setStringArray("tokenizer.ggml.merges", merges);
    } else {
        std::vector<float> scores = v.scores;
        if (scores.size() != v.tokens.size()) {
            // SentencePiece merges the best-scoring piece first; ranking a piece by the first
            // merge that produces it reproduces the tokenizer.json merge order.
            std::unordered_map<std::string, int32_t> ids;
            for (size_t id = 0; id < v.tokens.size(); ++id) ids.emplace(v.tokens[id], static_cast<int32_t>(id));
            const float unmerged = -static_cast<float>(v.merges.size()) - 1.0f;
            scores.assign(v.tokens.size(), unmerged);
            std::vector<bool> ranked(v.tokens.size(), false);
            for (size_t rank = 0; rank < v.merges.size(); ++rank) {
                auto it = ids.find(v.merges[rank].first + v.merges[rank].second);
                if (it == ids.end() || ranked[it->second]) continue;
                ranked[it->second] = true;
                scores[it->second] = -static_cast<float>(rank);
            }
            for (size_t id = 0; id < types.size(); ++id)
                if (types[id] != static_cast<int32_t>(TokenType::Normal)) scores[id] = 0.0f;
        }
        w.setFloat32Array("tokenizer.ggml.scores", scores);
        w.setBool("tokenizer.ggml.add_space_prefix", v.addSpacePrefix);
    }

    if (v.bosId >= 0) w.setUint32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(v.bosId));
    if (v.eosId >= 0) w.setUint32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(v.eosId));
    if (v.unkId >= 0) w.setUint32("tokenizer.ggml.unknown_token_id", static_cast<uint32_t>(v.unkId));
    if (v.padId >= 0) w.setUint32("tokenizer.ggml.padding_token_id", static_cast<uint32_t>(v.padId));
    if (!v.extraEosIds.empty()) w.setUint32("tokenizer.ggml.eot_token_id", static_cast<uint32_t>(v.extraEosIds.front()));
    w.setBool("tokenizer.ggml.add_bos_token", v.addBos);
    w.setBool("tokenizer.ggml.add_eos_token", v.addEos);
    if (!v.chatTemplate.empty()) w.setString("tokenizer.chat_template", v.chatTemplate);
}

} // namespace moe
