#include "tokenizer/jinja_lexer.h"

#include "tokenizer/jinja_ast.h"

namespace moe::jinja {

std::vector<Chunk> lex(const std::string& src)
{
    std::vector<Chunk> chunks;
    size_t pos = 0;
    int line = 1;
    auto countLines = [&](size_t from, size_t to) {
        for (size_t k = from; k < to; ++k) line += src[k] == '\n';
    };
    while (pos < src.size()) {
        size_t open = pos;
        for (;;) {
            open = src.find('{', open);
            if (open == std::string::npos || open + 1 >= src.size()) { open = std::string::npos; break; }
            char c = src[open + 1];
            if (c == '{' || c == '%' || c == '#') break;
            ++open;
        }
        if (open == std::string::npos) {
            chunks.push_back({Chunk::Kind::Text, src.substr(pos), false, false, false, line});
            break;
        }
        if (open > pos) chunks.push_back({Chunk::Kind::Text, src.substr(pos, open - pos), false, false, false, line});
        countLines(pos, open);
        char kindChar = src[open + 1];
        Chunk tag{kindChar == '{' ? Chunk::Kind::Expr : kindChar == '%' ? Chunk::Kind::Stmt : Chunk::Kind::Comment, {}, false, false, false, line};
        const std::string close = kindChar == '{' ? "}}" : kindChar == '%' ? "%}" : "#}";
        size_t start = open + 2;
        if (start < src.size() && src[start] == '-') { tag.stripBefore = true; ++start; }
        else if (start < src.size() && src[start] == '+') { tag.plus = true; ++start; }
        size_t end = start;
        if (tag.kind == Chunk::Kind::Comment) {
            end = src.find(close, start);
        } else { // skip string literals so "}}" inside quotes does not close the tag
            char quote = 0;
            for (; end + 1 < src.size(); ++end) {
                char c = src[end];
                if (quote) {
                    if (c == '\\') ++end;
                    else if (c == quote) quote = 0;
                } else if (c == '\'' || c == '"') {
                    quote = c;
                } else if (src.compare(end, 2, close) == 0) {
                    break;
                }
            }
            if (end + 1 >= src.size()) end = std::string::npos;
        }
        if (end == std::string::npos) fail("unclosed tag at line " + std::to_string(line));
        size_t contentEnd = end;
        if (contentEnd > start && src[contentEnd - 1] == '-') { tag.stripAfter = true; --contentEnd; }
        else if (contentEnd > start && src[contentEnd - 1] == '+') --contentEnd;
        tag.text = src.substr(start, contentEnd - start);
        countLines(open, end + 2);
        chunks.push_back(std::move(tag));
        pos = end + 2;
    }

    // Whitespace control: '-' strips all whitespace; trim_blocks drops one newline after a
    // block or comment tag; lstrip_blocks drops blanks between a line start and such a tag.
    bool lineStart = true;
    for (size_t k = 0; k < chunks.size(); ++k) {
        Chunk& c = chunks[k];
        if (c.kind != Chunk::Kind::Text) {
            lineStart = false;
            continue;
        }
        const Chunk* prev = k > 0 ? &chunks[k - 1] : nullptr;
        const Chunk* next = k + 1 < chunks.size() ? &chunks[k + 1] : nullptr;
        std::string& t = c.text;
        if (prev && prev->stripAfter) {
            size_t n = 0;
            while (n < t.size() && isBlank(t[n])) ++n;
            lineStart = lineStart || t.substr(0, n).find('\n') != std::string::npos;
            t.erase(0, n);
        } else if (prev && prev->kind != Chunk::Kind::Expr) {
            if (t.compare(0, 1, "\n") == 0) { t.erase(0, 1); lineStart = true; }
            else if (t.compare(0, 2, "\r\n") == 0) { t.erase(0, 2); lineStart = true; }
        }
        if (next && next->stripBefore) {
            size_t n = t.size();
            while (n > 0 && isBlank(t[n - 1])) --n;
            t.erase(n);
        } else if (next && next->kind != Chunk::Kind::Expr && !next->plus) {
            size_t lineBegin = t.rfind('\n');
            lineBegin = lineBegin == std::string::npos ? 0 : lineBegin + 1;
            if (lineBegin > 0 || lineStart) {
                bool blanks = true;
                for (size_t n = lineBegin; n < t.size(); ++n) blanks = blanks && (t[n] == ' ' || t[n] == '\t');
                if (blanks) t.erase(lineBegin);
            }
        }
        lineStart = false;
    }
    return chunks;
}

} // namespace moe::jinja
