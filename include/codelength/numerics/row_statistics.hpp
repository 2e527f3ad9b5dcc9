// One pass over a row of logits: log-sum-exp, the target's log-probability and rank, the
// row's entropy and the variance of log p under p (log p_i = z_i - logsumexp(z),
// with the maximum subtracted first; Milakov & Gimelshein 2018).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/core/units.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Everything the row kernel yields for one row z of logits and one target t.
// Log-probabilities are accepted as logits too: the kernel renormalizes them.
struct row_statistics {
    std::int64_t target = -1;                    // t; < 0 means the row was not scored (ignore_index)
    double max_logit = 0.0;                      // m = max_i z_i
    double log_sum_exp_nats = 0.0;               // ln sum_i exp(z_i)
    double target_log_probability_nats = 0.0;    // ln p_t = z_t - logsumexp(z); -inf when p_t = 0
    double entropy_nats = 0.0;                   // H = -sum_i p_i ln p_i
    double log_probability_variance_nats2 = 0.0; // Var_p[ln p] = sum_i p_i (ln p_i + H)^2
    std::int64_t target_rank = -1;               // #{i : z_i > z_t} + #{i < t : z_i == z_t}; 0 = argmax

    // Whether the row was scored (its target was not ignored).
    [[nodiscard]] bool is_scored() const noexcept { return target >= 0; }
    // Surprisal -log2 p_t in bits; +inf when the target has probability 0.
    [[nodiscard]] double target_surprisal_bits() const noexcept {
        return -target_log_probability_nats * bits_per_nat;
    }
    // E_p[ln p] = -H (Min-K%++'s mu).
    [[nodiscard]] double log_probability_mean_nats() const noexcept { return -entropy_nats; }
    // Whether p_t = 0 (the target's logit is -inf): infinite code length, flagged, not NaN.
    [[nodiscard]] bool target_is_impossible() const noexcept {
        return target >= 0 && std::isinf(target_log_probability_nats);
    }
};

// Which implementation of the row kernel to run.
enum class kernel_choice {
    automatic, // the vectorized kernel when the library was built with xsimd, else scalar;
               // with codelength::dispatch, the active instruction set's kernel
    scalar,    // portable reference loop (double accumulation)
    simd,      // xsimd kernel; throws invalid_argument_error in a build without xsimd
};

// Whether kernel_choice::simd can run in this build (the library was compiled with xsimd,
// CODELENGTH_USE_XSIMD, which the CMake option CODELENGTH_WITH_XSIMD sets).
inline constexpr bool simd_kernel_available =
#if defined(CODELENGTH_USE_XSIMD) || defined(CODELENGTH_DISPATCH)
    true;
#else
    false;
#endif

namespace detail {

// Throws invalid_argument_error when `kernel` asks for SIMD in a build without it, instead of
// quietly running the scalar kernel.
inline void check_kernel_available(kernel_choice kernel) {
    if (kernel == kernel_choice::simd && !simd_kernel_available) {
        throw invalid_argument_error(
            "kernel_choice::simd was requested, but this build of codelength has no SIMD kernel "
            "(compiled without xsimd: CODELENGTH_WITH_XSIMD=OFF); use kernel_choice::automatic or scalar");
    }
}

} // namespace detail

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
