// score_logits and score_sequence: references, thread/block independence, per-token data,
// errors naming the row, and the Min-K% path the command-line tool takes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/metrics/metrics.hpp"
#include "codelength/models/logits_replay.hpp"
#include "support/catch.hpp"

using Catch::Approx;

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

template <class Element>
Element from_float(float value) {
    if constexpr (std::is_same_v<Element, float> || std::is_same_v<Element, double>) {
        return static_cast<Element>(value);
    } else {
        return Element::from_float(value);
    }
}

// -log2 softmax(row)[target] in long double, from the widened elements.
template <class Element>
long double reference_surprisal_bits(const Element* row, std::int64_t columns, std::int64_t target) {
    long double max = -std::numeric_limits<long double>::infinity();
    for (std::int64_t i = 0; i < columns; ++i) {
        max = std::max(max, static_cast<long double>(codelength::widen(row[i])));
    }
    long double sum = 0.0L;
    for (std::int64_t i = 0; i < columns; ++i) {
        sum += std::exp(static_cast<long double>(codelength::widen(row[i])) - max);
    }
    const long double log_p = static_cast<long double>(codelength::widen(row[target])) - max - std::log(sum);
    return -log_p / std::log(2.0L);
}

// A Laplace-smoothed adaptive unigram model: p(i) = (count_i + 1) / (n + V), given as
// natural-log probabilities; update(token) counts the token.
struct laplace_unigram {
    std::vector<std::int64_t> counts;
    std::vector<double> log_probabilities;
    std::int64_t seen = 0;

    explicit laplace_unigram(std::int64_t vocabulary) : counts(static_cast<std::size_t>(vocabulary), 0) {}
    [[nodiscard]] std::int64_t vocabulary_size() const { return static_cast<std::int64_t>(counts.size()); }
    std::span<const double> next_log_probabilities() {
        const auto denominator = static_cast<double>(seen + vocabulary_size());
        log_probabilities.resize(counts.size());
        for (std::size_t i = 0; i < counts.size(); ++i) {
            log_probabilities[i] = std::log(static_cast<double>(counts[i] + 1) / denominator);
        }
        return log_probabilities;
    }
    void update(std::int64_t token) {
        ++counts[static_cast<std::size_t>(token)];
        ++seen;
    }
};

// A model whose rows are shorter than its vocabulary: a bug score_sequence must catch.
struct inconsistent_model {
    std::vector<float> row{0.0F, 0.0F, 0.0F};
    [[nodiscard]] std::int64_t vocabulary_size() const { return 4; }
    [[nodiscard]] std::span<const float> next_logits() const { return row; }
    void update(std::int64_t /*token*/) {}
};

} // namespace

TEMPLATE_TEST_CASE("score_logits matches a long double reference for any thread count and block size",
                   "[metrics][score]", float, double, codelength::bfloat16, codelength::float16) {
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937 rng(seed);
    std::normal_distribution<float> logit(0.0F, 4.0F);
    constexpr std::int64_t rows = 203;
    constexpr std::int64_t columns = 37;
    std::vector<TestType> data(static_cast<std::size_t>(rows * columns));
    for (auto& z : data) {
        z = from_float<TestType>(logit(rng));
    }
    std::uniform_int_distribution<std::int64_t> target(0, columns - 1);
    std::vector<std::int64_t> targets(static_cast<std::size_t>(rows));
    for (std::size_t r = 0; r < targets.size(); ++r) {
        targets[r] = r % 17 == 3 ? -100 : target(rng); // some ignored rows (ignore_index)
    }
    const auto view = codelength::matrix_view<TestType>::row_major(data.data(), rows, columns);

    long double reference_bits = 0.0L;
    std::int64_t scored = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto t = targets[static_cast<std::size_t>(r)];
        if (t >= 0) {
            reference_bits += reference_surprisal_bits(data.data() + r * columns, columns, t);
            ++scored;
        }
    }

    // The scalar kernel accumulates in double: agreement to rounding. The default (vectorized)
    // kernel sums exp in float lanes: agreement to about 1e-7 relative.
    const auto exact = codelength::score_logits(view, targets, {.kernel = codelength::kernel_choice::scalar});
    CHECK(exact.ledger.total_bits() == Approx(static_cast<double>(reference_bits)).epsilon(1e-12));
    const auto baseline = codelength::score_logits(view, targets);
    CHECK(baseline.ledger.tokens() == scored);
    CHECK(baseline.ledger.ignored_tokens() == rows - scored);
    CHECK(baseline.ledger.total_bits() == Approx(static_cast<double>(reference_bits)).epsilon(1e-7));
    CHECK_FALSE(baseline.has_per_token);
    CHECK(baseline.surprisal_bits.empty());

    for (unsigned threads : {1U, 2U, 3U}) {
        for (std::int64_t block_rows :
             {std::int64_t{1}, std::int64_t{7}, std::int64_t{64}, std::int64_t{4096}}) {
            CAPTURE(threads, block_rows);
            const auto result =
                codelength::score_logits(view, targets, {.threads = threads, .block_rows = block_rows});
            CHECK(result.ledger.total_bits() == baseline.ledger.total_bits()); // bit-identical
            CHECK(result.ledger.tokens() == baseline.ledger.tokens());
            CHECK(*result.ledger.mean_entropy_bits() == *baseline.ledger.mean_entropy_bits());
        }
    }

    // The same rows replayed as a sequential model (ignored rows left out) give the same bits.
    std::vector<std::int64_t> scored_targets;
    std::vector<TestType> scored_rows;
    for (std::int64_t r = 0; r < rows; ++r) {
        if (targets[static_cast<std::size_t>(r)] >= 0) {
            scored_targets.push_back(targets[static_cast<std::size_t>(r)]);
            scored_rows.insert(scored_rows.end(), data.begin() + r * columns,
                               data.begin() + (r + 1) * columns);
        }
    }
    codelength::logits_replay model(
        codelength::matrix_view<TestType>::row_major(scored_rows.data(), scored, columns));
    const codelength::code_length_ledger ledger =
        codelength::score_sequence(model, std::span<const std::int64_t>(scored_targets));
    CHECK(ledger.total_bits() == baseline.ledger.total_bits());
    CHECK(ledger.tokens() == scored);
    CHECK(model.position() == scored);
}

TEST_CASE("score_logits keeps per-token data only when asked", "[metrics][score]") {
    // Rows: p = (3/4, 1/4) scored at 0 and 1, an ignored row, then a uniform row over 2.
    const auto l3 = static_cast<float>(std::log(3.0));
    const std::vector<float> data{l3, 0.0F, l3, 0.0F, 9.0F, 9.0F, 1.0F, 1.0F};
    const std::vector<std::int64_t> targets{0, 1, -1, 1};
    const auto view = codelength::matrix_view<float>::row_major(data.data(), 4, 2);
    const auto result = codelength::score_logits(view, targets, {.keep_per_token = true});
    REQUIRE(result.has_per_token);
    REQUIRE(result.rows == std::vector<std::int64_t>{0, 1, 3});
    REQUIRE(result.surprisal_bits.size() == 3);
    CHECK(result.surprisal_bits[0] == Approx(-std::log2(0.75)).epsilon(1e-6));
    CHECK(result.surprisal_bits[1] == Approx(2.0).epsilon(1e-6));
    CHECK(result.surprisal_bits[2] == Approx(1.0).epsilon(1e-12));
    CHECK(result.log_probabilities_nats[1] == Approx(std::log(0.25)).epsilon(1e-6));
    CHECK(result.z_scores[0] == Approx(1.0 / std::sqrt(3.0)).epsilon(1e-6));
    CHECK(result.z_scores[1] == Approx(-std::sqrt(3.0)).epsilon(1e-6));
    CHECK(result.z_scores[2] == 0.0); // uniform row: sigma = 0
    CHECK(result.entropies_bits[2] == Approx(1.0).epsilon(1e-12));
    CHECK(result.ledger.tokens() == 3);
    CHECK(result.ledger.total_bits() ==
          Approx(result.surprisal_bits[0] + result.surprisal_bits[1] + result.surprisal_bits[2]));

    // The command-line path: score, then Min-K% and Min-K%++ from the result.
    CHECK(codelength::min_k_percent(result, 34.0) == Approx(std::log(0.25)).epsilon(1e-6)); // int(1.02) = 1
    CHECK(codelength::min_k_percent(result, 100.0) ==
          Approx((std::log(0.75) + std::log(0.25) + std::log(0.5)) / 3.0).epsilon(1e-6));
    CHECK(codelength::min_k_plus_plus(result, 34.0) == Approx(-std::sqrt(3.0)).epsilon(1e-6));
    CHECK(codelength::min_k_plus_plus(result, 100.0) ==
          Approx((1.0 / std::sqrt(3.0) - std::sqrt(3.0)) / 3.0).epsilon(1e-6));

    const auto without = codelength::score_logits(view, targets);
    REQUIRE_THROWS_AS(codelength::min_k_percent(without, 20.0), codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(codelength::min_k_plus_plus(without, 20.0), codelength::invalid_argument_error);
}

TEST_CASE("score_logits: errors name the row across blocks and threads", "[metrics][score]") {
    constexpr std::int64_t rows = 5003;
    constexpr std::int64_t columns = 3;
    std::vector<float> data(static_cast<std::size_t>(rows * columns), 0.0F);
    std::vector<std::int64_t> targets(static_cast<std::size_t>(rows), 1);
    const auto view = codelength::matrix_view<float>::row_major(data.data(), rows, columns);

    REQUIRE_THROWS_AS(codelength::score_logits(view, std::span<const std::int64_t>(targets).first(10)),
                      codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(codelength::score_logits(view, targets, {.block_rows = 0}),
                      codelength::invalid_argument_error);

    data[5000 * columns + 2] = std::numeric_limits<float>::quiet_NaN();
    try {
        (void)codelength::score_logits(view, targets, {.threads = 2, .block_rows = 1000});
        FAIL("no exception");
    } catch (const codelength::invalid_row_error& e) {
        CHECK(e.row() == 5000);
    }
    data[5000 * columns + 2] = 0.0F;
    targets[4097] = 3;
    try {
        (void)codelength::score_logits(view, targets);
        FAIL("no exception");
    } catch (const codelength::target_out_of_range_error& e) {
        CHECK(e.row() == 4097);
    }
}

TEST_CASE("score: a zero-probability target is infinite and flagged", "[metrics][score]") {
    const std::vector<double> data{0.0, -infinity, 0.0, 0.0};
    const std::vector<std::int64_t> targets{1, 0};
    const auto result = codelength::score_logits(
        codelength::matrix_view<double>::row_major(data.data(), 2, 2), targets, {.keep_per_token = true});
    CHECK(result.ledger.has_infinite_tokens());
    CHECK(result.ledger.total_bits() == infinity);
    CHECK(result.ledger.finite_bits() == Approx(1.0));
    CHECK(result.surprisal_bits[0] == infinity);
    CHECK(result.z_scores[0] == -infinity);
    CHECK(codelength::min_k_percent(result, 50.0) == -infinity);
    CHECK(codelength::min_k_plus_plus(result, 50.0) == -infinity);
    CHECK_FALSE(std::isnan(*result.ledger.token_perplexity()));
}

TEST_CASE("score_sequence: an adaptive user model against a long double reference",
          "[metrics][score][property]") {
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937 rng(seed);
    constexpr std::int64_t vocabulary = 11;
    std::uniform_int_distribution<std::int64_t> symbol(0, 4); // skewed: only 5 of 11 symbols occur
    std::vector<std::int64_t> tokens(3000);
    for (auto& t : tokens) {
        t = symbol(rng);
    }
    std::vector<std::int64_t> counts(vocabulary, 0);
    long double reference_bits = 0.0L;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const long double p = static_cast<long double>(counts[static_cast<std::size_t>(tokens[i])] + 1) /
                              static_cast<long double>(static_cast<std::int64_t>(i) + vocabulary);
        reference_bits -= std::log2(p);
        ++counts[static_cast<std::size_t>(tokens[i])];
    }

    STATIC_REQUIRE(codelength::sequential_categorical_model<laplace_unigram>);
    laplace_unigram model(vocabulary);
    // The consumer project's exact spelling.
    codelength::code_length_ledger ledger =
        codelength::score_sequence(model, std::span<const std::int64_t>(tokens));
    double total = ledger.total_bits();
    std::int64_t n = ledger.tokens();
    CHECK(n == 3000);
    CHECK(total == Approx(static_cast<double>(reference_bits)).epsilon(1e-9));
    CHECK(model.seen == 3000); // the caller's model was updated in place

    // The per-token overload on a fresh model (passed as a temporary).
    const auto result =
        codelength::score_sequence(laplace_unigram(vocabulary), tokens, {.keep_per_token = true});
    CHECK(result.ledger.total_bits() == total);
    REQUIRE(result.surprisal_bits.size() == tokens.size());
    CHECK(result.rows.back() == 2999);
    CHECK(result.surprisal_bits[0] == Approx(std::log2(11.0)).epsilon(1e-12)); // uniform start
}

TEST_CASE("score_sequence: errors", "[metrics][score]") {
    const std::vector<std::int64_t> negative{0, -1};
    REQUIRE_THROWS_AS(codelength::score_sequence(laplace_unigram(3), negative),
                      codelength::invalid_argument_error);
    const std::vector<std::int64_t> too_large{0, 3};
    REQUIRE_THROWS_AS(codelength::score_sequence(laplace_unigram(3), too_large),
                      codelength::target_out_of_range_error);
    REQUIRE_THROWS_AS(codelength::score_sequence(inconsistent_model{}, too_large),
                      codelength::invalid_argument_error);

    // A replay with fewer rows than tokens runs out.
    const std::vector<float> data(6, 0.0F);
    const std::vector<std::int64_t> tokens{0, 1, 2};
    codelength::logits_replay short_replay(codelength::matrix_view<float>::row_major(data.data(), 2, 3));
    REQUIRE_THROWS_AS(codelength::score_sequence(short_replay, tokens), codelength::invalid_argument_error);

    // No tokens: an empty ledger.
    const auto empty = codelength::score_sequence(laplace_unigram(3), std::span<const std::int64_t>{});
    CHECK(empty.tokens() == 0);
    CHECK_FALSE(empty.bits_per_token().has_value());
}
