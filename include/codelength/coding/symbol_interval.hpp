// The interface between quantizers and entropy coders: a symbol's slot in an integer CDF
// whose total is 2^precision_bits.
#pragma once

#include "codelength/core/config.hpp"

#include <cstdint>

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Largest supported CDF precision: totals up to 2^31 keep every CDF entry in 32 bits.
inline constexpr int max_precision_bits = 31;

// Precision presets: 16 bits serves byte-sized alphabets, 24 bits LLM vocabularies
// (floor cost 0.0043 bits/token at V = 50,257), 31 bits the smallest quantization loss.
inline constexpr int precision_bits_16 = 16;
inline constexpr int precision_bits_24 = 24;
inline constexpr int precision_bits_31 = 31;

// Symbol s occupies [cdf_low, cdf_low + frequency) of [0, 2^precision_bits); frequency >= 1.
struct symbol_interval {
    std::uint32_t cdf_low = 0;
    std::uint32_t frequency = 0;
    friend constexpr bool operator==(symbol_interval, symbol_interval) = default;
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
