// A fast 64-bit fingerprint of byte sequences, for recognizing the model a stream was encoded
// with (not a cryptographic hash: it detects accidents, not forgeries).
#pragma once

#include "codelength/core/config.hpp"

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

namespace detail {

// A bijective 64-bit finalizer (the splitmix64 output function): every input bit affects
// every output bit.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 30U;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27U;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31U;
    return x;
}

// The 8 bytes at data as a little-endian integer.
[[nodiscard]] inline std::uint64_t load_u64_le(const unsigned char* data) noexcept {
    std::uint64_t value = 0;
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(&value, data, sizeof value);
    } else {
        for (std::size_t b = 0; b < 8; ++b) {
            value |= static_cast<std::uint64_t>(data[b]) << (8U * b);
        }
    }
    return value;
}

} // namespace detail

// Streaming 64-bit fingerprint: four independent lanes each absorb one little-endian 64-bit
// word per 32-byte block as lane = x ^ (x >> 29) with x = (lane ^ word) * odd constant (a
// bijection of the lane for each word, so changing one word always changes the state); the
// digest mixes the lanes and the total length. The result depends only on the byte sequence
// (not on how it was split into update() calls) and is the same on every machine.
// Throughput is bounded by memory bandwidth (about 4 multiplies per 32 bytes).
//   codelength::fingerprint_hasher h;
//   h.update(std::as_bytes(std::span(data)));
//   std::uint64_t fingerprint = h.digest();
class fingerprint_hasher {
public:
    explicit fingerprint_hasher(std::uint64_t seed = 0) noexcept {
        for (std::size_t i = 0; i < lanes; ++i) {
            m_lanes[i] = detail::mix64(seed + (i + 1) * 0x9e3779b97f4a7c15ULL);
        }
    }

    // Appends bytes.
    void update(std::span<const std::byte> bytes) noexcept {
        const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
        std::size_t size = bytes.size();
        m_length_bytes += size;
        if (m_pending_bytes > 0) {
            const std::size_t take =
                size < block_bytes - m_pending_bytes ? size : block_bytes - m_pending_bytes;
            std::memcpy(m_pending.data() + m_pending_bytes, data, take);
            m_pending_bytes += take;
            data += take;
            size -= take;
            if (m_pending_bytes < block_bytes) {
                return;
            }
            absorb(m_pending.data());
            m_pending_bytes = 0;
        }
        for (; size >= block_bytes; size -= block_bytes, data += block_bytes) {
            absorb(data);
        }
        if (size > 0) {
            std::memcpy(m_pending.data(), data, size);
            m_pending_bytes = size;
        }
    }

    // Appends value as 8 little-endian bytes.
    void update_u64(std::uint64_t value) noexcept {
        std::array<std::byte, 8> bytes{};
        for (std::size_t b = 0; b < 8; ++b) {
            bytes[b] = static_cast<std::byte>((value >> (8U * b)) & 0xffU);
        }
        update(bytes);
    }

    // The fingerprint of everything appended so far (the hasher can keep absorbing).
    [[nodiscard]] std::uint64_t digest() const noexcept {
        std::array<std::uint64_t, lanes> state = m_lanes;
        if (m_pending_bytes > 0) {
            // The tail is zero-padded; the length below tells padded inputs apart.
            std::array<unsigned char, block_bytes> tail{};
            std::memcpy(tail.data(), m_pending.data(), m_pending_bytes);
            absorb_into(state, tail.data());
        }
        std::uint64_t h = detail::mix64(m_length_bytes ^ 0x6a09e667f3bcc909ULL);
        for (const std::uint64_t lane : state) {
            h = detail::mix64(h ^ detail::mix64(lane));
        }
        return h;
    }

private:
    static constexpr std::size_t lanes = 4;
    static constexpr std::size_t block_bytes = lanes * 8;
    static constexpr std::array<std::uint64_t, lanes> multipliers = {
        0x9fb21c651e98df25ULL, 0xc2b2ae3d27d4eb4fULL, 0xd6e8feb86659fd93ULL, 0xa0761d6478bd642fULL};

    static void absorb_into(std::array<std::uint64_t, lanes>& state, const unsigned char* block) noexcept {
        for (std::size_t i = 0; i < lanes; ++i) {
            const std::uint64_t x = (state[i] ^ detail::load_u64_le(block + 8 * i)) * multipliers[i];
            state[i] = x ^ (x >> 29U);
        }
    }
    void absorb(const unsigned char* block) noexcept { absorb_into(m_lanes, block); }

    std::array<std::uint64_t, lanes> m_lanes{};
    std::array<unsigned char, block_bytes> m_pending{};
    std::size_t m_pending_bytes = 0;
    std::uint64_t m_length_bytes = 0;
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
