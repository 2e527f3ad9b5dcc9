// Where coders put and get bytes: the byte_sink and byte_source concepts, a bounded source over
// a span that reads zeros past its end (and counts them), and a sink that only counts.
//
//   std::vector<std::uint8_t> bytes;          // a byte_sink (push_back)
//   codelength::span_source source(bytes);    // a byte_source; get() past the end yields 0
#pragma once

#include "codelength/core/config.hpp"

#include <concepts>
#include <cstdint>
#include <ranges>
#include <span>
#include <utility>

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Something an encoder appends bytes to: `push_back(std::uint8_t)` (std::vector, std::string,
// std::deque) or `put(std::uint8_t)`. Encoders hold a sink by reference.
template <class Sink>
concept byte_sink = requires(Sink& sink, std::uint8_t byte) {
    sink.push_back(byte);
}
|| requires(Sink& sink, std::uint8_t byte) {
    sink.put(byte);
};

// Something a decoder reads bytes from, bounded: get() returns the next byte, or 0 once the
// input is exhausted, and counts those padding zeros so callers can tell how far a decoder
// read past the end. Decoders hold a source by value.
template <class Source>
concept byte_source = requires(Source& source, const Source& const_source) {
    { source.get() } -> std::same_as<std::uint8_t>;
    { const_source.bytes_read() } -> std::same_as<std::uint64_t>;     // including padding zeros
    { const_source.bytes_past_end() } -> std::same_as<std::uint64_t>; // padding zeros handed out
};

// True if handing a byte to Sink cannot throw (counting_sink); false for std::vector, whose
// growth may throw std::bad_alloc, and for any sink whose member is not noexcept. Encoders are
// noexcept exactly when their sink is: a throwing sink's exception reaches the caller.
template <byte_sink Sink>
inline constexpr bool nothrow_byte_sink = [] {
    if constexpr (requires(Sink & sink, std::uint8_t byte) { sink.push_back(byte); }) {
        return noexcept(std::declval<Sink&>().push_back(std::uint8_t{}));
    } else {
        return noexcept(std::declval<Sink&>().put(std::uint8_t{}));
    }
}();

// True if Source::get() cannot throw (span_source). Decoders are noexcept exactly when their
// source is.
template <byte_source Source>
inline constexpr bool nothrow_byte_source = noexcept(std::declval<Source&>().get());

namespace detail {

// Appends one byte through whichever member the sink has (push_back wins).
template <byte_sink Sink>
inline void put_byte(Sink& sink, std::uint8_t byte) noexcept(nothrow_byte_sink<Sink>) {
    if constexpr (requires { sink.push_back(byte); }) {
        sink.push_back(byte);
    } else {
        sink.put(byte);
    }
}

} // namespace detail

// Reads a byte span; past its end, get() yields 0 and counts it. Never reads out of bounds.
class span_source {
public:
    span_source() noexcept = default;
    // Implicit, so a decoder over span_source can be built from a span or a vector of bytes.
    span_source(std::span<const std::uint8_t> bytes) noexcept // NOLINT(google-explicit-constructor)
        : m_begin(bytes.data()), m_next(bytes.data()), m_end(bytes.data() + bytes.size()) {}
    // A temporary container would dangle: keep the bytes alive and pass them as an lvalue.
    template <std::ranges::contiguous_range Range>
    requires(!std::ranges::borrowed_range<Range>) span_source(Range&&)
    = delete;

    // The next byte, or 0 (counted in bytes_past_end()) when the span is exhausted.
    [[nodiscard]] std::uint8_t get() noexcept {
        if (m_next != m_end) [[likely]] {
            return *m_next++;
        }
        ++m_past_end;
        return 0;
    }
    // Bytes handed out so far, padding zeros included.
    [[nodiscard]] std::uint64_t bytes_read() const noexcept {
        return static_cast<std::uint64_t>(m_next - m_begin) + m_past_end;
    }
    // Padding zeros handed out after the span was exhausted.
    [[nodiscard]] std::uint64_t bytes_past_end() const noexcept { return m_past_end; }
    // The span's length.
    [[nodiscard]] std::uint64_t size() const noexcept { return static_cast<std::uint64_t>(m_end - m_begin); }

private:
    const std::uint8_t* m_begin = nullptr;
    const std::uint8_t* m_next = nullptr;
    const std::uint8_t* m_end = nullptr;
    std::uint64_t m_past_end = 0;
};

// Discards bytes and counts them: measures a coded size without storing the stream.
class counting_sink {
public:
    void put(std::uint8_t /*byte*/) noexcept { ++m_count; }
    // Bytes received so far.
    [[nodiscard]] std::uint64_t count() const noexcept { return m_count; }

private:
    std::uint64_t m_count = 0;
};

static_assert(byte_source<span_source>);
static_assert(byte_sink<counting_sink>);
static_assert(nothrow_byte_source<span_source> && nothrow_byte_sink<counting_sink>);

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
