// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum the stream format keeps
// of its header and of the original symbols. Table-driven slice-by-8 everywhere; the SSE4.2
// crc32 instruction when the compiler targets it (__SSE4_2__), or, with codelength::dispatch,
// when the CPU has it (the avx2 and avx512 paths), with identical results.
#pragma once

#include "codelength/core/config.hpp"
#include "codelength/numerics/dispatch.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#if defined(__SSE4_2__) && (defined(__x86_64__) || defined(_M_X64))
#include <nmmintrin.h>
#define CODELENGTH_CRC32C_SSE42 1
#else
#define CODELENGTH_CRC32C_SSE42 0
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Whether the inlined crc32c() of this translation unit's target runs on the SSE4.2 crc32
// instruction (results are identical; with codelength::dispatch the CPU decides instead).
inline constexpr bool crc32c_hardware_accelerated = CODELENGTH_CRC32C_SSE42 != 0;

namespace detail {

inline constexpr std::uint32_t crc32c_polynomial_reflected = 0x82F63B78U;

// table[0] advances the register by one byte; table[k][b] advances byte b followed by k zero
// bytes, so eight bytes are folded with eight independent lookups (slice-by-8).
using crc32c_table_set = std::array<std::array<std::uint32_t, 256>, 8>;

consteval crc32c_table_set make_crc32c_tables() {
    crc32c_table_set tables{};
    for (std::uint32_t byte = 0; byte < 256; ++byte) {
        std::uint32_t state = byte;
        for (int bit = 0; bit < 8; ++bit) {
            state = (state >> 1U) ^ ((state & 1U) != 0 ? crc32c_polynomial_reflected : 0U);
        }
        tables[0][byte] = state;
    }
    for (std::size_t k = 1; k < 8; ++k) {
        for (std::size_t byte = 0; byte < 256; ++byte) {
            const std::uint32_t previous = tables[k - 1][byte];
            tables[k][byte] = (previous >> 8U) ^ tables[0][previous & 0xffU];
        }
    }
    return tables;
}

inline constexpr crc32c_table_set crc32c_tables = make_crc32c_tables();

// The 4 bytes at data as a little-endian integer (one load on little-endian machines).
[[nodiscard]] inline std::uint32_t load_u32_le(const unsigned char* data) noexcept {
    return static_cast<std::uint32_t>(data[0]) | (static_cast<std::uint32_t>(data[1]) << 8U) |
           (static_cast<std::uint32_t>(data[2]) << 16U) | (static_cast<std::uint32_t>(data[3]) << 24U);
}

// Advances the raw CRC register (already inverted) over size bytes, slice-by-8.
[[nodiscard]] inline std::uint32_t crc32c_advance_portable(std::uint32_t state, const unsigned char* data,
                                                           std::size_t size) noexcept {
    const auto& t = crc32c_tables;
    for (; size >= 8; size -= 8, data += 8) {
        const std::uint32_t low = load_u32_le(data) ^ state;
        const std::uint32_t high = load_u32_le(data + 4);
        state = t[7][low & 0xffU] ^ t[6][(low >> 8U) & 0xffU] ^ t[5][(low >> 16U) & 0xffU] ^
                t[4][low >> 24U] ^ t[3][high & 0xffU] ^ t[2][(high >> 8U) & 0xffU] ^
                t[1][(high >> 16U) & 0xffU] ^ t[0][high >> 24U];
    }
    for (; size > 0; --size, ++data) {
        state = (state >> 8U) ^ t[0][(state ^ *data) & 0xffU];
    }
    return state;
}

#if CODELENGTH_CRC32C_SSE42
// Advances the raw CRC register with the SSE4.2 crc32 instruction (the same polynomial).
[[nodiscard]] inline std::uint32_t crc32c_advance_sse42(std::uint32_t state, const unsigned char* data,
                                                        std::size_t size) noexcept {
    std::uint64_t wide = state;
    for (; size >= 8; size -= 8, data += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, data, 8); // x86 is little-endian, as the CRC's byte order requires
        wide = _mm_crc32_u64(wide, word);
    }
    auto narrow = static_cast<std::uint32_t>(wide);
    for (; size > 0; --size, ++data) {
        narrow = _mm_crc32_u8(narrow, *data);
    }
    return narrow;
}
#endif

// The fastest version this translation unit's target allows.
[[nodiscard]] inline std::uint32_t crc32c_advance_fastest(std::uint32_t state, const unsigned char* data,
                                                          std::size_t size) noexcept {
#if CODELENGTH_CRC32C_SSE42
    return crc32c_advance_sse42(state, data, size);
#else
    return crc32c_advance_portable(state, data, size);
#endif
}

[[nodiscard]] inline std::uint32_t crc32c_advance(std::uint32_t state, const unsigned char* data,
                                                  std::size_t size) noexcept {
#if defined(CODELENGTH_DISPATCH)
    return kernel_abi::active_kernels().crc32c_advance(state, data, size);
#else
    return crc32c_advance_fastest(state, data, size);
#endif
}

} // namespace detail

// CRC-32C of bytes, continuing a previous CRC: crc32c(a ++ b) == crc32c(b, crc32c(a)), and
// previous = 0 starts a new one. Known answer: crc32c of the 9 ASCII bytes "123456789" is
// 0xE3069283.
//   std::uint32_t crc = codelength::crc32c(std::as_bytes(std::span(text)));
[[nodiscard]] inline std::uint32_t crc32c(std::span<const std::byte> bytes,
                                          std::uint32_t previous = 0) noexcept {
    // The register starts at ~0 and the result is inverted, so inverting `previous` resumes it.
    return ~detail::crc32c_advance(~previous, reinterpret_cast<const unsigned char*>(bytes.data()),
                                   bytes.size());
}

[[nodiscard]] inline std::uint32_t crc32c(std::span<const std::uint8_t> bytes,
                                          std::uint32_t previous = 0) noexcept {
    return crc32c(std::as_bytes(bytes), previous);
}

// The table-driven CRC-32C even where SSE4.2 is available (the reference crc32c() must equal).
[[nodiscard]] inline std::uint32_t crc32c_portable(std::span<const std::byte> bytes,
                                                   std::uint32_t previous = 0) noexcept {
    return ~detail::crc32c_advance_portable(~previous, reinterpret_cast<const unsigned char*>(bytes.data()),
                                            bytes.size());
}

// CRC-32C of integers, each as 8 little-endian two's-complement bytes (the same on every
// machine), continuing `previous` like crc32c(). The stream format checksums symbols this way.
[[nodiscard]] inline std::uint32_t crc32c_int64_le(std::span<const std::int64_t> values,
                                                   std::uint32_t previous = 0) noexcept {
    constexpr std::size_t chunk_values = 256;
    std::array<unsigned char, chunk_values * 8> chunk{};
    std::uint32_t state = ~previous;
    for (std::size_t first = 0; first < values.size(); first += chunk_values) {
        const std::size_t count = values.size() - first < chunk_values ? values.size() - first : chunk_values;
        for (std::size_t i = 0; i < count; ++i) {
            const auto value = static_cast<std::uint64_t>(values[first + i]);
            for (std::size_t b = 0; b < 8; ++b) {
                chunk[i * 8 + b] = static_cast<unsigned char>((value >> (8U * b)) & 0xffU);
            }
        }
        state = detail::crc32c_advance(state, chunk.data(), count * 8);
    }
    return ~state;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
