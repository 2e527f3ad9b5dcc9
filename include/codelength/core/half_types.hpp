// 16-bit floating-point storage types: bfloat16 and IEEE binary16, kept as raw 16-bit words
// and widened to float before any arithmetic.
#pragma once

#include "codelength/core/config.hpp"
#include <bit>
#include <cstdint>

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// bfloat16 stored as its 16-bit word (the high half of an IEEE binary32).
struct bfloat16 {
    std::uint16_t bits = 0;
    // Widening is exact: the word becomes the high 16 bits of a float.
    [[nodiscard]] constexpr float to_float() const noexcept {
        return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16U);
    }
    // Round-to-nearest-even narrowing; NaN stays NaN.
    [[nodiscard]] static constexpr bfloat16 from_float(float value) noexcept {
        const auto word = std::bit_cast<std::uint32_t>(value);
        if ((word & 0x7fffffffU) > 0x7f800000U) {
            return bfloat16{static_cast<std::uint16_t>((word >> 16U) | 0x0040U)};
        }
        const std::uint32_t rounding = 0x7fffU + ((word >> 16U) & 1U);
        return bfloat16{static_cast<std::uint16_t>((word + rounding) >> 16U)};
    }
};

// IEEE 754 binary16 stored as its 16-bit word.
struct float16 {
    std::uint16_t bits = 0;
    // Exact widening to binary32, subnormals, infinities and NaN included.
    [[nodiscard]] constexpr float to_float() const noexcept {
        const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000U) << 16U;
        const std::uint32_t exponent = (bits >> 10U) & 0x1fU;
        std::uint32_t mantissa = bits & 0x3ffU;
        if (exponent == 0x1fU) { // inf or NaN
            return std::bit_cast<float>(sign | 0x7f800000U | (mantissa << 13U));
        }
        if (exponent != 0) { // normal: rebias 15 -> 127
            return std::bit_cast<float>(sign | ((exponent + 112U) << 23U) | (mantissa << 13U));
        }
        if (mantissa == 0) {
            return std::bit_cast<float>(sign);
        }
        // Subnormal: value = mantissa * 2^-24, exactly representable as a normal float.
        std::uint32_t shift = 0;
        while ((mantissa & 0x400U) == 0) {
            mantissa <<= 1U;
            ++shift;
        }
        mantissa &= 0x3ffU;
        return std::bit_cast<float>(sign | ((113U - shift) << 23U) | (mantissa << 13U));
    }
    // Round-to-nearest-even narrowing; overflow goes to infinity, NaN stays NaN.
    [[nodiscard]] static constexpr float16 from_float(float value) noexcept {
        const auto word = std::bit_cast<std::uint32_t>(value);
        const auto sign = static_cast<std::uint16_t>((word >> 16U) & 0x8000U);
        const std::uint32_t magnitude = word & 0x7fffffffU;
        if (magnitude > 0x7f800000U) {
            return float16{static_cast<std::uint16_t>(sign | 0x7e00U)};
        }
        if (magnitude >= 0x477ff000U) { // rounds to >= 65520: infinity
            return float16{static_cast<std::uint16_t>(sign | 0x7c00U)};
        }
        if (magnitude < 0x38800000U) {     // below 2^-14: subnormal or zero
            if (magnitude < 0x33000000U) { // below 2^-25: rounds to zero
                return float16{sign};
            }
            const std::uint32_t exponent = magnitude >> 23U;
            const std::uint32_t mantissa = (magnitude & 0x7fffffU) | 0x800000U;
            const std::uint32_t shift = 126U - exponent; // 14..24 (value = mantissa * 2^(exp-150))
            const std::uint32_t half_ulp = 1U << (shift - 1U);
            std::uint32_t result = mantissa >> shift;
            const std::uint32_t rest = mantissa & ((1U << shift) - 1U);
            if (rest > half_ulp || (rest == half_ulp && (result & 1U) != 0)) {
                ++result;
            }
            return float16{static_cast<std::uint16_t>(sign | result)};
        }
        const std::uint32_t rebased = magnitude - (112U << 23U);
        const std::uint32_t rounding = 0xfffU + ((rebased >> 13U) & 1U);
        return float16{static_cast<std::uint16_t>(sign | ((rebased + rounding) >> 13U))};
    }
};

static_assert(sizeof(bfloat16) == 2 && sizeof(float16) == 2);

// Widens any supported element type to the type arithmetic is done in.
[[nodiscard]] constexpr float widen(bfloat16 value) noexcept {
    return value.to_float();
}
[[nodiscard]] constexpr float widen(float16 value) noexcept {
    return value.to_float();
}
[[nodiscard]] constexpr float widen(float value) noexcept {
    return value;
}
[[nodiscard]] constexpr double widen(double value) noexcept {
    return value;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
