// Top-k coding: a model that lists only k tokens and their probabilities, the escape symbol,
// exact uniform coding of escaped tokens (across the 2^31 split), the ledger's escape bits,
// invalid rows, model mismatches and damaged streams.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <random>
#include <span>
#include <vector>

#include "codelength/coding/top_k_coder.hpp"
#include "support/catch.hpp"

using codelength::coding_options;
using codelength::top_k_replay;

namespace {

// A random top-k model: each row is the top k of a softmax over V normal logits (scaled), and
// the targets are drawn from the full softmax, so some fall outside the top k.
struct top_k_case {
    std::int64_t rows = 0;
    std::int64_t k = 0;
    std::int64_t vocabulary_size = 0;
    std::vector<std::int64_t> ids;
    std::vector<float> probabilities;
    std::vector<std::int64_t> targets;

    [[nodiscard]] top_k_replay<float> model() const {
        return top_k_replay<float>(ids, probabilities, rows, k, vocabulary_size);
    }
};

top_k_case make_top_k_case(std::mt19937_64& random, std::int64_t rows, std::int64_t k,
                           std::int64_t vocabulary_size, double scale) {
    top_k_case c;
    c.rows = rows;
    c.k = k;
    c.vocabulary_size = vocabulary_size;
    std::normal_distribution<double> normal(0.0, scale);
    std::vector<double> p(static_cast<std::size_t>(vocabulary_size));
    std::vector<std::int64_t> order(static_cast<std::size_t>(vocabulary_size));
    for (std::int64_t r = 0; r < rows; ++r) {
        double sum = 0.0;
        for (auto& x : p) {
            x = std::exp(normal(random));
            sum += x;
        }
        for (auto& x : p) {
            x /= sum;
        }
        std::iota(order.begin(), order.end(), std::int64_t{0});
        std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](std::int64_t a, std::int64_t b) {
            return p[static_cast<std::size_t>(a)] > p[static_cast<std::size_t>(b)];
        });
        for (std::int64_t i = 0; i < k; ++i) {
            c.ids.push_back(order[static_cast<std::size_t>(i)]);
            c.probabilities.push_back(
                static_cast<float>(p[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])]));
        }
        std::discrete_distribution<std::int64_t> pick(p.begin(), p.end());
        c.targets.push_back(pick(random));
    }
    return c;
}

void check_ledger(const codelength::encoded_stream& encoded, std::size_t tokens) {
    const codelength::coding_ledger& ledger = encoded.ledger;
    CHECK(ledger.tokens == static_cast<std::int64_t>(tokens));
    CHECK(ledger.total_bytes == static_cast<std::int64_t>(encoded.bytes.size()));
    CHECK(ledger.header_bits + ledger.payload_bits == 8 * ledger.total_bytes);
    CHECK((ledger.quantized_bits + ledger.escape_bits) + ledger.coder_overhead_bits ==
          static_cast<double>(ledger.payload_bits));
    CHECK(ledger.coder_overhead_bits <= 8.0 + 1e-3);
    CHECK(ledger.coder_overhead_bits >= -8.0);
}

} // namespace

TEST_CASE("top-k: random models round-trip at P = 16, 24, 31 with escapes accounted exactly") {
    const std::uint64_t seed = 0x7095eed1ULL;
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    for (const std::int64_t k : {1, 5, 20}) {
        const top_k_case c = make_top_k_case(random, 300, k, 1000, 2.0);
        std::int64_t escaped = 0;
        double ideal = 0.0;
        for (std::int64_t r = 0; r < c.rows; ++r) {
            const auto first = c.ids.begin() + r * k;
            const auto found = std::find(first, first + k, c.targets[static_cast<std::size_t>(r)]);
            double listed = 0.0;
            for (std::int64_t i = 0; i < k; ++i) {
                listed += static_cast<double>(c.probabilities[static_cast<std::size_t>(r * k + i)]);
            }
            if (found == first + k) {
                ++escaped;
                ideal += -std::log2(1.0 - listed) + std::log2(static_cast<double>(1000 - k));
            } else {
                ideal += -std::log2(
                    static_cast<double>(c.probabilities[static_cast<std::size_t>(found - c.ids.begin())]));
            }
        }
        REQUIRE(escaped > 0);
        for (const int precision : {16, 24, 31}) {
            INFO("k " << k << " P " << precision);
            const auto encoded = codelength::verify_top_k_round_trip([&] { return c.model(); }, c.targets,
                                                                     coding_options{precision});
            check_ledger(encoded, c.targets.size());
            CHECK(encoded.ledger.escaped_tokens == escaped);
            CHECK(encoded.ledger.ideal_bits == Approx(ideal).epsilon(1e-9));
            // Each escaped index costs log2(V - k) plus less than (V - k) / 2^31 / ln 2 bits.
            const double uniform = static_cast<double>(escaped) * std::log2(static_cast<double>(1000 - k));
            CHECK(std::abs(encoded.ledger.escape_bits - uniform) <= static_cast<double>(escaped) * 1e-6);
            CHECK(codelength::parse_stream(encoded.bytes).header.model.kind ==
                  codelength::stream_model_kind::top_k);
        }
    }
}

TEST_CASE("top-k: k = 0 codes every token uniformly, k = V never escapes") {
    const std::uint64_t seed = 0x7095eed2ULL;
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    std::uniform_int_distribution<std::int64_t> token(0, 99);
    std::vector<std::int64_t> targets(500);
    for (auto& t : targets) {
        t = token(random);
    }
    const std::vector<std::int64_t> no_ids;
    const std::vector<float> no_probabilities;
    const auto uniform = codelength::verify_top_k_round_trip(
        [&] { return top_k_replay<float>(no_ids, no_probabilities, 500, 0, 100); }, targets);
    check_ledger(uniform, targets.size());
    CHECK(uniform.ledger.escaped_tokens == 500);
    CHECK(uniform.ledger.escape_bits == Approx(500 * std::log2(100.0)).epsilon(1e-7));
    CHECK(uniform.ledger.ideal_bits == Approx(500 * std::log2(100.0)).epsilon(1e-12));

    // k = V: all 4 tokens listed (in a shuffled order), never an escape.
    std::vector<std::int64_t> ids;
    std::vector<double> probabilities;
    std::vector<std::int64_t> small_targets;
    for (int r = 0; r < 200; ++r) {
        std::vector<std::int64_t> row = {0, 1, 2, 3};
        std::shuffle(row.begin(), row.end(), random);
        ids.insert(ids.end(), row.begin(), row.end());
        probabilities.insert(probabilities.end(), {0.5, 0.25, 0.125, 0.125});
        small_targets.push_back(row[static_cast<std::size_t>(r % 4)]);
    }
    const auto full = codelength::verify_top_k_round_trip(
        [&] { return top_k_replay<double>(ids, probabilities, 200, 4, 4); }, small_targets);
    check_ledger(full, small_targets.size());
    CHECK(full.ledger.escaped_tokens == 0);
    CHECK(full.ledger.escape_bits == 0.0);
    CHECK(codelength::parse_stream(full.bytes).header.model.element_type ==
          codelength::stream_element_type::float64);
}

TEST_CASE("uniform indices: exact round trips and costs for counts up to 2^62") {
    const std::uint64_t seed = 0x7095eed3ULL;
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    const std::uint64_t two31 = std::uint64_t{1} << 31U;
    std::vector<std::uint64_t> counts = {1,
                                         2,
                                         3,
                                         7,
                                         1000,
                                         151936,
                                         two31 - 1,
                                         two31,
                                         two31 + 1,
                                         3 * two31,
                                         3 * two31 + 5,
                                         std::uint64_t{1} << 40U,
                                         (std::uint64_t{1} << 62U) - 3,
                                         std::uint64_t{1} << 62U};
    std::vector<std::uint64_t> indices;
    std::vector<std::uint64_t> index_counts;
    double cost_bits = 0.0;
    double ideal_bits = 0.0;
    std::vector<std::uint8_t> bytes;
    {
        codelength::default_range_encoder encoder(bytes);
        for (const std::uint64_t count : counts) {
            std::uniform_int_distribution<std::uint64_t> pick(0, count - 1);
            for (const std::uint64_t j :
                 {std::uint64_t{0}, count - 1, pick(random), pick(random), pick(random)}) {
                indices.push_back(j);
                index_counts.push_back(count);
                const double cost = codelength::encode_uniform_index(encoder, j, count);
                cost_bits += cost;
                ideal_bits += std::log2(static_cast<double>(count));
                INFO("count " << count << " j " << j);
                // Widths are floor(2^31 / M) or one more, and split digits are near equal: one
                // index's cost is within a bit of log2 M, and within about M / 2^31 / ln 2 for
                // M <= 2^24.
                const double tolerance = count <= (std::uint64_t{1} << 24U)
                                             ? 2.0 * static_cast<double>(count) / static_cast<double>(two31)
                                             : 1.0;
                CHECK(std::abs(cost - std::log2(static_cast<double>(count))) <= tolerance);
            }
        }
        encoder.finish();
    }
    codelength::default_range_decoder decoder(bytes);
    for (std::size_t i = 0; i < indices.size(); ++i) {
        CHECK(codelength::decode_uniform_index(decoder, index_counts[i]) == indices[i]);
    }
    CHECK(!decoder.inconsistent());
    CHECK(decoder.stream_size() == bytes.size());
    CHECK(8.0 * static_cast<double>(bytes.size()) <= cost_bits + 8.0 + 1e-6);
    CHECK(std::abs(cost_bits - ideal_bits) <= static_cast<double>(indices.size()));

    // On average over all indices of a range the cost is log2 M up to M / 2^31 / ln 2 bits.
    for (const std::uint64_t count : {std::uint64_t{3}, std::uint64_t{1000}, std::uint64_t{99991}}) {
        std::vector<std::uint8_t> sink;
        codelength::default_range_encoder encoder(sink);
        double total = 0.0;
        for (std::uint64_t j = 0; j < count; ++j) {
            total += codelength::encode_uniform_index(encoder, j, count);
        }
        const double mean = total / static_cast<double>(count);
        CHECK(mean >= std::log2(static_cast<double>(count)) - 1e-12);
        CHECK(mean <= std::log2(static_cast<double>(count)) +
                          2.0 * static_cast<double>(count) / static_cast<double>(two31));
    }
}

TEST_CASE("top-k: vocabularies above 2^31 split escaped indices into exact digits") {
    const std::uint64_t seed = 0x7095eed4ULL;
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    const std::int64_t vocabulary_size = (std::int64_t{1} << 40) + 12345;
    std::uniform_int_distribution<std::int64_t> token(0, vocabulary_size - 1);
    std::vector<std::int64_t> ids;
    std::vector<float> probabilities;
    std::vector<std::int64_t> targets;
    for (int r = 0; r < 100; ++r) {
        const std::vector<std::int64_t> row = {token(random), token(random), vocabulary_size - 1};
        ids.insert(ids.end(), row.begin(), row.end());
        probabilities.insert(probabilities.end(), {0.5F, 0.25F, 0.125F});
        targets.push_back(r % 3 == 0 ? row[static_cast<std::size_t>(r % 2)] : token(random));
    }
    const auto encoded = codelength::verify_top_k_round_trip(
        [&] { return top_k_replay<float>(ids, probabilities, 100, 3, vocabulary_size); }, targets);
    check_ledger(encoded, targets.size());
    // Two digits of range about 2^31 each cost up to log2(2^31 / base) more than their log2:
    // a few thousandths of a bit per escaped token here.
    const double uniform = static_cast<double>(encoded.ledger.escaped_tokens) *
                           std::log2(static_cast<double>(vocabulary_size - 3));
    CHECK(encoded.ledger.escaped_tokens > 50);
    CHECK(encoded.ledger.escape_bits >= uniform - 0.01 * static_cast<double>(encoded.ledger.escaped_tokens));
    CHECK(encoded.ledger.escape_bits <= uniform + 0.01 * static_cast<double>(encoded.ledger.escaped_tokens));
}

TEST_CASE("top-k: invalid rows are refused with the row named") {
    const std::vector<std::int64_t> targets = {0, 1};
    const auto expect_invalid = [&](std::vector<std::int64_t> ids, std::vector<float> probabilities) {
        top_k_replay<float> model(ids, probabilities, 2, 2, 10);
        try {
            (void)codelength::encode_top_k_sequence(model, targets);
            FAIL("invalid row accepted");
        } catch (const codelength::invalid_row_error& e) {
            CHECK(e.row() == 1);
        }
    };
    expect_invalid({0, 1, 3, 3}, {0.5F, 0.25F, 0.5F, 0.25F});         // duplicate id
    expect_invalid({0, 1, 3, 10}, {0.5F, 0.25F, 0.5F, 0.25F});        // id >= V
    expect_invalid({0, 1, 3, -1}, {0.5F, 0.25F, 0.5F, 0.25F});        // negative id
    expect_invalid({0, 1, 3, 4}, {0.5F, 0.25F, 0.5F, -0.25F});        // negative probability
    expect_invalid({0, 1, 3, 4}, {0.5F, 0.25F, 0.75F, 0.5F});         // sums to 1.25
    expect_invalid({0, 1, 3, 4}, {0.5F, 0.25F, std::nanf(""), 0.5F}); // NaN
    // Escape with p = 0 still codes (frequency >= 1), at a finite quantized cost.
    const std::vector<std::int64_t> ids = {0, 1, 2, 3};
    const std::vector<float> probabilities = {0.5F, 0.5F, 0.75F, 0.25F};
    const auto encoded = codelength::verify_top_k_round_trip(
        [&] { return top_k_replay<float>(ids, probabilities, 2, 2, 10); }, std::vector<std::int64_t>{7, 9});
    CHECK(std::isinf(encoded.ledger.ideal_bits));
    CHECK(std::isfinite(encoded.ledger.quantized_bits));
    // k + 1 symbols must fit the precision.
    top_k_replay<float> model(ids, probabilities, 2, 2, 10);
    CHECK_THROWS_AS(codelength::encode_top_k_sequence(model, targets, coding_options{1}),
                    codelength::invalid_argument_error);
}

TEST_CASE("top-k: other models and damaged streams are refused") {
    const std::uint64_t seed = 0x7095eed5ULL;
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    const top_k_case c = make_top_k_case(random, 40, 4, 200, 2.0);
    auto model = c.model();
    const auto encoded = codelength::encode_top_k_sequence(model, c.targets, coding_options{16});
    {
        top_k_case other = c;
        other.probabilities[13] = std::nextafter(other.probabilities[13], 1.0F);
        auto changed = other.model();
        CHECK_THROWS_AS(codelength::decode_top_k_sequence(changed, encoded.bytes),
                        codelength::stream_model_mismatch_error);
        other = c;
        std::swap(other.ids[0], other.ids[1]);
        auto reordered = other.model();
        CHECK_THROWS_AS(codelength::decode_top_k_sequence(reordered, encoded.bytes),
                        codelength::stream_model_mismatch_error);
    }
    for (std::size_t i = 0; i < encoded.bytes.size(); ++i) {
        auto bad = encoded.bytes;
        bad[i] = static_cast<std::uint8_t>(bad[i] ^ 0x20U);
        auto fresh = c.model();
        INFO("byte " << i);
        CHECK_THROWS_AS(codelength::decode_top_k_sequence(fresh, bad), codelength::stream_error);
    }
    const std::span<const std::uint8_t> all(encoded.bytes);
    for (std::size_t length = 0; length < encoded.bytes.size(); ++length) {
        auto fresh = c.model();
        CHECK_THROWS_AS(codelength::decode_top_k_sequence(fresh, all.first(length)),
                        codelength::stream_truncated_error);
    }
    auto longer = encoded.bytes;
    longer.push_back(0);
    auto fresh = c.model();
    CHECK_THROWS_AS(codelength::decode_top_k_sequence(fresh, longer),
                    codelength::stream_trailing_bytes_error);
    auto decoded_model = c.model();
    CHECK(codelength::decode_top_k_sequence(decoded_model, encoded.bytes) == c.targets);
}

namespace {
// The ledger is an implementation detail: the public uniform coder does not take it.
template <class Encoder>
constexpr bool takes_ledger = requires(Encoder& encoder, codelength::detail::coding_ledger_builder* ledger) {
    codelength::encode_uniform_index(encoder, std::uint64_t{0}, std::uint64_t{2}, ledger);
};
} // namespace

TEST_CASE("uniform indices: the public coder's signature has no detail:: type") {
    STATIC_REQUIRE_FALSE(takes_ledger<codelength::default_range_encoder>);
    std::vector<std::uint8_t> bytes;
    codelength::default_range_encoder encoder(bytes);
    CHECK(codelength::encode_uniform_index(encoder, 1, 2) == Catch::Approx(1.0));
}
