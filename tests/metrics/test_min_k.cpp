// Min-K% prob and Min-K%++: rounding of k, edge cases, and long double references.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/metrics/min_k.hpp"
#include "codelength/numerics/row_kernel.hpp"
#include "support/catch.hpp"

using Catch::Approx;

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr float float_infinity = std::numeric_limits<float>::infinity();

// The reference code's count, int(len(x) * ratio) with ratio = k / 100, raised to 1.
std::size_t reference_count(std::size_t n, double k_percent) {
    const auto count = static_cast<std::size_t>(static_cast<double>(n) * (k_percent / 100.0));
    return count == 0 ? 1 : count;
}

// Mean of the `count` smallest values by repeated selection of the minimum, in long double.
long double reference_lowest_mean(std::vector<double> values, std::size_t count) {
    long double sum = 0.0L;
    for (std::size_t taken = 0; taken < count; ++taken) {
        std::size_t smallest = taken;
        for (std::size_t i = taken + 1; i < values.size(); ++i) {
            if (values[i] < values[smallest]) {
                smallest = i;
            }
        }
        std::swap(values[taken], values[smallest]);
        sum += static_cast<long double>(values[taken]);
    }
    return sum / static_cast<long double>(count);
}

// Min-K%++ z of one row straight from its logits: softmax, mu = sum p ln p,
// var = sum p (ln p)^2 - mu^2, all in long double.
long double reference_z(const std::vector<float>& logits, std::size_t target) {
    long double max = -std::numeric_limits<long double>::infinity();
    for (float z : logits) {
        max = std::max(max, static_cast<long double>(z));
    }
    long double sum = 0.0L;
    for (float z : logits) {
        sum += std::exp(static_cast<long double>(z) - max);
    }
    const long double log_sum = std::log(sum);
    long double mu = 0.0L;
    long double second = 0.0L;
    for (float z : logits) {
        const long double log_p = static_cast<long double>(z) - max - log_sum;
        const long double p = std::exp(log_p);
        mu += p * log_p;
        second += p * log_p * log_p;
    }
    const long double log_p_target = static_cast<long double>(logits[target]) - max - log_sum;
    return (log_p_target - mu) / std::sqrt(second - mu * mu);
}

} // namespace

TEST_CASE("min_k_count rounds like int(len * ratio) with at least one token", "[metrics][min_k]") {
    // Values printed by /usr/bin/python3: int(n * (k / 100)).
    CHECK(codelength::min_k_count(100, 29) == 28); // 100 * 0.29 = 28.999999999999996
    CHECK(codelength::min_k_count(50, 58) == 28);  // 28.999999999999996
    CHECK(codelength::min_k_count(100, 57) == 56); // 56.99999999999999
    CHECK(codelength::min_k_count(10, 30) == 3);
    CHECK(codelength::min_k_count(10, 70) == 7);
    CHECK(codelength::min_k_count(1000, 57) == 570);
    CHECK(codelength::min_k_count(20, 5) == 1);
    CHECK(codelength::min_k_count(19, 5) == 1); // int(0.95) = 0, raised to 1
    CHECK(codelength::min_k_count(3, 10) == 1);
    CHECK(codelength::min_k_count(1, 5) == 1);
    CHECK(codelength::min_k_count(7, 100) == 7);
    CHECK(codelength::min_k_count(7, 1e-300) == 1);
}

TEST_CASE("min_k_percent: hand-computed cases", "[metrics][min_k]") {
    const std::vector<double> log_probs{-1.0, -5.0, -3.0, -2.0};
    CHECK(codelength::min_k_percent(log_probs, 50) == -4.0);   // mean(-5, -3)
    CHECK(codelength::min_k_percent(log_probs, 25) == -5.0);   // one token
    CHECK(codelength::min_k_percent(log_probs, 10) == -5.0);   // int(0.4) = 0 -> 1 token
    CHECK(codelength::min_k_percent(log_probs, 100) == -2.75); // the mean of all
    CHECK(codelength::min_k_percent(log_probs, 74.9) == -4.0); // int(4 * 0.749) = 2
    const std::vector<double> one{-0.25};
    CHECK(codelength::min_k_percent(one, 1) == -0.25);
    CHECK(codelength::min_k_percent(one, 100) == -0.25);
}

TEST_CASE("min_k: invalid k, empty input and NaN throw", "[metrics][min_k]") {
    const std::vector<double> log_probs{-1.0, -2.0};
    const std::vector<double> empty;
    for (double k : {0.0, -1.0, 100.0000001, 1000.0, std::nan(""), infinity}) {
        CAPTURE(k);
        REQUIRE_THROWS_AS(codelength::min_k_percent(log_probs, k), codelength::invalid_argument_error);
        REQUIRE_THROWS_AS(codelength::min_k_plus_plus(log_probs, k), codelength::invalid_argument_error);
    }
    REQUIRE_THROWS_AS(codelength::min_k_percent(empty, 20), codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(codelength::min_k_plus_plus(empty, 20), codelength::invalid_argument_error);
    const std::vector<double> with_nan{-1.0, std::nan("")};
    REQUIRE_THROWS_AS(codelength::min_k_percent(with_nan, 50), codelength::invalid_argument_error);
    const std::vector<double> with_positive_infinity{-1.0, infinity};
    REQUIRE_THROWS_AS(codelength::min_k_percent(with_positive_infinity, 50),
                      codelength::invalid_argument_error);
    // Only ignored rows: nothing to score.
    const std::vector<codelength::row_statistics> ignored(3);
    REQUIRE_THROWS_AS(codelength::min_k_plus_plus(ignored, 50), codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(codelength::min_k_plus_plus_z_score(ignored[0]), codelength::invalid_argument_error);
}

TEST_CASE("min_k: a zero-probability token makes the score -inf", "[metrics][min_k]") {
    const std::vector<double> log_probs{-1.0, -infinity, -3.0, -2.0};
    CHECK(codelength::min_k_percent(log_probs, 10) == -infinity);
    CHECK(codelength::min_k_percent(log_probs, 100) == -infinity);
    CHECK_FALSE(std::isnan(codelength::min_k_percent(log_probs, 50)));
}

TEST_CASE("min_k_percent equals a long double reference on random input", "[metrics][min_k][property]") {
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> length(1, 300);
    std::exponential_distribution<double> surprisal(0.3);
    std::uniform_real_distribution<double> k_percent(0.01, 100.0);
    for (int trial = 0; trial < 300; ++trial) {
        std::vector<double> log_probs(length(rng));
        for (auto& x : log_probs) {
            x = -surprisal(rng);
        }
        const double k = trial % 10 == 0 ? 100.0 : k_percent(rng);
        CAPTURE(trial, log_probs.size(), k);
        const auto count = reference_count(log_probs.size(), k);
        const double expected = static_cast<double>(reference_lowest_mean(log_probs, count));
        CHECK(codelength::min_k_percent(log_probs, k) == Approx(expected).epsilon(1e-13));
    }
}

TEST_CASE("min_k_plus_plus_z_score: sigma = 0 and p = 0 rows", "[metrics][min_k]") {
    using codelength::kernel_choice;
    const auto z_of = [](const std::vector<float>& logits, std::int64_t target, kernel_choice kernel) {
        const codelength::strided_row<float> row{logits.data(), static_cast<std::int64_t>(logits.size()), 1};
        return codelength::min_k_plus_plus_z_score(
            codelength::compute_row_statistics(row, target, 0, kernel));
    };
    const std::vector<float> uniform{0.5F, 0.5F, 0.5F, 0.5F}; // every ln p = mu, sigma = 0
    const std::vector<float> one_hot{-float_infinity, 3.0F, -float_infinity};
    const std::vector<float> support{1.0F, -float_infinity, 1.0F}; // uniform over a support of two
    // The scalar kernel yields sigma = 0 exactly: z = 0 by definition.
    CHECK(z_of(uniform, 2, kernel_choice::scalar) == 0.0);
    CHECK(z_of(one_hot, 1, kernel_choice::scalar) == 0.0);
    CHECK(z_of(support, 2, kernel_choice::scalar) == 0.0);
    // Any kernel: z is 0 up to rounding noise, and -inf for a token outside the support.
    for (const auto kernel : {kernel_choice::scalar, kernel_choice::automatic}) {
        CAPTURE(static_cast<int>(kernel));
        CHECK(std::abs(z_of(uniform, 0, kernel)) < 1e-12);
        CHECK(std::abs(z_of(one_hot, 1, kernel)) < 1e-12);
        CHECK(std::abs(z_of(support, 0, kernel)) < 1e-12);
        CHECK(z_of(one_hot, 0, kernel) == -infinity);
        CHECK(z_of(support, 1, kernel) == -infinity);
    }
}

TEST_CASE("min_k_plus_plus: hand-computed two-token row", "[metrics][min_k]") {
    // p = (3/4, 1/4): mu = 3/4 ln 3/4 + 1/4 ln 1/4; sigma = |ln 3/4 - ln 1/4| * sqrt(3/16)
    // = ln 3 * sqrt(3) / 4; z(likely) = +1/sqrt(3), z(unlikely) = -sqrt(3).
    const std::vector<float> logits{static_cast<float>(std::log(3.0)), 0.0F};
    const codelength::strided_row<float> row{logits.data(), 2, 1};
    CHECK(codelength::min_k_plus_plus_z_score(codelength::compute_row_statistics(row, 0)) ==
          Approx(1.0 / std::sqrt(3.0)).epsilon(1e-6));
    CHECK(codelength::min_k_plus_plus_z_score(codelength::compute_row_statistics(row, 1)) ==
          Approx(-std::sqrt(3.0)).epsilon(1e-6));
    const std::vector<codelength::row_statistics> rows{codelength::compute_row_statistics(row, 0),
                                                       codelength::row_statistics{},
                                                       codelength::compute_row_statistics(row, 1)};
    // Two scored rows (the ignored one is skipped): 50% keeps the lowest, 100% averages both.
    CHECK(codelength::min_k_plus_plus(rows, 50) == Approx(-std::sqrt(3.0)).epsilon(1e-6));
    CHECK(codelength::min_k_plus_plus(rows, 100) ==
          Approx((1.0 / std::sqrt(3.0) - std::sqrt(3.0)) / 2.0).epsilon(1e-6));
}

TEST_CASE("min_k_plus_plus equals a long double reference on random logits", "[metrics][min_k][property]") {
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937 rng(seed);
    std::normal_distribution<float> logit(0.0F, 3.0F);
    std::uniform_int_distribution<std::size_t> vocabulary(2, 500);
    std::uniform_int_distribution<std::size_t> tokens(1, 60);
    std::uniform_real_distribution<double> k_percent(0.5, 100.0);
    for (int trial = 0; trial < 40; ++trial) {
        const std::size_t v = vocabulary(rng);
        const std::size_t t = tokens(rng);
        const double k = k_percent(rng);
        CAPTURE(trial, v, t, k);
        std::vector<codelength::row_statistics> rows;
        std::vector<double> reference_z_scores;
        std::uniform_int_distribution<std::size_t> target(0, v - 1);
        for (std::size_t r = 0; r < t; ++r) {
            std::vector<float> logits(v);
            for (auto& z : logits) {
                z = logit(rng);
            }
            const std::size_t y = target(rng);
            const codelength::strided_row<float> row{logits.data(), static_cast<std::int64_t>(v), 1};
            rows.push_back(codelength::compute_row_statistics(row, static_cast<std::int64_t>(y), 0,
                                                              codelength::kernel_choice::scalar));
            const long double z = reference_z(logits, y);
            reference_z_scores.push_back(static_cast<double>(z));
            CHECK(codelength::min_k_plus_plus_z_score(rows.back()) ==
                  Approx(static_cast<double>(z)).margin(1e-11));
            // The vectorized kernel accumulates exp in float lanes: agreement to about 1e-7.
            const auto fast = codelength::compute_row_statistics(row, static_cast<std::int64_t>(y));
            CHECK(codelength::min_k_plus_plus_z_score(fast) == Approx(static_cast<double>(z)).margin(1e-5));
        }
        const double expected =
            static_cast<double>(reference_lowest_mean(reference_z_scores, reference_count(t, k)));
        CHECK(codelength::min_k_plus_plus(rows, k) == Approx(expected).margin(1e-11));
    }
}
