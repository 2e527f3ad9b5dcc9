// What an exactly codable byte model is: integer frequencies over 256 symbols that encoder and
// decoder compute bit-identically, and the exact integer scaling of those frequencies to the
// range coder's power-of-two total.
#pragma once

#include "codelength/core/config.hpp"

#include <array>
#include <concepts>
#include <cstdint>
#include <span>

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// A model whose next_frequencies(out) fills 256 integer frequencies (each >= 1) for the next
// byte and returns their total T (T <= 2^frequency_total_bits), and whose update(token) learns
// the byte. Integer arithmetic only, so encoder and decoder agree on any machine.
template <class Model>
concept frequency_byte_model = requires(Model& m, std::span<std::uint32_t, 256> out, std::int64_t token) {
    { m.next_frequencies(out) } -> std::same_as<std::uint32_t>;
    m.update(token);
    { std::remove_cvref_t<Model>::frequency_total_bits } -> std::convertible_to<int>;
};

// The largest total a frequency_byte_model may return: 2^frequency_total_limit_bits.
inline constexpr int frequency_total_limit_bits = 30;

// Precision of the range coder's CDF when coding a frequency_byte_model.
inline constexpr int frequency_coder_precision_bits = 31;

namespace detail {

// floor(cumulative * 2^31 / total): the scaled CDF entry of a cumulative frequency. It maps 0 to
// 0 and total to 2^31, and each symbol's width floor(c + f) - floor(c) >= floor(f * 2^31 / T) >= 1
// because T <= 2^30. cumulative * 2^31 < 2^61: no overflow.
[[nodiscard]] constexpr std::uint32_t scale_cumulative(std::uint64_t cumulative,
                                                       std::uint64_t total) noexcept {
    return static_cast<std::uint32_t>((cumulative << static_cast<unsigned>(frequency_coder_precision_bits)) /
                                      total);
}

} // namespace detail

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
