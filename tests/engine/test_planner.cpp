// The what-if planner against figures computed by hand (the arithmetic is in the
// comments), its properties, the widely copied seed-table claims it must correct, and
// the errors bad input raises.
#include "moe/error.h"
#include "moe/planner.h"
#include "moe/quant_formats.h"
#include "test_support.h"

#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace moe;

namespace {

const std::string kCatalogDir = std::string(MOE_TEST_DATA_DIR) + "/../../resources/catalog";

const Catalog& catalog()
{
    static const Catalog c = loadCatalog(kCatalogDir);
    return c;
}

bool near(double actual, double expected, double relative = 1e-9)
{
    return std::fabs(actual - expected) <= relative * std::max(1.0, std::fabs(expected));
}

#define QVERIFY_NEAR(actual, expected, rel)                                                                      \
    QVERIFY2(near((actual), (expected), (rel)),                                                                  \
             qPrintable(QString("%1 = %2, expected %3").arg(#actual).arg((actual), 0, 'f', 6).arg((expected), 0, 'f', 6)))

PlanInput baseInput(const std::string& model, QuantFormatId format, const std::string& gpu, int64_t tp)
{
    PlanInput in;
    in.model = catalog().findModel(model)->model;
    in.weightFormat = format;
    in.gpu = *catalog().findGpu(gpu);
    in.usdPerGpuHour = in.gpu.usdPerHour;
    in.scaleUp = *catalog().findInterconnect(in.gpu.scaleUpLink);
    in.scaleOut = *catalog().findInterconnect("infiniband-ndr");
    in.gpuCount = tp;
    in.layout.tp = tp;
    return in;
}

} // namespace

class TestPlanner : public QObject {
    Q_OBJECT

private slots:
    void bytesPerWeightTable()
    {
        QCOMPARE(quantFormat(QuantFormatId::BF16).bytesPerWeight(), 2.0);
        QCOMPARE(quantFormat(QuantFormatId::GGUF_Q8_0).bytesPerWeight(), 34.0 / 32.0);  // 1.0625
        QCOMPARE(quantFormat(QuantFormatId::GGUF_Q6_K).bytesPerWeight(), 210.0 / 256.0); // 0.8203125
        QCOMPARE(quantFormat(QuantFormatId::GGUF_Q5_K).bytesPerWeight(), 176.0 / 256.0); // 0.6875
        QCOMPARE(quantFormat(QuantFormatId::GGUF_Q4_K).bytesPerWeight(), 144.0 / 256.0); // 0.5625
        QCOMPARE(quantFormat(QuantFormatId::GGUF_Q4_0).bytesPerWeight(), 18.0 / 32.0);   // 0.5625
        // AWQ g128: 4 bits + 16-bit scale / 128 + 4-bit zero / 128 = 4.15625 bits = 0.51953125 B
        QCOMPARE(quantFormat(QuantFormatId::INT4_AWQ).bitsPerWeight(), 4.15625);
        QCOMPARE(quantFormat(QuantFormatId::INT4_GPTQ).bytesPerWeight(), 0.51953125);
        // FP8 with one FP32 scale per 128 x 128 block: 1 + 4 / 16384
        QCOMPARE(quantFormat(QuantFormatId::FP8).bytesPerWeight(), 1.0 + 4.0 / 16384.0);
        QVERIFY(findQuantFormat("INT4") && findQuantFormat("int4")->id == QuantFormatId::INT4_AWQ);
        QVERIFY(findQuantFormat("Q4_K_M") && findQuantFormat("q4-k-m")->id == QuantFormatId::GGUF_Q4_K_M);
        QVERIFY(findQuantFormat("F16") && findQuantFormat("F16")->id == QuantFormatId::F16);
        QVERIFY(!findQuantFormat("int3"));
    }

    void llamaCppMixture()
    {
        // use_more_bits over 32 layers: i < 4, i >= 28, and (i - 4) % 3 == 2 for i = 6, 9, ..., 27:
        // 4 + 4 + 8 = 16 layers.
        int n = 0;
        for (int64_t l = 0; l < 32; ++l)
            n += llamaCppUsesMoreBits(l, 32) ? 1 : 0;
        QCOMPARE(n, 16);
        // Mixtral 8x7B (8 experts) in Q4_K_M, per llama.cpp's llama_tensor_get_type:
        //   gate/up experts Q4_K: 2 × 32 × 8 × 4096 × 14336 = 30,064,771,072 × 0.5625 = 16,911,433,728
        //   down experts: 16 layers Q6_K + 16 layers Q4_K: 7,516,192,768 × (0.8203125 + 0.5625) = 10,393,485,312
        //   attention per layer: q 4096² Q4_K 9,437,184 + k, v 2 × 4096 × 1024 Q8_0 8,912,896
        //     + o 4096² Q5_K 11,534,336 = 29,884,416; × 32 = 956,301,312
        //   token_embd Q4_K 32000 × 4096 × 0.5625 = 73,728,000; output Q6_K × 0.8203125 = 107,520,000
        //   router F32 32 × 8 × 4096 × 4 = 4,194,304; norms F32 (32 × 2 × 4096 + 4096) × 4 = 1,064,960
        const WeightBytes w = modelWeightBytes(catalog().findModel("mixtral-8x7b")->model.spec, QuantFormatId::GGUF_Q4_K_M);
        QVERIFY_NEAR(w.routedExperts, 16911433728.0 + 10393485312.0, 1e-12);
        QVERIFY_NEAR(w.attention, 956301312.0, 1e-12);
        QVERIFY_NEAR(w.tokenEmbedding, 73728000.0, 1e-12);
        QVERIFY_NEAR(w.lmHead, 107520000.0, 1e-12);
        QVERIFY_NEAR(w.routerAndNorms, 4194304.0 + 1064960.0, 1e-12);
        QVERIFY_NEAR(w.total(), 28447727616.0, 1e-12); // ≈ 28.4 GB
    }

    void catalogWeightBytes_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<qlonglong>("params");
        QTest::addColumn<qlonglong>("linear");
        QTest::addColumn<qlonglong>("edges");
        // linear = every matmul of the decoder (attention, experts, shared / dense FFN);
        // edges = embeddings + LM head + router + norms + biases, which stay BF16 in the
        // HF formats. params = linear + edges, from the published configs:
        //   Mixtral 8x7B: experts 32 × 8 × 3 × 4096 × 14336 = 45,097,156,608; attention
        //     32 × (2 × 4096² + 2 × 4096 × 1024) = 1,342,177,280; router 1,048,576; norms 266,240;
        //     embeddings 2 × 32000 × 4096 = 262,144,000 -> 46,702,792,704
        //   Mixtral 8x22B: experts 56 × 8 × 3 × 6144 × 16384 = 135,291,469,824; attention
        //     56 × (2 × 6144² + 2 × 6144 × 1024) = 4,932,501,504; router 56 × 8 × 6144 = 2,752,512;
        //     norms 56 × 2 × 6144 + 6144 = 694,272; embeddings 2 × 32768 × 6144 = 402,653,184 -> 140,630,071,296
        //   DeepSeek-V3: 671,026,419,200 (tests/engine/test_model_spec.cpp); edges: embeddings
        //     2 × 129280 × 7168 = 1,853,358,080 + router 58 × 256 × 7169 = 106,445,312 + norms
        //     61 × (2 × 7168 + 1536 + 512) + 7168 = 1,006,592
        //   DBRX: experts 40 × 16 × 3 × 6144 × 10752 = 126,835,752,960; attention 40 × (2 × 6144²
        //     + 2 × 6144 × 1024) = 3,523,215,360; edges 2 × 100352 × 6144 + router 40 × 16 × 6144 + norms
        //   Grok-1: experts 64 × 8 × 3 × 6144 × 32768 = 309,237,645,312; attention 64 × 88,080,384
        //     = 5,637,144,576; tied embedding 131072 × 6144 = 805,306,368 + router + norms
        //   Qwen3-235B-A22B: experts 94 × 128 × 3 × 4096 × 1536 = 227,096,444,928; attention
        //     94 × (2 × 4096 × 8192 + 2 × 4096 × 512) = 6,702,497,792; edges 2 × 151936 × 4096 + router + norms
        //   Qwen1.5-MoE: experts 24 × 60 × 3 × 2048 × 1408 = 12,457,082,880; shared 24 × 3 × 2048 × 5632
        //     = 830,472,192; attention 24 × 4 × 2048² = 402,653,184
        //   gpt-oss-120b: experts 36 × 128 × 3 × 2880 × 2880 = 114,661,785,600; attention
        //     36 × (2 × 2880 × 4096 + 2 × 2880 × 512) = 955,514,880; embeddings 2 × 201088 × 2880
        //   Llama 3.1 70B: FFN 80 × 3 × 8192 × 28672 = 56,371,445,760; attention 80 × (2 × 8192²
        //     + 2 × 8192 × 1024) = 12,079,595,520; embeddings 2 × 128256 × 8192 = 2,101,346,304
        auto row = [](const char* key, qlonglong p, qlonglong l, qlonglong e) {
            QTest::newRow(key) << QString(key) << p << l << e;
        };
        row("mixtral-8x7b", 46702792704LL, 46439333888LL, 263458816LL);
        row("mixtral-8x22b", 140630071296LL, 140223971328LL, 406099968LL);
        row("deepseek-v3", 671026419200LL, 669065609216LL, 1960809984LL);
        row("dbrx", 131596523520LL, 130358968320LL, 1237555200LL);
        row("grok-1", 315684034560LL, 314874789888LL, 809244672LL);
        row("qwen3-30b-a3b", 30532122624LL, 29896998912LL, 635123712LL);
        row("qwen3-235b-a22b", 235093634560LL, 233798893568LL, 1294740992LL);
        row("olmoe-1b-7b", 6919161856LL, 6710886400LL, 208275456LL);
        row("qwen1.5-moe-a2.7b", 14315784192LL, 13690208256LL, 625575936LL);
        row("gpt-oss-20b", 20908050240LL, 19747307520LL, 1160742720LL);
        row("gpt-oss-120b", 116789232960LL, 115617300480LL, 1171932480LL);
        row("llama-3.1-70b", 70553706496LL, 68451041280LL, 2102665216LL);
    }

    void catalogWeightBytes()
    {
        QFETCH(QString, key);
        QFETCH(qlonglong, params);
        QFETCH(qlonglong, linear);
        QFETCH(qlonglong, edges);
        const Catalog::Model* m = catalog().findModel(key.toStdString());
        QVERIFY(m);
        QCOMPARE(qlonglong(m->model.spec.parameterCounts().total), params);
        QCOMPARE(linear + edges, params);
        const double lin = double(linear), edge = double(edges);
        // BF16: 2 bytes each (Mixtral 8x7B: 46.7 B × 2 = 93.4 GB)
        QVERIFY_NEAR(modelWeightBytes(m->model.spec, QuantFormatId::BF16).total(), 2.0 * double(params), 1e-12);
        // FP8: linear × (1 + 4 / 16384) + edges × 2
        QVERIFY_NEAR(modelWeightBytes(m->model.spec, QuantFormatId::FP8).total(), lin * 16388.0 / 16384.0 + 2 * edge, 1e-12);
        // INT4 AWQ g128: linear × 133 / 256 + edges × 2
        QVERIFY_NEAR(modelWeightBytes(m->model.spec, QuantFormatId::INT4_AWQ).total(), lin * 133.0 / 256.0 + 2 * edge,
                     1e-12);
    }

    void mixtralFp16IsAbout93GB()
    {
        // 46,702,792,704 parameters × 2 bytes = 93,405,585,408 B ≈ 93.4 GB
        const auto& spec = catalog().findModel("mixtral-8x7b")->model.spec;
        QCOMPARE(modelWeightBytes(spec, QuantFormatId::F16).total(), 93405585408.0);
    }

    void kvBytesPerToken()
    {
        // Mixtral 8x7B, BF16, GQA: 32 layers × 2 (k, v) × 8 heads × 128 × 2 B = 131,072 B
        QCOMPARE(catalog().findModel("mixtral-8x7b")->model.spec.kvBytesPerToken(2.0), int64_t(131072));
        // DeepSeek-V3, BF16, MLA: (512 + 64) × 61 × 2 = 70,272 B
        QCOMPARE(catalog().findModel("deepseek-v3")->model.spec.kvBytesPerToken(2.0), int64_t(70272));
        // gpt-oss-120b at 32768 tokens: 18 full layers × 32768 + 18 window layers × 128 tokens,
        // each token 2 × 8 × 64 × 2 = 2048 B per layer: 2048 × 18 × (32768 + 128) = 1,212,678,144 B
        QCOMPARE(sequenceKvBytes(catalog().findModel("gpt-oss-120b")->model, 32768, 2.0), 1212678144.0);
    }

    void distinctExperts()
    {
        // 8 × (1 − (1 − 2/8)^8) = 8 × (1 − 0.75^8) = 8 × (1 − 0.1001129150390625) = 7.1990966796875
        QCOMPARE(expectedDistinctExperts(8, 2, 8), 7.1990966796875);
        QCOMPARE(expectedDistinctExperts(8, 2, 1), 2.0); // one token reads exactly its top-k
        // DeepSeek-V3, batch 32: 256 × (1 − (248/256)^32) = 256 × (1 − 0.362055...) ≈ 163.31
        QVERIFY_NEAR(expectedDistinctExperts(256, 8, 32), 163.313845950383, 1e-9);
        QCOMPARE(expectedDistinctExperts(8, 8, 3), 8.0);
        QCOMPARE(expectedDistinctExperts(8, 2, 0), 0.0);
    }

    void costArithmetic()
    {
        // $11.96/h ÷ (1000 tokens/s × 3600 s/h) × 1e6 = $3.3222 per million tokens
        QVERIFY_NEAR(usdPerMillionTokens(11.96, 1000.0), 11.96 / 3.6, 1e-12);
        QCOMPARE(usdPerMillionTokens(10.0, 0.0), 0.0);
        PlanInput in = baseInput("mixtral-8x7b", QuantFormatId::BF16, "h100-sxm", 4);
        in.usdPerGpuHour = 2.99;
        in.qualityScore = 70.6;
        const PlanResult r = planDeployment(in);
        QVERIFY_NEAR(r.cost.usdPerHour, 4 * 2.99, 1e-12);   // $11.96
        QVERIFY_NEAR(r.cost.usdPerMonth, 11.96 * 730, 1e-12); // $8,730.80
        QVERIFY_NEAR(r.cost.usdPerMillionTokens, 11.96 / (r.decode.tokensPerSecond * 3600) * 1e6, 1e-12);
        QVERIFY_NEAR(r.cost.usdPerMillionTokensPerQualityPoint, r.cost.usdPerMillionTokens / 70.6, 1e-12);
    }

    void handComputedDeployment()
    {
        // Mixtral 8x7B BF16 on 2 × H100 SXM, TP2, context 4096, batch 1.
        PlanInput in = baseInput("mixtral-8x7b", QuantFormatId::BF16, "h100-sxm", 2);
        in.contextTokens = 4096;
        const PlanResult r = planDeployment(in);
        // Per GPU: attention 1,342,177,280 params × 2 B / 2 = 1,342,177,280 B; experts
        // 45,097,156,608 × 2 / 2; embeddings + head 2 × 32000 × 4096 × 2 / 2 = 262,144,000;
        // router + norms replicated: (1,048,576 + 266,240) × 2 = 2,629,632.
        QCOMPARE(r.perGpu.attentionWeights, 1342177280.0);
        QCOMPARE(r.perGpu.expertWeights, 45097156608.0);
        QCOMPARE(r.perGpu.embeddings, 262144000.0);
        QCOMPARE(r.perGpu.otherWeights, 2629632.0);
        // KV: 131,072 B × 4096 tokens / 2 ranks (8 KV heads split 4 + 4) = 268,435,456 B
        QCOMPARE(r.perGpu.kvCache, 268435456.0);
        QCOMPARE(r.usableBytesPerGpu, 0.9 * 80e9);
        // Decode, batch 1: top-2 of 8 experts read: 45,097,156,608 × 2/8 = 11,274,289,152 B;
        // + attention + router/norms + LM head 131,072,000 + KV 268,435,456 = 13,018,603,520 B
        // at 3350 GB/s × 0.8 = 4.857688 ms.
        QCOMPARE(r.decode.distinctExpertsPerLayer, 2.0);
        QVERIFY_NEAR(r.decode.weightBytesReadPerGpu + r.decode.kvBytesReadPerGpu, 13018603520.0, 1e-12);
        QVERIFY_NEAR(r.decode.memorySeconds, 13018603520.0 / (3350e9 * 0.8), 1e-12);
        // All-reduce per layer ×2 (attention, MoE): 10 µs + 2 × (1/2) × 8192 B / 450 GB/s; × 32 layers
        const double allReduce = 64 * (10e-6 + 8192.0 / 450e9);
        QVERIFY_NEAR(r.decode.allReduceSeconds, allReduce, 1e-12);
        QVERIFY(!r.decode.computeBound);
        QVERIFY_NEAR(r.decode.tokensPerSecond, 1.0 / (13018603520.0 / (3350e9 * 0.8) + allReduce), 1e-12); // ≈ 181.8
        QVERIFY(r.fits);
    }

    void propertyMoreGpusNeverRaiseWeightsPerGpu()
    {
        for (const auto& m : catalog().models) {
            double last = 1e300;
            for (int64_t tp : {1, 2, 4, 8}) {
                PlanInput in = baseInput(m.model.key, QuantFormatId::FP8, "h200", tp);
                try {
                    const PlanResult r = planDeployment(in);
                    QVERIFY2(r.perGpu.weights() <= last * (1 + 1e-12), m.model.key.c_str());
                    last = r.perGpu.weights();
                } catch (const Error& e) {
                    QCOMPARE(std::string(e.field()), std::string("tp")); // heads that do not divide
                }
            }
            PlanInput pp = baseInput(m.model.key, QuantFormatId::FP8, "h200", 1);
            double lastPp = 1e300;
            for (int64_t stages : {1, 2, 4}) {
                pp.layout.pp = stages;
                pp.gpuCount = stages;
                const PlanResult r = planDeployment(pp);
                QVERIFY2(r.perGpu.weights() <= lastPp * (1 + 1e-12), m.model.key.c_str());
                lastPp = r.perGpu.weights();
            }
        }
    }

    void propertyLongerContextNeverLowersKv()
    {
        for (const auto& m : catalog().models) {
            double last = -1;
            for (int64_t ctx : {1, 128, 129, 4096, 32768, 131072}) {
                PlanInput in = baseInput(m.model.key, QuantFormatId::BF16, "b200", 8);
                if (in.model.spec.numHeads % 8 != 0)
                    in.layout.tp = in.gpuCount = 1;
                in.contextTokens = ctx;
                const PlanResult r = planDeployment(in);
                QVERIFY2(r.perGpu.kvCache >= last, m.model.key.c_str());
                last = r.perGpu.kvCache;
            }
        }
    }

    void propertyInt4NeverNeedsMoreThanFp8()
    {
        for (const auto& m : catalog().models) {
            for (QuantFormatId small : {QuantFormatId::INT4_AWQ, QuantFormatId::INT4_GPTQ, QuantFormatId::GGUF_Q4_K_M,
                                        QuantFormatId::GGUF_Q4_0}) {
                PlanInput fp8 = baseInput(m.model.key, QuantFormatId::FP8, "h100-sxm", 1);
                PlanInput int4 = fp8;
                int4.weightFormat = small;
                const PlanResult a = planDeployment(fp8), b = planDeployment(int4);
                QVERIFY2(b.perGpu.total() <= a.perGpu.total(), m.model.key.c_str());
                QVERIFY2(b.modelWeights.total() <= a.modelWeights.total(), m.model.key.c_str());
                QVERIFY(b.maxConcurrentSequences >= a.maxConcurrentSequences);
            }
        }
    }

    void seedTableMixtral8x22bInt4OnOneCard()
    {
        // Widely copied: "Mixtral 8x22B INT4 ≈ 71 GB, fits one 80 GB card". With AWQ's scales
        // and zeros and BF16 embeddings: 140,223,971,328 × 133/256 + 406,099,968 × 2
        // = 72,850,735,104 + 812,199,936 = 73,662,935,040 B ≈ 73.7 GB.
        PlanInput in = baseInput("mixtral-8x22b", QuantFormatId::INT4_AWQ, "h100-sxm", 1);
        in.contextTokens = 32768;
        PlanResult r = planDeployment(in);
        QVERIFY_NEAR(r.modelWeights.total(), 73662935040.0, 1e-12);
        // 0.9 × 80 GB = 72 GB usable: the weights alone do not fit.
        QVERIFY(!r.fits);
        QCOMPARE(r.maxConcurrentSequences, int64_t(0));
        // Even using all 80 GB: 80 − 73.66 − 1.61 (context + workspace) − activations leaves
        // less than one 32k sequence of KV (56 × 2 × 8 × 128 × 2 B × 32768 = 7.52 GB).
        in.overheads.usableMemoryFraction = 1.0;
        r = planDeployment(in);
        QCOMPARE(r.kvBytesPerToken, 229376.0);
        QVERIFY(r.maxConcurrentSequences < 1);
        QVERIFY(!r.notes.empty());
    }

    void seedTableDeepSeekV3Int4OnFourCards()
    {
        // Widely copied: "DeepSeek-V3 INT4 ≈ 336 GB" (671 B × 0.5 B) — already above 4 × 80 GB
        // = 320 GB; counted properly: 669,065,609,216 × 133/256 + 1,960,809,984 × 2
        // = 347,600,492,288 + 3,921,619,968 = 351,522,112,256 B ≈ 351.5 GB.
        PlanInput in = baseInput("deepseek-v3", QuantFormatId::INT4_AWQ, "h100-sxm", 4);
        const PlanResult r = planDeployment(in);
        QVERIFY_NEAR(r.modelWeights.total(), 351522112256.0, 1e-12);
        QVERIFY(r.modelWeights.total() > 4 * 80e9);
        QVERIFY(!r.fits);
        QVERIFY(r.marginBytes < 0);
        // The fewest H100s for it: more than 4 in every layout family.
        for (const LayoutOption& o : fewestGpusPerLayout(in))
            QVERIFY2(o.layout.gpuCount() > 4, o.family.c_str());
    }

    void expertParallelReadsFewerBytesThanBatchSuggests()
    {
        // Batch 8 on Mixtral reads 7.2 of 8 experts, not 8 × 2 = 16 expert loads.
        PlanInput in = baseInput("mixtral-8x7b", QuantFormatId::BF16, "h100-sxm", 4);
        in.layout.ep = 4;
        in.batch = 8;
        const PlanResult r = planDeployment(in);
        QVERIFY_NEAR(r.decode.distinctExpertsPerLayer, 7.1990966796875, 1e-12);
        QVERIFY(r.decode.allToAllSeconds > 0);
        QVERIFY(r.decode.tokensPerSecond > r.decode.tokensPerSecondPerSequence);
    }

    void cheapestFitsAreSortedAndFit()
    {
        PlanInput in = baseInput("qwen3-30b-a3b", QuantFormatId::BF16, "h100-sxm", 1);
        in.contextTokens = 8192;
        in.batch = 4;
        const auto options = cheapestFittingLayouts(in, catalog(), 10);
        QVERIFY(!options.empty());
        for (size_t i = 0; i < options.size(); ++i) {
            QVERIFY(options[i].result.fits);
            if (i > 0)
                QVERIFY(options[i - 1].result.cost.usdPerHour <= options[i].result.cost.usdPerHour);
        }
    }

    void badInput_data()
    {
        QTest::addColumn<QString>("what");
        QTest::addColumn<QString>("field");
        QTest::newRow("zero GPUs") << "zero-gpus" << "gpu_count";
        QTest::newRow("negative price") << "negative-price" << "price";
        QTest::newRow("heads not divisible by TP") << "tp3" << "tp";
        QTest::newRow("EP above experts") << "ep16" << "ep";
        QTest::newRow("EP on a dense model") << "dense-ep" << "ep";
        QTest::newRow("count != tp x pp x dp") << "count-mismatch" << "gpu_count";
        QTest::newRow("PP above layers") << "pp" << "pp";
        QTest::newRow("zero batch") << "batch" << "batch";
        QTest::newRow("zero context") << "context" << "context";
        QTest::newRow("usable fraction above 1") << "fraction" << "usable_memory_fraction";
    }

    void badInput()
    {
        QFETCH(QString, what);
        QFETCH(QString, field);
        PlanInput in = baseInput("mixtral-8x7b", QuantFormatId::BF16, "h100-sxm", 1);
        const std::string w = what.toStdString();
        if (w == "zero-gpus") { in.gpuCount = 0; }
        if (w == "negative-price") { in.usdPerGpuHour = -1; }
        if (w == "tp3") { in.layout.tp = in.gpuCount = 3; }
        if (w == "ep16") { in.layout.tp = in.gpuCount = 16; in.layout.ep = 16; }
        if (w == "dense-ep") { in = baseInput("llama-3.1-70b", QuantFormatId::BF16, "h100-sxm", 2); in.layout.ep = 2; }
        if (w == "count-mismatch") { in.gpuCount = 4; in.layout.tp = 2; }
        if (w == "pp") { in.layout.pp = in.gpuCount = 33; }
        if (w == "batch") { in.batch = 0; }
        if (w == "context") { in.contextTokens = 0; }
        if (w == "fraction") { in.overheads.usableMemoryFraction = 1.5; }
        try {
            planDeployment(in);
            QFAIL("no error raised");
        } catch (const Error& e) {
            QCOMPARE(QString::fromStdString(e.field()), field);
            QVERIFY(e.detail().find_first_of("0123456789") != std::string::npos); // names the number
        }
    }

    void catalogIsComplete()
    {
        for (const char* m : {"mixtral-8x7b", "mixtral-8x22b", "deepseek-v3", "dbrx", "grok-1", "qwen3-30b-a3b",
                              "qwen3-235b-a22b", "olmoe-1b-7b", "qwen1.5-moe-a2.7b", "gpt-oss-20b", "gpt-oss-120b",
                              "llama-3.1-70b"})
            QVERIFY2(catalog().findModel(m), m);
        for (const char* g : {"h100-sxm", "h100-pcie", "h200", "b200", "a100-80gb", "l40s", "rtx-4090", "rtx-5090", "mi300x"})
            QVERIFY2(catalog().findGpu(g), g);
        for (const char* l : {"nvlink4", "pcie-gen4", "pcie-gen5", "infiniband-ndr"})
            QVERIFY2(catalog().findInterconnect(l), l);
        QVERIFY(!catalog().findModel("gpt-5"));
        QVERIFY(!catalog().findModel("llama-3.1-70b")->model.spec.isMoe());
    }

    void catalogErrorsNameFileAndField_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("pointer"); // JSON pointer of the value to remove
        QTest::addColumn<QString>("field");
        QTest::newRow("GPU without memory") << "gpus.json" << "/gpus/2/memory_gb" << "gpus[2].memory_gb";
        QTest::newRow("GPU price without source") << "gpus.json" << "/gpus/0/price/source" << "gpus[0].price.source";
        QTest::newRow("model without date") << "models.json" << "/models/1/date" << "models[1].date";
        QTest::newRow("config without hidden_size") << "models.json" << "/models/0/config/hidden_size" << "hidden_size";
        QTest::newRow("spec without layers") << "models.json" << "/models/3/spec/num_hidden_layers"
                                             << "models[3].spec.num_hidden_layers";
        QTest::newRow("link without bandwidth") << "interconnects.json" << "/interconnects/1/bandwidth_gb_per_second"
                                                << "interconnects[1].bandwidth_gb_per_second";
    }

    void catalogErrorsNameFileAndField()
    {
        QFETCH(QString, file);
        QFETCH(QString, pointer);
        QFETCH(QString, field);
        test::TempDir dir;
        for (const char* f : {"models.json", "gpus.json", "interconnects.json"})
            std::filesystem::copy_file(kCatalogDir + "/" + f, dir.file(f));
        nlohmann::json j = nlohmann::json::parse(test::readFile(dir.file(file.toStdString())));
        const nlohmann::json::json_pointer ptr(pointer.toStdString());
        j[ptr.parent_pointer()].erase(ptr.back());
        test::writeFile(dir.file(file.toStdString()), j.dump());
        try {
            loadCatalog(dir.path());
            QFAIL("no error raised");
        } catch (const Error& e) {
            QCOMPARE(QString::fromStdString(e.field()), field);
            QVERIFY2(QString(e.what()).contains(file), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestPlanner)
#include "test_planner.moc"
