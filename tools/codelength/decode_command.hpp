// `codelength decode`: turns a stream written by `codelength encode` back into the targets,
// given the same logits; the .npy is written only after the stream has been verified.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
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

inline constexpr const char* decode_usage =
    "usage: codelength decode --logits L.npy -i IN -o T.npy [options]\n"
    "\n"
    "Decodes the stream IN written by `codelength encode` with the same logits and writes the\n"
    "targets as int64 .npy of shape (T) or (B, T). The stream is checked completely (its model\n"
    "fingerprint, length, payload and the checksum of the decoded targets) before T.npy is\n"
    "written; a damaged or foreign stream, or other logits, fail with a message and no output.\n"
    "IN may be `-` for stdin, T.npy `-` for stdout (the report then goes to stderr); an existing\n"
    "T.npy is replaced only with --force, and never when it is one of the inputs. Wall-clock\n"
    "seconds are reported only with --timing.\n"
    "\n";

inline arguments decode_arguments() {
    arguments args;
    args.option("logits", "FILE", "the logits the stream was encoded with, shape (T, V) or (B, T, V)")
        .option("input", "FILE", "the stream to decode", 'i')
        .option("output", "FILE", "the targets to write, int64 .npy (replaced only with --force)", 'o')
        .option("max-symbols", "N", "refuse a stream of more than N targets (default 268435456 = 2^28)")
        .flag("force", "replace the output if it exists", 'f')
        .flag("json", "print one JSON object instead of the table");
    add_timing_flag(args).flag("help", "show this help", 'h');
    return args;
}

// Runs `codelength decode` with argv[first..); returns the exit status.
inline int run_decode(int argc, char** argv, int first) {
    arguments args = decode_arguments();
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(decode_usage)) {
        return 0;
    }
    args.reject_positional();
    const std::string logits_path = args.required("logits");
    const std::string input_path = args.required("input");
    output_target output =
        output_target::prepare(args.required("output"), args.has("force"), {logits_path, input_path});
    output.move_report_to_stderr();

    const auto started = std::chrono::steady_clock::now();
    check_stdin_named_once({logits_path, input_path});
    const npy_array logits = read_npy_input(logits_path);
    check_logits_shape(logits);
    // Read whole: a file, a pipe or stdin (`-`).
    const std::vector<std::uint8_t> stream_buffer = read_whole_input(input_path);
    const std::span<const std::uint8_t> stream(stream_buffer);
    decoding_options decoding;
    decoding.limits.max_symbols = static_cast<std::uint64_t>(args.integer(
        "max-symbols", static_cast<std::int64_t>(decoding.limits.max_symbols), 0, std::int64_t{1} << 48));
    std::vector<std::int64_t> targets;
    try {
        const parsed_stream parsed = parse_stream(stream);
        const std::uint64_t rows = static_cast<std::uint64_t>(logits.element_count() / logits.shape().back());
        if (parsed.header.symbol_count != rows) {
            throw stream_model_mismatch_error(
                stream_offset::symbol_count,
                "model mismatch: the stream holds " +
                    codelength::detail::count_noun(parsed.header.symbol_count, "target", "targets") +
                    ", but " + logits_path + " has " + codelength::detail::count_noun(rows, "row", "rows"));
        }
        targets = visit_logits_matrix(logits, [&](auto view) {
            logits_replay model(view);
            return decode_sequence(model, stream, decoding);
        });
    } catch (const stream_error& e) {
        throw format_error(display_name(input_path, "stdin") + ": " + e.what());
    }

    output.write(npy_file_bytes(std::span<const std::int64_t>(targets), targets_shape_for(logits)));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    if (args.has("json")) {
        json_object report;
        report.add("tokens", static_cast<std::int64_t>(targets.size()))
            .add("stream_bytes", static_cast<std::int64_t>(stream.size()));
        if (args.has("timing")) {
            report.add("seconds", seconds);
        }
        std::printf("%s\n", report.str().c_str());
        return 0;
    }
    std::printf("%-24s %lld\n", "tokens", static_cast<long long>(targets.size()));
    std::printf("%-24s %lld\n", "stream_bytes", static_cast<long long>(stream.size()));
    if (args.has("timing")) {
        std::printf("%-24s %.3f\n", "seconds", seconds);
    }
    return 0;
}

} // namespace codelength::cli
