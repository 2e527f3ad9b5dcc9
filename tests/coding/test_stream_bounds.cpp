// The symbol count a stream header may claim: parse_stream refuses a count the payload cannot
// hold at the model's cheapest symbol (so a forged count costs no decoding), and never refuses
// what an encoder wrote, checked on real encodes at the extremes (V = 2 with huge margins at
// P = 12, 24 and 31, and V = 2^P where every symbol costs exactly P bits).
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "codelength/coding/sequence_coder.hpp"
#include "codelength/coding/stream_format.hpp"
#include "codelength/coding/top_k_coder.hpp"
#include "support/catch.hpp"

namespace {

// The same row every step: token 0 leads token v > 0 by `margin` (0: uniform).
class constant_model {
public:
    constant_model(std::int64_t vocabulary_size, float margin) : m_logits(1, 0.0F) {
        m_logits.resize(static_cast<std::size_t>(vocabulary_size), -margin);
    }
    [[nodiscard]] std::int64_t vocabulary_size() const noexcept {
        return static_cast<std::int64_t>(m_logits.size());
    }
    [[nodiscard]] std::span<const float> next_logits() const noexcept { return m_logits; }
    void update(std::int64_t /*token*/) noexcept {}

private:
    std::vector<float> m_logits;
};

struct extreme_case {
    std::int64_t vocabulary_size;
    int precision_bits;
    float margin;
    std::size_t tokens;
};

std::uint64_t payload_bound(const codelength::stream_header& header) {
    return codelength::stream_max_symbols_for_payload(header.payload_bytes,
                                                      codelength::stream_min_symbol_bits(header.model));
}

} // namespace

TEST_CASE("the cheapest symbol's cost: -log2(1 - (V - 1) / 2^P), exactly P bits at V = 2^P, 0 at V = 1",
          "[coding]") {
    codelength::stream_model_descriptor model;
    model.precision_bits = 24;
    model.vocabulary_size = 2;
    CHECK(codelength::stream_min_symbol_bits(model) == Catch::Approx(-std::log2(1.0 - std::ldexp(1.0, -24))));
    model.precision_bits = 31;
    CHECK(codelength::stream_min_symbol_bits(model) == Catch::Approx(std::ldexp(1.0, -31) / std::log(2.0)));
    model.precision_bits = 8;
    model.vocabulary_size = 256;
    CHECK(codelength::stream_min_symbol_bits(model) == Catch::Approx(8.0));
    model.vocabulary_size = 1;
    CHECK(codelength::stream_min_symbol_bits(model) == 0.0);
    CHECK(codelength::stream_max_symbols_for_payload(0, 0.0) == std::numeric_limits<std::uint64_t>::max());
    // Top-k: k + 1 >= 2 symbols (or a uniform index of at least 1 bit), whatever V.
    model.kind = codelength::stream_model_kind::top_k;
    model.precision_bits = 24;
    model.vocabulary_size = std::int64_t{1} << 40;
    CHECK(codelength::stream_min_symbol_bits(model) == Catch::Approx(-std::log2(1.0 - std::ldexp(1.0, -24))));
}

TEST_CASE("real streams at the extremes are never refused by the payload bound, which is tight", "[coding]") {
    const std::vector<extreme_case> cases = {
        {2, 12, 1000.0F, 300000}, // each symbol ~3.5e-4 bits: ~13 payload bytes
        {2, 24, 1000.0F, 300000}, // ~8.6e-8 bits each: the payload is a byte or two
        {2, 31, 1000.0F, 300000}, // ~6.7e-10 bits each
        {2, 31, 3.0e38F, 100000}, // the largest float margin
        {2, 1, 0.0F, 4001},       // V = 2^P: exactly 1 bit each
        {256, 8, 0.0F, 5000},     // V = 2^P: exactly 8 bits each, no slack at all
        {65536, 16, 0.0F, 3000},  // exactly 16 bits each
        {3, 2, 1000.0F, 2000},    // the likeliest symbol at 2 of 4
        {50257, 24, 1000.0F, 20000},
    };
    for (const extreme_case& c : cases) {
        INFO("V " << c.vocabulary_size << ", P " << c.precision_bits << ", margin " << c.margin << ", "
                  << c.tokens << " tokens");
        constant_model encoder_model(c.vocabulary_size, c.margin);
        const std::vector<std::int64_t> tokens(c.tokens, 0); // the cheapest symbol, every time
        const auto encoded =
            codelength::encode_sequence(encoder_model, tokens, {.precision_bits = c.precision_bits});
        const codelength::stream_header header = codelength::parse_stream(encoded.bytes).header;
        const std::uint64_t most = payload_bound(header);
        INFO("payload " << header.payload_bytes << " bytes, bound " << most << " symbols");
        CHECK(header.symbol_count <= most);
        constant_model decoder_model(c.vocabulary_size, c.margin);
        const bool decoded_back =
            codelength::decode_sequence(decoder_model, encoded.bytes,
                                        {.limits = {.max_symbols = c.tokens}}) == tokens;
        CHECK(decoded_back);
        // Where the payload is more than its termination, the bound is within 2x of the count
        // (and within a few symbols of it when every symbol costs exactly P bits).
        if (header.payload_bytes >= 8) {
            CHECK(static_cast<double>(most) < 2.0 * static_cast<double>(c.tokens));
        }
        if (c.margin == 0.0F) {
            CHECK(most <= c.tokens + static_cast<std::uint64_t>(16 / c.precision_bits) + 1);
        }
    }
}

TEST_CASE("parse_stream refuses one symbol more than the payload can hold, and accepts the bound",
          "[coding]") {
    for (const int precision : {1, 8, 12, 24, 31}) {
        INFO("P " << precision);
        constant_model model(2, 50.0F);
        const std::vector<std::int64_t> tokens(1000, 0);
        const auto encoded = codelength::encode_sequence(model, tokens, {.precision_bits = precision});
        codelength::stream_header header = codelength::parse_stream(encoded.bytes).header;
        const auto payload =
            std::span<const std::uint8_t>(encoded.bytes).subspan(codelength::stream_header_bytes);
        const std::uint64_t most = payload_bound(header);
        REQUIRE(most < codelength::stream_max_symbol_count);
        header.symbol_count = most;
        CHECK_NOTHROW(codelength::parse_stream(codelength::write_stream(header, payload)));
        header.symbol_count = most + 1;
        try {
            (void)codelength::parse_stream(codelength::write_stream(header, payload));
            FAIL("a symbol count beyond the payload's capacity was accepted");
        } catch (const codelength::stream_header_error& e) {
            CHECK(e.byte_offset() == codelength::stream_offset::symbol_count);
            CHECK_THAT(e.what(), Catch::Contains("cannot come from a payload of"));
        }
    }
}

TEST_CASE("top-k streams that list a certain token are never refused by the payload bound", "[coding]") {
    for (const int precision : {8, 24, 31}) {
        INFO("P " << precision);
        const std::int64_t rows = 50000;
        const std::vector<std::int64_t> ids(static_cast<std::size_t>(rows), 3);
        const std::vector<double> probabilities(static_cast<std::size_t>(rows), 1.0);
        const std::vector<std::int64_t> tokens(static_cast<std::size_t>(rows), 3);
        const auto make = [&] { return codelength::top_k_replay<double>(ids, probabilities, rows, 1, 1000); };
        const auto encoded = codelength::verify_top_k_round_trip(make, tokens, {.precision_bits = precision});
        const codelength::stream_header header = codelength::parse_stream(encoded.bytes).header;
        CHECK(header.symbol_count <= payload_bound(header));
    }
}
