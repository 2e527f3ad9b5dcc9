// Units of information: bits and nats as distinct types, and the conversion constants.
#pragma once

#include "codelength/core/config.hpp"
#include <cmath>
#include <numbers>

namespace codelength::inline v0 {

// 1 nat = 1/ln 2 bits = log2(e) bits.
inline constexpr double bits_per_nat = std::numbers::log2e;
// 1 bit = ln 2 nats.
inline constexpr double nats_per_bit = std::numbers::ln2;

struct nats;

// An amount of information in bits (base-2 logarithm).
struct bits {
    double value = 0.0;
    [[nodiscard]] constexpr nats to_nats() const noexcept;
    constexpr bits& operator+=(bits other) noexcept {
        value += other.value;
        return *this;
    }
    friend constexpr bits operator+(bits a, bits b) noexcept { return bits{a.value + b.value}; }
    friend constexpr bits operator-(bits a, bits b) noexcept { return bits{a.value - b.value}; }
    friend constexpr auto operator<=>(bits, bits) = default;
};

// An amount of information in nats (natural logarithm).
struct nats {
    double value = 0.0;
    [[nodiscard]] constexpr bits to_bits() const noexcept { return bits{value * bits_per_nat}; }
    constexpr nats& operator+=(nats other) noexcept {
        value += other.value;
        return *this;
    }
    friend constexpr nats operator+(nats a, nats b) noexcept { return nats{a.value + b.value}; }
    friend constexpr nats operator-(nats a, nats b) noexcept { return nats{a.value - b.value}; }
    friend constexpr auto operator<=>(nats, nats) = default;
};

constexpr nats bits::to_nats() const noexcept {
    return nats{value * nats_per_bit};
}

} // namespace codelength::inline v0
