// `codelength memorization`: per-document memorization evidence from teacher-forced logits
// (.npy) and the documents' text — model bits next to zlib/gzip/xz/zstd, both zlib conventions,
// Min-K%, Min-K%++, reference ratio, greedy extractability, memorized spans, adversarial
// compression ratio — and a corpus summary with bootstrap intervals.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "byte_files.hpp"
#include "codelength/baselines/document_compression.hpp"
#include "codelength/codelength.hpp"
#include "codelength/io/io.hpp"
#include "codelength/metrics/memorization.hpp"
#include "codelength/metrics/memorization_summary.hpp"
#include "json_writer.hpp"
#include "npy_inputs.hpp"

namespace codelength::cli {

inline constexpr const char* memorization_usage =
    "usage: codelength memorization --logits L.npy --targets T.npy --doc-offsets D.npy --text FILE\n"
    "                               --token-bytes B.npy [options]\n"
    "\n"
    "Row t of the logits predicts targets[t] (teacher forcing; shapes (T, V) with (T), or (B, T, V)\n"
    "with (B, T), read in row-major order). Every target must be >= 0. --doc-offsets holds the target\n"
    "index where each document starts (increasing), optionally followed by the end (T otherwise).\n"
    "--token-bytes holds each target's UTF-8 byte count: a document's bytes are the next\n"
    "sum(token-bytes) bytes of FILE, so FILE must have exactly as many bytes as the targets up to\n"
    "the last document's end. One record per document and a summary (mean with a percentile\n"
    "bootstrap interval) per metric; --csv prints the documents, a blank line, then the summary.\n"
    "\n";

inline arguments memorization_arguments() {
    arguments args;
    args.option("logits", "FILE",
                "teacher-forced logits, shape (T, V) or (B, T, V); f4, f8, f2, u2 or i2 (bfloat16)")
        .option("targets", "FILE", "target token ids, shape (T) or (B, T)")
        .option("doc-offsets", "FILE",
                "1-D integer array: start of each document (target index), optionally + end")
        .option("text", "FILE", "the documents' bytes, concatenated in order")
        .option("token-bytes", "FILE", "UTF-8 bytes of each target, same shape as the targets")
        .option("reference-logits", "FILE",
                "a reference model's logits for the same targets: adds model/reference ratio")
        .option("prefix", "N", "greedy extractability with a prefix of N tokens")
        .option("k", "PERCENT", "percentage for Min-K% and Min-K%++ (default 20)")
        .option("prompt-tokens", "N",
                "adversarial compression ratio for a prompt of this many tokens "
                "(prompt bits = tokens * log2 V)")
        .option("span-bits-per-byte", "BITS",
                "memorized spans: highest model bits/byte of a token (default 0.5)")
        .option("span-min-bytes", "BYTES", "memorized spans: shortest span in bytes (default 32)")
        .option("span-generic-ratio", "RATIO",
                "memorized spans: zlib bits of the span >= this * model bits (default 2)")
        .option("resamples", "N", "bootstrap resamples (default 1000)")
        .option("confidence", "FRACTION", "bootstrap interval's confidence (default 0.95)")
        .option("seed", "N", "bootstrap seed (default 20261128)")
        .option("threads", "N", "threads for the row kernel (default 1, 0 = all cores)")
        .flag("json", "print one JSON object")
        .flag("csv", "print CSV")
        .flag("help", "show this help", 'h');
    return args;
}

namespace detail {

// Per-target values of every row: surprisal, ln p, Min-K%++ z and rank.
struct teacher_forced_tokens {
    std::vector<double> surprisal_bits;
    std::vector<double> log_probabilities_nats;
    std::vector<double> z_scores;
    std::vector<std::int64_t> ranks;
};

// Runs the row kernel over all rows of `logits` (block by block) against `targets`.
inline teacher_forced_tokens
evaluate_teacher_forced(const npy_array& logits, const std::vector<std::int64_t>& targets, unsigned threads) {
    teacher_forced_tokens out;
    const std::size_t n = targets.size();
    out.surprisal_bits.resize(n);
    out.log_probabilities_nats.resize(n);
    out.z_scores.resize(n);
    out.ranks.resize(n);
    try {
        visit_logits_matrix(logits, [&](auto view) {
            constexpr std::int64_t block_rows = 4096;
            std::vector<row_statistics> block(
                static_cast<std::size_t>(std::min<std::int64_t>(block_rows, view.rows)));
            for (std::int64_t begin = 0; begin < view.rows; begin += block_rows) {
                const std::int64_t count = std::min(block_rows, view.rows - begin);
                auto part = view;
                part.data = view.data + begin * view.row_stride;
                part.rows = count;
                const std::span<row_statistics> stats(block.data(), static_cast<std::size_t>(count));
                evaluate_rows(part,
                              std::span<const std::int64_t>(targets).subspan(static_cast<std::size_t>(begin),
                                                                             static_cast<std::size_t>(count)),
                              stats, row_evaluation_options{threads, kernel_choice::automatic}, begin);
                for (std::int64_t i = 0; i < count; ++i) {
                    const row_statistics& s = stats[static_cast<std::size_t>(i)];
                    const auto t = static_cast<std::size_t>(begin + i);
                    out.surprisal_bits[t] = s.target_surprisal_bits();
                    out.log_probabilities_nats[t] = s.target_log_probability_nats;
                    out.z_scores[t] = min_k_plus_plus_z_score(s);
                    out.ranks[t] = s.target_rank;
                }
            }
        });
    } catch (const invalid_row_error& e) {
        throw invalid_argument_error(logits.path().string() + ": " + e.what());
    } catch (const target_out_of_range_error& e) {
        throw invalid_argument_error(logits.path().string() + ": " + e.what());
    }
    return out;
}

// The document boundaries [starts[d], starts[d + 1]) from --doc-offsets (see the usage text).
inline std::vector<std::int64_t> document_boundaries(const npy_array& offsets, std::int64_t targets) {
    const std::string name = offsets.path().string();
    if (offsets.shape().size() != 1) {
        throw invalid_argument_error(name + ": doc-offsets must be 1-D, not " +
                                     npy_shape_string(offsets.shape()));
    }
    std::vector<std::int64_t> bounds = offsets.to_int64();
    if (bounds.empty()) {
        throw invalid_argument_error(name + ": no documents");
    }
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (bounds[i] < 0 || bounds[i] > targets) {
            throw invalid_argument_error(name + ": element " + std::to_string(i) + " is " +
                                         std::to_string(bounds[i]) + ", outside [0, " +
                                         std::to_string(targets) + "]");
        }
        if (i > 0 && bounds[i] <= bounds[i - 1]) {
            throw invalid_argument_error(name + ": element " + std::to_string(i) + " (" +
                                         std::to_string(bounds[i]) + ") is not greater than element " +
                                         std::to_string(i - 1) + " (" + std::to_string(bounds[i - 1]) +
                                         "): documents must be non-empty and in order");
        }
    }
    if (bounds.back() != targets) {
        bounds.push_back(targets); // the last document runs to the end of the targets
    }
    if (bounds.size() < 2) {
        throw invalid_argument_error(name + ": no documents (the only offset is the end, " +
                                     std::to_string(targets) + ")");
    }
    return bounds;
}

inline std::optional<double> as_optional(std::optional<std::int64_t> value) {
    return value ? std::optional<double>(static_cast<double>(*value)) : std::nullopt;
}
inline std::optional<double> as_optional(std::optional<bool> value) {
    return value ? std::optional<double>(*value ? 1.0 : 0.0) : std::nullopt;
}

// `object` with one more member whose value is raw JSON text (json_object has no arrays).
inline std::string with_raw_member(const json_object& object, const std::string& key,
                                   const std::string& raw) {
    std::string text = object.str();
    text.pop_back(); // the closing brace
    return text + (text.size() > 1 ? ", " : "") + json_object::quote(key) + ": " + raw + "}";
}

// One document's record: its position, every metric, and (JSON) its spans.
struct memorization_record {
    std::int64_t document = 0;
    std::int64_t token_begin = 0;
    std::int64_t byte_begin = 0;
    generic_compressed_sizes sizes;
    document_memorization metrics;
};

// The scalar columns of a record, in output order (std::nullopt prints as null / empty).
inline std::vector<std::pair<std::string, std::optional<double>>>
record_columns(const memorization_record& r) {
    const document_memorization& m = r.metrics;
    const auto d = [](double v) { return std::optional<double>(v); };
    const auto i = [](std::int64_t v) { return std::optional<double>(static_cast<double>(v)); };
    return {
        {"document", i(r.document)},
        {"token_begin", i(r.token_begin)},
        {"tokens", i(m.tokens)},
        {"byte_begin", i(r.byte_begin)},
        {"bytes", i(m.bytes)},
        {"model_bits", d(m.model_bits)},
        {"model_bits_per_byte", d(m.model_bits_per_byte)},
        {"mean_surprisal_bits", d(m.mean_surprisal_bits)},
        {"zlib_bytes", i(static_cast<std::int64_t>(r.sizes.zlib_default))},
        {"gzip_9_bytes", i(static_cast<std::int64_t>(r.sizes.gzip_9))},
        {"xz_9_bytes", i(static_cast<std::int64_t>(r.sizes.xz_9))},
        {"zstd_19_bytes", i(static_cast<std::int64_t>(r.sizes.zstd_19))},
        {"gain_bits_over_gzip_9", d(m.gain_over_gzip_9.gain_bits)},
        {"gain_ratio_over_gzip_9", d(m.gain_over_gzip_9.ratio)},
        {"gain_bits_over_xz_9", d(m.gain_over_xz_9.gain_bits)},
        {"gain_ratio_over_xz_9", d(m.gain_over_xz_9.ratio)},
        {"gain_bits_over_zstd_19", d(m.gain_over_zstd_19.gain_bits)},
        {"gain_ratio_over_zstd_19", d(m.gain_over_zstd_19.ratio)},
        {"zlib_entropy_over_log_perplexity", d(m.zlib_entropy_over_log_perplexity)},
        {"loss_over_zlib_bytes", d(m.loss_over_zlib_bytes)},
        {"min_k_percent", d(m.min_k_percent)},
        {"min_k_plus_plus", d(m.min_k_plus_plus)},
        {"reference_bits", m.reference_bits},
        {"model_over_reference_bits", m.model_over_reference_bits},
        {"extraction_suffix_tokens", as_optional(m.extraction_suffix_tokens)},
        {"adversarial_compression_ratio_tokens", m.adversarial_compression_ratio_tokens},
        {"adversarial_compression_ratio_bits", m.adversarial_compression_ratio_bits},
        {"memorized_spans", i(static_cast<std::int64_t>(m.memorized_spans.size()))},
        {"memorized_bytes", i(m.memorized_bytes)},
    };
}

inline std::string record_json(const memorization_record& r) {
    json_object object;
    for (const auto& [key, value] : record_columns(r)) {
        if (key == "memorized_spans") {
            continue; // the array below
        }
        const bool integral = key == "document" || key == "token_begin" || key == "tokens" ||
                              key == "byte_begin" || key == "bytes" || key == "zlib_bytes" ||
                              key == "gzip_9_bytes" || key == "xz_9_bytes" || key == "zstd_19_bytes" ||
                              key == "memorized_bytes" || key == "extraction_suffix_tokens";
        if (integral && value) {
            object.add(key, static_cast<std::int64_t>(*value));
        } else {
            object.add(key, value);
        }
    }
    if (r.metrics.greedy_extractable) {
        object.add("greedy_extractable", *r.metrics.greedy_extractable);
    } else {
        object.add("greedy_extractable", std::optional<double>());
    }
    std::string spans = "[";
    for (const memorized_span& s : r.metrics.memorized_spans) {
        json_object span;
        span.add("byte_begin", s.byte_begin)
            .add("byte_end", s.byte_end)
            .add("token_begin", s.token_begin)
            .add("token_end", s.token_end)
            .add("model_bits", s.model_bits)
            .add("model_bits_per_byte", s.model_bits_per_byte)
            .add("zlib_bits", s.generic_bits);
        spans += (spans.size() > 1 ? ", " : "") + span.str();
    }
    return with_raw_member(object, "memorized_spans", spans + "]");
}

inline std::string csv_value(std::optional<double> value) {
    return value && std::isfinite(*value) ? json_object::format_double(*value) : std::string();
}

} // namespace detail

// Runs `codelength memorization` with argv[first..); returns the exit status.
inline int run_memorization(int argc, char** argv, int first) {
    arguments args = memorization_arguments();
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(memorization_usage)) {
        return 0;
    }
    args.reject_positional();
    if (args.has("json") && args.has("csv")) {
        throw usage_error("--json and --csv exclude each other");
    }
    memorization_options options;
    options.k_percent = args.number("k", 20.0, 0.0, 100.0);
    if (args.has("prefix")) {
        options.prefix_tokens = args.integer("prefix", 0, 0, INT64_MAX);
    }
    if (args.has("prompt-tokens")) {
        options.prompt_tokens = args.integer("prompt-tokens", 1, 1, INT64_MAX);
    }
    options.span_max_bits_per_byte = args.number("span-bits-per-byte", 0.5, 0.0, 1e9);
    options.span_min_bytes = args.integer("span-min-bytes", 32, 1, INT64_MAX);
    options.span_min_generic_ratio = args.number("span-generic-ratio", 2.0, 0.0, 1e9);
    bootstrap_options bootstrap;
    bootstrap.resamples = args.integer("resamples", 1000, 1, 100000000);
    bootstrap.confidence = args.number("confidence", 0.95, 0.0, 0.999999);
    bootstrap.seed = static_cast<std::uint64_t>(args.integer("seed", 20261128, 0, INT64_MAX));
    const auto threads = static_cast<unsigned>(args.integer("threads", 1, 0, 1024));

    check_stdin_named_once({args.required("logits"), args.required("targets"), args.required("token-bytes"),
                            args.required("doc-offsets"), args.get("reference-logits").value_or("")});
    const npy_array logits = read_npy_input(args.required("logits"));
    const npy_array targets_array = read_npy_input(args.required("targets"));
    check_logits_targets_shapes(logits, targets_array);
    const std::vector<std::int64_t> targets = targets_array.to_int64();
    for (std::size_t t = 0; t < targets.size(); ++t) {
        if (targets[t] < 0) {
            throw invalid_argument_error(
                targets_array.path().string() + ": " +
                position_name(targets_array.shape(), static_cast<std::int64_t>(t), "element") + " is " +
                std::to_string(targets[t]) + " (every target of a document is scored; no ignore_index)");
        }
    }
    const npy_array bytes_array = read_npy_input(args.required("token-bytes"));
    if (bytes_array.shape() != targets_array.shape()) {
        throw invalid_argument_error(bytes_array.path().string() + ": shape " +
                                     npy_shape_string(bytes_array.shape()) + " differs from the targets' " +
                                     npy_shape_string(targets_array.shape()));
    }
    const std::vector<std::int64_t> token_bytes = bytes_array.to_int64();
    for (std::size_t t = 0; t < token_bytes.size(); ++t) {
        if (token_bytes[t] < 0) {
            throw invalid_argument_error(
                bytes_array.path().string() + ": " +
                position_name(targets_array.shape(), static_cast<std::int64_t>(t), "element") + " is " +
                std::to_string(token_bytes[t]) + " (byte counts cannot be negative)");
        }
    }
    const std::vector<std::int64_t> bounds = detail::document_boundaries(
        read_npy_input(args.required("doc-offsets")), static_cast<std::int64_t>(targets.size()));
    const std::string text_path = args.required("text");
    const std::vector<std::uint8_t> text = read_whole_input(text_path);
    std::vector<std::int64_t> byte_offsets(targets.size() + 1, 0); // byte_offsets[t] = bytes before target t
    for (std::size_t t = 0; t < targets.size(); ++t) {
        byte_offsets[t + 1] = byte_offsets[t] + token_bytes[t];
    }
    const std::int64_t needed_bytes = byte_offsets[static_cast<std::size_t>(bounds.back())];
    if (needed_bytes != static_cast<std::int64_t>(text.size())) {
        throw invalid_argument_error(text_path + " has " + std::to_string(text.size()) + " bytes but " +
                                     bytes_array.path().string() + " sums to " +
                                     std::to_string(needed_bytes) + " bytes over targets [0, " +
                                     std::to_string(bounds.back()) + ")");
    }
    std::optional<npy_array> reference_logits;
    if (const auto path = args.get("reference-logits")) {
        reference_logits = read_npy_input(*path);
        check_logits_targets_shapes(*reference_logits, targets_array);
    }
    if (options.prompt_tokens) {
        options.prompt_bits = static_cast<double>(*options.prompt_tokens) *
                              std::log2(static_cast<double>(logits.shape().back()));
        if (!(*options.prompt_bits > 0.0)) {
            options.prompt_bits = std::nullopt; // V = 1: a prompt costs no bits, the ratio is undefined
        }
    }

    const detail::teacher_forced_tokens model = detail::evaluate_teacher_forced(logits, targets, threads);
    std::vector<double> reference_bits;
    if (reference_logits) {
        reference_bits = detail::evaluate_teacher_forced(*reference_logits, targets, threads).surprisal_bits;
    }

    std::vector<detail::memorization_record> records;
    records.reserve(bounds.size() - 1);
    for (std::size_t d = 0; d + 1 < bounds.size(); ++d) {
        const auto begin = static_cast<std::size_t>(bounds[d]);
        const std::size_t n = static_cast<std::size_t>(bounds[d + 1]) - begin;
        detail::memorization_record record;
        record.document = static_cast<std::int64_t>(d);
        record.token_begin = bounds[d];
        record.byte_begin = byte_offsets[begin];
        const auto document_text = std::span<const std::uint8_t>(text).subspan(
            static_cast<std::size_t>(record.byte_begin),
            static_cast<std::size_t>(byte_offsets[begin + n] - record.byte_begin));
        if (document_text.empty()) {
            throw invalid_argument_error(bytes_array.path().string() + ": document " + std::to_string(d) +
                                         " (targets [" + std::to_string(begin) + ", " +
                                         std::to_string(begin + n) + ")) spells 0 bytes");
        }
        document_tokens tokens;
        tokens.surprisal_bits = std::span(model.surprisal_bits).subspan(begin, n);
        tokens.log_probabilities_nats = std::span(model.log_probabilities_nats).subspan(begin, n);
        tokens.z_scores = std::span(model.z_scores).subspan(begin, n);
        tokens.ranks = std::span(model.ranks).subspan(begin, n);
        tokens.token_bytes = std::span(token_bytes).subspan(begin, n);
        if (!reference_bits.empty()) {
            tokens.reference_surprisal_bits = std::span(reference_bits).subspan(begin, n);
        }
        record.sizes = measure_generic_sizes(document_text);
        record.metrics =
            measure_document_memorization(tokens, record.sizes, options, zlib_span_bits(document_text));
        records.push_back(std::move(record));
    }
    std::vector<document_memorization> all;
    all.reserve(records.size());
    for (const auto& r : records) {
        all.push_back(r.metrics);
    }
    const std::vector<corpus_metric_summary> summary = summarize_memorization(all, bootstrap);

    if (args.has("json")) {
        std::string documents = "[";
        for (const auto& r : records) {
            documents += (documents.size() > 1 ? ",\n  " : "\n  ") + detail::record_json(r);
        }
        documents += "\n]";
        json_object summary_object;
        for (const auto& s : summary) {
            if (s.interval) {
                json_object interval;
                interval.add("count", s.interval->count)
                    .add("mean", s.interval->mean)
                    .add("lower", s.interval->lower)
                    .add("upper", s.interval->upper);
                summary_object.add_object(s.metric, interval);
            } else {
                summary_object.add(s.metric, std::optional<double>());
            }
        }
        json_object settings;
        settings.add("k_percent", options.k_percent)
            .add("prefix_tokens", detail::as_optional(options.prefix_tokens))
            .add("prompt_tokens", detail::as_optional(options.prompt_tokens))
            .add("prompt_bits", options.prompt_bits)
            .add("span_max_bits_per_byte", options.span_max_bits_per_byte)
            .add("span_min_bytes", options.span_min_bytes)
            .add("span_min_generic_ratio", options.span_min_generic_ratio)
            .add("bootstrap_resamples", bootstrap.resamples)
            .add("bootstrap_confidence", bootstrap.confidence)
            .add("bootstrap_seed", static_cast<std::int64_t>(bootstrap.seed))
            .add("vocabulary_size", logits.shape().back())
            .add_object("summary", summary_object);
        std::printf("%s\n", detail::with_raw_member(settings, "documents", documents).c_str());
        return 0;
    }
    if (args.has("csv")) {
        std::string line;
        for (const auto& [key, value] : detail::record_columns(records.front())) {
            line += key + ",";
        }
        std::printf("%sgreedy_extractable\n", line.c_str());
        for (const auto& r : records) {
            line.clear();
            for (const auto& [key, value] : detail::record_columns(r)) {
                line += detail::csv_value(value) + ",";
            }
            std::printf("%s%s\n", line.c_str(),
                        detail::csv_value(detail::as_optional(r.metrics.greedy_extractable)).c_str());
        }
        std::printf("\nmetric,count,mean,lower,upper\n");
        for (const auto& s : summary) {
            if (s.interval) {
                std::printf("%s,%lld,%s,%s,%s\n", s.metric.c_str(), static_cast<long long>(s.interval->count),
                            json_object::format_double(s.interval->mean).c_str(),
                            json_object::format_double(s.interval->lower).c_str(),
                            json_object::format_double(s.interval->upper).c_str());
            } else {
                std::printf("%s,0,,,\n", s.metric.c_str());
            }
        }
        return 0;
    }
    std::printf("%8s %8s %8s %10s %10s %10s %10s %10s %12s %6s\n", "document", "tokens", "bytes", "bits/byte",
                "xz_ratio", "zlib/lppl", "min_k%", "min_k%++", "extractable", "spans");
    for (const auto& r : records) {
        const document_memorization& m = r.metrics;
        std::printf("%8lld %8lld %8lld %10.4f %10.4f %10.4f %10.4f %10.4f %12s %6zu\n",
                    static_cast<long long>(r.document), static_cast<long long>(m.tokens),
                    static_cast<long long>(m.bytes), m.model_bits_per_byte, m.gain_over_xz_9.ratio,
                    m.zlib_entropy_over_log_perplexity, m.min_k_percent, m.min_k_plus_plus,
                    m.greedy_extractable ? (*m.greedy_extractable ? "yes" : "no") : "n/a",
                    m.memorized_spans.size());
        for (const memorized_span& s : m.memorized_spans) {
            std::printf("%8s span bytes [%lld, %lld) of the document: %.4f bits/byte\n", "",
                        static_cast<long long>(s.byte_begin), static_cast<long long>(s.byte_end),
                        s.model_bits_per_byte);
        }
    }
    std::printf("\n%-38s %6s %12s %12s %12s\n", "summary (bootstrap)", "count", "mean", "lower", "upper");
    for (const auto& s : summary) {
        if (s.interval) {
            std::printf("%-38s %6lld %12.6g %12.6g %12.6g\n", s.metric.c_str(),
                        static_cast<long long>(s.interval->count), s.interval->mean, s.interval->lower,
                        s.interval->upper);
        } else {
            std::printf("%-38s %6d %12s %12s %12s\n", s.metric.c_str(), 0, "n/a", "n/a", "n/a");
        }
    }
    return 0;
}

} // namespace codelength::cli
