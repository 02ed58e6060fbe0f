// engine_controller.h — the workbench's bridge to the engine. EngineController (a
// QObject on the UI thread) owns one moe::Engine on a worker thread: commands go there
// as queued calls, and tokens, load progress and telemetry come back as queued signals
// carrying immutable values. Nothing here ever blocks the UI thread on the engine:
// cancel() only sets an atomic flag the engine checks between steps / load chunks.
//
// Jobs (load, generate, routing-history requests) have ids. Every signal carries the id
// of the job it belongs to; results of a job that was cancelled or superseded arrive
// with that job's id, so a page that tracks its current job drops stale ones.
//
// Telemetry: after a load the controller subscribes to the engine's TelemetryBus and a
// UI-thread timer drains the buffer at most ~30 times a second, emitting one batch per
// tick (the engine never waits for the UI; a slow UI only loses the oldest snapshots).
#pragma once

#include "moe/chat_template.h"
#include "moe/engine.h"
#include "moe/parallel_plan.h"
#include "moe/profiler.h"
#include "moe/sampler.h"
#include "moe/telemetry.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <vector>

class QThread;

namespace moeui {

// What the user picked in the load dialog.
struct LoadOptions {
    int threads = 0;            // 0 = all cores
    int64_t contextLength = 0;  // 0 = min(model's, 4096)
    moe::ParallelConfig parallel; // cpu:N virtual devices, TP, EP, placement
    moe::LinkModel link = moe::LinkModel::nvlink4(); // modelled link for the traffic estimate
    std::optional<moe::QuantizeOptions> quantize; // quantize F32/F16/BF16 weights while loading
};

// A loaded model as the UI sees it; immutable once published.
struct LoadedModel {
    QString path;        // as resolved (a .gguf file or a model folder)
    QString name;        // spec name, or the file name
    moe::ModelInfo info;
    LoadOptions options;
    int64_t contextLength = 0;
    std::vector<moe::DeviceMemory> memoryPerDevice;
    std::optional<moe::ParallelPlan> plan; // empty on one device
    double loadSeconds = 0;
    QString backend;               // "cpu (2 threads, avx2)", "cuda:0 (NVIDIA H100 …)"
    QString deviceFallbackReason;  // why "automatic" chose the CPU ("" otherwise)
};
using LoadedModelPtr = std::shared_ptr<const LoadedModel>;

struct GenerationStats {
    int64_t promptTokens = 0;      // tokens of the rendered conversation
    int64_t reusedTokens = 0;      // of those, found in the KV cache (not recomputed)
    int64_t generatedTokens = 0;
    double timeToFirstTokenSeconds = 0;
    double tokensPerSecond = 0;    // decode
    double totalSeconds = 0;
    int64_t droppedMessages = 0;   // oldest messages left out to fit the context
    moe::GenerationResult::Stop stop = moe::GenerationResult::Stop::MaxTokens;
    QString text;                  // the whole reply
};

using TelemetryBatch = std::vector<moe::StepTelemetryPtr>;
using ProfileRunPtr = std::shared_ptr<const moe::ProfileRun>;
// The experts each of the last tokens used in every MoE layer, with the token's text.
struct RoutingHistory {
    std::vector<moe::TokenRouting> tokens; // oldest first
    std::vector<QString> texts;            // decoded text of each token (may be partial UTF-8 → U+FFFD)
    std::vector<int32_t> moeLayers;        // decoder-layer index of each MoE layer
    int64_t topK = 0;
};
using RoutingHistoryPtr = std::shared_ptr<const RoutingHistory>;

class EngineController : public QObject {
    Q_OBJECT
public:
    explicit EngineController(QObject* parent = nullptr);
    // Cancels running jobs and waits for the worker to return (at most one decode step or
    // load chunk), then frees the engine.
    ~EngineController() override;

    // Each returns the new job's id at once; the work runs on the engine thread.
    quint64 loadModel(const QString& path, const LoadOptions& options);
    // Renders `messages` with the model's chat template (the oldest non-system messages
    // are dropped when they do not fit), reuses the cached prefix, streams the reply.
    quint64 generate(const std::vector<moe::ChatMessage>& messages, const moe::SamplingParams& params);
    quint64 requestRoutingHistory(size_t maxTokens);
    // A profiling run (moe/profiler.h) over `prompts` on the loaded model; the KV cache
    // is reset before and after (the chat re-fills it on its next turn). Cancelling keeps
    // the run so far.
    quint64 runProfile(const std::vector<moe::ProfilePrompt>& prompts, const moe::ProfileOptions& options);
    void unloadModel();
    // Sets the job's cancel flag (a load stops between chunks, a generation within one
    // step). Unknown or finished ids are ignored.
    void cancel(quint64 job);
    void cancelAll();

    LoadedModelPtr model() const { return m_model; } // null when none is loaded
    bool isLoading() const { return m_loadingJob != 0; }
    bool isGenerating() const { return m_generatingJob != 0; }
    quint64 currentGeneration() const { return m_generatingJob; }
    quint64 currentLoad() const { return m_loadingJob; }
    quint64 currentProfile() const { return m_profilingJob; }

    // Telemetry coalescing interval (default 33 ms, ~30 updates per second).
    void setTelemetryIntervalMs(int ms);
    // Snapshots dropped because the UI fell behind (reported in the status bar).
    uint64_t droppedTelemetry() const;

signals:
    void loadStarted(quint64 job, const QString& path);
    void loadProgress(quint64 job, quint64 bytesDone, quint64 bytesTotal, double secondsElapsed);
    void modelLoaded(quint64 job, moeui::LoadedModelPtr model);
    void loadCancelled(quint64 job);
    void modelUnloaded();
    // A job failed; `message` names the file and the problem (moe::Error::what()).
    void jobFailed(quint64 job, const QString& message);

    void generationStarted(quint64 job);
    // Text that arrived since the last signal (coalesced: at most one queued at a time).
    void tokensGenerated(quint64 job, const QString& text);
    void generationFinished(quint64 job, const moeui::GenerationStats& stats);

    void routingHistoryReady(quint64 job, moeui::RoutingHistoryPtr history);
    void profileProgress(quint64 job, int promptsDone, int promptsTotal);
    void profileFinished(quint64 job, moeui::ProfileRunPtr run);
    void telemetryUpdated(const moeui::TelemetryBatch& batch);
    void busyChanged(bool busy);

private:
    struct Worker;
    quint64 nextJob();
    std::shared_ptr<std::atomic<bool>> flagFor(quint64 job);
    void finishJob(quint64 job);
    void drainTelemetry();
    void setBusy();

    QThread* m_thread = nullptr;
    Worker* m_worker = nullptr;          // lives on m_thread
    quint64 m_lastJob = 0;
    quint64 m_loadingJob = 0;
    quint64 m_generatingJob = 0;
    quint64 m_profilingJob = 0;
    bool m_busy = false;
    std::map<quint64, std::shared_ptr<std::atomic<bool>>> m_cancelFlags;
    LoadedModelPtr m_model;
    std::shared_ptr<moe::TelemetryBuffer> m_telemetry;
    QTimer m_telemetryTimer;
};

// Human-readable reason a generation stopped ("end of text", "stopped", ...).
QString stopReasonText(moe::GenerationResult::Stop stop);

} // namespace moeui

Q_DECLARE_METATYPE(moeui::LoadedModelPtr)
Q_DECLARE_METATYPE(moeui::GenerationStats)
Q_DECLARE_METATYPE(moeui::TelemetryBatch)
Q_DECLARE_METATYPE(moeui::RoutingHistoryPtr)
Q_DECLARE_METATYPE(moeui::ProfileRunPtr)
