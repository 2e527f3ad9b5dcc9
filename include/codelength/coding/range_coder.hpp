// A range coder for symbols given by their slot in an integer CDF with total 2^P, any P in
// [1, 31] chosen per symbol: 64-bit state, byte-wise output with carry propagation, minimal
// termination, and a decoder that never reads out of bounds.
//
//   std::vector<std::uint8_t> bytes;
//   codelength::default_range_encoder encoder(bytes);
//   encoder.encode({cdf[s], cdf[s + 1] - cdf[s]}, 24);   // for each symbol s
//   encoder.finish();                                     // bytes now holds the stream
//
//   codelength::default_range_decoder decoder(bytes);
//   const std::uint32_t v = decoder.target(24);           // find s: cdf[s] <= v < cdf[s + 1]
//   decoder.consume({cdf[s], cdf[s + 1] - cdf[s]});       // at the target's precision, 24
//
// Encoder and decoder are symmetric: the decoder calls target(P) then consume(interval) with
// the same (interval, P) sequence the encoder coded. The coders know only intervals; models and
// CDFs stay with the caller.
//
// Precision lives in one place per symbol: one stream may mix precisions (the top-k coder codes
// its k + 1 symbols at the stream's P and uniform digits at 31), so P is not a parameter of the
// coder's type; instead the decoder remembers the precision of its pending target, and
// consume(interval) uses it. consume(interval, P) checks P against it and throws
// invalid_argument_error on a mismatch, or when no target() is pending, rather than decode
// garbage. (The binary coder's probability precision is a template parameter: one per coder.)
//
// Exceptions: the coders throw only for invalid arguments, but a byte sink or source may throw
// (std::vector's growth throws std::bad_alloc); such an exception reaches the caller. The
// unchecked calls are noexcept exactly when the sink or source is (nothrow_byte_sink,
// nothrow_byte_source): counting_sink and span_source keep the hot loops noexcept.
//
// Cost (derivations at the lines where they hold): each symbol costs its ideal
// P - log2(frequency) bits plus at most 2^(P - 56) / ln 2 bits (4.3e-8 bits at P = 31), and the
// stream is at most 8 bits longer than -log2 of the final interval's width (the termination).
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "codelength/coding/byte_io.hpp"
#include "codelength/coding/symbol_interval.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

namespace detail {

// Normalization bound: the interval's width `range` is kept in [2^56, 2^64) between symbols by
// shifting out the top byte of the 64-bit window while range < 2^56.
inline constexpr std::uint64_t range_coder_bottom = std::uint64_t{1} << 56U;
// A decoder reads this many bytes ahead of the digits the encoder has fixed (its window).
inline constexpr std::uint64_t range_coder_window_bytes = 8;
// The initial width: the whole window [0, 2^64), less the one unit 64 bits cannot hold
// (a loss of 2^-64 / ln 2 bits per stream).
inline constexpr std::uint64_t range_coder_full_range = ~std::uint64_t{0};

// True if interval fits in [0, 2^precision_bits) and precision_bits is in [1, 31].
[[nodiscard]] constexpr bool valid_interval(symbol_interval interval, int precision_bits) noexcept {
    // One branch for all checks (& rather than &&): callers sit in hot loops. The shift is
    // masked so that it is defined even for an invalid precision.
    const auto p = static_cast<unsigned>(precision_bits);
    const std::uint64_t end = std::uint64_t{interval.cdf_low} + interval.frequency;
    return ((p - 1U < static_cast<unsigned>(max_precision_bits)) & (interval.frequency != 0) &
            (end <= (std::uint64_t{1} << (p & 31U)))) != 0;
}

// The number of window bytes finish() writes after the held-back digits, given the final
// (low mod 2^64, range): 0 if a value with an all-zero window lies in [low, low + range)
// (low itself, or 2^64 via a carry), else 1. Encoder and decoder share it so the decoder can
// predict the stream's exact size.
[[nodiscard]] constexpr std::uint64_t range_coder_flush_bytes(std::uint64_t low,
                                                              std::uint64_t range) noexcept {
    // 0 - low is 2^64 - low for low != 0: the distance to the next multiple of 2^64.
    return (low == 0 || 0 - low < range) ? 0 : 1;
}

// The encoding half shared by the range and binary encoders: the interval [low, low + range)
// in a 64-bit window and the byte output with carry propagation.
//
// Digits above the window are written in base 256. A carry out of the window adds 1 to them,
// so the last digit that is not 0xFF (the cache) and the run of 0xFF digits after it (the
// pending run) are held back until a digit arrives that a carry cannot pass; a carry then turns
// cache into cache + 1 and the run into 0x00s.
template <byte_sink Sink>
class range_encoder_core {
public:
    explicit range_encoder_core(Sink& sink) noexcept : m_sink(&sink) {}

    // The interval's width, in [2^56, 2^64) between symbols.
    [[nodiscard]] std::uint64_t range() const noexcept { return m_range; }

    // Narrows the interval to [low + offset, low + offset + width) and renormalizes.
    // Precondition: offset + width <= range(), width >= 1. Throws what the sink throws.
    void narrow(std::uint64_t offset, std::uint64_t width) noexcept(nothrow_byte_sink<Sink>) {
        // low can pass 2^64: its 65th bit is kept in m_carry. Between two digit shifts
        // low + range < 2^65 (right after a shift low < 2^64 and range < 2^64, and every later
        // interval nests inside), so at most one carry arrives before the next shift.
        // (low and range stay in registers: the sink's byte stores may alias members)
        std::uint64_t low = m_low + offset;
        m_carry |= static_cast<std::uint8_t>(low < offset);
        // width >= 2^(56 - P) for a symbol at precision P <= 32, so at most four shifts.
        while (width < range_coder_bottom) {
            shift_digit(static_cast<std::uint8_t>(low >> 56U));
            low <<= 8U;
            width <<= 8U;
        }
        m_low = low;
        m_range = width;
    }

    // Bytes handed to the sink so far.
    [[nodiscard]] std::uint64_t bytes_written() const noexcept { return m_bytes_written; }
    // Digits fixed by the coded symbols but held back because a carry may still change them.
    [[nodiscard]] std::uint64_t pending_bytes() const noexcept { return m_cache_size; }
    // The size the stream would have if finish() were called now.
    [[nodiscard]] std::uint64_t stream_size() const noexcept {
        if (m_finished) {
            return m_bytes_written;
        }
        return m_bytes_written + m_cache_size + range_coder_flush_bytes(m_low, m_range);
    }
    [[nodiscard]] bool finished() const noexcept { return m_finished; }

    // Writes the held-back digits and the fewest window bytes that identify the interval.
    //
    // The final interval is [low, low + range) with range >= 2^56. If it holds low itself
    // (low == 0) or 2^64 (a carry), no window byte is needed; otherwise low rounded up to a
    // multiple of 2^56 is within 2^56 <= range of low, so one byte suffices. Past the end the
    // decoder reads zeros, completing that value. The interval's width is
    // range * 2^-(8 * digits + 64) < 2^-(8 * digits), so -log2(width) > 8 * digits, and the
    // stream's 8 * (digits + flush bytes) <= 8 * digits + 8 bits exceed it by less than 8 bits.
    // Trailing zero bytes are kept so that a decoder can check the stream's exact size.
    // Idempotent; returns the stream's size in bytes.
    std::uint64_t finish() {
        if (m_finished) {
            return m_bytes_written;
        }
        m_finished = true;
        if (range_coder_flush_bytes(m_low, m_range) == 0) {
            // low == 0: the window stays zero; 2^64 - low < range: take 2^64, a carry (never
            // a second one: low + range < 2^65 while a carry is pending).
            m_carry |= static_cast<std::uint8_t>(m_low != 0);
        } else {
            // 2^64 - low >= range >= 2^56, so rounding up stays below 2^64.
            m_low = (m_low + (range_coder_bottom - 1)) & ~(range_coder_bottom - 1);
            shift_digit(static_cast<std::uint8_t>(m_low >> 56U));
        }
        release_held(m_carry);
        m_cache_size = 0;
        return m_bytes_written;
    }

private:
    // Moves the window's top byte `digit` (plus a pending carry) out into the held-back digits;
    // the caller then shifts low left by 8.
    void shift_digit(std::uint8_t digit) noexcept(nothrow_byte_sink<Sink>) {
        if (digit != 0xFF || m_carry != 0) [[likely]] {
            // No later carry passes this digit: it is <= 0xFE, or a carry just arrived and
            // low + range < 2^65 leaves less than one unit of this digit above low. The held
            // digits are final.
            release_held(m_carry);
            m_cache = digit;
            m_cache_size = 1;
            m_carry = 0;
        } else {
            // A 0xFF a later carry would turn into 0x00. With no digit held yet it becomes the
            // cache (m_cache starts at 0xFF): the first digit never receives a carry because
            // the whole interval stays below 2^64 at the top level.
            ++m_cache_size;
        }
    }

    // Writes the cache plus carry, then the pending run as 0xFF (no carry) or 0x00 (carry).
    void release_held(std::uint8_t carry) noexcept(nothrow_byte_sink<Sink>) {
        if (m_cache_size == 0) {
            return;
        }
        put_byte(*m_sink, static_cast<std::uint8_t>(m_cache + carry));
        const auto fill = static_cast<std::uint8_t>(0xFF + carry);
        for (std::uint64_t i = 1; i < m_cache_size; ++i) {
            put_byte(*m_sink, fill);
        }
        m_bytes_written += m_cache_size;
    }

    Sink* m_sink;
    std::uint64_t m_low = 0;
    std::uint64_t m_range = range_coder_full_range;
    std::uint64_t m_cache_size = 0; // the cache plus the pending 0xFF run; 0 before any digit
    std::uint64_t m_bytes_written = 0;
    std::uint8_t m_cache = 0xFF;
    std::uint8_t m_carry = 0;
    bool m_finished = false;
};

// The decoding half shared by the range and binary decoders: code = value - low, where value
// is the stream read as a base-256 fraction (zeros past its end), kept in the same 64-bit
// window as the encoder's low. For an intact stream 0 <= code < range.
template <byte_source Source>
class range_decoder_core {
public:
    template <class Input>
    requires std::constructible_from<Source, Input&&>
    explicit range_decoder_core(Input&& input) : m_source(std::forward<Input>(input)) {
        for (std::uint64_t i = 0; i < range_coder_window_bytes; ++i) {
            const std::uint8_t byte = m_source.get();
            m_code = (m_code << 8U) | byte;
        }
        m_window = m_code;
        if (m_code >= m_range) { // all 0xFF: no encoder writes this window
            m_code = m_range - 1;
            m_inconsistent = true;
        }
    }

    [[nodiscard]] std::uint64_t code() const noexcept { return m_code; }
    [[nodiscard]] std::uint64_t range() const noexcept { return m_range; }

    // Mirrors range_encoder_core::narrow; code - offset wraps when the value lies below the
    // interval, which consume() detects. No undefined behavior on any input.
    void narrow(std::uint64_t offset, std::uint64_t width) noexcept {
        m_code -= offset;
        m_range = width;
    }
    // Keeps code < range after a narrow to an interval that does not hold the value.
    void repair() noexcept {
        if (m_code >= m_range) [[unlikely]] {
            m_code = m_range - 1;
            m_inconsistent = true;
        }
    }
    // Shifts in one byte per digit the encoder shifted out; code < range < 2^56 before each
    // shift, so code << 8 does not overflow. Throws what the source's get() throws.
    void normalize() noexcept(nothrow_byte_source<Source>) {
        while (m_range < range_coder_bottom) {
            const std::uint8_t byte = m_source.get();
            m_code = (m_code << 8U) | byte;
            m_window = (m_window << 8U) | byte;
            m_range <<= 8U;
        }
    }

    [[nodiscard]] bool inconsistent() const noexcept { return m_inconsistent; }
    [[nodiscard]] const Source& source() const noexcept { return m_source; }
    [[nodiscard]] std::uint64_t bytes_read() const noexcept { return m_source.bytes_read(); }
    [[nodiscard]] std::uint64_t bytes_past_end() const noexcept { return m_source.bytes_past_end(); }
    // The decoder reads one window (8 bytes) ahead of the digits the encoder has fixed, so an
    // intact stream, or any prefix of its decoding, never needs more than 8 padding zeros.
    [[nodiscard]] bool overran() const noexcept { return bytes_past_end() > range_coder_window_bytes; }
    // The size the encoder's finish() gives for the symbols decoded so far: the fixed digits
    // (bytes read minus the window) plus the flush byte, which depends on the encoder's low,
    // recovered as window - code.
    [[nodiscard]] std::uint64_t stream_size() const noexcept {
        return bytes_read() - range_coder_window_bytes + range_coder_flush_bytes(m_window - m_code, m_range);
    }

private:
    Source m_source;
    std::uint64_t m_code = 0;
    std::uint64_t m_range = range_coder_full_range;
    std::uint64_t m_window = 0; // the last 8 bytes read: the value's digits in the window
    bool m_inconsistent = false;
};

[[noreturn]] inline void throw_invalid_interval(symbol_interval interval, int precision_bits) {
    throw invalid_argument_error("range coder: symbol interval [" + std::to_string(interval.cdf_low) + ", " +
                                 std::to_string(std::uint64_t{interval.cdf_low} + interval.frequency) +
                                 ") is empty or outside [0, 2^" + std::to_string(precision_bits) +
                                 ") (precision must be in [1, 31])");
}

} // namespace detail

// Encodes symbol intervals into a byte sink (held by reference). See the file comment.
template <byte_sink Sink>
class range_encoder {
public:
    using sink_type = Sink;

    explicit range_encoder(Sink& sink) noexcept : m_core(sink) {}

    // Codes the symbol occupying `interval` of [0, 2^precision_bits). Throws
    // invalid_argument_error if precision_bits is outside [1, 31], the frequency is 0,
    // the interval passes 2^precision_bits, or the encoder is finished.
    void encode(symbol_interval interval, int precision_bits) {
        if (!detail::valid_interval(interval, precision_bits) || m_core.finished()) [[unlikely]] {
            if (m_core.finished()) {
                throw invalid_argument_error("range coder: a symbol was coded after the stream was finished");
            }
            detail::throw_invalid_interval(interval, precision_bits);
        }
        encode_unchecked(interval, precision_bits);
    }

    // encode() without the checks: the caller guarantees a valid interval and precision and an
    // unfinished encoder (otherwise the stream is garbage, though never undefined behavior).
    // noexcept when the sink is (nothrow_byte_sink); otherwise it throws what the sink throws.
    void encode_unchecked(symbol_interval interval, int precision_bits) noexcept(nothrow_byte_sink<Sink>) {
        // r = floor(range / 2^P) >= 2^(56 - P) >= 2^25. The symbol gets width r * frequency
        // instead of range * frequency / 2^P; the slack range - r * 2^P < 2^P belongs to no
        // symbol, so each symbol costs -log2(r * 2^P / range) < -log2(1 - 2^(P - 56)), about
        // 2^(P - 56) / ln 2 bits, more than P - log2(frequency): 4.3e-8 bits at P = 31.
        // r * (cdf_low + frequency) <= r * 2^P <= range < 2^64: no product overflows.
        const std::uint64_t r = m_core.range() >> static_cast<unsigned>(precision_bits);
        m_core.narrow(r * interval.cdf_low, r * interval.frequency);
    }

    // Writes the held-back digits and at most one more byte (see detail::range_encoder_core::finish:
    // termination costs at most 8 bits beyond -log2 of the final interval's width). Idempotent;
    // returns the stream's size in bytes. The stream of zero symbols is empty.
    std::uint64_t finish() { return m_core.finish(); }

    // Bytes handed to the sink so far (after finish(): the stream's size).
    [[nodiscard]] std::uint64_t bytes_written() const noexcept { return m_core.bytes_written(); }
    // Digits fixed by the coded symbols but held back because a carry may still change them
    // (a byte below 0xFF followed by a run of 0xFF).
    [[nodiscard]] std::uint64_t pending_bytes() const noexcept { return m_core.pending_bytes(); }
    // The size the stream would have if finish() were called now.
    [[nodiscard]] std::uint64_t stream_size() const noexcept { return m_core.stream_size(); }
    [[nodiscard]] bool finished() const noexcept { return m_core.finished(); }

private:
    detail::range_encoder_core<Sink> m_core;
};

// Decodes what range_encoder wrote, from a byte source (held by value). Corrupt input never
// causes a crash, a hang or undefined behavior: it decodes to some symbols, and the counters
// below let the caller reject truncation and trailing bytes.
template <byte_source Source>
class range_decoder {
public:
    using source_type = Source;

    // Builds the source from `input` (a span or vector of bytes for span_source) and reads
    // the first 8 bytes.
    template <class Input>
    requires std::constructible_from<Source, Input&&>
    explicit range_decoder(Input&& input) : m_core(std::forward<Input>(input)) {}

    // A value in [0, 2^precision_bits) that identifies the next symbol: the caller finds s with
    // cdf[s] <= target < cdf[s + 1] and calls consume() with s's interval. The decoder
    // remembers precision_bits until then (pending_precision()). Throws invalid_argument_error
    // if precision_bits is outside [1, 31].
    [[nodiscard]] std::uint32_t target(int precision_bits) {
        if (precision_bits < 1 || precision_bits > max_precision_bits) [[unlikely]] {
            detail::throw_invalid_interval({0, 1}, precision_bits);
        }
        return target_unchecked(precision_bits);
    }
    // target() without the check of precision_bits (which must be in [1, 31]).
    [[nodiscard]] std::uint32_t target_unchecked(int precision_bits) noexcept {
        m_pending_precision = precision_bits;
        // The encoder put the symbol at [r * cdf_low, r * (cdf_low + frequency)) of the range,
        // so floor(code / r) is in the symbol's slot. code >= r * 2^P only in the uncoded slack,
        // which no encoder reaches: clamp, and consume() flags the inconsistency.
        const std::uint64_t r = m_core.range() >> static_cast<unsigned>(precision_bits);
        const std::uint64_t value = m_core.code() / r;
        const std::uint64_t top = (std::uint64_t{1} << static_cast<unsigned>(precision_bits)) - 1;
        return static_cast<std::uint32_t>(value < top ? value : top);
    }

    // Removes the symbol occupying `interval` of [0, 2^P), P the precision of the pending
    // target(). Throws invalid_argument_error when no target() is pending or for an invalid
    // interval (as range_encoder::encode). An interval that does not hold target() sets
    // inconsistent() and keeps decoding.
    void consume(symbol_interval interval) { consume(interval, m_pending_precision); }
    // consume(interval), stating the precision: throws invalid_argument_error unless it is the
    // precision of the pending target() (a mismatch would decode garbage without notice).
    void consume(symbol_interval interval, int precision_bits) {
        if (precision_bits != m_pending_precision || m_pending_precision == 0) [[unlikely]] {
            throw_precision_mismatch(precision_bits);
        }
        if (!detail::valid_interval(interval, precision_bits)) [[unlikely]] {
            detail::throw_invalid_interval(interval, precision_bits);
        }
        consume_unchecked(interval, precision_bits);
    }
    // consume() without the checks (the caller guarantees a valid interval at the precision of
    // the last target). noexcept when the source is (nothrow_byte_source).
    void consume_unchecked(symbol_interval interval,
                           int precision_bits) noexcept(nothrow_byte_source<Source>) {
        m_pending_precision = 0;
        const std::uint64_t r = m_core.range() >> static_cast<unsigned>(precision_bits);
        m_core.narrow(r * interval.cdf_low, r * interval.frequency);
        m_core.repair();
        m_core.normalize();
    }

    // True once a target fell outside the interval consumed (or the first window was all
    // 0xFF): the input is not what an encoder wrote for these intervals.
    [[nodiscard]] bool inconsistent() const noexcept { return m_core.inconsistent(); }
    // Bytes taken from the source, including zeros past its end.
    [[nodiscard]] std::uint64_t bytes_read() const noexcept { return m_core.bytes_read(); }
    // Zeros read past the end of the source.
    [[nodiscard]] std::uint64_t bytes_past_end() const noexcept { return m_core.bytes_past_end(); }
    // True if the decoder needed more than its 8-byte look-ahead past the end: the input is
    // certainly truncated. Never true while decoding an intact stream.
    [[nodiscard]] bool overran() const noexcept { return m_core.overran(); }
    // The size range_encoder::finish() writes for the symbols consumed so far. After the last
    // symbol of an intact stream it equals the input's size; a truncated stream that still
    // decodes the same symbols gives a larger value, one with trailing bytes a smaller one.
    [[nodiscard]] std::uint64_t stream_size() const noexcept { return m_core.stream_size(); }
    [[nodiscard]] const Source& source() const noexcept { return m_core.source(); }
    // The precision of the target() that awaits its consume(), or 0 if none does.
    [[nodiscard]] int pending_precision() const noexcept { return m_pending_precision; }

private:
    [[noreturn]] void throw_precision_mismatch(int precision_bits) const {
        if (m_pending_precision == 0) {
            throw invalid_argument_error("range decoder: a symbol was consumed before its target was read "
                                         "(each symbol needs target(P), then consume)");
        }
        throw invalid_argument_error(
            "range decoder: a symbol at precision " + std::to_string(precision_bits) +
            " bits was consumed after a target at precision " + std::to_string(m_pending_precision) +
            " bits (both must be the precision the encoder used)");
    }

    detail::range_decoder_core<Source> m_core;
    int m_pending_precision = 0; // the precision of the last target() until consume()
};

// The presets: encode into a byte vector, decode from a span (or vector) of bytes.
using default_range_encoder = range_encoder<std::vector<std::uint8_t>>;
using default_range_decoder = range_decoder<span_source>;

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
