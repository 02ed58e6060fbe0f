#include "tokenizer/pre_tokenizer.h"

#include "moe/error.h"
#include "tokenizer/text_util.h"

#include <algorithm>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace moe::tok {

struct PreTokenizer::Pattern {
    pcre2_code* code = nullptr;
    ~Pattern() { pcre2_code_free(code); }
};

PreTokenizer::PreTokenizer(const std::vector<std::string>& patterns, const std::string& source)
{
    for (const auto& text : patterns) {
        int err = 0;
        PCRE2_SIZE offset = 0;
        auto p = std::make_unique<Pattern>();
        p->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(),
                                PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &offset, nullptr);
        if (!p->code) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(err, msg, sizeof msg);
            throw Error(ErrorCode::BadValue, source, "pre_tokenizer",
                        "regex /" + text + "/ at " + std::to_string(offset) + ": " + reinterpret_cast<char*>(msg));
        }
        // JIT is an optimisation only; the interpreter gives the same matches.
        pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE);
        m_patterns.push_back(std::move(p));
    }
}

PreTokenizer::~PreTokenizer() = default;

static void splitOne(pcre2_code* code, pcre2_match_data* md, std::string_view text, std::vector<std::string_view>& out)
{
    auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t pos = 0, gapStart = 0;
    while (pos < text.size()) {
        int rc = pcre2_match(code, subject, text.size(), pos, 0, md, nullptr);
        if (rc < 0) break; // no further match (or a match error: keep the rest as one gap)
        PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
        size_t begin = ov[0], end = ov[1];
        if (end == begin) { // empty match: step over one character so we always progress
            pos = begin + (begin < text.size() ? std::max<size_t>(1, utf8CharLength(text, begin)) : 1);
            continue;
        }
        if (begin > gapStart) out.push_back(text.substr(gapStart, begin - gapStart));
        out.push_back(text.substr(begin, end - begin));
        pos = gapStart = end;
    }
    if (gapStart < text.size()) out.push_back(text.substr(gapStart));
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& out) const
{
    if (m_patterns.empty()) {
        if (!text.empty()) out.push_back(text);
        return;
    }
    // One match-data block per call keeps the tokenizer usable from many threads.
    pcre2_match_data* md = pcre2_match_data_create(4, nullptr);
    std::vector<std::string_view> current{text}, next;
    for (const auto& p : m_patterns) {
        next.clear();
        for (auto piece : current) splitOne(p->code, md, piece, next);
        current.swap(next);
    }
    pcre2_match_data_free(md);
    out.insert(out.end(), current.begin(), current.end());
}

} // namespace moe::tok
