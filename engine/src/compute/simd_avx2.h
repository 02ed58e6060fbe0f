// compute/simd_avx2.h — AVX2 helpers shared by the kernel files. Include it only
// inside a `#pragma GCC target("avx2,fma,f16c")` region (MOE_AVX2_BEGIN/END).
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#define MOE_HAVE_AVX2_PATH 1
#include <immintrin.h>
#define MOE_AVX2_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma,f16c\")")
#define MOE_AVX2_END _Pragma("GCC pop_options")
#else
#define MOE_HAVE_AVX2_PATH 0
#endif
