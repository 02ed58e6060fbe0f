#include "moe/traffic_matrix.h"

#include "moe/error.h"

#include <algorithm>

namespace moe {

const char* trafficKindName(TrafficKind k)
{
    switch (k) {
    case TrafficKind::AllReduce: return "all-reduce";
    case TrafficKind::Dispatch: return "dispatch";
    case TrafficKind::Combine: return "combine";
    case TrafficKind::AllGather: return "all-gather";
    case TrafficKind::Broadcast: return "broadcast";
    case TrafficKind::Count: break;
    }
    return "?";
}

// Figures: NVLink 4 on H100 SXM is 900 GB/s total over 18 links, i.e. 450 GB/s each way;
// PCIe x16 Gen4 16 GT/s x 16 lanes x 128/130 ≈ 31.5 GB/s each way, Gen5 twice that.
// Latencies are typical small-message figures for NCCL over each link.
LinkModel LinkModel::nvlink4() { return {"NVLink 4 (900 GB/s bidirectional)", 450, 3e-6}; }
LinkModel LinkModel::pcieGen4() { return {"PCIe Gen4 x16 (31.5 GB/s per direction)", 31.5, 10e-6}; }
LinkModel LinkModel::pcieGen5() { return {"PCIe Gen5 x16 (63 GB/s per direction)", 63, 8e-6}; }

LinkModel LinkModel::custom(double gbPerSecond, double latencyMicroseconds)
{
    if (!(gbPerSecond > 0))
        throw Error(ErrorCode::InvalidArgument, "", "link-gbps", "must be positive, got " + std::to_string(gbPerSecond));
    if (!(latencyMicroseconds >= 0))
        throw Error(ErrorCode::InvalidArgument, "", "link-latency-us",
                    "must not be negative, got " + std::to_string(latencyMicroseconds));
    return {"custom link (" + std::to_string(gbPerSecond) + " GB/s per direction)", gbPerSecond,
            latencyMicroseconds * 1e-6};
}

LinkModel LinkModel::byName(const std::string& name)
{
    if (name == "nvlink4" || name == "nvlink")
        return nvlink4();
    if (name == "pcie4")
        return pcieGen4();
    if (name == "pcie5")
        return pcieGen5();
    throw Error(ErrorCode::InvalidArgument, "", "link", "unknown link '" + name + "' (nvlink4, pcie4, pcie5)");
}

void TrafficMatrix::reset(int32_t d, int64_t l)
{
    devices = d;
    layers = l;
    bytes.assign(size_t((l + 1) * kTrafficKinds * d * d), 0);
    measuredSeconds = estimatedSeconds = 0;
    collectives = 0;
}

uint64_t TrafficMatrix::at(int64_t layer, TrafficKind kind, int32_t src, int32_t dst) const
{
    const int64_t l = layer < 0 ? layers : layer;
    return bytes[size_t(((l * kTrafficKinds + int64_t(kind)) * devices + src) * devices + dst)];
}

uint64_t TrafficMatrix::pairBytes(int32_t src, int32_t dst) const
{
    uint64_t sum = 0;
    for (int64_t l = 0; l <= layers; ++l)
        for (int64_t k = 0; k < kTrafficKinds; ++k)
            sum += at(l, TrafficKind(k), src, dst);
    return sum;
}

uint64_t TrafficMatrix::layerBytes(int64_t layer, TrafficKind kind) const
{
    uint64_t sum = 0;
    for (int32_t s = 0; s < devices; ++s)
        for (int32_t d = 0; d < devices; ++d)
            sum += at(layer, kind, s, d);
    return sum;
}

uint64_t TrafficMatrix::kindBytes(TrafficKind kind) const
{
    uint64_t sum = 0;
    for (int64_t l = 0; l <= layers; ++l)
        sum += layerBytes(l, kind);
    return sum;
}

uint64_t TrafficMatrix::totalBytes() const
{
    uint64_t sum = 0;
    for (uint64_t b : bytes)
        sum += b;
    return sum;
}

void TrafficMatrix::accumulate(const TrafficMatrix& o)
{
    if (bytes.empty()) {
        *this = o;
        return;
    }
    if (o.bytes.size() != bytes.size())
        return; // a different plan: nothing sensible to add
    for (size_t i = 0; i < bytes.size(); ++i)
        bytes[i] += o.bytes[i];
    measuredSeconds += o.measuredSeconds;
    estimatedSeconds += o.estimatedSeconds;
    collectives += o.collectives;
}

} // namespace moe
