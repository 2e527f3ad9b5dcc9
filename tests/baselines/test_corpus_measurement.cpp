// What `codelength measure` and `codelength memorization` compute per input, as the library
// now offers it: measure_compression (round trip, baselines, totals), the byte model names, and
// the corpus memorization records (boundaries, the row kernel per target, one record a document).
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "support/catch.hpp"

#ifndef CODELENGTH_TEST_WITHOUT_BASELINES

#include "codelength/baselines/compression_measurement.hpp"
#include "codelength/baselines/corpus_memorization.hpp"
#include "codelength/compress/byte_model_names.hpp"
#include "codelength/metrics/memorization_summary.hpp"

namespace {

std::vector<std::uint8_t> text_bytes(std::size_t size, std::uint32_t seed) {
    const std::string words[] = {"the ", "cat ", "sat ", "on ", "a ", "mat\n"};
    std::mt19937 engine(seed);
    std::vector<std::uint8_t> out;
    while (out.size() < size) {
        const std::string& w = words[engine() % 6];
        out.insert(out.end(), w.begin(), w.end());
    }
    out.resize(size);
    return out;
}

} // namespace

TEST_CASE("byte model names: every kind round-trips, others are refused", "[corpus_measurement]") {
    for (const auto kind : {codelength::byte_model_kind::cm, codelength::byte_model_kind::ppm,
                            codelength::byte_model_kind::order0}) {
        CHECK(codelength::byte_model_named(codelength::byte_model_name(kind)) == kind);
    }
    CHECK(codelength::byte_model_named("ppm") == codelength::byte_model_kind::ppm);
    CHECK_FALSE(codelength::byte_model_named("CM").has_value());
    CHECK_FALSE(codelength::byte_model_named("").has_value());
}

TEST_CASE("measure_compression: the compressed size, ideal bits and baselines of one input",
          "[corpus_measurement]") {
    const std::vector<std::uint8_t> input = text_bytes(20000, 3);
    codelength::compression_options options;
    options.model = codelength::byte_model_kind::ppm;
    options.memory_mib = 8;
    std::vector<std::string> phases;
    const auto m =
        codelength::measure_compression(input, options, "input", [&](const char* phase, auto, auto) {
            if (phases.empty() || phases.back() != phase) {
                phases.emplace_back(phase);
            }
        });
    const auto packed = codelength::compress_bytes(input, options);
    CHECK(phases == std::vector<std::string>{"compress", "verify", "baselines"});
    CHECK(m.bytes == input.size());
    CHECK(m.coded_bytes == packed.bytes.size());
    CHECK(m.ideal_bits == packed.ideal_bits);
    CHECK(m.header_bytes == codelength::byte_codec_header_bytes);
    CHECK(m.baselines.xz_9 == codelength::xz_9_bytes(input));
    CHECK(m.baselines.brotli_11 == codelength::brotli_11_bytes(input));
    CHECK(*m.coded_bits_per_byte() == 8.0 * static_cast<double>(packed.bytes.size()) / 20000.0);
    CHECK(codelength::announced_original_bytes(packed.bytes) == input.size());
    CHECK(codelength::announced_original_bytes(std::span(packed.bytes).first(10)) == 10);
    codelength::compression_measurement total = m;
    total += m;
    CHECK(total.bytes == 40000);
    CHECK(total.baselines.gzip_9 == 2 * m.baselines.gzip_9);
    CHECK(*total.ideal_bits_per_byte() == Catch::Approx(*m.ideal_bits_per_byte()));
    const auto empty = codelength::measure_compression({}, options);
    CHECK_FALSE(empty.ideal_bits_per_byte().has_value());
    CHECK_FALSE(empty.mb_per_second(0.0).has_value());
    options.memory_mib = 0;
    CHECK_THROWS_AS(codelength::measure_compression(input, options), codelength::invalid_argument_error);
}

TEST_CASE("document_boundaries: starts, optional end, and refusals naming the input",
          "[corpus_measurement]") {
    CHECK(codelength::document_boundaries(std::vector<std::int64_t>{0, 3}, 5, "offsets") ==
          std::vector<std::int64_t>{0, 3, 5});
    CHECK(codelength::document_boundaries(std::vector<std::int64_t>{0, 3, 5}, 5, "offsets") ==
          std::vector<std::int64_t>{0, 3, 5});
    CHECK(codelength::document_boundaries(std::vector<std::int64_t>{2}, 5, "offsets") ==
          std::vector<std::int64_t>{2, 5});
    CHECK_THROWS_WITH(codelength::document_boundaries(std::vector<std::int64_t>{}, 5, "offsets"),
                      Catch::Contains("offsets: no documents"));
    CHECK_THROWS_WITH(codelength::document_boundaries(std::vector<std::int64_t>{0, 6}, 5, "offsets"),
                      Catch::Contains("offsets: element 1 is 6, outside [0, 5]"));
    CHECK_THROWS_WITH(codelength::document_boundaries(std::vector<std::int64_t>{0, 3, 3}, 5, "offsets"),
                      Catch::Contains("not greater than element 1"));
    CHECK_THROWS_WITH(codelength::document_boundaries(std::vector<std::int64_t>{5}, 5, "offsets"),
                      Catch::Contains("the only offset is the end"));
    CHECK(*codelength::uniform_prompt_bits(3, 8) == 9.0);
    CHECK_FALSE(codelength::uniform_prompt_bits(3, 1).has_value());
}

TEST_CASE("measure_corpus_memorization: one record per document, equal to the per-document metric",
          "[corpus_measurement]") {
    constexpr std::int64_t rows = 40;
    constexpr std::int64_t vocabulary = 7;
    std::mt19937 engine(41);
    std::normal_distribution<float> normal;
    std::vector<float> logits(static_cast<std::size_t>(rows * vocabulary));
    for (float& x : logits) {
        x = normal(engine);
    }
    std::vector<std::int64_t> targets(static_cast<std::size_t>(rows));
    std::vector<std::int64_t> token_bytes(static_cast<std::size_t>(rows));
    for (std::size_t t = 0; t < targets.size(); ++t) {
        targets[t] = static_cast<std::int64_t>(engine() % vocabulary);
        token_bytes[t] = 1 + static_cast<std::int64_t>(engine() % 3);
    }
    const auto view = codelength::matrix_view<float>::row_major(logits.data(), rows, vocabulary);
    codelength::teacher_forced_tokens model;
    model.resize(targets.size());
    // Two calls over the two halves fill the same values as the kernel over all rows.
    const auto half = view.rows / 2;
    auto first = view;
    first.rows = half;
    auto second = view;
    second.data = view.data + half * view.row_stride;
    second.rows = view.rows - half;
    codelength::evaluate_teacher_forced(first, std::span(targets).first(static_cast<std::size_t>(half)),
                                        model, 0);
    codelength::evaluate_teacher_forced(second, std::span(targets).subspan(static_cast<std::size_t>(half)),
                                        model, half);
    std::vector<codelength::row_statistics> stats(targets.size());
    codelength::evaluate_rows(view, targets, stats);
    for (std::size_t t = 0; t < targets.size(); ++t) {
        CHECK(model.surprisal_bits[t] == stats[t].target_surprisal_bits());
        CHECK(model.ranks[t] == stats[t].target_rank);
    }

    std::int64_t total_bytes = 0;
    for (const auto b : token_bytes) {
        total_bytes += b;
    }
    const std::vector<std::uint8_t> text = text_bytes(static_cast<std::size_t>(total_bytes), 5);
    const std::vector<std::int64_t> bounds =
        codelength::document_boundaries(std::vector<std::int64_t>{0, 15}, rows, "o");
    codelength::memorization_options options;
    options.prefix_tokens = 4;
    const auto records =
        codelength::measure_corpus_memorization(model, {}, token_bytes, bounds, text, options);
    REQUIRE(records.size() == 2);
    CHECK(records[1].token_begin == 15);
    // The progress callback sees each document once, in order, and changes no record.
    std::vector<std::pair<std::size_t, std::size_t>> calls;
    const auto watched = codelength::measure_corpus_memorization(
        model, {}, token_bytes, bounds, text, options, {},
        [&](std::size_t done, std::size_t documents) { calls.emplace_back(done, documents); });
    CHECK(calls == std::vector<std::pair<std::size_t, std::size_t>>{{1, 2}, {2, 2}});
    REQUIRE(watched.size() == 2);
    CHECK(watched[1].metrics.model_bits_per_byte == records[1].metrics.model_bits_per_byte);
    CHECK(watched[1].byte_begin == records[1].byte_begin);
    std::int64_t first_bytes = 0;
    for (std::size_t t = 0; t < 15; ++t) {
        first_bytes += token_bytes[t];
    }
    CHECK(records[1].byte_begin == first_bytes);
    CHECK(records[1].metrics.tokens == 25);
    CHECK(records[1].metrics.bytes == total_bytes - first_bytes);
    const auto second_text = std::span(text).subspan(static_cast<std::size_t>(first_bytes));
    CHECK(records[1].sizes.xz_9 == codelength::xz_9_bytes(second_text));
    CHECK(records[1].sizes.brotli_11 == codelength::brotli_11_bytes(second_text));
    const auto fields = codelength::memorization_record_fields(records[1]);
    CHECK(std::string(fields.front().name) == "document");
    CHECK(std::string(fields.back().name) == "greedy_extractable");
    CHECK(fields.size() == 33);

    CHECK_THROWS_WITH(codelength::measure_corpus_memorization(
                          model, {}, token_bytes, bounds, std::span(text).first(text.size() - 1), options),
                      Catch::Contains("text has"));
    std::vector<std::int64_t> silent = token_bytes;
    for (std::size_t t = 0; t < 15; ++t) {
        silent[t] = 0;
    }
    CHECK_THROWS_WITH(codelength::measure_corpus_memorization(
                          model, {}, silent, bounds,
                          std::span(text).subspan(static_cast<std::size_t>(first_bytes)), options),
                      Catch::Contains("document 0") && Catch::Contains("spells 0 bytes"));
}

TEST_CASE("measure_corpus_memorization: threads give the records and the error of one thread",
          "[corpus_measurement]") {
    // 60 documents of 1-40 tokens with reference bits; each record must equal the one-thread
    // record field by field, whatever the thread count.
    constexpr std::int64_t rows = 1200;
    std::mt19937 engine(7);
    codelength::teacher_forced_tokens model;
    model.resize(static_cast<std::size_t>(rows));
    std::vector<double> reference(static_cast<std::size_t>(rows));
    std::vector<std::int64_t> token_bytes(static_cast<std::size_t>(rows));
    std::int64_t total_bytes = 0;
    for (std::size_t t = 0; t < token_bytes.size(); ++t) {
        model.surprisal_bits[t] = static_cast<double>(engine() % 4000) / 100.0;
        model.log_probabilities_nats[t] = -model.surprisal_bits[t] * std::log(2.0);
        model.z_scores[t] = static_cast<double>(engine() % 600) / 100.0 - 3.0;
        model.ranks[t] = static_cast<std::int64_t>(engine() % 50);
        reference[t] = static_cast<double>(engine() % 4000) / 100.0;
        token_bytes[t] = 1 + static_cast<std::int64_t>(engine() % 4);
        total_bytes += token_bytes[t];
    }
    std::vector<std::int64_t> offsets{0};
    while (offsets.back() < rows - 40) {
        offsets.push_back(offsets.back() + 1 + static_cast<std::int64_t>(engine() % 40));
    }
    const std::vector<std::int64_t> bounds = codelength::document_boundaries(offsets, rows, "o");
    REQUIRE(bounds.size() > 42);
    const std::vector<std::uint8_t> text = text_bytes(static_cast<std::size_t>(total_bytes), 9);
    codelength::memorization_options options;
    options.prefix_tokens = 3;
    options.span_min_bytes = 8;
    const auto one =
        codelength::measure_corpus_memorization(model, reference, token_bytes, bounds, text, options);
    REQUIRE(one.size() == bounds.size() - 1);
    for (const unsigned threads : {2U, 3U, 0U}) {
        INFO(threads << " threads");
        std::vector<std::size_t> done;
        const auto many = codelength::measure_corpus_memorization(
            model, reference, token_bytes, bounds, text, options, {},
            [&](std::size_t d, std::size_t documents) {
                CHECK(documents == one.size());
                done.push_back(d);
            },
            threads);
        REQUIRE(many.size() == one.size());
        // The progress callback counts every document once, in increasing order.
        std::vector<std::size_t> expected(one.size());
        std::iota(expected.begin(), expected.end(), std::size_t{1});
        CHECK(done == expected);
        for (std::size_t d = 0; d < one.size(); ++d) {
            const auto a = codelength::memorization_record_fields(one[d]);
            const auto b = codelength::memorization_record_fields(many[d]);
            REQUIRE(a.size() == b.size());
            for (std::size_t f = 0; f < a.size(); ++f) {
                INFO("document " << d << ", " << a[f].name);
                CHECK(a[f].value.has_value() == b[f].value.has_value());
                if (a[f].value && b[f].value) {
                    CHECK(
                        (*a[f].value == *b[f].value || (std::isnan(*a[f].value) && std::isnan(*b[f].value))));
                }
            }
            CHECK(one[d].metrics.memorized_spans.size() == many[d].metrics.memorized_spans.size());
        }
    }
    // Documents 5 and 40 spell 0 bytes (the text shrinks to match): every thread count names 5.
    std::vector<std::int64_t> silent = token_bytes;
    std::int64_t removed = 0;
    for (const std::size_t d : {5U, 40U}) {
        for (auto t = bounds[d]; t < bounds[d + 1]; ++t) {
            removed += silent[static_cast<std::size_t>(t)];
            silent[static_cast<std::size_t>(t)] = 0;
        }
    }
    const auto shorter = std::span(text).first(text.size() - static_cast<std::size_t>(removed));
    for (const unsigned threads : {1U, 2U, 3U}) {
        INFO(threads << " threads");
        CHECK_THROWS_WITH(codelength::measure_corpus_memorization(model, reference, silent, bounds, shorter,
                                                                  options, {}, {}, threads),
                          Catch::Contains("document 5 ") && Catch::Contains("spells 0 bytes"));
    }
}

#endif
