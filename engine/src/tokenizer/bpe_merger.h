// The BPE merge loop shared by both model kinds. A word is split into characters,
// then the best adjacent pair is merged until none is left: "best" is the lowest merge
// rank (tokenizer.json merges) or the highest piece score (GGUF SentencePiece), ties
// going to the leftmost pair. A heap over candidate pairs plus a linked symbol list
// keeps long words (SentencePiece merges whole segments) at O(n log n).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace moe::tok {

struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using TokenIdMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

struct MergeRule {
    int32_t rank;
    int32_t resultId;
};
inline uint64_t pairKey(int32_t left, int32_t right)
{
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

struct BpeTables {
    const TokenIdMap* tokenIds = nullptr;
    const std::unordered_map<uint64_t, MergeRule>* merges = nullptr; // rank mode
    const std::vector<float>* scores = nullptr;                      // score mode when set
    // Byte-fallback ids by byte (-1 = none): characters missing from the vocabulary are
    // replaced by their byte tokens before merging, as HF BPE does.
    const int32_t* byteFallbackIds = nullptr;
};

// One final symbol of a merged word: its text and token id (-1 = not in the vocabulary).
struct BpeSymbol {
    std::string_view text;
    int32_t id;
};

void bpeMerge(const BpeTables& tables, std::string_view word, std::vector<BpeSymbol>& out);

} // namespace moe::tok
