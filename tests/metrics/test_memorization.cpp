// Memorization metrics: hand-computed documents, long double references for every metric,
// span finding against a brute-force scan, extractability, and the seeded bootstrap.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/metrics/memorization.hpp"
#include "codelength/metrics/memorization_summary.hpp"
#include "support/catch.hpp"

using Catch::Approx;

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr long double ln2 = 0.693147180559945309417232121458176568L;

// Owns the per-token vectors a document_tokens views.
struct document_data {
    std::vector<double> surprisal_bits;
    std::vector<double> log_probabilities_nats;
    std::vector<double> z_scores;
    std::vector<std::int64_t> ranks;
    std::vector<std::int64_t> token_bytes;
    std::vector<double> reference_surprisal_bits;

    [[nodiscard]] codelength::document_tokens view() const {
        return {surprisal_bits, log_probabilities_nats,  z_scores, ranks,
                token_bytes,    reference_surprisal_bits};
    }
};

// A document whose log-probabilities agree with its surprisals (ln p = -bits * ln 2).
document_data make_document(std::vector<double> bits, std::vector<std::int64_t> bytes,
                            std::vector<std::int64_t> ranks = {}) {
    document_data d;
    d.surprisal_bits = std::move(bits);
    d.token_bytes = std::move(bytes);
    for (const double b : d.surprisal_bits) {
        d.log_probabilities_nats.push_back(-b * static_cast<double>(ln2));
        d.z_scores.push_back(1.0 - b);
    }
    d.ranks = ranks.empty() ? std::vector<std::int64_t>(d.surprisal_bits.size(), 0) : std::move(ranks);
    return d;
}

// Mean of the `count` smallest values, selection by repeated minimum, long double.
long double reference_lowest_mean(std::vector<double> values, double k_percent) {
    std::size_t count = static_cast<std::size_t>(static_cast<double>(values.size()) * (k_percent / 100.0));
    count = std::max<std::size_t>(count, 1);
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

// Brute-force spans: for every token that starts a run (qualifies, predecessor does not),
// extend while tokens qualify; recompute the byte offsets from scratch for each run.
std::vector<codelength::memorized_span> reference_spans(const std::vector<double>& bits,
                                                        const std::vector<std::int64_t>& bytes,
                                                        double threshold, std::int64_t min_bytes) {
    const auto qualifies = [&](std::size_t t) {
        return static_cast<long double>(bits[t]) <=
               static_cast<long double>(threshold) * static_cast<long double>(bytes[t]);
    };
    std::vector<codelength::memorized_span> out;
    for (std::size_t start = 0; start < bits.size(); ++start) {
        if (!qualifies(start) || (start > 0 && qualifies(start - 1))) {
            continue;
        }
        std::size_t end = start;
        while (end < bits.size() && qualifies(end)) {
            ++end;
        }
        std::int64_t byte_begin = 0;
        for (std::size_t t = 0; t < start; ++t) {
            byte_begin += bytes[t];
        }
        std::int64_t byte_end = byte_begin;
        long double run_bits = 0.0L;
        for (std::size_t t = start; t < end; ++t) {
            byte_end += bytes[t];
            run_bits += static_cast<long double>(bits[t]);
        }
        if (byte_end - byte_begin >= min_bytes) {
            codelength::memorized_span s;
            s.token_begin = static_cast<std::int64_t>(start);
            s.token_end = static_cast<std::int64_t>(end);
            s.byte_begin = byte_begin;
            s.byte_end = byte_end;
            s.model_bits = static_cast<double>(run_bits);
            s.model_bits_per_byte =
                static_cast<double>(run_bits / static_cast<long double>(byte_end - byte_begin));
            out.push_back(s);
        }
    }
    return out;
}

} // namespace

TEST_CASE("memorization: a hand-computed document", "[metrics][memorization]") {
    document_data d = make_document({2.0, 1.0, 1.0}, {1, 1, 2}, {0, 1, 0});
    d.reference_surprisal_bits = {4.0, 2.0, 2.0};
    const codelength::generic_compressed_sizes sizes{10, 20, 30, 25, 35};
    codelength::memorization_options options;
    options.k_percent = 50.0; // floor(3 * 0.5) = 1 token
    options.prefix_tokens = 2;
    options.prompt_tokens = 2;
    options.prompt_bits = 16.0;
    const auto m = codelength::measure_document_memorization(d.view(), sizes, options);
    CHECK(m.tokens == 3);
    CHECK(m.bytes == 4);
    CHECK(m.model_bits == 4.0);
    CHECK(m.model_bits_per_byte == 1.0);
    CHECK(m.mean_surprisal_bits == Approx(4.0 / 3.0));
    CHECK(m.gain_over_gzip_9.generic_bits == 160.0);
    CHECK(m.gain_over_gzip_9.gain_bits == 156.0);
    CHECK(m.gain_over_gzip_9.ratio == 40.0);
    CHECK(m.gain_over_xz_9.ratio == 60.0);
    CHECK(m.gain_over_zstd_19.gain_bits == 196.0);
    CHECK(m.gain_over_brotli_11.ratio == 70.0);
    CHECK(m.zlib_entropy_over_log_perplexity == Approx(60.0)); // 80 bits / (4/3 bits)
    CHECK(m.loss_over_zlib_bytes == Approx(4.0 / 3.0 * static_cast<double>(ln2) / 10.0));
    CHECK(m.min_k_percent == Approx(-2.0 * static_cast<double>(ln2)));
    CHECK(m.min_k_plus_plus == Approx(-1.0)); // lowest z = 1 - 2
    REQUIRE(m.reference_bits);
    CHECK(*m.reference_bits == 8.0);
    CHECK(*m.model_over_reference_bits == 0.5);
    REQUIRE(m.greedy_extractable);
    CHECK(*m.greedy_extractable); // suffix = token 2, rank 0
    CHECK(*m.extraction_suffix_tokens == 1);
    CHECK(*m.adversarial_compression_ratio_tokens == 1.5);
    CHECK(*m.adversarial_compression_ratio_bits == 10.0); // min(160, 240, 200, 280) / 16
    CHECK(m.memorized_spans.empty());                     // 4 bytes < 32
    CHECK(m.memorized_bytes == 0);

    options.prefix_tokens = 1; // suffix has the rank-1 token
    CHECK_FALSE(*codelength::measure_document_memorization(d.view(), sizes, options).greedy_extractable);
}

TEST_CASE("memorization: every metric against long double references", "[metrics][memorization]") {
    const std::uint64_t seed = 7781;
    INFO("seed " << seed);
    std::mt19937_64 engine(seed);
    std::uniform_real_distribution<double> bits_of(0.0, 6.0);
    std::uniform_int_distribution<std::int64_t> bytes_of(0, 6);
    std::uniform_int_distribution<std::int64_t> rank_of(0, 2);
    for (int trial = 0; trial < 50; ++trial) {
        const auto n = static_cast<std::size_t>(1 + engine() % 120);
        std::vector<double> bits(n);
        std::vector<std::int64_t> bytes(n);
        std::vector<std::int64_t> ranks(n);
        for (std::size_t t = 0; t < n; ++t) {
            bits[t] = (engine() % 3 == 0) ? bits_of(engine) / 40.0 : bits_of(engine);
            bytes[t] = bytes_of(engine);
            ranks[t] = (engine() % 4 == 0) ? rank_of(engine) : 0;
        }
        bytes[0] = std::max<std::int64_t>(bytes[0], 1);
        document_data d = make_document(bits, bytes, ranks);
        for (std::size_t t = 0; t < n; ++t) {
            d.reference_surprisal_bits.push_back(bits_of(engine));
        }
        const codelength::generic_compressed_sizes sizes{1 + engine() % 500, 1 + engine() % 500,
                                                         1 + engine() % 500, 1 + engine() % 500,
                                                         1 + engine() % 500};
        codelength::memorization_options options;
        options.k_percent = 1.0 + static_cast<double>(engine() % 100);
        options.prefix_tokens = static_cast<std::int64_t>(engine() % (n + 2));
        options.prompt_tokens = 1 + static_cast<std::int64_t>(engine() % 10);
        options.prompt_bits = 3.5;
        options.span_min_bytes = 1 + static_cast<std::int64_t>(engine() % 12);
        options.span_max_bits_per_byte = 0.4;
        const auto m = codelength::measure_document_memorization(d.view(), sizes, options);

        long double model_bits = 0.0L;
        long double reference_bits = 0.0L;
        std::int64_t total_bytes = 0;
        for (std::size_t t = 0; t < n; ++t) {
            model_bits += static_cast<long double>(bits[t]);
            reference_bits += static_cast<long double>(d.reference_surprisal_bits[t]);
            total_bytes += bytes[t];
        }
        const long double mean_bits = model_bits / static_cast<long double>(n);
        CHECK(m.tokens == static_cast<std::int64_t>(n));
        CHECK(m.bytes == total_bytes);
        CHECK(m.model_bits == Approx(static_cast<double>(model_bits)).epsilon(1e-14));
        CHECK(m.model_bits_per_byte ==
              Approx(static_cast<double>(model_bits / static_cast<long double>(total_bytes))).epsilon(1e-14));
        CHECK(m.gain_over_xz_9.gain_bits ==
              Approx(static_cast<double>(8.0L * static_cast<long double>(sizes.xz_9) - model_bits))
                  .epsilon(1e-12)
                  .margin(1e-9));
        CHECK(m.gain_over_zstd_19.ratio ==
              Approx(static_cast<double>(8.0L * static_cast<long double>(sizes.zstd_19) / model_bits))
                  .epsilon(1e-13));
        CHECK(m.zlib_entropy_over_log_perplexity ==
              Approx(static_cast<double>(8.0L * static_cast<long double>(sizes.zlib_default) / mean_bits))
                  .epsilon(1e-13));
        CHECK(m.loss_over_zlib_bytes ==
              Approx(static_cast<double>(mean_bits * ln2 / static_cast<long double>(sizes.zlib_default)))
                  .epsilon(1e-13));
        CHECK(m.min_k_percent ==
              Approx(static_cast<double>(reference_lowest_mean(d.log_probabilities_nats, options.k_percent)))
                  .epsilon(1e-13)
                  .margin(1e-15));
        CHECK(m.min_k_plus_plus ==
              Approx(static_cast<double>(reference_lowest_mean(d.z_scores, options.k_percent)))
                  .epsilon(1e-13)
                  .margin(1e-15));
        CHECK(*m.model_over_reference_bits ==
              Approx(static_cast<double>(model_bits / reference_bits)).epsilon(1e-13));

        const auto prefix = static_cast<std::size_t>(*options.prefix_tokens);
        if (prefix >= n) {
            CHECK_FALSE(m.greedy_extractable.has_value());
        } else {
            bool all_zero = true;
            for (std::size_t t = prefix; t < n; ++t) {
                all_zero = all_zero && ranks[t] == 0;
            }
            REQUIRE(m.greedy_extractable.has_value());
            CHECK(*m.greedy_extractable == all_zero);
            CHECK(*m.extraction_suffix_tokens == static_cast<std::int64_t>(n - prefix));
        }
        CHECK(*m.adversarial_compression_ratio_tokens ==
              Approx(static_cast<double>(n) / static_cast<double>(*options.prompt_tokens)));
        const auto best = std::min({sizes.gzip_9, sizes.xz_9, sizes.zstd_19, sizes.brotli_11});
        CHECK(*m.adversarial_compression_ratio_bits == Approx(static_cast<double>(best) * 8.0 / 3.5));

        const auto want = reference_spans(bits, bytes, 0.4, options.span_min_bytes);
        REQUIRE(m.memorized_spans.size() == want.size());
        std::int64_t memorized = 0;
        for (std::size_t i = 0; i < want.size(); ++i) {
            const auto& got = m.memorized_spans[i];
            CHECK(got.token_begin == want[i].token_begin);
            CHECK(got.token_end == want[i].token_end);
            CHECK(got.byte_begin == want[i].byte_begin);
            CHECK(got.byte_end == want[i].byte_end);
            CHECK(got.model_bits == Approx(want[i].model_bits).epsilon(1e-13).margin(1e-15));
            CHECK(got.model_bits_per_byte <= 0.4);
            CHECK_FALSE(got.generic_bits.has_value());
            memorized += want[i].byte_end - want[i].byte_begin;
        }
        CHECK(m.memorized_bytes == memorized);
    }
}

TEST_CASE("memorization: memorized spans by hand", "[metrics][memorization]") {
    const std::vector<double> bits{0.0, 0.0, 5.0, 0.1, 0.1, 0.1};
    const std::vector<std::int64_t> bytes{10, 10, 1, 4, 4, 4};
    auto spans = codelength::find_memorized_spans(bits, bytes, 0.5, 8);
    REQUIRE(spans.size() == 2);
    CHECK(spans[0].byte_begin == 0);
    CHECK(spans[0].byte_end == 20);
    CHECK(spans[0].model_bits == 0.0);
    CHECK(spans[1].token_begin == 3);
    CHECK(spans[1].token_end == 6);
    CHECK(spans[1].byte_begin == 21);
    CHECK(spans[1].byte_end == 33);
    CHECK(spans[1].model_bits_per_byte == Approx(0.3 / 12.0));

    CHECK(codelength::find_memorized_spans(bits, bytes, 0.5, 13).size() == 1); // 12 bytes < 13
    CHECK(codelength::find_memorized_spans(bits, bytes, 0.5, 21).empty());     // empty result

    // The generic compressor's criterion: generic_bits >= 2 * model_bits.
    const codelength::span_generic_bits_function half_bit = [](std::int64_t, std::int64_t) { return 0.5; };
    spans = codelength::find_memorized_spans(bits, bytes, 0.5, 8, half_bit, 2.0);
    REQUIRE(spans.size() == 1); // 0.5 >= 0 keeps the first; 0.5 < 0.6 drops the second
    CHECK(spans[0].byte_end == 20);
    CHECK(*spans[0].generic_bits == 0.5);

    // A p = 0 token breaks a run; a 0-byte token joins only with 0 bits.
    CHECK(codelength::find_memorized_spans(std::vector<double>{0.0, infinity, 0.0},
                                           std::vector<std::int64_t>{2, 2, 2}, 0.5, 3)
              .empty());
    CHECK(codelength::find_memorized_spans(std::vector<double>{0.0, 0.0, 0.0},
                                           std::vector<std::int64_t>{2, 0, 2}, 0.5, 3)
              .size() == 1);
    CHECK(codelength::find_memorized_spans(std::vector<double>{0.0, 0.1, 0.0},
                                           std::vector<std::int64_t>{2, 0, 2}, 0.5, 3)
              .empty());
    CHECK(
        codelength::find_memorized_spans(std::vector<double>{}, std::vector<std::int64_t>{}, 0.5, 1).empty());
    CHECK_THROWS_AS(
        codelength::find_memorized_spans(std::vector<double>{0.0}, std::vector<std::int64_t>{-1}, 0.5, 1),
        codelength::invalid_argument_error);
    CHECK_THROWS_AS(
        codelength::find_memorized_spans(std::vector<double>{0.0}, std::vector<std::int64_t>{1}, 0.5, 0),
        codelength::invalid_argument_error);
}

TEST_CASE("memorization: edge cases", "[metrics][memorization]") {
    const codelength::generic_compressed_sizes sizes{9, 21, 60, 13, 17};
    SECTION("one-token document") {
        const document_data d = make_document({3.0}, {2}, {1});
        codelength::memorization_options options;
        options.k_percent = 1.0; // floor(0.01) = 0, raised to 1 token
        options.prefix_tokens = 0;
        const auto m = codelength::measure_document_memorization(d.view(), sizes, options);
        CHECK(m.model_bits_per_byte == 1.5);
        CHECK(m.min_k_percent == Approx(-3.0 * static_cast<double>(ln2)));
        CHECK(m.min_k_plus_plus == -2.0);
        CHECK_FALSE(*m.greedy_extractable); // the only suffix token has rank 1
        CHECK(*m.extraction_suffix_tokens == 1);
        CHECK_FALSE(m.reference_bits.has_value());
        CHECK_FALSE(m.adversarial_compression_ratio_tokens.has_value());
    }
    SECTION("prefix at or beyond the document's length: nothing to extract") {
        const document_data d = make_document({1.0, 1.0}, {1, 1});
        codelength::memorization_options options;
        for (const std::int64_t prefix : {2, 3, 100}) {
            options.prefix_tokens = prefix;
            const auto m = codelength::measure_document_memorization(d.view(), sizes, options);
            CHECK_FALSE(m.greedy_extractable.has_value());
            CHECK_FALSE(m.extraction_suffix_tokens.has_value());
        }
        CHECK(*codelength::greedy_extractable(std::vector<std::int64_t>{3, 0, 0}, 1));
        CHECK_THROWS_AS(codelength::greedy_extractable(std::vector<std::int64_t>{0}, -1),
                        codelength::invalid_argument_error);
    }
    SECTION("k rounding follows min_k_count: n = 100, k = 29 keeps 28 tokens") {
        std::vector<double> bits(100);
        std::vector<std::int64_t> bytes(100, 1);
        for (std::size_t t = 0; t < bits.size(); ++t) {
            bits[t] = static_cast<double>(t);
        }
        const document_data d = make_document(bits, bytes);
        codelength::memorization_options options;
        options.k_percent = 29.0;
        const auto m = codelength::measure_document_memorization(d.view(), sizes, options);
        // The 28 lowest log-probabilities are -bits for bits 99..72: mean bits 85.5.
        CHECK(m.min_k_percent == Approx(-85.5 * static_cast<double>(ln2)));
    }
    SECTION("a p = 0 token gives infinite bits, not NaN") {
        const document_data d = make_document({1.0, infinity}, {1, 1});
        const auto m = codelength::measure_document_memorization(d.view(), sizes);
        CHECK(m.model_bits == infinity);
        CHECK(m.gain_over_gzip_9.ratio == 0.0);
        CHECK(m.zlib_entropy_over_log_perplexity == 0.0);
        CHECK(m.min_k_percent == -infinity);
    }
    SECTION("invalid inputs") {
        document_data d = make_document({1.0, 1.0}, {0, 0});
        CHECK_THROWS_AS(codelength::measure_document_memorization(d.view(), sizes),
                        codelength::invalid_argument_error); // 0 bytes
        d = make_document({}, {});
        CHECK_THROWS_AS(codelength::measure_document_memorization(d.view(), sizes),
                        codelength::invalid_argument_error); // no tokens
        d = make_document({1.0, 1.0}, {1, 1});
        d.ranks.pop_back();
        CHECK_THROWS_AS(codelength::measure_document_memorization(d.view(), sizes),
                        codelength::invalid_argument_error);
        d = make_document({1.0, std::nan("")}, {1, 1});
        CHECK_THROWS_AS(codelength::measure_document_memorization(d.view(), sizes),
                        codelength::invalid_argument_error);
        d = make_document({1.0, 1.0}, {1, 1});
        codelength::memorization_options options;
        options.prompt_tokens = 0;
        CHECK_THROWS_AS(codelength::measure_document_memorization(d.view(), sizes, options),
                        codelength::invalid_argument_error);
        options.prompt_tokens = std::nullopt;
        options.k_percent = 0.0;
        CHECK_THROWS_AS(codelength::measure_document_memorization(d.view(), sizes, options),
                        codelength::invalid_argument_error);
    }
}

TEST_CASE("memorization: seeded bootstrap of the mean", "[metrics][memorization]") {
    const std::vector<double> values{0.5, 1.5, 2.0, 7.0, -1.0, 3.25, infinity, std::nan("")};
    codelength::bootstrap_options options;
    options.resamples = 2000;
    options.seed = 42;
    INFO("seed " << options.seed);
    const auto got = codelength::bootstrap_mean(values, options);
    REQUIRE(got);
    CHECK(got->count == 6); // the non-finite values are left out

    // Reference: the documented resampling, long double sums, quantiles by the type-7 formula.
    const std::vector<double> finite{0.5, 1.5, 2.0, 7.0, -1.0, 3.25};
    std::mt19937_64 engine(42);
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t limit = max - max % finite.size();
    std::vector<long double> means;
    for (int b = 0; b < 2000; ++b) {
        long double sum = 0.0L;
        for (std::size_t i = 0; i < finite.size(); ++i) {
            std::uint64_t draw = engine();
            while (draw >= limit) {
                draw = engine();
            }
            sum += static_cast<long double>(finite[draw % finite.size()]);
        }
        means.push_back(sum / 6.0L);
    }
    std::sort(means.begin(), means.end());
    const auto quantile = [&](long double q) {
        const long double h = 1999.0L * q;
        const auto low = static_cast<std::size_t>(h);
        return means[low] + (h - static_cast<long double>(low)) * (means[low + 1] - means[low]);
    };
    CHECK(got->mean == Approx(13.25 / 6.0));
    CHECK(got->lower == Approx(static_cast<double>(quantile(0.025L))).epsilon(1e-12));
    CHECK(got->upper == Approx(static_cast<double>(quantile(0.975L))).epsilon(1e-12));
    CHECK(got->lower < got->mean);
    CHECK(got->mean < got->upper);

    // Reproducible for a seed; another seed moves the interval; constants have a zero-width one.
    const auto again = codelength::bootstrap_mean(values, options);
    CHECK(again->lower == got->lower);
    CHECK(again->upper == got->upper);
    options.seed = 43;
    const auto other = codelength::bootstrap_mean(values, options);
    CHECK((other->lower != got->lower || other->upper != got->upper));
    const auto constant = codelength::bootstrap_mean(std::vector<double>{2.0, 2.0, 2.0});
    CHECK(constant->count == 3);
    CHECK(constant->lower == 2.0);
    CHECK(constant->upper == 2.0);
    CHECK_FALSE(codelength::bootstrap_mean(std::vector<double>{infinity}).has_value());
    options.confidence = 1.0;
    CHECK_THROWS_AS(codelength::bootstrap_mean(values, options), codelength::invalid_argument_error);
}

TEST_CASE("memorization: corpus summary", "[metrics][memorization]") {
    const codelength::generic_compressed_sizes sizes{9, 21, 60, 13, 17};
    codelength::memorization_options options;
    options.prefix_tokens = 1;
    options.span_min_bytes = 2;
    std::vector<codelength::document_memorization> documents;
    documents.push_back(codelength::measure_document_memorization(
        make_document({0.0, 0.0, 0.0}, {2, 2, 2}, {0, 0, 0}).view(), sizes, options));
    documents.push_back(codelength::measure_document_memorization(
        make_document({4.0, 8.0, 8.0}, {2, 2, 2}, {0, 1, 0}).view(), sizes, options));
    documents.push_back(
        codelength::measure_document_memorization(make_document({4.0}, {2}).view(), sizes, options));
    const auto summary = codelength::summarize_memorization(documents);
    REQUIRE(summary.size() == 14);
    const auto find = [&](const char* name) {
        for (const auto& s : summary) {
            if (s.metric == name) {
                return s.interval;
            }
        }
        FAIL("no metric " << name);
        return std::optional<codelength::bootstrap_interval>{};
    };
    CHECK(find("model_bits_per_byte")->mean == Approx((0.0 + 20.0 / 6.0 + 2.0) / 3.0));
    CHECK(find("greedy_extractable")->count == 2); // the one-token document has no suffix
    CHECK(find("greedy_extractable")->mean == 0.5);
    CHECK(find("memorized_byte_fraction")->mean == Approx(1.0 / 3.0));
    CHECK_FALSE(find("model_over_reference_bits").has_value());
    CHECK(find("gain_ratio_over_xz_9")->count == 2); // model_bits = 0 gives an infinite ratio
    CHECK(find("gain_ratio_over_brotli_11")->mean == Approx((17.0 * 8 / 20.0 + 17.0 * 8 / 4.0) / 2.0));
}
