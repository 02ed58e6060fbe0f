// Jinja parser: chunks from jinja_lexer.cpp -> statement nodes with expression trees.
#include "moe/error.h"
#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_lexer.h"

#include <cctype>

namespace moe::jinja {

void fail(const std::string& detail) { throw Error(ErrorCode::Template, "", "chat_template", detail); }

namespace {

using Node = ChatTemplate::Node;

// --- expression tokens ---

struct Tok {
    enum class Kind { Name, String, Int, Float, Op, End } kind;
    std::string text;
};

std::vector<Tok> tokenize(const std::string& s, int line)
{
    std::vector<Tok> out;
    size_t i = 0;
    auto where = [&] { return " at line " + std::to_string(line); };
    while (i < s.size()) {
        char c = s[i];
        if (isBlank(c)) { ++i; continue; }
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            size_t j = i;
            while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
            out.push_back({Tok::Kind::Name, s.substr(i, j - i)});
            i = j;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            size_t j = i;
            bool isFloat = false;
            while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
            if (j + 1 < s.size() && s[j] == '.' && std::isdigit(static_cast<unsigned char>(s[j + 1]))) {
                isFloat = true;
                ++j;
                while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
            }
            out.push_back({isFloat ? Tok::Kind::Float : Tok::Kind::Int, s.substr(i, j - i)});
            i = j;
        } else if (c == '\'' || c == '"') {
            std::string v;
            size_t j = i + 1;
            for (; j < s.size() && s[j] != c; ++j) {
                if (s[j] != '\\' || j + 1 >= s.size()) { v.push_back(s[j]); continue; }
                char e = s[++j];
                switch (e) {
                case 'n': v.push_back('\n'); break;
                case 't': v.push_back('\t'); break;
                case 'r': v.push_back('\r'); break;
                case '0': v.push_back('\0'); break;
                case '\\': case '\'': case '"': v.push_back(e); break;
                default: v.push_back('\\'); v.push_back(e); break; // Python keeps unknown escapes
                }
            }
            if (j >= s.size()) fail("unterminated string" + where());
            out.push_back({Tok::Kind::String, v});
            i = j + 1;
        } else {
            static const char* const ops[] = {"==", "!=", "<=", ">=", "//", "**", "<", ">", "+", "-", "*", "/", "%",
                                              "~", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}", "="};
            bool found = false;
            for (const char* op : ops) {
                size_t n = std::char_traits<char>::length(op);
                if (s.compare(i, n, op) == 0) {
                    out.push_back({Tok::Kind::Op, op});
                    i += n;
                    found = true;
                    break;
                }
            }
            if (!found) fail(std::string("unexpected character '") + c + "'" + where());
        }
    }
    out.push_back({Tok::Kind::End, ""});
    return out;
}

class ExprParser {
public:
    ExprParser(const std::string& text, int line) : m_toks(tokenize(text, line)), m_line(line) {}

    bool atEnd() const { return peek().kind == Tok::Kind::End; }
    const Tok& peek(size_t ahead = 0) const { return m_toks[std::min(m_pos + ahead, m_toks.size() - 1)]; }
    bool isOp(const char* op, size_t ahead = 0) const { return peek(ahead).kind == Tok::Kind::Op && peek(ahead).text == op; }
    bool isName(const char* n, size_t ahead = 0) const { return peek(ahead).kind == Tok::Kind::Name && peek(ahead).text == n; }
    bool acceptOp(const char* op) { if (!isOp(op)) return false; ++m_pos; return true; }
    bool acceptName(const char* n) { if (!isName(n)) return false; ++m_pos; return true; }
    void expectOp(const char* op) { if (!acceptOp(op)) error(std::string("expected '") + op + "'"); }
    std::string expectName()
    {
        if (peek().kind != Tok::Kind::Name) error("expected a name");
        return m_toks[m_pos++].text;
    }
    void expectEnd() { if (!atEnd()) error("unexpected '" + peek().text + "'"); }
    [[noreturn]] void error(const std::string& what) const { fail(what + " at line " + std::to_string(m_line)); }

    ExprPtr parseExpression() // ternary level
    {
        DepthGuard guard(*this);
        ExprPtr value = parseOr();
        if (isName("if")) {
            ++m_pos;
            auto e = make(Expr::Kind::Ternary);
            e->a = std::move(value);
            e->b = parseOr();
            if (acceptName("else")) e->c = parseExpression();
            return e;
        }
        return value;
    }
    // For-loop iterables stop before a trailing "if" filter.
    ExprPtr parseOrOnly() { return parseOr(); }

private:
    // A hostile template must not exhaust the stack: nesting is capped far above real use.
    struct DepthGuard {
        explicit DepthGuard(ExprParser& p) : parser(p)
        {
            if (++parser.m_depth > 200) parser.error("expression nested too deeply");
        }
        ~DepthGuard() { --parser.m_depth; }
        ExprParser& parser;
    };

    ExprPtr make(Expr::Kind k)
    {
        auto e = std::make_unique<Expr>();
        e->kind = k;
        e->line = m_line;
        return e;
    }
    ExprPtr binary(std::string op, ExprPtr a, ExprPtr b)
    {
        auto e = make(Expr::Kind::Binary);
        e->name = std::move(op);
        e->a = std::move(a);
        e->b = std::move(b);
        return e;
    }

    ExprPtr parseOr()
    {
        ExprPtr left = parseAnd();
        while (acceptName("or")) left = binary("or", std::move(left), parseAnd());
        return left;
    }
    ExprPtr parseAnd()
    {
        ExprPtr left = parseNot();
        while (acceptName("and")) left = binary("and", std::move(left), parseNot());
        return left;
    }
    ExprPtr parseNot()
    {
        DepthGuard guard(*this);
        if (acceptName("not")) {
            auto e = make(Expr::Kind::Unary);
            e->name = "not";
            e->a = parseNot();
            return e;
        }
        return parseCompare();
    }
    ExprPtr parseCompare()
    {
        ExprPtr left = parseMath1();
        for (;;) {
            std::string op;
            for (const char* o : {"==", "!=", "<=", ">=", "<", ">"})
                if (isOp(o)) { op = o; break; }
            if (!op.empty()) { ++m_pos; left = binary(op, std::move(left), parseMath1()); continue; }
            if (isName("in")) { ++m_pos; left = binary("in", std::move(left), parseMath1()); continue; }
            if (isName("not") && isName("in", 1)) { m_pos += 2; left = binary("not in", std::move(left), parseMath1()); continue; }
            return left;
        }
    }
    ExprPtr parseMath1()
    {
        ExprPtr left = parseConcat();
        while (isOp("+") || isOp("-")) {
            std::string op = m_toks[m_pos++].text;
            left = binary(op, std::move(left), parseConcat());
        }
        return left;
    }
    ExprPtr parseConcat()
    {
        ExprPtr left = parseMath2();
        while (acceptOp("~")) left = binary("~", std::move(left), parseMath2());
        return left;
    }
    ExprPtr parseMath2()
    {
        ExprPtr left = parsePow();
        while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
            std::string op = m_toks[m_pos++].text;
            left = binary(op, std::move(left), parsePow());
        }
        return left;
    }
    ExprPtr parsePow()
    {
        ExprPtr left = parseUnary(true);
        while (acceptOp("**")) left = binary("**", std::move(left), parseUnary(true));
        return left;
    }
    ExprPtr parseUnary(bool withFilter)
    {
        DepthGuard guard(*this);
        ExprPtr node;
        if (isOp("-") || isOp("+")) {
            auto e = make(Expr::Kind::Unary);
            e->name = m_toks[m_pos++].text;
            e->a = parseUnary(false);
            node = std::move(e);
        } else {
            node = parsePostfix(parsePrimary());
        }
        if (withFilter) return parseFilters(std::move(node));
        return node;
    }

    void parseArgs(Expr& call) // after '('
    {
        while (!acceptOp(")")) {
            if (peek().kind == Tok::Kind::Name && isOp("=", 1)) {
                std::string key = expectName();
                ++m_pos;
                call.kwargs.emplace_back(key, parseExpression());
            } else {
                call.args.push_back(parseExpression());
            }
            if (!isOp(")")) expectOp(",");
        }
    }

    ExprPtr parsePrimary()
    {
        const Tok t = peek();
        ++m_pos;
        auto lit = [&](Value v) { auto e = make(Expr::Kind::Literal); e->literal = std::move(v); return e; };
        switch (t.kind) {
        case Tok::Kind::String: {
            std::string s = t.text;
            while (peek().kind == Tok::Kind::String) s += m_toks[m_pos++].text; // 'a' 'b' juxtaposition
            return lit(Value::string(s));
        }
        case Tok::Kind::Int: return lit(Value::integer(std::stoll(t.text)));
        case Tok::Kind::Float: return lit(Value::number(std::stod(t.text)));
        case Tok::Kind::Name:
            if (t.text == "true" || t.text == "True") return lit(Value::boolean(true));
            if (t.text == "false" || t.text == "False") return lit(Value::boolean(false));
            if (t.text == "none" || t.text == "None") return lit(Value::none());
            { auto e = make(Expr::Kind::Name); e->name = t.text; return e; }
        case Tok::Kind::Op:
            if (t.text == "(") {
                if (acceptOp(")")) return make(Expr::Kind::ListLit); // empty tuple
                ExprPtr first = parseExpression();
                if (acceptOp(")")) return first;
                auto tuple = make(Expr::Kind::ListLit);
                tuple->args.push_back(std::move(first));
                while (acceptOp(",")) {
                    if (isOp(")")) break;
                    tuple->args.push_back(parseExpression());
                }
                expectOp(")");
                return tuple;
            }
            if (t.text == "[") {
                auto list = make(Expr::Kind::ListLit);
                while (!acceptOp("]")) {
                    list->args.push_back(parseExpression());
                    if (!isOp("]")) expectOp(",");
                }
                return list;
            }
            if (t.text == "{") {
                auto dict = make(Expr::Kind::DictLit);
                while (!acceptOp("}")) {
                    dict->args.push_back(parseExpression());
                    expectOp(":");
                    dict->args.push_back(parseExpression());
                    if (!isOp("}")) expectOp(",");
                }
                return dict;
            }
            break;
        case Tok::Kind::End: break;
        }
        --m_pos;
        error(t.kind == Tok::Kind::End ? "unexpected end of expression" : "unexpected '" + t.text + "'");
    }

    ExprPtr parsePostfix(ExprPtr node)
    {
        for (;;) {
            if (acceptOp(".")) {
                auto e = make(Expr::Kind::Attr);
                e->a = std::move(node);
                e->name = peek().kind == Tok::Kind::Int ? m_toks[m_pos++].text : expectName();
                node = std::move(e);
            } else if (acceptOp("[")) {
                node = parseSubscript(std::move(node));
            } else if (acceptOp("(")) {
                auto e = make(Expr::Kind::Call);
                e->a = std::move(node);
                parseArgs(*e);
                node = std::move(e);
            } else {
                return node;
            }
        }
    }

    ExprPtr parseSubscript(ExprPtr node) // after '['
    {
        ExprPtr parts[3];
        int part = 0;
        bool slice = false;
        while (!isOp("]")) {
            if (acceptOp(":")) {
                slice = true;
                if (++part > 2) error("bad slice");
                continue;
            }
            parts[part] = parseExpression();
        }
        expectOp("]");
        auto e = make(slice ? Expr::Kind::Slice : Expr::Kind::Index);
        e->a = std::move(node);
        if (slice) {
            for (auto& p : parts) e->args.push_back(std::move(p));
        } else {
            if (!parts[0]) error("empty subscript");
            e->b = std::move(parts[0]);
        }
        return e;
    }

    ExprPtr parseFilters(ExprPtr node)
    {
        for (;;) {
            if (acceptOp("|")) {
                auto e = make(Expr::Kind::Filter);
                e->a = std::move(node);
                e->name = expectName();
                if (acceptOp("(")) parseArgs(*e);
                node = std::move(e);
            } else if (isName("is")) {
                ++m_pos;
                auto e = make(Expr::Kind::Test);
                e->negated = acceptName("not");
                e->a = std::move(node);
                e->name = expectName();
                if (acceptOp("(")) {
                    parseArgs(*e);
                } else if (peek().kind == Tok::Kind::String || peek().kind == Tok::Kind::Int ||
                           peek().kind == Tok::Kind::Float || (peek().kind == Tok::Kind::Name && !isName("and") &&
                           !isName("or") && !isName("else") && !isName("if") && !isName("is") && !isName("in") && !isName("not"))) {
                    e->args.push_back(parsePostfix(parsePrimary())); // "is divisibleby 3", "is sameas none"
                }
                node = std::move(e);
            } else {
                return node;
            }
        }
    }

    std::vector<Tok> m_toks;
    size_t m_pos = 0;
    int m_line;
    int m_depth = 0;
};

class TemplateParser {
public:
    explicit TemplateParser(std::vector<Chunk> chunks) : m_chunks(std::move(chunks)) {}

    NodeList parseAll()
    {
        std::string endTag;
        NodeList nodes = parseBody({}, endTag);
        return nodes;
    }

private:
    static std::string keyword(const std::string& content)
    {
        size_t b = 0;
        while (b < content.size() && isBlank(content[b])) ++b;
        size_t e = b;
        while (e < content.size() && (std::isalnum(static_cast<unsigned char>(content[e])) || content[e] == '_')) ++e;
        return content.substr(b, e - b);
    }
    static std::string afterKeyword(const std::string& content, const std::string& kw)
    {
        return content.substr(content.find(kw) + kw.size());
    }

    // Parses nodes until a statement whose keyword is in `stops`; returns it in `stoppedAt`.
    NodeList parseBody(const std::vector<std::string>& stops, std::string& stoppedAt)
    {
        if (++m_depth > 100) fail("statements nested too deeply");
        struct Leave { int& d; ~Leave() { --d; } } leave{m_depth};
        NodeList nodes;
        while (m_pos < m_chunks.size()) {
            const Chunk& c = m_chunks[m_pos++];
            switch (c.kind) {
            case Chunk::Kind::Comment: break;
            case Chunk::Kind::Text:
                if (!c.text.empty()) { auto n = node(Node::Kind::Text, c.line); n->text = c.text; nodes.push_back(std::move(n)); }
                break;
            case Chunk::Kind::Expr: {
                ExprParser p(c.text, c.line);
                auto n = node(Node::Kind::Output, c.line);
                n->expr = p.parseExpression();
                p.expectEnd();
                nodes.push_back(std::move(n));
                break;
            }
            case Chunk::Kind::Stmt: {
                std::string kw = keyword(c.text);
                for (const auto& s : stops)
                    if (kw == s) { stoppedAt = kw; m_stopChunk = &c; return nodes; }
                nodes.push_back(parseStatement(c, kw));
                break;
            }
            }
        }
        if (!stops.empty()) fail("missing {% " + stops.back() + " %}");
        return nodes;
    }

    static std::unique_ptr<Node> node(Node::Kind k, int line)
    {
        auto n = std::make_unique<Node>();
        n->kind = k;
        n->line = line;
        return n;
    }

    std::unique_ptr<Node> parseStatement(const Chunk& c, const std::string& kw)
    {
        const std::string rest = afterKeyword(c.text, kw);
        if (kw == "if") {
            auto n = node(Node::Kind::If, c.line);
            ExprParser p(rest, c.line);
            ExprPtr cond = p.parseExpression();
            p.expectEnd();
            for (;;) {
                std::string stop;
                NodeList body = parseBody({"elif", "else", "endif"}, stop);
                n->branches.emplace_back(std::move(cond), std::move(body));
                if (stop == "endif") break;
                if (stop == "else") {
                    NodeList elseBody = parseBody({"endif"}, stop);
                    n->branches.emplace_back(nullptr, std::move(elseBody));
                    break;
                }
                ExprParser ep(afterKeyword(m_stopChunk->text, "elif"), m_stopChunk->line);
                cond = ep.parseExpression();
                ep.expectEnd();
            }
            return n;
        }
        if (kw == "for") {
            auto n = node(Node::Kind::For, c.line);
            ExprParser p(rest, c.line);
            do n->targets.push_back(p.expectName()); while (p.acceptOp(","));
            if (!p.acceptName("in")) p.error("expected 'in'");
            n->expr = p.parseOrOnly();
            if (p.acceptName("if")) n->filter = p.parseOrOnly();
            if (p.acceptName("recursive")) p.error("recursive loops are not supported");
            p.expectEnd();
            std::string stop;
            n->body = parseBody({"else", "endfor"}, stop);
            if (stop == "else") n->elseBody = parseBody({"endfor"}, stop);
            return n;
        }
        if (kw == "set") {
            ExprParser p(rest, c.line);
            std::vector<std::string> targets;
            std::string attr;
            do {
                targets.push_back(p.expectName());
                if (p.acceptOp(".")) attr = p.expectName();
            } while (p.acceptOp(","));
            if (p.atEnd()) { // {% set x %}...{% endset %}
                if (targets.size() != 1 || !attr.empty()) p.error("block set needs one plain name");
                auto n = node(Node::Kind::SetBlock, c.line);
                n->targets = targets;
                std::string stop;
                n->body = parseBody({"endset"}, stop);
                return n;
            }
            p.expectOp("=");
            auto n = node(Node::Kind::Set, c.line);
            n->targets = targets;
            n->attr = attr;
            if (!attr.empty() && targets.size() != 1) p.error("cannot unpack into an attribute");
            n->expr = p.parseExpression();
            if (p.isOp(",")) { // tuple literal without parentheses
                auto tuple = std::make_unique<Expr>();
                tuple->kind = Expr::Kind::ListLit;
                tuple->args.push_back(std::move(n->expr));
                while (p.acceptOp(",")) tuple->args.push_back(p.parseExpression());
                n->expr = std::move(tuple);
            }
            p.expectEnd();
            return n;
        }
        if (kw == "break" || kw == "continue") return node(kw == "break" ? Node::Kind::Break : Node::Kind::Continue, c.line);
        if (kw.empty()) fail("empty statement at line " + std::to_string(c.line));
        fail("unsupported statement '" + kw + "' at line " + std::to_string(c.line));
    }

    std::vector<Chunk> m_chunks;
    size_t m_pos = 0;
    int m_depth = 0;
    const Chunk* m_stopChunk = nullptr;
};

} // namespace

NodeList parseTemplate(const std::string& source)
{
    return TemplateParser(lex(source)).parseAll();
}

} // namespace moe::jinja
