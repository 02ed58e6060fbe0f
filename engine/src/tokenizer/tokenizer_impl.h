// Private state of moe::Tokenizer (shared by tokenizer.cpp and stream_decoder.cpp).
#pragma once

#include "moe/tokenizer.h"
#include "tokenizer/bpe_merger.h"
#include "tokenizer/pre_tokenizer.h"

#include <array>

namespace moe {

struct Tokenizer::Impl {
    TokenizerVocab vocab;
    std::string source;
    tok::TokenIdMap tokenIds;
    std::unordered_map<uint64_t, tok::MergeRule> merges;
    std::vector<std::string> bytesById; // what each token decodes to
    std::vector<uint8_t> specialById;
    std::unique_ptr<tok::PreTokenizer> pre;
    std::set<int32_t> eosIds;
    std::array<int32_t, 256> byteIds{}; // byte -> token id (-1 = none)
    // Added tokens by first byte, longest first, so a scan finds leftmost-longest matches.
    std::array<std::vector<const AddedToken*>, 256> addedByFirstByte;
    std::string bosToken, eosToken;
    tok::BpeTables tables;
    bool stripLeadingSpace = false; // SentencePiece decoders drop the prefix space

    void build();
    void encodeSegment(std::string_view segment, std::vector<int32_t>& out) const;
    void emitSymbols(const std::vector<tok::BpeSymbol>& symbols, std::vector<int32_t>& out) const;
};

} // namespace moe
