// The context-mixing model: the binary_model concept, p1 in range, determinism, exact round
// trips through the binary coder (empty, 1 byte, all-equal, random, text, binary, and more
// data than the hash tables hold), memory within budget, and compression of English-like text.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "codelength/coding/binary_coder.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/models/context_mixing.hpp"
#include "codelength/models/ppm.hpp"
#include "support/catch.hpp"

namespace {

using byte_vector = std::vector<std::uint8_t>;
using codelength::context_mixing_model;
using codelength::context_mixing_options;

constexpr context_mixing_options small_memory{16};

// English-like text: words drawn with a skewed distribution, capitals, punctuation, newlines.
byte_vector english_like(std::size_t size, std::uint32_t seed) {
    static const char* const words[] = {
        "the",          "of",         "and",         "to",          "in",      "a",      "is",
        "that",         "for",        "it",          "as",          "was",     "with",   "be",
        "by",           "on",         "not",         "he",          "this",    "are",    "or",
        "his",          "from",       "at",          "which",       "but",     "have",   "an",
        "had",          "they",       "you",         "were",        "their",   "one",    "all",
        "we",           "can",        "her",         "has",         "there",   "been",   "if",
        "more",         "when",       "will",        "would",       "who",     "so",     "no",
        "model",        "data",       "length",      "code",        "bits",    "number", "program",
        "license",      "software",   "copyright",   "compress",    "context", "mixing", "probability",
        "distribution", "arithmetic", "information", "description", "between"};
    constexpr std::size_t word_count = sizeof(words) / sizeof(words[0]);
    std::mt19937 rng(seed);
    std::geometric_distribution<std::size_t> pick(0.08);
    byte_vector out;
    bool sentence_start = true;
    while (out.size() < size) {
        std::string w = words[pick(rng) % word_count];
        if (sentence_start) {
            w[0] = static_cast<char>(w[0] - 'a' + 'A');
            sentence_start = false;
        }
        out.insert(out.end(), w.begin(), w.end());
        const auto r = rng() % 100;
        if (r < 8) {
            out.push_back('.');
            sentence_start = true;
            out.push_back(rng() % 4 == 0 ? '\n' : ' ');
        } else if (r < 14) {
            out.push_back(',');
            out.push_back(' ');
        } else {
            out.push_back(' ');
        }
    }
    out.resize(size);
    return out;
}

byte_vector random_bytes(std::size_t size, std::uint32_t seed) {
    std::mt19937 rng(seed);
    byte_vector out(size);
    for (auto& b : out) {
        b = static_cast<std::uint8_t>(rng() >> 24);
    }
    return out;
}

// Binary-looking data: little-endian integers, a slowly varying signal and zero padding.
byte_vector binary_like(std::size_t size, std::uint32_t seed) {
    std::mt19937 rng(seed);
    byte_vector out;
    std::uint32_t counter = 1000;
    while (out.size() < size) {
        counter += static_cast<std::uint32_t>(rng() % 7);
        for (int i = 0; i < 4; ++i) {
            out.push_back(static_cast<std::uint8_t>(counter >> (8 * i)));
        }
        out.push_back(static_cast<std::uint8_t>(128 + static_cast<int>(rng() % 9) - 4));
        out.insert(out.end(), static_cast<std::size_t>(rng() % 3), std::uint8_t{0});
    }
    out.resize(size);
    return out;
}

struct coded {
    byte_vector bytes;
    double ideal_bits = 0;
};

coded encode(std::span<const std::uint8_t> data, context_mixing_options options) {
    coded out;
    context_mixing_model model(options);
    codelength::binary_encoder<context_mixing_model::probability_bits> encoder(out.bytes);
    for (const std::uint8_t c : data) {
        for (int i = 7; i >= 0; --i) {
            const int bit = (c >> i) & 1;
            const std::uint32_t p1 = model.p1();
            const double p = static_cast<double>(p1) / 4096.0;
            out.ideal_bits -= std::log2(bit != 0 ? p : 1.0 - p);
            encoder.encode_bit(bit, p1);
            model.update(bit);
        }
    }
    encoder.finish();
    return out;
}

byte_vector decode(std::span<const std::uint8_t> bytes, std::size_t size, context_mixing_options options) {
    context_mixing_model model(options);
    codelength::binary_decoder<context_mixing_model::probability_bits> decoder(bytes);
    byte_vector out;
    out.reserve(size);
    for (std::size_t k = 0; k < size; ++k) {
        int c = 0;
        for (int i = 0; i < 8; ++i) {
            const int bit = decoder.decode_bit(model.p1());
            model.update(bit);
            c = c << 1 | bit;
        }
        out.push_back(static_cast<std::uint8_t>(c));
    }
    CHECK_FALSE(decoder.overran());
    return out;
}

// Encodes, decodes with a second model and requires the exact bytes back; returns the coding.
coded round_trip(const byte_vector& data, context_mixing_options options = small_memory) {
    coded c = encode(data, options);
    const byte_vector back = decode(c.bytes, data.size(), options);
    REQUIRE(back == data);
    // The real size is within the coder's termination bytes of the ideal code length.
    CHECK(static_cast<double>(c.bytes.size()) * 8.0 <= c.ideal_bits + 8.0 * 9.0 + 0.001 * c.ideal_bits);
    return c;
}

double bits_per_byte(const coded& c, std::size_t size) {
    return c.ideal_bits / static_cast<double>(size);
}

} // namespace

TEST_CASE("context_mixing_model is a binary_model", "[models][context_mixing]") {
    STATIC_REQUIRE(codelength::binary_model<context_mixing_model>);
    STATIC_REQUIRE(codelength::check_binary_model<context_mixing_model>());
    STATIC_REQUIRE(codelength::model_probability_bits_v<context_mixing_model> == 12);
}

TEST_CASE("context_mixing_model keeps p1 in range and is deterministic", "[models][context_mixing]") {
    const std::uint32_t seed = 20261128;
    INFO("seed " << seed);
    byte_vector data = english_like(20000, seed);
    const byte_vector noise = random_bytes(5000, seed + 1);
    data.insert(data.end(), noise.begin(), noise.end());
    data.insert(data.end(), 5000, std::uint8_t{0xFF});
    context_mixing_model a(small_memory);
    context_mixing_model b(small_memory);
    REQUIRE(a.fingerprint() == b.fingerprint());
    for (const std::uint8_t c : data) {
        for (int i = 7; i >= 0; --i) {
            const int bit = (c >> i) & 1;
            const std::uint32_t p = a.p1();
            REQUIRE(p >= 1);
            REQUIRE(p < 4096);
            REQUIRE(b.p1() == p);
            a.update(bit);
            b.update(bit);
        }
    }
}

TEST_CASE("context_mixing_model memory stays within the budget", "[models][context_mixing]") {
    for (const std::uint32_t mib : {8U, 16U, 100U}) {
        INFO("memory_mib " << mib);
        const context_mixing_model model({mib});
        CHECK(model.memory_mib() == mib);
        CHECK(model.memory_bytes() <= static_cast<std::size_t>(mib) << 20);
        CHECK(model.memory_bytes() >= (static_cast<std::size_t>(mib) << 20) / 2);
    }
    CHECK(context_mixing_model({8}).fingerprint() != context_mixing_model({16}).fingerprint());
    CHECK_THROWS_AS(context_mixing_model({7}), codelength::invalid_argument_error);
    CHECK_THROWS_AS(context_mixing_model({0}), codelength::invalid_argument_error);
    CHECK_THROWS_WITH(context_mixing_model({7}),
                      "memory setting 7 MiB is outside 8-1024 MiB for the context-mixing model");
}

TEST_CASE("every model's memory_mib has one type, and range errors name the setting, not a function",
          "[models]") {
    STATIC_REQUIRE(std::is_same_v<decltype(codelength::context_mixing_options::memory_mib), std::uint32_t>);
    STATIC_REQUIRE(std::is_same_v<decltype(codelength::ppm_options::memory_mib), std::uint32_t>);
    STATIC_REQUIRE(
        std::is_same_v<decltype(std::declval<const context_mixing_model&>().memory_mib()), std::uint32_t>);
    CHECK_THROWS_WITH(codelength::ppm_model({.memory_mib = 0}),
                      "memory setting 0 MiB is outside 1-4096 MiB for the PPM model");
    CHECK_THROWS_WITH(codelength::ppm_model({.order = 9}), "PPM order 9 is outside 0-8");
    CHECK_THROWS_WITH(codelength::ppm_model({.max_count = 1}), "PPM count limit 1 is outside 2-65535");
    codelength::ppm_model ppm;
    CHECK_THROWS_WITH(ppm.update(256), Catch::Contains("PPM model: token 256"));
}

TEST_CASE("context_mixing_model round trips through the binary coder", "[models][context_mixing]") {
    const std::uint32_t seed = 7;
    INFO("seed " << seed);
    SECTION("empty") {
        const coded c = round_trip({});
        CHECK(c.bytes.size() <= 9);
    }
    SECTION("one byte") {
        round_trip({0x41});
        round_trip({0x00});
        round_trip({0xFF});
    }
    SECTION("all-equal bytes") {
        const byte_vector data(100000, 0x61);
        const coded c = round_trip(data);
        CHECK(bits_per_byte(c, data.size()) < 0.02);
    }
    SECTION("random bytes") {
        const byte_vector data = random_bytes(100000, seed);
        const coded c = round_trip(data);
        // Incompressible data costs little more than 8 bits per byte.
        CHECK(bits_per_byte(c, data.size()) < 8.05);
    }
    SECTION("English-like text") {
        const byte_vector data = english_like(200000, seed);
        round_trip(data);
    }
    SECTION("binary data") {
        const byte_vector data = binary_like(200000, seed);
        const coded c = round_trip(data);
        CHECK(bits_per_byte(c, data.size()) < 4.0);
    }
    SECTION("more data than the hash tables hold") {
        // At 8 MiB the context table is 2 MiB and the match history 1 MiB: 3 MiB of mixed
        // data overflows both (hash slots are replaced, match pointers expire).
        const context_mixing_options tiny{8};
        const context_mixing_model probe(tiny);
        REQUIRE(probe.memory_bytes() <= std::size_t{8} << 20);
        byte_vector data = english_like(1500000, seed + 2);
        const byte_vector noise = random_bytes(1000000, seed + 3);
        data.insert(data.end(), noise.begin(), noise.end());
        const byte_vector text = english_like(500000, seed + 2); // repeats the start, now expired
        data.insert(data.end(), text.begin(), text.end());
        round_trip(data, tiny);
    }
}

TEST_CASE("context_mixing_model compresses English-like text below 3 bits per byte",
          "[models][context_mixing]") {
    const byte_vector data = english_like(300000, 11);
    const coded c = encode(data, small_memory);
    INFO("bits/byte " << bits_per_byte(c, data.size()));
    CHECK(bits_per_byte(c, data.size()) < 3.0);
    CHECK(static_cast<double>(c.bytes.size()) * 8.0 / static_cast<double>(data.size()) < 3.0);
}

namespace {

// The mixer network's arithmetic written out plainly (the formulas of cm_primitives.hpp, one
// input at a time): the reference for its vectorized loops.
class plain_mixer_network {
public:
    static constexpr std::size_t inputs = 16;

    plain_mixer_network(std::size_t sets0, std::size_t sets1, int rate)
        : m_weights((sets0 + sets1) * inputs, 65536 / 4), m_offset1(sets0), m_rate(rate),
          m_final(256, 32768, 2) {}

    void set(std::size_t i, int x) { m_x[i] = x; }

    int mix(std::size_t cx0, std::size_t cx1, std::size_t final_context) {
        m_base = {cx0 * inputs, (m_offset1 + cx1) * inputs};
        for (std::size_t k = 0; k < 2; ++k) {
            std::int32_t sum = 0;
            for (std::size_t i = 0; i < inputs; ++i) {
                sum += (m_x[i] * m_weights[m_base[k] + i]) >> 8;
            }
            const int s = std::clamp(sum >> 8, -2047, 2047);
            m_p[k] = codelength::detail::cm::squash(s);
            m_final.set(k, s);
        }
        return m_final.mix(final_context);
    }

    void update(int bit) {
        constexpr std::int32_t max_weight = (1 << 19) - 1;
        for (std::size_t k = 0; k < 2; ++k) {
            const int err = ((bit << 12) - m_p[k]) * m_rate;
            for (std::size_t i = 0; i < inputs; ++i) {
                std::int32_t& w = m_weights[m_base[k] + i];
                const std::int32_t unclamped = w + ((m_x[i] * err + 8192) >> 14);
                w = std::clamp(unclamped, -max_weight, max_weight);
                m_clamped_high = m_clamped_high || unclamped > max_weight;
                m_clamped_low = m_clamped_low || unclamped < -max_weight;
            }
        }
        m_final.update(bit);
    }

    // Whether an update had to clamp a weight at +max_weight or -max_weight.
    [[nodiscard]] bool clamped_high() const { return m_clamped_high; }
    [[nodiscard]] bool clamped_low() const { return m_clamped_low; }

private:
    std::vector<std::int32_t> m_weights;
    bool m_clamped_high = false;
    bool m_clamped_low = false;
    std::size_t m_offset1;
    int m_rate;
    std::array<std::int32_t, inputs> m_x{};
    std::array<std::size_t, 2> m_base{};
    std::array<int, 2> m_p{};
    codelength::detail::cm::mixer<2> m_final;
};

} // namespace

TEST_CASE("the mixer network's vectorized loops compute the plain formulas exactly",
          "[models][context_mixing]") {
    // 10 inputs used of 16 (as in the model), loops over 12; rate 6 (the model's: errors fit an
    // int16) and 40 (they do not). Phases: random inputs and bits; then one small input (64: the
    // mixer's output stays unsaturated) with constant bits, which drives its weight to
    // +max_weight and then to -max_weight (the clamp).
    for (const int rate : {6, 40}) {
        INFO("rate " << rate);
        codelength::detail::cm::mixer_network<16, 2, 12> network({64, 8}, 256, rate, 2);
        codelength::detail::cm::mixer_network<16, 2, 12> bulk({64, 8}, 256, rate, 2); // set_inputs()
        plain_mixer_network plain(64, 8, rate);
        std::mt19937 rng(static_cast<std::uint32_t>(rate));
        std::uniform_int_distribution<int> stretched(-2047, 2047);
        int highest_p = 0;
        int lowest_p = 4096;
        for (int step = 0; step < 360000; ++step) {
            const int phase = step / 120000; // 0: random, 1: pushed up, 2: pushed down
            std::array<int, 12> all{};       // inputs 10 and 11 stay 0, as in the model
            for (std::size_t i = 0; i < 10; ++i) {
                int x = stretched(rng);
                if (phase > 0) {
                    x = i == 0 ? 64 : 0;
                }
                network.set(i, x);
                plain.set(i, x);
                all[i] = x;
            }
            bulk.set_inputs(all);
            const std::size_t cx0 = phase == 0 ? rng() % 64 : 5;
            const std::size_t cx1 = phase == 0 ? rng() % 8 : 3;
            const std::size_t final_context = rng() % 256;
            const int p = network.mix({cx0, cx1}, final_context);
            REQUIRE(p == plain.mix(cx0, cx1, final_context));
            REQUIRE(bulk.mix({cx0, cx1}, final_context) == p);
            highest_p = std::max(highest_p, p);
            lowest_p = std::min(lowest_p, p);
            const int bit = phase == 0 ? static_cast<int>(rng() & 1U) : (phase == 1 ? 1 : 0);
            network.update(bit);
            bulk.update(bit);
            plain.update(bit);
        }
        // The pushed phases drove the prediction toward both ends and the weights to both bounds.
        CHECK(highest_p > 3000);
        CHECK(lowest_p < 1000);
        CHECK(plain.clamped_high());
        CHECK(plain.clamped_low());
    }
}

TEST_CASE("state_map_bank computes what one state_map per map computes", "[models][context_mixing]") {
    // Frequent states (0-3) reach the count limit, so both the adaptive and the saturated rate
    // are compared; each bit is drawn with the maps' mean prediction as its probability.
    for (const int limit : {30, 1023}) {
        INFO("limit " << limit);
        constexpr std::size_t maps = 8;
        codelength::detail::cm::state_map_bank<maps> bank(limit);
        std::vector<codelength::detail::cm::state_map> plain(maps,
                                                             codelength::detail::cm::state_map(256, limit));
        for (auto& map : plain) {
            map.init_from_bit_histories();
        }
        std::mt19937 rng(static_cast<std::uint32_t>(limit));
        for (int step = 0; step < 100000; ++step) {
            std::uint32_t ones = 0;
            for (std::size_t m = 0; m < maps; ++m) {
                const auto state = static_cast<std::uint8_t>(rng() % 4 == 0 ? rng() % 256 : rng() % 4);
                const int p = bank.p(m, state);
                REQUIRE(p == plain[m].p(state));
                ones += static_cast<std::uint32_t>(p);
            }
            const int bit = rng() % (8 * 4096) < ones ? 1 : 0;
            bank.update(bit);
            for (auto& map : plain) {
                map.update(bit);
            }
        }
    }
}

namespace {

// Pseudo-text from a fixed xorshift generator (no std distributions: the same bytes with every
// standard library): words, spaces, newlines and an occasional arbitrary byte.
byte_vector pinned_text(std::size_t size) {
    static constexpr std::array<std::string_view, 16> words = {
        "the ",   "of ",      "and ",   "model ", "context ",    "mixing ", "probability ", "The ",
        "bits, ", "length. ", "code\n", "data ",  "arithmetic ", "is ",     "a ",           "0x1f "};
    std::uint64_t state = 0x9e3779b97f4a7c15ULL;
    byte_vector out;
    while (out.size() < size) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        const auto r = static_cast<std::size_t>(state >> 40);
        if (r % 97 == 0) {
            out.push_back(static_cast<std::uint8_t>(state >> 8));
            continue;
        }
        const std::string_view w = words[(r % 16) * (r / 16 % 16) / 16];
        out.insert(out.end(), w.begin(), w.end());
    }
    out.resize(size);
    return out;
}

} // namespace

TEST_CASE("context_mixing_model's prefetch_byte hint changes no prediction", "[models][context_mixing]") {
    // At 8 MiB, text, noise and text again: hash slots are replaced and matches start and fail.
    const std::uint32_t seed = 20261207;
    INFO("seed " << seed);
    byte_vector data = english_like(60000, seed);
    const byte_vector noise = random_bytes(20000, seed + 1);
    data.insert(data.end(), noise.begin(), noise.end());
    const byte_vector again = english_like(60000, seed);
    data.insert(data.end(), again.begin(), again.end());
    const context_mixing_options tiny{8};
    context_mixing_model plain(tiny);
    context_mixing_model hinted(tiny); // told each byte before its bits
    context_mixing_model misled(tiny); // told a byte that differs in one bit, or told mid-byte
    std::size_t position = 0;
    for (const std::uint8_t c : data) {
        hinted.prefetch_byte(c);
        const auto wrong_bit = static_cast<int>(position % 9); // 8: the right byte
        misled.prefetch_byte(wrong_bit == 8 ? c : static_cast<std::uint8_t>(c ^ (1U << wrong_bit)));
        for (int k = 7; k >= 0; --k) {
            const int bit = (c >> k) & 1;
            const std::uint32_t p = plain.p1();
            REQUIRE(hinted.p1() == p);
            REQUIRE(misled.p1() == p);
            plain.update(bit);
            hinted.update(bit);
            misled.update(bit);
            if (k == 4) {
                misled.prefetch_byte(c); // within a byte: ignored
            }
        }
        ++position;
    }
}

TEST_CASE("context_mixing_model predicts what its version 1 predicted", "[models][context_mixing]") {
    // The FNV-1a hash of every p1() over 200,000 bytes, as version 1 of the model predicts them;
    // the same with GCC 12 and Clang 14, with and without -march=native, and with the portable
    // loops instead of SSE2. Compressed files of version 1 decode only while it holds: a change
    // that alters it must bump context_mixing_model::version.
    STATIC_REQUIRE(context_mixing_model::version == 1);
    const byte_vector data = pinned_text(200000);
    REQUIRE(std::count(data.begin(), data.end(), std::uint8_t{'\n'}) > 500);
    for (const bool hinted : {false, true}) {
        INFO("prefetch_byte " << hinted);
        context_mixing_model model({8});
        std::uint64_t hash = 1469598103934665603ULL;
        for (const std::uint8_t c : data) {
            if (hinted) {
                model.prefetch_byte(c);
            }
            for (int k = 7; k >= 0; --k) {
                hash = (hash ^ model.p1()) * 1099511628211ULL;
                model.update((c >> k) & 1);
            }
        }
        CHECK(hash == 0x92b85d24cbccdfc3ULL);
    }
}
