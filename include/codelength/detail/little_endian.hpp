// Fixed-width little-endian integers in byte buffers, for the file formats' headers.
#pragma once

#include "codelength/core/config.hpp"

#include <cstddef>
#include <cstdint>

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

// Writes the low `bytes` bytes of value to out, least significant first.
inline void store_le(std::uint8_t* out, std::uint64_t value, std::size_t bytes) noexcept {
    for (std::size_t b = 0; b < bytes; ++b) {
        out[b] = static_cast<std::uint8_t>((value >> (8U * b)) & 0xffU);
    }
}

// Reads `bytes` bytes (at most 8) written by store_le.
[[nodiscard]] inline std::uint64_t load_le(const std::uint8_t* in, std::size_t bytes) noexcept {
    std::uint64_t value = 0;
    for (std::size_t b = 0; b < bytes; ++b) {
        value |= static_cast<std::uint64_t>(in[b]) << (8U * b);
    }
    return value;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail
