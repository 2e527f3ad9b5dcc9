// Memorization record bytes: bit-exact round trips (optionals, spans, NaN payloads, -0.0),
// shards gathered back in document order whatever order they arrive in, refusal of duplicates,
// gaps and every damaged, truncated or foreign input.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "codelength/coding/checksum.hpp"
#include "codelength/core/error.hpp"
#include "codelength/detail/little_endian.hpp"
#include "codelength/metrics/metrics.hpp"
#include "support/catch.hpp"
#include "support/serialization.hpp"

namespace {

using test_support::reseal;

using codelength::document_memorization;
using codelength::indexed_document_memorization;
using codelength::memorization_records_from_bytes;
using codelength::memorized_span;

std::uint64_t bits(double x) {
    return std::bit_cast<std::uint64_t>(x);
}

// A double that is sometimes special: NaN with a payload, -0.0, +-inf, a subnormal.
double random_double(std::mt19937_64& random) {
    switch (random() % 12) {
    case 0:
        return std::bit_cast<double>(0x7ff8000000000000ULL | (random() & 0xfffffffffULL)); // NaN payload
    case 1:
        return -0.0;
    case 2:
        return std::numeric_limits<double>::infinity();
    case 3:
        return -std::numeric_limits<double>::infinity();
    case 4:
        return std::numeric_limits<double>::denorm_min() * static_cast<double>(random() % 1000);
    default:
        return std::ldexp(static_cast<double>(random() % 1000000) - 500000.0,
                          static_cast<int>(random() % 40) - 20);
    }
}

std::optional<double> maybe_double(std::mt19937_64& random) {
    return random() % 2 == 0 ? std::nullopt : std::optional<double>(random_double(random));
}

document_memorization random_record(std::mt19937_64& random) {
    document_memorization d;
    d.tokens = static_cast<std::int64_t>(random() % 5000);
    d.bytes = static_cast<std::int64_t>(random() % 20000);
    d.model_bits = random_double(random);
    d.model_bits_per_byte = random_double(random);
    d.mean_surprisal_bits = random_double(random);
    for (auto* gain :
         {&d.gain_over_gzip_9, &d.gain_over_xz_9, &d.gain_over_zstd_19, &d.gain_over_brotli_11}) {
        gain->generic_bits = random_double(random);
        gain->gain_bits = random_double(random);
        gain->ratio = random_double(random);
    }
    d.zlib_entropy_over_log_perplexity = random_double(random);
    d.loss_over_zlib_bytes = random_double(random);
    d.min_k_percent = random_double(random);
    d.min_k_plus_plus = random_double(random);
    d.reference_bits = maybe_double(random);
    d.model_over_reference_bits = maybe_double(random);
    if (random() % 2 == 0) {
        d.extraction_suffix_tokens = static_cast<std::int64_t>(random() % 100);
    }
    switch (random() % 3) {
    case 0:
        d.greedy_extractable = true;
        break;
    case 1:
        d.greedy_extractable = false;
        break;
    default:
        break;
    }
    d.adversarial_compression_ratio_tokens = maybe_double(random);
    d.adversarial_compression_ratio_bits = maybe_double(random);
    const std::size_t spans = random() % 4;
    for (std::size_t i = 0; i < spans; ++i) {
        memorized_span span;
        span.token_begin = static_cast<std::int64_t>(random() % 100);
        span.token_end = span.token_begin + static_cast<std::int64_t>(random() % 100);
        span.byte_begin = static_cast<std::int64_t>(random() % 400);
        span.byte_end = span.byte_begin + static_cast<std::int64_t>(random() % 400);
        span.model_bits = random_double(random);
        span.model_bits_per_byte = random_double(random);
        span.generic_bits = maybe_double(random);
        d.memorized_spans.push_back(span);
        d.memorized_bytes += span.byte_end - span.byte_begin;
    }
    return d;
}

// Every field equal, doubles bit for bit, optionals set alike.
bool same_record(const document_memorization& a, const document_memorization& b) {
    const auto same_optional = [](const std::optional<double>& x, const std::optional<double>& y) {
        return x.has_value() == y.has_value() && (!x || bits(*x) == bits(*y));
    };
    const auto same_gain = [](const codelength::compression_gain& x, const codelength::compression_gain& y) {
        return bits(x.generic_bits) == bits(y.generic_bits) && bits(x.gain_bits) == bits(y.gain_bits) &&
               bits(x.ratio) == bits(y.ratio);
    };
    if (a.memorized_spans.size() != b.memorized_spans.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.memorized_spans.size(); ++i) {
        const memorized_span& x = a.memorized_spans[i];
        const memorized_span& y = b.memorized_spans[i];
        if (x.token_begin != y.token_begin || x.token_end != y.token_end || x.byte_begin != y.byte_begin ||
            x.byte_end != y.byte_end || bits(x.model_bits) != bits(y.model_bits) ||
            bits(x.model_bits_per_byte) != bits(y.model_bits_per_byte) ||
            !same_optional(x.generic_bits, y.generic_bits)) {
            return false;
        }
    }
    return a.tokens == b.tokens && a.bytes == b.bytes && bits(a.model_bits) == bits(b.model_bits) &&
           bits(a.model_bits_per_byte) == bits(b.model_bits_per_byte) &&
           bits(a.mean_surprisal_bits) == bits(b.mean_surprisal_bits) &&
           same_gain(a.gain_over_gzip_9, b.gain_over_gzip_9) &&
           same_gain(a.gain_over_xz_9, b.gain_over_xz_9) &&
           same_gain(a.gain_over_zstd_19, b.gain_over_zstd_19) &&
           same_gain(a.gain_over_brotli_11, b.gain_over_brotli_11) &&
           bits(a.zlib_entropy_over_log_perplexity) == bits(b.zlib_entropy_over_log_perplexity) &&
           bits(a.loss_over_zlib_bytes) == bits(b.loss_over_zlib_bytes) &&
           bits(a.min_k_percent) == bits(b.min_k_percent) &&
           bits(a.min_k_plus_plus) == bits(b.min_k_plus_plus) &&
           same_optional(a.reference_bits, b.reference_bits) &&
           same_optional(a.model_over_reference_bits, b.model_over_reference_bits) &&
           a.extraction_suffix_tokens == b.extraction_suffix_tokens &&
           a.greedy_extractable == b.greedy_extractable &&
           same_optional(a.adversarial_compression_ratio_tokens, b.adversarial_compression_ratio_tokens) &&
           same_optional(a.adversarial_compression_ratio_bits, b.adversarial_compression_ratio_bits) &&
           a.memorized_bytes == b.memorized_bytes;
}

std::vector<document_memorization> random_corpus(std::mt19937_64& random, std::size_t count) {
    std::vector<document_memorization> corpus;
    for (std::size_t i = 0; i < count; ++i) {
        corpus.push_back(random_record(random));
    }
    return corpus;
}

} // namespace

TEST_CASE("memorization bytes: records come back bit for bit, optionals and spans included",
          "[metrics][memorization_bytes]") {
    const std::uint64_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937_64 random(seed);
    const auto corpus = random_corpus(random, 200);
    std::vector<indexed_document_memorization> indexed;
    for (std::size_t i = 0; i < corpus.size(); ++i) {
        indexed.push_back({static_cast<std::int64_t>(3 * i + 1), corpus[i]});
    }
    const auto back = memorization_records_from_bytes(
        codelength::to_bytes(std::span<const indexed_document_memorization>(indexed)));
    REQUIRE(back.size() == corpus.size());
    for (std::size_t i = 0; i < corpus.size(); ++i) {
        INFO("record " << i);
        CHECK(back[i].document_index == indexed[i].document_index);
        CHECK(same_record(back[i].memorization, corpus[i]));
    }
    // A record from measure_document_memorization itself.
    const std::vector<double> surprisal{0.5, 9.0, 0.25, 0.125};
    const std::vector<double> log_p{-0.3, -6.2, -0.2, -0.1};
    const std::vector<double> z{0.1, -2.0, 0.3, 0.4};
    const std::vector<std::int64_t> token_bytes{4, 3, 5, 4};
    const std::vector<std::int64_t> ranks{0, 7, 0, 0};
    codelength::document_tokens tokens;
    tokens.surprisal_bits = surprisal;
    tokens.log_probabilities_nats = log_p;
    tokens.z_scores = z;
    tokens.token_bytes = token_bytes;
    tokens.ranks = ranks;
    codelength::generic_compressed_sizes sizes{20, 22, 40, 25, 18};
    const auto measured = codelength::measure_document_memorization(tokens, sizes);
    const std::vector<document_memorization> shard{measured, corpus[0]};
    const auto shard_back = memorization_records_from_bytes(codelength::to_bytes(std::span(shard), 7));
    REQUIRE(shard_back.size() == 2);
    CHECK(shard_back[0].document_index == 7);
    CHECK(shard_back[1].document_index == 8);
    CHECK(same_record(shard_back[0].memorization, measured));
    const auto none =
        memorization_records_from_bytes(codelength::to_bytes(std::span<const document_memorization>(), 0));
    CHECK(none.empty());
    CHECK_THROWS_AS(codelength::to_bytes(std::span(shard), -1), codelength::invalid_argument_error);
}

TEST_CASE("memorization bytes: shards gathered in any order give the corpus in order and the same summary",
          "[metrics][memorization_bytes]") {
    const std::uint64_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937_64 random(seed);
    auto corpus = random_corpus(random, 120);
    for (auto& d : corpus) { // finite metrics, so the summary has intervals to compare
        d.model_bits_per_byte = static_cast<double>(random() % 1000) / 97.0;
        d.gain_over_gzip_9.ratio = static_cast<double>(random() % 1000) / 89.0;
    }
    const auto summary = codelength::summarize_memorization(corpus);
    for (int trial = 0; trial < 50; ++trial) {
        const auto cuts = test_support::random_cuts(random, corpus.size(), 9);
        std::vector<std::vector<std::uint8_t>> shards;
        for (std::size_t s = 0; s + 1 < cuts.size(); ++s) {
            const auto part = std::span(corpus).subspan(cuts[s], cuts[s + 1] - cuts[s]);
            shards.push_back(codelength::to_bytes(part, static_cast<std::int64_t>(cuts[s])));
        }
        std::shuffle(shards.begin(), shards.end(), random);
        std::vector<indexed_document_memorization> gathered;
        for (const auto& shard : shards) {
            for (auto& record : memorization_records_from_bytes(shard)) {
                gathered.push_back(std::move(record));
            }
        }
        INFO("trial " << trial << ", " << shards.size() << " shards");
        const auto ordered =
            codelength::gather_in_document_order(gathered, static_cast<std::int64_t>(corpus.size()));
        REQUIRE(ordered.size() == corpus.size());
        for (std::size_t i = 0; i < corpus.size(); ++i) {
            REQUIRE(same_record(ordered[i], corpus[i]));
        }
        const auto again = codelength::summarize_memorization(ordered);
        REQUIRE(again.size() == summary.size());
        for (std::size_t m = 0; m < summary.size(); ++m) {
            INFO(summary[m].metric);
            REQUIRE(again[m].interval.has_value() == summary[m].interval.has_value());
            if (summary[m].interval) {
                CHECK(bits(again[m].interval->mean) == bits(summary[m].interval->mean));
                CHECK(bits(again[m].interval->lower) == bits(summary[m].interval->lower));
                CHECK(bits(again[m].interval->upper) == bits(summary[m].interval->upper));
            }
        }
    }
}

TEST_CASE("memorization bytes: gathering refuses duplicates, gaps and documents beyond the count",
          "[metrics][memorization_bytes]") {
    std::mt19937_64 random(0x5eedd0c5ULL);
    const auto make = [&](std::vector<std::int64_t> indices) {
        std::vector<indexed_document_memorization> records;
        for (const auto i : indices) {
            records.push_back({i, random_record(random)});
        }
        return records;
    };
    CHECK(codelength::gather_in_document_order(make({2, 0, 1})).size() == 3);
    CHECK(codelength::gather_in_document_order({}).empty());
    CHECK_THROWS_WITH(codelength::gather_in_document_order(make({0, 2, 1, 2})),
                      "gather_in_document_order: document 2 appears twice");
    CHECK_THROWS_WITH(codelength::gather_in_document_order(make({0, 3, 1})),
                      "gather_in_document_order: document 2 is missing");
    CHECK_THROWS_WITH(codelength::gather_in_document_order(make({0, 1}), 3),
                      "gather_in_document_order: document 2 is missing");
    CHECK_THROWS_WITH(codelength::gather_in_document_order(make({0, 1, 2}), 2),
                      "gather_in_document_order: document 2 is beyond the 2 documents");
    std::vector<indexed_document_memorization> negative = make({-1});
    CHECK_THROWS_AS(codelength::to_bytes(std::span<const indexed_document_memorization>(negative)),
                    codelength::invalid_argument_error);
}

TEST_CASE("memorization bytes: every single-byte corruption and every truncation is refused",
          "[metrics][memorization_bytes]") {
    std::mt19937_64 random(0x5eedd0c6ULL);
    auto corpus = random_corpus(random, 3);
    corpus[1].memorized_spans.push_back({1, 2, 3, 4, 0.5, 0.125, 9.0});
    corpus[2].greedy_extractable = true;
    corpus[2].extraction_suffix_tokens = 5;
    for (const auto& records : {corpus, std::vector<document_memorization>{}}) {
        const auto bytes = codelength::to_bytes(std::span(records), 40);
        test_support::check_every_corruption_refused(
            bytes, [](auto b) { return memorization_records_from_bytes(b); });
        auto longer = bytes;
        longer.insert(longer.end(), {0, 0});
        CHECK_THROWS_WITH(memorization_records_from_bytes(longer),
                          "memorization bytes: offset " + std::to_string(bytes.size()) +
                              ": 2 trailing bytes after the records");
    }
    const auto bytes = codelength::to_bytes(std::span(corpus), 0);
    CHECK(std::equal(bytes.begin(), bytes.begin() + 4, codelength::memorization_bytes_magic.begin()));
    CHECK_THROWS_WITH(memorization_records_from_bytes(codelength::to_bytes(codelength::code_length_ledger{})),
                      "memorization bytes: offset 2: not memorization records (the magic is not \"CLDM\")");
    auto future = bytes;
    future.at(4) = 7;
    reseal(future);
    CHECK_THROWS_WITH(memorization_records_from_bytes(future),
                      "memorization bytes: offset 4: format version 7 is not supported (this build reads 1)");
    // A record count the bytes cannot hold is refused before anything is allocated.
    auto huge = bytes;
    codelength::detail::store_le(huge.data() + 5, 1ULL << 60U, 8);
    reseal(huge);
    CHECK_THROWS_WITH(
        memorization_records_from_bytes(huge),
        Catch::Contains("memorization bytes: offset 5: records 1152921504606846976 do not fit in the"));
    // A negative token count in the first record (at 5 + 8 + 8), resealed.
    auto negative = bytes;
    codelength::detail::store_le(negative.data() + 21, static_cast<std::uint64_t>(-4), 8);
    reseal(negative);
    CHECK_THROWS_WITH(memorization_records_from_bytes(negative),
                      "memorization bytes: offset 21: tokens is negative: -4");
}
