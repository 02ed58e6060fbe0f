// moe/tokenizer.h — text <-> token ids for the models we run.
//
// Two model kinds cover the MoE models we care about:
//  - byte-level BPE (GPT-2 style: Qwen, DeepSeek, OLMoE, Llama 3): bytes are mapped to
//    printable code points, the text is split by a pre-tokenizer regex, each piece is
//    merged by a ranked merge table;
//  - SentencePiece-style BPE (Mistral / Mixtral, Llama 2): spaces become U+2581 "▁",
//    the whole segment is merged by rank (tokenizer.json) or by piece score (GGUF),
//    characters outside the vocabulary fall back to <0xNN> byte tokens.
// Added tokens ("<|im_end|>", "<s>", ...) are matched in the text first, so a prompt
// rendered by a chat template tokenizes the way Hugging Face tokenizers does.
//
// `TokenizerVocab` is the plain data; `Tokenizer` is the immutable, thread-safe
// encoder/decoder built from it. Readers exist for tokenizer.json (+ tokenizer_config.json)
// and GGUF metadata; writers exist for both (used by `moe make-model`).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace moe {

class GgufFile;
class GgufWriter;

enum class TokenizerModel { ByteLevelBpe, SentencePieceBpe };

// Values match llama.cpp / GGUF `tokenizer.ggml.token_type`.
enum class TokenType : int32_t {
    Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6,
};

// A token matched verbatim in the input before any normalisation (HF "added_tokens").
struct AddedToken {
    int32_t id = -1;
    std::string content;
    bool special = true;     // control token: skipped by decode(skipSpecial) and parseSpecial=false
    bool normalized = false; // HF flag, kept for round trips; we always match the raw text
    bool lstrip = false;     // swallows whitespace on its left
    bool rstrip = false;     // swallows whitespace on its right
    bool singleWord = false; // kept for round trips; not enforced
};

struct TokenizerVocab {
    TokenizerModel model = TokenizerModel::ByteLevelBpe;
    // Token strings by id. Byte-level: GPT-2 byte-to-unicode form ("Ġthe"); SentencePiece:
    // "▁the", "<0x0A>". Added tokens appear here too, with their content.
    std::vector<std::string> tokens;
    std::vector<std::pair<std::string, std::string>> merges; // rank = index; may be empty for SPM
    std::vector<float> scores;         // SPM piece scores (higher merges first); used when merges is empty
    std::vector<TokenType> tokenTypes; // empty = all Normal (added tokens still get their types)
    std::vector<AddedToken> addedTokens;
    int32_t bosId = -1, eosId = -1, padId = -1, unkId = -1;
    std::vector<int32_t> extraEosIds;  // further end-of-generation ids (e.g. <|endoftext|>)
    bool addBos = false, addEos = false;
    // Byte-level: pre-tokenizer regexes applied in sequence ("Isolated" splits).
    std::vector<std::string> preTokenizerRegexes;
    std::string preName = "default"; // GGUF tokenizer.ggml.pre
    bool ignoreMerges = false;       // Llama 3: a piece that is a whole token skips merging
    // SentencePiece: prepend "▁" to each text segment; split before each "▁" (Metaspace split).
    bool addSpacePrefix = true;
    bool splitOnSpace = false;
    bool byteFallback = false;
    std::string chatTemplate;
};

// Pre-tokenizer regexes by GGUF `tokenizer.ggml.pre` name ("qwen2", "llama-bpe",
// "deepseek-v3", "olmo", "default", "gpt2", ...). Empty optional for names we do not know.
std::optional<std::vector<std::string>> preTokenizerRegexesFor(std::string_view preName);
// The GGUF name for a regex list (HF spellings of the same patterns included), if any.
std::optional<std::string> preTokenizerNameFor(const std::vector<std::string>& regexes);

class Tokenizer {
public:
    // Validates the vocabulary and builds lookup tables; throws Error(BadValue) naming `source`.
    explicit Tokenizer(TokenizerVocab vocab, std::string source = {});
    ~Tokenizer();
    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(Tokenizer&&) noexcept;

    // A tokenizer.json file, or a folder holding tokenizer.json and optionally
    // tokenizer_config.json (bos/eos, add_bos_token, chat_template) and
    // generation_config.json (extra eos ids).
    static Tokenizer fromHuggingFace(const std::string& fileOrDir);
    static Tokenizer fromGguf(const GgufFile& gguf);

    // `addSpecial`: apply the tokenizer's BOS/EOS rules. `parseSpecial`: match special
    // (control) added tokens in the text; non-special added tokens always match.
    std::vector<int32_t> encode(std::string_view text, bool addSpecial = true, bool parseSpecial = true) const;
    // Raw bytes (may be invalid UTF-8 if `ids` cut a character; use StreamDecoder when streaming).
    std::string decode(const std::vector<int32_t>& ids, bool skipSpecial = false) const;
    // The bytes one token stands for (no leading-space stripping).
    const std::string& tokenBytes(int32_t id) const;
    // The token's vocabulary string ("Ġthe", "▁the", "<|im_end|>"); empty for bad ids.
    const std::string& tokenPiece(int32_t id) const;
    std::optional<int32_t> tokenId(std::string_view piece) const;

    int32_t vocabSize() const;
    int32_t bosId() const;
    int32_t eosId() const;
    const std::set<int32_t>& eosIds() const; // eosId plus extraEosIds
    bool isEos(int32_t id) const;
    bool isSpecial(int32_t id) const;
    const TokenizerVocab& vocab() const;
    const std::string& chatTemplate() const;
    const std::string& bosToken() const; // "" when there is none
    const std::string& eosToken() const;

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

// Streaming detokenisation: feeds token by token, returns only complete UTF-8 characters
// (incomplete bytes are held until the next push; invalid bytes become U+FFFD).
class StreamDecoder {
public:
    explicit StreamDecoder(const Tokenizer& tokenizer, bool skipSpecial = false);
    std::string push(int32_t id);
    std::string flush(); // what is still held (incomplete tail as U+FFFD); resets
    void reset();

private:
    std::string takeComplete(bool final);
    const Tokenizer* m_tokenizer;
    bool m_skipSpecial;
    bool m_atStart = true;
    std::string m_pending;
};

// --- writers (used by `moe make-model`) --------------------------------------------

// Learns a byte-level BPE on `corpus`: 256 byte tokens (ids 0..255 in byte order),
// merges until `vocabSize` tokens (or no pair occurs twice), then the added tokens
// <|endoftext|>, <|im_start|>, <|im_end|> (eos = <|im_end|>, pad = <|endoftext|>,
// extra eos <|endoftext|>, no bos). Pre-tokenizer "qwen2"; a ChatML chat template.
// Deterministic: ties between equally frequent pairs go to the smallest pair.
TokenizerVocab trainByteLevelBpe(std::string_view corpus, int vocabSize);

// Hugging Face tokenizer.json text that Tokenizer::fromHuggingFace reads back to the same vocab.
std::string toTokenizerJson(const TokenizerVocab& vocab);
// tokenizer_config.json: bos/eos/pad/unk tokens, add_bos_token/add_eos_token, chat_template.
std::string toTokenizerConfigJson(const TokenizerVocab& vocab);
// tokenizer.ggml.* keys (model, pre, tokens, token_type, merges or scores, special ids,
// add_bos/eos_token, chat_template). SPM vocabularies without scores get
// score = -(rank of the first merge producing the token), so merges happen in rank order.
void writeGgufTokenizer(GgufWriter& writer, const TokenizerVocab& vocab);
// The vocabulary a GGUF file describes (what fromGguf builds its Tokenizer from).
TokenizerVocab vocabFromGguf(const GgufFile& gguf);
// The vocabulary a tokenizer.json (+ config files) describes.
TokenizerVocab vocabFromHuggingFace(const std::string& fileOrDir);

} // namespace moe
