// encode_sequence / decode_sequence: exact round trips for replayed logits of every element
// type and for adaptive models, the ledger's identities, model mismatches, and streams that
// are damaged, truncated or extended (every one refused with a codelength::error).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "codelength/coding/sequence_coder.hpp"
#include "codelength/models/logits_replay.hpp"
#include "support/catch.hpp"

using codelength::coding_options;
using codelength::decode_sequence;
using codelength::encode_sequence;
using codelength::logits_replay;
using codelength::matrix_view;

namespace {

// Random logits (normal * scale) and targets drawn from the logits' own softmax, so the coded
// tokens are typical for the model.
struct random_case {
    std::int64_t rows = 0;
    std::int64_t vocabulary_size = 0;
    std::vector<float> logits;
    std::vector<std::int64_t> targets;

    [[nodiscard]] matrix_view<float> view() const {
        return matrix_view<float>::row_major(logits.data(), rows, vocabulary_size);
    }
};

random_case make_case(std::mt19937_64& random, std::int64_t rows, std::int64_t vocabulary_size, float scale) {
    random_case c;
    c.rows = rows;
    c.vocabulary_size = vocabulary_size;
    std::normal_distribution<float> normal(0.0F, scale);
    c.logits.resize(static_cast<std::size_t>(rows * vocabulary_size));
    for (auto& z : c.logits) {
        z = normal(random);
    }
    for (std::int64_t r = 0; r < rows; ++r) {
        std::vector<double> weights(static_cast<std::size_t>(vocabulary_size));
        for (std::int64_t v = 0; v < vocabulary_size; ++v) {
            weights[static_cast<std::size_t>(v)] =
                std::exp(static_cast<double>(c.logits[static_cast<std::size_t>(r * vocabulary_size + v)]));
        }
        std::discrete_distribution<std::int64_t> pick(weights.begin(), weights.end());
        c.targets.push_back(pick(random));
    }
    return c;
}

// The ledger's identities and its agreement with the stream.
void check_ledger(const codelength::encoded_stream& encoded, std::size_t tokens, int precision_bits) {
    const codelength::coding_ledger& ledger = encoded.ledger;
    CHECK(ledger.tokens == static_cast<std::int64_t>(tokens));
    CHECK(ledger.precision_bits == precision_bits);
    CHECK(ledger.total_bytes == static_cast<std::int64_t>(encoded.bytes.size()));
    CHECK(ledger.header_bits == 8 * static_cast<std::int64_t>(codelength::stream_header_bytes));
    CHECK(ledger.header_bits + ledger.payload_bits == 8 * ledger.total_bytes);
    CHECK((ledger.quantized_bits + ledger.escape_bits) + ledger.coder_overhead_bits ==
          static_cast<double>(ledger.payload_bits));
    CHECK(ledger.escape_bits == 0.0);
    // The range coder's bound: at most 8 bits of termination plus 2^(P - 56) / ln 2 per symbol.
    CHECK(ledger.coder_overhead_bits <=
          8.0 + static_cast<double>(tokens) * std::ldexp(1.0, precision_bits - 56) / std::log(2.0) + 1e-6);
    CHECK(ledger.coder_overhead_bits >= -8.0);
}

std::uint64_t seed_from_catch() {
    return 0x5eed0001ULL;
}

} // namespace

TEST_CASE("encode/decode round-trip replayed float logits over V, P and scales") {
    const std::uint64_t seed = seed_from_catch();
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    struct shape {
        std::int64_t vocabulary_size;
        int precision_bits;
        float scale;
    };
    for (const shape s : {shape{2, 1, 1.0F}, shape{2, 16, 3.0F}, shape{3, 2, 0.5F}, shape{50, 16, 2.0F},
                          shape{256, 8, 1.0F}, shape{1000, 24, 4.0F}, shape{5000, 31, 2.0F},
                          shape{5000, 13, 8.0F}, shape{1, 1, 1.0F}, shape{1, 31, 1.0F}}) {
        INFO("V " << s.vocabulary_size << " P " << s.precision_bits << " scale " << s.scale);
        const random_case c = make_case(random, 120, s.vocabulary_size, s.scale);
        logits_replay encoder_model(c.view());
        const auto encoded = encode_sequence(encoder_model, c.targets, coding_options{s.precision_bits});
        CHECK(encoder_model.position() == 120);
        check_ledger(encoded, c.targets.size(), s.precision_bits);
        logits_replay decoder_model(c.view());
        CHECK(decode_sequence(decoder_model, encoded.bytes) == c.targets);

        // The ideal bits are the row kernel's, and the quantization loss is small and positive
        // on average (the leak costs about -log2(1 - V / 2^P) per token).
        double ideal = 0.0;
        for (std::int64_t r = 0; r < c.rows; ++r) {
            ideal +=
                codelength::compute_row_statistics(c.view().row(r), c.targets[static_cast<std::size_t>(r)])
                    .target_surprisal_bits();
        }
        CHECK(encoded.ledger.ideal_bits == Approx(ideal).epsilon(1e-12).margin(1e-9));
        const double leak = codelength::leaky_quantization_cost_bits(s.vocabulary_size, s.precision_bits);
        if (s.precision_bits >= 16 && s.vocabulary_size > 1) {
            CHECK(encoded.ledger.quantization_loss_bits() > -1e-2 * static_cast<double>(c.rows));
            CHECK(encoded.ledger.quantization_loss_bits() <
                  static_cast<double>(c.rows) * (leak + 1e-3) + 1e-6);
        }
    }
}

TEST_CASE("every element type and Fortran order round-trip; the fingerprint ignores storage order") {
    const std::uint64_t seed = 0x5eed0002ULL;
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    const random_case c = make_case(random, 64, 300, 3.0F);
    std::vector<double> as_double(c.logits.begin(), c.logits.end());
    std::vector<codelength::bfloat16> as_bfloat16;
    std::vector<codelength::float16> as_float16;
    for (const float z : c.logits) {
        as_bfloat16.push_back(codelength::bfloat16::from_float(z));
        as_float16.push_back(codelength::float16::from_float(z));
    }
    const auto round_trip = [&](auto view) {
        const auto make = [view] { return logits_replay(view); };
        const auto encoded = codelength::verify_round_trip(make, c.targets, coding_options{20});
        check_ledger(encoded, c.targets.size(), 20);
        return encoded;
    };
    const auto f32 = round_trip(c.view());
    const auto f64 = round_trip(matrix_view<double>::row_major(as_double.data(), c.rows, c.vocabulary_size));
    round_trip(matrix_view<codelength::bfloat16>::row_major(as_bfloat16.data(), c.rows, c.vocabulary_size));
    round_trip(matrix_view<codelength::float16>::row_major(as_float16.data(), c.rows, c.vocabulary_size));

    // The same numbers stored column-major: the same stream, byte for byte.
    std::vector<float> column_major(c.logits.size());
    for (std::int64_t r = 0; r < c.rows; ++r) {
        for (std::int64_t v = 0; v < c.vocabulary_size; ++v) {
            column_major[static_cast<std::size_t>(v * c.rows + r)] =
                c.logits[static_cast<std::size_t>(r * c.vocabulary_size + v)];
        }
    }
    const matrix_view<float> fortran{column_major.data(), c.rows, c.vocabulary_size, 1, c.rows};
    CHECK(round_trip(fortran).bytes == f32.bytes);
    CHECK(codelength::logits_fingerprint(fortran, 0, c.rows) ==
          codelength::logits_fingerprint(c.view(), 0, c.rows));
    // float and double rows of the same values are different models (the element type differs).
    CHECK(f32.bytes[6] == 1);
    CHECK(f64.bytes[6] == 2);
}

TEST_CASE("empty and one-symbol sequences round-trip") {
    std::vector<float> logits = {0.5F, -1.0F, 2.0F, 0.0F};
    const auto view = matrix_view<float>::row_major(logits.data(), 1, 4);
    const std::vector<std::int64_t> none;
    logits_replay model(view);
    const auto empty = encode_sequence(model, none);
    CHECK(empty.bytes.size() == codelength::stream_header_bytes); // no symbols: an empty payload
    CHECK(empty.ledger.payload_bits == 0);
    CHECK(empty.ledger.coder_overhead_bits == 0.0);
    CHECK(!empty.ledger.bits_per_token());
    logits_replay replay(view);
    CHECK(decode_sequence(replay, empty.bytes).empty());
    CHECK(replay.position() == 0);

    for (std::int64_t token = 0; token < 4; ++token) {
        const std::vector<std::int64_t> one = {token};
        const auto encoded = codelength::verify_round_trip([&] { return logits_replay(view); }, one);
        check_ledger(encoded, 1, 24);
        CHECK(encoded.ledger.payload_bits <= 8 * 5);
    }
    // An empty matrix codes the empty sequence.
    const auto no_rows = matrix_view<float>::row_major(logits.data(), 0, 4);
    logits_replay empty_model(no_rows);
    CHECK(encode_sequence(empty_model, none).bytes.size() == codelength::stream_header_bytes);
}

TEST_CASE("extreme distributions: one-hot rows, improbable tokens, -inf logits and long carry runs") {
    const std::uint64_t seed = 0x5eed0003ULL;
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    const std::int64_t vocabulary_size = 1000;
    const std::int64_t rows = 3000;
    std::vector<float> logits(static_cast<std::size_t>(rows * vocabulary_size), 0.0F);
    std::vector<std::int64_t> targets(static_cast<std::size_t>(rows));
    std::uniform_int_distribution<std::int64_t> token(0, vocabulary_size - 1);
    for (std::int64_t r = 0; r < rows; ++r) {
        float* row = logits.data() + r * vocabulary_size;
        const std::int64_t favourite = token(random);
        const std::int64_t kind = r % 4;
        std::int64_t target = favourite;
        if (kind == 0) { // one-hot at 100 nats: the favourite costs ~0 bits
            row[favourite] = 100.0F;
        } else if (kind == 1) { // the target is 100 nats below the favourite: frequency 1
            row[favourite] = 100.0F;
            target = (favourite + 1) % vocabulary_size;
        } else if (kind == 2) { // -inf everywhere but two entries, the target has p = 0
            for (std::int64_t v = 0; v < vocabulary_size; ++v) {
                row[v] = -std::numeric_limits<float>::infinity();
            }
            row[favourite] = 1.0F;
            row[(favourite + 7) % vocabulary_size] = 1.0F;
            target = (favourite + 3) % vocabulary_size;
        } // kind 3: uniform
        targets[static_cast<std::size_t>(r)] = target;
    }
    const auto view = matrix_view<float>::row_major(logits.data(), rows, vocabulary_size);
    for (const int precision : {10, 16, 24, 31}) {
        INFO("P " << precision);
        const auto encoded = codelength::verify_round_trip([&] { return logits_replay(view); }, targets,
                                                           coding_options{precision});
        check_ledger(encoded, targets.size(), precision);
        CHECK(std::isinf(encoded.ledger.ideal_bits)); // p = 0 tokens: infinite ideal, finite code
        CHECK(std::isfinite(encoded.ledger.quantized_bits));
    }

    // Long runs of the most improbable symbol: the coder's carries pass runs of 0xFF bytes.
    std::vector<float> skewed(2 * 64, 0.0F);
    for (std::size_t r = 0; r < 64; ++r) {
        skewed[2 * r] = 30.0F;
    }
    const std::vector<std::int64_t> ones(64, 1);
    const std::vector<std::int64_t> zeros(64, 0);
    const auto skewed_view = matrix_view<float>::row_major(skewed.data(), 64, 2);
    for (const auto* sequence : {&ones, &zeros}) {
        for (const int precision : {1, 2, 8, 31}) {
            const auto encoded = codelength::verify_round_trip([&] { return logits_replay(skewed_view); },
                                                               *sequence, coding_options{precision});
            check_ledger(encoded, 64, precision);
        }
    }
}

namespace {

// An adaptive model: logits are log(count + 1/2) of the tokens seen so far (a KT estimator).
class counting_model {
public:
    explicit counting_model(std::int64_t vocabulary_size)
        : m_counts(static_cast<std::size_t>(vocabulary_size), 0),
          m_logits(static_cast<std::size_t>(vocabulary_size)) {}
    [[nodiscard]] std::int64_t vocabulary_size() const noexcept {
        return static_cast<std::int64_t>(m_counts.size());
    }
    [[nodiscard]] std::span<const double> next_logits() {
        for (std::size_t i = 0; i < m_counts.size(); ++i) {
            m_logits[i] = std::log(static_cast<double>(m_counts[i]) + 0.5);
        }
        return m_logits;
    }
    void update(std::int64_t token) { ++m_counts[static_cast<std::size_t>(token)]; }

private:
    std::vector<std::int64_t> m_counts;
    std::vector<double> m_logits;
};

// The same model, naming its configuration.
class named_counting_model : public counting_model {
public:
    named_counting_model(std::int64_t vocabulary_size, std::uint64_t configuration)
        : counting_model(vocabulary_size), m_configuration(configuration) {}
    [[nodiscard]] std::uint64_t fingerprint() const noexcept { return m_configuration; }

private:
    std::uint64_t m_configuration;
};

} // namespace

TEST_CASE("adaptive models round-trip; their fingerprint is theirs or 0") {
    const std::uint64_t seed = 0x5eed0004ULL;
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    std::geometric_distribution<std::int64_t> skewed(0.2);
    std::vector<std::int64_t> text;
    for (int i = 0; i < 2000; ++i) {
        text.push_back(std::min<std::int64_t>(skewed(random), 99));
    }
    const auto encoded =
        codelength::verify_round_trip([] { return counting_model(100); }, text, coding_options{16});
    check_ledger(encoded, text.size(), 16);
    CHECK(codelength::parse_stream(encoded.bytes).header.model.fingerprint == 0);
    CHECK(encoded.ledger.bits_per_token().value() < std::log2(100.0)); // it learns

    named_counting_model a(100, 7);
    const auto named = encode_sequence(a, text);
    CHECK(codelength::parse_stream(named.bytes).header.model.fingerprint == 7);
    named_counting_model b(100, 8);
    CHECK_THROWS_AS(decode_sequence(b, named.bytes), codelength::stream_model_mismatch_error);
    named_counting_model c(100, 7);
    CHECK(decode_sequence(c, named.bytes) == text);
    // An unbounded model is bounded by the caller's limits.
    counting_model d(100);
    codelength::decoding_options bounded;
    bounded.limits.max_symbols = 1999;
    CHECK_THROWS_AS(decode_sequence(d, encoded.bytes, bounded), codelength::stream_limit_error);
}

TEST_CASE("decode refuses other models: other logits, dtype, vocabulary, precision or too few rows") {
    const std::uint64_t seed = 0x5eed0005ULL;
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    const random_case c = make_case(random, 50, 64, 2.0F);
    logits_replay model(c.view());
    const auto encoded = encode_sequence(model, c.targets, coding_options{16});
    const auto expect_mismatch = [&](auto& other, std::uint64_t offset,
                                     codelength::decoding_options options = {}) {
        try {
            (void)decode_sequence(other, encoded.bytes, options);
            FAIL("another model was accepted");
        } catch (const codelength::stream_model_mismatch_error& e) {
            CHECK(e.byte_offset() == offset);
        }
    };
    random_case other = c;
    other.logits[7 * 64 + 5] = std::nextafter(other.logits[7 * 64 + 5], 100.0F); // one ulp of one logit
    logits_replay changed(other.view());
    expect_mismatch(changed, codelength::stream_offset::fingerprint);
    const random_case unrelated = make_case(random, 50, 64, 2.0F);
    logits_replay unrelated_model(unrelated.view());
    expect_mismatch(unrelated_model, codelength::stream_offset::fingerprint);
    std::vector<double> as_double(c.logits.begin(), c.logits.end());
    logits_replay double_model(matrix_view<double>::row_major(as_double.data(), 50, 64));
    expect_mismatch(double_model, codelength::stream_offset::element_type);
    logits_replay narrower(matrix_view<float>::row_major(c.logits.data(), 100, 32));
    expect_mismatch(narrower, codelength::stream_offset::vocabulary_size);
    logits_replay fewer_rows(matrix_view<float>::row_major(c.logits.data(), 49, 64));
    expect_mismatch(fewer_rows, codelength::stream_offset::symbol_count);
    logits_replay same(c.view());
    codelength::decoding_options precision_24;
    precision_24.precision_bits = 24;
    expect_mismatch(same, codelength::stream_offset::precision_bits, precision_24);

    // More rows than coded is fine: the fingerprint covers the rows the stream uses.
    random_case longer = c;
    longer.rows = 51;
    longer.logits.resize(51 * 64, 1.0F);
    logits_replay longer_model(longer.view());
    CHECK(decode_sequence(longer_model, encoded.bytes) == c.targets);
    CHECK(longer_model.position() == 50);
}

TEST_CASE("encode refuses what it cannot code") {
    std::vector<float> logits(3 * 5, 0.0F);
    const auto view = matrix_view<float>::row_major(logits.data(), 3, 5);
    logits_replay a(view);
    CHECK_THROWS_AS(encode_sequence(a, std::vector<std::int64_t>{1, -100, 2}),
                    codelength::invalid_argument_error);
    logits_replay b(view);
    CHECK_THROWS_AS(encode_sequence(b, std::vector<std::int64_t>{1, 5, 2}),
                    codelength::target_out_of_range_error);
    logits_replay c(view);
    CHECK_THROWS_AS(encode_sequence(c, std::vector<std::int64_t>{1, 2}, coding_options{2}),
                    codelength::invalid_argument_error); // V = 5 > 2^2
    logits_replay d(view);
    CHECK_THROWS_AS(encode_sequence(d, std::vector<std::int64_t>{1, 2}, coding_options{32}),
                    codelength::invalid_argument_error);
    logits_replay e(view);
    CHECK_THROWS_AS(encode_sequence(e, std::vector<std::int64_t>{1, 2, 3, 4}),
                    codelength::invalid_argument_error);
    logits[7] = std::numeric_limits<float>::quiet_NaN();
    logits_replay f(view);
    CHECK_THROWS_AS(encode_sequence(f, std::vector<std::int64_t>{1, 2, 3}), codelength::invalid_row_error);
    CHECK_THROWS_AS(
        codelength::check_round_trip(std::vector<std::int64_t>{1, 2}, std::vector<std::int64_t>{1, 3}),
        codelength::round_trip_error);
    CHECK_THROWS_AS(
        codelength::check_round_trip(std::vector<std::int64_t>{1, 2}, std::vector<std::int64_t>{1}),
        codelength::round_trip_error);
}

TEST_CASE("many random round trips over V, P and distributions") {
    const std::uint64_t seed = 0x5eed0006ULL;
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    std::uniform_int_distribution<int> log_vocabulary(1, 16);
    std::uniform_real_distribution<float> scale(0.0F, 12.0F);
    int trips = 0;
    for (; trips < 400; ++trips) {
        const std::int64_t vocabulary_size =
            std::max<std::int64_t>(1, std::uniform_int_distribution<std::int64_t>(
                                          1, std::int64_t{1} << log_vocabulary(random))(random));
        const int least = codelength::minimum_precision_bits(vocabulary_size);
        const int precision = std::uniform_int_distribution<int>(least, 31)(random);
        const std::int64_t rows = std::uniform_int_distribution<std::int64_t>(0, 40)(random);
        const random_case c = make_case(random, rows, vocabulary_size, scale(random));
        INFO("trip " << trips << " V " << vocabulary_size << " P " << precision << " T " << rows);
        const auto encoded = codelength::verify_round_trip([&] { return logits_replay(c.view()); }, c.targets,
                                                           coding_options{precision});
        check_ledger(encoded, c.targets.size(), precision);
    }
    CHECK(trips == 400);
}
