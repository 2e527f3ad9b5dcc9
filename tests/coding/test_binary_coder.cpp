// The binary coder: seeded round trips with random and adaptive probabilities at 12 and 16 bits
// (and the extreme precisions 1 and 32), the overhead against the ideal sum of -log2 p, carries
// over long 0xFF runs, empty and one-bit streams, and corrupt, truncated and extended streams.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "codelength/coding/binary_coder.hpp"
#include "codelength/coding/byte_io.hpp"
#include "codelength/core/error.hpp"
#include "support/catch.hpp"

namespace {

using byte_vector = std::vector<std::uint8_t>;

struct coded_bit {
    int bit = 0;
    std::uint32_t p1 = 1;
};

// -log2 of the probability the coder was given for `bit`.
template <int Bits>
long double ideal_bits(const coded_bit& c) {
    const long double total = std::ldexp(1.0L, Bits);
    const long double p1 = static_cast<long double>(c.p1) / total;
    return -std::log2(c.bit != 0 ? p1 : 1.0L - p1);
}

// The per-bit bound beyond the ideal: -log2(1 - 2^(B - 56)) for a 1 (see binary_coder.hpp).
template <int Bits>
long double bit_slack_bits() {
    return -std::log2(1.0L - std::ldexp(1.0L, Bits - 56));
}

template <int Bits>
struct encoded_bits {
    byte_vector bytes;
    long double ideal_bits = 0;
    std::uint64_t longest_hold = 0;
};

template <int Bits>
encoded_bits<Bits> encode_all(const std::vector<coded_bit>& bits) {
    encoded_bits<Bits> out;
    codelength::binary_encoder<Bits> encoder(out.bytes);
    for (const auto& c : bits) {
        encoder.encode_bit(c.bit, c.p1);
        out.ideal_bits += ideal_bits<Bits>(c);
        out.longest_hold = std::max(out.longest_hold, encoder.pending_bytes());
    }
    const auto predicted = encoder.stream_size();
    REQUIRE(encoder.finish() == predicted);
    REQUIRE(out.bytes.size() == predicted);
    REQUIRE(encoder.bytes_written() == predicted);
    return out;
}

struct decoded_bits {
    std::vector<int> bits;
    bool overran = false;
    bool inconsistent = false;
    std::uint64_t stream_size = 0;
};

template <int Bits>
decoded_bits decode_all(std::span<const std::uint8_t> bytes, const std::vector<coded_bit>& reference) {
    decoded_bits out;
    codelength::binary_decoder<Bits> decoder(bytes);
    out.bits.reserve(reference.size());
    for (const auto& c : reference) {
        out.bits.push_back(decoder.decode_bit(c.p1));
    }
    out.overran = decoder.overran();
    out.inconsistent = decoder.inconsistent();
    out.stream_size = decoder.stream_size();
    return out;
}

std::vector<int> bits_of(const std::vector<coded_bit>& bits) {
    std::vector<int> out;
    out.reserve(bits.size());
    for (const auto& c : bits) {
        out.push_back(c.bit);
    }
    return out;
}

template <int Bits>
void check_round_trip(const std::vector<coded_bit>& bits) {
    const auto stream = encode_all<Bits>(bits);
    const long double coded = 8.0L * static_cast<long double>(stream.bytes.size());
    CHECK(coded <= stream.ideal_bits + static_cast<long double>(bits.size()) * bit_slack_bits<Bits>() + 8.0L +
                       1e-9L * stream.ideal_bits + 1e-9L);
    const auto decoded = decode_all<Bits>(stream.bytes, bits);
    REQUIRE(decoded.bits == bits_of(bits));
    CHECK(!decoded.overran);
    CHECK(!decoded.inconsistent);
    CHECK(decoded.stream_size == stream.bytes.size());
}

// p1 from one of several regimes, and a bit drawn from it or chosen against it.
template <int Bits>
coded_bit random_bit(std::mt19937_64& generator, int regime) {
    constexpr std::uint64_t max_p1 = (std::uint64_t{1} << Bits) - 1;
    coded_bit c;
    const std::uint64_t draw = generator();
    switch (regime) {
    case 0: // uniform over [1, max]
        c.p1 = static_cast<std::uint32_t>(1 + draw % max_p1);
        break;
    case 1: // the extremes
        c.p1 = static_cast<std::uint32_t>(draw % 2 == 0 ? 1 : max_p1);
        break;
    default: // skewed: within 16 of either end
        c.p1 = static_cast<std::uint32_t>(draw % 2 == 0
                                              ? 1 + (draw >> 8U) % std::min<std::uint64_t>(16, max_p1)
                                              : max_p1 - (draw >> 8U) % std::min<std::uint64_t>(16, max_p1));
        break;
    }
    const bool adversarial = (draw >> 40U) % 4 == 0; // a uniformly random bit, often improbable
    const std::uint64_t u = generator() & max_p1;
    c.bit = adversarial ? static_cast<int>((generator() >> 63U) & 1U) : (u < c.p1 ? 1 : 0);
    return c;
}

template <int Bits>
void random_round_trips(std::mt19937_64& generator, int trials) {
    for (int trial = 0; trial < trials; ++trial) {
        const int regime = static_cast<int>(generator() % 4); // 3: mixed per bit
        const std::uint64_t length_class = generator() % 8;
        const std::size_t length = length_class == 0   ? 0
                                   : length_class == 1 ? 1
                                   : length_class == 7 ? static_cast<std::size_t>(generator() % 20000)
                                                       : static_cast<std::size_t>(generator() % 300);
        std::vector<coded_bit> bits(length);
        for (auto& c : bits) {
            c = random_bit<Bits>(generator, regime == 3 ? static_cast<int>(generator() % 3) : regime);
        }
        INFO("B = " << Bits << " trial " << trial << " regime " << regime << " length " << length);
        check_round_trip<Bits>(bits);
    }
}

// An lpaq-style adaptive bit model: 16-bit probabilities per context of the last 8 bits,
// moved 1/32 of the way to each bit, reported at the coder's precision.
template <int Bits>
class adaptive_model {
public:
    adaptive_model() { m_state.fill(1U << 15U); }
    [[nodiscard]] std::uint32_t p1() const {
        const std::uint32_t p = m_state[m_history & 0xFFU] >> (16 - Bits);
        return std::clamp<std::uint32_t>(p, 1U, (1U << Bits) - 1);
    }
    void update(int bit) {
        auto& p = m_state[m_history & 0xFFU];
        p = bit != 0 ? p + ((65536U - p) >> 5U) : p - (p >> 5U);
        m_history = (m_history << 1U) | static_cast<std::uint32_t>(bit);
    }

private:
    std::array<std::uint32_t, 256> m_state{};
    std::uint32_t m_history = 0;
};

// Bits from an order-3 Markov source with skewed random transition probabilities.
std::vector<int> markov_bits(std::mt19937_64& generator, std::size_t count) {
    std::array<double, 8> p_one{};
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    for (auto& p : p_one) {
        const double u = uniform(generator);
        p = u * u * u; // mostly near 0 or, by symmetry below, near 1
        if (generator() % 2 == 0) {
            p = 1.0 - p;
        }
    }
    std::vector<int> bits(count);
    std::uint32_t history = 0;
    for (auto& bit : bits) {
        bit = uniform(generator) < p_one[history & 7U] ? 1 : 0;
        history = (history << 1U) | static_cast<std::uint32_t>(bit);
    }
    return bits;
}

template <int Bits>
void adaptive_overhead(std::mt19937_64& generator) {
    const auto source = markov_bits(generator, std::size_t{1} << 22U);
    std::vector<coded_bit> bits;
    bits.reserve(source.size());
    adaptive_model<Bits> model;
    for (const int bit : source) {
        bits.push_back({bit, model.p1()});
        model.update(bit);
    }
    const auto stream = encode_all<Bits>(bits);
    const long double coded = 8.0L * static_cast<long double>(stream.bytes.size());
    const long double overhead = coded - stream.ideal_bits;
    WARN("binary coder B = " << Bits << ", adaptive model, " << bits.size() << " bits: ideal "
                             << static_cast<double>(stream.ideal_bits) << " bits, coded " << coded
                             << " bits, overhead " << static_cast<double>(overhead) << " bits = "
                             << static_cast<double>(100.0L * overhead / stream.ideal_bits) << " %");
    CHECK(overhead <= 0.0001L * stream.ideal_bits + 64.0L);
    CHECK(overhead <=
          static_cast<long double>(bits.size()) * bit_slack_bits<Bits>() + 8.0L + 1e-9L * stream.ideal_bits);

    // The decoder drives an identical model from the bits it decodes.
    codelength::binary_decoder<Bits> decoder(stream.bytes);
    adaptive_model<Bits> mirror;
    std::size_t mismatches = 0;
    for (const int bit : source) {
        const int decoded = decoder.decode_bit(mirror.p1());
        mismatches += decoded != bit ? 1U : 0U;
        mirror.update(decoded);
    }
    CHECK(mismatches == 0);
    CHECK(decoder.stream_size() == stream.bytes.size());
    CHECK(!decoder.overran());
}

} // namespace

TEST_CASE("binary coder: seeded random round trips at 12 and 16 bits, and 1, 8, 32", "[coding]") {
    const std::uint64_t seed = 1216;
    INFO("seed " << seed);
    std::mt19937_64 generator(seed);
    random_round_trips<12>(generator, 3000);
    random_round_trips<16>(generator, 3000);
    random_round_trips<1>(generator, 300);
    random_round_trips<8>(generator, 300);
    random_round_trips<32>(generator, 300);
}

TEST_CASE("binary coder: adaptive probabilities, overhead against the ideal sum of -log2 p", "[coding]") {
    const std::uint64_t seed = 31337;
    INFO("seed " << seed);
    std::mt19937_64 generator(seed);
    adaptive_overhead<12>(generator);
    adaptive_overhead<16>(generator);
}

TEST_CASE("binary coder: empty and one-bit streams", "[coding]") {
    byte_vector bytes;
    codelength::binary_encoder<12> encoder(bytes);
    CHECK(encoder.finish() == 0);
    codelength::binary_decoder<12> empty(bytes);
    CHECK(empty.stream_size() == 0);
    CHECK(!empty.overran());

    for (const int bit : {0, 1}) {
        for (const std::uint32_t p1 : {1U, 2048U, 4095U}) {
            INFO("bit " << bit << " p1 " << p1);
            check_round_trip<12>({coded_bit{bit, p1}});
        }
        for (const std::uint32_t p1 : {1U, 32768U, 65535U}) {
            INFO("bit " << bit << " p1 " << p1);
            check_round_trip<16>({coded_bit{bit, p1}});
        }
    }
}

TEST_CASE("binary coder: improbable bits in long runs and carries over runs of 0xFF", "[coding]") {
    const std::uint64_t seed = 0xFF;
    INFO("seed " << seed);
    std::mt19937_64 generator(seed);

    // A 0 at p1 = max takes the top-most sliver, a 1 at p1 = 1 the bottom-most: 16 bits each.
    for (const int bit : {0, 1}) {
        for (const std::uint32_t p1 : {1U, 65535U}) {
            INFO("bit " << bit << " p1 " << p1);
            check_round_trip<16>(std::vector<coded_bit>(5000, coded_bit{bit, p1}));
        }
    }

    // Decoding a chosen value keeps every interval around it (see test_range_coder.cpp): the
    // run after 0x80 comes out as 0x00 after a carry, the run after 0x7F as 0xFF.
    for (int trial = 0; trial < 200; ++trial) {
        const bool carry = trial % 2 == 0;
        const std::size_t run = 20 + generator() % 60;
        byte_vector value(1 + run, carry ? 0x00 : 0xFF);
        value[0] = carry ? 0x80 : 0x7F;
        for (int i = 0; i < 32; ++i) {
            value.push_back(static_cast<std::uint8_t>(generator()));
        }
        INFO("trial " << trial << " run " << run << (carry ? " carry" : " no carry"));
        std::vector<coded_bit> bits;
        {
            codelength::binary_decoder<12> decoder(value);
            while (decoder.bytes_read() < value.size()) {
                coded_bit c = random_bit<12>(generator, static_cast<int>(generator() % 3));
                c.bit = decoder.decode_bit(c.p1);
                bits.push_back(c);
            }
        }
        const auto stream = encode_all<12>(bits);
        CHECK(stream.longest_hold >= run - 8);
        REQUIRE(stream.bytes.size() > run);
        CHECK(stream.bytes[0] == value[0]);
        for (std::size_t i = 1; i < run - 8; ++i) {
            REQUIRE(stream.bytes[i] == value[i]);
        }
        const auto decoded = decode_all<12>(stream.bytes, bits);
        REQUIRE(decoded.bits == bits_of(bits));
        CHECK(decoded.stream_size == stream.bytes.size());
    }
}

TEST_CASE("binary coder: stream_size() before finish() and a counting sink", "[coding]") {
    const std::uint64_t seed = 5;
    INFO("seed " << seed);
    std::mt19937_64 generator(seed);
    std::vector<coded_bit> bits(30);
    for (auto& c : bits) {
        c = random_bit<16>(generator, 0);
    }
    codelength::counting_sink running_sink;
    codelength::basic_binary_encoder<16, codelength::counting_sink> running(running_sink);
    for (std::size_t n = 0; n <= bits.size(); ++n) {
        codelength::counting_sink sink;
        codelength::basic_binary_encoder<16, codelength::counting_sink> prefix(sink);
        for (std::size_t i = 0; i < n; ++i) {
            prefix.encode_bit(bits[i].bit, bits[i].p1);
        }
        CHECK(running.stream_size() == prefix.finish());
        CHECK(sink.count() == prefix.bytes_written());
        if (n < bits.size()) {
            running.encode_bit(bits[n].bit, bits[n].p1);
        }
    }
}

TEST_CASE("binary coder: invalid bits and probabilities throw invalid_argument_error", "[coding]") {
    byte_vector bytes;
    codelength::binary_encoder<12> encoder(bytes);
    CHECK_THROWS_AS(encoder.encode_bit(1, 0), codelength::invalid_argument_error);
    CHECK_THROWS_AS(encoder.encode_bit(1, 4096), codelength::invalid_argument_error);
    CHECK_THROWS_AS(encoder.encode_bit(2, 100), codelength::invalid_argument_error);
    CHECK_THROWS_AS(encoder.encode_bit(-1, 100), codelength::invalid_argument_error);
    CHECK_NOTHROW(encoder.encode_bit(1, 4095));
    encoder.finish();
    CHECK_THROWS_AS(encoder.encode_bit(0, 100), codelength::invalid_argument_error);

    codelength::binary_decoder<12> decoder(bytes);
    CHECK_THROWS_AS(decoder.decode_bit(0), codelength::invalid_argument_error);
    CHECK_THROWS_AS(decoder.decode_bit(4096), codelength::invalid_argument_error);
    CHECK(decoder.decode_bit(4095) == 1);
}

TEST_CASE("binary coder: flipped, truncated, extended and random inputs never crash", "[coding]") {
    const std::uint64_t seed = 2024;
    INFO("seed " << seed);
    std::mt19937_64 generator(seed);
    std::uint64_t truncations = 0;
    std::uint64_t truncations_overran = 0;
    std::uint64_t truncations_flagged = 0; // overran() or stream_size() != input size
    for (int trial = 0; trial < 300; ++trial) {
        std::vector<coded_bit> bits(1 + generator() % 3000);
        for (auto& c : bits) {
            c = random_bit<16>(generator, static_cast<int>(generator() % 3));
        }
        const auto original = bits_of(bits);
        const auto stream = encode_all<16>(bits);
        INFO("trial " << trial << " size " << stream.bytes.size());

        byte_vector flipped = stream.bytes;
        if (!flipped.empty()) {
            flipped[generator() % flipped.size()] ^= static_cast<std::uint8_t>(1U << (generator() % 8));
        }
        CHECK(decode_all<16>(flipped, bits).bits.size() == bits.size());

        for (std::size_t cut = 1; cut <= std::min<std::size_t>(stream.bytes.size(), 12); ++cut) {
            const std::span<const std::uint8_t> truncated(stream.bytes.data(), stream.bytes.size() - cut);
            const auto decoded = decode_all<16>(truncated, bits);
            ++truncations;
            truncations_overran += decoded.overran ? 1U : 0U;
            truncations_flagged += decoded.overran || decoded.stream_size != truncated.size() ? 1U : 0U;
            const bool same = decoded.bits == original;
            CHECK((!same || decoded.stream_size > truncated.size()));
            if (same && cut >= 2) {
                CHECK(decoded.overran);
            }
        }

        byte_vector extended = stream.bytes;
        for (std::size_t i = 0, extra = 1 + generator() % 16; i < extra; ++i) {
            extended.push_back(static_cast<std::uint8_t>(generator()));
        }
        const auto from_extended = decode_all<16>(extended, bits);
        if (from_extended.bits == original) {
            CHECK(from_extended.stream_size == stream.bytes.size());
        }

        byte_vector noise(generator() % 64);
        for (auto& b : noise) {
            b = static_cast<std::uint8_t>(generator());
        }
        const auto from_noise = decode_all<16>(noise, bits);
        if (!from_noise.inconsistent) {
            std::vector<coded_bit> again = bits;
            for (std::size_t i = 0; i < again.size(); ++i) {
                again[i].bit = from_noise.bits[i];
            }
            check_round_trip<16>(again);
        }
    }
    WARN("binary coder truncations: "
         << truncations << ", " << truncations_overran << " overran, " << truncations_flagged
         << " overran or stream_size() != input size; the rest decode to other bits");
}
