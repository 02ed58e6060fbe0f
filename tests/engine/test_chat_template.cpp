// Chat template tests: the reference renderings (jinja2 with HF transformers' settings)
// of the Qwen3 and Mixtral templates, a hand-checked DeepSeek-V3 template, and the
// Jinja constructs and whitespace rules the interpreter promises.
#include "moe/chat_template.h"
#include "moe/error.h"
#include "moe/tokenizer.h"
#include "test_support.h"

#include <QTest>

#include <nlohmann/json.hpp>

using namespace moe;
using nlohmann::json;

namespace {

std::vector<ChatMessage> messagesFrom(const json& list)
{
    std::vector<ChatMessage> out;
    for (const auto& m : list) out.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
    return out;
}

std::string render(const std::string& templ, const json& vars = json::object())
{
    return ChatTemplate(templ).render(vars);
}

const std::string kDsBos = "<｜begin▁of▁sentence｜>";

} // namespace

class TestChatTemplate : public QObject {
    Q_OBJECT

private slots:
    void referenceRenderings_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("qwen3") << "qwen3";
        QTest::newRow("mixtral") << "mistral";
    }
    void referenceRenderings()
    {
        QFETCH(QString, name);
        const std::string dir = test::dataPath("tokenizers/" + name.toStdString());
        Tokenizer tok = Tokenizer::fromHuggingFace(dir);
        QVERIFY(!tok.chatTemplate().empty());
        ChatTemplate templ(tok.chatTemplate());
        const json ref = json::parse(test::readFile(dir + "/reference.json"));
        QVERIFY(!ref["chat"].empty());
        for (const auto& entry : ref["chat"]) {
            ChatRenderOptions options{entry["add_generation_prompt"].get<bool>(), tok.bosToken(), tok.eosToken()};
            auto messages = messagesFrom(entry["messages"]);
            if (entry.contains("error")) {
                try {
                    templ.render(messages, options);
                    QFAIL("expected the template to raise an exception");
                } catch (const Error& e) {
                    QCOMPARE(e.code(), ErrorCode::Template);
                    QCOMPARE(e.field(), std::string("raise_exception"));
                    QCOMPARE(e.detail(), entry["error"].get<std::string>());
                }
                continue;
            }
            QCOMPARE(templ.render(messages, options), entry["text"].get<std::string>());
            // The one-shot helper gives the same text.
            QCOMPARE(renderChat(tok.chatTemplate(), messages, options.addGenerationPrompt, options.bosToken, options.eosToken),
                     entry["text"].get<std::string>());
        }
    }

    void qwen3ThinkingAndTools()
    {
        Tokenizer tok = Tokenizer::fromHuggingFace(test::dataPath("tokenizers/qwen3"));
        ChatTemplate templ(tok.chatTemplate());
        json vars = {{"messages", {{{"role", "user"}, {"content", "2+2?"}}, {{"role", "assistant"}, {"content", "<think>\nadd\n</think>\n\n4"}}}},
                     {"add_generation_prompt", false}};
        QCOMPARE(templ.render(vars), std::string("<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\nadd\n</think>\n\n4<|im_end|>\n"));

        vars = {{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"add_generation_prompt", true}, {"enable_thinking", false}};
        QCOMPARE(templ.render(vars), std::string("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"));

        vars = {{"messages", {{{"role", "user"}, {"content", "Weather?"}}}},
                {"tools", {{{"type", "function"}, {"function", {{"name", "get_weather"}, {"parameters", json::object()}}}}}},
                {"add_generation_prompt", true}};
        const std::string text = templ.render(vars);
        QVERIFY(text.rfind("<|im_start|>system\n# Tools\n\nYou may call one or more functions", 0) == 0);
        QVERIFY(text.find("<tools>\n{\"function\": {\"name\": \"get_weather\", \"parameters\": {}}, \"type\": \"function\"}\n</tools>") != std::string::npos);
        QVERIFY(text.find("<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n") != std::string::npos);
    }

    void deepSeekV3()
    {
        ChatTemplate templ(test::readFile(test::dataPath("chat_templates/deepseek_v3.jinja")));
        std::vector<ChatMessage> chat = {{"system", "You are a concise assistant."}, {"user", "Hi"},
                                         {"assistant", "Hello! How can I help?"}, {"user", "Count to three."}};
        QCOMPARE(templ.render(chat, {true, kDsBos, "<｜end▁of▁sentence｜>"}),
                 kDsBos + "You are a concise assistant.<｜User｜>Hi<｜Assistant｜>Hello! How can I help?<｜end▁of▁sentence｜>"
                          "<｜User｜>Count to three.<｜Assistant｜>");
        QCOMPARE(templ.render(chat, {false, kDsBos, "<｜end▁of▁sentence｜>"}),
                 kDsBos + "You are a concise assistant.<｜User｜>Hi<｜Assistant｜>Hello! How can I help?<｜end▁of▁sentence｜>"
                          "<｜User｜>Count to three.");
        QCOMPARE(templ.render({{"system", "A"}, {"system", "B"}, {"user", "x"}, {"assistant", "<think>hmm</think>y"}}, {false, kDsBos, ""}),
                 kDsBos + "A\n\nB<｜User｜>x<｜Assistant｜>y<｜end▁of▁sentence｜>");

        json vars = {{"bos_token", kDsBos}, {"add_generation_prompt", true},
                     {"messages", {{{"role", "user"}, {"content", "Weather?"}},
                                   {{"role", "assistant"}, {"content", nullptr},
                                    {"tool_calls", {{{"type", "function"}, {"function", {{"name", "get_weather"}, {"arguments", "{\"city\": \"Paris\"}"}}}}}}},
                                   {{"role", "tool"}, {"content", "18C"}}}}};
        QCOMPARE(templ.render(vars),
                 kDsBos + "<｜User｜>Weather?<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
                          "```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜>"
                          "<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>18C<｜tool▁output▁end｜><｜tool▁outputs▁end｜>");
    }

    void whitespaceControl_data()
    {
        QTest::addColumn<QString>("templ");
        QTest::addColumn<QString>("expected");
        QTest::newRow("trim_blocks") << "{% if true %}\n  yes\n{% endif %}\nend" << "  yes\nend";
        QTest::newRow("lstrip_blocks") << "  {% if true %}x{% endif %}" << "x";
        QTest::newRow("lstrip only at line start") << "a  {% if true %}x{% endif %}" << "a  x";
        QTest::newRow("lines of blocks") << "a\n    {% for i in [1, 2] %}\n    {{ i }}\n    {% endfor %}\nb" << "a\n    1\n    2\nb";
        QTest::newRow("expressions keep newlines") << "{{ 'a' }}\n{{ 'b' }}" << "a\nb";
        QTest::newRow("minus strips all") << "x  \n {%- if true -%} \n y \n {%- endif -%}  \n z" << "xyz";
        QTest::newRow("expression minus") << "a \n{{- 'b' -}}\n c" << "abc";
        QTest::newRow("comment") << "a{# note #}b\n{# line #}\nc" << "ab\nc";
        QTest::newRow("plus keeps blanks") << "  {%+ if true %}x{% endif %}" << "  x";
    }
    void whitespaceControl()
    {
        QFETCH(QString, templ);
        QFETCH(QString, expected);
        QCOMPARE(QString::fromStdString(render(templ.toStdString())), expected);
    }

    void expressions_data()
    {
        QTest::addColumn<QString>("templ");
        QTest::addColumn<QString>("expected");
        QTest::newRow("sort join") << "{{ [3, 1, 2]|sort|join(',') }}" << "1,2,3";
        QTest::newRow("case default") << "{{ 'Hello'|upper }}{{ 'x'|default('y') }}{{ nothing|default('d') }}{{ ''|default('e', true) }}" << "HELLOxde";
        QTest::newRow("tojson") << "{{ {'a': 1, 'b': [1, 2.5, none, true, 'é\"']}|tojson }}" << "{\"a\": 1, \"b\": [1, 2.5, null, true, \"é\\\"\"]}";
        QTest::newRow("tojson indent") << "{{ {'a': [1]}|tojson(indent=2) }}" << "{\n  \"a\": [\n    1\n  ]\n}";
        QTest::newRow("slices") << "{{ 'abc'[::-1] }}{{ [1, 2, 3][:2] }}{{ [1, 2, 3][-1] }}{{ 'héllo'[1:3] }}" << "cba[1, 2]3él";
        QTest::newRow("split length") << "{{ 'a,b'.split(',')|length }}{{ ' x y '.split()|join('-') }}" << "2x-y";
        QTest::newRow("strip methods") << "[{{ '  a  '.strip() }}][{{ 'xxaxx'.lstrip('x') }}][{{ 'a\\n\\n'.rstrip('\\n') }}]" << "[a][axx][a]";
        QTest::newRow("starts ends") << "{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x', 'c')) }}" << "TrueTrue";
        QTest::newRow("items") << "{% for k, v in {'x': 1, 'y': 2}|items %}{{ k }}={{ v }};{% endfor %}" << "x=1;y=2;";
        QTest::newRow("dict methods") << "{{ {'a': 1}.get('a') }}{{ {'a': 1}.get('b', 'no') }}{% for k, v in {'z': 0}.items() %}{{ k }}{% endfor %}" << "1noz";
        QTest::newRow("loop") << "{% for x in ['a', 'b', 'c'] %}{{ loop.index0 }}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}{{ x }}" << "01a,12b,23c";
        QTest::newRow("loop length first") << "{% for x in 'ab' %}{{ loop.length }}{{ loop.first }}{% endfor %}" << "2True2False";
        QTest::newRow("loop else filter") << "{% for x in [] %}x{% else %}empty{% endfor %}{% for x in range(6) if x is even %}{{ x }}{% endfor %}" << "empty024";
        QTest::newRow("arithmetic") << "{{ 1 ~ 2 }}|{{ 7 // 2 }}|{{ -7 % 3 }}|{{ 1 + 2 * 3 }}|{{ 7 / 2 }}|{{ 2 ** 3 }}" << "12|3|2|7|3.5|8";
        QTest::newRow("ternary none") << "{{ 'x' if false else 'y' }}{{ none }}{{ 2.0 }}{{ true }}" << "yNone2.0True";
        QTest::newRow("namespace") << "{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}" << "6";
        QTest::newRow("set scope") << "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}" << "1";
        QTest::newRow("set block") << "{% set x %}a{{ 1 }}{% endset %}[{{ x }}]" << "[a1]";
        QTest::newRow("break continue") << "{% for i in range(6) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}" << "023";
        QTest::newRow("tests") << "{{ x is defined }}{{ none is none }}{{ 'a' is string }}{{ {} is mapping }}{{ 3 is odd }}{{ 1 is not number }}" << "FalseTrueTrueTrueTrueFalse";
        QTest::newRow("in and or") << "{{ 'b' in 'abc' }}{{ 2 not in [1, 2] }}{{ 0 or 'z' }}{{ 1 and 0 }}{{ not 0 }}" << "TrueFalsez0True";
        QTest::newRow("selectattr map") << "{{ [{'r': 'u', 'c': 1}, {'r': 'a', 'c': 2}, {'r': 'u', 'c': 3}]|selectattr('r', 'equalto', 'u')|map(attribute='c')|join('+') }}" << "1+3";
        QTest::newRow("first last reverse") << "{{ [1, 2, 3]|first }}{{ [1, 2, 3]|last }}{{ [1, 2, 3]|reverse|list }}{{ 'ab'|reverse }}" << "13[3, 2, 1]ba";
        QTest::newRow("string filters") << "{{ ' a '|trim }}{{ 3|string ~ 'x' }}{{ 'aBc'|lower }}{{ 'abc'|length }}{{ 'hello world'|title }}" << "a3xabc3Hello World";
        QTest::newRow("repr") << "{{ ['a', 1, none] }}{{ {'k': 'v'} }}" << "['a', 1, None]{'k': 'v'}";
        QTest::newRow("comparisons") << "{{ 1 < 2 }}{{ 'a' >= 'b' }}{{ 1 == 1.0 }}{{ [1] == [1] }}" << "TrueFalseTrueTrue";
    }
    void expressions()
    {
        QFETCH(QString, templ);
        QFETCH(QString, expected);
        QCOMPARE(QString::fromStdString(render(templ.toStdString())), expected);
    }

    void unsupportedConstructsRaise_data()
    {
        QTest::addColumn<QString>("templ");
        QTest::addColumn<QString>("needle");
        QTest::newRow("macro") << "{% macro f() %}x{% endmacro %}" << "macro";
        QTest::newRow("filter") << "{{ 'x'|nosuchfilter }}" << "nosuchfilter";
        QTest::newRow("unclosed if") << "{% if true %}x" << "endif";
        QTest::newRow("unclosed tag") << "{{ 'x' " << "unclosed";
        QTest::newRow("bad expression") << "{{ 1 + }}" << "line 1";
        QTest::newRow("undefined attribute") << "{{ nothing.attr }}" << "nothing";
        QTest::newRow("unknown function") << "{{ launch() }}" << "launch";
        QTest::newRow("string plus int") << "{{ 'a' + 1 }}" << "unsupported operand";
        QTest::newRow("deep nesting") << QString("{{ ") + QString("(").repeated(100000) + "1 }}" << "too deeply";
        QTest::newRow("deep blocks") << QString("{% if true %}").repeated(5000) << "too deeply";
    }
    void unsupportedConstructsRaise()
    {
        QFETCH(QString, templ);
        QFETCH(QString, needle);
        try {
            render(templ.toStdString());
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.code(), ErrorCode::Template);
            QVERIFY2(e.detail().find(needle.toStdString()) != std::string::npos, e.detail().c_str());
        }
    }

    void plainFallback()
    {
        QCOMPARE(renderPlainChat({{"system", "Be brief."}, {"user", "Hi"}}, true, "<s>"),
                 std::string("<s>System: Be brief.\n\nUser: Hi\n\nAssistant:"));
        QCOMPARE(renderPlainChat({{"user", "Hi"}}, false), std::string("User: Hi\n\n"));
    }

    void trainedTemplateRenders()
    {
        TokenizerVocab vocab = trainByteLevelBpe("hello world hello world", 260);
        QCOMPARE(renderChat(vocab.chatTemplate, {{"user", "Hi"}}, true, "", "<|im_end|>"),
                 std::string("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
    }
};

QTEST_APPLESS_MAIN(TestChatTemplate)
#include "test_chat_template.moc"
