// Versioned, checksummed bytes of a code_length_ledger, to carry shards between processes
// (Python pickling, MPI reductions) and merge them into bit-identical totals.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "codelength/coding/checksum.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/detail/little_endian.hpp"
#include "codelength/metrics/code_length_ledger.hpp"
#include "codelength/numerics/exact_sum.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// The first four bytes of a serialized ledger.
inline constexpr std::array<std::uint8_t, 4> ledger_bytes_magic = {'C', 'L', 'L', 'G'};
// The format version written by to_bytes() and the only one code_length_ledger_from_bytes() reads.
inline constexpr std::uint8_t ledger_bytes_version = 1;

// Layout of version 1 (integers little-endian):
//   0   4 bytes  magic "CLLG"
//   4   1 byte   version (1)
//   5   6 x int64: tokens, infinite_tokens, entropy_tokens, ignored_tokens, bytes, words
//   53  finite_bits then entropy_bits, each an exact_sum_parts:
//         1 byte flags (bit 0 negative, bit 1 NaN, bit 2 +inf, bit 3 -inf; others 0),
//         1 byte lowest_chunk, 1 byte chunk count n, n x uint32 chunks
//   end 4 bytes  CRC-32C of every byte before it
namespace detail {

inline constexpr std::size_t ledger_counts_offset = 5;
inline constexpr std::size_t ledger_count_fields = 6;
inline constexpr std::uint8_t sum_flag_negative = 1U;
inline constexpr std::uint8_t sum_flag_nan = 2U;
inline constexpr std::uint8_t sum_flag_positive_infinity = 4U;
inline constexpr std::uint8_t sum_flag_negative_infinity = 8U;
inline constexpr std::uint8_t sum_known_flags = 15U;

inline void append_exact_sum(std::vector<std::uint8_t>& out, const exact_sum_parts& parts) {
    const auto flags = static_cast<std::uint8_t>(
        (parts.negative ? sum_flag_negative : 0U) | (parts.has_nan ? sum_flag_nan : 0U) |
        (parts.has_positive_infinity ? sum_flag_positive_infinity : 0U) |
        (parts.has_negative_infinity ? sum_flag_negative_infinity : 0U));
    out.push_back(flags);
    out.push_back(static_cast<std::uint8_t>(parts.lowest_chunk));  // < 68
    out.push_back(static_cast<std::uint8_t>(parts.chunks.size())); // <= 68
    for (const std::uint32_t chunk : parts.chunks) {
        std::array<std::uint8_t, 4> le{};
        store_le(le.data(), chunk, 4);
        out.insert(out.end(), le.begin(), le.end());
    }
}

// Reads a serialized ledger front to back; every failure names the byte offset.
class ledger_reader {
public:
    explicit ledger_reader(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}

    [[noreturn]] static void fail(std::size_t offset, const std::string& what) {
        throw format_error("ledger bytes: offset " + std::to_string(offset) + ": " + what);
    }
    // The next `size` bytes as an unsigned little-endian integer; throws if they are missing.
    std::uint64_t read(std::size_t size, const char* what) {
        if (m_bytes.size() - m_offset < size) {
            fail(m_offset, std::string("truncated in ") + what + ": needs " +
                               count_noun(size, "byte", "bytes") + ", " +
                               std::to_string(m_bytes.size() - m_offset) + " remain");
        }
        const std::uint64_t value = load_le(m_bytes.data() + m_offset, size);
        m_offset += size;
        return value;
    }
    // An exact sum's parts and the offset of its flags byte; checks only what sizes it.
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
    [[nodiscard]] std::size_t offset() const noexcept { return m_offset; }

private:
    std::span<const std::uint8_t> m_bytes;
    std::size_t m_offset = 0;
};

} // namespace detail

// The ledger as bytes (format version 1, see the layout above): counts, exact sums, CRC-32C.
//   auto bytes = codelength::to_bytes(ledger);
//   codelength::code_length_ledger_from_bytes(bytes) == ledger;
[[nodiscard]] inline std::vector<std::uint8_t> to_bytes(const code_length_ledger& ledger) {
    const auto state = ledger.state();
    std::vector<std::uint8_t> out(ledger_bytes_magic.begin(), ledger_bytes_magic.end());
    out.push_back(ledger_bytes_version);
    const std::int64_t counts[detail::ledger_count_fields] = {state.tokens,         state.infinite_tokens,
                                                              state.entropy_tokens, state.ignored_tokens,
                                                              state.bytes,          state.words};
    for (const std::int64_t count : counts) {
        std::array<std::uint8_t, 8> le{};
        detail::store_le(le.data(), static_cast<std::uint64_t>(count), 8);
        out.insert(out.end(), le.begin(), le.end());
    }
    detail::append_exact_sum(out, state.finite_bits.parts());
    detail::append_exact_sum(out, state.entropy_bits.parts());
    std::array<std::uint8_t, 4> crc{};
    detail::store_le(crc.data(), crc32c(std::span<const std::uint8_t>(out)), 4);
    out.insert(out.end(), crc.begin(), crc.end());
    return out;
}

// The ledger serialized by to_bytes(). Throws format_error naming the byte offset for any
// damaged, truncated, foreign or inconsistent input: wrong magic, another version, a checksum
// mismatch, trailing bytes, negative counts, infinite_tokens above tokens, chunks out of range.
[[nodiscard]] inline code_length_ledger code_length_ledger_from_bytes(std::span<const std::uint8_t> bytes) {
    using detail::ledger_reader;
    ledger_reader reader(bytes);
    for (std::size_t i = 0; i < ledger_bytes_magic.size(); ++i) {
        if (reader.read(1, "the magic") != ledger_bytes_magic[i]) {
            ledger_reader::fail(i, "not a code-length ledger (the magic is not \"CLLG\")");
        }
    }
    const auto version = reader.read(1, "the version");
    if (version != ledger_bytes_version) {
        ledger_reader::fail(4, "format version " + std::to_string(version) +
                                   " is not supported (this build reads " +
                                   std::to_string(ledger_bytes_version) + ")");
    }
    std::int64_t counts[detail::ledger_count_fields] = {};
    for (auto& count : counts) {
        count = static_cast<std::int64_t>(reader.read(8, "the counts"));
    }
    std::size_t finite_offset = 0;
    std::size_t entropy_offset = 0;
    const auto finite_parts = reader.read_exact_sum("finite_bits", finite_offset);
    const auto entropy_parts = reader.read_exact_sum("entropy_bits", entropy_offset);
    const std::size_t crc_offset = reader.offset();
    const auto stored_crc = static_cast<std::uint32_t>(reader.read(4, "the CRC-32C"));
    const std::uint32_t actual_crc = crc32c(bytes.first(crc_offset));
    if (stored_crc != actual_crc) {
        ledger_reader::fail(crc_offset, "CRC-32C mismatch (stored " + std::to_string(stored_crc) +
                                            ", computed " + std::to_string(actual_crc) +
                                            "): the bytes are damaged");
    }
    if (reader.offset() != bytes.size()) {
        ledger_reader::fail(reader.offset(), detail::count_noun(bytes.size() - reader.offset(),
                                                                "trailing byte", "trailing bytes") +
                                                 " after the ledger");
    }

    static constexpr const char* count_names[detail::ledger_count_fields] = {
        "tokens", "infinite_tokens", "entropy_tokens", "ignored_tokens", "bytes", "words"};
    for (std::size_t i = 0; i < detail::ledger_count_fields; ++i) {
        if (counts[i] < 0) {
            ledger_reader::fail(detail::ledger_counts_offset + 8 * i,
                                std::string(count_names[i]) + " is negative: " + std::to_string(counts[i]));
        }
    }
    code_length_ledger::state_type state;
    state.tokens = counts[0];
    state.infinite_tokens = counts[1];
    state.entropy_tokens = counts[2];
    state.ignored_tokens = counts[3];
    state.bytes = counts[4];
    state.words = counts[5];
    const auto rebuild = [](const exact_sum_parts& parts, const char* name, std::size_t offset) {
        if (const auto problem = exact_sum::parts_problem(parts); !problem.empty()) {
            ledger_reader::fail(offset, std::string(name) + ": " + problem);
        }
        if (parts.has_nan || parts.has_positive_infinity || parts.has_negative_infinity) {
            ledger_reader::fail(offset, std::string(name) + ": a ledger's sum holds no infinity or NaN");
        }
        return exact_sum::from_parts(parts);
    };
    state.finite_bits = rebuild(finite_parts, "finite_bits", finite_offset);
    state.entropy_bits = rebuild(entropy_parts, "entropy_bits", entropy_offset);
    try {
        return code_length_ledger::from_state(state);
    } catch (const invalid_argument_error& inconsistent) {
        ledger_reader::fail(detail::ledger_counts_offset,
                            std::string("inconsistent ledger: ") + inconsistent.what());
    }
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
