// moe make-model: both formats hold identical weights for every architecture, files are
// small and deterministic, and the models are labelled as random.
#include "test_support.h"
#include "tiny_model.h"

#include "model/model_maker_detail.h"
#include "moe/architecture.h"
#include "moe/bandwidth_probe.h"
#include "moe/engine.h"
#include "moe/error.h"
#include "moe/gguf.h"
#include "moe/model_maker.h"
#include "moe/safetensors.h"
#include "moe/tokenizer.h"

#include <QTest>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

using namespace moe;
namespace fs = std::filesystem;

namespace {

MadeModel make(const std::string& dir, const std::string& arch, uint64_t seed = 7,
               MakeFormat format = MakeFormat::Both, std::optional<DType> dtype = std::nullopt)
{
    return test::makeTinyModel(arch, dir, format, seed, dtype);
}

std::vector<float> toF32(const WeightView& w)
{
    std::vector<float> out(size_t(w.shape.elements()));
    dequantizeRow(w.dtype, w.data, out.data(), out.size());
    return out;
}

// Written independently of permuteQkRowsForGguf: GGUF row 2i of a head holds HF row i,
// row 2i+1 holds HF row i + headDim/2.
std::vector<float> unpermuteQkRows(const std::vector<float>& gguf, int64_t heads, int64_t headDim, int64_t cols)
{
    std::vector<float> hf(gguf.size());
    const int64_t half = headDim / 2;
    for (int64_t h = 0; h < heads; ++h)
        for (int64_t r = 0; r < headDim; ++r) {
            const int64_t hfRow = (r % 2 == 0) ? r / 2 : r / 2 + half;
            std::memcpy(&hf[size_t((h * headDim + hfRow) * cols)], &gguf[size_t((h * headDim + r) * cols)],
                        size_t(cols) * sizeof(float));
        }
    return hf;
}

uint64_t folderBytes(const std::string& dir)
{
    uint64_t total = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file())
            total += e.file_size();
    return total;
}

// Compares every weight of the two copies; returns the number of tensors compared.
int compareFormats(const MadeModel& made)
{
    GgufFile gguf(made.ggufPath);
    HfCheckpoint hf(made.hfDir);
    const Architecture& arch = architectureFor(made.spec);
    const bool permuted = ggufArchName(made.spec) == "llama";
    int compared = 0;
    for (const detail::PlannedTensor& t : detail::plannedTensors(made.spec)) {
        const std::string ggufName = ggufTensorName(t.role, t.layer);
        const WeightView g = gguf.weight(ggufName);
        const int64_t count = t.experts > 0 ? t.experts : 1;
        for (int64_t e = 0; e < count; ++e) {
            const std::string hfName = arch.hfTensorName(t.role, t.layer, e);
            const WeightView h = hf.weight(hfName);
            std::vector<float> gv = toF32(t.experts > 0 ? g.slice(e) : g);
            const std::vector<float> hv = toF32(h);
            if (permuted && (t.role == TensorRole::AttnQ || t.role == TensorRole::AttnK)) {
                const int64_t heads = t.role == TensorRole::AttnQ ? made.spec.numHeads : made.spec.numKvHeads;
                gv = unpermuteQkRows(gv, heads, made.spec.headDim, h.shape.cols());
            }
            if (gv != hv) {
                qWarning("tensor %s / %s differs", ggufName.c_str(), hfName.c_str());
                return -1;
            }
            ++compared;
        }
    }
    if (size_t(compared) != hf.tensorEntries().size())
        return -2;
    return compared;
}

} // namespace

class TestModelMaker : public QObject {
    Q_OBJECT

private slots:
    void identicalWeightsInBothFormats_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("dtype");
        for (const char* a : {"mixtral", "qwen2moe", "qwen3moe", "olmoe"})
            for (const char* d : {"f32", "bf16"})
                QTest::newRow((std::string(a) + "/" + d).c_str()) << QString(a) << QString(d);
        QTest::newRow("mixtral/f16") << QString("mixtral") << QString("f16");
    }

    void identicalWeightsInBothFormats()
    {
        QFETCH(QString, arch);
        QFETCH(QString, dtype);
        test::TempDir dir;
        const MadeModel made = make(dir.path(), arch.toStdString(), 7, MakeFormat::Both, dtypeFromName(dtype.toStdString()));
        QVERIFY(fs::exists(made.ggufPath));
        QVERIFY(fs::exists(made.hfDir + "/config.json"));
        QVERIFY(fs::exists(made.hfDir + "/tokenizer.json"));
        QVERIFY(fs::exists(made.hfDir + "/tokenizer_config.json"));
        QVERIFY(fs::exists(made.hfDir + "/generation_config.json"));
        QVERIFY(compareFormats(made) > 0);
        QVERIFY(fs::file_size(made.ggufPath) < 5u * 1000 * 1000);
        QVERIFY(folderBytes(made.hfDir) < 5u * 1000 * 1000);
    }

    void specsReadBackPerArchitecture_data()
    {
        QTest::addColumn<QString>("arch");
        for (const char* a : {"mixtral", "qwen2moe", "qwen3moe", "olmoe"})
            QTest::newRow(a) << QString(a);
    }

    void specsReadBackPerArchitecture()
    {
        QFETCH(QString, arch);
        test::TempDir dir;
        const MadeModel made = make(dir.path(), arch.toStdString());
        GgufFile gguf(made.ggufPath);
        const ModelSpec fromGguf = specFromGguf(gguf);
        const ModelSpec fromHf = specFromHfConfig(readJsonFile(made.hfDir + "/config.json"), made.hfDir);
        for (const ModelSpec* s : {&fromGguf, &fromHf}) {
            QCOMPARE(s->architecture, arch.toStdString());
            QCOMPARE(s->hiddenSize, int64_t(64));
            QCOMPARE(s->numLayers, int64_t(2));
            QCOMPARE(s->numHeads, int64_t(4));
            QCOMPARE(s->numKvHeads, int64_t(2));
            QCOMPARE(s->headDim, int64_t(16));
            QCOMPARE(s->numExperts, int64_t(4));
            QCOMPARE(s->numExpertsPerToken, int64_t(2));
            QCOMPARE(s->moeIntermediateSize, int64_t(128));
            QCOMPARE(s->vocabSize, int64_t(512));
            QCOMPARE(s->normTopkProb, made.spec.normTopkProb);
            QCOMPARE(int(s->qkNorm), int(made.spec.qkNorm));
            QCOMPARE(s->attentionBias, made.spec.attentionBias);
            QCOMPARE(s->sharedExpertIntermediateSize, made.spec.sharedExpertIntermediateSize);
        }
        QCOMPARE(fromHf.ropeLayout, RopeLayout::NeoX);
        if (arch == "qwen2moe") {
            QCOMPARE(fromHf.sharedExpertIntermediateSize, int64_t(128));
            QVERIFY(fromHf.sharedExpertGate);
            QVERIFY(fromHf.attentionBias);
        }
        if (arch == "mixtral") {
            QCOMPARE(gguf.getString("general.architecture"), std::string("llama"));
            QCOMPARE(fromGguf.ropeLayout, RopeLayout::Interleaved);
        }
        // Both copies are labelled as random weights.
        QCOMPARE(gguf.findBool("general.moe_workbench.random_weights"), std::optional<bool>(true));
        const nlohmann::json config = readJsonFile(made.hfDir + "/config.json");
        QCOMPARE(config.value("moe_workbench_random_weights", false), true);
        QVERIFY(inspectModel(made.ggufPath).randomWeights);
        QVERIFY(inspectModel(made.hfDir).randomWeights);
    }

    void tokenizerIsTheSameInBothFormats()
    {
        test::TempDir dir;
        const MadeModel made = make(dir.path(), "qwen3moe");
        GgufFile gguf(made.ggufPath);
        const Tokenizer a = Tokenizer::fromGguf(gguf);
        const Tokenizer b = Tokenizer::fromHuggingFace(made.hfDir);
        QCOMPARE(int64_t(a.vocabSize()), made.spec.vocabSize);
        QCOMPARE(int64_t(b.vocabSize()), made.spec.vocabSize);
        const std::string text = "<|im_start|>user\nThe router picks two experts for every token.<|im_end|>\n";
        const std::vector<int32_t> ids = a.encode(text);
        QCOMPARE(b.encode(text), ids);
        QCOMPARE(a.decode(ids), text);
        QVERIFY(a.tokenId("<|im_end|>").has_value());
        QVERIFY(a.isEos(*a.tokenId("<|im_end|>")));
        QVERIFY(a.chatTemplate().find("<|im_start|>") != std::string::npos);
        QVERIFY(b.chatTemplate().find("<|im_start|>") != std::string::npos);
    }

    void sameSeedSameBytesDifferentSeedDifferentBytes()
    {
        test::TempDir dir;
        const MadeModel a = make(dir.file("a"), "qwen2moe", 42);
        const MadeModel b = make(dir.file("b"), "qwen2moe", 42);
        const MadeModel c = make(dir.file("c"), "qwen2moe", 43);
        for (const char* f : {"model.gguf", "hf/model.safetensors", "hf/config.json", "hf/tokenizer.json",
                              "hf/tokenizer_config.json", "hf/generation_config.json"})
            QVERIFY2(test::readFile(dir.file(std::string("a/") + f)) == test::readFile(dir.file(std::string("b/") + f)), f);
        QVERIFY(test::readFile(dir.file("a/model.gguf")) != test::readFile(dir.file("c/model.gguf")));
        QVERIFY(test::readFile(dir.file("a/hf/model.safetensors")) != test::readFile(dir.file("c/hf/model.safetensors")));
        // The tokenizer does not depend on the seed.
        QVERIFY(test::readFile(dir.file("a/hf/tokenizer.json")) == test::readFile(dir.file("c/hf/tokenizer.json")));
    }

    void quantizedIsGgufOnly()
    {
        test::TempDir dir;
        QVERIFY_THROWS_EXCEPTION(Error, make(dir.file("x"), "olmoe", 1, MakeFormat::Both, DType::Q8_0));
        for (DType q : {DType::Q8_0, DType::Q4_0}) {
            const MadeModel made = make(dir.file(dtypeName(q)), "olmoe", 1, MakeFormat::Gguf, q);
            QVERIFY(made.hfDir.empty());
            GgufFile gguf(made.ggufPath);
            QCOMPARE(gguf.weight("blk.0.ffn_up_exps.weight").dtype, q);
            QCOMPARE(gguf.weight("blk.0.ffn_gate_inp.weight").dtype, DType::F32); // router stays exact
            QCOMPARE(gguf.weight("blk.0.attn_norm.weight").dtype, DType::F32);
        }
    }

    void badOptionsAreErrors()
    {
        test::TempDir dir;
        MakeModelOptions o;
        o.outDir = dir.path();
        o.architecture = "deepseek3";
        QVERIFY_THROWS_EXCEPTION(Error, makeModel(o));
        o.architecture = "olmoe";
        o.preset = "huge";
        QVERIFY_THROWS_EXCEPTION(Error, makeModel(o));
        o.preset = "tiny";
        o.outDir.clear();
        QVERIFY_THROWS_EXCEPTION(Error, makeModel(o));
    }

    void benchPresetIsAboutOneBillionParameters()
    {
        const ModelPreset* bench = findModelPreset("bench");
        QVERIFY(bench);
        for (const std::string& arch : makeableArchitectures()) {
            const ModelSpec s = makeModelSpec(arch, *bench);
            const int64_t total = s.parameterCounts().total;
            QVERIFY2(total > 900'000'000 && total < 1'400'000'000, arch.c_str());
        }
    }

    // The probe lives with make-model's owner; a smoke test keeps it honest (the figure
    // itself is machine-dependent and reported by `moe bench`, not asserted).
    void bandwidthProbeMeasuresSomething()
    {
        BandwidthProbeOptions o;
        o.threads = 2;
        o.bytes = uint64_t(16) << 20;
        o.passes = 2;
        const BandwidthProbeResult r = probeMemoryBandwidth(o);
        QVERIFY(r.gbPerSecond > 0.1);
        QCOMPARE(r.threads, 2);
        QVERIFY(r.bytes >= (uint64_t(16) << 20) - 8192 && r.bytes <= (uint64_t(16) << 20));
        QVERIFY(measureMemoryBandwidth(1, uint64_t(4) << 20) > 0.1);
    }

    void rngIsPortable()
    {
        // Fixed outputs: a change here changes every made model, so it must be deliberate.
        detail::MakerRng rng(0);
        QCOMPARE(rng.next(), uint64_t(0x99ec5f36cb75f2b4ull));
        uint64_t state = 0;
        QCOMPARE(detail::splitmix64(state), uint64_t(0xe220a8397b1dcdafull));
    }
};

QTEST_APPLESS_MAIN(TestModelMaker)
#include "test_model_maker.moc"
