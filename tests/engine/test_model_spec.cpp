// ModelSpec from real config.json files (written out here from the published configs)
// against parameter counts computed by hand, and the errors bad configs must raise.
#include "moe/architecture.h"
#include "moe/error.h"
#include "moe/model_spec.h"
#include "moe/safetensors.h"

#include <QtTest/QtTest>

#include <nlohmann/json.hpp>

using namespace moe;
using nlohmann::json;

namespace {

json mixtral8x7b()
{
    return json::parse(R"({"architectures": ["MixtralForCausalLM"], "vocab_size": 32000, "hidden_size": 4096,
        "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
        "num_local_experts": 8, "num_experts_per_tok": 2, "rope_theta": 1000000.0, "rms_norm_eps": 1e-05,
        "max_position_embeddings": 32768, "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2})");
}

json qwen3_30b_a3b()
{
    return json::parse(R"({"architectures": ["Qwen3MoeForCausalLM"], "vocab_size": 151936, "hidden_size": 2048,
        "intermediate_size": 6144, "moe_intermediate_size": 768, "num_hidden_layers": 48, "num_attention_heads": 32,
        "num_key_value_heads": 4, "head_dim": 128, "num_experts": 128, "num_experts_per_tok": 8,
        "norm_topk_prob": true, "decoder_sparse_step": 1, "rope_theta": 1000000.0, "rms_norm_eps": 1e-06,
        "max_position_embeddings": 40960, "tie_word_embeddings": false})");
}

json deepseekV3()
{
    return json::parse(R"({"architectures": ["DeepseekV3ForCausalLM"], "vocab_size": 129280, "hidden_size": 7168,
        "intermediate_size": 18432, "moe_intermediate_size": 2048, "num_hidden_layers": 61,
        "num_attention_heads": 128, "num_key_value_heads": 128, "n_routed_experts": 256, "n_shared_experts": 1,
        "num_experts_per_tok": 8, "first_k_dense_replace": 3, "moe_layer_freq": 1, "n_group": 8, "topk_group": 4,
        "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "topk_method": "noaux_tc", "norm_topk_prob": true,
        "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
        "v_head_dim": 128, "rope_theta": 10000, "rms_norm_eps": 1e-06, "max_position_embeddings": 163840,
        "tie_word_embeddings": false})");
}

json olmoe()
{
    return json::parse(R"({"architectures": ["OlmoeForCausalLM"], "vocab_size": 50304, "hidden_size": 2048,
        "intermediate_size": 1024, "num_hidden_layers": 16, "num_attention_heads": 16, "num_key_value_heads": 16,
        "num_experts": 64, "num_experts_per_tok": 8, "norm_topk_prob": false, "rope_theta": 10000.0,
        "rms_norm_eps": 1e-05, "max_position_embeddings": 4096, "tie_word_embeddings": false})");
}

} // namespace

class TestModelSpec : public QObject {
    Q_OBJECT

private slots:
    void mixtralCounts()
    {
        const ModelSpec s = specFromHfConfig(mixtral8x7b(), "config.json");
        QCOMPARE(s.architecture, std::string("mixtral"));
        QVERIFY(s.normTopkProb);
        QCOMPARE(s.headDim, int64_t(128)); // 4096 / 32
        const auto c = s.parameterCounts();
        // experts 32 layers × 8 × 3 × 4096 × 14336      = 45,097,156,608
        // attention 32 × (2 × 4096² + 2 × 4096 × 1024)   =  1,342,177,280
        // router 32 × 8 × 4096                            =      1,048,576
        // norms 32 × 2 × 4096 + 4096                      =        266,240
        // embeddings + head 2 × 32000 × 4096              =    262,144,000
        QCOMPARE(c.routedExperts, int64_t(45097156608));
        QCOMPARE(c.attention, int64_t(1342177280));
        QCOMPARE(c.total, int64_t(46702792704)); // ≈ 46.7 B
        // active: a quarter of the experts (top-2 of 8) = 11,274,289,152 + the rest
        QCOMPARE(c.active, int64_t(12879925248)); // ≈ 12.9 B
        // KV: 32 layers × 2 (k, v) × 8 heads × 128 × 2 bytes (BF16) = 131,072 B
        QCOMPARE(s.kvBytesPerToken(2.0), int64_t(131072));
    }

    void qwen3Counts()
    {
        const ModelSpec s = specFromHfConfig(qwen3_30b_a3b(), "config.json");
        QCOMPARE(s.qkNorm, QkNorm::PerHead);
        const auto c = s.parameterCounts();
        // attention per layer: q 2048×4096 + k,v 2×2048×512 + o 4096×2048 + q/k norm 2×128 = 18,874,624; ×48
        QCOMPARE(c.attention, int64_t(905981952));
        // experts 48 × 128 × 3 × 2048 × 768 = 28,991,029,248
        QCOMPARE(c.routedExperts, int64_t(28991029248));
        QCOMPARE(c.total, int64_t(30532122624)); // ≈ 30.5 B
        // active: 8 of 128 experts = 1,811,939,328 + attention + router 12,582,912 + norms 198,656 + emb 622,329,856
        QCOMPARE(c.active, int64_t(3353032704)); // ≈ 3.3 B
    }

    void deepseekV3Counts()
    {
        const ModelSpec s = specFromHfConfig(deepseekV3(), "config.json");
        QCOMPARE(s.architecture, std::string("deepseek3"));
        QVERIFY(s.usesMla());
        QCOMPARE(s.routerScoring, RouterScoring::Sigmoid);
        QVERIFY(s.routerBiasForSelection);
        QCOMPARE(s.firstDenseLayers, int64_t(3));
        QCOMPARE(s.numMoeLayers(), int64_t(58));
        QVERIFY(!architectureFor(s).runnable);
        const auto c = s.parameterCounts();
        // MLA per layer: q_a 7168×1536 + norm 1536 + q_b 1536×128×192 + kv_a 7168×576 + norm 512
        //   + kv_b 512×128×256 + o 128×128×7168 = 187,107,328; × 61 = 11,413,547,008
        QCOMPARE(c.attention, int64_t(11413547008));
        // dense FFN 3 × 3 × 7168 × 18432 = 1,189,085,184
        QCOMPARE(c.denseFfn, int64_t(1189085184));
        // routed 58 × 256 × 3 × 7168 × 2048 = 653,908,770,816; shared 58 × 3 × 7168 × 2048 = 2,554,331,136
        QCOMPARE(c.routedExperts, int64_t(653908770816));
        QCOMPARE(c.sharedExperts, int64_t(2554331136));
        QCOMPARE(c.total, int64_t(671026419200)); // ≈ 671 B (without the MTP module)
        QCOMPARE(c.active, int64_t(37552297472)); // ≈ 37.6 B
        // MLA KV: (512 + 64) × 61 layers × 2 bytes = 70,272 B per token
        QCOMPARE(s.kvBytesPerToken(2.0), int64_t(70272));
    }

    void olmoeCounts()
    {
        const ModelSpec s = specFromHfConfig(olmoe(), "config.json");
        QCOMPARE(s.qkNorm, QkNorm::Full);
        const auto c = s.parameterCounts();
        // attention 16 × (4 × 2048² + q/k norm 2 × 2048) = 268,500,992; experts 16 × 64 × 3 × 2048 × 1024
        QCOMPARE(c.attention, int64_t(268500992));
        QCOMPARE(c.total, int64_t(6919161856));  // ≈ 6.9 B
        QCOMPARE(c.active, int64_t(1282017280)); // ≈ 1.3 B
    }

    void badConfigs_data()
    {
        QTest::addColumn<QByteArray>("config");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("field");
        auto row = [](const char* name, json j, ErrorCode code, const char* field) {
            QTest::newRow(name) << QByteArray::fromStdString(j.dump()) << int(code) << QString(field);
        };
        json j = mixtral8x7b();
        j["architectures"] = {"GPT2LMHeadModel"};
        row("unknown architecture", j, ErrorCode::UnsupportedArch, "architectures");
        j = mixtral8x7b();
        j.erase("architectures");
        row("no architecture", j, ErrorCode::MissingField, "architectures");
        j = mixtral8x7b();
        j.erase("hidden_size");
        row("missing hidden_size", j, ErrorCode::MissingField, "hidden_size");
        j = mixtral8x7b();
        j["num_key_value_heads"] = 7;
        row("kv heads do not divide heads", j, ErrorCode::BadValue, "num_key_value_heads");
        j = mixtral8x7b();
        j["num_experts_per_tok"] = 9;
        row("top-k above experts", j, ErrorCode::BadValue, "num_experts_per_tok");
        j = mixtral8x7b();
        j["hidden_size"] = "4096";
        row("string where a number belongs", j, ErrorCode::BadValue, "hidden_size");
        j = mixtral8x7b();
        j["vocab_size"] = -1;
        row("negative vocabulary", j, ErrorCode::BadValue, "vocab_size");
        j = mixtral8x7b();
        j["hidden_size"] = int64_t(1) << 40;
        row("implausible size", j, ErrorCode::BadValue, "hidden_size");
        j = deepseekV3();
        j["n_group"] = 7;
        row("groups do not divide experts", j, ErrorCode::BadValue, "n_group");
        j = deepseekV3();
        j["scoring_func"] = "relu";
        row("unknown scoring", j, ErrorCode::UnsupportedType, "scoring_func");
    }

    void badConfigs()
    {
        QFETCH(QByteArray, config);
        QFETCH(int, code);
        QFETCH(QString, field);
        try {
            specFromHfConfig(json::parse(config.toStdString()), "/models/x/config.json");
            QFAIL("no error raised");
        } catch (const Error& e) {
            QCOMPARE(int(e.code()), code);
            QCOMPARE(QString::fromStdString(e.field()), field);
            QCOMPARE(QString::fromStdString(e.file()), QString("/models/x/config.json"));
            QVERIFY(QString(e.what()).contains("config.json"));
        }
    }

    void malformedJsonNamesFile()
    {
        try {
            parseJson("{\"hidden_size\": 4096,,}", "/models/x/config.json");
            QFAIL("no error raised");
        } catch (const Error& e) {
            QCOMPARE(e.code(), ErrorCode::BadJson);
            QCOMPARE(QString::fromStdString(e.file()), QString("/models/x/config.json"));
        }
    }

    void hfConfigRoundTrip_data()
    {
        QTest::addColumn<QByteArray>("config");
        QTest::newRow("mixtral") << QByteArray::fromStdString(mixtral8x7b().dump());
        QTest::newRow("qwen3moe") << QByteArray::fromStdString(qwen3_30b_a3b().dump());
        QTest::newRow("olmoe") << QByteArray::fromStdString(olmoe().dump());
        QTest::newRow("deepseek3") << QByteArray::fromStdString(deepseekV3().dump());
    }

    // hfConfigFor (used by make-model) writes what specFromHfConfig reads back.
    void hfConfigRoundTrip()
    {
        QFETCH(QByteArray, config);
        const ModelSpec a = specFromHfConfig(json::parse(config.toStdString()), "a");
        const ModelSpec b = specFromHfConfig(hfConfigFor(a), "b");
        QCOMPARE(b.parameterCounts().total, a.parameterCounts().total);
        QCOMPARE(b.parameterCounts().active, a.parameterCounts().active);
        QCOMPARE(b.kvBytesPerToken(2.0), a.kvBytesPerToken(2.0));
        QCOMPARE(b.normTopkProb, a.normTopkProb);
        QCOMPARE(b.qkNorm, a.qkNorm);
    }

    // GGUF `llama` Q/K permutation: row 2i of a head comes from row i, row 2i+1 from i + d/2.
    void qkPermutation()
    {
        const int64_t heads = 2, hd = 4;
        std::vector<uint8_t> rows;
        for (int64_t r = 0; r < heads * hd; ++r)
            rows.push_back(uint8_t(r));
        permuteQkRowsForGguf(rows, heads, hd, 1);
        QCOMPARE(rows, (std::vector<uint8_t>{0, 2, 1, 3, 4, 6, 5, 7}));
    }
};

QTEST_APPLESS_MAIN(TestModelSpec)
#include "test_model_spec.moc"
