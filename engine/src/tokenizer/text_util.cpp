#include "tokenizer/text_util.h"

#include <cstdio>

namespace moe::tok {

void appendUtf8(std::string& out, uint32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

static ByteLevelTables buildTables()
{
    // Printable Latin-1 bytes map to themselves; the rest go to 256, 257, ... in byte order.
    ByteLevelTables t;
    t.codePointToByte.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
        bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        uint32_t cp = printable ? static_cast<uint32_t>(b) : next++;
        appendUtf8(t.byteToPiece[b], cp);
        t.codePointToByte[cp] = static_cast<int16_t>(b);
    }
    return t;
}

const ByteLevelTables& byteLevelTables()
{
    static const ByteLevelTables tables = buildTables();
    return tables;
}

std::string byteLevelEncode(std::string_view bytes)
{
    const auto& t = byteLevelTables();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes)
        out += t.byteToPiece[b];
    return out;
}

bool byteLevelDecode(std::string_view piece, std::string& out)
{
    const auto& t = byteLevelTables();
    size_t i = 0;
    while (i < piece.size()) {
        auto c = static_cast<unsigned char>(piece[i]);
        uint32_t cp;
        size_t n = utf8CharLength(piece, i);
        if (n == 1) cp = c;
        else if (n == 2) cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(piece[i + 1]) & 0x3F);
        else return false; // every mapped code point is below U+0800
        if (cp >= t.codePointToByte.size() || t.codePointToByte[cp] < 0) return false;
        out.push_back(static_cast<char>(t.codePointToByte[cp]));
        i += n;
    }
    return true;
}

static int hexDigit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int parseByteToken(std::string_view piece)
{
    if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return -1;
    int hi = hexDigit(piece[3]), lo = hexDigit(piece[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

std::string byteTokenName(unsigned char byte)
{
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", byte);
    return buf;
}

} // namespace moe::tok
