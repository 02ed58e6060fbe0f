// Evaluates parsed chat templates (jinja_parser.cpp) with Python/jinja2 semantics.
#include "moe/chat_template.h"

#include "moe/error.h"
#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_builtins.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <unordered_map>

namespace moe {

namespace jinja {

namespace {

using Node = ChatTemplate::Node;

class Renderer {
public:
    explicit Renderer(const Value& variables)
    {
        m_scopes.emplace_back();
        if (variables.kind == Value::Kind::Dict)
            for (const auto& [k, v] : *variables.dict) m_scopes.front()[k] = v;
    }

    enum class Flow { Normal, Break, Continue };

    Flow render(const NodeList& nodes, std::string& out)
    {
        for (const auto& n : nodes) {
            Flow f = renderNode(*n, out);
            if (f != Flow::Normal) return f;
        }
        return Flow::Normal;
    }

private:
    Flow renderNode(const Node& n, std::string& out)
    {
        switch (n.kind) {
        case Node::Kind::Text: out += n.text; return Flow::Normal;
        case Node::Kind::Output: out += toStr(eval(*n.expr)); return Flow::Normal;
        case Node::Kind::If:
            for (const auto& [cond, body] : n.branches)
                if (!cond || truthy(eval(*cond))) return render(body, out);
            return Flow::Normal;
        case Node::Kind::For: return renderFor(n, out);
        case Node::Kind::Set: {
            Value v = eval(*n.expr);
            if (!n.attr.empty()) {
                Value target = lookup(n.targets[0]);
                if (target.kind != Value::Kind::Dict || !target.isNamespace)
                    fail("cannot set attribute '" + n.attr + "' of '" + n.targets[0] + "' (not a namespace) at line " + std::to_string(n.line));
                target.set(n.attr, std::move(v));
            } else {
                assign(n.targets, v, n.line);
            }
            return Flow::Normal;
        }
        case Node::Kind::SetBlock: {
            std::string captured;
            render(n.body, captured);
            m_scopes.back()[n.targets[0]] = Value::string(captured);
            return Flow::Normal;
        }
        case Node::Kind::Break: return Flow::Break;
        case Node::Kind::Continue: return Flow::Continue;
        }
        return Flow::Normal;
    }

    void assign(const std::vector<std::string>& targets, const Value& v, int line)
    {
        if (targets.size() == 1) {
            m_scopes.back()[targets[0]] = v;
            return;
        }
        List items = iterate(v);
        if (items.size() != targets.size())
            fail("cannot unpack " + std::to_string(items.size()) + " values into " + std::to_string(targets.size()) + " at line " + std::to_string(line));
        for (size_t k = 0; k < targets.size(); ++k) m_scopes.back()[targets[k]] = items[k];
    }

    Flow renderFor(const Node& n, std::string& out)
    {
        List items = iterate(eval(*n.expr));
        m_scopes.emplace_back();
        if (n.filter) {
            List kept;
            for (const auto& item : items) {
                assign(n.targets, item, n.line);
                if (truthy(eval(*n.filter))) kept.push_back(item);
            }
            items.swap(kept);
        }
        if (items.empty()) {
            m_scopes.pop_back();
            render(n.elseBody, out);
            return Flow::Normal;
        }
        const auto count = static_cast<int64_t>(items.size());
        for (int64_t k = 0; k < count; ++k) {
            assign(n.targets, items[k], n.line);
            Value loop = Value::makeDict({
                {"index", Value::integer(k + 1)}, {"index0", Value::integer(k)},
                {"revindex", Value::integer(count - k)}, {"revindex0", Value::integer(count - k - 1)},
                {"first", Value::boolean(k == 0)}, {"last", Value::boolean(k == count - 1)},
                {"length", Value::integer(count)},
                {"previtem", k > 0 ? items[k - 1] : Value::undefined("previtem")},
                {"nextitem", k + 1 < count ? items[k + 1] : Value::undefined("nextitem")},
            });
            m_scopes.back()["loop"] = loop;
            if (render(n.body, out) == Flow::Break) break;
        }
        m_scopes.pop_back();
        return Flow::Normal;
    }

    const Value* find(const std::string& name) const
    {
        for (auto it = m_scopes.rbegin(); it != m_scopes.rend(); ++it) {
            auto hit = it->find(name);
            if (hit != it->end()) return &hit->second;
        }
        return nullptr;
    }
    Value lookup(const std::string& name) const
    {
        const Value* v = find(name);
        return v ? *v : Value::undefined(name);
    }

    Value eval(const Expr& e)
    {
        switch (e.kind) {
        case Expr::Kind::Literal: return e.literal;
        case Expr::Kind::Name: return lookup(e.name);
        case Expr::Kind::ListLit: {
            List items;
            for (const auto& a : e.args) items.push_back(eval(*a));
            return Value::makeList(std::move(items));
        }
        case Expr::Kind::DictLit: {
            Value d = Value::makeDict();
            for (size_t k = 0; k + 1 < e.args.size(); k += 2) d.set(toStr(eval(*e.args[k])), eval(*e.args[k + 1]));
            return d;
        }
        case Expr::Kind::Attr: {
            Value obj = eval(*e.a);
            if (obj.isUndefined()) fail("'" + obj.s + "' is undefined (reading ." + e.name + " at line " + std::to_string(e.line) + ")");
            if (obj.kind == Value::Kind::Dict) {
                const Value* v = obj.find(e.name);
                return v ? *v : Value::undefined(e.name);
            }
            return Value::undefined(e.name);
        }
        case Expr::Kind::Index: {
            Value obj = eval(*e.a);
            return subscript(obj, eval(*e.b));
        }
        case Expr::Kind::Slice: {
            Value obj = eval(*e.a);
            Value parts[3];
            for (size_t k = 0; k < 3 && k < e.args.size(); ++k)
                if (e.args[k]) parts[k] = eval(*e.args[k]);
            return slice(obj, &parts[0], &parts[1], &parts[2]);
        }
        case Expr::Kind::Call: return evalCall(e);
        case Expr::Kind::Filter: {
            Value subject = eval(*e.a);
            Args args;
            Kwargs kwargs;
            evalArgs(e, args, kwargs);
            return applyFilter(e.name, subject, args, kwargs);
        }
        case Expr::Kind::Test: {
            Value subject = eval(*e.a);
            Args args;
            Kwargs kwargs;
            evalArgs(e, args, kwargs);
            return Value::boolean(applyTest(e.name, subject, args) != e.negated);
        }
        case Expr::Kind::Unary: {
            Value v = eval(*e.a);
            if (e.name == "not") return Value::boolean(!truthy(v));
            if (!v.isNumber()) fail("bad operand for unary " + e.name + ": " + kindName(v.kind));
            if (e.name == "+") return v;
            return v.kind == Value::Kind::Float ? Value::number(-v.f) : Value::integer(-v.asInt());
        }
        case Expr::Kind::Binary: return evalBinary(e);
        case Expr::Kind::Ternary:
            if (truthy(eval(*e.b))) return eval(*e.a);
            return e.c ? eval(*e.c) : Value::undefined();
        }
        return Value::undefined();
    }

    void evalArgs(const Expr& e, Args& args, Kwargs& kwargs)
    {
        for (const auto& a : e.args) args.push_back(eval(*a));
        for (const auto& [k, a] : e.kwargs) kwargs.emplace_back(k, eval(*a));
    }

    Value evalCall(const Expr& e)
    {
        Args args;
        Kwargs kwargs;
        if (e.a->kind == Expr::Kind::Attr) {
            Value obj = eval(*e.a->a);
            evalArgs(e, args, kwargs);
            bool found = false;
            Value result = callMethod(obj, e.a->name, args, kwargs, found);
            if (found) return result;
            if (obj.isUndefined()) fail("'" + obj.s + "' is undefined (calling ." + e.a->name + " at line " + std::to_string(e.line) + ")");
            fail(std::string("unsupported method ") + kindName(obj.kind) + "." + e.a->name + " at line " + std::to_string(e.line));
        }
        if (e.a->kind == Expr::Kind::Name && !find(e.a->name)) {
            evalArgs(e, args, kwargs);
            bool found = false;
            Value result = callGlobal(e.a->name, args, kwargs, found);
            if (found) return result;
            fail("unsupported function '" + e.a->name + "' at line " + std::to_string(e.line));
        }
        fail("unsupported call at line " + std::to_string(e.line));
    }

    Value evalBinary(const Expr& e)
    {
        const std::string& op = e.name;
        if (op == "and") {
            Value a = eval(*e.a);
            return truthy(a) ? eval(*e.b) : a;
        }
        if (op == "or") {
            Value a = eval(*e.a);
            return truthy(a) ? a : eval(*e.b);
        }
        Value a = eval(*e.a), b = eval(*e.b);
        if (op == "==") return Value::boolean(equals(a, b));
        if (op == "!=") return Value::boolean(!equals(a, b));
        if (op == "<" || op == ">" || op == "<=" || op == ">=") return Value::boolean(applyTest(op, a, {b}));
        if (op == "in") return Value::boolean(applyTest("in", a, {b}));
        if (op == "not in") return Value::boolean(!applyTest("in", a, {b}));
        if (op == "~") return Value::string(toStr(a) + toStr(b));
        using K = Value::Kind;
        if (op == "+") {
            if (a.kind == K::String && b.kind == K::String) return Value::string(a.s + b.s);
            if (a.kind == K::List && b.kind == K::List) {
                List items = *a.list;
                items.insert(items.end(), b.list->begin(), b.list->end());
                return Value::makeList(std::move(items));
            }
        }
        if (op == "*" && ((a.kind == K::String && b.kind == K::Int) || (a.kind == K::Int && b.kind == K::String))) {
            const Value& s = a.kind == K::String ? a : b;
            std::string out;
            for (int64_t k = 0; k < std::min<int64_t>((a.kind == K::Int ? a : b).i, 100000); ++k) out += s.s;
            return Value::string(out);
        }
        if (!a.isNumber() || !b.isNumber())
            fail(std::string("unsupported operand types for ") + op + ": " + kindName(a.kind) + " and " + kindName(b.kind) +
                 " at line " + std::to_string(e.line));
        const bool ints = a.kind != K::Float && b.kind != K::Float;
        const double x = a.asDouble(), y = b.asDouble();
        if (op == "+") return ints ? Value::integer(a.asInt() + b.asInt()) : Value::number(x + y);
        if (op == "-") return ints ? Value::integer(a.asInt() - b.asInt()) : Value::number(x - y);
        if (op == "*") return ints ? Value::integer(a.asInt() * b.asInt()) : Value::number(x * y);
        if (op == "**") return ints && b.asInt() >= 0 ? Value::integer(static_cast<int64_t>(std::pow(x, y))) : Value::number(std::pow(x, y));
        if (y == 0) fail("division by zero at line " + std::to_string(e.line));
        if (op == "/") return Value::number(x / y);
        if (op == "//") return ints ? Value::integer(static_cast<int64_t>(std::floor(x / y))) : Value::number(std::floor(x / y));
        if (op == "%") {
            if (ints) {
                int64_t m = a.asInt() % b.asInt();
                return Value::integer(m != 0 && ((m < 0) != (b.asInt() < 0)) ? m + b.asInt() : m);
            }
            return Value::number(x - std::floor(x / y) * y);
        }
        fail("unsupported operator " + op);
    }

    std::vector<std::unordered_map<std::string, Value>> m_scopes;
};

} // namespace

std::string renderTemplate(const NodeList& nodes, const Value& variables)
{
    std::string out;
    Renderer(variables).render(nodes, out);
    return out;
}

} // namespace jinja

ChatTemplate::ChatTemplate(const std::string& source) : m_nodes(jinja::parseTemplate(source)) {}
ChatTemplate::~ChatTemplate() = default;
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages, const ChatRenderOptions& options) const
{
    using jinja::Value;
    jinja::List list;
    for (const auto& m : messages)
        list.push_back(Value::makeDict({{"role", Value::string(m.role)}, {"content", Value::string(m.content)}}));
    Value vars = Value::makeDict({
        {"messages", Value::makeList(std::move(list))},
        {"add_generation_prompt", Value::boolean(options.addGenerationPrompt)},
        {"bos_token", Value::string(options.bosToken)},
        {"eos_token", Value::string(options.eosToken)},
    });
    return jinja::renderTemplate(m_nodes, vars);
}

std::string ChatTemplate::render(const nlohmann::json& variables) const
{
    if (!variables.is_object()) throw Error(ErrorCode::InvalidArgument, "", "variables", "must be a JSON object");
    return jinja::renderTemplate(m_nodes, jinja::fromJson(variables));
}

std::string renderChat(const std::string& templ, const std::vector<ChatMessage>& messages, bool addGenerationPrompt,
                       const std::string& bosToken, const std::string& eosToken)
{
    return ChatTemplate(templ).render(messages, ChatRenderOptions{addGenerationPrompt, bosToken, eosToken});
}

std::string renderPlainChat(const std::vector<ChatMessage>& messages, bool addGenerationPrompt, const std::string& bosToken)
{
    std::string out = bosToken;
    for (const auto& m : messages) {
        std::string role = m.role.empty() ? "User" : m.role;
        role[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(role[0])));
        out += role + ": " + m.content + "\n\n";
    }
    if (addGenerationPrompt) out += "Assistant:";
    return out;
}

} // namespace moe
