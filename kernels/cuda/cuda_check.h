// Host-side error checks for CUDA runtime and cuBLAS calls: a failure becomes a
// moe::Error naming the device, the call and CUDA's own message.
#pragma once

#include "moe/error.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <string>

namespace moe::cuda {

inline void check(cudaError_t e, const std::string& device, const char* call)
{
    if (e == cudaSuccess)
        return;
    const ErrorCode code = e == cudaErrorMemoryAllocation ? ErrorCode::OutOfMemory : ErrorCode::Io;
    throw Error(code, device, call, std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e));
}

inline void check(cublasStatus_t s, const std::string& device, const char* call)
{
    if (s == CUBLAS_STATUS_SUCCESS)
        return;
    const ErrorCode code = s == CUBLAS_STATUS_ALLOC_FAILED ? ErrorCode::OutOfMemory : ErrorCode::Io;
    throw Error(code, device, call, std::string("cuBLAS: ") + cublasGetStatusString(s));
}

} // namespace moe::cuda

// Uses the enclosing object's m_label ("cuda:0") as the "file" of the error.
#define MOE_CUDA(call) ::moe::cuda::check((call), m_label, #call)
// After a kernel launch: a bad configuration shows here, not at the next sync. Reads
// and clears the error, so one failed launch is not reported again by every later op.
#define MOE_CUDA_LAUNCHED(what) ::moe::cuda::check(cudaGetLastError(), m_label, what)
