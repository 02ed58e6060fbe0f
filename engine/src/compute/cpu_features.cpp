#include "compute/cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace moe {

bool cpuSupportsAvx2()
{
#if defined(__x86_64__) || defined(__i386__)
    static const bool supported = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }();
    return supported;
#else
    return false;
#endif
}

namespace {
CpuSimd initialLevel()
{
    const char* env = std::getenv("MOE_CPU_SIMD");
    if (env && std::strcmp(env, "scalar") == 0)
        return CpuSimd::Scalar;
    return cpuSupportsAvx2() ? CpuSimd::Avx2 : CpuSimd::Scalar;
}

std::atomic<CpuSimd>& levelRef()
{
    static std::atomic<CpuSimd> level{initialLevel()};
    return level;
}
} // namespace

CpuSimd cpuSimdLevel() { return levelRef().load(std::memory_order_relaxed); }

void setCpuSimdLevel(CpuSimd level)
{
    if (level == CpuSimd::Avx2 && !cpuSupportsAvx2())
        level = CpuSimd::Scalar;
    levelRef().store(level, std::memory_order_relaxed);
}

const char* cpuSimdName(CpuSimd level) { return level == CpuSimd::Avx2 ? "avx2" : "scalar"; }

} // namespace moe
