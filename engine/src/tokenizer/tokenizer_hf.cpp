// Hugging Face tokenizer.json / tokenizer_config.json reader.
#include "moe/error.h"
#include "moe/tokenizer.h"
#include "tokenizer/text_util.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace moe {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// GPT-2's pattern as HF ByteLevel(use_regex=true) applies it.
constexpr const char* kHfByteLevelRegex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

json readJson(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorCode::Io, path, "", "cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        return json::parse(ss.str());
    } catch (const json::exception& e) {
        throw Error(ErrorCode::BadJson, path, "", e.what());
    }
}

// Quotes a literal for PCRE2 (HF Split with {"String": ...}).
std::string quoteRegex(const std::string& s)
{
    std::string out;
    for (char c : s) {
        if (std::string_view("\\^$.|?*+()[]{}-/").find(c) != std::string_view::npos) out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

struct HfReader {
    std::string file;
    TokenizerVocab& v;
    bool byteLevel = false;
    bool prepend = false;  // SPM normaliser prepends "▁"
    bool metaspace = false;

    [[noreturn]] void unsupported(const std::string& field, const std::string& what) const
    {
        throw Error(ErrorCode::UnsupportedType, file, field, what);
    }

    void readNormalizer(const json& n)
    {
        if (n.is_null()) return;
        std::string type = n.value("type", "");
        if (type == "Sequence") {
            for (const auto& child : n.at("normalizers")) readNormalizer(child);
        } else if (type == "NFC" || type == "NFKC") {
            // Prompts and model output are NFC in practice; we do not re-normalise (no ICU).
        } else if (type == "Prepend" && n.value("prepend", "") == tok::kSpmSpace) {
            prepend = true;
        } else if (type == "Replace" && n.at("pattern").value("String", "") == " " && n.value("content", "") == tok::kSpmSpace) {
            // the SentencePiece path always maps ' ' to '▁'
        } else {
            unsupported("normalizer", "normalizer " + n.dump());
        }
    }

    void readPreTokenizer(const json& p)
    {
        if (p.is_null()) return;
        std::string type = p.value("type", "");
        if (type == "Sequence") {
            for (const auto& child : p.at("pretokenizers")) readPreTokenizer(child);
        } else if (type == "Split") {
            if (p.value("behavior", "") != "Isolated" || p.value("invert", false))
                unsupported("pre_tokenizer", "Split behavior " + p.value("behavior", "?") + " (only Isolated)");
            const json& pat = p.at("pattern");
            if (pat.contains("Regex")) v.preTokenizerRegexes.push_back(pat.at("Regex").get<std::string>());
            else v.preTokenizerRegexes.push_back(quoteRegex(pat.at("String").get<std::string>()));
        } else if (type == "ByteLevel") {
            byteLevel = true;
            if (p.value("add_prefix_space", false)) unsupported("pre_tokenizer", "ByteLevel add_prefix_space");
            if (p.value("use_regex", true)) v.preTokenizerRegexes.push_back(kHfByteLevelRegex);
        } else if (type == "Digits") {
            v.preTokenizerRegexes.push_back(p.value("individual_digits", false) ? R"(\p{N})" : R"(\p{N}+)");
        } else if (type == "Metaspace") {
            metaspace = true;
            v.addSpacePrefix = p.value("prepend_scheme", "always") != "never" && p.value("add_prefix_space", true);
            v.splitOnSpace = p.value("split", true);
        } else {
            unsupported("pre_tokenizer", "pre-tokenizer " + type);
        }
    }

    int32_t idOf(const json& tokenField, const std::string& field) const
    {
        std::string content;
        if (tokenField.is_string()) content = tokenField.get<std::string>();
        else if (tokenField.is_object()) content = tokenField.value("content", "");
        else return -1;
        for (size_t i = 0; i < v.tokens.size(); ++i)
            if (v.tokens[i] == content) return static_cast<int32_t>(i);
        throw Error(ErrorCode::BadValue, file, field, "token " + content + " is not in the vocabulary");
    }

    void readModel(const json& root)
    {
        const json& model = root.at("model");
        if (model.value("type", "BPE") != "BPE") unsupported("model.type", model.value("type", "?") + " (only BPE)");
        const json& vocab = model.at("vocab");
        int32_t maxId = -1;
        for (const auto& [piece, id] : vocab.items()) maxId = std::max(maxId, id.get<int32_t>());
        for (const auto& added : root.value("added_tokens", json::array())) maxId = std::max(maxId, added.at("id").get<int32_t>());
        v.tokens.assign(maxId + 1, std::string());
        v.tokenTypes.assign(maxId + 1, TokenType::Unused);
        for (const auto& [piece, id] : vocab.items()) {
            v.tokens[id.get<int32_t>()] = piece;
            v.tokenTypes[id.get<int32_t>()] = TokenType::Normal;
        }
        for (const auto& m : model.value("merges", json::array())) {
            if (m.is_array() && m.size() == 2) {
                v.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
            } else {
                auto s = m.get<std::string>();
                size_t sp = s.find(' ', 1);
                if (sp == std::string::npos) throw Error(ErrorCode::BadValue, file, "model.merges", "merge without a space: " + s);
                v.merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
            }
        }
        v.byteFallback = model.value("byte_fallback", false);
        v.ignoreMerges = model.value("ignore_merges", false);
        for (const auto& a : root.value("added_tokens", json::array())) {
            AddedToken t;
            t.id = a.at("id").get<int32_t>();
            t.content = a.at("content").get<std::string>();
            t.special = a.value("special", false);
            t.normalized = a.value("normalized", false);
            t.lstrip = a.value("lstrip", false);
            t.rstrip = a.value("rstrip", false);
            t.singleWord = a.value("single_word", false);
            v.tokens[t.id] = t.content;
            v.tokenTypes[t.id] = t.special ? TokenType::Control : TokenType::UserDefined;
            v.addedTokens.push_back(std::move(t));
        }
        if (model.contains("unk_token") && model["unk_token"].is_string()) v.unkId = idOf(model["unk_token"], "model.unk_token");
    }

    // tokenizer.json alone: BOS/EOS come from a TemplateProcessing post-processor.
    void readPostProcessor(const json& p)
    {
        if (p.is_null() || p.value("type", "") != "TemplateProcessing") return;
        const json& single = p.at("single");
        if (!single.empty() && single.front().contains("SpecialToken")) {
            v.bosId = idOf(single.front()["SpecialToken"].at("id"), "post_processor");
            v.addBos = true;
        }
        if (single.size() > 1 && single.back().contains("SpecialToken")) {
            v.eosId = idOf(single.back()["SpecialToken"].at("id"), "post_processor");
            v.addEos = true;
        }
    }

    void readConfig(const json& c, const std::string& configFile)
    {
        std::string saved = file;
        file = configFile;
        if (c.contains("bos_token")) v.bosId = idOf(c["bos_token"], "bos_token");
        if (c.contains("eos_token")) v.eosId = idOf(c["eos_token"], "eos_token");
        if (c.contains("pad_token")) v.padId = idOf(c["pad_token"], "pad_token");
        if (c.contains("unk_token") && !c["unk_token"].is_null()) v.unkId = idOf(c["unk_token"], "unk_token");
        if (c.contains("add_bos_token") && c["add_bos_token"].is_boolean()) v.addBos = c["add_bos_token"].get<bool>();
        if (c.contains("add_eos_token") && c["add_eos_token"].is_boolean()) v.addEos = c["add_eos_token"].get<bool>();
        if (v.bosId < 0) v.addBos = false;
        if (c.contains("chat_template")) {
            const json& t = c["chat_template"];
            if (t.is_string()) {
                v.chatTemplate = t.get<std::string>();
            } else if (t.is_array()) { // [{"name": "default", "template": ...}, ...]
                for (const auto& named : t)
                    if (named.value("name", "") == "default") v.chatTemplate = named.value("template", "");
            }
        }
        file = saved;
    }
};

} // namespace

TokenizerVocab vocabFromHuggingFace(const std::string& fileOrDir)
{
    fs::path jsonPath = fileOrDir;
    if (fs::is_directory(jsonPath)) jsonPath /= "tokenizer.json";
    const fs::path dir = jsonPath.parent_path();
    if (!fs::exists(jsonPath)) throw Error(ErrorCode::MissingField, jsonPath.string(), "", "tokenizer.json not found");

    TokenizerVocab v;
    HfReader r{jsonPath.string(), v};
    try {
        json root = readJson(jsonPath.string());
        r.readNormalizer(root.value("normalizer", json()));
        r.readPreTokenizer(root.value("pre_tokenizer", json()));
        const json decoder = root.value("decoder", json());
        if (!decoder.is_null() && decoder.value("type", "") == "ByteLevel") r.byteLevel = true;
        r.readModel(root);
        r.readPostProcessor(root.value("post_processor", json()));

        v.model = r.byteLevel ? TokenizerModel::ByteLevelBpe : TokenizerModel::SentencePieceBpe;
        if (v.model == TokenizerModel::SentencePieceBpe) {
            if (!r.metaspace) v.addSpacePrefix = r.prepend;
            v.preTokenizerRegexes.clear();
        } else {
            v.preName = preTokenizerNameFor(v.preTokenizerRegexes).value_or("");
        }

        const fs::path configPath = dir / "tokenizer_config.json";
        if (fs::exists(configPath)) r.readConfig(readJson(configPath.string()), configPath.string());
        const fs::path genPath = dir / "generation_config.json";
        if (fs::exists(genPath)) {
            json gen = readJson(genPath.string());
            json eos = gen.value("eos_token_id", json());
            if (eos.is_number_integer()) eos = json::array({eos});
            if (eos.is_array())
                for (const auto& id : eos)
                    if (id.is_number_integer() && id.get<int32_t>() != v.eosId) v.extraEosIds.push_back(id.get<int32_t>());
        }
    } catch (const json::exception& e) {
        throw Error(ErrorCode::BadJson, r.file, "", e.what());
    }
    return v;
}

Tokenizer Tokenizer::fromHuggingFace(const std::string& fileOrDir)
{
    return Tokenizer(vocabFromHuggingFace(fileOrDir), fileOrDir);
}

} // namespace moe
