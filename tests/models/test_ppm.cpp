// The PPM byte model: concepts, frequency invariants, determinism, learning (beats order 0 on
// text, predicts repeats), bounded memory with resets, agreement with score_sequence.
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "codelength/coding/frequency_model.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/metrics/prequential.hpp"
#include "codelength/metrics/score.hpp"
#include "codelength/models/order0.hpp"
#include "codelength/models/ppm.hpp"
#include "support/catch.hpp"

namespace {

// English-like text: seeded random sentences over a small vocabulary.
std::vector<std::uint8_t> make_text(std::size_t size, std::uint32_t seed) {
    static const std::array<const char*, 24> words = {
        "the",    "model", "of",   "a",    "code", "length", "is",    "measured",
        "in",     "bits",  "and",  "data", "when", "every",  "token", "costs",
        "little", "we",    "find", "that", "text", "will",   "learn", "from"};
    std::mt19937 rng(seed);
    std::vector<std::uint8_t> out;
    while (out.size() < size) {
        const std::string w = words[rng() % words.size()];
        out.insert(out.end(), w.begin(), w.end());
        out.push_back(rng() % 9 == 0 ? '.' : ' ');
        if (rng() % 31 == 0) {
            out.push_back('\n');
        }
    }
    out.resize(size);
    return out;
}

} // namespace

TEST_CASE("ppm_model satisfies the categorical and frequency concepts", "[ppm]") {
    STATIC_REQUIRE(codelength::sequential_categorical_model<codelength::ppm_model>);
    STATIC_REQUIRE(codelength::frequency_byte_model<codelength::ppm_model>);
}

TEST_CASE("ppm_model frequencies are >= 1, bounded, and deterministic", "[ppm]") {
    const auto text = make_text(20000, 7);
    codelength::ppm_model a({.order = 4, .memory_mib = 2});
    codelength::ppm_model b({.order = 4, .memory_mib = 2});
    std::array<std::uint32_t, 256> fa{};
    std::array<std::uint32_t, 256> fb{};
    for (const auto byte : text) {
        const std::uint32_t ta = a.next_frequencies(fa);
        const std::uint32_t tb = b.next_frequencies(fb);
        REQUIRE(ta == tb);
        REQUIRE(fa == fb);
        std::uint64_t sum = 0;
        for (const auto f : fa) {
            REQUIRE(f >= 1);
            sum += f;
        }
        REQUIRE(sum == ta);
        REQUIRE(ta <= (1U << 22) + 256);
        a.update(byte);
        b.update(byte);
    }
}

TEST_CASE("ppm_model learns: repeats become likely, text costs less than order 0", "[ppm]") {
    codelength::ppm_model model;
    const std::string pattern = "abcdefgh";
    for (int i = 0; i < 400; ++i) {
        model.update(pattern[static_cast<std::size_t>(i) % pattern.size()]);
    }
    std::array<std::uint32_t, 256> freq{};
    const std::uint32_t total = model.next_frequencies(freq);
    CHECK(static_cast<double>(freq['a']) / total > 0.95);

    const auto text = make_text(100000, 11);
    codelength::ppm_model ppm;
    codelength::order0_model order0;
    const double ppm_bits = codelength::prequential_code_length_bits(ppm, text);
    const double order0_bits = codelength::prequential_code_length_bits(order0, text);
    const auto n = static_cast<double>(text.size());
    INFO("ppm " << ppm_bits / n << " bits/byte, order0 " << order0_bits / n);
    CHECK(ppm_bits < 0.6 * order0_bits);
}

TEST_CASE("ppm_model at a small memory setting resets and stays valid", "[ppm]") {
    const auto text = make_text(400000, 3);
    std::vector<std::uint8_t> data = text;
    std::mt19937 rng(5);
    for (std::size_t i = 0; i < data.size(); i += 3) {
        data[i] = static_cast<std::uint8_t>(rng()); // many distinct contexts
    }
    codelength::ppm_model model({.order = 5, .memory_mib = 1});
    std::array<std::uint32_t, 256> freq{};
    for (const auto byte : data) {
        const std::uint32_t total = model.next_frequencies(freq);
        REQUIRE(freq[byte] >= 1);
        REQUIRE(total <= (1U << 22) + 256);
        model.update(byte);
    }
    CHECK(model.resets() > 0);
}

TEST_CASE("ppm_model score_sequence equals its prequential code length", "[ppm]") {
    const auto text = make_text(5000, 2);
    std::vector<std::int64_t> tokens(text.begin(), text.end());
    codelength::ppm_model scored({.order = 3, .memory_mib = 1});
    const auto result = codelength::score_sequence(scored, std::span<const std::int64_t>(tokens), {});
    codelength::ppm_model direct({.order = 3, .memory_mib = 1});
    CHECK(result.ledger.total_bits() ==
          Catch::Approx(codelength::prequential_code_length_bits(direct, text)).epsilon(1e-9));
}

TEST_CASE("ppm_model rejects bad options and tokens", "[ppm]") {
    CHECK_THROWS_AS(codelength::ppm_model({.order = 9}), codelength::invalid_argument_error);
    CHECK_THROWS_AS(codelength::ppm_model({.memory_mib = 0}), codelength::invalid_argument_error);
    CHECK_THROWS_AS(codelength::ppm_model({.max_count = 1}), codelength::invalid_argument_error);
    codelength::ppm_model model({.memory_mib = 1});
    CHECK_THROWS_AS(model.update(300), codelength::invalid_argument_error);
    CHECK(model.fingerprint() != codelength::ppm_model({.order = 4, .memory_mib = 1}).fingerprint());
}
