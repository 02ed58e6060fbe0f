// traffic_matrix_model.h — device x device interconnect traffic for the Interconnect
// page: bytes each source device sent to each destination over the last step or the
// whole session, and the rate those bytes imply over the time spent in collectives.
//
// On virtual CPU devices (TrafficMatrix::estimated) the bytes are real copies but the
// only time that says anything about hardware is the link model's estimate, so every
// rate derived here uses estimatedSeconds and is flagged (EstimatedRole); on real devices
// it uses the measured wall time.
#pragma once

#include "engine_controller.h"

#include <QAbstractTableModel>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace moeui {

// Traffic summed over some steps; one shape (devices) throughout.
struct TrafficTotals {
    int32_t devices = 0;
    std::vector<uint64_t> pairBytes; // [src * devices + dst], every layer and kind
    std::array<uint64_t, size_t(moe::TrafficKind::Count)> kindBytes{};
    double measuredSeconds = 0;
    double estimatedSeconds = 0;
    bool estimated = true;
    std::string link;
    int64_t steps = 0;
    int64_t collectives = 0;

    // The time rates are taken over: the estimate on virtual devices, else the measurement.
    double seconds() const { return estimated ? estimatedSeconds : measuredSeconds; }
    uint64_t bytes(int src, int dst) const { return pairBytes[size_t(src) * size_t(devices) + size_t(dst)]; }
    uint64_t totalBytes() const;
    void reset(int32_t devices);
    // Adds one step's matrix (same device count).
    void add(const moe::TrafficMatrix& m);
};

class TrafficMatrixModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum class Window { LastStep, Session };
    Q_ENUM(Window)
    enum Role {
        BytesRole = Qt::UserRole + 1, // qulonglong, same as DisplayRole
        GbPerSecondRole,              // double, bytes / seconds of the window / 1e9
        EstimatedRole,                // bool, the rate comes from the link model
        ShareRole,                    // double, bytes / the busiest pair's bytes (0..1)
    };

    explicit TrafficMatrixModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;    // source devices
    int columnCount(const QModelIndex& parent = {}) const override; // destination devices
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    Window window() const { return m_window; }
    void setWindow(Window window);
    void addTelemetry(const TelemetryBatch& batch);
    void clear();

    // The window shown.
    const TrafficTotals& shown() const { return m_window == Window::LastStep ? m_last : m_session; }
    const TrafficTotals& session() const { return m_session; }
    const TrafficTotals& lastStep() const { return m_last; }
    int devices() const { return m_devices; }
    double gbPerSecond(int src, int dst) const;

signals:
    // After every change of the shown numbers (once per telemetry batch at most).
    void trafficChanged();

private:
    void refresh(bool reshaped);

    Window m_window = Window::Session;
    TrafficTotals m_last, m_session;
    int m_devices = 0;
    uint64_t m_maxPairBytes = 0;
};

} // namespace moeui
