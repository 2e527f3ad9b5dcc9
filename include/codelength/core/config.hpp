// Build-configuration checks every header shares.
#pragma once

// -ffast-math (and -Ofast, or -ffinite-math-only alone) lets the compiler assume that no value
// is NaN or infinite and reorder floating-point sums. The library's input validation (a NaN or
// +inf logit is an error), its infinite code lengths and the bit-identical probabilities that
// encoder and decoder must share all depend on IEEE semantics, so such a build is refused here
// rather than left to give silently wrong numbers. Compile the translation units that include
// codelength without those flags (e.g. `-fno-fast-math`, or per source file in CMake).
#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error                                                                                                       \
    "codelength needs IEEE floating point: compile without -ffast-math / -Ofast / -ffinite-math-only (see codelength/core/config.hpp)"
#endif

// Every header opens `namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::inline
// CODELENGTH_TARGET_NAMESPACE`: an inline namespace named after what this translation unit was compiled for,
// the instruction set extensions the compiler may use (-mavx2, -march=...) and the library's configuration
// (xsimd, run-time dispatch). Inline functions and templates compiled with different targets therefore get
// different symbols, so the linker can never keep a copy built for AVX2 or AVX-512 and call it from code
// built for the baseline (a SIGILL on an older CPU, or results that depend on the link order). The price:
// objects of codelength types cannot be passed between translation units compiled for different targets (that
// fails at link time, never silently). Examples: isa_sse2_xsimd (x86-64 default flags),
// isa_sse2_sse42_avx_avx2_fma_f16c_xsimd (-march=x86-64-v3), isa_neon_armfma_xsimd (aarch64),
// isa_sse2_xsimd_dispatch (default flags, linked to codelength::dispatch),
// isa_sse2_sse42_avx_avx2_fma_f16c_xsimd_kernels (the AVX2 unit of codelength::dispatch).
#define CODELENGTH_DETAIL_CONCAT_(a, b) a##b
#define CODELENGTH_DETAIL_CONCAT(a, b) CODELENGTH_DETAIL_CONCAT_(a, b)
#if defined(__SSE2__) || defined(_M_X64)
#define CODELENGTH_DETAIL_TAG_SSE2 _sse2
#else
#define CODELENGTH_DETAIL_TAG_SSE2
#endif
#if defined(__SSE4_2__)
#define CODELENGTH_DETAIL_TAG_SSE42 _sse42
#else
#define CODELENGTH_DETAIL_TAG_SSE42
#endif
#if defined(__AVX__)
#define CODELENGTH_DETAIL_TAG_AVX _avx
#else
#define CODELENGTH_DETAIL_TAG_AVX
#endif
#if defined(__AVX2__)
#define CODELENGTH_DETAIL_TAG_AVX2 _avx2
#else
#define CODELENGTH_DETAIL_TAG_AVX2
#endif
#if defined(__FMA__)
#define CODELENGTH_DETAIL_TAG_FMA _fma
#else
#define CODELENGTH_DETAIL_TAG_FMA
#endif
#if defined(__F16C__)
#define CODELENGTH_DETAIL_TAG_F16C _f16c
#else
#define CODELENGTH_DETAIL_TAG_F16C
#endif
#if defined(__AVX512F__)
#define CODELENGTH_DETAIL_TAG_AVX512F _avx512f
#else
#define CODELENGTH_DETAIL_TAG_AVX512F
#endif
#if defined(__AVX512BW__)
#define CODELENGTH_DETAIL_TAG_AVX512BW _avx512bw
#else
#define CODELENGTH_DETAIL_TAG_AVX512BW
#endif
#if defined(__AVX512DQ__)
#define CODELENGTH_DETAIL_TAG_AVX512DQ _avx512dq
#else
#define CODELENGTH_DETAIL_TAG_AVX512DQ
#endif
#if defined(__AVX512VL__)
#define CODELENGTH_DETAIL_TAG_AVX512VL _avx512vl
#else
#define CODELENGTH_DETAIL_TAG_AVX512VL
#endif
#if defined(__ARM_NEON) || defined(__aarch64__)
#define CODELENGTH_DETAIL_TAG_NEON _neon
#else
#define CODELENGTH_DETAIL_TAG_NEON
#endif
#if defined(__ARM_FEATURE_FMA)
#define CODELENGTH_DETAIL_TAG_ARM_FMA _armfma
#else
#define CODELENGTH_DETAIL_TAG_ARM_FMA
#endif
#if defined(CODELENGTH_USE_XSIMD)
#define CODELENGTH_DETAIL_TAG_XSIMD _xsimd
#else
#define CODELENGTH_DETAIL_TAG_XSIMD
#endif
#if defined(CODELENGTH_DISPATCH)
#define CODELENGTH_DETAIL_TAG_DISPATCH _dispatch
#elif defined(CODELENGTH_KERNEL_UNIT) // a unit of codelength::dispatch (src/numerics/kernels_*.cpp)
#define CODELENGTH_DETAIL_TAG_DISPATCH _kernels
#else
#define CODELENGTH_DETAIL_TAG_DISPATCH
#endif
#define CODELENGTH_DETAIL_TAG_X86                                                                            \
    CODELENGTH_DETAIL_CONCAT(                                                                                \
        CODELENGTH_DETAIL_CONCAT(                                                                            \
            CODELENGTH_DETAIL_CONCAT(                                                                        \
                CODELENGTH_DETAIL_CONCAT(                                                                    \
                    CODELENGTH_DETAIL_CONCAT(                                                                \
                        CODELENGTH_DETAIL_CONCAT(CODELENGTH_DETAIL_TAG_SSE2, CODELENGTH_DETAIL_TAG_SSE42),   \
                        CODELENGTH_DETAIL_TAG_AVX),                                                          \
                    CODELENGTH_DETAIL_TAG_AVX2),                                                             \
                CODELENGTH_DETAIL_TAG_FMA),                                                                  \
            CODELENGTH_DETAIL_TAG_F16C),                                                                     \
        CODELENGTH_DETAIL_CONCAT(                                                                            \
            CODELENGTH_DETAIL_CONCAT(                                                                        \
                CODELENGTH_DETAIL_CONCAT(CODELENGTH_DETAIL_TAG_AVX512F, CODELENGTH_DETAIL_TAG_AVX512BW),     \
                CODELENGTH_DETAIL_TAG_AVX512DQ),                                                             \
            CODELENGTH_DETAIL_TAG_AVX512VL))
#define CODELENGTH_TARGET_NAMESPACE                                                                          \
    CODELENGTH_DETAIL_CONCAT(                                                                                \
        CODELENGTH_DETAIL_CONCAT(                                                                            \
            CODELENGTH_DETAIL_CONCAT(                                                                        \
                CODELENGTH_DETAIL_CONCAT(isa, CODELENGTH_DETAIL_TAG_X86),                                    \
                CODELENGTH_DETAIL_CONCAT(CODELENGTH_DETAIL_TAG_NEON, CODELENGTH_DETAIL_TAG_ARM_FMA)),        \
            CODELENGTH_DETAIL_TAG_XSIMD),                                                                    \
        CODELENGTH_DETAIL_TAG_DISPATCH)
