// Profile export: JSON export -> import is exact (bit-identical floats, empty runs, runs
// with traces), CSV has one row per step x layer x expert, and malformed JSON names the
// source and the field at fault.
#include "moe/error.h"
#include "moe/profile_export.h"
#include "test_support.h"

#include <QtTest/QtTest>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

using namespace moe;

namespace {

ProfileRun runWithTraces()
{
    ProfileRun run;
    run.id = 12;
    run.name = "mixed \"quotes\", commas\nnewlines";
    run.createdAt = "2026-11-28T10:00:00Z";
    run.modelPath = "/models/tiny.gguf";
    run.modelName = "tiny-moe";
    run.architecture = "deepseek2";
    run.settingsJson = R"({ "maxTokens": 16,  "order": ["z","a"] })"; // kept byte for byte
    run.numMoeLayers = 2;
    run.numExperts = 4;
    run.topK = 2;
    run.moeLayers = {1, 3};
    run.prompts = {{"german", "Grüße aus Köln", "Hallo 👋", 7, 9, 0.1, 0.30000000000000004},
                   {"empty", "", "", 0, 0, 0, 0}};
    std::mt19937 rng(3);
    for (int i = 0; i < 6; ++i) {
        ProfileStep s{i, i / 3, i % 3 == 0, i % 3 == 0 ? 4 : 1, 1e-7 * (i + 1) / 3, {}, {}};
        for (int j = 0; j < 8; ++j) {
            s.expertCounts.push_back(int32_t(rng() % 7));
            // Arbitrary float bit patterns: every mantissa bit must survive the trip.
            s.gateWeightSums.push_back(std::uniform_real_distribution<float>(0, 8)(rng));
        }
        run.steps.push_back(std::move(s));
    }
    run.steps[1].gateWeightSums[0] = std::numeric_limits<float>::denorm_min();
    run.steps[1].gateWeightSums[1] = std::numeric_limits<float>::max();
    run.steps[1].gateWeightSums[2] = -0.0f;
    run.steps[2].gateWeightSums[3] = 1.0f / 3.0f;
    run.traces = {{0, 151643, {0, 1, 2, 3}, {0.75f, 0.25f, 0.6f, 0.4f}}, {1, 42, {}, {}}};
    return run;
}

template <typename Fn>
Error expectError(Fn fn)
{
    try {
        fn();
    } catch (const Error& e) {
        return e;
    }
    throw std::runtime_error("expected moe::Error");
}

} // namespace

class TestProfileExport : public QObject {
    Q_OBJECT

private slots:
    void jsonRoundTripsExactly()
    {
        ProfileRun run = runWithTraces();
        std::string text = exportProfileRunJson(run);
        ProfileRun back = importProfileRunJson(text, "run.json");
        QVERIFY(back == run);
        QCOMPARE(back.steps[1].gateWeightSums[0], std::numeric_limits<float>::denorm_min());
        QVERIFY(std::signbit(back.steps[1].gateWeightSums[2]));
        QCOMPARE(exportProfileRunJson(back), text); // and the text is stable
    }

    void emptyRunRoundTrips()
    {
        ProfileRun empty;
        QVERIFY(importProfileRunJson(exportProfileRunJson(empty), "e.json") == empty);
        ProfileRun noSteps = runWithTraces();
        noSteps.steps.clear();
        noSteps.traces.clear();
        QVERIFY(importProfileRunJson(exportProfileRunJson(noSteps), "n.json") == noSteps);
    }

    void equalityIsExact()
    {
        ProfileRun a = runWithTraces();
        ProfileRun b = a;
        QVERIFY(a == b);
        b.steps[0].gateWeightSums[0] = std::nextafter(b.steps[0].gateWeightSums[0], 100.0f);
        QVERIFY(!(a == b));
        b = a;
        b.traces[0].weights[1] = 0.25000003f;
        QVERIFY(!(a == b));
    }

    void totals()
    {
        ProfileRun run = runWithTraces();
        auto totals = run.totalCounts();
        QCOMPARE(totals.size(), size_t(8));
        int64_t sum0 = 0;
        for (const auto& s : run.steps)
            sum0 += s.expertCounts[0];
        QCOMPARE(totals[0], sum0);
        QCOMPARE(run.totalTokens(), int64_t(4 + 1 + 1 + 4 + 1 + 1));
    }

    void csvHasOneRowPerStepLayerExpert()
    {
        ProfileRun run = runWithTraces();
        std::string csv = exportProfileRunCsv(run);
        std::istringstream in(csv);
        std::string line;
        std::getline(in, line);
        QCOMPARE(line, std::string("step,prompt,prefill,moe_layer,decoder_layer,expert,count,gate_weight_sum"));
        std::vector<std::string> rows;
        while (std::getline(in, line))
            rows.push_back(line);
        QCOMPARE(rows.size(), size_t(6 * 2 * 4));
        // Row of step 2, moe layer 0, expert 3: prompt 0, not prefill, decoder layer 1.
        std::string expected = "2,0,0,0,1,3," + std::to_string(run.steps[2].expertCounts[3]) + ",0.33333334";
        QCOMPARE(rows[2 * 8 + 3], expected);
        // Gate sums in CSV parse back to the same floats.
        std::string last = rows.back();
        float parsed = std::stof(last.substr(last.rfind(',') + 1));
        QCOMPARE(parsed, run.steps[5].gateWeightSums[7]);
        QCOMPARE(exportProfileRunCsv(ProfileRun{}), std::string(
            "step,prompt,prefill,moe_layer,decoder_layer,expert,count,gate_weight_sum\n"));
    }

    void malformedJsonNamesSourceAndField_data()
    {
        QTest::addColumn<QString>("mutation");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("field");
        QTest::newRow("not json") << "syntax" << int(ErrorCode::BadJson) << "";
        QTest::newRow("not an object") << "array" << int(ErrorCode::BadJson) << "(root)";
        QTest::newRow("wrong type") << "tokens-string" << int(ErrorCode::BadJson) << "steps[1].tokens";
        QTest::newRow("counts not numbers") << "counts-strings" << int(ErrorCode::BadJson) << "steps[0].expertCounts";
        QTest::newRow("missing field") << "no-topk" << int(ErrorCode::MissingField) << "topK";
        QTest::newRow("trace not object") << "trace-number" << int(ErrorCode::BadJson) << "traces[0]";
        QTest::newRow("other format") << "format" << int(ErrorCode::BadValue) << "format";
        QTest::newRow("newer version") << "version" << int(ErrorCode::BadValue) << "version";
    }

    void malformedJsonNamesSourceAndField()
    {
        QFETCH(QString, mutation);
        QFETCH(int, code);
        QFETCH(QString, field);
        nlohmann::json doc = nlohmann::json::parse(exportProfileRunJson(runWithTraces()));
        std::string text;
        if (mutation == "syntax") {
            text = exportProfileRunJson(runWithTraces());
            text.resize(text.size() / 2);
        } else {
            if (mutation == "array")
                doc = nlohmann::json::array({1, 2});
            else if (mutation == "tokens-string")
                doc["steps"][1]["tokens"] = "four";
            else if (mutation == "counts-strings")
                doc["steps"][0]["expertCounts"] = {"a", "b"};
            else if (mutation == "no-topk")
                doc.erase("topK");
            else if (mutation == "trace-number")
                doc["traces"][0] = 5;
            else if (mutation == "format")
                doc["format"] = "something-else";
            else if (mutation == "version")
                doc["version"] = 2;
            text = doc.dump();
        }
        Error e = expectError([&] { importProfileRunJson(text, "/tmp/bad-run.json"); });
        QCOMPARE(int(e.code()), code);
        QCOMPARE(e.file(), std::string("/tmp/bad-run.json"));
        if (!field.isEmpty())
            QCOMPARE(QString::fromStdString(e.field()), field);
        else
            QVERIFY(!e.field().empty()); // the byte offset of the syntax error
    }
};

QTEST_APPLESS_MAIN(TestProfileExport)
#include "test_profile_export.moc"
