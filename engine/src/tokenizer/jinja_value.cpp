// Python semantics for Jinja values: truthiness, equality, str()/repr(), json.dumps.
#include "tokenizer/jinja_ast.h"
#include "tokenizer/text_util.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

namespace moe::jinja {

const Value* Value::find(const std::string& key) const
{
    if (kind != Kind::Dict) return nullptr;
    for (const auto& [k, v] : *dict)
        if (k == key) return &v;
    return nullptr;
}

void Value::set(const std::string& key, Value v)
{
    for (auto& [k, old] : *dict)
        if (k == key) { old = std::move(v); return; }
    dict->emplace_back(key, std::move(v));
}

const char* kindName(Value::Kind k)
{
    switch (k) {
    case Value::Kind::Undefined: return "undefined";
    case Value::Kind::None: return "none";
    case Value::Kind::Bool: return "bool";
    case Value::Kind::Int: return "int";
    case Value::Kind::Float: return "float";
    case Value::Kind::String: return "string";
    case Value::Kind::List: return "list";
    case Value::Kind::Dict: return "dict";
    }
    return "?";
}

bool truthy(const Value& v)
{
    switch (v.kind) {
    case Value::Kind::Undefined:
    case Value::Kind::None: return false;
    case Value::Kind::Bool: return v.b;
    case Value::Kind::Int: return v.i != 0;
    case Value::Kind::Float: return v.f != 0.0;
    case Value::Kind::String: return !v.s.empty();
    case Value::Kind::List: return !v.list->empty();
    case Value::Kind::Dict: return v.isNamespace || !v.dict->empty();
    }
    return false;
}

bool equals(const Value& a, const Value& b)
{
    if (a.isNumber() && b.isNumber()) return a.asDouble() == b.asDouble();
    if (a.kind != b.kind) return false;
    switch (a.kind) {
    case Value::Kind::Undefined:
    case Value::Kind::None: return true;
    case Value::Kind::String: return a.s == b.s;
    case Value::Kind::List:
        if (a.list->size() != b.list->size()) return false;
        for (size_t k = 0; k < a.list->size(); ++k)
            if (!equals((*a.list)[k], (*b.list)[k])) return false;
        return true;
    case Value::Kind::Dict:
        if (a.dict->size() != b.dict->size()) return false;
        for (const auto& [key, v] : *a.dict) {
            const Value* other = b.find(key);
            if (!other || !equals(v, *other)) return false;
        }
        return true;
    default: return false;
    }
}

static std::string floatRepr(double f)
{
    if (std::isnan(f)) return "nan";
    if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
    char buf[32];
    for (int precision = 1; precision <= 17; ++precision) { // shortest text that reads back
        std::snprintf(buf, sizeof buf, "%.*g", precision, f);
        if (std::strtod(buf, nullptr) == f) break;
    }
    std::string s = buf;
    if (s.find_first_of(".en") == std::string::npos) s += ".0";
    return s;
}

static std::string stringRepr(const std::string& s)
{
    const char quote = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
    std::string out(1, quote);
    for (char c : s) {
        switch (c) {
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case '\\': out += "\\\\"; break;
        default:
            if (c == quote) out.push_back('\\');
            out.push_back(c);
        }
    }
    out.push_back(quote);
    return out;
}

std::string repr(const Value& v)
{
    switch (v.kind) {
    case Value::Kind::String: return stringRepr(v.s);
    case Value::Kind::List: {
        std::string out = "[";
        for (size_t k = 0; k < v.list->size(); ++k) out += (k ? ", " : "") + repr((*v.list)[k]);
        return out + "]";
    }
    case Value::Kind::Dict: {
        std::string out = v.isNamespace ? "<Namespace {" : "{";
        bool first = true;
        for (const auto& [key, item] : *v.dict) {
            out += (first ? "" : ", ") + stringRepr(key) + ": " + repr(item);
            first = false;
        }
        return out + (v.isNamespace ? "}>" : "}");
    }
    default: return toStr(v);
    }
}

std::string toStr(const Value& v)
{
    switch (v.kind) {
    case Value::Kind::Undefined: return "";
    case Value::Kind::None: return "None";
    case Value::Kind::Bool: return v.b ? "True" : "False";
    case Value::Kind::Int: return std::to_string(v.i);
    case Value::Kind::Float: return floatRepr(v.f);
    case Value::Kind::String: return v.s;
    default: return repr(v);
    }
}

static void jsonString(const std::string& s, std::string& out)
{
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
    }
    out.push_back('"');
}

static void jsonDump(const Value& v, int indent, int depth, std::string& out)
{
    // Python json.dumps: ", " and ": " separators; with indent, "," at line ends.
    auto newline = [&](int d) {
        if (indent < 0) return;
        out.push_back('\n');
        out.append(static_cast<size_t>(indent * d), ' ');
    };
    const char* itemSep = indent < 0 ? ", " : ",";
    switch (v.kind) {
    case Value::Kind::Undefined:
    case Value::Kind::None: out += "null"; break;
    case Value::Kind::Bool: out += v.b ? "true" : "false"; break;
    case Value::Kind::Int: out += std::to_string(v.i); break;
    case Value::Kind::Float:
        out += std::isnan(v.f) ? "NaN" : std::isinf(v.f) ? (v.f > 0 ? "Infinity" : "-Infinity") : floatRepr(v.f);
        break;
    case Value::Kind::String: jsonString(v.s, out); break;
    case Value::Kind::List:
        if (v.list->empty()) { out += "[]"; break; }
        out.push_back('[');
        for (size_t k = 0; k < v.list->size(); ++k) {
            if (k) out += itemSep;
            newline(depth + 1);
            jsonDump((*v.list)[k], indent, depth + 1, out);
        }
        newline(depth);
        out.push_back(']');
        break;
    case Value::Kind::Dict: {
        if (v.dict->empty()) { out += "{}"; break; }
        out.push_back('{');
        bool first = true;
        for (const auto& [key, item] : *v.dict) {
            if (!first) out += itemSep;
            first = false;
            newline(depth + 1);
            jsonString(key, out);
            out += ": ";
            jsonDump(item, indent, depth + 1, out);
        }
        newline(depth);
        out.push_back('}');
        break;
    }
    }
}

std::string toJson(const Value& v, int indent)
{
    std::string out;
    jsonDump(v, indent, 0, out);
    return out;
}

Value fromJson(const nlohmann::json& j)
{
    switch (j.type()) {
    case nlohmann::json::value_t::null: return Value::none();
    case nlohmann::json::value_t::boolean: return Value::boolean(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return Value::integer(j.get<int64_t>());
    case nlohmann::json::value_t::number_float: return Value::number(j.get<double>());
    case nlohmann::json::value_t::string: return Value::string(j.get<std::string>());
    case nlohmann::json::value_t::array: {
        List items;
        for (const auto& e : j) items.push_back(fromJson(e));
        return Value::makeList(std::move(items));
    }
    case nlohmann::json::value_t::object: {
        Dict items;
        for (const auto& [k, e] : j.items()) items.emplace_back(k, fromJson(e));
        return Value::makeDict(std::move(items));
    }
    default: return Value::none();
    }
}

std::vector<std::string> characters(const std::string& s)
{
    std::vector<std::string> out;
    for (size_t pos = 0; pos < s.size();) {
        size_t n = tok::utf8CharLength(s, pos);
        out.push_back(s.substr(pos, n));
        pos += n;
    }
    return out;
}

} // namespace moe::jinja
