// Values and syntax tree of the Jinja subset used by chat templates (see chat_template.h).
#pragma once

#include "moe/chat_template.h"

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

namespace moe::jinja {

struct Value;
using List = std::vector<Value>;
using Dict = std::vector<std::pair<std::string, Value>>; // insertion order, as Python dicts

// Python-like dynamic value. Lists and dicts are shared (reference semantics), which is
// what namespace() attribute assignment relies on.
struct Value {
    enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict };
    Kind kind = Kind::Undefined;
    bool b = false;
    int64_t i = 0;
    double f = 0.0;
    std::string s;                // String; for Undefined: the name that was looked up
    std::shared_ptr<List> list;
    std::shared_ptr<Dict> dict;
    bool isNamespace = false;

    static Value undefined(std::string name = {}) { Value v; v.s = std::move(name); return v; }
    static Value none() { Value v; v.kind = Kind::None; return v; }
    static Value boolean(bool x) { Value v; v.kind = Kind::Bool; v.b = x; return v; }
    static Value integer(int64_t x) { Value v; v.kind = Kind::Int; v.i = x; return v; }
    static Value number(double x) { Value v; v.kind = Kind::Float; v.f = x; return v; }
    static Value string(std::string x) { Value v; v.kind = Kind::String; v.s = std::move(x); return v; }
    static Value makeList(List items = {}) { Value v; v.kind = Kind::List; v.list = std::make_shared<List>(std::move(items)); return v; }
    static Value makeDict(Dict items = {}) { Value v; v.kind = Kind::Dict; v.dict = std::make_shared<Dict>(std::move(items)); return v; }

    bool isUndefined() const { return kind == Kind::Undefined; }
    bool isNumber() const { return kind == Kind::Int || kind == Kind::Float || kind == Kind::Bool; }
    double asDouble() const { return kind == Kind::Float ? f : kind == Kind::Bool ? (b ? 1 : 0) : static_cast<double>(i); }
    int64_t asInt() const { return kind == Kind::Float ? static_cast<int64_t>(f) : kind == Kind::Bool ? (b ? 1 : 0) : i; }

    const Value* find(const std::string& key) const; // dicts only
    void set(const std::string& key, Value v);       // dicts only
};

bool truthy(const Value& v);
bool equals(const Value& a, const Value& b);
std::string toStr(const Value& v);  // Python str()
std::string repr(const Value& v);   // Python repr()
std::string toJson(const Value& v, int indent = -1); // json.dumps(ensure_ascii=False)
Value fromJson(const nlohmann::json& j);
const char* kindName(Value::Kind k);
// UTF-8 code points of a string (Python indexes strings by character).
std::vector<std::string> characters(const std::string& s);

[[noreturn]] void fail(const std::string& detail);

// --- syntax tree ---

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind { Literal, Name, ListLit, DictLit, Attr, Index, Slice, Call, Filter, Test, Unary, Binary, Ternary };
    Kind kind = Kind::Literal;
    Value literal;
    std::string name; // Name, Attr, Filter, Test; operator for Unary/Binary
    ExprPtr a, b, c;
    std::vector<ExprPtr> args; // also list items, dict keys/values interleaved, slice parts
    std::vector<std::pair<std::string, ExprPtr>> kwargs;
    bool negated = false; // "is not"
    int line = 0;
};

} // namespace moe::jinja

namespace moe {

struct ChatTemplate::Node {
    enum class Kind { Text, Output, If, For, Set, SetBlock, Break, Continue };
    Kind kind = Kind::Text;
    std::string text;
    jinja::ExprPtr expr; // Output value, For iterable, Set value
    // If: (condition or null for else, body) in order.
    std::vector<std::pair<jinja::ExprPtr, std::vector<std::unique_ptr<Node>>>> branches;
    std::vector<std::string> targets; // For loop variables; Set names ("ns.attr" split into two)
    std::string attr;                 // Set ns.attr
    jinja::ExprPtr filter;            // For ... if filter
    std::vector<std::unique_ptr<Node>> body, elseBody;
    int line = 0;
};

namespace jinja {
using NodeList = std::vector<std::unique_ptr<ChatTemplate::Node>>;
NodeList parseTemplate(const std::string& source);
std::string renderTemplate(const NodeList& nodes, const Value& variables);
} // namespace jinja

} // namespace moe
