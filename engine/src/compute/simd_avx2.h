// compute/simd_avx2.h — AVX2 helpers shared by the kernel files. Include it only
// inside a `#pragma GCC target("avx2,fma,f16c")` region (MOE_AVX2_BEGIN/END).
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#define MOE_HAVE_AVX2_PATH 1
#include <immintrin.h>
#if defined(__clang__)
// clang ignores `#pragma GCC target`; its attribute pragma gives every function in the
// region the same target (the fuzz build compiles the engine with clang).
#define MOE_AVX2_BEGIN \
    _Pragma("clang attribute push(__attribute__((target(\"avx2,fma,f16c\"))), apply_to = function)")
#define MOE_AVX2_END _Pragma("clang attribute pop")
#else
#define MOE_AVX2_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma,f16c\")")
#define MOE_AVX2_END _Pragma("GCC pop_options")
#endif
#else
#define MOE_HAVE_AVX2_PATH 0
#endif
