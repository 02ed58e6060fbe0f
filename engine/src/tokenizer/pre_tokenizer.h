// Regex pre-tokenizer: a sequence of PCRE2 patterns, each splitting every piece into
// its matches and the gaps between them (HF Split behaviour "Isolated").
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace moe::tok {

class PreTokenizer {
public:
    // Compiles with UTF + UCP (\p{L}, \s follow Unicode) and JIT where available.
    // Invalid UTF-8 in the input is tolerated (PCRE2_MATCH_INVALID_UTF): bad bytes never
    // match, so they end up in gap pieces. Throws Error(BadValue) for a bad pattern.
    explicit PreTokenizer(const std::vector<std::string>& patterns, const std::string& source = {});
    ~PreTokenizer();
    PreTokenizer(const PreTokenizer&) = delete;
    PreTokenizer& operator=(const PreTokenizer&) = delete;

    bool empty() const { return m_patterns.empty(); }
    // Appends the pieces of `text` (views into it) to `out`.
    void split(std::string_view text, std::vector<std::string_view>& out) const;

private:
    struct Pattern;
    std::vector<std::unique_ptr<Pattern>> m_patterns;
};

} // namespace moe::tok
