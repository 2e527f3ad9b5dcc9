// Totals of many coded streams (shards of a corpus) that merge exactly: the coding ledgers'
// bit counts as exact sums, so the totals are the same wherever the shards are cut and in
// whatever order they are merged; versioned, checksummed bytes carry them between processes.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "codelength/coding/coding_ledger.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/detail/checked_bytes.hpp"
#include "codelength/detail/json_text.hpp"
#include "codelength/numerics/exact_sum.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// The coding ledgers of any number of streams added up. A coding_ledger holds rounded doubles,
// and adding doubles depends on their order; these totals keep exact sums (exact_sum) of
// ideal_bits, quantized_bits and escape_bits and integer totals of the rest, so
//   merge identity: for streams s_1..s_n cut into shards in any way, adding each shard's
//   streams to its own totals and merging the shards' totals with += in any order and grouping
//   gives totals == (and to_coding_ledger() bit-identical to) adding s_1..s_n to one.
// coder_overhead_bits is not summed: to_coding_ledger() derives it from the totals by the rule
// the encoder uses (detail::coder_overhead_bits_of), so the ledger's identities
//   header_bits + payload_bits == 8 * total_bytes,
//   (quantized_bits + escape_bits) + coder_overhead_bits == payload_bits (doubles)
// hold for the totals too, and the totals of one stream give back its coding_ledger exactly.
//   codelength::coding_ledger_totals totals;
//   totals.add(encode_sequence(model_a, tokens_a).ledger);
//   totals += other_shard_totals; // e.g. from coding_ledger_totals_from_bytes
//   const codelength::coding_ledger all = totals.to_coding_ledger();
class coding_ledger_totals {
public:
    // Everything the totals hold, for serialization; from_state() checks it is consistent.
    struct state_type {
        std::int64_t streams = 0;                // coding ledgers added
        std::int64_t tokens = 0;                 // symbols coded
        std::int64_t escaped_tokens = 0;         // top-k escapes among them
        std::int64_t infinite_ideal_streams = 0; // streams whose ideal_bits was +inf
        std::int64_t payload_bits = 0;
        std::int64_t header_bits = 0;
        std::int64_t total_bytes = 0;
        std::int32_t min_precision_bits = 0; // over the streams; 0 without streams
        std::int32_t max_precision_bits = 0;
        exact_sum finite_ideal_bits; // ideal_bits of the streams where it is finite
        exact_sum quantized_bits;
        exact_sum escape_bits;
    };

    // The complete state (counts and exact sums).
    [[nodiscard]] state_type state() const { return m_state; }

    // Totals with this state; throws invalid_argument_error naming the field when no sequence
    // of add() calls gives it (a negative count, escaped_tokens above tokens, infinite_ideal_streams
    // above streams, header_bits + payload_bits != 8 * total_bytes, precisions out of order or
    // set without streams, a sum holding an infinity or NaN or nonzero without streams).
    [[nodiscard]] static coding_ledger_totals from_state(const state_type& state) {
        const auto refuse = [](const std::string& what) {
            throw invalid_argument_error("coding_ledger_totals state: " + what);
        };
        check_counts(state.tokens, state.escaped_tokens, state.header_bits, state.payload_bits,
                     state.total_bytes, refuse);
        if (state.streams < 0 || state.infinite_ideal_streams < 0 ||
            state.infinite_ideal_streams > state.streams) {
            refuse("need 0 <= infinite_ideal_streams (" + std::to_string(state.infinite_ideal_streams) +
                   ") <= streams (" + std::to_string(state.streams) + ")");
        }
        if (state.streams == 0
                ? state.min_precision_bits != 0 || state.max_precision_bits != 0
                : state.min_precision_bits < 0 || state.min_precision_bits > state.max_precision_bits ||
                      state.max_precision_bits > max_precision) {
            refuse("precision bits [" + std::to_string(state.min_precision_bits) + ", " +
                   std::to_string(state.max_precision_bits) + "] for " + std::to_string(state.streams) +
                   " streams");
        }
        const std::pair<const char*, const exact_sum*> sums[] = {
            {"finite_ideal_bits", &state.finite_ideal_bits},
            {"quantized_bits", &state.quantized_bits},
            {"escape_bits", &state.escape_bits}};
        for (const auto& [name, sum] : sums) {
            const auto parts = sum->parts();
            if (parts.has_nan || parts.has_positive_infinity || parts.has_negative_infinity) {
                refuse(std::string(name) + " holds an infinity or NaN");
            }
            if (state.streams == 0 && !(*sum == exact_sum{})) {
                refuse(std::string(name) + " is nonzero without streams");
            }
        }
        coding_ledger_totals totals;
        totals.m_state = state;
        return totals;
    }

    // Adds one stream's ledger. Throws invalid_argument_error, naming the field, for a ledger
    // no encoder makes: negative counts, escaped_tokens above tokens, ideal_bits NaN or -inf,
    // quantized_bits or escape_bits not finite, precision_bits outside [0, 64], broken
    // identities (coder_overhead_bits other than the one detail::coder_overhead_bits_of derives).
    void add(const coding_ledger& ledger) {
        const auto refuse = [](const std::string& what) {
            throw invalid_argument_error("coding_ledger_totals: coding_ledger " + what);
        };
        check_counts(ledger.tokens, ledger.escaped_tokens, ledger.header_bits, ledger.payload_bits,
                     ledger.total_bytes, refuse);
        if (std::isnan(ledger.ideal_bits) || ledger.ideal_bits == -std::numeric_limits<double>::infinity()) {
            refuse("ideal_bits is " + std::to_string(ledger.ideal_bits));
        }
        if (!std::isfinite(ledger.quantized_bits) || !std::isfinite(ledger.escape_bits)) {
            refuse("quantized_bits or escape_bits is not finite");
        }
        if (ledger.precision_bits < 0 || ledger.precision_bits > max_precision) {
            refuse("precision_bits " + std::to_string(ledger.precision_bits) + " outside [0, 64]");
        }
        if (!same_bits(ledger.coder_overhead_bits, detail::coder_overhead_bits_of(ledger))) {
            refuse("coder_overhead_bits " + std::to_string(ledger.coder_overhead_bits) +
                   " breaks (quantized_bits + escape_bits) + coder_overhead_bits == payload_bits");
        }
        coding_ledger_totals one; // this stream alone, merged like a shard
        state_type& s = one.m_state;
        s.streams = 1;
        s.tokens = ledger.tokens;
        s.escaped_tokens = ledger.escaped_tokens;
        s.min_precision_bits = s.max_precision_bits = ledger.precision_bits;
        if (std::isinf(ledger.ideal_bits)) {
            s.infinite_ideal_streams = 1;
        } else {
            s.finite_ideal_bits.add(ledger.ideal_bits);
        }
        s.quantized_bits.add(ledger.quantized_bits);
        s.escape_bits.add(ledger.escape_bits);
        s.payload_bits = ledger.payload_bits;
        s.header_bits = ledger.header_bits;
        s.total_bytes = ledger.total_bytes;
        *this += one;
    }

    // Merges another shard's totals; the sums stay exact (see the merge identity above).
    coding_ledger_totals& operator+=(const coding_ledger_totals& other) noexcept {
        state_type& s = m_state;
        const state_type& o = other.m_state;
        if (o.streams > 0) {
            s.min_precision_bits =
                s.streams == 0 ? o.min_precision_bits : std::min(s.min_precision_bits, o.min_precision_bits);
            s.max_precision_bits =
                s.streams == 0 ? o.max_precision_bits : std::max(s.max_precision_bits, o.max_precision_bits);
        }
        s.streams += o.streams;
        s.tokens += o.tokens;
        s.escaped_tokens += o.escaped_tokens;
        s.infinite_ideal_streams += o.infinite_ideal_streams;
        s.finite_ideal_bits.add(o.finite_ideal_bits);
        s.quantized_bits.add(o.quantized_bits);
        s.escape_bits.add(o.escape_bits);
        s.payload_bits += o.payload_bits;
        s.header_bits += o.header_bits;
        s.total_bytes += o.total_bytes;
        return *this;
    }
    [[nodiscard]] friend coding_ledger_totals operator+(coding_ledger_totals a,
                                                        const coding_ledger_totals& b) noexcept {
        a += b;
        return a;
    }
    // Whether both hold the same counts and exact sums, whatever the order of the merges.
    [[nodiscard]] friend bool operator==(const coding_ledger_totals& a,
                                         const coding_ledger_totals& b) noexcept {
        const state_type& x = a.m_state;
        const state_type& y = b.m_state;
        return x.streams == y.streams && x.tokens == y.tokens && x.escaped_tokens == y.escaped_tokens &&
               x.infinite_ideal_streams == y.infinite_ideal_streams && x.payload_bits == y.payload_bits &&
               x.header_bits == y.header_bits && x.total_bytes == y.total_bytes &&
               x.min_precision_bits == y.min_precision_bits && x.max_precision_bits == y.max_precision_bits &&
               x.finite_ideal_bits == y.finite_ideal_bits && x.quantized_bits == y.quantized_bits &&
               x.escape_bits == y.escape_bits;
    }

    [[nodiscard]] std::int64_t streams() const noexcept { return m_state.streams; }
    [[nodiscard]] std::int64_t tokens() const noexcept { return m_state.tokens; }
    // sum of ideal_bits, rounded once; +inf when some stream's was.
    [[nodiscard]] double ideal_bits() const noexcept {
        return m_state.infinite_ideal_streams > 0 ? std::numeric_limits<double>::infinity()
                                                  : m_state.finite_ideal_bits.value();
    }

    // The totals as one coding_ledger (the human numbers): every sum rounded once, the counts
    // added, coder_overhead_bits derived so that the identities hold, precision_bits the
    // streams' common precision (0 when they differ or there are none: see state()).
    [[nodiscard]] coding_ledger to_coding_ledger() const noexcept {
        coding_ledger ledger;
        ledger.tokens = m_state.tokens;
        ledger.escaped_tokens = m_state.escaped_tokens;
        ledger.precision_bits =
            m_state.min_precision_bits == m_state.max_precision_bits ? m_state.min_precision_bits : 0;
        ledger.ideal_bits = ideal_bits();
        ledger.quantized_bits = m_state.quantized_bits.value();
        ledger.escape_bits = m_state.escape_bits.value();
        ledger.payload_bits = m_state.payload_bits;
        ledger.header_bits = m_state.header_bits;
        ledger.total_bytes = m_state.total_bytes;
        ledger.coder_overhead_bits = detail::coder_overhead_bits_of(ledger);
        return ledger;
    }

private:
    static constexpr std::int32_t max_precision = 64;

    static bool same_bits(double a, double b) noexcept {
        return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
    }
    // The integer fields a coding_ledger and the totals share: nonnegative, escaped_tokens <=
    // tokens, header_bits + payload_bits == 8 * total_bytes (checked without overflow).
    template <class Refuse>
    static void check_counts(std::int64_t tokens, std::int64_t escaped_tokens, std::int64_t header_bits,
                             std::int64_t payload_bits, std::int64_t total_bytes, const Refuse& refuse) {
        const std::pair<const char*, std::int64_t> counts[] = {{"tokens", tokens},
                                                               {"escaped_tokens", escaped_tokens},
                                                               {"header_bits", header_bits},
                                                               {"payload_bits", payload_bits},
                                                               {"total_bytes", total_bytes}};
        for (const auto& [name, count] : counts) {
            if (count < 0) {
                refuse(std::string(name) + " is negative: " + std::to_string(count));
            }
        }
        if (escaped_tokens > tokens) {
            refuse("escaped_tokens (" + std::to_string(escaped_tokens) + ") exceed tokens (" +
                   std::to_string(tokens) + ")");
        }
        constexpr std::int64_t most = std::numeric_limits<std::int64_t>::max();
        if (total_bytes > most / 8 || header_bits > most - payload_bits ||
            header_bits + payload_bits != 8 * total_bytes) {
            refuse("header_bits (" + std::to_string(header_bits) + ") + payload_bits (" +
                   std::to_string(payload_bits) + ") != 8 * total_bytes (" + std::to_string(total_bytes) +
                   ")");
        }
    }

    state_type m_state;
};

// The first four bytes of serialized coding totals.
inline constexpr std::array<std::uint8_t, 4> coding_totals_bytes_magic = {'C', 'L', 'C', 'L'};
// The format version written by to_bytes() and the only one coding_ledger_totals_from_bytes() reads.
inline constexpr std::uint8_t coding_totals_bytes_version = 1;

// Layout of version 1 (integers little-endian):
//   0   4 bytes  magic "CLCL"
//   4   1 byte   version (1)
//   5   7 x int64: streams, tokens, escaped_tokens, infinite_ideal_streams, payload_bits,
//                  header_bits, total_bytes
//   61  1 byte min_precision_bits, 1 byte max_precision_bits
//   63  finite_ideal_bits, quantized_bits, escape_bits: exact sums as in the ledger bytes
//       (metrics/ledger_bytes.hpp; detail::append_exact_sum)
//   end 4 bytes  CRC-32C of every byte before it
namespace detail {
inline constexpr std::size_t coding_totals_counts_offset = 5;
// The integer fields and the exact sums of a (const) state, in layout order.
template <class State>
auto coding_totals_counts(State& s) noexcept {
    return std::array{&s.streams,      &s.tokens,      &s.escaped_tokens, &s.infinite_ideal_streams,
                      &s.payload_bits, &s.header_bits, &s.total_bytes};
}
template <class State>
auto coding_totals_sums(State& s) noexcept {
    return std::array{&s.finite_ideal_bits, &s.quantized_bits, &s.escape_bits};
}
inline constexpr const char* coding_totals_sum_names[3] = {"finite_ideal_bits", "quantized_bits",
                                                           "escape_bits"};
} // namespace detail

// The totals as bytes (format version 1, see the layout above).
//   codelength::coding_ledger_totals_from_bytes(codelength::to_bytes(totals)) == totals
[[nodiscard]] inline std::vector<std::uint8_t> to_bytes(const coding_ledger_totals& totals) {
    const auto s = totals.state();
    auto out = detail::begin_format(coding_totals_bytes_magic, coding_totals_bytes_version);
    for (const std::int64_t* count : detail::coding_totals_counts(s)) {
        detail::append_le(out, static_cast<std::uint64_t>(*count), 8);
    }
    out.push_back(static_cast<std::uint8_t>(s.min_precision_bits)); // in [0, 64]
    out.push_back(static_cast<std::uint8_t>(s.max_precision_bits));
    for (const exact_sum* sum : detail::coding_totals_sums(s)) {
        detail::append_exact_sum(out, sum->parts());
    }
    detail::seal_format(out);
    return out;
}

// The totals serialized by to_bytes(). Throws format_error ("coding totals bytes: offset N:
// ...") for damaged, truncated, foreign or inconsistent input: another magic or version, a
// checksum mismatch, trailing bytes, chunks out of range, a state from_state() refuses.
[[nodiscard]] inline coding_ledger_totals
coding_ledger_totals_from_bytes(std::span<const std::uint8_t> bytes) {
    detail::checked_reader reader(bytes, "coding totals bytes");
    reader.read_header(coding_totals_bytes_magic, coding_totals_bytes_version, "coding-ledger totals");
    coding_ledger_totals::state_type state;
    for (std::int64_t* count : detail::coding_totals_counts(state)) {
        *count = static_cast<std::int64_t>(reader.read(8, "the counts"));
    }
    state.min_precision_bits = static_cast<std::int32_t>(reader.read(1, "the precision"));
    state.max_precision_bits = static_cast<std::int32_t>(reader.read(1, "the precision"));
    std::array<exact_sum_parts, 3> parts;
    std::array<std::size_t, 3> offsets{};
    for (std::size_t i = 0; i < parts.size(); ++i) {
        parts[i] = reader.read_exact_sum(detail::coding_totals_sum_names[i], offsets[i]);
    }
    reader.read_checksum_and_end("the coding totals");
    const auto sums = detail::coding_totals_sums(state);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        *sums[i] = reader.finite_exact_sum(parts[i], detail::coding_totals_sum_names[i], offsets[i]);
    }
    try {
        return coding_ledger_totals::from_state(state);
    } catch (const invalid_argument_error& inconsistent) {
        reader.fail(detail::coding_totals_counts_offset,
                    std::string("inconsistent totals: ") + inconsistent.what());
    }
}

// The totals as one JSON object for people: "streams", the keys of `codelength encode --json`
// for to_coding_ledger() (add_coding_ledger_fields; numbers in the shortest form that reads
// back, null when undefined or infinite), "min_precision_bits", "max_precision_bits", then
// "coding_totals_bytes_hex": to_bytes() in hexadecimal, the lossless form.
[[nodiscard]] inline std::string to_json(const coding_ledger_totals& totals) {
    const auto s = totals.state();
    const coding_ledger ledger = totals.to_coding_ledger();
    detail::json_fields json;
    json.add("streams", s.streams);
    add_coding_ledger_fields(json, ledger);
    json.add("min_precision_bits", static_cast<std::int64_t>(s.min_precision_bits))
        .add("max_precision_bits", static_cast<std::int64_t>(s.max_precision_bits))
        .add_string("coding_totals_bytes_hex", detail::to_hex(to_bytes(totals)));
    return json.str();
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
