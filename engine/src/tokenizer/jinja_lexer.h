// Jinja template lexer: splits a template into text and tag chunks and applies jinja2's
// whitespace rules as Hugging Face configures them (trim_blocks, lstrip_blocks, "-"/"+").
#pragma once

#include <string>
#include <vector>

namespace moe::jinja {

struct Chunk {
    enum class Kind { Text, Expr, Stmt, Comment } kind;
    std::string text; // raw text, or the tag's inner content
    bool stripBefore = false, stripAfter = false, plus = false;
    int line = 1;
};

inline bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::vector<Chunk> lex(const std::string& source);

} // namespace moe::jinja
