// The order-0 byte model: concepts, frequency invariants through halving, the prequential code
// length against a sum computed by hand, and agreement with score_sequence.
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "codelength/coding/frequency_model.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/metrics/prequential.hpp"
#include "codelength/metrics/score.hpp"
#include "codelength/models/order0.hpp"
#include "support/catch.hpp"

TEST_CASE("order0_model satisfies the categorical and frequency concepts", "[order0]") {
    STATIC_REQUIRE(codelength::sequential_categorical_model<codelength::order0_model>);
    STATIC_REQUIRE(codelength::frequency_byte_model<codelength::order0_model>);
}

TEST_CASE("order0_model frequencies stay >= 1 and sum to the total through halving", "[order0]") {
    codelength::order0_model model;
    std::array<std::uint32_t, 256> freq{};
    for (int i = 0; i < 20000; ++i) {
        const std::uint32_t total = model.next_frequencies(freq);
        std::uint64_t sum = 0;
        for (const auto f : freq) {
            REQUIRE(f >= 1);
            sum += f;
        }
        REQUIRE(sum == total);
        REQUIRE(total <= (1U << 16) + 32);
        model.update(i % 7 == 0 ? 'x' : 'e');
    }
    model.next_frequencies(freq);
    CHECK(freq['e'] > freq['x']);
    CHECK(freq['x'] > freq['q']);
}

TEST_CASE("order0_model prequential bits equal the sum computed by hand", "[order0]") {
    const std::vector<std::uint8_t> bytes = {'a', 'a', 'b', 'a'};
    // counts start at 1 (total 256) and each seen byte adds 32.
    const double expected =
        -std::log2(1.0 / 256) - std::log2(33.0 / 288) - std::log2(1.0 / 320) - std::log2(65.0 / 352);
    codelength::order0_model model;
    CHECK(codelength::prequential_code_length_bits(model, bytes) == Catch::Approx(expected).epsilon(1e-12));
}

TEST_CASE("order0_model log-probabilities match its frequencies and score_sequence", "[order0]") {
    std::vector<std::int64_t> tokens;
    std::vector<std::uint8_t> bytes;
    for (int i = 0; i < 3000; ++i) {
        const auto b = static_cast<std::uint8_t>("hello world, order zero "[i % 24]);
        tokens.push_back(b);
        bytes.push_back(b);
    }
    codelength::order0_model scored;
    const auto result = codelength::score_sequence(scored, std::span<const std::int64_t>(tokens), {});
    codelength::order0_model direct;
    const double bits = codelength::prequential_code_length_bits(direct, bytes);
    CHECK(result.ledger.total_bits() == Catch::Approx(bits).epsilon(1e-9));

    codelength::order0_model model;
    std::array<std::uint32_t, 256> freq{};
    const std::uint32_t total = model.next_frequencies(freq);
    const auto logs = model.next_log_probabilities();
    for (std::size_t i = 0; i < 256; ++i) {
        CHECK(logs[i] == Catch::Approx(std::log(static_cast<double>(freq[i]) / total)));
    }
}

TEST_CASE("order0_model rejects tokens outside a byte and bad options", "[order0]") {
    codelength::order0_model model;
    CHECK_THROWS_AS(model.update(256), codelength::invalid_argument_error);
    CHECK_THROWS_AS(model.update(-1), codelength::invalid_argument_error);
    CHECK_THROWS_AS(codelength::order0_model({.increment = 0}), codelength::invalid_argument_error);
}
