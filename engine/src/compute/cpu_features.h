// compute/cpu_features.h — which SIMD path the CPU kernels take.
//
// Kernels are compiled twice: a portable scalar path and an AVX2+FMA+F16C path (GCC
// target attributes, so the library itself needs no -march flag). The path is chosen
// at run time from CPUID; MOE_CPU_SIMD=scalar in the environment, or setCpuSimdLevel(),
// forces the scalar path so tests can check both on one machine.
#pragma once

namespace moe {

enum class CpuSimd { Scalar, Avx2 };

bool cpuSupportsAvx2();          // AVX2 + FMA + F16C present
CpuSimd cpuSimdLevel();          // the path kernels take now
// Selects the path; a level the CPU lacks falls back to Scalar. Not for use while ops run.
void setCpuSimdLevel(CpuSimd level);
const char* cpuSimdName(CpuSimd level); // "scalar", "avx2"

} // namespace moe
