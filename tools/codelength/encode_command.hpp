// `codelength encode`: codes targets with a range coder driven by precomputed logits (.npy)
// and writes the stream, reporting where every bit of it goes.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "byte_files.hpp"
#include "codelength/codelength.hpp"
#include "codelength/coding/sequence_coder.hpp"
#include "codelength/io/io.hpp"
#include "json_writer.hpp"
#include "npy_inputs.hpp"
#include "output_file.hpp"

namespace codelength::cli {

inline constexpr const char* encode_usage =
    "usage: codelength encode --logits L.npy --targets T.npy -o OUT [options]\n"
    "\n"
    "Codes targets[t] with row t of the logits (shapes (T, V) with (T), or (B, T, V) with (B, T);\n"
    "dtypes f4, f8, f2, u2 or i2 for bfloat16 words) and writes the stream to OUT, which `codelength\n"
    "decode` turns back into the targets given the same logits. Every target must be in [0, V).\n"
    "The report splits the file's bits: ideal (the model's -log2 p), quantized (after rounding\n"
    "the distribution to integers totalling 2^P), coder overhead and header; they add up to the\n"
    "file size exactly. OUT may be `-` for stdout (the report then goes to stderr); an existing\n"
    "OUT is replaced only with --force, and never when it is one of the inputs. Wall-clock\n"
    "seconds are reported only with --timing.\n"
    "\n";

inline arguments encode_arguments() {
    arguments args;
    args.option("logits", "FILE", "logits (or log-probabilities), shape (T, V) or (B, T, V)")
        .option("targets", "FILE", "target token ids (any integer dtype), shape (T) or (B, T)")
        .option("output", "FILE", "the stream to write (replaced only with --force)", 'o')
        .option("precision", "BITS",
                "quantization precision P in bits, in [1, 31] (default 24; V must be <= 2^P)")
        .flag("verify", "decode the stream in memory and compare before writing it")
        .flag("force", "replace OUT if it exists", 'f')
        .flag("json", "print one JSON object instead of the table");
    add_timing_flag(args).flag("help", "show this help", 'h');
    return args;
}

// The ledger as the JSON object `codelength encode --json` prints.
inline json_object coding_ledger_json(const coding_ledger& ledger) {
    json_object report;
    add_coding_ledger_fields(report, ledger);
    return report;
}

// The ledger as the table `codelength encode` prints.
inline void print_coding_ledger_table(const coding_ledger& ledger) {
    const auto fixed = [](double value) { return json_object::format_double(value); };
    const auto percent_of = [&](double part) {
        const double whole = 8.0 * static_cast<double>(ledger.total_bytes);
        return whole > 0.0 ? " (" + std::to_string(100.0 * part / whole) + "% of the file)" : std::string();
    };
    std::printf("%-24s %lld\n", "tokens", static_cast<long long>(ledger.tokens));
    std::printf("%-24s %d\n", "precision_bits", ledger.precision_bits);
    std::printf("%-24s %s\n", "ideal_bits", fixed(ledger.ideal_bits).c_str());
    std::printf("%-24s %s\n", "quantized_bits", fixed(ledger.quantized_bits).c_str());
    std::printf("%-24s %s\n", "escape_bits", fixed(ledger.escape_bits).c_str());
    const auto fraction = ledger.coder_overhead_fraction();
    std::printf(
        "%-24s %s%s\n", "coder_overhead_bits", fixed(ledger.coder_overhead_bits).c_str(),
        fraction ? (" (" + std::to_string(100.0 * *fraction) + "% of quantized + escape bits)").c_str() : "");
    std::printf("%-24s %lld\n", "coded_bits", static_cast<long long>(ledger.payload_bits));
    std::printf("%-24s %lld%s\n", "header_bits", static_cast<long long>(ledger.header_bits),
                percent_of(static_cast<double>(ledger.header_bits)).c_str());
    std::printf("%-24s %lld\n", "total_bytes", static_cast<long long>(ledger.total_bytes));
    const auto per_token = ledger.bits_per_token();
    std::printf("%-24s %s\n", "bits_per_token", per_token ? fixed(*per_token).c_str() : "n/a");
}

// Runs `codelength encode` with argv[first..); returns the exit status.
inline int run_encode(int argc, char** argv, int first) {
    arguments args = encode_arguments();
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(encode_usage)) {
        return 0;
    }
    args.reject_positional();
    coding_options options;
    options.precision_bits =
        static_cast<int>(args.integer("precision", precision_bits_24, 1, max_precision_bits));
    const std::string logits_path = args.required("logits");
    const std::string targets_path = args.required("targets");
    output_target output =
        output_target::prepare(args.required("output"), args.has("force"), {logits_path, targets_path});
    output.move_report_to_stderr();

    const auto started = std::chrono::steady_clock::now();
    check_stdin_named_once({logits_path, targets_path});
    const npy_array logits = read_npy_input(logits_path);
    const npy_array targets = read_npy_input(targets_path);
    check_logits_targets_shapes(logits, targets);
    const std::vector<std::int64_t> target_ids = targets.to_int64();
    check_targets_in_vocabulary(logits, targets, target_ids, false);
    const std::span<const std::int64_t> tokens(target_ids);
    const encoded_stream encoded = visit_logits_matrix(logits, [&](auto view) {
        const auto make_model = [&] { return logits_replay(view); };
        if (args.has("verify")) {
            return verify_round_trip(make_model, tokens, options);
        }
        auto model = make_model();
        return encode_sequence(model, tokens, options);
    });
    output.write(encoded.bytes);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    if (args.has("json")) {
        json_object report = coding_ledger_json(encoded.ledger);
        report.add("vocabulary_size", logits.shape().back())
            .add("dtype", logits_dtype_name(logits))
            .add("verified", args.has("verify"));
        if (args.has("timing")) {
            report.add("seconds", seconds);
        }
        std::printf("%s\n", report.str().c_str());
        return 0;
    }
    print_coding_ledger_table(encoded.ledger);
    if (args.has("timing")) {
        std::printf("%-24s %.3f\n", "seconds", seconds);
    }
    return 0;
}

} // namespace codelength::cli
