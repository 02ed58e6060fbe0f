// Small UTF-8 and GPT-2 byte-level helpers shared by the tokenizer room.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace moe::tok {

// Length of the UTF-8 sequence a lead byte announces (1 for invalid leads, so callers
// always make progress).
inline size_t utf8SequenceLength(unsigned char lead)
{
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;
}

// Length of the character at `pos`, clamped to the string end.
inline size_t utf8CharLength(std::string_view s, size_t pos)
{
    size_t n = utf8SequenceLength(static_cast<unsigned char>(s[pos]));
    return pos + n > s.size() ? s.size() - pos : n;
}

void appendUtf8(std::string& out, uint32_t codePoint);

// GPT-2's reversible byte <-> printable code point mapping (bytes_to_unicode()).
struct ByteLevelTables {
    std::array<std::string, 256> byteToPiece; // UTF-8 of the mapped code point
    std::array<int16_t, 512> codePointToByte; // -1 where unmapped; mapped points are < 324
};
const ByteLevelTables& byteLevelTables();

std::string byteLevelEncode(std::string_view bytes);
// Inverse of byteLevelEncode; false if `piece` holds a character outside the mapping.
bool byteLevelDecode(std::string_view piece, std::string& out);

inline constexpr std::string_view kSpmSpace = "\xE2\x96\x81"; // U+2581 "▁"

// "<0x0A>" -> 10; -1 if `piece` is not a byte-fallback token.
int parseByteToken(std::string_view piece);
std::string byteTokenName(unsigned char byte);

} // namespace moe::tok
