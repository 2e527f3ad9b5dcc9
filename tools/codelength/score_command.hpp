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
        .flag("force", "replace the --per-token file if it exists", 'f')
        .option("threads", "N", "threads for the row kernel (default 1, 0 = all cores)")
        .option("k", "PERCENT", "percentage for Min-K% and Min-K%++ (default 20)")
        .flag("json", "print one JSON object instead of the table");
    add_timing_flag(args).flag("help", "show this help", 'h');
    return args;
}

namespace detail {

struct score_inputs {
    npy_array logits;
    npy_array targets;
    std::vector<std::int64_t> target_ids;
    std::optional<std::vector<std::int64_t>> token_bytes;
};

inline score_result score_any_dtype(const npy_array& logits, const std::vector<std::int64_t>& targets,
                                    score_options options, bool log_probabilities) {
    if (log_probabilities) {
        options.log_probability_tolerance_nats = has_sixteen_bit_logits(logits) ? 0.05 : 1e-3;
    }
    return visit_logits_matrix(logits, [&](auto view) {
        return score_logits(view, std::span<const std::int64_t>(targets), options);
    });
}

inline std::string format_optional(std::optional<double> value) {
    return value ? json_object::format_double(*value) : std::string("n/a");
}

} // namespace detail

// Runs `codelength score` with argv[first..); returns the exit status.
inline int run_score(int argc, char** argv, int first) {
    arguments args = score_arguments();
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(score_usage)) {
        return 0;
    }
    args.reject_positional();
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
    detail::score_inputs in;
    check_stdin_named_once(
        {args.required("logits"), args.required("targets"), args.get("bytes").value_or("")});
    in.logits = read_npy_input(args.required("logits"));
    in.targets = read_npy_input(args.required("targets"));
    check_logits_targets_shapes(in.logits, in.targets);
    in.target_ids = in.targets.to_int64();
    check_targets_in_vocabulary(in.logits, in.targets, in.target_ids, true);
    if (const auto bytes_path = args.get("bytes")) {
        npy_array bytes = read_npy_input(*bytes_path);
        if (bytes.shape() != in.targets.shape()) {
            throw invalid_argument_error(*bytes_path + ": shape " + npy_shape_string(bytes.shape()) +
                                         " differs from the targets' " +
                                         npy_shape_string(in.targets.shape()));
        }
        in.token_bytes = bytes.to_int64();
    }

    score_result result = detail::score_any_dtype(in.logits, in.target_ids, options, args.has("logprobs"));
    if (in.token_bytes) {
        for (std::size_t t = 0; t < in.target_ids.size(); ++t) {
            const std::int64_t n = (*in.token_bytes)[t];
            if (n < 0) {
                throw invalid_argument_error(
                    *args.get("bytes") + ": " +
                    position_name(in.targets.shape(), static_cast<std::int64_t>(t), "element") + " is " +
                    std::to_string(n) + " (byte counts cannot be negative)");
            }
            if (in.target_ids[t] >= 0) {
                result.ledger.add_bytes(n);
            }
        }
    }
    if (per_token_output) {
        std::vector<double> surprisal(in.target_ids.size(), std::numeric_limits<double>::quiet_NaN());
        for (std::size_t i = 0; i < result.rows.size(); ++i) {
            surprisal[static_cast<std::size_t>(result.rows[i])] = result.surprisal_bits[i];
        }
        per_token_output->write(npy_file_bytes(std::span<const double>(surprisal), in.targets.shape()));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    const code_length_ledger& ledger = result.ledger;
    const bool any_tokens = ledger.tokens() > 0;
    const std::optional<double> min_k =
        any_tokens ? std::optional(min_k_percent(result, k_percent)) : std::nullopt;
    const std::optional<double> min_k_pp =
        any_tokens ? std::optional(min_k_plus_plus(result, k_percent)) : std::nullopt;
    if (args.has("json")) {
        json_object report;
        report.add("tokens", ledger.tokens())
            .add("ignored_tokens", ledger.ignored_tokens())
            .add("infinite_tokens", ledger.infinite_tokens())
            .add("vocabulary_size", in.logits.shape().back())
            .add("dtype", logits_dtype_name(in.logits))
            .add("total_bits", ledger.total_bits())
            .add("bits_per_token", ledger.bits_per_token())
            .add("token_perplexity", ledger.token_perplexity())
            .add("mean_entropy_bits", ledger.mean_entropy_bits())
            .add("k_percent", k_percent)
            .add("min_k_percent", min_k)
            .add("min_k_plus_plus", min_k_pp);
        if (in.token_bytes) {
            report.add("bytes", ledger.bytes()).add("bits_per_byte", ledger.bits_per_byte());
        }
        if (args.has("timing")) {
            report.add("seconds", seconds);
        }
        std::printf("%s\n", report.str().c_str());
        return 0;
    }
    std::printf("%-24s %lld\n", "tokens", static_cast<long long>(ledger.tokens()));
    if (ledger.ignored_tokens() > 0) {
        std::printf("%-24s %lld\n", "ignored_tokens", static_cast<long long>(ledger.ignored_tokens()));
    }
    if (ledger.has_infinite_tokens()) {
        std::printf("%-24s %lld (probability 0: the totals are infinite)\n", "infinite_tokens",
                    static_cast<long long>(ledger.infinite_tokens()));
    }
    std::printf("%-24s %s\n", "total_bits", json_object::format_double(ledger.total_bits()).c_str());
    std::printf("%-24s %s\n", "bits_per_token", detail::format_optional(ledger.bits_per_token()).c_str());
    std::printf("%-24s %s\n", "token_perplexity", detail::format_optional(ledger.token_perplexity()).c_str());
    std::printf("%-24s %s\n", "mean_entropy_bits",
                detail::format_optional(ledger.mean_entropy_bits()).c_str());
    const std::string k_label = "(k=" + json_object::format_double(k_percent) + "%)";
    std::printf("%-24s %s nats\n", ("min_k_percent" + k_label).c_str(),
                detail::format_optional(min_k).c_str());
    std::printf("%-24s %s\n", ("min_k_plus_plus" + k_label).c_str(),
                detail::format_optional(min_k_pp).c_str());
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
