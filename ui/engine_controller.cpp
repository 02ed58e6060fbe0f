#include "engine_controller.h"

#include "moe/error.h"
#include "moe/tokenizer.h"

#include <QFileInfo>
#include <QThread>

#include <cerrno>

#include <chrono>
#include <mutex>
#include <new>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace moeui {

// The engine's side: lives on the engine thread; every member is touched only there,
// except `pending`, the coalesced reply text, which has its own lock.
struct EngineController::Worker : QObject {
    std::unique_ptr<moe::Engine> engine;
    std::mutex pendingMutex;
    QString pending;
    bool flushQueued = false;

    QString takePending()
    {
        std::lock_guard lock(pendingMutex);
        flushQueued = false;
        return std::exchange(pending, QString());
    }
};

namespace {

constexpr int kEngineNiceOffset = 5;

QString errorText(const std::exception& e) { return QString::fromUtf8(e.what()); }

} // namespace

QString stopReasonText(moe::GenerationResult::Stop stop)
{
    switch (stop) {
    case moe::GenerationResult::Stop::Eos: return EngineController::tr("end of text");
    case moe::GenerationResult::Stop::StopString: return EngineController::tr("stop string");
    case moe::GenerationResult::Stop::MaxTokens: return EngineController::tr("token limit");
    case moe::GenerationResult::Stop::Cancelled: return EngineController::tr("stopped");
    case moe::GenerationResult::Stop::ContextFull: return EngineController::tr("context full");
    }
    return {};
}

EngineController::EngineController(QObject* parent) : QObject(parent)
{
    static const bool registered = [] {
        qRegisterMetaType<moeui::LoadedModelPtr>();
        qRegisterMetaType<moeui::GenerationStats>();
        qRegisterMetaType<moeui::TelemetryBatch>();
        qRegisterMetaType<moeui::RoutingHistoryPtr>();
        qRegisterMetaType<moeui::ProfileRunPtr>();
        return true;
    }();
    (void)registered;
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("engine"));
    m_worker = new Worker;
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
    // The engine thread and the compute threads it creates (they inherit it) run a few
    // nice levels below the UI: with every core busy generating, the scheduler still
    // gives the event loop the CPU as soon as it has work, so the window never stalls.
    QMetaObject::invokeMethod(
        m_worker,
        [] {
            const pid_t tid = pid_t(::syscall(SYS_gettid));
            errno = 0;
            const int nice = ::getpriority(PRIO_PROCESS, id_t(tid));
            if (errno == 0)
                (void)::setpriority(PRIO_PROCESS, id_t(tid), std::min(19, nice + kEngineNiceOffset));
        },
        Qt::QueuedConnection);
    m_telemetryTimer.setInterval(33);
    connect(&m_telemetryTimer, &QTimer::timeout, this, &EngineController::drainTelemetry);
}

EngineController::~EngineController()
{
    cancelAll();
    Worker* w = m_worker;
    QMetaObject::invokeMethod(w, [w] { w->engine.reset(); }, Qt::QueuedConnection);
    m_thread->quit();
    m_thread->wait();
}

void EngineController::setTelemetryIntervalMs(int ms) { m_telemetryTimer.setInterval(ms); }

uint64_t EngineController::droppedTelemetry() const { return m_telemetry ? m_telemetry->dropped() : 0; }

quint64 EngineController::nextJob() { return ++m_lastJob; }

std::shared_ptr<std::atomic<bool>> EngineController::flagFor(quint64 job)
{
    auto flag = std::make_shared<std::atomic<bool>>(false);
    m_cancelFlags[job] = flag;
    return flag;
}

void EngineController::finishJob(quint64 job)
{
    m_cancelFlags.erase(job);
    if (m_loadingJob == job)
        m_loadingJob = 0;
    if (m_generatingJob == job)
        m_generatingJob = 0;
    if (m_profilingJob == job)
        m_profilingJob = 0;
    setBusy();
}

void EngineController::setBusy()
{
    const bool busy = m_loadingJob != 0 || m_generatingJob != 0 || m_profilingJob != 0;
    if (busy != m_busy) {
        m_busy = busy;
        emit busyChanged(busy);
    }
}

void EngineController::cancel(quint64 job)
{
    auto it = m_cancelFlags.find(job);
    if (it != m_cancelFlags.end())
        it->second->store(true);
}

void EngineController::cancelAll()
{
    for (auto& [job, flag] : m_cancelFlags)
        flag->store(true);
}

quint64 EngineController::loadModel(const QString& path, const LoadOptions& options)
{
    cancelAll(); // a running generation or load gives way to the new model
    const quint64 job = nextJob();
    auto flag = flagFor(job);
    m_loadingJob = job;
    if (m_model) {
        m_model.reset();
        m_telemetry.reset();
        m_telemetryTimer.stop();
        emit modelUnloaded();
    }
    setBusy();
    emit loadStarted(job, path);

    Worker* w = m_worker;
    QMetaObject::invokeMethod(
        w,
        [this, w, job, flag, path, options] {
            w->engine.reset(); // the old model's memory goes before the new one is mapped
            QElapsedTimer clock;
            clock.start();
            auto lastReport = std::chrono::steady_clock::now() - std::chrono::seconds(1);
            moe::EngineOptions eo;
            eo.threads = options.threads;
            eo.contextLength = options.contextLength;
            eo.parallel = options.parallel;
            eo.link = options.link;
            eo.quantize = options.quantize;
            eo.cancel = flag.get();
            eo.onProgress = [&](const moe::LoadProgress& p) {
                const auto now = std::chrono::steady_clock::now();
                if (now - lastReport < std::chrono::milliseconds(50) && p.bytesDone < p.bytesTotal)
                    return;
                lastReport = now;
                const double elapsed = double(clock.elapsed()) / 1000.0;
                QMetaObject::invokeMethod(
                    this, [this, job, p, elapsed] { emit loadProgress(job, p.bytesDone, p.bytesTotal, elapsed); },
                    Qt::QueuedConnection);
            };
            QString error;
            bool cancelled = false;
            std::shared_ptr<LoadedModel> loaded;
            std::shared_ptr<moe::TelemetryBuffer> buffer;
            try {
                const std::string resolved = moe::resolveModelPath(path.toStdString());
                w->engine = moe::Engine::load(resolved, eo);
                loaded = std::make_shared<LoadedModel>();
                loaded->path = QString::fromStdString(resolved);
                loaded->info = w->engine->info();
                loaded->name = QString::fromStdString(w->engine->spec().name);
                if (loaded->name.isEmpty())
                    loaded->name = QFileInfo(path).fileName();
                loaded->options = options;
                loaded->contextLength = w->engine->contextLength();
                loaded->memoryPerDevice = w->engine->memoryPerDevice();
                if (const moe::ParallelPlan* plan = w->engine->parallelPlan())
                    loaded->plan = *plan;
                loaded->loadSeconds = double(clock.elapsed()) / 1000.0;
                loaded->backend = QString::fromStdString(w->engine->backend().name());
                loaded->deviceFallbackReason = QString::fromStdString(w->engine->deviceFallbackReason());
                buffer = w->engine->telemetry().subscribe(512);
            } catch (const moe::Error& e) {
                w->engine.reset();
                cancelled = e.code() == moe::ErrorCode::Cancelled;
                error = errorText(e);
            } catch (const std::bad_alloc&) {
                w->engine.reset();
                error = tr("%1: out of memory while loading the model").arg(path);
            } catch (const std::exception& e) {
                w->engine.reset();
                error = errorText(e);
            }
            QMetaObject::invokeMethod(
                this,
                [this, job, loaded, buffer, error, cancelled] {
                    finishJob(job);
                    if (cancelled) {
                        emit loadCancelled(job);
                    } else if (!error.isEmpty()) {
                        emit jobFailed(job, error);
                    } else {
                        m_model = loaded;
                        m_telemetry = buffer;
                        m_telemetryTimer.start();
                        emit modelLoaded(job, m_model);
                    }
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
    return job;
}

quint64 EngineController::generate(const std::vector<moe::ChatMessage>& messages, const moe::SamplingParams& params)
{
    if (m_generatingJob)
        cancel(m_generatingJob);
    const quint64 job = nextJob();
    auto flag = flagFor(job);
    m_generatingJob = job;
    setBusy();
    emit generationStarted(job);

    Worker* w = m_worker;
    QMetaObject::invokeMethod(
        w,
        [this, w, job, flag, messages, params] {
            GenerationStats stats;
            QString error;
            QElapsedTimer clock;
            clock.start();
            try {
                if (!w->engine)
                    throw moe::Error(moe::ErrorCode::InvalidArgument, "", "model", "no model is loaded");
                moe::Engine& engine = *w->engine;
                moe::FittedChat fitted =
                    moe::fitChatToContext(engine.tokenizer(), messages, engine.contextLength(), params.maxTokens);
                if (!fitted.fits)
                    throw moe::Error(moe::ErrorCode::InvalidArgument, "", "message",
                                     "the message is " + std::to_string(fitted.tokens.size()) +
                                         " tokens long; the context of " + std::to_string(engine.contextLength()) +
                                         " tokens cannot hold it with room for the answer");
                stats.droppedMessages = fitted.droppedMessages;
                const std::vector<int32_t>& prompt = fitted.tokens;
                const auto cached = engine.cachedTokens();
                size_t common = 0;
                while (common < cached.size() && common + 1 < prompt.size() && cached[common] == prompt[common])
                    ++common;
                engine.truncate(int64_t(common));
                stats.promptTokens = int64_t(prompt.size());
                stats.reusedTokens = int64_t(common);
                moe::GenerateCallbacks cb;
                cb.cancel = flag.get();
                cb.onToken = [this, w, job](const std::string& piece, int32_t) {
                    bool post = false;
                    {
                        std::lock_guard lock(w->pendingMutex);
                        w->pending += QString::fromUtf8(piece.data(), qsizetype(piece.size()));
                        post = !std::exchange(w->flushQueued, true);
                    }
                    if (post)
                        QMetaObject::invokeMethod(
                            this,
                            [this, w, job] {
                                const QString text = w->takePending();
                                if (!text.isEmpty())
                                    emit tokensGenerated(job, text);
                            },
                            Qt::QueuedConnection);
                    return true;
                };
                const moe::GenerationResult r = engine.generate(prompt, params, cb);
                stats.generatedTokens = r.timings.generatedTokens;
                stats.timeToFirstTokenSeconds = r.timings.timeToFirstTokenSeconds;
                stats.tokensPerSecond =
                    r.timings.decodeSeconds > 0 ? double(r.timings.generatedTokens) / r.timings.decodeSeconds : 0.0;
                stats.stop = r.stop;
                stats.text = QString::fromStdString(r.text);
            } catch (const std::bad_alloc&) {
                error = tr("out of memory while generating");
            } catch (const std::exception& e) {
                error = errorText(e);
            }
            stats.totalSeconds = double(clock.elapsed()) / 1000.0;
            QMetaObject::invokeMethod(
                this,
                [this, w, job, stats, error] {
                    const QString rest = w->takePending();
                    if (!rest.isEmpty())
                        emit tokensGenerated(job, rest);
                    finishJob(job);
                    if (error.isEmpty())
                        emit generationFinished(job, stats);
                    else
                        emit jobFailed(job, error);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
    return job;
}

quint64 EngineController::requestRoutingHistory(size_t maxTokens)
{
    const quint64 job = nextJob();
    Worker* w = m_worker;
    QMetaObject::invokeMethod(
        w,
        [this, w, job, maxTokens] {
            auto history = std::make_shared<RoutingHistory>();
            if (w->engine) {
                history->tokens = w->engine->routingHistory(maxTokens);
                for (const moe::TokenRouting& t : history->tokens)
                    history->texts.push_back(QString::fromStdString(w->engine->tokenizer().decode({t.token})));
                const moe::ModelSpec& spec = w->engine->spec();
                for (int64_t l = 0; l < spec.numLayers; ++l)
                    if (spec.isMoeLayer(l))
                        history->moeLayers.push_back(int32_t(l));
                history->topK = spec.numExpertsPerToken;
            }
            RoutingHistoryPtr result = history;
            QMetaObject::invokeMethod(
                this, [this, job, result] { emit routingHistoryReady(job, result); }, Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
    return job;
}

quint64 EngineController::runProfile(const std::vector<moe::ProfilePrompt>& prompts, const moe::ProfileOptions& options)
{
    if (m_generatingJob)
        cancel(m_generatingJob);
    const quint64 job = nextJob();
    auto flag = flagFor(job);
    m_profilingJob = job;
    setBusy();
    Worker* w = m_worker;
    // A profiling run is not part of the conversation: its steps must not land in the
    // live views (Experts totals, Interconnect, the model bar's speed). The live buffer
    // leaves the bus for the run, on the worker, so no step of it can slip in between.
    QMetaObject::invokeMethod(
        w,
        [this, w, job, flag, prompts, profileOptions = options, live = m_telemetry] {
            moe::ProfileOptions options = profileOptions;
            ProfileRunPtr run;
            QString error;
            if (w->engine && live)
                w->engine->telemetry().unsubscribe(live);
            try {
                if (!w->engine)
                    throw moe::Error(moe::ErrorCode::InvalidArgument, "", "model", "no model is loaded");
                options.cancel = flag.get();
                options.onProgress = [this, job](size_t done, size_t total) {
                    QMetaObject::invokeMethod(
                        this, [this, job, done, total] { emit profileProgress(job, int(done), int(total)); },
                        Qt::QueuedConnection);
                };
                w->engine->reset();
                run = std::make_shared<const moe::ProfileRun>(moe::runProfile(*w->engine, prompts, options));
                w->engine->reset();
            } catch (const std::bad_alloc&) {
                error = tr("out of memory while profiling");
            } catch (const std::exception& e) {
                error = errorText(e);
            }
            if (w->engine && live)
                w->engine->telemetry().resubscribe(live);
            QMetaObject::invokeMethod(
                this,
                [this, job, run, error] {
                    finishJob(job);
                    if (error.isEmpty())
                        emit profileFinished(job, run);
                    else
                        emit jobFailed(job, error);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
    return job;
}

void EngineController::unloadModel()
{
    cancelAll();
    Worker* w = m_worker;
    QMetaObject::invokeMethod(w, [w] { w->engine.reset(); }, Qt::QueuedConnection);
    if (m_model) {
        m_model.reset();
        m_telemetry.reset();
        m_telemetryTimer.stop();
        emit modelUnloaded();
    }
}

void EngineController::drainTelemetry()
{
    if (!m_telemetry)
        return;
    TelemetryBatch batch;
    if (m_telemetry->drainInto(batch) > 0)
        emit telemetryUpdated(batch);
}

} // namespace moeui
