#include "store_controller.h"

#include <QThread>

#include <condition_variable>
#include <mutex>

namespace moeui {

StoreController::StoreController(QObject* parent) : QObject(parent)
{
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("store"));
    m_worker = new QObject;
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
}

StoreController::~StoreController()
{
    runOnStoreThread([this] { m_store.reset(); });
    m_thread->quit();
    m_thread->wait();
}

void StoreController::runOnStoreThread(std::function<void()> fn)
{
    QMetaObject::invokeMethod(m_worker, std::move(fn), Qt::QueuedConnection);
}

moe::Store* StoreController::store() { return m_store.get(); }

void StoreController::open(const QString& path)
{
    m_path = path;
    runOnStoreThread([this, path] {
        QString error;
        try {
            m_store.reset();
            m_store = std::make_unique<moe::Store>(moe::Store::open(path.toStdString()));
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
            m_storeError = error;
        }
        QMetaObject::invokeMethod(
            this,
            [this, path, error] {
                if (error.isEmpty())
                    emit opened(path);
                else
                    emit openFailed(error);
            },
            Qt::QueuedConnection);
    });
}

void StoreController::waitForIdle()
{
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    runOnStoreThread([&] {
        std::lock_guard lock(mutex);
        done = true;
        cv.notify_one();
    });
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return done; });
}

} // namespace moeui
