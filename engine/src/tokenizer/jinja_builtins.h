// Jinja filters, tests, global functions and Python str/dict methods.
#pragma once

#include "tokenizer/jinja_ast.h"

namespace moe::jinja {

using Args = std::vector<Value>;
using Kwargs = std::vector<std::pair<std::string, Value>>;

Value applyFilter(const std::string& name, const Value& subject, const Args& args, const Kwargs& kwargs);
bool applyTest(const std::string& name, const Value& subject, const Args& args);
// Returns false in `found` when `name` is not a method of that kind of value.
Value callMethod(const Value& object, const std::string& name, const Args& args, const Kwargs& kwargs, bool& found);
// raise_exception, namespace, range, dict, strftime_now; `found` false for unknown names.
Value callGlobal(const std::string& name, const Args& args, const Kwargs& kwargs, bool& found);

// Shared by the evaluator: iteration (dict -> keys, string -> characters, undefined -> nothing).
List iterate(const Value& v);
int64_t length(const Value& v);
// Python-style subscripts; out-of-range gives Undefined.
Value subscript(const Value& object, const Value& key);
Value slice(const Value& object, const Value* start, const Value* stop, const Value* step);

} // namespace moe::jinja
