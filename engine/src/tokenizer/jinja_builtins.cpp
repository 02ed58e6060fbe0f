#include "tokenizer/jinja_builtins.h"

#include "moe/error.h"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace moe::jinja {

namespace {

const Value& arg(const Args& args, const Kwargs& kwargs, size_t index, const char* name, const Value& fallback)
{
    if (index < args.size()) return args[index];
    for (const auto& [k, v] : kwargs)
        if (k == name) return v;
    return fallback;
}

std::string requireString(const Value& v, const std::string& what)
{
    if (v.kind != Value::Kind::String) fail(what + " expects a string, got " + kindName(v.kind));
    return v.s;
}

std::string stripChars(const std::string& s, const Value& chars, bool left, bool right)
{
    auto isStripped = [&](char c) {
        if (chars.kind == Value::Kind::String) return chars.s.find(c) != std::string::npos;
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    };
    size_t b = 0, e = s.size();
    if (left) while (b < e && isStripped(s[b])) ++b;
    if (right) while (e > b && isStripped(s[e - 1])) --e;
    return s.substr(b, e - b);
}

Value split(const std::string& s, const Value& sep, int64_t maxSplit)
{
    List parts;
    if (sep.kind != Value::Kind::String) { // whitespace split drops empty parts
        size_t pos = 0;
        while (pos < s.size()) {
            while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
            if (pos >= s.size()) break;
            size_t end = pos;
            if (maxSplit >= 0 && static_cast<int64_t>(parts.size()) == maxSplit) end = s.size();
            else while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end]))) ++end;
            parts.push_back(Value::string(s.substr(pos, end - pos)));
            pos = end;
        }
        return Value::makeList(std::move(parts));
    }
    if (sep.s.empty()) fail("split: empty separator");
    size_t pos = 0;
    for (;;) {
        size_t hit = s.find(sep.s, pos);
        if (hit == std::string::npos || (maxSplit >= 0 && static_cast<int64_t>(parts.size()) == maxSplit)) break;
        parts.push_back(Value::string(s.substr(pos, hit - pos)));
        pos = hit + sep.s.size();
    }
    parts.push_back(Value::string(s.substr(pos)));
    return Value::makeList(std::move(parts));
}

std::string mapCase(std::string s, int (*f)(int))
{
    for (char& c : s) c = static_cast<char>(f(static_cast<unsigned char>(c)));
    return s;
}

std::string title(const std::string& s)
{
    std::string out = s;
    bool start = true;
    for (char& c : out) {
        auto u = static_cast<unsigned char>(c);
        c = static_cast<char>(start ? std::toupper(u) : std::tolower(u));
        start = !std::isalnum(u);
    }
    return out;
}

bool startsOrEnds(const std::string& s, const Value& what, bool start)
{
    auto one = [&](const std::string& p) {
        if (p.size() > s.size()) return false;
        return start ? s.compare(0, p.size(), p) == 0 : s.compare(s.size() - p.size(), p.size(), p) == 0;
    };
    if (what.kind == Value::Kind::List) {
        for (const auto& p : *what.list)
            if (one(requireString(p, start ? "startswith" : "endswith"))) return true;
        return false;
    }
    return one(requireString(what, start ? "startswith" : "endswith"));
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to, int64_t count)
{
    if (from.empty()) return s;
    size_t pos = 0;
    for (int64_t n = 0; (count < 0 || n < count) && (pos = s.find(from, pos)) != std::string::npos; ++n) {
        s.replace(pos, from.size(), to);
        pos += to.size();
    }
    return s;
}

Value attribute(const Value& v, const std::string& path)
{
    Value cur = v;
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t dot = path.find('.', pos);
        std::string key = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
        cur = subscript(cur, Value::string(key));
        if (dot == std::string::npos) break;
        pos = dot + 1;
    }
    return cur;
}

int compareValues(const Value& a, const Value& b)
{
    if (a.isNumber() && b.isNumber()) return a.asDouble() < b.asDouble() ? -1 : a.asDouble() > b.asDouble() ? 1 : 0;
    if (a.kind == Value::Kind::String && b.kind == Value::Kind::String) return a.s.compare(b.s);
    fail(std::string("cannot order ") + kindName(a.kind) + " and " + kindName(b.kind));
}

const Value kNone = Value::none();
const Value kUndef = Value::undefined();

} // namespace

List iterate(const Value& v)
{
    switch (v.kind) {
    case Value::Kind::Undefined: return {};
    case Value::Kind::List: return *v.list;
    case Value::Kind::Dict: {
        List keys;
        for (const auto& [k, item] : *v.dict) keys.push_back(Value::string(k));
        return keys;
    }
    case Value::Kind::String: {
        List chars;
        for (auto& c : characters(v.s)) chars.push_back(Value::string(std::move(c)));
        return chars;
    }
    default: fail(std::string("cannot iterate over ") + kindName(v.kind));
    }
}

int64_t length(const Value& v)
{
    switch (v.kind) {
    case Value::Kind::String: return static_cast<int64_t>(characters(v.s).size());
    case Value::Kind::List: return static_cast<int64_t>(v.list->size());
    case Value::Kind::Dict: return static_cast<int64_t>(v.dict->size());
    case Value::Kind::Undefined: return 0;
    default: fail(std::string("object of type ") + kindName(v.kind) + " has no length");
    }
}

Value subscript(const Value& object, const Value& key)
{
    if (object.kind == Value::Kind::Dict) {
        const Value* found = object.find(key.kind == Value::Kind::String ? key.s : toStr(key));
        return found ? *found : Value::undefined(toStr(key));
    }
    if (object.kind == Value::Kind::List || object.kind == Value::Kind::String) {
        if (!key.isNumber()) return Value::undefined(toStr(key));
        List items = object.kind == Value::Kind::List ? *object.list : iterate(object);
        int64_t i = key.asInt();
        if (i < 0) i += static_cast<int64_t>(items.size());
        if (i < 0 || i >= static_cast<int64_t>(items.size())) return Value::undefined();
        return items[i];
    }
    if (object.isUndefined()) fail("'" + object.s + "' is undefined");
    return Value::undefined(toStr(key));
}

Value slice(const Value& object, const Value* start, const Value* stop, const Value* step)
{
    if (object.kind != Value::Kind::List && object.kind != Value::Kind::String)
        fail(std::string("cannot slice ") + kindName(object.kind));
    List items = iterate(object);
    const auto n = static_cast<int64_t>(items.size());
    int64_t st = step && !step->isUndefined() && step->kind != Value::Kind::None ? step->asInt() : 1;
    if (st == 0) fail("slice step cannot be zero");
    auto bound = [&](const Value* v, int64_t fallback) {
        if (!v || v->isUndefined() || v->kind == Value::Kind::None) return fallback;
        int64_t i = v->asInt();
        if (i < 0) i += n;
        return st > 0 ? std::clamp<int64_t>(i, 0, n) : std::clamp<int64_t>(i, -1, n - 1);
    };
    int64_t b = bound(start, st > 0 ? 0 : n - 1), e = bound(stop, st > 0 ? n : -1);
    List out;
    for (int64_t i = b; st > 0 ? i < e : i > e; i += st) out.push_back(items[i]);
    if (object.kind == Value::Kind::String) {
        std::string s;
        for (const auto& c : out) s += c.s;
        return Value::string(s);
    }
    return Value::makeList(std::move(out));
}

bool applyTest(const std::string& name, const Value& v, const Args& args)
{
    using K = Value::Kind;
    if (name == "defined") return !v.isUndefined();
    if (name == "undefined") return v.isUndefined();
    if (name == "none") return v.kind == K::None;
    if (name == "boolean") return v.kind == K::Bool;
    if (name == "true") return v.kind == K::Bool && v.b;
    if (name == "false") return v.kind == K::Bool && !v.b;
    if (name == "integer") return v.kind == K::Int;
    if (name == "float") return v.kind == K::Float;
    if (name == "number") return v.kind == K::Int || v.kind == K::Float;
    if (name == "string") return v.kind == K::String;
    if (name == "mapping") return v.kind == K::Dict;
    if (name == "iterable") return v.kind == K::List || v.kind == K::Dict || v.kind == K::String;
    if (name == "sequence") return v.kind == K::List || v.kind == K::Dict || v.kind == K::String;
    if (name == "callable") return false;
    if (name == "lower") return v.kind == K::String && mapCase(v.s, [](int c) { return std::tolower(c); }) == v.s;
    if (name == "upper") return v.kind == K::String && mapCase(v.s, [](int c) { return std::toupper(c); }) == v.s;
    if (name == "odd" || name == "even") return v.isNumber() && (v.asInt() % 2 != 0) == (name == "odd");
    if (args.empty()) fail("unknown test '" + name + "'");
    const Value& other = args[0];
    if (name == "divisibleby") return other.asInt() != 0 && v.asInt() % other.asInt() == 0;
    if (name == "eq" || name == "equalto" || name == "==" || name == "sameas") return equals(v, other);
    if (name == "ne" || name == "!=") return !equals(v, other);
    if (name == "lt" || name == "lessthan" || name == "<") return compareValues(v, other) < 0;
    if (name == "le" || name == "<=") return compareValues(v, other) <= 0;
    if (name == "gt" || name == "greaterthan" || name == ">") return compareValues(v, other) > 0;
    if (name == "ge" || name == ">=") return compareValues(v, other) >= 0;
    if (name == "in") {
        if (other.kind == K::String) return v.kind == K::String && other.s.find(v.s) != std::string::npos;
        for (const auto& item : iterate(other))
            if (equals(item, v)) return true;
        return false;
    }
    fail("unknown test '" + name + "'");
}

Value applyFilter(const std::string& name, const Value& v, const Args& args, const Kwargs& kwargs)
{
    using K = Value::Kind;
    if (name == "safe") return v;
    if (name == "string") return Value::string(toStr(v));
    if (name == "trim") return Value::string(stripChars(toStr(v), arg(args, kwargs, 0, "chars", kNone), true, true));
    if (name == "lower") return Value::string(mapCase(toStr(v), [](int c) { return std::tolower(c); }));
    if (name == "upper") return Value::string(mapCase(toStr(v), [](int c) { return std::toupper(c); }));
    if (name == "capitalize") {
        std::string s = mapCase(toStr(v), [](int c) { return std::tolower(c); });
        if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
        return Value::string(s);
    }
    if (name == "title") return Value::string(title(toStr(v)));
    if (name == "length" || name == "count") return Value::integer(length(v));
    if (name == "tojson") {
        const Value& indent = arg(args, kwargs, 0, "indent", kNone);
        return Value::string(toJson(v, indent.isNumber() ? static_cast<int>(indent.asInt()) : -1));
    }
    if (name == "default" || name == "d") {
        bool boolean = truthy(arg(args, kwargs, 1, "boolean", Value::boolean(false)));
        if (v.isUndefined() || (boolean && !truthy(v))) return arg(args, kwargs, 0, "default_value", Value::string(""));
        return v;
    }
    if (name == "first" || name == "last") {
        List items = iterate(v);
        if (items.empty()) return Value::undefined();
        return name == "first" ? items.front() : items.back();
    }
    if (name == "list") return Value::makeList(iterate(v));
    if (name == "reverse") {
        if (v.kind == K::String) {
            auto chars = characters(v.s);
            std::string out;
            for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
            return Value::string(out);
        }
        List items = iterate(v);
        std::reverse(items.begin(), items.end());
        return Value::makeList(std::move(items));
    }
    if (name == "join") {
        std::string sep = toStr(arg(args, kwargs, 0, "d", Value::string("")));
        const Value& attr = arg(args, kwargs, 1, "attribute", kNone);
        std::string out;
        bool first = true;
        for (const auto& item : iterate(v)) {
            out += (first ? "" : sep) + toStr(attr.kind == K::String ? attribute(item, attr.s) : item);
            first = false;
        }
        return Value::string(out);
    }
    if (name == "items") {
        if (v.isUndefined()) return Value::makeList();
        if (v.kind != K::Dict) fail(std::string("items expects a mapping, got ") + kindName(v.kind));
        List pairs;
        for (const auto& [k, item] : *v.dict) pairs.push_back(Value::makeList({Value::string(k), item}));
        return Value::makeList(std::move(pairs));
    }
    if (name == "selectattr" || name == "rejectattr" || name == "select" || name == "reject") {
        const bool byAttr = name.size() > 6;
        const bool keep = name[0] == 's';
        size_t next = byAttr ? 1 : 0;
        if (byAttr && args.empty()) fail(name + " needs an attribute name");
        std::string test = next < args.size() ? requireString(args[next], name) : "";
        Args testArgs(args.begin() + std::min(args.size(), next + 1), args.end());
        List out;
        for (const auto& item : iterate(v)) {
            Value subject = byAttr ? attribute(item, requireString(args[0], name)) : item;
            bool pass = test.empty() ? truthy(subject) : applyTest(test, subject, testArgs);
            if (pass == keep) out.push_back(item);
        }
        return Value::makeList(std::move(out));
    }
    if (name == "map") {
        List out;
        const Value& attr = arg({}, kwargs, 99, "attribute", kNone);
        for (const auto& item : iterate(v)) {
            if (attr.kind == K::String) {
                Value a = attribute(item, attr.s);
                out.push_back(a.isUndefined() ? arg({}, kwargs, 99, "default", a) : a);
            } else if (!args.empty()) {
                out.push_back(applyFilter(requireString(args[0], "map"), item, Args(args.begin() + 1, args.end()), {}));
            } else {
                fail("map needs attribute= or a filter name");
            }
        }
        return Value::makeList(std::move(out));
    }
    if (name == "sort") {
        List items = iterate(v);
        bool reverse = truthy(arg(args, kwargs, 0, "reverse", Value::boolean(false)));
        const Value& attr = arg(args, kwargs, 2, "attribute", kNone);
        std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
            Value x = attr.kind == K::String ? attribute(a, attr.s) : a, y = attr.kind == K::String ? attribute(b, attr.s) : b;
            return reverse ? compareValues(y, x) < 0 : compareValues(x, y) < 0;
        });
        return Value::makeList(std::move(items));
    }
    if (name == "unique") {
        List out;
        for (const auto& item : iterate(v))
            if (std::none_of(out.begin(), out.end(), [&](const Value& o) { return equals(o, item); })) out.push_back(item);
        return Value::makeList(std::move(out));
    }
    if (name == "replace")
        return Value::string(replaceAll(toStr(v), toStr(arg(args, kwargs, 0, "old", kUndef)), toStr(arg(args, kwargs, 1, "new", kUndef)),
                                        arg(args, kwargs, 2, "count", Value::integer(-1)).asInt()));
    if (name == "int") {
        if (v.isNumber()) return Value::integer(v.asInt());
        try { return Value::integer(std::stoll(toStr(v))); } catch (...) { return arg(args, kwargs, 0, "default", Value::integer(0)); }
    }
    if (name == "float") {
        if (v.isNumber()) return Value::number(v.asDouble());
        try { return Value::number(std::stod(toStr(v))); } catch (...) { return arg(args, kwargs, 0, "default", Value::number(0)); }
    }
    if (name == "abs") return v.kind == K::Float ? Value::number(std::abs(v.f)) : Value::integer(std::abs(v.asInt()));
    if (name == "e" || name == "escape") {
        std::string out;
        for (char c : toStr(v)) {
            switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '"': out += "&#34;"; break;
            case '\'': out += "&#39;"; break;
            default: out.push_back(c);
            }
        }
        return Value::string(out);
    }
    fail("unsupported filter '" + name + "'");
}

Value callMethod(const Value& o, const std::string& name, const Args& args, const Kwargs& kwargs, bool& found)
{
    found = true;
    using K = Value::Kind;
    if (o.kind == K::String) {
        const std::string& s = o.s;
        if (name == "startswith" || name == "endswith") return Value::boolean(startsOrEnds(s, arg(args, kwargs, 0, "prefix", kUndef), name[0] == 's'));
        if (name == "strip") return Value::string(stripChars(s, arg(args, kwargs, 0, "chars", kNone), true, true));
        if (name == "lstrip") return Value::string(stripChars(s, arg(args, kwargs, 0, "chars", kNone), true, false));
        if (name == "rstrip") return Value::string(stripChars(s, arg(args, kwargs, 0, "chars", kNone), false, true));
        if (name == "split") return split(s, arg(args, kwargs, 0, "sep", kNone), arg(args, kwargs, 1, "maxsplit", Value::integer(-1)).asInt());
        if (name == "lower" || name == "upper" || name == "title" || name == "capitalize") return applyFilter(name, o, {}, {});
        if (name == "replace") return applyFilter("replace", o, args, kwargs);
        if (name == "find") {
            size_t pos = s.find(requireString(arg(args, kwargs, 0, "sub", kUndef), "find"));
            return Value::integer(pos == std::string::npos ? -1 : static_cast<int64_t>(pos));
        }
        if (name == "count") {
            std::string sub = requireString(arg(args, kwargs, 0, "sub", kUndef), "count");
            int64_t n = 0;
            for (size_t pos = 0; !sub.empty() && (pos = s.find(sub, pos)) != std::string::npos; pos += sub.size()) ++n;
            return Value::integer(n);
        }
        if (name == "join") {
            std::string out;
            bool first = true;
            for (const auto& item : iterate(arg(args, kwargs, 0, "iterable", kUndef))) {
                out += (first ? "" : s) + requireString(item, "join");
                first = false;
            }
            return Value::string(out);
        }
        if (name == "splitlines") return split(replaceAll(s, "\r\n", "\n", -1), Value::string("\n"), -1);
        if (name == "isdigit" || name == "isspace" || name == "isalpha" || name == "isalnum") {
            int (*f)(int) = name == "isdigit" ? ::isdigit : name == "isspace" ? ::isspace : name == "isalpha" ? ::isalpha : ::isalnum;
            return Value::boolean(!s.empty() && std::all_of(s.begin(), s.end(), [&](char c) { return f(static_cast<unsigned char>(c)) != 0; }));
        }
    } else if (o.kind == K::Dict && !o.isNamespace) {
        if (name == "get") {
            const Value* v = o.find(requireString(arg(args, kwargs, 0, "key", kUndef), "get"));
            return v ? *v : arg(args, kwargs, 1, "default", kNone);
        }
        if (name == "items") return applyFilter("items", o, {}, {});
        if (name == "keys") return Value::makeList(iterate(o));
        if (name == "values") {
            List values;
            for (const auto& [k, item] : *o.dict) values.push_back(item);
            return Value::makeList(std::move(values));
        }
    }
    found = false;
    return Value::undefined();
}

Value callGlobal(const std::string& name, const Args& args, const Kwargs& kwargs, bool& found)
{
    found = true;
    if (name == "raise_exception") {
        // The message is the template's own; callers compare it, so it goes out unchanged.
        throw Error(ErrorCode::Template, "", "raise_exception", args.empty() ? std::string() : toStr(args[0]));
    }
    if (name == "namespace" || name == "dict") {
        Value ns = Value::makeDict();
        ns.isNamespace = name == "namespace";
        if (!args.empty() && args[0].kind == Value::Kind::Dict)
            for (const auto& [k, v] : *args[0].dict) ns.set(k, v);
        for (const auto& [k, v] : kwargs) ns.set(k, v);
        return ns;
    }
    if (name == "range") {
        if (args.empty()) fail("range expects at least one argument");
        int64_t start = args.size() > 1 ? args[0].asInt() : 0, stop = args.size() > 1 ? args[1].asInt() : args[0].asInt();
        int64_t step = args.size() > 2 ? args[2].asInt() : 1;
        if (step == 0) fail("range step cannot be zero");
        List out;
        for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
            out.push_back(Value::integer(i));
            if (out.size() > 1000000) fail("range too large");
        }
        return Value::makeList(std::move(out));
    }
    if (name == "strftime_now") {
        std::time_t now = std::time(nullptr);
        std::tm local{};
        localtime_r(&now, &local);
        char buf[256];
        size_t n = std::strftime(buf, sizeof buf, requireString(arg(args, kwargs, 0, "format", kUndef), "strftime_now").c_str(), &local);
        return Value::string(std::string(buf, n));
    }
    found = false;
    return Value::undefined();
}

} // namespace moe::jinja
