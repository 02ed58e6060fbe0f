// Recorded decode steps (Backend::replayStep / beginStepRecording, the contract CUDA
// graphs implement) checked on the CPU: a test backend wraps the CPU backend, reports
// itself as a device, and records ops as closures instead of running them, reading the
// position and token ids at replay time as a CUDA graph reads them from device memory.
// Its routing copies (AfterSync) land only when the step's download runs. The engine on
// it must give the plain CPU engine's logits bit for bit (same kernels, same order) and
// the same routing telemetry, through warm-up, recording, replay, a dropped recording,
// a failed recording, and a new KV cache.
#include "test_support.h"
#include "tiny_model.h"

#include "moe/engine.h"
#include "moe/error.h"
#include "moe/sampler.h"
#include "moe/telemetry.h"

#include <QtTest/QtTest>

#include <functional>
#include <map>
#include <set>

using namespace moe;

namespace {

class RecordingBackend final : public Backend {
public:
    RecordingBackend()
        : m_cpu(createCpuBackend({1}))
    {
    }

    // What the test inspects.
    int recordings = 0, replays = 0, aborts = 0, forgets = 0;
    int failNextRecordingAt = -1; // throw from the Nth op of the next recording
    bool failBegin = false;       // beginStepRecording itself throws
    bool recordingOn = true;
    void dropRecordings() { m_graphs.clear(); }

    std::string name() const override { return "recording test backend over " + m_cpu->name(); }
    bool isHost() const override { return false; }
    DeviceTensor allocate(DType dtype, const Shape& shape) override
    {
        notRecording("allocate");
        return m_cpu->allocate(dtype, shape);
    }
    void release(DeviceTensor& t) override { m_cpu->release(t); }
    DeviceTensor weight(const WeightView& w) override { return m_cpu->weight(w); }
    void upload(const void* host, DeviceTensor& dst, uint64_t bytes, uint64_t dstOffset) override
    {
        notRecording("upload");
        m_cpu->upload(host, dst, bytes, dstOffset);
    }
    void download(const DeviceTensor& src, void* host, uint64_t bytes, uint64_t srcOffset) override
    {
        notRecording("download");
        landCopies();
        m_cpu->download(src, host, bytes, srcOffset);
    }
    void synchronize() override
    {
        notRecording("synchronize");
        landCopies();
    }
    void reserve(const BackendReservation& r) override { m_cpu->reserve(r); }

    bool replayStep(const StepKey& key, int64_t position, const int32_t* tokens, int64_t n) override
    {
        const auto it = m_graphs.find(key);
        if (!recordingOn || it == m_graphs.end() || it->second.tokens != n)
            return false;
        m_position = position;
        m_tokens.assign(tokens, tokens + n);
        for (const auto& op : it->second.ops)
            op();
        ++replays;
        return true;
    }
    bool beginStepRecording(const StepKey& key, int64_t position) override
    {
        if (!recordingOn)
            return false;
        if (failBegin)
            throw Error(ErrorCode::OutOfMemory, "recording test backend", "beginStepRecording", "injected failure");
        m_recording = true;
        m_key = key;
        m_position = position;
        m_ops.clear();
        m_opsSeen = 0;
        return true;
    }
    void endStepRecording() override
    {
        m_recording = false;
        Graph& g = m_graphs[m_key];
        g.ops = std::move(m_ops);
        g.tokens = int64_t(m_tokens.size());
        for (const auto& op : g.ops) // recording runs nothing: run it once now
            op();
        ++recordings;
    }
    void abortStepRecording(const std::string& why) override
    {
        QVERIFY2(!why.empty(), "abortStepRecording names why");
        m_recording = false;
        m_ops.clear();
        recordingOn = false;
        ++aborts;
    }
    void forgetSteps(const void* owner) override
    {
        for (auto it = m_graphs.begin(); it != m_graphs.end();)
            it = it->first.owner == owner ? m_graphs.erase(it) : std::next(it);
        ++forgets;
    }
    std::string stepRecordingStatus() const override { return recordingOn ? "on" : "off"; }

    void embed(const DeviceTensor& table, const int32_t* tokens, int64_t n, DeviceTensor& out) override
    {
        m_tokens.assign(tokens, tokens + n); // the "pinned" buffer a replay refills
        queue([this, table, out]() mutable { m_cpu->embed(table, m_tokens.data(), int64_t(m_tokens.size()), out); });
    }
    void rmsNorm(const DeviceTensor& x, const DeviceTensor& weight, float eps, int64_t groupSize,
                 DeviceTensor& out) override
    {
        queue([=, this]() mutable { m_cpu->rmsNorm(x, weight, eps, groupSize, out); });
    }
    void matmul(const DeviceTensor& x, const DeviceTensor& w, const DeviceTensor* bias, DeviceTensor& y) override
    {
        const bool hasBias = bias != nullptr;
        const DeviceTensor b = bias ? *bias : DeviceTensor{};
        queue([=, this]() mutable { m_cpu->matmul(x, w, hasBias ? &b : nullptr, y); });
    }
    void rope(DeviceTensor& x, int64_t startPos, int64_t heads, int64_t headDim, int64_t rotaryDim, float theta,
              RopeLayout layout) override
    {
        if (m_recording && startPos != m_position)
            throw Error(ErrorCode::InvalidArgument, "recording test backend", "rope", "not the recorded position");
        queue([=, this]() mutable { m_cpu->rope(x, position(startPos), heads, headDim, rotaryDim, theta, layout); });
    }
    void storeKv(const DeviceTensor& k, const DeviceTensor& v, DeviceTensor& kCache, DeviceTensor& vCache,
                 int64_t startPos) override
    {
        queue([=, this]() mutable { m_cpu->storeKv(k, v, kCache, vCache, position(startPos)); });
    }
    void attention(const AttentionParams& p) override
    {
        const DeviceTensor q = *p.q, kc = *p.kCache, vc = *p.vCache, out = *p.out;
        queue([=, this]() mutable {
            AttentionParams a = p;
            a.q = &q;
            a.kCache = &kc;
            a.vCache = &vc;
            a.out = const_cast<DeviceTensor*>(&out);
            a.startPos = position(p.startPos);
            m_cpu->attention(a);
        });
    }
    void add(DeviceTensor& x, const DeviceTensor& y) override
    {
        queue([=, this]() mutable { m_cpu->add(x, y); });
    }
    void addScaledRows(DeviceTensor& x, const DeviceTensor& y, const DeviceTensor& rowScale) override
    {
        queue([=, this]() mutable { m_cpu->addScaledRows(x, y, rowScale); });
    }
    void swiglu(const DeviceTensor& gate, const DeviceTensor& up, DeviceTensor& out) override
    {
        queue([=, this]() mutable { m_cpu->swiglu(gate, up, out); });
    }
    void sigmoid(DeviceTensor& x) override
    {
        queue([=, this]() mutable { m_cpu->sigmoid(x); });
    }
    // The row moves and the split norm serve parallel plans, which record nothing.
    void zero(DeviceTensor& x) override
    {
        notRecording("zero");
        m_cpu->zero(x);
    }
    void gatherRows(const DeviceTensor& src, const int32_t* rows, int64_t count, DeviceTensor& dst) override
    {
        notRecording("gatherRows");
        m_cpu->gatherRows(src, rows, count, dst);
    }
    void scatterAddRows(DeviceTensor& dst, const int32_t* rows, int64_t count, const DeviceTensor& src) override
    {
        notRecording("scatterAddRows");
        m_cpu->scatterAddRows(dst, rows, count, src);
    }
    void rowSumSquares(const DeviceTensor& x, DeviceTensor& out) override
    {
        notRecording("rowSumSquares");
        m_cpu->rowSumSquares(x, out);
    }
    void scaleByRms(DeviceTensor& x, const DeviceTensor& sumSq, int64_t width, float eps,
                    const DeviceTensor& weight) override
    {
        notRecording("scaleByRms");
        m_cpu->scaleByRms(x, sumSq, width, eps, weight);
    }
    bool samplesOnDevice = true; // false: sampleToken declines, the engine samples on the host
    int samples = 0;
    int32_t sampleToken(const DeviceTensor& logits, const TokenChoice& c) override
    {
        notRecording("sampleToken");
        landCopies();
        if (!samplesOnDevice)
            return -1;
        ++samples;
        return m_cpu->sampleToken(logits, c);
    }
    RoutingView routeTopK(const DeviceTensor& logits, const RouterParams& p) override
    {
        if (p.hostCopy == RoutingHostCopy::Now) {
            notRecording("routeTopK (now)");
            return m_cpu->routeTopK(logits, p);
        }
        // Device-side routing in m_ids / m_weights; a copy into the slot's buffers that
        // lands with the next download (AfterSync) or never.
        const int64_t n = logits.rows(), k = p.topK;
        Slot& slot = m_slots[p.slot];
        slot.ids.resize(size_t(n * k)); // sized in the warm-up step: stable while recorded
        slot.weights.resize(size_t(n * k));
        const RouterParams params = p;
        const bool copy = p.hostCopy == RoutingHostCopy::AfterSync;
        queue([=, this, &slot]() {
            const RoutingView r = m_cpu->routeTopK(logits, params);
            m_ids.assign(r.expertIds, r.expertIds + n * k);
            m_weights.assign(r.weights, r.weights + n * k);
            if (copy)
                m_pendingCopies.push_back([this, &slot, ids = m_ids, weights = m_weights] {
                    std::copy(ids.begin(), ids.end(), slot.ids.begin());
                    std::copy(weights.begin(), weights.end(), slot.weights.begin());
                });
        });
        if (!copy)
            return {nullptr, nullptr, n, k};
        std::fill(slot.ids.begin(), slot.ids.end(), -7); // garbage until the copy lands
        return {slot.ids.data(), slot.weights.data(), n, k};
    }
    void moeExperts(const MoeFfnParams& p) override
    {
        const DeviceTensor x = *p.x, out = *p.out;
        const std::vector<ExpertWeights>* experts = p.experts;
        const int64_t topK = p.topK;
        queue([=, this]() mutable {
            MoeFfnParams m;
            m.x = &x;
            m.experts = experts;
            m.expertIds = m_ids.data(); // the routing in "device" memory
            m.expertWeights = m_weights.data();
            m.topK = topK;
            m.out = const_cast<DeviceTensor*>(&out);
            m_cpu->moeExperts(m);
        });
    }

private:
    struct Graph {
        std::vector<std::function<void()>> ops;
        int64_t tokens = 0;
    };
    struct Slot {
        std::vector<int32_t> ids;
        std::vector<float> weights;
    };

    void notRecording(const char* op)
    {
        if (m_recording)
            throw Error(ErrorCode::InvalidArgument, "recording test backend", op, "inside a recorded step");
    }
    // The position a recorded op reads from "device memory" (the replay's); as is, the
    // one passed.
    int64_t position(int64_t passed) const { return m_replaying ? m_position : passed; }
    void queue(std::function<void()> op)
    {
        if (!m_recording) {
            op();
            return;
        }
        if (m_opsSeen++ == failNextRecordingAt) {
            failNextRecordingAt = -1;
            throw Error(ErrorCode::InvalidArgument, "recording test backend", "op", "injected recording failure");
        }
        // Position-dependent ops read m_position when they run (see rope and friends):
        // wrap so the recorded closure sees the replay's position.
        m_ops.push_back([this, op = std::move(op)] {
            const bool was = m_replaying;
            m_replaying = true;
            op();
            m_replaying = was;
        });
    }
    void landCopies()
    {
        for (auto& c : m_pendingCopies)
            c();
        m_pendingCopies.clear();
    }

    std::unique_ptr<Backend> m_cpu;
    std::map<StepKey, Graph> m_graphs;
    std::map<int64_t, Slot> m_slots;
    std::vector<std::function<void()>> m_ops, m_pendingCopies;
    std::vector<int32_t> m_tokens, m_ids;
    std::vector<float> m_weights;
    bool m_recording = false, m_replaying = false;
    int m_opsSeen = 0;
    StepKey m_key;
    int64_t m_position = 0;
};

} // namespace

class TestRecordedSteps : public QObject {
    Q_OBJECT

private:
    struct Run {
        std::vector<std::vector<float>> logits;
        std::vector<std::vector<int32_t>> routing; // per step, all tokens' expert ids
    };

    static Run generate(Engine& engine, const std::vector<int32_t>& prompt, int steps,
                        const std::function<void(int)>& beforeStep = {})
    {
        auto buffer = engine.telemetry().subscribe(size_t(steps) + 4);
        Run run;
        std::span<const float> logits = engine.forward(prompt);
        for (int i = 0; i <= steps; ++i) {
            run.logits.emplace_back(logits.begin(), logits.end());
            if (i == steps)
                break;
            if (beforeStep)
                beforeStep(i);
            const int32_t next = argmax(logits);
            logits = engine.forward(std::span<const int32_t>(&next, 1));
        }
        std::vector<StepTelemetryPtr> snaps;
        buffer->drainInto(snaps);
        for (const auto& s : snaps) {
            std::vector<int32_t> ids;
            for (const TokenRouting& t : s->tokenRouting)
                ids.insert(ids.end(), t.expertIds.begin(), t.expertIds.end());
            run.routing.push_back(ids);
        }
        return run;
    }

    static void compareRuns(const Run& got, const Run& want)
    {
        QCOMPARE(got.logits.size(), want.logits.size());
        for (size_t i = 0; i < want.logits.size(); ++i)
            QVERIFY2(got.logits[i] == want.logits[i], qPrintable(QString("logits differ at step %1").arg(i)));
        QCOMPARE(got.routing.size(), want.routing.size());
        for (size_t i = 0; i < want.routing.size(); ++i)
            QVERIFY2(got.routing[i] == want.routing[i], qPrintable(QString("routing differs at step %1").arg(i)));
    }

    static std::unique_ptr<Engine> load(const std::string& path, RecordingBackend** backend)
    {
        EngineOptions o;
        o.threads = 1;
        o.contextLength = 64;
        if (backend)
            o.makeBackend = [backend](int32_t) {
                auto b = std::make_unique<RecordingBackend>();
                *backend = b.get();
                return b;
            };
        return Engine::load(path, o);
    }

private slots:
    void replaysMatchTheCpu_data()
    {
        QTest::addColumn<QString>("arch");
        for (const char* a : {"mixtral", "qwen2moe", "qwen3moe", "olmoe"})
            QTest::newRow(a) << QString(a);
    }

    // Warm-up step, one recording, replays: the same logits and telemetry as the CPU.
    void replaysMatchTheCpu()
    {
        QFETCH(QString, arch);
        test::TempDir dir;
        const MadeModel made = test::makeTinyModel(arch.toStdString(), dir.path(), MakeFormat::Gguf, 5, DType::F32);
        const std::vector<int32_t> prompt = {5, 17, 200, 31, 8};
        const Run want = generate(*load(made.ggufPath, nullptr), prompt, 12);

        RecordingBackend* backend = nullptr;
        auto engine = load(made.ggufPath, &backend);
        const Run got = generate(*engine, prompt, 12);
        compareRuns(got, want);
        QCOMPARE(backend->recordings, 1);  // the second decode step
        QCOMPARE(backend->replays, 12 - 2); // every later one
        QCOMPARE(backend->aborts, 0);
    }

    // A recording the backend dropped (a buffer it used moved) is recorded again; one
    // that fails part way is dropped, the step runs as is, and recording stays off.
    void droppedAndFailedRecordings()
    {
        test::TempDir dir;
        const MadeModel made = test::makeTinyModel("mixtral", dir.path(), MakeFormat::Gguf, 9, DType::F32);
        const std::vector<int32_t> prompt = {1, 2, 3, 4, 5, 6};
        const Run want = generate(*load(made.ggufPath, nullptr), prompt, 14);

        RecordingBackend* backend = nullptr;
        auto engine = load(made.ggufPath, &backend);
        const Run dropped = generate(*engine, prompt, 14, [&](int step) {
            if (step == 6)
                backend->dropRecordings();
        });
        compareRuns(dropped, want);
        QCOMPARE(backend->recordings, 2);
        QCOMPARE(backend->replays, 14 - 3);

        RecordingBackend* failing = nullptr;
        auto engine2 = load(made.ggufPath, &failing);
        failing->failNextRecordingAt = 20; // part way through the layers
        const Run failed = generate(*engine2, prompt, 14);
        compareRuns(failed, want);
        QCOMPARE(failing->aborts, 1);
        QCOMPARE(failing->recordings, 0);
        QCOMPARE(failing->replays, 0);
        QCOMPARE(QString::fromStdString(failing->stepRecordingStatus()), QString("off"));

        RecordingBackend* failingBegin = nullptr;
        auto engine3 = load(made.ggufPath, &failingBegin);
        failingBegin->failBegin = true;
        compareRuns(generate(*engine3, prompt, 14), want);
        QCOMPARE(failingBegin->aborts, 1);
        QCOMPARE(failingBegin->replays, 0);
    }

    // Telemetry off: no routing copy at all, the recording still replays; a reset that
    // rewinds the cache keeps the recording (positions come at replay time).
    void withoutTelemetryAndAfterRewind()
    {
        test::TempDir dir;
        const MadeModel made = test::makeTinyModel("qwen3moe", dir.path(), MakeFormat::Gguf, 3, DType::F32);
        const std::vector<int32_t> prompt = {9, 8, 7};
        EngineOptions o;
        o.threads = 1;
        o.contextLength = 64;
        o.telemetry = false;
        auto cpu = Engine::load(made.ggufPath, o);
        RecordingBackend* backend = nullptr;
        o.makeBackend = [&backend](int32_t) {
            auto b = std::make_unique<RecordingBackend>();
            backend = b.get();
            return b;
        };
        auto gpu = Engine::load(made.ggufPath, o);
        for (int round = 0; round < 2; ++round) {
            if (round == 1) {
                cpu->reset();
                gpu->reset();
            }
            std::span<const float> a = cpu->forward(prompt), b = gpu->forward(prompt);
            for (int i = 0; i < 6; ++i) {
                QVERIFY(std::equal(a.begin(), a.end(), b.begin(), b.end()));
                const int32_t next = argmax(a);
                a = cpu->forward(std::span<const int32_t>(&next, 1));
                b = gpu->forward(std::span<const int32_t>(&next, 1));
            }
            QVERIFY(std::equal(a.begin(), a.end(), b.begin(), b.end()));
        }
        QCOMPARE(backend->recordings, 1);
        QCOMPARE(backend->replays, 6 - 2 + 6);
    }

    void samplingOnTheDeviceGivesTheHostsTokens_data()
    {
        QTest::addColumn<int>("mode"); // 0 greedy, 1 sampled, 2 sampled without top-k, 3 the device declines
        QTest::newRow("greedy") << 0;
        QTest::newRow("t 0.9, top-k 40, top-p, min-p, penalties") << 1;
        QTest::newRow("no top-k: the host samples") << 2;
        QTest::newRow("the device declines: the same draws on the host") << 3;
    }

    // generate() on a device backend samples there (only the token comes back) and must
    // give the tokens the CPU engine's host sampler gives, bans and penalties included.
    void samplingOnTheDeviceGivesTheHostsTokens()
    {
        QFETCH(int, mode);
        test::TempDir dir;
        const MadeModel made = test::makeTinyModel("qwen2moe", dir.path(), MakeFormat::Gguf, 4, DType::F32);
        EngineOptions o;
        o.threads = 1;
        o.contextLength = 96;
        auto cpu = Engine::load(made.ggufPath, o);
        RecordingBackend* backend = nullptr;
        auto device = load(made.ggufPath, &backend);
        backend->samplesOnDevice = mode != 3;
        SamplingParams p = mode == 0 ? SamplingParams::greedy() : SamplingParams{};
        if (mode != 0) {
            p.temperature = 0.9f;
            p.topK = mode == 2 ? 0 : 40;
            p.topP = 0.9f;
            p.minP = 0.05f;
            p.repetitionPenalty = 1.15f;
            p.frequencyPenalty = 0.2f;
            p.presencePenalty = 0.1f;
            p.seed = 1234;
        }
        p.maxTokens = 40;
        p.ignoreEos = true;
        const std::vector<int32_t> prompt = {9, 8, 7, 6, 9, 8};
        const GenerationResult want = cpu->generate(prompt, p);
        const GenerationResult got = device->generate(prompt, p);
        QCOMPARE(int(want.tokens.size()), 40);
        QVERIFY2(got.tokens == want.tokens, "the device's tokens differ from the host's");
        if (mode == 0 || mode == 1)
            QCOMPARE(backend->samples, 39); // every token after the first (the prompt's logits are on the host)
        else
            QCOMPARE(backend->samples, 0);
        std::set<int32_t> distinct(want.tokens.begin(), want.tokens.end());
        if (mode != 0)
            QVERIFY2(distinct.size() > 4, "sampling should vary the tokens");
    }
};

QTEST_APPLESS_MAIN(TestRecordedSteps)
#include "test_recorded_steps.moc"
