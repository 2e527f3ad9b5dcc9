// `codelength score`: code lengths of targets under precomputed logits (or log-probabilities)
// stored as .npy, with perplexity, mean entropy, Min-K% and Min-K%++.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arguments.hpp"
#include "byte_files.hpp"
#include "codelength/codelength.hpp"
#include "codelength/io/io.hpp"
#include "json_writer.hpp"
#include "npy_inputs.hpp"
#include "output_file.hpp"

namespace codelength::cli {

inline constexpr const char* score_usage =
    "usage: codelength score --logits L.npy --targets T.npy [options]\n"
    "\n"
    "Scores targets[t] under row t of the logits: shapes (T, V) with (T), or (B, T, V) with (B, T).\n"
    "Logits dtypes: f4, f8, f2 (IEEE half), u2 or i2 (bfloat16 words). Targets: any integer dtype;\n"
    "a negative target (PyTorch's ignore_index = -100) skips its row. For a causal LM, row t must\n"
    "already be the prediction of targets[t] (drop the last logits row and the first token).\n"
    "--per-token FILE: an existing FILE is replaced only with --force, and never when it is one\n"
    "of the inputs. Wall-clock seconds are reported only with --timing.\n"
    "\n"
    "--manifest FILE scores many shards in one run: each line of FILE names a shard's logits, its\n"
    "targets and optionally its token bytes (.npy, as --logits, --targets and --bytes; whitespace-\n"
    "separated; a path with blanks, quotes or a leading # goes in double quotes, inside which \\\" is\n"
    "a quote and \\\\ a backslash; relative paths are relative to FILE's directory).\n"
    "Blank lines and lines starting with # are skipped; every line has 2 columns or every line\n"
    "has 3 (a line that differs is an error naming FILE and the line). The totals are exact: the\n"
    "same numbers, to the last bit, as scoring the shards concatenated in manifest order in one\n"
    "run (also Min-K% and Min-K%++, whose per-token values are kept). The report adds shards,\n"
    "ranks (1), failed_shards and, with --per-shard, one entry per shard. A shard that cannot be\n"
    "read or scored is reported with its paths and the error, the other shards still finish, the\n"
    "totals are those of the finished shards, and the exit status is 3; the -o FILE is then not\n"
    "written (the report goes to stdout). A shard whose vocabulary differs from the first\n"
    "finished shard's fails too. --per-token is not available with --manifest.\n"
    "\n"
    "A progress line (bytes of logits done; with --manifest also shards done) is drawn on stderr\n"
    "when it is a terminal and the logits have 1 MiB or more; --progress draws it always (also\n"
    "into a file or pipe, one line per update), --no-progress never. The numbers do not change.\n"
    "\n";

inline arguments score_arguments() {
    arguments args;
    args.option("logits", "FILE", "logits (or log-probabilities with --logprobs), shape (T, V) or (B, T, V)")
        .option("targets", "FILE", "target token ids, shape (T) or (B, T)")
        .flag("logprobs", "rows are natural-log probabilities: check each row sums to 1 (within 1e-3 nats,"
                          " 0.05 for 16-bit inputs)")
        .option("bytes", "FILE",
                "UTF-8 bytes of each target token, same shape as the targets: adds bits_per_byte")
        .option("per-token", "FILE",
                "write each target's surprisal in bits (float64, NaN where ignored) to this .npy"
                " (`-`: stdout, the report goes to stderr)")
        .flag("force", "replace the --per-token (or --manifest's -o) file if it exists", 'f')
        .option("threads", "N", "threads for the row kernel (default 1, 0 = all cores)")
        .option("k", "PERCENT", "percentage for Min-K% and Min-K%++ (default 20)")
        .flag("json", "print one JSON object instead of the table")
        .option("manifest", "FILE",
                "score every shard FILE lists (one line each: LOGITS TARGETS [TOKEN_BYTES]) instead of"
                " --logits/--targets/--bytes")
        .flag("per-shard", "with --manifest: also one line (JSON: one object) per shard, with its rank")
        .option("output", "FILE", "with --manifest: write the table or JSON to FILE (whole or not at all)",
                'o');
    add_progress_flags(args);
    add_timing_flag(args).flag("help", "show this help", 'h');
    return args;
}

// `score --manifest` (manifest_command.hpp): the arguments are score_arguments()'.
int run_score_manifest(const arguments& args);

namespace detail {

struct score_inputs {
    npy_array logits;
    npy_array targets;
    std::vector<std::int64_t> target_ids;
    std::optional<std::vector<std::int64_t>> token_bytes;
};

// Scores all rows; with an enabled progress bar, in chunks of about 16 MiB of logits whose
// results are merged in row order (exact sums: the same numbers as one call), reporting the
// logits bytes done through `progress(done_bytes)`.
template <class Element, class Progress>
score_result score_in_chunks(matrix_view<Element> logits, std::span<const std::int64_t> targets,
                             const score_options& options, Progress&& progress) {
    const std::int64_t row_bytes = std::max<std::int64_t>(1, logits.columns * std::int64_t{sizeof(Element)});
    const std::int64_t chunk_rows = std::max<std::int64_t>(1, (std::int64_t{16} << 20) / row_bytes);
    if (logits.rows == 0) {
        return score_logits(logits, targets, options);
    }
    score_result all;
    all.has_per_token = options.keep_per_token;
    for (std::int64_t begin = 0; begin < logits.rows; begin += chunk_rows) {
        const std::int64_t count = std::min(chunk_rows, logits.rows - begin);
        matrix_view<Element> part = logits;
        part.data = logits.data + begin * logits.row_stride;
        part.rows = count;
        score_result chunk;
        try {
            chunk = score_logits(
                part, targets.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(count)),
                options);
        } catch (const invalid_row_error& e) {
            throw invalid_row_error(begin + e.row(), std::string(row_error_reason(e.what(), e.row())));
        }
        all.ledger += chunk.ledger;
        for (std::int64_t& row : chunk.rows) {
            row += begin;
        }
        const auto append = [](std::vector<double>& to, const std::vector<double>& from) {
            to.insert(to.end(), from.begin(), from.end());
        };
        all.rows.insert(all.rows.end(), chunk.rows.begin(), chunk.rows.end());
        append(all.surprisal_bits, chunk.surprisal_bits);
        append(all.log_probabilities_nats, chunk.log_probabilities_nats);
        append(all.z_scores, chunk.z_scores);
        append(all.entropies_bits, chunk.entropies_bits);
        progress(static_cast<std::uint64_t>((begin + count) * row_bytes));
    }
    return all;
}

// Scores the targets under the logits of any supported dtype; with `bar` enabled, its
// progress is drawn (update(done + logits bytes done, total)).
inline score_result score_any_dtype(const npy_array& logits, const std::vector<std::int64_t>& targets,
                                    score_options options, bool log_probabilities,
                                    progress_bar* bar = nullptr, std::uint64_t done = 0,
                                    std::uint64_t total = 0) {
    if (log_probabilities) {
        options.log_probability_tolerance_nats = has_sixteen_bit_logits(logits) ? 0.05 : 1e-3;
    }
    return visit_logits_matrix(logits, [&](auto view) {
        if (bar != nullptr && bar->enabled()) {
            return score_in_chunks(view, std::span<const std::int64_t>(targets), options,
                                   [&](std::uint64_t bytes) { bar->update(done + bytes, total); });
        }
        return score_logits(view, std::span<const std::int64_t>(targets), options);
    });
}

// What score_files reads and scores: the inputs and the result (ledger with bytes when
// token bytes are given, per-token values with options.keep_per_token).
struct scored_files {
    score_inputs in;
    score_result result;
};

// Reads and checks the logits, targets and optional token-bytes files as `score` does (shapes,
// vocabulary, byte counts >= 0; errors name the file and the position), then scores them;
// progress as score_any_dtype.
inline scored_files score_files(const std::string& logits_path, const std::string& targets_path,
                                const std::optional<std::string>& bytes_path, const score_options& options,
                                bool log_probabilities, progress_bar* bar = nullptr, std::uint64_t done = 0,
                                std::uint64_t total = 0) {
    scored_files out;
    score_inputs& in = out.in;
    check_stdin_named_once({logits_path, targets_path, bytes_path.value_or("")});
    in.logits = read_npy_input(logits_path);
    in.targets = read_npy_input(targets_path);
    check_logits_targets_shapes(in.logits, in.targets);
    in.target_ids = in.targets.to_int64();
    check_targets_in_vocabulary(in.logits, in.targets, in.target_ids, true);
    if (bytes_path) {
        npy_array bytes = read_npy_input(*bytes_path);
        if (bytes.shape() != in.targets.shape()) {
            throw invalid_argument_error(*bytes_path + ": shape " + npy_shape_string(bytes.shape()) +
                                         " differs from the targets' " +
                                         npy_shape_string(in.targets.shape()));
        }
        in.token_bytes = bytes.to_int64();
    }
    out.result = score_any_dtype(in.logits, in.target_ids, options, log_probabilities, bar, done, total);
    if (in.token_bytes) {
        for (std::size_t t = 0; t < in.target_ids.size(); ++t) {
            const std::int64_t n = (*in.token_bytes)[t];
            if (n < 0) {
                throw invalid_argument_error(
                    *bytes_path + ": " +
                    position_name(in.targets.shape(), static_cast<std::int64_t>(t), "element") + " is " +
                    std::to_string(n) + " (byte counts cannot be negative)");
            }
            if (in.target_ids[t] >= 0) {
                out.result.ledger.add_bytes(n);
            }
        }
    }
    return out;
}

inline std::string format_optional(std::optional<double> value) {
    return value ? json_object::format_double(*value) : std::string("n/a");
}

// Min-K% and Min-K%++ of a result (nullopt without scored tokens).
struct min_k_values {
    std::optional<double> min_k;
    std::optional<double> min_k_plus_plus;
};

inline min_k_values compute_min_k(const score_result& result, double k_percent) {
    if (result.ledger.tokens() == 0) {
        return {};
    }
    return {min_k_percent(result, k_percent), min_k_plus_plus(result, k_percent)};
}

} // namespace detail

// The members of `score --json` for a scored result, in its order (lm-score prints them too):
// tokens ... min_k_plus_plus. The result must keep its per-token values (Min-K%).
inline json_object& add_score_members(json_object& report, const score_result& result,
                                      std::int64_t vocabulary_size, std::string_view dtype,
                                      double k_percent) {
    const code_length_ledger& ledger = result.ledger;
    const detail::min_k_values min_k = detail::compute_min_k(result, k_percent);
    return report.add("tokens", ledger.tokens())
        .add("ignored_tokens", ledger.ignored_tokens())
        .add("infinite_tokens", ledger.infinite_tokens())
        .add("vocabulary_size", vocabulary_size)
        .add("dtype", dtype)
        .add("total_bits", ledger.total_bits())
        .add("bits_per_token", ledger.bits_per_token())
        .add("token_perplexity", ledger.token_perplexity())
        .add("mean_entropy_bits", ledger.mean_entropy_bits())
        .add("k_percent", k_percent)
        .add("min_k_percent", min_k.min_k)
        .add("min_k_plus_plus", min_k.min_k_plus_plus);
}

// The table `score` prints for those members (one "name value" line each), on `out`.
inline void print_score_rows(const score_result& result, double k_percent, std::FILE* out = stdout) {
    const code_length_ledger& ledger = result.ledger;
    const detail::min_k_values min_k = detail::compute_min_k(result, k_percent);
    std::fprintf(out, "%-24s %lld\n", "tokens", static_cast<long long>(ledger.tokens()));
    if (ledger.ignored_tokens() > 0) {
        std::fprintf(out, "%-24s %lld\n", "ignored_tokens", static_cast<long long>(ledger.ignored_tokens()));
    }
    if (ledger.has_infinite_tokens()) {
        std::fprintf(out, "%-24s %lld (probability 0: the totals are infinite)\n", "infinite_tokens",
                     static_cast<long long>(ledger.infinite_tokens()));
    }
    std::fprintf(out, "%-24s %s\n", "total_bits", json_object::format_double(ledger.total_bits()).c_str());
    std::fprintf(out, "%-24s %s\n", "bits_per_token",
                 detail::format_optional(ledger.bits_per_token()).c_str());
    std::fprintf(out, "%-24s %s\n", "token_perplexity",
                 detail::format_optional(ledger.token_perplexity()).c_str());
    std::fprintf(out, "%-24s %s\n", "mean_entropy_bits",
                 detail::format_optional(ledger.mean_entropy_bits()).c_str());
    const std::string k_label = "(k=" + json_object::format_double(k_percent) + "%)";
    std::fprintf(out, "%-24s %s nats\n", ("min_k_percent" + k_label).c_str(),
                 detail::format_optional(min_k.min_k).c_str());
    std::fprintf(out, "%-24s %s\n", ("min_k_plus_plus" + k_label).c_str(),
                 detail::format_optional(min_k.min_k_plus_plus).c_str());
}

// Runs `codelength score` with argv[first..); returns the exit status.
inline int run_score(int argc, char** argv, int first) {
    arguments args = score_arguments();
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(score_usage)) {
        return 0;
    }
    args.reject_positional();
    if (args.has("manifest")) {
        return run_score_manifest(args);
    }
    for (const char* manifest_only : {"per-shard", "output"}) {
        if (args.has(manifest_only)) {
            throw usage_error(std::string("--") + manifest_only + " needs --manifest");
        }
    }
    const double k_percent = args.number("k", 20.0, 0.0, 100.0);
    score_options options;
    options.threads = static_cast<unsigned>(args.integer("threads", 1, 0, 1024));
    options.keep_per_token = true; // Min-K% and Min-K%++ need every token's values

    // The --per-token output is checked before any work (see output_file.hpp).
    std::optional<output_target> per_token_output;
    if (const auto per_token_path = args.get("per-token")) {
        std::vector<std::string> inputs{args.required("logits"), args.required("targets")};
        if (const auto bytes_path = args.get("bytes")) {
            inputs.push_back(*bytes_path);
        }
        per_token_output.emplace(output_target::prepare(*per_token_path, args.has("force"), inputs));
        per_token_output->move_report_to_stderr();
    }

    const auto started = std::chrono::steady_clock::now();
    const std::uint64_t logits_bytes = input_file_bytes(args.required("logits"));
    progress_bar bar(display_name(args.required("logits"), "stdin"), logits_bytes, progress_mode_of(args));
    bar.phase("score");
    detail::scored_files scored =
        detail::score_files(args.required("logits"), args.required("targets"), args.get("bytes"), options,
                            args.has("logprobs"), &bar, 0, logits_bytes);
    bar.update(logits_bytes, logits_bytes); // the file's header too
    bar.finish();
    const detail::score_inputs& in = scored.in;
    const score_result& result = scored.result;
    if (per_token_output) {
        std::vector<double> surprisal(in.target_ids.size(), std::numeric_limits<double>::quiet_NaN());
        for (std::size_t i = 0; i < result.rows.size(); ++i) {
            surprisal[static_cast<std::size_t>(result.rows[i])] = result.surprisal_bits[i];
        }
        per_token_output->write(npy_file_bytes(std::span<const double>(surprisal), in.targets.shape()));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    const code_length_ledger& ledger = result.ledger;
    if (args.has("json")) {
        json_object report;
        add_score_members(report, result, in.logits.shape().back(), logits_dtype_name(in.logits), k_percent);
        if (in.token_bytes) {
            report.add("bytes", ledger.bytes()).add("bits_per_byte", ledger.bits_per_byte());
        }
        if (args.has("timing")) {
            report.add("seconds", seconds);
        }
        std::printf("%s\n", report.str().c_str());
        return 0;
    }
    print_score_rows(result, k_percent);
    if (in.token_bytes) {
        std::printf("%-24s %lld\n", "bytes", static_cast<long long>(ledger.bytes()));
        std::printf("%-24s %s\n", "bits_per_byte", detail::format_optional(ledger.bits_per_byte()).c_str());
    }
    if (args.has("timing")) {
        std::printf("%-24s %.3f\n", "seconds", seconds);
    }
    return 0;
}

} // namespace codelength::cli
