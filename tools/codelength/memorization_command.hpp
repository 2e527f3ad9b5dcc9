// `codelength memorization`: per-document memorization evidence from teacher-forced logits
// (.npy) and the documents' text — model bits next to zlib/gzip/xz/zstd, both zlib conventions,
// Min-K%, Min-K%++, reference ratio, greedy extractability, memorized spans, adversarial
// compression ratio — and a corpus summary with bootstrap intervals.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "arguments.hpp"
#include "byte_files.hpp"
#include "codelength/baselines/corpus_memorization.hpp"
#include "codelength/baselines/document_compression.hpp"
#include "codelength/codelength.hpp"
#include "codelength/io/io.hpp"
#include "codelength/metrics/memorization.hpp"
#include "codelength/metrics/memorization_summary.hpp"
#include "json_writer.hpp"
#include "npy_inputs.hpp"
#include "number_format.hpp"

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
    "\n"
    "--manifest FILE measures many shards in one run: each line of FILE names one shard's\n"
    "  LOGITS TARGETS TOKEN_BYTES DOC_OFFSETS TEXT [REFERENCE_LOGITS]\n"
    "(whitespace-separated, as the options of the same names; a path with blanks, quotes or a\n"
    "leading # goes in double quotes, inside which \\\" is a quote and \\\\ a backslash; relative\n"
    "paths are relative to FILE's directory; blank lines and lines starting with # are skipped;\n"
    "REFERENCE_LOGITS on every line or on none). A shard's DOC_OFFSETS index its own targets and\n"
    "its TEXT holds its own documents.\n"
    "The records are those of one run over the shards concatenated in manifest order: documents\n"
    "are numbered across shards, token_begin and byte_begin count from the first shard, and the\n"
    "summary bootstraps over every document. The JSON adds shards, ranks (1) and failed_shards. A\n"
    "shard that cannot be read or measured is reported (paths and error) on stderr and in\n"
    "failed_shards, the other shards still finish, and the exit status is 3; the -o FILE is then\n"
    "not written (the output goes to stdout).\n"
    "\n"
    "A progress line (logits bytes scored, then documents; with --manifest shards and bytes done)\n"
    "is drawn on stderr when it is a terminal and the logits have 1 MiB or more; --progress draws\n"
    "it always (also into a file or pipe), --no-progress never.\n"
    "\n";

// The inputs and per-document options shared by `memorization` and `report`.
inline arguments& add_memorization_inputs(arguments& args) {
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
                "memorized spans: zlib bits of the span >= this * model bits (default 2)");
    return args;
}

inline arguments memorization_arguments() {
    arguments args;
    add_memorization_inputs(args)
        .option("resamples", "N", "bootstrap resamples (default 1000)")
        .option("confidence", "FRACTION", "bootstrap interval's confidence (default 0.95)")
        .option("seed", "N", "bootstrap seed (default 20261128)")
        .option("threads", "N",
                "threads for the row kernel and the documents' compressors (default 1, 0 = all cores)")
        .flag("json", "print one JSON object")
        .flag("csv", "print CSV")
        .option("manifest", "FILE",
                "measure every shard FILE lists (one line each: LOGITS TARGETS TOKEN_BYTES DOC_OFFSETS TEXT"
                " [REFERENCE_LOGITS]) instead of the single inputs")
        .option("output", "FILE", "with --manifest: write the output to FILE (whole or not at all)", 'o')
        .flag("force", "replace the --output FILE if it exists", 'f');
    add_progress_flags(args).flag("help", "show this help", 'h');
    return args;
}

// `memorization --manifest` (manifest_command.hpp): the arguments are memorization_arguments()'.
int run_memorization_manifest(const arguments& args);

namespace detail {

// Runs the row kernel over all rows of `logits` against `targets` (evaluate_teacher_forced),
// row errors naming the logits file.
// With an enabled `bar`, rows go in chunks of about 16 MiB of logits and the bar shows the
// logits bytes done.
inline teacher_forced_tokens evaluate_teacher_forced(const npy_array& logits,
                                                     const std::vector<std::int64_t>& targets,
                                                     unsigned threads, progress_bar* bar = nullptr) {
    teacher_forced_tokens out;
    out.resize(targets.size());
    try {
        visit_logits_matrix(logits, [&](auto view) {
            if (bar == nullptr || !bar->enabled()) {
                codelength::evaluate_teacher_forced(view, targets, out, 0, threads);
                return;
            }
            const std::int64_t row_bytes =
                std::max<std::int64_t>(1, view.columns * std::int64_t{sizeof(*view.data)});
            const std::int64_t chunk_rows = std::max<std::int64_t>(1, (std::int64_t{16} << 20) / row_bytes);
            const auto total = static_cast<std::uint64_t>(view.rows * row_bytes);
            for (std::int64_t begin = 0; begin < view.rows; begin += chunk_rows) {
                auto part = view;
                part.data = view.data + begin * view.row_stride;
                part.rows = std::min(chunk_rows, view.rows - begin);
                codelength::evaluate_teacher_forced(
                    part,
                    std::span<const std::int64_t>(targets).subspan(static_cast<std::size_t>(begin),
                                                                   static_cast<std::size_t>(part.rows)),
                    out, begin, threads);
                bar->update(static_cast<std::uint64_t>((begin + part.rows) * row_bytes), total);
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
    return codelength::document_boundaries(offsets.to_int64(), targets, name);
}

inline std::optional<double> as_optional(std::optional<std::int64_t> value) {
    return value ? std::optional<double>(static_cast<double>(*value)) : std::nullopt;
}

// `object` (JSON object text) with one more member whose value is raw JSON text (json_object
// has no arrays).
inline std::string with_raw_member(std::string text, const std::string& key, const std::string& raw) {
    text.pop_back(); // the closing brace
    return text + (text.size() > 1 ? ", " : "") + json_object::quote(key) + ": " + raw + "}";
}

// The scalar columns of a record, in output order (std::nullopt prints as null / empty).
inline std::vector<std::pair<std::string, std::optional<double>>>
record_columns(const memorization_record& r) {
    std::vector<std::pair<std::string, std::optional<double>>> columns;
    for (const memorization_field& field : memorization_record_fields(r)) {
        columns.emplace_back(field.name, field.value);
    }
    return columns;
}

inline std::string record_json(const memorization_record& r) {
    json_object object;
    for (const memorization_field& field : memorization_record_fields(r)) {
        const std::string key = field.name;
        if (key == "memorized_spans") {
            continue; // the array below
        }
        if (key == "greedy_extractable" && r.metrics.greedy_extractable) {
            object.add(key, *r.metrics.greedy_extractable);
        } else if (field.integral && field.value) {
            object.add(key, static_cast<std::int64_t>(*field.value));
        } else {
            object.add(key, field.value);
        }
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
    return with_raw_member(object.str(), "memorized_spans", spans + "]");
}

inline std::string csv_value(std::optional<double> value) {
    return value && std::isfinite(*value) ? json_object::format_double(*value) : std::string();
}

} // namespace detail

// The per-document options of add_memorization_inputs (defaults as its help says).
inline memorization_options memorization_options_from(const arguments& args) {
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
    return options;
}

// The bootstrap options of `memorization` (--resamples, --confidence, --seed; defaults as the
// help says).
inline bootstrap_options memorization_bootstrap_from(const arguments& args) {
    bootstrap_options bootstrap;
    bootstrap.resamples = args.integer("resamples", 1000, 1, 100000000);
    bootstrap.confidence = args.number("confidence", 0.95, 0.0, 0.999999);
    bootstrap.seed = static_cast<std::uint64_t>(args.integer("seed", 20261128, 0, INT64_MAX));
    return bootstrap;
}

// What measure_memorization_inputs reads and computes: one record per document, and the
// per-token values and text the records came from.
struct corpus_memorization_inputs {
    memorization_options options; // with prompt_bits set from the vocabulary
    std::int64_t vocabulary_size = 0;
    std::vector<std::int64_t> token_bytes;
    std::vector<std::int64_t> bounds; // documents [bounds[d], bounds[d + 1])
    std::vector<std::uint8_t> text;
    teacher_forced_tokens model;
    std::vector<memorization_record> records;
};

// The input files of one memorization run (one shard of a manifest, or the command line).
struct memorization_paths {
    std::string logits;
    std::string targets;
    std::string token_bytes;
    std::string doc_offsets;
    std::string text;
    std::optional<std::string> reference_logits;
};

// The paths add_memorization_inputs' options name (usage_error when a required one is missing).
inline memorization_paths memorization_paths_from(const arguments& args) {
    return {args.required("logits"),      args.required("targets"), args.required("token-bytes"),
            args.required("doc-offsets"), args.required("text"),    args.get("reference-logits")};
}

// Reads the inputs `paths` names, checks them, runs the row kernel (and the reference model's)
// and measures every document; with an enabled `bar`, the row kernel's progress is drawn.
inline corpus_memorization_inputs measure_memorization_files(const memorization_paths& paths,
                                                             const memorization_options& chosen,
                                                             unsigned threads, progress_bar* bar = nullptr) {
    corpus_memorization_inputs out;
    memorization_options options = chosen;
    check_stdin_named_once({paths.logits, paths.targets, paths.token_bytes, paths.doc_offsets,
                            paths.reference_logits.value_or("")});
    const npy_array logits = read_npy_input(paths.logits);
    const npy_array targets_array = read_npy_input(paths.targets);
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
    const npy_array bytes_array = read_npy_input(paths.token_bytes);
    if (bytes_array.shape() != targets_array.shape()) {
        throw invalid_argument_error(bytes_array.path().string() + ": shape " +
                                     npy_shape_string(bytes_array.shape()) + " differs from the targets' " +
                                     npy_shape_string(targets_array.shape()));
    }
    out.token_bytes = bytes_array.to_int64();
    const std::vector<std::int64_t>& token_bytes = out.token_bytes;
    for (std::size_t t = 0; t < token_bytes.size(); ++t) {
        if (token_bytes[t] < 0) {
            throw invalid_argument_error(
                bytes_array.path().string() + ": " +
                position_name(targets_array.shape(), static_cast<std::int64_t>(t), "element") + " is " +
                std::to_string(token_bytes[t]) + " (byte counts cannot be negative)");
        }
    }
    out.bounds = detail::document_boundaries(read_npy_input(paths.doc_offsets),
                                             static_cast<std::int64_t>(targets.size()));
    const std::string& text_path = paths.text;
    out.text = read_whole_input(text_path);
    corpus_memorization_names names;
    names.token_bytes = bytes_array.path().string();
    names.text = text_path;
    std::optional<npy_array> reference_logits;
    if (const auto& path = paths.reference_logits) {
        reference_logits = read_npy_input(*path);
        check_logits_targets_shapes(*reference_logits, targets_array);
    }
    if (options.prompt_tokens) {
        options.prompt_bits = uniform_prompt_bits(*options.prompt_tokens, logits.shape().back());
    }

    if (bar != nullptr) {
        bar->phase("score");
    }
    out.model = detail::evaluate_teacher_forced(logits, targets, threads, bar);
    std::vector<double> reference_bits;
    if (reference_logits) {
        if (bar != nullptr) {
            bar->phase("ref");
        }
        reference_bits =
            detail::evaluate_teacher_forced(*reference_logits, targets, threads, bar).surprisal_bits;
    }

    std::function<void(std::size_t, std::size_t)> on_document;
    if (bar != nullptr && bar->enabled()) {
        bar->phase("docs");
        on_document = [bar](std::size_t done, std::size_t documents) {
            bar->note(std::to_string(done) + "/" + std::to_string(documents) + " documents");
            bar->update(done, documents);
        };
    }
    out.records = measure_corpus_memorization(out.model, reference_bits, token_bytes, out.bounds, out.text,
                                              options, names, on_document, threads);
    out.options = options;
    out.vocabulary_size = logits.shape().back();
    return out;
}

// measure_memorization_files for the paths add_memorization_inputs' options name.
inline corpus_memorization_inputs measure_memorization_inputs(const arguments& args,
                                                              const memorization_options& chosen,
                                                              unsigned threads, progress_bar* bar = nullptr) {
    return measure_memorization_files(memorization_paths_from(args), chosen, threads, bar);
}

// The output of `memorization` for the records (JSON, CSV or the table, as args select), with
// the bootstrap summary; `extra_members` (key, raw JSON) go into the JSON object before
// "documents" (the manifest's shards, ranks and failed_shards).
inline std::string memorization_text(const arguments& args, const memorization_options& options,
                                     const bootstrap_options& bootstrap,
                                     const std::vector<memorization_record>& records,
                                     std::int64_t vocabulary_size, std::optional<double> prompt_bits,
                                     const std::vector<std::pair<std::string, std::string>>& extra_members) {
    std::string text;
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
            .add("prompt_bits", prompt_bits)
            .add("span_max_bits_per_byte", options.span_max_bits_per_byte)
            .add("span_min_bytes", options.span_min_bytes)
            .add("span_min_generic_ratio", options.span_min_generic_ratio)
            .add("bootstrap_resamples", bootstrap.resamples)
            .add("bootstrap_confidence", bootstrap.confidence)
            .add("bootstrap_seed", static_cast<std::int64_t>(bootstrap.seed))
            .add("vocabulary_size", vocabulary_size)
            .add_object("summary", summary_object);
        std::string object = settings.str();
        for (const auto& [key, raw] : extra_members) {
            object = detail::with_raw_member(std::move(object), key, raw);
        }
        append_format(text, "%s\n",
                      detail::with_raw_member(std::move(object), "documents", documents).c_str());
        return text;
    }
    if (args.has("csv")) {
        std::string line;
        // The header names the columns even when no document was measured (every shard failed).
        for (const auto& [key, value] :
             detail::record_columns(records.empty() ? memorization_record{} : records.front())) {
            line += key + ",";
        }
        line.pop_back(); // the last comma
        append_format(text, "%s\n", line.c_str());
        for (const auto& r : records) {
            line.clear();
            for (const auto& [key, value] : detail::record_columns(r)) {
                line += detail::csv_value(value) + ",";
            }
            line.pop_back();
            append_format(text, "%s\n", line.c_str());
        }
        append_format(text, "\nmetric,count,mean,lower,upper\n");
        for (const auto& s : summary) {
            if (s.interval) {
                append_format(text, "%s,%lld,%s,%s,%s\n", s.metric.c_str(),
                              static_cast<long long>(s.interval->count),
                              json_object::format_double(s.interval->mean).c_str(),
                              json_object::format_double(s.interval->lower).c_str(),
                              json_object::format_double(s.interval->upper).c_str());
            } else {
                append_format(text, "%s,0,,,\n", s.metric.c_str());
            }
        }
        return text;
    }
    append_format(text, "%8s %8s %8s %10s %10s %10s %10s %10s %12s %6s\n", "document", "tokens", "bytes",
                  "bits/byte", "xz_ratio", "zlib/lppl", "min_k%", "min_k%++", "extractable", "spans");
    for (const auto& r : records) {
        const document_memorization& m = r.metrics;
        append_format(text, "%8lld %8lld %8lld %10.4f %10.4f %10.4f %10.4f %10.4f %12s %6zu\n",
                      static_cast<long long>(r.document), static_cast<long long>(m.tokens),
                      static_cast<long long>(m.bytes), m.model_bits_per_byte, m.gain_over_xz_9.ratio,
                      m.zlib_entropy_over_log_perplexity, m.min_k_percent, m.min_k_plus_plus,
                      m.greedy_extractable ? (*m.greedy_extractable ? "yes" : "no") : "n/a",
                      m.memorized_spans.size());
        for (const memorized_span& s : m.memorized_spans) {
            append_format(text, "%8s span bytes [%lld, %lld) of the document: %.4f bits/byte\n", "",
                          static_cast<long long>(s.byte_begin), static_cast<long long>(s.byte_end),
                          s.model_bits_per_byte);
        }
    }
    append_format(text, "\n%-38s %6s %12s %12s %12s\n", "summary (bootstrap)", "count", "mean", "lower",
                  "upper");
    for (const auto& s : summary) {
        if (s.interval) {
            append_format(text, "%-38s %6lld %12.6g %12.6g %12.6g\n", s.metric.c_str(),
                          static_cast<long long>(s.interval->count), s.interval->mean, s.interval->lower,
                          s.interval->upper);
        } else {
            append_format(text, "%-38s %6d %12s %12s %12s\n", s.metric.c_str(), 0, "n/a", "n/a", "n/a");
        }
    }
    return text;
}

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
    if (args.has("manifest")) {
        return run_memorization_manifest(args);
    }
    if (args.has("output")) {
        throw usage_error("--output needs --manifest");
    }
    const memorization_options options = memorization_options_from(args);
    const bootstrap_options bootstrap = memorization_bootstrap_from(args);
    const auto threads = static_cast<unsigned>(args.integer("threads", 1, 0, 1024));

    progress_bar bar(display_name(args.required("logits"), "stdin"),
                     input_file_bytes(args.required("logits")), progress_mode_of(args));
    const corpus_memorization_inputs inputs = measure_memorization_inputs(args, options, threads, &bar);
    bar.finish();
    const std::string text = memorization_text(args, options, bootstrap, inputs.records,
                                               inputs.vocabulary_size, inputs.options.prompt_bits, {});
    std::fputs(text.c_str(), stdout);
    return 0;
}

} // namespace codelength::cli
