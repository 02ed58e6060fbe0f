#include "moe/tokenizer.h"

#include "tokenizer/text_util.h"

namespace moe {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD

// Valid continuation ranges for the second byte (rules out overlongs and surrogates).
bool secondByteOk(unsigned char lead, unsigned char b)
{
    switch (lead) {
    case 0xE0: return b >= 0xA0 && b <= 0xBF;
    case 0xED: return b >= 0x80 && b <= 0x9F;
    case 0xF0: return b >= 0x90 && b <= 0xBF;
    case 0xF4: return b >= 0x80 && b <= 0x8F;
    default: return b >= 0x80 && b <= 0xBF;
    }
}

bool validLead(unsigned char c) { return c < 0x80 || (c >= 0xC2 && c <= 0xF4); }

} // namespace

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skipSpecial)
    : m_tokenizer(&tokenizer), m_skipSpecial(skipSpecial)
{
}

std::string StreamDecoder::push(int32_t id)
{
    if (m_skipSpecial && m_tokenizer->isSpecial(id)) return {};
    std::string_view bytes = m_tokenizer->tokenBytes(id);
    const auto& vocab = m_tokenizer->vocab();
    // Same rule as Tokenizer::decode: SentencePiece drops the prefix space once, at the start.
    if (m_atStart && !bytes.empty()) {
        if (vocab.model == TokenizerModel::SentencePieceBpe && vocab.addSpacePrefix && bytes[0] == ' ')
            bytes.remove_prefix(1);
        m_atStart = false;
    }
    m_pending.append(bytes);
    return takeComplete(false);
}

std::string StreamDecoder::flush()
{
    std::string out = takeComplete(true);
    reset();
    return out;
}

void StreamDecoder::reset()
{
    m_pending.clear();
    m_atStart = true;
}

std::string StreamDecoder::takeComplete(bool final)
{
    std::string out;
    size_t i = 0;
    const size_t n = m_pending.size();
    while (i < n) {
        auto lead = static_cast<unsigned char>(m_pending[i]);
        if (!validLead(lead)) {
            out += kReplacement;
            ++i;
            continue;
        }
        size_t len = tok::utf8SequenceLength(lead);
        size_t have = 1;
        bool bad = false;
        while (have < len && i + have < n) {
            auto b = static_cast<unsigned char>(m_pending[i + have]);
            bool ok = have == 1 ? secondByteOk(lead, b) : (b >= 0x80 && b <= 0xBF);
            if (!ok) { bad = true; break; }
            ++have;
        }
        if (bad) { // the lead promised more than followed: replace it, rescan the rest
            out += kReplacement;
            ++i;
            continue;
        }
        if (have < len) { // incomplete tail: hold it for the next token
            if (final) out += kReplacement;
            else { m_pending.erase(0, i); return out; }
            i = n;
            break;
        }
        out.append(m_pending, i, len);
        i += len;
    }
    m_pending.clear();
    return out;
}

} // namespace moe
