#include "moe/tokenizer.h"

#include "moe/error.h"
#include "tokenizer/text_util.h"
#include "tokenizer/tokenizer_impl.h"

#include <algorithm>

namespace moe {

using tok::BpeSymbol;

namespace {

bool isSpaceByte(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

const std::string& emptyString()
{
    static const std::string empty;
    return empty;
}

} // namespace

void Tokenizer::Impl::build()
{
    const auto n = static_cast<int32_t>(vocab.tokens.size());
    auto bad = [&](const std::string& field, const std::string& detail) {
        return Error(ErrorCode::BadValue, source, field, detail);
    };
    if (n == 0) throw bad("tokens", "empty vocabulary");
    if (!vocab.tokenTypes.empty() && vocab.tokenTypes.size() != vocab.tokens.size())
        throw bad("token_type", "has " + std::to_string(vocab.tokenTypes.size()) + " entries for " + std::to_string(n) + " tokens");
    for (auto [field, id] : {std::pair{"bos", vocab.bosId}, {"eos", vocab.eosId}, {"pad", vocab.padId}, {"unk", vocab.unkId}})
        if (id >= n) throw bad(std::string(field) + "_token_id", "id " + std::to_string(id) + " outside the vocabulary");
    if (vocab.tokenTypes.empty()) vocab.tokenTypes.assign(n, TokenType::Normal);

    for (int32_t id = 0; id < n; ++id) tokenIds.emplace(vocab.tokens[id], id);

    specialById.assign(n, 0);
    for (const auto& added : vocab.addedTokens) {
        if (added.id < 0 || added.id >= n) throw bad("added_tokens", "id " + std::to_string(added.id) + " outside the vocabulary");
        if (added.content.empty()) throw bad("added_tokens", "empty content for id " + std::to_string(added.id));
        if (vocab.tokenTypes[added.id] == TokenType::Normal)
            vocab.tokenTypes[added.id] = added.special ? TokenType::Control : TokenType::UserDefined;
        addedByFirstByte[static_cast<unsigned char>(added.content[0])].push_back(&added);
    }
    for (auto& list : addedByFirstByte)
        std::stable_sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->content.size() > b->content.size(); });
    for (int32_t id = 0; id < n; ++id)
        specialById[id] = vocab.tokenTypes[id] == TokenType::Control;
    for (const auto& added : vocab.addedTokens) specialById[added.id] = added.special;

    const bool spm = vocab.model == TokenizerModel::SentencePieceBpe;
    byteIds.fill(-1);
    bytesById.resize(n);
    for (int32_t id = 0; id < n; ++id) {
        const std::string& piece = vocab.tokens[id];
        TokenType type = vocab.tokenTypes[id];
        std::string& bytes = bytesById[id];
        if (type == TokenType::Control || type == TokenType::UserDefined) {
            bytes = piece;
        } else if (spm) {
            int b = tok::parseByteToken(piece);
            if (b >= 0 && (type == TokenType::Byte || vocab.byteFallback)) {
                bytes.assign(1, static_cast<char>(b));
                if (byteIds[b] < 0) byteIds[b] = id;
            } else {
                for (size_t pos = 0; pos < piece.size();) {
                    if (piece.compare(pos, 3, tok::kSpmSpace) == 0) { bytes.push_back(' '); pos += 3; }
                    else bytes.push_back(piece[pos++]);
                }
            }
        } else if (!tok::byteLevelDecode(piece, bytes)) {
            bytes = piece; // not byte-level text: decode as written
        }
    }
    if (!spm) {
        const auto& tables = tok::byteLevelTables();
        for (int b = 0; b < 256; ++b) {
            auto it = tokenIds.find(tables.byteToPiece[b]);
            byteIds[b] = it == tokenIds.end() ? -1 : it->second;
        }
    }

    for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
        const auto& [a, b] = vocab.merges[rank];
        auto ia = tokenIds.find(a), ib = tokenIds.find(b), iab = tokenIds.find(a + b);
        if (ia == tokenIds.end() || ib == tokenIds.end() || iab == tokenIds.end()) continue; // HF skips these too
        merges.emplace(tok::pairKey(ia->second, ib->second), tok::MergeRule{static_cast<int32_t>(rank), iab->second});
    }

    tables.tokenIds = &tokenIds;
    tables.merges = &merges;
    if (spm && vocab.merges.empty()) {
        if (vocab.scores.size() != vocab.tokens.size())
            throw bad("scores", "SentencePiece vocabulary needs merges or one score per token");
        tables.scores = &vocab.scores;
    }
    tables.byteFallbackIds = vocab.byteFallback ? byteIds.data() : nullptr;
    stripLeadingSpace = spm && vocab.addSpacePrefix;

    if (!spm) pre = std::make_unique<tok::PreTokenizer>(vocab.preTokenizerRegexes, source);

    if (vocab.eosId >= 0) eosIds.insert(vocab.eosId);
    for (int32_t id : vocab.extraEosIds)
        if (id >= 0 && id < n) eosIds.insert(id);
    if (vocab.bosId >= 0) bosToken = vocab.tokens[vocab.bosId];
    if (vocab.eosId >= 0) eosToken = vocab.tokens[vocab.eosId];
}

void Tokenizer::Impl::emitSymbols(const std::vector<BpeSymbol>& symbols, std::vector<int32_t>& out) const
{
    for (const auto& s : symbols) {
        if (s.id >= 0) {
            out.push_back(s.id);
            continue;
        }
        if (vocab.byteFallback || vocab.model == TokenizerModel::ByteLevelBpe) {
            bool allBytes = true;
            for (unsigned char c : s.text) allBytes = allBytes && byteIds[c] >= 0;
            if (allBytes && vocab.byteFallback) {
                for (unsigned char c : s.text) out.push_back(byteIds[c]);
                continue;
            }
        }
        if (vocab.unkId >= 0) out.push_back(vocab.unkId);
    }
}

void Tokenizer::Impl::encodeSegment(std::string_view segment, std::vector<int32_t>& out) const
{
    if (segment.empty()) return;
    std::vector<BpeSymbol> symbols;
    if (vocab.model == TokenizerModel::ByteLevelBpe) {
        std::vector<std::string_view> pieces;
        pre->split(segment, pieces);
        std::string mapped;
        for (auto piece : pieces) {
            mapped = tok::byteLevelEncode(piece);
            if (vocab.ignoreMerges) {
                if (auto it = tokenIds.find(mapped); it != tokenIds.end()) {
                    out.push_back(it->second);
                    continue;
                }
            }
            symbols.clear();
            tok::bpeMerge(tables, mapped, symbols);
            emitSymbols(symbols, out);
        }
        return;
    }
    // SentencePiece: spaces become "▁", one "▁" goes in front (HF Prepend / add_space_prefix).
    std::string normalized;
    normalized.reserve(segment.size() + 8);
    if (vocab.addSpacePrefix) normalized += tok::kSpmSpace;
    for (char c : segment) {
        if (c == ' ') normalized += tok::kSpmSpace;
        else normalized.push_back(c);
    }
    std::string_view text = normalized;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.size();
        if (vocab.splitOnSpace) {
            end = text.find(tok::kSpmSpace, start + tok::kSpmSpace.size());
            if (end == std::string_view::npos) end = text.size();
        }
        symbols.clear();
        tok::bpeMerge(tables, text.substr(start, end - start), symbols);
        emitSymbols(symbols, out);
        start = end;
    }
}

Tokenizer::Tokenizer(TokenizerVocab vocab, std::string source) : m_impl(std::make_unique<Impl>())
{
    m_impl->vocab = std::move(vocab);
    m_impl->source = std::move(source);
    m_impl->build();
}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool addSpecial, bool parseSpecial) const
{
    const Impl& d = *m_impl;
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 4);
    if (addSpecial && d.vocab.addBos && d.vocab.bosId >= 0) out.push_back(d.vocab.bosId);

    size_t segStart = 0;
    for (size_t pos = 0; pos < text.size();) {
        const AddedToken* match = nullptr;
        for (const AddedToken* cand : d.addedByFirstByte[static_cast<unsigned char>(text[pos])]) {
            if ((parseSpecial || !cand->special) && text.compare(pos, cand->content.size(), cand->content) == 0) {
                match = cand;
                break;
            }
        }
        if (!match) {
            ++pos;
            continue;
        }
        size_t segEnd = pos;
        if (match->lstrip)
            while (segEnd > segStart && isSpaceByte(text[segEnd - 1])) --segEnd;
        d.encodeSegment(text.substr(segStart, segEnd - segStart), out);
        out.push_back(match->id);
        pos += match->content.size();
        if (match->rstrip)
            while (pos < text.size() && isSpaceByte(text[pos])) ++pos;
        segStart = pos;
    }
    d.encodeSegment(text.substr(segStart), out);

    if (addSpecial && d.vocab.addEos && d.vocab.eosId >= 0) out.push_back(d.vocab.eosId);
    return out;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skipSpecial) const
{
    std::string out;
    for (int32_t id : ids) {
        if (skipSpecial && isSpecial(id)) continue;
        out += tokenBytes(id);
    }
    if (m_impl->stripLeadingSpace && !out.empty() && out[0] == ' ') out.erase(0, 1);
    return out;
}

const std::string& Tokenizer::tokenBytes(int32_t id) const
{
    if (id < 0 || id >= vocabSize()) return emptyString();
    return m_impl->bytesById[id];
}

const std::string& Tokenizer::tokenPiece(int32_t id) const
{
    if (id < 0 || id >= vocabSize()) return emptyString();
    return m_impl->vocab.tokens[id];
}

std::optional<int32_t> Tokenizer::tokenId(std::string_view piece) const
{
    auto it = m_impl->tokenIds.find(piece);
    if (it == m_impl->tokenIds.end()) return std::nullopt;
    return it->second;
}

int32_t Tokenizer::vocabSize() const { return static_cast<int32_t>(m_impl->vocab.tokens.size()); }
int32_t Tokenizer::bosId() const { return m_impl->vocab.bosId; }
int32_t Tokenizer::eosId() const { return m_impl->vocab.eosId; }
const std::set<int32_t>& Tokenizer::eosIds() const { return m_impl->eosIds; }
bool Tokenizer::isEos(int32_t id) const { return m_impl->eosIds.count(id) != 0; }
bool Tokenizer::isSpecial(int32_t id) const { return id >= 0 && id < vocabSize() && m_impl->specialById[id]; }
const TokenizerVocab& Tokenizer::vocab() const { return m_impl->vocab; }
const std::string& Tokenizer::chatTemplate() const { return m_impl->vocab.chatTemplate; }
const std::string& Tokenizer::bosToken() const { return m_impl->bosToken; }
const std::string& Tokenizer::eosToken() const { return m_impl->eosToken; }

} // namespace moe
