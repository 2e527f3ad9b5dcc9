// code_length_ledger: totals, the lm-evaluation-harness ratios, undefined values, infinite
// surprisal, and sharded merging.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/metrics/code_length_ledger.hpp"
#include "codelength/numerics/row_statistics.hpp"
#include "support/catch.hpp"

using Catch::Approx;

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

// Relative difference of a double against a long double reference.
double relative_error(double value, long double reference) {
    return static_cast<double>(std::fabs(static_cast<long double>(value) - reference) / std::fabs(reference));
}

} // namespace

TEST_CASE("ledger: hand-computed totals and ratios", "[metrics][ledger]") {
    codelength::code_length_ledger ledger;
    ledger.add_surprisal_bits(1.0);
    ledger.add_surprisal_bits(3.0);
    ledger.add_bytes(8);
    ledger.add_words(1);
    CHECK(ledger.total_bits() == 4.0);
    CHECK(ledger.total_nats() == Approx(4.0 * std::log(2.0)));
    CHECK(ledger.tokens() == 2);
    CHECK(ledger.bytes() == 8);
    CHECK(ledger.words() == 1);
    CHECK(*ledger.bits_per_token() == 2.0);
    CHECK(*ledger.token_perplexity() == 4.0); // 2^(4 / 2)
    CHECK(*ledger.bits_per_byte() == 0.5);    // 4 / 8
    CHECK(*ledger.byte_perplexity() == Approx(std::sqrt(2.0)));
    CHECK(*ledger.word_perplexity() == 16.0);            // 2^(4 / 1)
    CHECK_FALSE(ledger.mean_entropy_bits().has_value()); // no entropies were given
    CHECK_FALSE(ledger.has_infinite_tokens());
}

TEST_CASE("ledger: row statistics, ignored rows and mean entropy", "[metrics][ledger]") {
    codelength::code_length_ledger ledger;
    codelength::row_statistics scored;
    scored.target = 1;
    scored.target_log_probability_nats = -std::log(2.0); // p = 1/2: 1 bit
    scored.entropy_nats = std::log(4.0);                 // 2 bits
    ledger.add(scored);
    ledger.add(codelength::row_statistics{}); // target -1: ignored
    ledger.add_surprisal_bits(3.0, 4.0);
    ledger.add_surprisal_bits(2.0); // no entropy: not in the entropy mean
    CHECK(ledger.tokens() == 3);
    CHECK(ledger.ignored_tokens() == 1);
    CHECK(ledger.total_bits() == Approx(6.0));
    CHECK(ledger.entropy_tokens() == 2);
    CHECK(*ledger.mean_entropy_bits() == Approx(3.0)); // (2 + 4) / 2
}

TEST_CASE("ledger: undefined ratios are nullopt, never NaN", "[metrics][ledger]") {
    codelength::code_length_ledger empty;
    CHECK(empty.total_bits() == 0.0);
    CHECK(empty.tokens() == 0);
    CHECK_FALSE(empty.bits_per_token().has_value());
    CHECK_FALSE(empty.token_perplexity().has_value());
    CHECK_FALSE(empty.bits_per_byte().has_value());
    CHECK_FALSE(empty.byte_perplexity().has_value());
    CHECK_FALSE(empty.word_perplexity().has_value());
    CHECK_FALSE(empty.mean_entropy_bits().has_value());

    // Only ignored rows: still no tokens.
    codelength::code_length_ledger ignored;
    ignored.add(codelength::row_statistics{});
    ignored.add(codelength::row_statistics{});
    CHECK(ignored.tokens() == 0);
    CHECK(ignored.ignored_tokens() == 2);
    CHECK_FALSE(ignored.bits_per_token().has_value());

    // Tokens but no bytes or words.
    codelength::code_length_ledger tokens_only;
    tokens_only.add_surprisal_bits(1.5);
    CHECK(tokens_only.bits_per_token().has_value());
    CHECK_FALSE(tokens_only.bits_per_byte().has_value());
    CHECK_FALSE(tokens_only.word_perplexity().has_value());
}

TEST_CASE("ledger: a zero-probability token is flagged as infinite, not NaN", "[metrics][ledger]") {
    codelength::code_length_ledger ledger;
    ledger.add_surprisal_bits(2.0);
    codelength::row_statistics impossible;
    impossible.target = 0;
    impossible.target_log_probability_nats = -infinity;
    impossible.entropy_nats = 0.5;
    REQUIRE(impossible.target_is_impossible());
    ledger.add(impossible);
    ledger.add_bytes(4);
    ledger.add_words(2);
    CHECK(ledger.has_infinite_tokens());
    CHECK(ledger.infinite_tokens() == 1);
    CHECK(ledger.tokens() == 2);
    CHECK(ledger.total_bits() == infinity);
    CHECK(ledger.total_nats() == infinity);
    CHECK(ledger.finite_bits() == 2.0);
    CHECK(*ledger.bits_per_token() == infinity);
    CHECK(*ledger.token_perplexity() == infinity);
    CHECK(*ledger.bits_per_byte() == infinity);
    CHECK(*ledger.byte_perplexity() == infinity);
    CHECK(*ledger.word_perplexity() == infinity);
    CHECK_FALSE(std::isnan(*ledger.mean_entropy_bits()));

    // Merging keeps the flag; adding more finite tokens keeps the total infinite.
    codelength::code_length_ledger other;
    other.add_surprisal_bits(1.0);
    other += ledger;
    other.add_surprisal_bits(1.0);
    CHECK(other.has_infinite_tokens());
    CHECK(other.total_bits() == infinity);
    CHECK(other.finite_bits() == 4.0);
}

TEST_CASE("ledger: invalid input throws", "[metrics][ledger]") {
    codelength::code_length_ledger ledger;
    REQUIRE_THROWS_AS(ledger.add_surprisal_bits(std::nan("")), codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(ledger.add_surprisal_bits(-infinity), codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(ledger.add_surprisal_bits(1.0, std::nan("")), codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(ledger.add_surprisal_bits(1.0, infinity), codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(ledger.add_bytes(-1), codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(ledger.add_words(-1), codelength::invalid_argument_error);
    CHECK(ledger.tokens() == 0); // rejected input leaves no trace
    CHECK(ledger.entropy_tokens() == 0);
    // Rounding can make a certain token's surprisal a tiny negative number: accepted.
    ledger.add_surprisal_bits(-1e-17);
    CHECK(ledger.tokens() == 1);
}

TEST_CASE("ledger: add_document counts UTF-8 bytes and whitespace-split words", "[metrics][ledger]") {
    codelength::code_length_ledger ledger;
    ledger.add_document(" a b ");       // 5 bytes, 4 words (Python: ['', 'a', 'b', ''])
    ledger.add_document("caf\xc3\xa9"); // 5 bytes, 1 word
    CHECK(ledger.bytes() == 10);
    CHECK(ledger.words() == 5);
    CHECK(ledger.tokens() == 0); // tokens are added separately
}

TEST_CASE("ledger: corpus ratios are weighted totals, not means of document means", "[metrics][ledger]") {
    // Document A: 1 token of 10 bits over 2 bytes; document B: 3 tokens of 1 bit over 6 bytes.
    codelength::code_length_ledger a;
    a.add_surprisal_bits(10.0);
    a.add_bytes(2);
    codelength::code_length_ledger b;
    for (int i = 0; i < 3; ++i) {
        b.add_surprisal_bits(1.0);
    }
    b.add_bytes(6);
    const auto corpus = a + b;
    CHECK(*corpus.bits_per_token() == Approx(13.0 / 4.0)); // not (10 + 1) / 2
    CHECK(*corpus.bits_per_byte() == Approx(13.0 / 8.0));  // not (5 + 0.5) / 2
    CHECK(*corpus.byte_perplexity() == Approx(std::exp2(13.0 / 8.0)));
}

TEST_CASE("ledger: long sums against a long double reference; shards merge to one pass",
          "[metrics][ledger][property]") {
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> surprisal(0.4); // mean 2.5, long tail
    std::uniform_real_distribution<double> entropy(0.0, 12.0);
    constexpr std::int64_t n = 2'000'000;
    std::vector<double> surprisals(static_cast<std::size_t>(n));
    std::vector<double> entropies(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < surprisals.size(); ++i) {
        // Mix magnitudes so plain summation would lose digits.
        surprisals[i] = (i % 1000 == 0) ? 1e3 * surprisal(rng) : 1e-3 * surprisal(rng);
        entropies[i] = entropy(rng);
    }
    long double reference_bits = 0.0L;
    long double reference_entropy = 0.0L;
    codelength::code_length_ledger one_pass;
    for (std::size_t i = 0; i < surprisals.size(); ++i) {
        reference_bits += static_cast<long double>(surprisals[i]);
        reference_entropy += static_cast<long double>(entropies[i]);
        one_pass.add_surprisal_bits(surprisals[i], entropies[i]);
    }
    one_pass.add_bytes(4 * n);
    one_pass.add_words(n / 2);
    CHECK(relative_error(one_pass.total_bits(), reference_bits) < 1e-13);
    CHECK(relative_error(*one_pass.mean_entropy_bits(), reference_entropy / static_cast<long double>(n)) <
          1e-13);
    const long double bits_per_token = reference_bits / static_cast<long double>(n);
    CHECK(relative_error(*one_pass.bits_per_token(), bits_per_token) < 1e-13);
    CHECK(relative_error(*one_pass.token_perplexity(), std::exp2(bits_per_token)) < 1e-10);
    CHECK(relative_error(*one_pass.bits_per_byte(), reference_bits / (4.0L * n)) < 1e-13);
    CHECK(relative_error(*one_pass.byte_perplexity(), std::exp2(reference_bits / (4.0L * n))) < 1e-10);
    CHECK(relative_error(*one_pass.word_perplexity(), std::exp2(reference_bits / (n / 2.0L))) < 1e-10);

    // Random shard boundaries, merged in a random order.
    std::uniform_int_distribution<int> shard_count(2, 17);
    const int shards = shard_count(rng);
    CAPTURE(shards);
    std::vector<std::int64_t> cuts{0, n};
    std::uniform_int_distribution<std::int64_t> cut(0, n);
    for (int s = 1; s < shards; ++s) {
        cuts.push_back(cut(rng));
    }
    std::sort(cuts.begin(), cuts.end());
    std::vector<codelength::code_length_ledger> parts(cuts.size() - 1);
    for (std::size_t p = 0; p + 1 < cuts.size(); ++p) {
        for (auto i = cuts[p]; i < cuts[p + 1]; ++i) {
            parts[p].add_surprisal_bits(surprisals[static_cast<std::size_t>(i)],
                                        entropies[static_cast<std::size_t>(i)]);
        }
        parts[p].add_bytes(4 * (cuts[p + 1] - cuts[p]));
    }
    std::shuffle(parts.begin(), parts.end(), rng);
    codelength::code_length_ledger words_shard; // a shard with words only
    words_shard.add_words(n / 2);
    codelength::code_length_ledger merged;
    for (const auto& part : parts) {
        merged += part;
    }
    merged += words_shard;
    CHECK(merged.tokens() == one_pass.tokens());
    CHECK(merged.bytes() == one_pass.bytes());
    CHECK(merged.words() == one_pass.words());
    CHECK(merged.entropy_tokens() == one_pass.entropy_tokens());
    CHECK(relative_error(merged.total_bits(), static_cast<long double>(one_pass.total_bits())) < 1e-14);
    CHECK(relative_error(merged.total_bits(), reference_bits) < 1e-13);
    CHECK(relative_error(*merged.mean_entropy_bits(),
                         static_cast<long double>(*one_pass.mean_entropy_bits())) < 1e-14);
}
