// Parallel plans on device backends (what several GPUs with NCCL do) checked on the CPU.
//
// Each device gets a test backend whose memory the host cannot read: its pointers are
// host pointers moved into the non-canonical half of the x86-64 address space, so any
// host access to "device" memory crashes the test. Its ops are queued, as on a GPU
// stream, and run only at synchronize() / download() / a routing copy; host arrays an
// op takes (token ids, row indices, routing) are copied when the op is issued. The
// communicator is the LocalCommunicator behind a shim that maps the pointers back and
// fails when a device still has queued work as a collective starts.
//
// Against the same plan on virtual CPU devices (host memory, one backend) the logits
// must be bit-identical and the traffic byte for byte the same; against one device
// within 1e-5 (F32 weights); and every device allocation is released when the engine goes away.
#include "test_support.h"

#include "moe/communicator.h"
#include "moe/engine.h"
#include "moe/error.h"
#include "moe/model_maker.h"
#include "moe/parallel_plan.h"

#include <QtTest/QtTest>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <unordered_set>

using namespace moe;

namespace {

constexpr uintptr_t kFar = uintptr_t(1) << 62; // non-canonical: a host access faults

void* far(void* p) { return p ? reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(p) | kFar) : nullptr; }
void* near(void* p)
{
    const auto u = reinterpret_cast<uintptr_t>(p);
    if (p && !(u & kFar))
        throw Error(ErrorCode::InvalidArgument, "far test backend", "pointer", "host memory passed as device memory");
    return reinterpret_cast<void*>(u & ~kFar);
}
DeviceTensor near(const DeviceTensor& t)
{
    DeviceTensor n = t;
    n.data = near(t.data);
    return n;
}

struct Ledger {
    int64_t live = 0;     // device allocations not yet released, over all devices
    int64_t maxQueued = 0;
    int64_t ops = 0;
};

class FarBackend : public Backend {
public:
    explicit FarBackend(Ledger& ledger)
        : m_cpu(createCpuBackend({1}))
        , m_ledger(ledger)
    {
    }
    ~FarBackend() override
    {
        for (DeviceTensor t : m_allocations)
            m_cpu->release(t);
    }

    size_t queued() const { return m_queue.size(); }

    std::string name() const override { return "far test device"; }
    bool isHost() const override { return false; }
    DeviceTensor allocate(DType dtype, const Shape& shape) override
    {
        DeviceTensor t = m_cpu->allocate(dtype, shape);
        m_allocations.insert(t);
        ++m_ledger.live;
        t.data = far(t.data);
        return t;
    }
    void release(DeviceTensor& t) override
    {
        if (t.owned && t.data) {
            DeviceTensor n = near(t);
            if (!m_allocations.erase(n))
                throw Error(ErrorCode::InvalidArgument, "far test backend", "release", "not allocated here");
            m_cpu->release(n);
            --m_ledger.live;
        }
        t = DeviceTensor{};
    }
    DeviceTensor weight(const WeightView& w) override // a copy, as a GPU makes
    {
        DeviceTensor t = allocate(w.dtype, w.shape);
        upload(w.data, t, w.bytes, 0);
        return t;
    }
    void upload(const void* host, DeviceTensor& dst, uint64_t bytes, uint64_t dstOffset) override
    {
        flush();
        DeviceTensor n = near(dst);
        m_cpu->upload(host, n, bytes, dstOffset);
    }
    void download(const DeviceTensor& src, void* host, uint64_t bytes, uint64_t srcOffset) override
    {
        flush();
        m_cpu->download(near(src), host, bytes, srcOffset);
    }
    void synchronize() override { flush(); }
    void reserve(const BackendReservation& r) override { m_cpu->reserve(r); }

    void embed(const DeviceTensor& table, const int32_t* tokens, int64_t n, DeviceTensor& out) override
    {
        queue([=, this, ids = std::vector<int32_t>(tokens, tokens + n)]() mutable {
            DeviceTensor o = near(out);
            m_cpu->embed(near(table), ids.data(), n, o);
        });
    }
    void rmsNorm(const DeviceTensor& x, const DeviceTensor& weight, float eps, int64_t groupSize,
                 DeviceTensor& out) override
    {
        queue([=, this] {
            DeviceTensor o = near(out);
            m_cpu->rmsNorm(near(x), near(weight), eps, groupSize, o);
        });
    }
    void matmul(const DeviceTensor& x, const DeviceTensor& w, const DeviceTensor* bias, DeviceTensor& y) override
    {
        const bool hasBias = bias != nullptr;
        const DeviceTensor b = bias ? *bias : DeviceTensor{};
        queue([=, this] {
            DeviceTensor o = near(y);
            const DeviceTensor nb = near(b);
            m_cpu->matmul(near(x), near(w), hasBias ? &nb : nullptr, o);
        });
    }
    void rope(DeviceTensor& x, int64_t startPos, int64_t heads, int64_t headDim, int64_t rotaryDim, float theta,
              RopeLayout layout) override
    {
        queue([=, this] {
            DeviceTensor n = near(x);
            m_cpu->rope(n, startPos, heads, headDim, rotaryDim, theta, layout);
        });
    }
    void storeKv(const DeviceTensor& k, const DeviceTensor& v, DeviceTensor& kCache, DeviceTensor& vCache,
                 int64_t startPos) override
    {
        queue([=, this] {
            DeviceTensor kc = near(kCache), vc = near(vCache);
            m_cpu->storeKv(near(k), near(v), kc, vc, startPos);
        });
    }
    void attention(const AttentionParams& p) override
    {
        const DeviceTensor q = *p.q, kc = *p.kCache, vc = *p.vCache, out = *p.out;
        queue([=, this] {
            const DeviceTensor nq = near(q), nk = near(kc), nv = near(vc);
            DeviceTensor no = near(out);
            AttentionParams a = p;
            a.q = &nq;
            a.kCache = &nk;
            a.vCache = &nv;
            a.out = &no;
            m_cpu->attention(a);
        });
    }
    void add(DeviceTensor& x, const DeviceTensor& y) override
    {
        queue([=, this] {
            DeviceTensor n = near(x);
            m_cpu->add(n, near(y));
        });
    }
    void addScaledRows(DeviceTensor& x, const DeviceTensor& y, const DeviceTensor& rowScale) override
    {
        queue([=, this] {
            DeviceTensor n = near(x);
            m_cpu->addScaledRows(n, near(y), near(rowScale));
        });
    }
    void swiglu(const DeviceTensor& gate, const DeviceTensor& up, DeviceTensor& out) override
    {
        queue([=, this] {
            DeviceTensor o = near(out);
            m_cpu->swiglu(near(gate), near(up), o);
        });
    }
    void sigmoid(DeviceTensor& x) override
    {
        queue([=, this] {
            DeviceTensor n = near(x);
            m_cpu->sigmoid(n);
        });
    }
    void zero(DeviceTensor& x) override
    {
        queue([=, this] {
            DeviceTensor n = near(x);
            m_cpu->zero(n);
        });
    }
    void gatherRows(const DeviceTensor& src, const int32_t* rows, int64_t count, DeviceTensor& dst) override
    {
        queue([=, this, r = std::vector<int32_t>(rows, rows + count)] {
            DeviceTensor n = near(dst);
            m_cpu->gatherRows(near(src), r.data(), count, n);
        });
    }
    void scatterAddRows(DeviceTensor& dst, const int32_t* rows, int64_t count, const DeviceTensor& src) override
    {
        queue([=, this, r = std::vector<int32_t>(rows, rows + count)] {
            DeviceTensor n = near(dst);
            m_cpu->scatterAddRows(n, r.data(), count, near(src));
        });
    }
    void rowSumSquares(const DeviceTensor& x, DeviceTensor& out) override
    {
        queue([=, this] {
            DeviceTensor o = near(out);
            m_cpu->rowSumSquares(near(x), o);
        });
    }
    void scaleByRms(DeviceTensor& x, const DeviceTensor& sumSq, int64_t width, float eps,
                    const DeviceTensor& weight) override
    {
        queue([=, this] {
            DeviceTensor n = near(x);
            m_cpu->scaleByRms(n, near(sumSq), width, eps, near(weight));
        });
    }
    RoutingView routeTopK(const DeviceTensor& logits, const RouterParams& p) override
    {
        if (p.hostCopy != RoutingHostCopy::Now)
            throw Error(ErrorCode::InvalidArgument, "far test backend", "routeTopK", "the parallel pass copies now");
        flush(); // the copy waits for the queue, as on a GPU
        return m_cpu->routeTopK(near(logits), p);
    }
    void moeExperts(const MoeFfnParams& p) override
    {
        if (!p.routingOnHost || !p.expertIds || !p.expertWeights)
            throw Error(ErrorCode::InvalidArgument, "far test backend", "moeExperts", "expected routing from the host");
        const int64_t count = p.x->rows() * p.topK;
        std::vector<ExpertWeights> experts;
        for (const ExpertWeights& e : *p.experts)
            experts.push_back({near(e.gate), near(e.up), near(e.down)});
        queue([=, this, experts = std::move(experts), ids = std::vector<int32_t>(p.expertIds, p.expertIds + count),
               gates = std::vector<float>(p.expertWeights, p.expertWeights + count), x = *p.x, out = *p.out] {
            const DeviceTensor nx = near(x);
            DeviceTensor no = near(out);
            MoeFfnParams m;
            m.x = &nx;
            m.experts = &experts;
            m.expertIds = ids.data();
            m.expertWeights = gates.data();
            m.topK = p.topK;
            m.out = &no;
            m.routingOnHost = true;
            m_cpu->moeExperts(m);
        });
    }

private:
    struct Hash {
        size_t operator()(const DeviceTensor& t) const { return std::hash<void*>()(t.data); }
    };
    struct Same {
        bool operator()(const DeviceTensor& a, const DeviceTensor& b) const { return a.data == b.data; }
    };

    void queue(std::function<void()> op)
    {
        m_queue.push_back(std::move(op));
        m_ledger.maxQueued = std::max<int64_t>(m_ledger.maxQueued, int64_t(m_queue.size()));
        ++m_ledger.ops;
    }
    void flush()
    {
        for (auto& op : m_queue)
            op();
        m_queue.clear();
    }

    std::unique_ptr<Backend> m_cpu;
    Ledger& m_ledger;
    std::vector<std::function<void()>> m_queue;
    std::unordered_set<DeviceTensor, Hash, Same> m_allocations;
};

// LocalCommunicator on the far devices' memory; refuses to start a collective while a
// participant has queued work (its buffers would not be ready on a GPU).
class FarCommunicator final : public Communicator {
public:
    FarCommunicator(int32_t devices, std::vector<FarBackend*>& backends)
        : m_local(createLocalCommunicator({devices, LinkModel::nvlink4()}))
        , m_backends(backends)
    {
    }
    std::string name() const override { return "far " + m_local->name(); }
    int32_t deviceCount() const override { return m_local->deviceCount(); }

    void allReduceSum(std::span<const int32_t> ranks, float* const* buffers, int64_t count, CollectiveTag tag) override
    {
        prepare(ranks);
        m_local->allReduceSum(ranks, nearList(buffers, ranks.size(), m_a), count, tag);
    }
    void allGatherV(std::span<const int32_t> ranks, const float* const* send, float* const* recv, const int64_t* counts,
                    CollectiveTag tag) override
    {
        prepare(ranks);
        m_local->allGatherV(ranks, nearList(send, ranks.size(), m_c), nearList(recv, ranks.size(), m_b), counts, tag);
    }
    void allToAllV(std::span<const int32_t> ranks, const float* const* send, float* const* recv, const int64_t* counts,
                   CollectiveTag tag) override
    {
        prepare(ranks);
        m_local->allToAllV(ranks, nearList(send, ranks.size(), m_c), nearList(recv, ranks.size(), m_b), counts, tag);
    }
    void broadcast(std::span<const int32_t> ranks, int32_t root, float* const* buffers, int64_t count,
                   CollectiveTag tag) override
    {
        prepare(ranks);
        m_local->broadcast(ranks, root, nearList(buffers, ranks.size(), m_a), count, tag);
    }

    int64_t collectives = 0;

private:
    void prepare(std::span<const int32_t> ranks)
    {
        for (int32_t r : ranks)
            if (m_backends.at(size_t(r))->queued() != 0)
                throw Error(ErrorCode::InvalidArgument, "far communicator", "collective",
                            "device " + std::to_string(r) + " still has queued work");
        m_local->setTrafficSink(m_sink);
        m_local->setLinkModel(m_link);
        ++collectives;
    }
    template <class T>
    T* const* nearList(T* const* list, size_t n, std::vector<T*>& out)
    {
        out.resize(n);
        for (size_t i = 0; i < n; ++i)
            out[i] = static_cast<T*>(near(const_cast<void*>(static_cast<const void*>(list[i]))));
        return out.data();
    }

    std::unique_ptr<Communicator> m_local;
    std::vector<FarBackend*>& m_backends;
    std::vector<float*> m_a, m_b;
    std::vector<const float*> m_c;
};

const std::vector<int32_t> kPrompt = {5, 17, 99, 3, 250, 17, 42, 8, 77, 130, 1, 64};
constexpr int kDecodeSteps = 8;

struct Run {
    std::vector<std::vector<float>> logits; // prefill, then each decode step
    std::vector<TrafficMatrix> traffic;
};

Run runSteps(Engine& e)
{
    Run out;
    auto step = [&](std::span<const int32_t> tokens) {
        auto l = e.forward(tokens);
        out.logits.emplace_back(l.begin(), l.end());
        if (e.lastTraffic())
            out.traffic.push_back(*e.lastTraffic());
    };
    step(kPrompt);
    for (int i = 0; i < kDecodeSteps; ++i) {
        const int32_t tok = int32_t((11 + 13 * i) % e.spec().vocabSize);
        step(std::span<const int32_t>(&tok, 1));
    }
    return out;
}

} // namespace

class TestParallelDevices : public QObject {
    Q_OBJECT

    test::TempDir m_dir;
    std::map<std::string, std::string> m_models; // name → model path

    std::unique_ptr<Engine> load(const std::string& model, int tp, int ep, PlacementPolicy placement,
                                 Ledger* ledger = nullptr, std::vector<FarBackend*>* far = nullptr,
                                 FarCommunicator** comm = nullptr)
    {
        EngineOptions eo;
        eo.threads = 1; // the far devices' CPU backends have one thread each: same sums
        eo.contextLength = 64;
        eo.parallel.tp = tp;
        eo.parallel.ep = ep;
        eo.parallel.devices = tp * ep;
        eo.parallel.placement = placement;
        if (placement == PlacementPolicy::Balanced)
            eo.parallel.expertLoads = {100, 10, 5, 1};
        if (ledger) {
            eo.makeBackend = [ledger, far](int32_t device) {
                auto b = std::make_unique<FarBackend>(*ledger);
                far->resize(size_t(device) + 1);
                (*far)[size_t(device)] = b.get();
                return b;
            };
            eo.makeCommunicator = [far, comm](int32_t devices) {
                auto c = std::make_unique<FarCommunicator>(devices, *far);
                *comm = c.get();
                return c;
            };
        }
        return Engine::load(m_models.at(model), eo);
    }

private slots:
    void initTestCase()
    {
        for (const char* arch : {"mixtral", "qwen2moe", "qwen3moe", "olmoe"}) {
            MakeModelOptions mo;
            mo.architecture = arch;
            mo.preset = "tiny";
            mo.seed = 5;
            mo.format = MakeFormat::Safetensors;
            mo.dtype = DType::F32;
            mo.outDir = m_dir.path() + "/" + arch;
            m_models[arch] = makeModel(mo).hfDir;
        }
        MakeModelOptions mo; // quantized rows: shards are byte ranges, column slices dequantised
        mo.architecture = "qwen2moe";
        mo.preset = "tiny";
        mo.seed = 6;
        mo.format = MakeFormat::Gguf;
        mo.dtype = DType::Q8_0;
        mo.outDir = m_dir.path() + "/q8";
        m_models["qwen2moe-q8_0"] = makeModel(mo).ggufPath;
    }

    void sameAsVirtualDevices_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("tp");
        QTest::addColumn<int>("ep");
        QTest::addColumn<int>("placement");
        for (const char* arch : {"mixtral", "qwen2moe", "qwen3moe", "olmoe"}) {
            QTest::addRow("%s tp2 ep2", arch) << QString(arch) << 2 << 2 << 0;
            QTest::addRow("%s tp4", arch) << QString(arch) << 4 << 1 << 0;
            QTest::addRow("%s ep4", arch) << QString(arch) << 1 << 4 << 0;
        }
        QTest::newRow("olmoe tp2 ep4 balanced") << "olmoe" << 2 << 4 << 2;
        QTest::newRow("qwen3moe tp2 ep2 round-robin") << "qwen3moe" << 2 << 2 << 1;
        QTest::newRow("qwen2moe q8_0 tp2 ep2") << "qwen2moe-q8_0" << 2 << 2 << 0;
        QTest::newRow("qwen2moe q8_0 tp2") << "qwen2moe-q8_0" << 2 << 1 << 0;
        QTest::newRow("qwen2moe q8_0 ep2") << "qwen2moe-q8_0" << 1 << 2 << 0;
    }

    // Prefill and decode steps: logits bit-identical to virtual CPU devices and within
    // 1e-5 of one device, traffic the same bytes, no host access to device memory (a
    // fault), no collective over unfinished work, nothing left allocated.
    void sameAsVirtualDevices()
    {
        QFETCH(QString, model);
        QFETCH(int, tp);
        QFETCH(int, ep);
        QFETCH(int, placement);
        const std::string name = model.toStdString();
        const auto policy = PlacementPolicy(placement);

        EngineOptions one;
        one.threads = 1;
        one.contextLength = 64;
        const Run single = runSteps(*Engine::load(m_models.at(name), one));
        const Run host = runSteps(*load(name, tp, ep, policy));

        Ledger ledger;
        std::vector<FarBackend*> far;
        FarCommunicator* comm = nullptr;
        {
            auto engine = load(name, tp, ep, policy, &ledger, &far, &comm);
            QCOMPARE(int(far.size()), tp * ep);
            QVERIFY(ledger.live > 0);
            const Run device = runSteps(*engine);
            QVERIFY(comm && comm->collectives > 0);
            QVERIFY2(ledger.maxQueued > 1, "ops were queued, not run at once");
            QCOMPARE(device.logits.size(), host.logits.size());
            for (size_t step = 0; step < host.logits.size(); ++step) {
                QVERIFY2(device.logits[step] == host.logits[step], qPrintable(QString("step %1 differs").arg(step)));
                const TrafficMatrix &a = device.traffic[step], &b = host.traffic[step];
                QCOMPARE(a.totalBytes(), b.totalBytes());
                for (int64_t l = 0; l < a.layers; ++l)
                    for (int64_t k = 0; k < kTrafficKinds; ++k)
                        for (int32_t s = 0; s < a.devices; ++s)
                            for (int32_t t = 0; t < a.devices; ++t)
                                QVERIFY(a.at(l, TrafficKind(k), s, t) == b.at(l, TrafficKind(k), s, t));
                // Q8_0 slices keep their blocks (the slice edges are multiples of 32), so TP
                // sums the same block products as one device, in another order. Under EP an
                // expert gets fewer rows of a prefill on each device, and the CPU multiplies
                // few rows by 8-bit activations but many by F32 panels: 8-bit rounding apart.
                const bool rowsDiffer = model.contains("q8_0") && ep > 1;
                const double d = test::relDiff(device.logits[step], single.logits[step]);
                QVERIFY2(d < (rowsDiffer ? 3e-2 : 1e-5), qPrintable(QString("step %1: %2 from one device").arg(step).arg(d)));
            }
        }
        QCOMPARE(ledger.live, int64_t(0));
    }

    // A device that runs out of memory while its shards are placed: a clear error, and
    // what the other devices had placed is freed.
    void outOfMemoryWhilePlacingShards()
    {
        Ledger ledger;
        std::vector<FarBackend*> far;
        FarCommunicator* comm = nullptr;
        EngineOptions eo;
        eo.threads = 1;
        eo.contextLength = 64;
        eo.parallel.tp = 2;
        eo.parallel.ep = 2;
        eo.parallel.devices = 4;
        int allocations = 0;
        struct Failing : FarBackend {
            Failing(Ledger& l, int& n)
                : FarBackend(l)
                , count(n)
            {
            }
            DeviceTensor allocate(DType dtype, const Shape& shape) override
            {
                if (++count > 20)
                    throw Error(ErrorCode::OutOfMemory, "far test device 3", "allocate", "out of device memory");
                return FarBackend::allocate(dtype, shape);
            }
            int& count;
        };
        eo.makeBackend = [&](int32_t device) -> std::unique_ptr<Backend> {
            std::unique_ptr<FarBackend> b = device == 3 ? std::make_unique<Failing>(ledger, allocations)
                                                        : std::make_unique<FarBackend>(ledger);
            far.resize(size_t(device) + 1);
            far[size_t(device)] = b.get();
            return b;
        };
        eo.makeCommunicator = [&](int32_t devices) {
            auto c = std::make_unique<FarCommunicator>(devices, far);
            comm = c.get();
            return c;
        };
        try {
            Engine::load(m_models.at("mixtral"), eo);
            QFAIL("the load should fail");
        } catch (const Error& e) {
            QCOMPARE(e.code(), ErrorCode::OutOfMemory);
            QVERIFY2(QString::fromStdString(e.what()).contains("device 3"), e.what());
        }
        QVERIFY(allocations > 20);
        QCOMPARE(ledger.live, int64_t(0));
    }

    void callerBackendsNeedACommunicator()
    {
        Ledger ledger;
        EngineOptions eo;
        eo.parallel.tp = 2;
        eo.parallel.devices = 2;
        eo.makeBackend = [&](int32_t) { return std::make_unique<FarBackend>(ledger); };
        QVERIFY_THROWS_EXCEPTION(Error, Engine::load(m_models.at("mixtral"), eo));
    }
};

QTEST_APPLESS_MAIN(TestParallelDevices)
#include "test_parallel_devices.moc"
