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
