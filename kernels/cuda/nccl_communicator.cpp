// NcclCommunicator: several GPUs driven from one process (ncclCommInitAll, one stream per
// device). Host code only — NCCL runs its own kernels — so this is a plain C++ unit and
// CUDA builds pay no extra nvcc time for it. Part of the CUDA backend library (the engine
// reaches it through createNcclCommunicator() in the plugin loader); bytes are counted
// by the same rules as LocalCommunicator.
//
// A collective over a subset of the devices (a TP group, an EP group) uses a
// communicator made for exactly that subset, created on first use and kept: creation
// is slow and happens once per group, never per step.
#include "moe/communicator.h"

#include "moe/error.h"
#include "parallel/traffic_accounting.h"

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <map>
#include <vector>

namespace moe {
namespace {

#define MOE_CUDA_CHECK(call) checkCuda((call), #call, __FILE__, __LINE__)
#define MOE_NCCL_CHECK(call) checkNccl((call), #call, __FILE__, __LINE__)

void checkCuda(cudaError_t e, const char* what, const char* file, int line)
{
    if (e != cudaSuccess)
        throw Error(ErrorCode::Io, std::string(file) + ":" + std::to_string(line), what, cudaGetErrorString(e));
}

void checkNccl(ncclResult_t r, const char* what, const char* file, int line)
{
    if (r != ncclSuccess)
        throw Error(ErrorCode::Io, std::string(file) + ":" + std::to_string(line), what, ncclGetErrorString(r));
}

class NcclCommunicator final : public Communicator {
public:
    explicit NcclCommunicator(std::span<const int> cudaDevices)
        : m_cuda(cudaDevices.begin(), cudaDevices.end())
        , m_accounting(int32_t(cudaDevices.size()))
    {
        if (m_cuda.empty())
            throw Error(ErrorCode::InvalidArgument, "", "devices", "no CUDA devices given");
        for (int dev : m_cuda) {
            MOE_CUDA_CHECK(cudaSetDevice(dev));
            cudaStream_t s = nullptr;
            MOE_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
            m_streams.push_back(s);
        }
        std::vector<int32_t> all(m_cuda.size());
        for (size_t i = 0; i < all.size(); ++i)
            all[i] = int32_t(i);
        comms(all); // the world communicator, made up front so errors show at load
    }

    ~NcclCommunicator() override
    {
        for (auto& [ranks, list] : m_comms)
            for (ncclComm_t c : list)
                ncclCommDestroy(c);
        for (cudaStream_t s : m_streams)
            cudaStreamDestroy(s);
    }

    std::string name() const override { return "nccl (" + std::to_string(m_cuda.size()) + " GPUs)"; }
    int32_t deviceCount() const override { return int32_t(m_cuda.size()); }

    void allReduceSum(std::span<const int32_t> ranks, float* const* buffers, int64_t count, CollectiveTag tag) override
    {
        const size_t p = ranks.size();
        if (p < 2 || count == 0)
            return;
        const auto start = std::chrono::steady_clock::now();
        const std::vector<ncclComm_t>& c = comms(ranks);
        MOE_NCCL_CHECK(ncclGroupStart());
        for (size_t i = 0; i < p; ++i)
            MOE_NCCL_CHECK(ncclAllReduce(buffers[i], buffers[i], size_t(count), ncclFloat, ncclSum, c[i], stream(ranks[i])));
        MOE_NCCL_CHECK(ncclGroupEnd());
        sync(ranks);
        // Counted as the documented reduce-scatter + all-gather (communicator.h).
        for (int phase = 0; phase < 2; ++phase) {
            for (size_t i = 0; i < p; ++i)
                for (size_t j = 0; j < p; ++j) {
                    const size_t owner = phase == 0 ? i : j;
                    const int64_t n = TrafficAccounting::chunkBegin(int64_t(owner) + 1, count, int64_t(p)) -
                                      TrafficAccounting::chunkBegin(int64_t(owner), count, int64_t(p));
                    m_accounting.transfer(m_sink, tag, ranks[j], ranks[i], uint64_t(n) * 4);
                }
            m_accounting.endPhase(m_sink, m_link);
        }
        TrafficAccounting::addMeasured(m_sink, start);
    }

    void allGatherV(std::span<const int32_t> ranks, const float* const* send, float* const* recv, const int64_t* counts,
                    CollectiveTag tag) override
    {
        const auto start = std::chrono::steady_clock::now();
        const std::vector<ncclComm_t>& c = comms(ranks);
        const size_t p = ranks.size();
        // NCCL has no all-gather-v: one broadcast per source rank, all in one group call.
        MOE_NCCL_CHECK(ncclGroupStart());
        int64_t offset = 0;
        for (size_t j = 0; j < p; ++j) {
            for (size_t i = 0; i < p; ++i)
                MOE_NCCL_CHECK(ncclBroadcast(i == j ? send[j] : nullptr, recv[i] + offset, size_t(counts[j]), ncclFloat,
                                             int(j), c[i], stream(ranks[i])));
            offset += counts[j];
        }
        MOE_NCCL_CHECK(ncclGroupEnd());
        sync(ranks);
        for (size_t j = 0; j < p; ++j)
            for (size_t i = 0; i < p; ++i)
                m_accounting.transfer(m_sink, tag, ranks[j], ranks[i], uint64_t(counts[j]) * 4);
        m_accounting.endPhase(m_sink, m_link);
        TrafficAccounting::addMeasured(m_sink, start);
    }

    void allToAllV(std::span<const int32_t> ranks, const float* const* send, float* const* recv, const int64_t* counts,
                   CollectiveTag tag) override
    {
        const auto start = std::chrono::steady_clock::now();
        const std::vector<ncclComm_t>& c = comms(ranks);
        const size_t p = ranks.size();
        MOE_NCCL_CHECK(ncclGroupStart());
        for (size_t i = 0; i < p; ++i) {
            int64_t sendOffset = 0, recvOffset = 0;
            for (size_t j = 0; j < p; ++j) {
                const int64_t out = counts[i * p + j], in = counts[j * p + i];
                if (out > 0)
                    MOE_NCCL_CHECK(ncclSend(send[i] + sendOffset, size_t(out), ncclFloat, int(j), c[i], stream(ranks[i])));
                if (in > 0)
                    MOE_NCCL_CHECK(ncclRecv(recv[i] + recvOffset, size_t(in), ncclFloat, int(j), c[i], stream(ranks[i])));
                sendOffset += out;
                recvOffset += in;
            }
        }
        MOE_NCCL_CHECK(ncclGroupEnd());
        sync(ranks);
        for (size_t i = 0; i < p; ++i)
            for (size_t j = 0; j < p; ++j)
                m_accounting.transfer(m_sink, tag, ranks[i], ranks[j], uint64_t(counts[i * p + j]) * 4);
        m_accounting.endPhase(m_sink, m_link);
        TrafficAccounting::addMeasured(m_sink, start);
    }

    void broadcast(std::span<const int32_t> ranks, int32_t root, float* const* buffers, int64_t count,
                   CollectiveTag tag) override
    {
        const auto start = std::chrono::steady_clock::now();
        const std::vector<ncclComm_t>& c = comms(ranks);
        MOE_NCCL_CHECK(ncclGroupStart());
        for (size_t i = 0; i < ranks.size(); ++i)
            MOE_NCCL_CHECK(ncclBroadcast(buffers[i], buffers[i], size_t(count), ncclFloat, root, c[i], stream(ranks[i])));
        MOE_NCCL_CHECK(ncclGroupEnd());
        sync(ranks);
        for (size_t i = 0; i < ranks.size(); ++i)
            m_accounting.transfer(m_sink, tag, ranks[size_t(root)], ranks[i], uint64_t(count) * 4);
        m_accounting.endPhase(m_sink, m_link);
        TrafficAccounting::addMeasured(m_sink, start);
    }

private:
    cudaStream_t stream(int32_t rank) const { return m_streams[size_t(rank)]; }

    const std::vector<ncclComm_t>& comms(std::span<const int32_t> ranks)
    {
        std::vector<int32_t> key(ranks.begin(), ranks.end());
        auto it = m_comms.find(key);
        if (it != m_comms.end())
            return it->second;
        std::vector<int> devs;
        for (int32_t r : ranks) {
            if (r < 0 || size_t(r) >= m_cuda.size())
                throw Error(ErrorCode::InvalidArgument, "", "rank", "device " + std::to_string(r) + " out of range");
            devs.push_back(m_cuda[size_t(r)]);
        }
        std::vector<ncclComm_t> list(devs.size());
        MOE_NCCL_CHECK(ncclCommInitAll(list.data(), int(devs.size()), devs.data()));
        return m_comms.emplace(std::move(key), std::move(list)).first->second;
    }

    void sync(std::span<const int32_t> ranks)
    {
        for (int32_t r : ranks) {
            MOE_CUDA_CHECK(cudaSetDevice(m_cuda[size_t(r)]));
            MOE_CUDA_CHECK(cudaStreamSynchronize(stream(r)));
        }
    }

    std::vector<int> m_cuda;
    std::vector<cudaStream_t> m_streams;
    std::map<std::vector<int32_t>, std::vector<ncclComm_t>> m_comms;
    TrafficAccounting m_accounting;
};

} // namespace

Communicator* newNcclCommunicator(std::span<const int> cudaDevices)
{
    return new NcclCommunicator(cudaDevices);
}

} // namespace moe
