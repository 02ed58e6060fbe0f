#include "compute/cpu_features.h"

#include <atomic>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <cstdlib>
#include <cstring>

namespace moe {

bool cpuSupportsAvx2()
{
#if defined(__x86_64__) || defined(__i386__)
    static const bool supported = [] {
        __builtin_cpu_init();
        // F16C (CPUID.1:ECX bit 29) is read directly: clang's __builtin_cpu_supports
        // does not know the name.
        unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
        const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29)) != 0;
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
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
