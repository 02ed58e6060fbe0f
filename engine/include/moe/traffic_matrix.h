// moe/traffic_matrix.h — every byte that crossed the interconnect in one step, per
// (source, destination) device pair, per decoder layer and per kind of collective.
//
// Filled by a Communicator (parallel room) and carried in StepTelemetry. Time has two
// figures: the wall time spent inside collectives (measured), and what the transfers
// would take on a modelled link (estimated). For virtual CPU devices only the estimate
// says anything about real hardware, so `estimated` flags it and every output that
// prints it must say so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moe {

enum class TrafficKind : uint8_t { AllReduce, Dispatch, Combine, AllGather, Broadcast, Count };
const char* trafficKindName(TrafficKind k);
constexpr int64_t kTrafficKinds = int64_t(TrafficKind::Count);

// A point-to-point link model: each device sends and receives at `gbPerSecond` per
// direction concurrently; each phase of a collective pays `latencySeconds` once.
struct LinkModel {
    std::string name = "NVLink 4";
    double gbPerSecond = 450;      // per direction (NVLink 4: 900 GB/s bidirectional)
    double latencySeconds = 3e-6;

    static LinkModel nvlink4();
    static LinkModel pcieGen4();
    static LinkModel pcieGen5();
    static LinkModel custom(double gbPerSecond, double latencyMicroseconds);
    // "nvlink4", "pcie4", "pcie5"; throws Error(InvalidArgument) naming the value.
    static LinkModel byName(const std::string& name);
};

struct TrafficMatrix {
    int32_t devices = 0;
    // Decoder layers; row `layers` (one past the last) holds traffic outside any layer.
    int64_t layers = 0;
    // [((layer * kTrafficKinds + kind) * devices + src) * devices + dst]
    std::vector<uint64_t> bytes;
    double measuredSeconds = 0;  // wall time inside collectives
    double estimatedSeconds = 0; // on `link` (a model, not a measurement)
    bool estimated = true;       // true for virtual devices: only the estimate means hardware time
    std::string link;            // name of the modelled link
    int64_t collectives = 0;

    // Sizes for `devices` x `layers` and zeroes; keeps the storage once sized.
    void reset(int32_t devices, int64_t layers);
    void add(int64_t layer, TrafficKind kind, int32_t src, int32_t dst, uint64_t n)
    {
        const int64_t l = layer < 0 ? layers : layer;
        bytes[size_t(((l * kTrafficKinds + int64_t(kind)) * devices + src) * devices + dst)] += n;
    }
    uint64_t at(int64_t layer, TrafficKind kind, int32_t src, int32_t dst) const;
    uint64_t pairBytes(int32_t src, int32_t dst) const;  // every layer and kind
    uint64_t kindBytes(TrafficKind kind) const;          // every layer and pair
    uint64_t layerBytes(int64_t layer, TrafficKind kind) const;
    uint64_t totalBytes() const;
    // Adds another step's matrix of the same shape (bench / profile totals).
    void accumulate(const TrafficMatrix& other);
};

} // namespace moe
