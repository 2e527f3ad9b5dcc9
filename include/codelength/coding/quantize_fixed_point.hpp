// The integer pipeline of the leaky quantizer, bit for bit: logit -> exponent steps -> weight
// -> integer CDF. These functions are the specification: the scalar and the SIMD kernels both
// compute exactly these integers, so an encoder and a decoder built by different compilers,
// with or without SIMD, agree on every CDF entry.
//
// Floating point appears only in `exponent_steps`: one subtraction and one multiplication,
// each rounded once by IEEE 754 round-to-nearest (the default mode; a program must not change
// it), then a clamp and a truncating conversion. No product ever feeds an addition, so FMA
// contraction cannot change a result; flush-to-zero / denormals-are-zero modes cannot either
// (a subnormal difference or product truncates to 0 steps with or without them).
// Everything after the conversion is integer arithmetic.
#pragma once

#include "codelength/core/config.hpp"
#include <array>
#include <bit>
#include <cfloat>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

static_assert(std::numeric_limits<float>::is_iec559 && std::numeric_limits<double>::is_iec559,
              "codelength quantization needs IEEE 754 binary32 and binary64");
// x87 excess precision (FLT_EVAL_METHOD 1 or 2) would round differently from SSE2/NEON builds.
static_assert(FLT_EVAL_METHOD == 0,
              "codelength quantization needs float arithmetic evaluated at its own precision "
              "(FLT_EVAL_METHOD == 0): on 32-bit x86 compile with -msse2 -mfpmath=sse");

// Exponent steps per octave: a logit n steps below the row maximum weighs 2^(-n / 1024).
inline constexpr int fraction_bits = 10;
// Steps are clamped here; from 31 * 1024 steps (21.5 nats) down the weight is 0 or 1.
inline constexpr std::uint32_t max_exponent_steps = 32767;
// 1024 log2(e) rounded to float (1477.31970...) and to double: steps per nat.
inline constexpr float steps_per_nat_float = 0x1.715476p+10F;
inline constexpr double steps_per_nat_double = 0x1.71547652b82fep+10;

// round(2^16 * 2^(-h / 32)) for h = 0..31: the upper five fraction bits of a step count.
// Hard-coded (generated once with 200-bit arithmetic) so no libm can change a weight.
alignas(64) inline constexpr std::array<std::uint32_t, 32> weight_table_coarse = {
    65536, 64132, 62757, 61413, 60097, 58809, 57549, 56316, 55109, 53928, 52773,
    51642, 50535, 49452, 48393, 47356, 46341, 45348, 44376, 43425, 42495, 41584,
    40693, 39821, 38968, 38133, 37316, 36516, 35734, 34968, 34219, 33486};
// round(2^15 * 2^(-l / 1024)) for l = 0..31: the lower five fraction bits.
alignas(64) inline constexpr std::array<std::uint32_t, 32> weight_table_fine = {
    32768, 32746, 32724, 32702, 32679, 32657, 32635, 32613, 32591, 32569, 32547,
    32525, 32503, 32481, 32459, 32437, 32415, 32393, 32371, 32349, 32327, 32306,
    32284, 32262, 32240, 32218, 32196, 32175, 32153, 32131, 32109, 32088};

// The fine table in closed form, for SIMD paths without a cheap 32-entry lookup: with l in [0, 32),
// (2^22 + 75 + l (l - 2840)) >> 7 = 32768 - floor((l (2840 - l) + 52) / 128) = weight_table_fine[l]
// (checked below for every l). The operands fit 16-bit multiplies; the sum stays in (2^21, 2^23).
inline constexpr std::int32_t fine_weight_offset = 4194379;
inline constexpr std::int32_t fine_weight_linear = 2840;
inline constexpr unsigned fine_weight_shift = 7;
[[nodiscard]] constexpr std::uint32_t fine_weight_closed_form(std::uint32_t l) noexcept {
    const auto signed_l = static_cast<std::int32_t>(l);
    return static_cast<std::uint32_t>(fine_weight_offset + signed_l * (signed_l - fine_weight_linear)) >>
           fine_weight_shift;
}
static_assert(
    [] {
        for (std::uint32_t l = 0; l < 32; ++l) {
            if (fine_weight_closed_form(l) != weight_table_fine[l]) {
                return false;
            }
        }
        return true;
    }(),
    "fine_weight_closed_form must reproduce weight_table_fine");

// The coarse table as 16 words of two 16-bit halves, coarse[k] - 2^15 | (coarse[k + 16] - 2^15) << 16
// (each in [718, 2^15]): AVX2 looks it up with two 8-entry permutes instead of four.
inline constexpr std::uint32_t coarse_weight_bias = 32768;
alignas(64) inline constexpr std::array<std::uint32_t, 16> weight_table_coarse_pairs = [] {
    std::array<std::uint32_t, 16> pairs{};
    for (std::size_t k = 0; k < 16; ++k) {
        pairs[k] = (weight_table_coarse[k] - coarse_weight_bias) |
                   ((weight_table_coarse[k + 16] - coarse_weight_bias) << 16U);
    }
    return pairs;
}();
static_assert(weight_table_coarse[0] - coarse_weight_bias <= 0xffffU &&
              weight_table_coarse[31] >= coarse_weight_bias);

// n = trunc(min((m - z) * K, 32767)) for a logit z of a row whose maximum is m (so m - z >= 0).
// -inf logits give +inf, clamped to 32767; the truncating conversion is exact-by-definition
// (cvttss2si / cvttps2dq / C++ static_cast agree for values in [0, 32767]).
[[nodiscard]] inline std::uint32_t exponent_steps(float logit, float max_logit) noexcept {
    const float steps = (max_logit - logit) * steps_per_nat_float;
    const float clamped =
        steps < static_cast<float>(max_exponent_steps) ? steps : static_cast<float>(max_exponent_steps);
    return static_cast<std::uint32_t>(static_cast<std::int32_t>(clamped));
}
[[nodiscard]] inline std::uint32_t exponent_steps(double logit, double max_logit) noexcept {
    const double steps = (max_logit - logit) * steps_per_nat_double;
    const double clamped =
        steps < static_cast<double>(max_exponent_steps) ? steps : static_cast<double>(max_exponent_steps);
    return static_cast<std::uint32_t>(static_cast<std::int32_t>(clamped));
}

// w(n) = coarse[(n >> 5) & 31] * fine[n & 31] >> (n >> 10), about 2^31 * 2^(-n / 1024).
// The product is at most 2^16 * 2^15 = 2^31 (exactly 2^31 only at n % 1024 == 0), so it fits
// in 32 bits, and n <= 32767 keeps the shift at most 31. The row maximum weighs exactly 2^31.
[[nodiscard]] constexpr std::uint32_t weight_of_steps(std::uint32_t steps) noexcept {
    const std::uint32_t product = weight_table_coarse[(steps >> 5U) & 31U] * weight_table_fine[steps & 31U];
    return product >> (steps >> static_cast<unsigned>(fraction_bits));
}

// The map from cumulative weights to CDF entries: floor(cum * multiplier / 2^(32 + shift)).
// With W the total weight and M = 2^P - V the mass left after every symbol's 1:
//   S = 31 + bit_width(W) - bit_width(M),  multiplier = ceil(M * 2^S / W) in (2^30, 2^32).
// S >= 32 because every row's maximum weighs >= 2^31 > M. The multiplier exceeds M * 2^S / W
// by less than 1, so cum * multiplier / 2^S exceeds cum * M / W by less than W / 2^S < 1:
//   floor(cum * multiplier / 2^S) = floor(cum * M / W) or one more, and exactly M at cum = W
// (ceil(M 2^S / W) <= 2^32 - 1 because M / 2^bit_width(M) <= 1 - 2^-31).
struct cdf_scale {
    std::uint64_t multiplier = 0; // 0 when M == 0 (V == 2^P: every frequency is 1)
    unsigned shift = 0;           // S - 32

    // floor(cum * multiplier / 2^(32 + shift)) exactly, for cum < 2^64: the high and low
    // 32-bit halves of cum are multiplied separately (each product < 2^64) and
    // floor(floor(x / 2^32) / 2^shift) = floor(x / 2^(32 + shift)).
    [[nodiscard]] constexpr std::uint64_t apply(std::uint64_t cumulative_weight) const noexcept {
        const std::uint64_t high = (cumulative_weight >> 32U) * multiplier;
        const std::uint64_t low = (cumulative_weight & 0xffffffffU) * multiplier;
        return (high + (low >> 32U)) >> shift;
    }
};

// ceil(numerator * 2^exponent / divisor) for a quotient below 2^64 and divisor < 2^63, by
// long division in steps of as many bits as the remainder has room for (portable: no __int128).
[[nodiscard]] constexpr std::uint64_t shifted_quotient_ceil(std::uint64_t numerator, int exponent,
                                                            std::uint64_t divisor) noexcept {
    std::uint64_t quotient = numerator / divisor;
    std::uint64_t remainder = numerator % divisor;
    // remainder < divisor < 2^(64 - room), so remainder << room does not overflow.
    const int room = std::countl_zero(divisor);
    while (exponent > 0) {
        const int step = exponent < room ? exponent : room;
        const std::uint64_t widened = remainder << static_cast<unsigned>(step);
        quotient = (quotient << static_cast<unsigned>(step)) + widened / divisor;
        remainder = widened % divisor;
        exponent -= step;
    }
    return quotient + (remainder != 0 ? 1 : 0);
}

// The scale for total weight W >= 2^31 and free mass M = 2^P - V < 2^31.
[[nodiscard]] constexpr cdf_scale make_cdf_scale(std::uint64_t total_weight,
                                                 std::uint64_t free_mass) noexcept {
    if (free_mass == 0) {
        return cdf_scale{0, 0};
    }
    const int s =
        31 + static_cast<int>(std::bit_width(total_weight)) - static_cast<int>(std::bit_width(free_mass));
    return cdf_scale{shifted_quotient_ceil(free_mass, s, total_weight), static_cast<unsigned>(s - 32)};
}

// CDF entry i: floor(cum_i * A / 2^S) + i; at i = V (cum = W) this is exactly M + V = 2^P.
[[nodiscard]] constexpr std::uint32_t cdf_entry(const cdf_scale& scale, std::uint64_t cumulative_weight,
                                                std::int64_t i) noexcept {
    return static_cast<std::uint32_t>(scale.apply(cumulative_weight)) + static_cast<std::uint32_t>(i);
}

// --- Probabilities: weights by exact power-of-two scaling (no floating-point operation at all).

// floor(log2 p) of a positive finite double, from its bits.
[[nodiscard]] constexpr int floor_log2(double positive) noexcept {
    const auto bits = std::bit_cast<std::uint64_t>(positive) & 0x7fffffffffffffffULL;
    const auto biased = static_cast<int>(bits >> 52U);
    if (biased == 0) { // subnormal: value = mantissa * 2^-1074
        return static_cast<int>(std::bit_width(bits)) - 1 - 1074;
    }
    return biased - 1023;
}

// floor(p * 2^scale_exponent) for 0 <= p with p * 2^scale_exponent < 2^32, exactly, from p's
// bits (so float and double inputs of equal value give equal weights; -0 weighs 0).
[[nodiscard]] constexpr std::uint32_t probability_weight(double probability, int scale_exponent) noexcept {
    const auto bits = std::bit_cast<std::uint64_t>(probability) & 0x7fffffffffffffffULL;
    const auto biased = static_cast<int>(bits >> 52U);
    std::uint64_t mantissa = bits & 0xfffffffffffffULL;
    int exponent = -1074; // value = mantissa * 2^exponent
    if (biased != 0) {
        mantissa |= std::uint64_t{1} << 52U;
        exponent = biased - 1075;
    }
    if (mantissa == 0) {
        return 0;
    }
    const int shift = exponent + scale_exponent; // <= 31 for every p within the precondition
    if (shift >= 0) {
        return static_cast<std::uint32_t>(mantissa << static_cast<unsigned>(shift));
    }
    if (shift <= -64) {
        return 0;
    }
    return static_cast<std::uint32_t>(mantissa >> static_cast<unsigned>(-shift));
}

// The exponent that puts the largest probability in [2^31, 2^32): weights keep 31 bits below it.
[[nodiscard]] constexpr int probability_scale_exponent(double max_probability) noexcept {
    return 31 - floor_log2(max_probability);
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail
