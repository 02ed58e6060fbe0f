// tokenizer.json / tokenizer_config.json writers and the byte-level BPE trainer used by
// `moe make-model` to give generated test models a real, self-consistent tokenizer.
#include "moe/error.h"
#include "moe/tokenizer.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/text_util.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>

namespace moe {

using ordered_json = nlohmann::ordered_json;

namespace {

const char* const kChatMlTemplate =
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

ordered_json tokenOrNull(const TokenizerVocab& v, int32_t id)
{
    if (id < 0 || static_cast<size_t>(id) >= v.tokens.size()) return nullptr;
    return v.tokens[id];
}

bool isAdded(const TokenizerVocab& v, size_t id)
{
    for (const auto& a : v.addedTokens)
        if (a.id == static_cast<int32_t>(id)) return true;
    return false;
}

} // namespace

std::string toTokenizerJson(const TokenizerVocab& v)
{
    const bool spm = v.model == TokenizerModel::SentencePieceBpe;
    if (spm && v.merges.empty())
        throw Error(ErrorCode::InvalidArgument, "", "merges", "tokenizer.json needs merges; this vocabulary has only scores");
    ordered_json root;
    root["version"] = "1.0";
    root["truncation"] = nullptr;
    root["padding"] = nullptr;
    ordered_json added = ordered_json::array();
    for (const auto& a : v.addedTokens)
        added.push_back({{"id", a.id}, {"content", a.content}, {"single_word", a.singleWord}, {"lstrip", a.lstrip},
                         {"rstrip", a.rstrip}, {"normalized", a.normalized}, {"special", a.special}});
    root["added_tokens"] = added;

    const ordered_json byteLevel = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
    if (spm) {
        ordered_json norms = ordered_json::array();
        if (v.addSpacePrefix) norms.push_back({{"type", "Prepend"}, {"prepend", tok::kSpmSpace}});
        norms.push_back({{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", tok::kSpmSpace}});
        root["normalizer"] = {{"type", "Sequence"}, {"normalizers", norms}};
        root["pre_tokenizer"] = nullptr;
        root["post_processor"] = nullptr;
        ordered_json decoders = ordered_json::array();
        decoders.push_back({{"type", "Replace"}, {"pattern", {{"String", tok::kSpmSpace}}}, {"content", " "}});
        decoders.push_back({{"type", "ByteFallback"}});
        decoders.push_back({{"type", "Fuse"}});
        if (v.addSpacePrefix) decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
        root["decoder"] = {{"type", "Sequence"}, {"decoders", decoders}};
    } else {
        root["normalizer"] = nullptr;
        ordered_json pres = ordered_json::array();
        for (const auto& r : v.preTokenizerRegexes)
            pres.push_back({{"type", "Split"}, {"pattern", {{"Regex", r}}}, {"behavior", "Isolated"}, {"invert", false}});
        pres.push_back(byteLevel);
        root["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", pres}};
        root["post_processor"] = byteLevel;
        root["decoder"] = byteLevel;
    }

    ordered_json vocab = ordered_json::object();
    for (size_t id = 0; id < v.tokens.size(); ++id)
        if (!isAdded(v, id) && !vocab.contains(v.tokens[id])) vocab[v.tokens[id]] = id;
    ordered_json merges = ordered_json::array();
    for (const auto& [a, b] : v.merges) merges.push_back({a, b});
    root["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", tokenOrNull(v, v.unkId)},
                     {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr}, {"fuse_unk", spm},
                     {"byte_fallback", v.byteFallback}, {"ignore_merges", v.ignoreMerges},
                     {"vocab", vocab}, {"merges", merges}};
    return root.dump(2);
}

std::string toTokenizerConfigJson(const TokenizerVocab& v)
{
    ordered_json c;
    c["add_bos_token"] = v.addBos;
    c["add_eos_token"] = v.addEos;
    ordered_json decoder = ordered_json::object();
    for (const auto& a : v.addedTokens)
        decoder[std::to_string(a.id)] = {{"content", a.content}, {"lstrip", a.lstrip}, {"normalized", a.normalized},
                                         {"rstrip", a.rstrip}, {"single_word", a.singleWord}, {"special", a.special}};
    c["added_tokens_decoder"] = decoder;
    c["bos_token"] = tokenOrNull(v, v.bosId);
    c["eos_token"] = tokenOrNull(v, v.eosId);
    c["pad_token"] = tokenOrNull(v, v.padId);
    c["unk_token"] = tokenOrNull(v, v.unkId);
    c["clean_up_tokenization_spaces"] = false;
    c["model_max_length"] = 131072;
    c["tokenizer_class"] = "PreTrainedTokenizerFast";
    if (!v.chatTemplate.empty()) c["chat_template"] = v.chatTemplate;
    return c.dump(2);
}

TokenizerVocab trainByteLevelBpe(std::string_view corpus, int vocabSize)
{
    TokenizerVocab v;
    v.model = TokenizerModel::ByteLevelBpe;
    v.preName = "qwen2";
    v.preTokenizerRegexes = *preTokenizerRegexesFor(v.preName);
    const auto& tables = tok::byteLevelTables();
    for (int b = 0; b < 256; ++b) v.tokens.push_back(tables.byteToPiece[b]);
    std::map<std::string, int32_t> ids;
    for (int b = 0; b < 256; ++b) ids.emplace(v.tokens[b], b);

    // Distinct pre-tokenized words with their counts, each as a list of token ids.
    std::map<std::string, int64_t> wordCounts;
    {
        tok::PreTokenizer pre(v.preTokenizerRegexes, "corpus");
        std::vector<std::string_view> pieces;
        pre.split(corpus, pieces);
        for (auto p : pieces) ++wordCounts[std::string(p)];
    }
    struct Word { std::vector<int32_t> ids; int64_t count; };
    std::vector<Word> words;
    for (const auto& [w, count] : wordCounts) {
        Word word{{}, count};
        for (unsigned char b : w) word.ids.push_back(b);
        words.push_back(std::move(word));
    }

    // Plain recount per merge: corpora for generated models are small, clarity wins.
    const int specials = 3;
    while (static_cast<int>(v.tokens.size()) + specials < vocabSize) {
        std::map<std::pair<int32_t, int32_t>, int64_t> pairCounts;
        for (const auto& w : words)
            for (size_t i = 0; i + 1 < w.ids.size(); ++i) pairCounts[{w.ids[i], w.ids[i + 1]}] += w.count;
        std::pair<int32_t, int32_t> best{-1, -1};
        int64_t bestCount = 1;
        std::string bestText;
        for (const auto& [pair, count] : pairCounts) {
            std::string text = v.tokens[pair.first] + v.tokens[pair.second];
            if (count > bestCount || (count == bestCount && best.first >= 0 && text < bestText)) {
                if (ids.count(text)) continue; // same string from another split: already a token
                best = pair, bestCount = count, bestText = std::move(text);
            }
        }
        if (best.first < 0) break; // nothing occurs twice any more
        const auto newId = static_cast<int32_t>(v.tokens.size());
        v.merges.emplace_back(v.tokens[best.first], v.tokens[best.second]);
        v.tokens.push_back(bestText);
        ids.emplace(bestText, newId);
        for (auto& w : words) {
            std::vector<int32_t> merged;
            merged.reserve(w.ids.size());
            for (size_t i = 0; i < w.ids.size(); ++i) {
                if (i + 1 < w.ids.size() && w.ids[i] == best.first && w.ids[i + 1] == best.second) {
                    merged.push_back(newId);
                    ++i;
                } else {
                    merged.push_back(w.ids[i]);
                }
            }
            w.ids.swap(merged);
        }
    }

    for (const char* content : {"<|endoftext|>", "<|im_start|>", "<|im_end|>"}) {
        AddedToken a;
        a.id = static_cast<int32_t>(v.tokens.size());
        a.content = content;
        v.tokens.push_back(content);
        v.addedTokens.push_back(a);
    }
    v.tokenTypes.assign(v.tokens.size(), TokenType::Normal);
    for (const auto& a : v.addedTokens) v.tokenTypes[a.id] = TokenType::Control;
    v.padId = v.addedTokens[0].id;
    v.eosId = v.addedTokens[2].id;
    v.extraEosIds = {v.addedTokens[0].id};
    v.chatTemplate = kChatMlTemplate;
    return v;
}

} // namespace moe
