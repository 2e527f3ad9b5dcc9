// exp(d) for d <= 0 in SIMD lanes, accurate to about 1 ULP: Cody-Waite reduction
// d = k ln2 + r with |r| <= ln2/2, a polynomial for exp(r), then scaling by 2^k through the
// exponent bits. Only defined on [simd_exp_floor, 0]: callers clamp.
#pragma once

#include <cstdint>

#include <xsimd/xsimd.hpp>

#include "codelength/core/config.hpp"
#include "codelength/detail/xsimd_compat.hpp"

// GCC 12 reports AVX-512 intrinsics' deliberately undefined registers as uninitialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

// Smallest argument simd_exp_nonpositive accepts; 2^k stays a normal number above it.
template <class Float>
inline constexpr Float simd_exp_floor = Float(0);
template <>
inline constexpr float simd_exp_floor<float> = -86.0F; // exp(-86) = 4.5e-38
template <>
inline constexpr double simd_exp_floor<double> = -700.0; // exp(-700) = 9.9e-305

// exp(d) for float lanes with d in [-86, 0]; NaN in gives an unspecified value out (callers
// that must see NaN carry it through another term).
template <class Arch>
xsimd::batch<float, Arch> simd_exp_nonpositive(const xsimd::batch<float, Arch>& d) noexcept {
    using batch = xsimd::batch<float, Arch>;
    using int_batch = xsimd::batch<std::int32_t, Arch>;
    // Adding 1.5 * 2^23 rounds d log2(e) to the nearest integer k, left in the low mantissa bits.
    const batch shifter(12582912.0F);
    const batch shifted = xsimd::fma(d, batch(1.44269504088896341F), shifter);
    const batch k = shifted - shifter;
#if defined(__FMA__) || defined(__AVX512F__) || defined(__aarch64__)
    // r = d - k ln2f in one fused step (k ln2f exact inside the fma). ln2f exceeds ln 2 by
    // 1.9e-9, which scales exp(d) by 1 + 1.9e-9 |k|: below 1.4e-8 for the terms within 5 nats of
    // the maximum that make up a row's mass.
    const batch r = xsimd::fnma(k, batch(0.693147182F), d);
#else
    // Without a fused multiply-add (SSE2), k ln2f would be rounded (5e-6 absolute at k = -124):
    // ln 2 is split into 355/512, whose product with k is exact, and the float nearest to the
    // rest, whose rounding error is below 1e-12 (Cody & Waite). The whole function is then at
    // most 1.7e-7 from exp(d), without the ln2f bias of the fused version.
    batch r = xsimd::fnma(k, batch(0.693359375F), d);
    r = xsimd::fnma(k, batch(-2.12194440e-4F), r);
#endif
    // Degree-5 fit of exp on |r| <= ln2/2 with the constant and linear terms fixed at 1, fitted
    // for this library: relative error at most 1.6e-7 (under 3 ULP) with float coefficients,
    // averaging -1.1e-8 over r, and exact at r = 0 (the row's maximum contributes exactly 1).
    // The whole function, over every float d in [-86, 0]: at most 1.68e-7 once the ln2f bias
    // above is divided out, 3.98e-7 with it (at k = -124); the row kernel's accuracy bound
    // (tests/numerics/test_row_kernel_accuracy.cpp) uses these two figures.
    batch p(0.00831246F);
    p = xsimd::fma(p, r, batch(0.041889567F));
    p = xsimd::fma(p, r, batch(0.16667113F));
    p = xsimd::fma(p, r, batch(0.49999234F));
    p = xsimd::fma(p, r, batch(1.0F));
    p = xsimd::fma(p, r, batch(1.0F));
    // p lies in [0.7, 1.42]: adding k << 23 to its bits scales it by 2^k, which stays normal
    // for k >= -124. The low 9 bits of the shifter's word are zero, so `shifted << 23` is k << 23.
    const int_batch scale = simd_bitwise_cast<int_batch>(shifted) << 23;
    return simd_bitwise_cast<batch>(simd_bitwise_cast<int_batch>(p) + scale);
}

// exp(d) for double lanes with d in [-700, 0].
template <class Arch>
xsimd::batch<double, Arch> simd_exp_nonpositive(const xsimd::batch<double, Arch>& d) noexcept {
    using batch = xsimd::batch<double, Arch>;
    using int_batch = xsimd::batch<std::int64_t, Arch>;
    // Adding 1.5 * 2^52 rounds d log2(e) to the nearest integer k, left in the low mantissa
    // bits (no float-to-integer conversion, which a NaN would make undefined).
    const batch shifter(6755399441055744.0);
    const batch shifted = xsimd::fma(d, batch(1.4426950408889634), shifter);
    const batch k = shifted - shifter;
    // ln2_hi has 32 significant bits, so k * ln2_hi is exact for |k| <= 2^20.
    batch r = xsimd::fnma(k, batch(6.93147180369123816490e-01), d);
    r = xsimd::fnma(k, batch(1.90821492927058770002e-10), r);
    // Taylor to degree 13 on |r| <= 0.347: truncation error < 5e-18.
    constexpr double inverse_factorials[] = {1.0 / 6227020800.0,
                                             1.0 / 479001600.0,
                                             1.0 / 39916800.0,
                                             1.0 / 3628800.0,
                                             1.0 / 362880.0,
                                             1.0 / 40320.0,
                                             1.0 / 5040.0,
                                             1.0 / 720.0,
                                             1.0 / 120.0,
                                             1.0 / 24.0,
                                             1.0 / 6.0,
                                             0.5,
                                             1.0,
                                             1.0};
    batch p(inverse_factorials[0]);
    for (std::size_t i = 1; i < std::size(inverse_factorials); ++i) {
        p = xsimd::fma(p, r, batch(inverse_factorials[i]));
    }
    // 2^k for k in [-1010, 0]: the low 12 bits of the shifter's word are zero, so
    // `shifted << 52` is k << 52, and adding it to p's bits scales p (in [0.7, 1.42]) by 2^k.
    const int_batch scale = simd_bitwise_cast<int_batch>(shifted) << 52;
    return simd_bitwise_cast<batch>(simd_bitwise_cast<int_batch>(p) + scale);
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
