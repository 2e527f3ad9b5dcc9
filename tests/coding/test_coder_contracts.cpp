// The coders' contracts with the code around them: an exception thrown by a byte sink (an
// allocation failure in a vector, a full disk) or by a byte source propagates out of the coder
// instead of ending the program, and noexcept is kept only where the sink or source cannot throw.
#include <cstdint>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

#include "codelength/coding/binary_coder.hpp"
#include "codelength/coding/byte_io.hpp"
#include "codelength/coding/range_coder.hpp"
#include "codelength/core/error.hpp"
#include "support/catch.hpp"

namespace {

// Accepts `capacity` bytes through put(), then throws as a full device would.
class failing_sink {
public:
    explicit failing_sink(std::uint64_t capacity) : m_capacity(capacity) {}
    void put(std::uint8_t byte) {
        if (m_bytes.size() >= m_capacity) {
            throw std::runtime_error("sink full");
        }
        m_bytes.push_back(byte);
    }
    [[nodiscard]] std::uint64_t size() const noexcept { return m_bytes.size(); }

private:
    std::uint64_t m_capacity;
    std::vector<std::uint8_t> m_bytes;
};

// A push_back sink whose growth fails after `capacity` bytes, as std::vector does when the
// allocation fails.
class exhausted_vector {
public:
    explicit exhausted_vector(std::uint64_t capacity) : m_capacity(capacity) {}
    void push_back(std::uint8_t /*byte*/) {
        if (m_size >= m_capacity) {
            throw std::bad_alloc();
        }
        ++m_size;
    }

private:
    std::uint64_t m_capacity;
    std::uint64_t m_size = 0;
};

// A source that hands out `capacity` bytes of a fixed pattern, then fails as a broken pipe would.
class failing_source {
public:
    explicit failing_source(std::uint64_t capacity) : m_capacity(capacity) {}
    [[nodiscard]] std::uint8_t get() {
        if (m_read >= m_capacity) {
            throw std::runtime_error("source failed");
        }
        ++m_read;
        return static_cast<std::uint8_t>(0x5A ^ m_read);
    }
    [[nodiscard]] std::uint64_t bytes_read() const noexcept { return m_read; }
    [[nodiscard]] std::uint64_t bytes_past_end() const noexcept { return 0; }

private:
    std::uint64_t m_capacity;
    std::uint64_t m_read = 0;
};

static_assert(codelength::byte_sink<failing_sink>);
static_assert(codelength::byte_sink<exhausted_vector>);
static_assert(codelength::byte_source<failing_source>);

// Codes symbols of 12 bits each (cdf_low varies so that digits leave the window) until the
// sink throws.
template <class Encoder>
void encode_until_failure(Encoder& encoder) {
    for (std::uint32_t i = 0; i < 1000; ++i) {
        encoder.encode_unchecked({(i * 2654435761U) & 0xFFFU, 1}, 12);
    }
    encoder.finish();
}

} // namespace

TEST_CASE("range coder: a sink that throws after 4 bytes propagates its exception", "[coding]") {
    failing_sink sink(4);
    codelength::range_encoder<failing_sink> encoder(sink);
    REQUIRE_THROWS_AS(encode_until_failure(encoder), std::runtime_error);
    CHECK(sink.size() == 4);

    exhausted_vector vector_sink(4);
    codelength::range_encoder<exhausted_vector> vector_encoder(vector_sink);
    REQUIRE_THROWS_AS(encode_until_failure(vector_encoder), std::bad_alloc);

    // Checked encode() and finish() propagate too.
    failing_sink small(0);
    codelength::range_encoder<failing_sink> checked(small);
    REQUIRE_THROWS_AS(
        [&] {
            for (std::uint32_t i = 0; i < 100; ++i) {
                checked.encode({i & 0xFFU, 1}, 8);
            }
        }(),
        std::runtime_error);
}

TEST_CASE("binary coder: a sink that throws after 4 bytes propagates its exception", "[coding]") {
    // p1 = 1/2: one bit of output per bit coded, so 10,000 bits need 1,250 bytes.
    const auto encode_bits = [](auto& encoder, bool checked) {
        for (int i = 0; i < 10000; ++i) {
            if (checked) {
                encoder.encode_bit(i % 3 == 0 ? 1 : 0, 2048);
            } else {
                encoder.encode_bit_unchecked(i % 3 == 0 ? 1 : 0, 2048);
            }
        }
        encoder.finish();
    };
    for (const bool checked : {true, false}) {
        INFO("checked " << checked);
        failing_sink sink(4);
        codelength::basic_binary_encoder<12, failing_sink> encoder(sink);
        REQUIRE_THROWS_AS(encode_bits(encoder, checked), std::runtime_error);
        CHECK(sink.size() == 4);
        exhausted_vector vector_sink(4);
        codelength::basic_binary_encoder<12, exhausted_vector> vector_encoder(vector_sink);
        REQUIRE_THROWS_AS(encode_bits(vector_encoder, checked), std::bad_alloc);
    }
}

TEST_CASE("range and binary decoders: a source that throws propagates its exception", "[coding]") {
    // The constructor reads the first 8 bytes; later bytes are read while decoding.
    REQUIRE_THROWS_AS(codelength::range_decoder<failing_source>(failing_source(3)), std::runtime_error);

    // 12-bit symbols of frequency 1 read about 1.5 bytes each: the 12 bytes run out.
    for (const bool checked : {true, false}) {
        INFO("checked " << checked);
        codelength::range_decoder<failing_source> decoder(failing_source(12));
        const auto decode_100 = [&] {
            for (int i = 0; i < 100; ++i) {
                if (checked) {
                    decoder.consume({decoder.target(12), 1}, 12);
                } else {
                    decoder.consume_unchecked({decoder.target_unchecked(12), 1}, 12);
                }
            }
        };
        REQUIRE_THROWS_AS(decode_100(), std::runtime_error);
    }

    codelength::basic_binary_decoder<12, failing_source> bits(failing_source(12));
    REQUIRE_THROWS_AS(
        [&] {
            for (int i = 0; i < 10000; ++i) {
                (void)bits.decode_bit_unchecked(2048); // 1 bit each: 1250 bytes
            }
        }(),
        std::runtime_error);
}

TEST_CASE("coders are noexcept exactly when their sink or source cannot throw", "[coding]") {
    using vector_encoder = codelength::default_range_encoder;
    using counting_encoder = codelength::range_encoder<codelength::counting_sink>;
    STATIC_REQUIRE_FALSE(noexcept(std::declval<vector_encoder&>().encode_unchecked({0, 1}, 8)));
    STATIC_REQUIRE_FALSE(
        noexcept(std::declval<codelength::range_encoder<failing_sink>&>().encode_unchecked({0, 1}, 8)));
    STATIC_REQUIRE(noexcept(std::declval<counting_encoder&>().encode_unchecked({0, 1}, 8)));
    STATIC_REQUIRE_FALSE(
        noexcept(std::declval<codelength::binary_encoder<12>&>().encode_bit_unchecked(1, 2048)));
    STATIC_REQUIRE(noexcept(
        std::declval<codelength::basic_binary_encoder<12, codelength::counting_sink>&>().encode_bit_unchecked(
            1, 2048)));
    STATIC_REQUIRE(noexcept(std::declval<codelength::default_range_decoder&>().consume_unchecked({0, 1}, 8)));
    STATIC_REQUIRE_FALSE(
        noexcept(std::declval<codelength::range_decoder<failing_source>&>().consume_unchecked({0, 1}, 8)));
    STATIC_REQUIRE(noexcept(std::declval<codelength::binary_decoder<12>&>().decode_bit_unchecked(1)));
    STATIC_REQUIRE_FALSE(noexcept(
        std::declval<codelength::basic_binary_decoder<12, failing_source>&>().decode_bit_unchecked(1)));
}

TEST_CASE("range decoder: consume() takes the precision of the pending target; a mismatch throws",
          "[coding]") {
    // Two symbols at different precisions in one stream, as the top-k coder writes them.
    std::vector<std::uint8_t> bytes;
    codelength::default_range_encoder encoder(bytes);
    encoder.encode({1000, 24}, 12);
    encoder.encode({123456789, 7}, 31);
    encoder.finish();

    codelength::default_range_decoder decoder(bytes);
    CHECK(decoder.pending_precision() == 0);
    // No target yet: nothing says which precision the interval is at.
    CHECK_THROWS_AS(decoder.consume({1000, 24}), codelength::invalid_argument_error);
    CHECK_THROWS_AS(decoder.consume({1000, 24}, 12), codelength::invalid_argument_error);
    const std::uint32_t first = decoder.target(12);
    CHECK(decoder.pending_precision() == 12);
    CHECK(first >= 1000);
    CHECK(first < 1024);
    // The same interval stated at another precision than the target's is refused, not decoded.
    CHECK_THROWS_WITH(decoder.consume({1000, 24}, 16),
                      Catch::Contains("precision 16 bits was consumed after a target at precision 12 bits"));
    CHECK(decoder.pending_precision() == 12); // the refused call changed nothing
    decoder.consume({1000, 24});              // at the target's precision
    CHECK(decoder.pending_precision() == 0);
    // A second consume for one target is refused too.
    CHECK_THROWS_AS(decoder.consume({1000, 24}, 12), codelength::invalid_argument_error);
    const std::uint32_t second = decoder.target(31);
    CHECK(second >= 123456789U);
    CHECK(second < 123456789U + 7U);
    decoder.consume({123456789, 7}, 31); // stating the right precision is fine
    CHECK_FALSE(decoder.inconsistent());
    CHECK(decoder.stream_size() == bytes.size());
}
