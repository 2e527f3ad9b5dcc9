// The account of one encode: where every bit of the coded stream goes, from the model's ideal
// code length to the bytes of the file.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include "codelength/core/config.hpp"
#include "codelength/numerics/compensated_sum.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// What an encode cost, in bits, split by cause. Two identities hold exactly:
//   header_bits + payload_bits == 8 * total_bytes                       (integers)
//   (quantized_bits + escape_bits) + coder_overhead_bits == payload_bits (doubles, evaluated
//                                                                          left to right)
// coder_overhead_bits is defined as the difference in the second identity: what the range
// coder spends beyond the information content of the quantized symbols (its termination
// bytes, the rounding of its interval arithmetic and the byte granularity of the payload). It
// is usually a few dozen bits per stream and can be slightly negative for short streams.
// The encoder nudges it by at most a few ulp so the identity holds bit-exactly.
// Ledgers of many streams (shards) add up exactly in coding_ledger_totals (coding_totals.hpp).
struct coding_ledger {
    std::int64_t tokens = 0;         // symbols coded
    std::int64_t escaped_tokens = 0; // top-k coding: tokens outside the listed k, coded via escape
    int precision_bits = 0;          // P: every quantized distribution totals 2^P
    // sum over tokens of -log2 p(token) under the model's own floating-point distribution;
    // +inf if the model gave some token probability 0 (it is still coded: every quantized
    // frequency is >= 1). Top-k: an escaped token's ideal is -log2 p(escape) + log2(V - k),
    // the escape mass spread evenly over the unlisted ids.
    double ideal_bits = 0.0;
    // sum over coded symbols of P - log2 frequency: the information content under the
    // quantized distributions (the escape symbol included), so quantized_bits - ideal_bits is
    // the quantization loss.
    double quantized_bits = 0.0;
    // Top-k coding: the exact cost of the uniform indices of escaped tokens, P_u - log2 width
    // for each interval used (see top_k_coder.hpp); 0 for categorical coding.
    double escape_bits = 0.0;
    double coder_overhead_bits = 0.0; // payload_bits - quantized_bits - escape_bits
    std::int64_t payload_bits = 0;    // 8 * payload bytes (the range coder's output)
    std::int64_t header_bits = 0;     // 8 * stream_header_bytes
    std::int64_t total_bytes = 0;     // size of the stream: (header_bits + payload_bits) / 8

    // quantized_bits - ideal_bits (+inf when ideal_bits is, but then quantization gained).
    [[nodiscard]] double quantization_loss_bits() const noexcept { return quantized_bits - ideal_bits; }
    // 8 * total_bytes / tokens: the whole file per token, header included; nullopt without tokens.
    [[nodiscard]] std::optional<double> bits_per_token() const noexcept {
        if (tokens == 0) {
            return std::nullopt;
        }
        return 8.0 * static_cast<double>(total_bytes) / static_cast<double>(tokens);
    }
    // coder_overhead_bits / (quantized_bits + escape_bits): the coder's relative overhead;
    // nullopt when nothing had to be coded.
    [[nodiscard]] std::optional<double> coder_overhead_fraction() const noexcept {
        const double information_bits = quantized_bits + escape_bits;
        if (!(information_bits > 0.0)) {
            return std::nullopt;
        }
        return coder_overhead_bits / information_bits;
    }
};

// Adds the ledger's fields and derived figures to a JSON object writer (anything with
// add(key, int64) / add(key, double) / add(key, optional<double>)) under the names every report
// uses: `codelength encode --json` and to_json(coding_ledger_totals). payload_bits is named
// coded_bits there.
template <class JsonFields>
void add_coding_ledger_fields(JsonFields& json, const coding_ledger& ledger) {
    json.add("tokens", ledger.tokens)
        .add("escaped_tokens", ledger.escaped_tokens)
        .add("precision_bits", static_cast<std::int64_t>(ledger.precision_bits))
        .add("ideal_bits", ledger.ideal_bits)
        .add("quantized_bits", ledger.quantized_bits)
        .add("escape_bits", ledger.escape_bits)
        .add("coded_bits", ledger.payload_bits)
        .add("coder_overhead_bits", ledger.coder_overhead_bits)
        .add("header_bits", ledger.header_bits)
        .add("total_bytes", ledger.total_bytes)
        .add("bits_per_token", ledger.bits_per_token())
        .add("quantization_loss_bits", ledger.quantization_loss_bits())
        .add("coder_overhead_fraction", ledger.coder_overhead_fraction());
}

namespace detail {

// The coder_overhead_bits that makes (quantized_bits + escape_bits) + overhead == payload_bits
// hold exactly in doubles: payload - information, exact when they are within a factor 2
// (Sterbenz), otherwise stepped by ulps until the sum reproduces payload.
[[nodiscard]] inline double coder_overhead_bits_of(const coding_ledger& ledger) noexcept {
    const double payload = static_cast<double>(ledger.payload_bits);
    const double information = ledger.quantized_bits + ledger.escape_bits;
    double overhead = payload - information;
    for (int step = 0; step < 64 && information + overhead != payload; ++step) {
        overhead = std::nextafter(overhead, information + overhead < payload
                                                ? std::numeric_limits<double>::infinity()
                                                : -std::numeric_limits<double>::infinity());
    }
    return overhead;
}

// Accumulates a coding_ledger while symbols are coded, with compensated sums.
class coding_ledger_builder {
public:
    explicit coding_ledger_builder(int precision_bits) noexcept : m_precision_bits(precision_bits) {}

    // One token: its ideal cost under the float model (may be +inf).
    void add_token(double ideal_bits) noexcept {
        ++m_tokens;
        if (std::isinf(ideal_bits)) {
            m_ideal_is_infinite = true;
        } else {
            m_ideal_bits.add(ideal_bits);
        }
    }
    // A symbol coded with frequency out of 2^precision_bits under a quantized distribution.
    void add_quantized(std::uint32_t frequency, int precision_bits) noexcept {
        m_quantized_bits.add(static_cast<double>(precision_bits) - std::log2(static_cast<double>(frequency)));
    }
    // An interval of width out of 2^precision_bits used to code an escaped token's index.
    void add_escape(std::uint64_t width, int precision_bits) noexcept {
        m_escape_bits.add(static_cast<double>(precision_bits) - std::log2(static_cast<double>(width)));
    }
    void add_escaped_token() noexcept { ++m_escaped_tokens; }

    // The final ledger of a stream of payload_bytes after header_bytes of header.
    [[nodiscard]] coding_ledger finish(std::uint64_t header_bytes,
                                       std::uint64_t payload_bytes) const noexcept {
        coding_ledger ledger;
        ledger.tokens = m_tokens;
        ledger.escaped_tokens = m_escaped_tokens;
        ledger.precision_bits = m_precision_bits;
        ledger.ideal_bits =
            m_ideal_is_infinite ? std::numeric_limits<double>::infinity() : m_ideal_bits.value();
        ledger.quantized_bits = m_quantized_bits.value();
        ledger.escape_bits = m_escape_bits.value();
        ledger.header_bits = static_cast<std::int64_t>(8 * header_bytes);
        ledger.payload_bits = static_cast<std::int64_t>(8 * payload_bytes);
        ledger.total_bytes = static_cast<std::int64_t>(header_bytes + payload_bytes);
        ledger.coder_overhead_bits = coder_overhead_bits_of(ledger);
        return ledger;
    }

private:
    int m_precision_bits;
    std::int64_t m_tokens = 0;
    std::int64_t m_escaped_tokens = 0;
    bool m_ideal_is_infinite = false;
    compensated_sum m_ideal_bits;
    compensated_sum m_quantized_bits;
    compensated_sum m_escape_bits;
};

} // namespace detail

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
