// The pieces shared by the library's small binary formats (ledger, coding totals, memorization
// records): a 4-byte magic and a version byte up front, little-endian integers, doubles as
// their IEEE bits, exact sums in their canonical parts, and a CRC-32C of every byte before it
// at the end. The reader names the byte offset of every failure in a format_error.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "codelength/coding/checksum.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/detail/little_endian.hpp"
#include "codelength/numerics/exact_sum.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

using format_magic = std::array<std::uint8_t, 4>;

// An exact sum's flags byte: which IEEE specials it holds and its sign.
inline constexpr std::uint8_t sum_flag_negative = 1U;
inline constexpr std::uint8_t sum_flag_nan = 2U;
inline constexpr std::uint8_t sum_flag_positive_infinity = 4U;
inline constexpr std::uint8_t sum_flag_negative_infinity = 8U;
inline constexpr std::uint8_t sum_known_flags = 15U;

// Appends the low `size` bytes of value, least significant first.
inline void append_le(std::vector<std::uint8_t>& out, std::uint64_t value, std::size_t size) {
    std::array<std::uint8_t, 8> le{};
    store_le(le.data(), value, size);
    out.insert(out.end(), le.begin(), le.begin() + static_cast<std::ptrdiff_t>(size));
}

// Appends a double as its 8 IEEE-754 bytes (NaN payloads and the sign of zero included).
inline void append_double(std::vector<std::uint8_t>& out, double value) {
    append_le(out, std::bit_cast<std::uint64_t>(value), 8);
}

// The magic and the version byte that open every format.
[[nodiscard]] inline std::vector<std::uint8_t> begin_format(const format_magic& magic, std::uint8_t version) {
    std::vector<std::uint8_t> out(magic.begin(), magic.end());
    out.push_back(version);
    return out;
}

// Appends an exact sum's canonical parts:
//   1 byte flags (bit 0 negative, bit 1 NaN, bit 2 +inf, bit 3 -inf; others 0),
//   1 byte lowest_chunk, 1 byte chunk count n, n x uint32 chunks.
inline void append_exact_sum(std::vector<std::uint8_t>& out, const exact_sum_parts& parts) {
    const auto flags = static_cast<std::uint8_t>(
        (parts.negative ? sum_flag_negative : 0U) | (parts.has_nan ? sum_flag_nan : 0U) |
        (parts.has_positive_infinity ? sum_flag_positive_infinity : 0U) |
        (parts.has_negative_infinity ? sum_flag_negative_infinity : 0U));
    out.push_back(flags);
    out.push_back(static_cast<std::uint8_t>(parts.lowest_chunk));  // < 68
    out.push_back(static_cast<std::uint8_t>(parts.chunks.size())); // <= 68
    for (const std::uint32_t chunk : parts.chunks) {
        append_le(out, chunk, 4);
    }
}

// Appends the CRC-32C of every byte so far: the last field of every format.
inline void seal_format(std::vector<std::uint8_t>& out) {
    append_le(out, crc32c(std::span<const std::uint8_t>(out)), 4);
}

// Reads one format front to back; every failure throws format_error("<format>: offset N: ...").
class checked_reader {
public:
    // `format` opens every message ("ledger bytes").
    checked_reader(std::span<const std::uint8_t> bytes, const char* format)
        : m_bytes(bytes), m_format(format) {}

    [[noreturn]] void fail(std::size_t offset, const std::string& what) const {
        throw format_error(std::string(m_format) + ": offset " + std::to_string(offset) + ": " + what);
    }

    // Checks the magic (`kind` says what the bytes should have been: "a code-length ledger")
    // and that the version is the one this build reads.
    void read_header(const format_magic& magic, std::uint8_t version, const char* kind) {
        for (std::size_t i = 0; i < magic.size(); ++i) {
            if (read(1, "the magic") != magic[i]) {
                fail(i, std::string("not ") + kind + " (the magic is not \"" +
                            std::string(magic.begin(), magic.end()) + "\")");
            }
        }
        const auto found = read(1, "the version");
        if (found != version) {
            fail(magic.size(), "format version " + std::to_string(found) +
                                   " is not supported (this build reads " + std::to_string(version) + ")");
        }
    }

    // The next `size` bytes as an unsigned little-endian integer; throws if they are missing.
    std::uint64_t read(std::size_t size, const char* what) {
        if (remaining() < size) {
            fail(m_offset, std::string("truncated in ") + what + ": needs " +
                               count_noun(size, "byte", "bytes") + ", " + std::to_string(remaining()) +
                               " remain");
        }
        const std::uint64_t value = load_le(m_bytes.data() + m_offset, size);
        m_offset += size;
        return value;
    }
    // The next `size` bytes, in place (no copy); throws as read() does if they are missing.
    std::span<const std::uint8_t> read_bytes(std::size_t size, const char* what) {
        if (remaining() < size) {
            fail(m_offset, std::string("truncated in ") + what + ": needs " +
                               count_noun(size, "byte", "bytes") + ", " + std::to_string(remaining()) +
                               " remain");
        }
        const std::span<const std::uint8_t> out = m_bytes.subspan(m_offset, size);
        m_offset += size;
        return out;
    }
    // The next 8 bytes as a signed count; throws naming `what` when it is negative.
    std::int64_t read_count(const char* what) {
        const std::size_t at = m_offset;
        const auto count = static_cast<std::int64_t>(read(8, what));
        if (count < 0) {
            fail(at, std::string(what) + " is negative: " + std::to_string(count));
        }
        return count;
    }
    // The next 8 bytes as a double's IEEE bits.
    double read_double(const char* what) { return std::bit_cast<double>(read(8, what)); }

    // An exact sum's parts (see append_exact_sum) and the offset of its flags byte; checks the
    // flags and the chunk range, the rest is exact_sum::parts_problem's.
    exact_sum_parts read_exact_sum(const char* name, std::size_t& flags_offset) {
        flags_offset = m_offset;
        const auto flags = static_cast<std::uint8_t>(read(1, name));
        if ((flags & ~sum_known_flags) != 0) {
            fail(flags_offset, std::string(name) + ": unknown flag bits " + std::to_string(flags));
        }
        exact_sum_parts parts;
        parts.negative = (flags & sum_flag_negative) != 0;
        parts.has_nan = (flags & sum_flag_nan) != 0;
        parts.has_positive_infinity = (flags & sum_flag_positive_infinity) != 0;
        parts.has_negative_infinity = (flags & sum_flag_negative_infinity) != 0;
        const std::size_t lowest_offset = m_offset;
        parts.lowest_chunk = static_cast<std::int32_t>(read(1, name));
        const auto count = static_cast<std::size_t>(read(1, name));
        if (static_cast<std::size_t>(parts.lowest_chunk) + count > exact_sum::chunk_count) {
            fail(lowest_offset, std::string(name) + ": chunks [" + std::to_string(parts.lowest_chunk) + ", " +
                                    std::to_string(static_cast<std::size_t>(parts.lowest_chunk) + count) +
                                    ") outside [0, " + std::to_string(exact_sum::chunk_count) + ")");
        }
        parts.chunks.resize(count);
        for (auto& chunk : parts.chunks) {
            chunk = static_cast<std::uint32_t>(read(4, name));
        }
        return parts;
    }
    // A finite exact sum read by read_exact_sum: its parts must be canonical and hold no
    // infinity or NaN (no ledger sum does).
    exact_sum read_finite_exact_sum(const char* name) {
        std::size_t flags_offset = 0;
        const auto parts = read_exact_sum(name, flags_offset);
        return finite_exact_sum(parts, name, flags_offset);
    }
    // The sum of parts read at `offset`, refused unless canonical and finite.
    exact_sum finite_exact_sum(const exact_sum_parts& parts, const char* name, std::size_t offset) const {
        if (const auto problem = exact_sum::parts_problem(parts); !problem.empty()) {
            fail(offset, std::string(name) + ": " + problem);
        }
        if (parts.has_nan || parts.has_positive_infinity || parts.has_negative_infinity) {
            fail(offset, std::string(name) + ": a ledger's sum holds no infinity or NaN");
        }
        return exact_sum::from_parts(parts);
    }

    // Reads the CRC-32C that ends the format, checks it against every byte before it, then
    // that nothing follows (`what` names the contents: "the ledger").
    void read_checksum_and_end(const char* what) {
        const std::size_t crc_offset = m_offset;
        const auto stored = static_cast<std::uint32_t>(read(4, "the CRC-32C"));
        const std::uint32_t actual = crc32c(m_bytes.first(crc_offset));
        if (stored != actual) {
            fail(crc_offset, "CRC-32C mismatch (stored " + std::to_string(stored) + ", computed " +
                                 std::to_string(actual) + "): the bytes are damaged");
        }
        if (m_offset != m_bytes.size()) {
            fail(m_offset,
                 count_noun(m_bytes.size() - m_offset, "trailing byte", "trailing bytes") + " after " + what);
        }
    }

    [[nodiscard]] std::size_t offset() const noexcept { return m_offset; }
    [[nodiscard]] std::size_t remaining() const noexcept { return m_bytes.size() - m_offset; }

private:
    std::span<const std::uint8_t> m_bytes;
    const char* m_format;
    std::size_t m_offset = 0;
};

// Lower-case hexadecimal of bytes, two digits each (bytes.fromhex reads it back).
[[nodiscard]] inline std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * bytes.size());
    for (const std::uint8_t b : bytes) {
        out += digits[b >> 4U];
        out += digits[b & 0xfU];
    }
    return out;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail
