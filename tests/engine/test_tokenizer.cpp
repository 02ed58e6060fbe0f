// Tokenizer tests: reference ids from an independent HF tokenizers implementation for
// Qwen3 (byte-level BPE) and Mistral (SentencePiece BPE), round trips through
// tokenizer.json and GGUF, and streaming detokenisation.
#include "moe/error.h"
#include "moe/gguf.h"
#include "moe/tokenizer.h"
#include "test_support.h"

#include <QElapsedTimer>
#include <QTest>

#include <nlohmann/json.hpp>

#include <sstream>

using namespace moe;
using nlohmann::json;

namespace {

std::string idsToString(const std::vector<int32_t>& ids)
{
    std::ostringstream s;
    for (size_t i = 0; i < ids.size(); ++i) s << (i ? "," : "") << ids[i];
    return s.str();
}

json reference(const std::string& name)
{
    return json::parse(test::readFile(test::dataPath("tokenizers/" + name + "/reference.json")));
}

const Tokenizer& hfTokenizer(const std::string& name)
{
    static std::map<std::string, Tokenizer> cache;
    auto it = cache.find(name);
    if (it == cache.end()) it = cache.emplace(name, Tokenizer::fromHuggingFace(test::dataPath("tokenizers/" + name))).first;
    return it->second;
}

bool isValidUtf8(const std::string& s)
{
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

// Writes the vocabulary as GGUF metadata, reads it back and builds a tokenizer from it.
Tokenizer viaGguf(const TokenizerVocab& vocab, const test::TempDir& dir)
{
    GgufWriter writer;
    writer.setString("general.architecture", "llama");
    writeGgufTokenizer(writer, vocab);
    const std::string path = dir.file("tok.gguf");
    writer.write(path);
    GgufFile file(path);
    return Tokenizer::fromGguf(file);
}

} // namespace

class TestTokenizer : public QObject {
    Q_OBJECT

private slots:
    void referenceIds_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("qwen3") << "qwen3";
        QTest::newRow("mistral") << "mistral";
    }
    void referenceIds()
    {
        QFETCH(QString, name);
        const Tokenizer& tok = hfTokenizer(name.toStdString());
        for (const auto& entry : reference(name.toStdString())["encode"]) {
            const auto text = entry["text"].get<std::string>();
            const auto ids = entry["ids"].get<std::vector<int32_t>>();
            const auto idsSpecial = entry["ids_special"].get<std::vector<int32_t>>();
            auto got = tok.encode(text, false);
            QVERIFY2(got == ids, qPrintable(QString::fromStdString(text + "\n got " + idsToString(got) + "\nwant " + idsToString(ids))));
            got = tok.encode(text, true);
            QVERIFY2(got == idsSpecial, qPrintable(QString::fromStdString(text + "\n got " + idsToString(got) + "\nwant " + idsToString(idsSpecial))));
            QCOMPARE(tok.decode(ids), text);
            QCOMPARE(tok.decode(idsSpecial, true), text);
        }
    }

    void specialTokensAndIds()
    {
        const Tokenizer& qwen = hfTokenizer("qwen3");
        QCOMPARE(qwen.vocabSize(), 151669);
        QCOMPARE(qwen.bosId(), -1);
        QCOMPARE(qwen.eosId(), 151645);
        QVERIFY(qwen.isEos(151645));
        QVERIFY(qwen.isSpecial(151644));
        QVERIFY(!qwen.isSpecial(151667)); // <think> is an added but not a special token
        QVERIFY(!qwen.isSpecial(9707));
        QCOMPARE(qwen.tokenPiece(9707), std::string("Hello"));
        QCOMPARE(qwen.eosToken(), std::string("<|im_end|>"));
        auto ids = qwen.encode("<|im_start|>user\nHi<|im_end|>\n");
        QCOMPARE(idsToString(ids), std::string("151644,872,198,13048,151645,198"));
        // Without parseSpecial the control tokens are plain text.
        auto plain = qwen.encode("<|im_end|>", false, false);
        QVERIFY(plain.size() > 1);
        QCOMPARE(qwen.decode(plain), std::string("<|im_end|>"));
        QVERIFY(!qwen.chatTemplate().empty());

        const Tokenizer& mistral = hfTokenizer("mistral");
        QCOMPARE(mistral.bosId(), 1);
        QCOMPARE(mistral.eosId(), 2);
        QCOMPARE(mistral.bosToken(), std::string("<s>"));
        QCOMPARE(mistral.tokenPiece(22557), std::string("▁Hello"));
        QCOMPARE(idsToString(mistral.encode("[INST] Hi [/INST]</s>", true)),
                 idsToString(mistral.encode("[INST] Hi [/INST]", true)) + ",2");
        QCOMPARE(mistral.decode({1, 22557}, true), std::string("Hello"));
    }

    void streamingNeverSplitsCharacters_data() { referenceIds_data(); }
    void streamingNeverSplitsCharacters()
    {
        QFETCH(QString, name);
        const Tokenizer& tok = hfTokenizer(name.toStdString());
        for (const auto& entry : reference(name.toStdString())["encode"]) {
            const auto text = entry["text"].get<std::string>();
            StreamDecoder stream(tok);
            std::string out;
            for (int32_t id : entry["ids"].get<std::vector<int32_t>>()) {
                std::string part = stream.push(id);
                QVERIFY2(isValidUtf8(part), qPrintable(QString::fromStdString(text)));
                out += part;
            }
            out += stream.flush();
            QCOMPARE(out, text);
        }
        // Byte-fallback pieces of one emoji (F0 9F A4 96) come out as one character.
        const Tokenizer& mistral = hfTokenizer("mistral");
        if (name == "mistral") {
            StreamDecoder stream(mistral);
            QCOMPARE(stream.push(243), std::string());
            QCOMPARE(stream.push(162), std::string());
            QCOMPARE(stream.push(167), std::string());
            QCOMPARE(stream.push(153), std::string("🤖"));
            QCOMPARE(stream.push(243), std::string());
            QCOMPARE(stream.flush(), std::string("\xEF\xBF\xBD")); // a cut character ends as U+FFFD
        }
    }

    void ggufMatchesJson_data() { referenceIds_data(); }
    void ggufMatchesJson()
    {
        QFETCH(QString, name);
        const Tokenizer& json = hfTokenizer(name.toStdString());
        test::TempDir dir;
        Tokenizer gguf = viaGguf(json.vocab(), dir);
        QCOMPARE(gguf.vocabSize(), json.vocabSize());
        QCOMPARE(gguf.bosId(), json.bosId());
        QCOMPARE(gguf.eosId(), json.eosId());
        QCOMPARE(gguf.chatTemplate(), json.chatTemplate());
        std::vector<std::string> texts;
        for (const auto& entry : reference(name.toStdString())["encode"]) texts.push_back(entry["text"]);
        texts.push_back("<|im_start|>system\nYou are helpful.<|im_end|>\n<s>[INST] Hi there [/INST]");
        texts.push_back("Mixture-of-experts layers route each token to the top-k of N feed-forward networks; "
                        "DeepSeek-V3 uses 256 routed experts plus 1 shared expert. Ça marche très bien!");
        for (const auto& text : texts) {
            for (bool special : {false, true}) {
                auto want = json.encode(text, special), got = gguf.encode(text, special);
                QVERIFY2(got == want, qPrintable(QString::fromStdString(text + "\n got " + idsToString(got) + "\nwant " + idsToString(want))));
            }
        }
    }

    void trainedBpeRoundTripsThroughJson()
    {
        std::string corpus =
            "the quick brown fox jumps over the lazy dog. the dog sleeps; the fox runs.\n"
            "experts route tokens, tokens route to experts. 12345 67890 — ünïcode ok 中文 🤖\n";
        for (int i = 0; i < 40; ++i) corpus += "sparse mixture " + std::to_string(i * 7919) + " layer" + std::to_string(i) + " ";
        TokenizerVocab vocab = trainByteLevelBpe(corpus, 300);
        QCOMPARE(vocab.tokens.size(), size_t(300));
        QCOMPARE(vocab.merges.size(), size_t(300 - 256 - 3));
        QVERIFY(!vocab.merges.empty());
        Tokenizer trained(vocab);
        const std::string text = "the fox routes tokens to the experts 🤖 <|im_start|>user\nhi<|im_end|>";
        auto ids = trained.encode(text);
        QVERIFY(ids.size() < text.size());
        QCOMPARE(trained.decode(ids), text);
        QCOMPARE(trained.eosId(), trained.tokenId("<|im_end|>").value());

        test::TempDir dir;
        test::writeFile(dir.file("tokenizer.json"), toTokenizerJson(vocab));
        test::writeFile(dir.file("tokenizer_config.json"), toTokenizerConfigJson(vocab));
        Tokenizer back = Tokenizer::fromHuggingFace(dir.path());
        QCOMPARE(back.vocab().tokens, vocab.tokens);
        QCOMPARE(back.vocab().merges, vocab.merges);
        QCOMPARE(back.eosId(), trained.eosId());
        QCOMPARE(back.chatTemplate(), vocab.chatTemplate);
        QCOMPARE(idsToString(back.encode(text)), idsToString(ids));
        Tokenizer gguf = viaGguf(vocab, dir);
        QCOMPARE(idsToString(gguf.encode(text)), idsToString(ids));
    }

    void mistralJsonRoundTrip()
    {
        const Tokenizer& mistral = hfTokenizer("mistral");
        test::TempDir dir;
        test::writeFile(dir.file("tokenizer.json"), toTokenizerJson(mistral.vocab()));
        test::writeFile(dir.file("tokenizer_config.json"), toTokenizerConfigJson(mistral.vocab()));
        Tokenizer back = Tokenizer::fromHuggingFace(dir.path());
        for (const auto& entry : reference("mistral")["encode"])
            QCOMPARE(idsToString(back.encode(entry["text"].get<std::string>())), idsToString(entry["ids_special"].get<std::vector<int32_t>>()));
    }

    void errorsNameTheField()
    {
        test::TempDir dir;
        try {
            Tokenizer::fromHuggingFace(dir.path());
            QFAIL("no error for a folder without tokenizer.json");
        } catch (const Error& e) {
            QCOMPARE(e.code(), ErrorCode::MissingField);
        }
        test::writeFile(dir.file("tokenizer.json"), "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}");
        try {
            Tokenizer::fromHuggingFace(dir.path());
            QFAIL("no error for a Unigram model");
        } catch (const Error& e) {
            QCOMPARE(e.code(), ErrorCode::UnsupportedType);
            QCOMPARE(e.field(), std::string("model.type"));
        }
        test::writeFile(dir.file("tokenizer.json"), "{\"model\": ");
        try {
            Tokenizer::fromHuggingFace(dir.path());
            QFAIL("no error for truncated JSON");
        } catch (const Error& e) {
            QCOMPARE(e.code(), ErrorCode::BadJson);
        }
        QVERIFY(!preTokenizerRegexesFor("no-such-pre"));
        QVERIFY(preTokenizerRegexesFor("deepseek-v3"));
    }

    void longInputIsFast()
    {
        // SentencePiece merges whole segments: a quadratic merge loop would take minutes here.
        std::string text;
        for (int i = 0; i < 4000; ++i) text += "experts route tokens ";
        QElapsedTimer timer;
        timer.start();
        auto mistralIds = hfTokenizer("mistral").encode(text, false);
        auto qwenIds = hfTokenizer("qwen3").encode(text, false);
        QVERIFY(timer.elapsed() < 5000);
        QCOMPARE(hfTokenizer("mistral").decode(mistralIds), text);
        QCOMPARE(hfTokenizer("qwen3").decode(qwenIds), text);
    }
};

QTEST_APPLESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
