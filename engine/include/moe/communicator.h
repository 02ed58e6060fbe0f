// moe/communicator.h — collectives between the devices of a parallel plan, every byte
// counted into a TrafficMatrix.
//
// Single-controller: one thread issues each collective for all of its participants at
// once (the engine drives every device of the plan; NCCL's ncclCommInitAll works the
// same way in one process). `ranks` names the participants by global device id and
// buffer i belongs to ranks[i]. Buffers are device memory of the device they belong to
// (host memory for virtual CPU devices). All element counts are F32 elements.
//
// Implementations: LocalCommunicator (N virtual CPU devices in this process, one worker
// thread per device, real copies between their buffers) and, when CUDA is built,
// NcclCommunicator (kernels/ or parallel/nccl_communicator.cpp).
#pragma once

#include "moe/traffic_matrix.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace moe {

struct CollectiveTag {
    int64_t layer = -1; // decoder layer (-1: outside the layers)
    TrafficKind kind = TrafficKind::AllReduce;
};

class Communicator {
public:
    virtual ~Communicator() = default;
    virtual std::string name() const = 0;
    virtual int32_t deviceCount() const = 0;

    // Sum in place. Algorithm (both implementations count it the same way): direct
    // reduce-scatter then all-gather over p ranks. The N elements are cut into p chunks,
    // chunk i = [floor(i*N/p), floor((i+1)*N/p)); rank i sums chunk i over all ranks in
    // rank order (so every rank ends with bit-identical sums), then sends it to the others.
    // Bytes j -> i: 4 * (|chunk i| + |chunk j|); total 2 * (p - 1) * 4N, as a ring all-reduce.
    virtual void allReduceSum(std::span<const int32_t> ranks, float* const* buffers, int64_t count,
                              CollectiveTag tag) = 0;
    // recv[i] = send[0] ++ send[1] ++ ... (counts[j] elements from rank j).
    // Bytes j -> i (j != i): 4 * counts[j].
    virtual void allGatherV(std::span<const int32_t> ranks, const float* const* send, float* const* recv,
                            const int64_t* counts, CollectiveTag tag) = 0;
    // counts[i * p + j] elements go from rank i to rank j. Rank i's send buffer holds its
    // blocks in destination order; rank j's receive buffer gets its blocks in source order.
    // Bytes i -> j (i != j): 4 * counts[i * p + j].
    virtual void allToAllV(std::span<const int32_t> ranks, const float* const* send, float* const* recv,
                           const int64_t* counts, CollectiveTag tag) = 0;
    // buffers[i] = buffers[root] for every i. Bytes root -> i: 4 * count.
    virtual void broadcast(std::span<const int32_t> ranks, int32_t root, float* const* buffers, int64_t count,
                           CollectiveTag tag) = 0;

    // Where bytes and times go (may be null: nothing is recorded). Sized by the caller
    // (TrafficMatrix::reset) for this communicator's device count.
    void setTrafficSink(TrafficMatrix* sink) { m_sink = sink; }
    void setLinkModel(const LinkModel& link) { m_link = link; }
    const LinkModel& linkModel() const { return m_link; }

protected:
    TrafficMatrix* m_sink = nullptr;
    LinkModel m_link = LinkModel::nvlink4();
};

struct LocalCommunicatorOptions {
    int32_t devices = 2;
    LinkModel link = LinkModel::nvlink4();
};

// N virtual CPU devices in this process. Each device has a worker thread that pulls
// the data addressed to it into its own buffers, so the copies really happen between
// separately owned memory; the issuing thread waits for all of them (a barrier per phase).
std::unique_ptr<Communicator> createLocalCommunicator(const LocalCommunicatorOptions& options);

// In the CUDA backend library (see cudaBackendStatus() in backend.h); throws
// Error(UnsupportedType) when that library or its NCCL is missing.
// One communicator per listed CUDA device, ncclCommInitAll, one stream per device.
std::unique_ptr<Communicator> createNcclCommunicator(std::span<const int> cudaDevices);
bool ncclAvailable();

} // namespace moe
