// store_controller.h — the workbench's SQLite store on a worker thread of its own (the
// UI thread never runs a query). Pages post jobs: a function run on the store thread
// with the open moe::Store, whose result comes back to a callback on the caller's
// thread. When the caller (`context`, an object of the UI thread) is destroyed first,
// the result is dropped.
#pragma once

#include "moe/error.h"
#include "moe/store.h"

#include <QMetaObject>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <memory>
#include <type_traits>

class QThread;

namespace moeui {

class StoreController : public QObject {
    Q_OBJECT
public:
    explicit StoreController(QObject* parent = nullptr);
    ~StoreController() override; // finishes queued jobs, closes the store

    // Opens (or creates) the database on the store thread; emits opened or openFailed.
    // Jobs posted before it finishes run after it.
    void open(const QString& path);
    QString path() const { return m_path; }

    // Runs `job(store)` on the store thread; then `done(result)` on the UI thread,
    // or `failed(message)` when the job threw (moe::Error names file and field) or the
    // store is not open.
    template <class Job, class Done>
    void post(QObject* context, Job job, Done done, std::function<void(const QString&)> failed = {});

    // Blocks until every job posted so far has run (tests and shutdown only; never from
    // a UI path).
    void waitForIdle();

signals:
    void opened(const QString& path);
    void openFailed(const QString& message);
    // A posted job failed and no `failed` callback was given.
    void jobFailed(const QString& message);

private:
    void runOnStoreThread(std::function<void()> fn);
    moe::Store* store();

    QThread* m_thread = nullptr;
    QObject* m_worker = nullptr; // lives on m_thread
    std::unique_ptr<moe::Store> m_store; // touched only on m_thread
    QString m_path;
    QString m_storeError = QStringLiteral("the store is not open"); // store thread only
};

template <class Job, class Done>
void StoreController::post(QObject* context, Job job, Done done, std::function<void(const QString&)> failed)
{
    QPointer<QObject> ctx(context);
    QPointer<StoreController> self(this);
    runOnStoreThread([this, ctx, self, job = std::move(job), done = std::move(done), failed = std::move(failed)]() mutable {
        using R = std::invoke_result_t<Job&, moe::Store&>;
        QString error;
        std::shared_ptr<std::conditional_t<std::is_void_v<R>, int, R>> result;
        try {
            moe::Store* s = store();
            if (!s)
                throw moe::Error(moe::ErrorCode::Io, m_path.toStdString(), "", m_storeError.toStdString());
            if constexpr (std::is_void_v<R>) {
                job(*s);
                result = std::make_shared<int>(0);
            } else {
                result = std::make_shared<R>(job(*s));
            }
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        }
        // Back on the UI thread (this object's): deliver unless the caller is gone.
        QMetaObject::invokeMethod(
            this,
            [ctx, self, error, result, done = std::move(done), failed = std::move(failed)]() mutable {
                if (!ctx)
                    return;
                if (!error.isEmpty()) {
                    if (failed)
                        failed(error);
                    else if (self)
                        emit self->jobFailed(error);
                    return;
                }
                if constexpr (std::is_void_v<R>)
                    done();
                else
                    done(std::move(*result));
            },
            Qt::QueuedConnection);
    });
}

} // namespace moeui
