// Units of information. One mechanism: amounts are plain doubles whose unit is in the name
// (`_bits`, `_nats`, `bits_per_byte`); where a caller's numbers may be in either unit, the
// function takes an information_unit. The conversion constants live here too.
#pragma once

#include <cstdint>
#include <numbers>

#include "codelength/core/config.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// 1 nat = 1/ln 2 bits = log2(e) bits.
inline constexpr double bits_per_nat = std::numbers::log2e;
// 1 bit = ln 2 nats.
inline constexpr double nats_per_bit = std::numbers::ln2;

// The unit a caller's code lengths or losses are in: bits (log2) or nats (ln).
enum class information_unit : std::uint8_t { bits, nats };

// `amount` in `unit` converted to bits (nats x log2 e).
//   codelength::to_bits(1.0, codelength::information_unit::nats) // 1.4426950408889634
[[nodiscard]] constexpr double to_bits(double amount, information_unit unit) noexcept {
    return unit == information_unit::nats ? amount * bits_per_nat : amount;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
