// Versioned, checksummed bytes of a code_length_ledger, to carry shards between processes
// (Python pickling, MPI reductions) and merge them into bit-identical totals.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/detail/checked_bytes.hpp"
#include "codelength/detail/json_text.hpp"
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

} // namespace detail

// The ledger as bytes (format version 1, see the layout above): counts, exact sums, CRC-32C.
//   auto bytes = codelength::to_bytes(ledger);
//   codelength::code_length_ledger_from_bytes(bytes) == ledger;
[[nodiscard]] inline std::vector<std::uint8_t> to_bytes(const code_length_ledger& ledger) {
    const auto state = ledger.state();
    auto out = detail::begin_format(ledger_bytes_magic, ledger_bytes_version);
    for (const std::int64_t count : {state.tokens, state.infinite_tokens, state.entropy_tokens,
                                     state.ignored_tokens, state.bytes, state.words}) {
        detail::append_le(out, static_cast<std::uint64_t>(count), 8);
    }
    detail::append_exact_sum(out, state.finite_bits.parts());
    detail::append_exact_sum(out, state.entropy_bits.parts());
    detail::seal_format(out);
    return out;
}

// The ledger serialized by to_bytes(). Throws format_error naming the byte offset for any
// damaged, truncated, foreign or inconsistent input: wrong magic, another version, a checksum
// mismatch, trailing bytes, negative counts, infinite_tokens above tokens, chunks out of range.
[[nodiscard]] inline code_length_ledger code_length_ledger_from_bytes(std::span<const std::uint8_t> bytes) {
    detail::checked_reader reader(bytes, "ledger bytes");
    reader.read_header(ledger_bytes_magic, ledger_bytes_version, "a code-length ledger");
    std::int64_t counts[detail::ledger_count_fields] = {};
    for (auto& count : counts) {
        count = static_cast<std::int64_t>(reader.read(8, "the counts"));
    }
    std::size_t finite_offset = 0;
    std::size_t entropy_offset = 0;
    const auto finite_parts = reader.read_exact_sum("finite_bits", finite_offset);
    const auto entropy_parts = reader.read_exact_sum("entropy_bits", entropy_offset);
    reader.read_checksum_and_end("the ledger");

    static constexpr const char* count_names[detail::ledger_count_fields] = {
        "tokens", "infinite_tokens", "entropy_tokens", "ignored_tokens", "bytes", "words"};
    for (std::size_t i = 0; i < detail::ledger_count_fields; ++i) {
        if (counts[i] < 0) {
            reader.fail(detail::ledger_counts_offset + 8 * i,
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
    state.finite_bits = reader.finite_exact_sum(finite_parts, "finite_bits", finite_offset);
    state.entropy_bits = reader.finite_exact_sum(entropy_parts, "entropy_bits", entropy_offset);
    try {
        return code_length_ledger::from_state(state);
    } catch (const invalid_argument_error& inconsistent) {
        reader.fail(detail::ledger_counts_offset, std::string("inconsistent ledger: ") + inconsistent.what());
    }
}

// The ledger as one JSON object for people, with the keys of `codelength score --json`: the
// counts, then each total and ratio as the shortest decimal that reads back to the same double
// (the exact sums are rounded once; null when undefined or infinite), then "ledger_bytes_hex":
// to_bytes() in hexadecimal, the lossless form (exact sums and CRC-32C included) that
// code_length_ledger_from_bytes reads back, e.g. from Python with bytes.fromhex. One hex string
// of the whole ledger rather than a hex form per sum: one format to check, one to parse.
//   codelength::to_json(ledger) -> {"tokens": 2, ..., "total_bits": 4, ..., "ledger_bytes_hex":
//   "434c4c47..."}
[[nodiscard]] inline std::string to_json(const code_length_ledger& ledger) {
    detail::json_fields json;
    json.add("tokens", ledger.tokens())
        .add("ignored_tokens", ledger.ignored_tokens())
        .add("infinite_tokens", ledger.infinite_tokens())
        .add("entropy_tokens", ledger.entropy_tokens())
        .add("bytes", ledger.bytes())
        .add("words", ledger.words())
        .add("total_bits", ledger.total_bits())
        .add("finite_bits", ledger.finite_bits())
        .add("bits_per_token", ledger.bits_per_token())
        .add("bits_per_byte", ledger.bits_per_byte())
        .add("token_perplexity", ledger.token_perplexity())
        .add("byte_perplexity", ledger.byte_perplexity())
        .add("word_perplexity", ledger.word_perplexity())
        .add("mean_entropy_bits", ledger.mean_entropy_bits())
        .add_string("ledger_bytes_hex", detail::to_hex(to_bytes(ledger)));
    return json.str();
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
