// A binary arithmetic coder for bitwise (context-mixing) models: each bit is coded with
// p(bit = 1) given as a fixed-point integer p1 in [1, 2^ProbabilityBits - 1]. It shares the
// range coder's 64-bit state and carry-safe byte output, so it needs no division.
//
//   std::vector<std::uint8_t> bytes;
//   codelength::binary_encoder<12> encoder(bytes);
//   encoder.encode_bit(bit, model.p1());   // then model.update(bit)
//   encoder.finish();
//
//   codelength::binary_decoder<12> decoder(bytes);
//   const int bit = decoder.decode_bit(model.p1());   // then model.update(bit)
//
// Cost: a 1 costs at most log2(2^B / p1) + 2^(B - 56) / ln 2 bits, a 0 at most
// log2(2^B / (2^B - p1)) (B = ProbabilityBits); termination at most 8 bits, as for the range
// coder, whose stream size counters (stream_size, overran, ...) it shares.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "codelength/coding/byte_io.hpp"
#include "codelength/coding/range_coder.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

namespace detail {

[[noreturn]] inline void throw_invalid_bit(int bit, std::uint64_t p1, int probability_bits) {
    throw invalid_argument_error(
        "binary coder: bit " + std::to_string(bit) + " with p1 = " + std::to_string(p1) +
        ": the bit must be 0 or 1 and p1 in [1, 2^" + std::to_string(probability_bits) + " - 1]");
}

// The part of range above which a 0 is coded: bit 1 takes [0, bound), bit 0 [bound, range).
// r = floor(range / 2^B) >= 2^(56 - B), so both parts hold at least r >= 2^24 units:
// bound = r * p1 >= r and range - bound >= range - r * (2^B - 1) >= r. The 1 loses the same
// fraction < 2^(B - 56) as a range-coded symbol; the 0 also receives the slack
// range - r * 2^B, so it never costs more than log2(2^B / (2^B - p1)).
template <int ProbabilityBits>
[[nodiscard]] constexpr std::uint64_t binary_bound(std::uint64_t range, std::uint32_t p1) noexcept {
    return (range >> static_cast<unsigned>(ProbabilityBits)) * p1;
}

} // namespace detail

// Encodes bits with fixed-point probabilities into a byte sink (held by reference).
// ProbabilityBits is the precision B of p1, in [1, 32] (12 and 16 are the usual choices).
template <int ProbabilityBits, byte_sink Sink>
class basic_binary_encoder {
    static_assert(ProbabilityBits >= 1 && ProbabilityBits <= 32, "probability_bits must be in [1, 32]");

public:
    using sink_type = Sink;
    static constexpr int probability_bits = ProbabilityBits;
    // The largest valid p1: 2^probability_bits - 1.
    static constexpr std::uint64_t max_p1 = (std::uint64_t{1} << static_cast<unsigned>(ProbabilityBits)) - 1;

    explicit basic_binary_encoder(Sink& sink) noexcept : m_core(sink) {}

    // Codes `bit` (0 or 1) with p(bit = 1) = p1 / 2^probability_bits. Throws
    // invalid_argument_error for another bit value, p1 outside [1, max_p1], or after finish().
    void encode_bit(int bit, std::uint32_t p1) {
        // One branch for all checks (| rather than ||): this sits in the hot loop.
        if ((p1 == 0) | (p1 > max_p1) | (static_cast<unsigned>(bit) > 1U) | m_core.finished()) [[unlikely]] {
            if (m_core.finished()) {
                throw invalid_argument_error("binary coder: a bit was coded after the stream was finished");
            }
            detail::throw_invalid_bit(bit, p1, ProbabilityBits);
        }
        encode_bit_unchecked(bit, p1);
    }

    // encode_bit() without the checks: a nonzero bit codes 1; p1 must be in [1, max_p1].
    // noexcept when the sink is (nothrow_byte_sink); otherwise it throws what the sink throws.
    void encode_bit_unchecked(int bit, std::uint32_t p1) noexcept(nothrow_byte_sink<Sink>) {
        const std::uint64_t range = m_core.range();
        const std::uint64_t bound = detail::binary_bound<ProbabilityBits>(range, p1);
        // Selects with a mask, not a branch: a good model's bits are hard to predict.
        // (all ones for a 0: offset bound, width bound + range - 2 bound, modulo 2^64)
        const std::uint64_t zero_mask = std::uint64_t{0} - static_cast<std::uint64_t>(bit == 0);
        m_core.narrow(bound & zero_mask, bound + ((range - bound - bound) & zero_mask));
    }

    // Writes the held-back digits and at most one more byte; idempotent; returns the size.
    std::uint64_t finish() { return m_core.finish(); }

    // Bytes handed to the sink so far (after finish(): the stream's size).
    [[nodiscard]] std::uint64_t bytes_written() const noexcept { return m_core.bytes_written(); }
    // Digits fixed by the coded bits but held back because a carry may still change them.
    [[nodiscard]] std::uint64_t pending_bytes() const noexcept { return m_core.pending_bytes(); }
    // The size the stream would have if finish() were called now.
    [[nodiscard]] std::uint64_t stream_size() const noexcept { return m_core.stream_size(); }
    [[nodiscard]] bool finished() const noexcept { return m_core.finished(); }

private:
    detail::range_encoder_core<Sink> m_core;
};

// Decodes what basic_binary_encoder wrote, from a byte source (held by value). Corrupt input
// decodes to some bits without a crash, a hang or undefined behavior.
template <int ProbabilityBits, byte_source Source>
class basic_binary_decoder {
    static_assert(ProbabilityBits >= 1 && ProbabilityBits <= 32, "probability_bits must be in [1, 32]");

public:
    using source_type = Source;
    static constexpr int probability_bits = ProbabilityBits;
    static constexpr std::uint64_t max_p1 = (std::uint64_t{1} << static_cast<unsigned>(ProbabilityBits)) - 1;

    // Builds the source from `input` (a span or vector of bytes for span_source) and reads
    // the first 8 bytes.
    template <class Input>
    requires std::constructible_from<Source, Input&&>
    explicit basic_binary_decoder(Input&& input) : m_core(std::forward<Input>(input)) {}

    // The next bit, given the p1 the encoder used. Throws invalid_argument_error for p1
    // outside [1, max_p1].
    [[nodiscard]] int decode_bit(std::uint32_t p1) {
        if (p1 == 0 || p1 > max_p1) [[unlikely]] {
            detail::throw_invalid_bit(0, p1, ProbabilityBits);
        }
        return decode_bit_unchecked(p1);
    }

    // decode_bit() without the check (p1 must be in [1, max_p1]). noexcept when the source is
    // (nothrow_byte_source); otherwise it throws what the source's get() throws.
    [[nodiscard]] int decode_bit_unchecked(std::uint32_t p1) noexcept(nothrow_byte_source<Source>) {
        const std::uint64_t range = m_core.range();
        const std::uint64_t bound = detail::binary_bound<ProbabilityBits>(range, p1);
        // code < range holds for any input (it is repaired after the first window), and both
        // choices keep it: code < bound, or code - bound < range - bound.
        const auto zero = static_cast<std::uint64_t>(m_core.code() >= bound);
        const std::uint64_t zero_mask = std::uint64_t{0} - zero; // as in the encoder
        m_core.narrow(bound & zero_mask, bound + ((range - bound - bound) & zero_mask));
        m_core.normalize();
        return static_cast<int>(zero ^ 1U);
    }

    // True if the first window was all 0xFF, which no encoder writes.
    [[nodiscard]] bool inconsistent() const noexcept { return m_core.inconsistent(); }
    // Bytes taken from the source, including zeros past its end.
    [[nodiscard]] std::uint64_t bytes_read() const noexcept { return m_core.bytes_read(); }
    // Zeros read past the end of the source.
    [[nodiscard]] std::uint64_t bytes_past_end() const noexcept { return m_core.bytes_past_end(); }
    // True if the decoder needed more than its 8-byte look-ahead past the end: the input is
    // certainly truncated. Never true while decoding an intact stream.
    [[nodiscard]] bool overran() const noexcept { return m_core.overran(); }
    // The size basic_binary_encoder::finish() writes for the bits decoded so far; after the
    // last bit of an intact stream it equals the input's size.
    [[nodiscard]] std::uint64_t stream_size() const noexcept { return m_core.stream_size(); }
    [[nodiscard]] const Source& source() const noexcept { return m_core.source(); }

private:
    detail::range_decoder_core<Source> m_core;
};

// The presets: encode into a byte vector, decode from a span (or vector) of bytes.
// binary_encoder<12> matches lpaq-style 12-bit models, binary_encoder<16> finer ones.
template <int ProbabilityBits = 12>
using binary_encoder = basic_binary_encoder<ProbabilityBits, std::vector<std::uint8_t>>;
template <int ProbabilityBits = 12>
using binary_decoder = basic_binary_decoder<ProbabilityBits, span_source>;

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
