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
    "\n";

inline arguments decode_arguments() {
    arguments args;
    args.option("logits", "the logits the stream was encoded with, shape (T, V) or (B, T, V)")
        .option("input", "the stream to decode", 'i')
        .option("output", "the targets to write, int64 .npy (replaced only with --force)", 'o')
        .flag("force", "replace the output if it exists", 'f')
        .flag("json", "print one JSON object instead of the table")
        .flag("help", "show this help", 'h');
    return args;
}

// Runs `codelength decode` with argv[first..); returns the exit status.
inline int run_decode(int argc, char** argv, int first) {
    arguments args = decode_arguments();
    args.parse(argc, argv, first);
    if (args.has("help")) {
        std::fputs(decode_usage, stdout);
        std::fputs(args.help().c_str(), stdout);
        return 0;
    }
    if (!args.positional().empty()) {
        throw usage_error("unexpected argument '" + args.positional().front() + "'");
    }
    const std::string logits_path = args.required("logits");
    const std::string input_path = args.required("input");
    const std::filesystem::path output_path = args.required("output");
    const bool overwrite = args.has("force");
    check_output_path(output_path, overwrite);

    const auto started = std::chrono::steady_clock::now();
    const npy_array logits = read_npy(logits_path);
    check_logits_shape(logits);
    // Mapped, not read: the stream's size bounds nothing we allocate.
    const mapped_file stream_file = mapped_file::open_read_only(input_path);
    const std::span<const std::byte> stream_bytes = stream_file.bytes();
    const std::span<const std::uint8_t> stream(reinterpret_cast<const std::uint8_t*>(stream_bytes.data()),
                                               stream_bytes.size());
    std::vector<std::int64_t> targets;
    try {
        const parsed_stream parsed = parse_stream(stream);
        const std::uint64_t rows = static_cast<std::uint64_t>(logits.element_count() / logits.shape().back());
        if (parsed.header.symbol_count != rows) {
            throw stream_model_mismatch_error(
                stream_offset::symbol_count,
                "model mismatch: the stream holds " + std::to_string(parsed.header.symbol_count) +
                    " targets, but " + logits_path + " has " + std::to_string(rows) + " rows");
        }
        targets = visit_logits_matrix(logits, [&](auto view) {
            logits_replay model(view);
            return decode_sequence(model, stream);
        });
    } catch (const stream_error& e) {
        throw format_error(input_path + ": " + e.what());
    }

    // Written beside the destination under a temporary name, then published whole.
    const std::filesystem::path temporary = temporary_path_beside(output_path);
    write_npy(temporary, targets, targets_shape_for(logits));
    publish_file(temporary, output_path, overwrite);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    if (args.has("json")) {
        json_object report;
        report.add("tokens", static_cast<std::int64_t>(targets.size()))
            .add("stream_bytes", static_cast<std::int64_t>(stream.size()))
            .add("seconds", seconds);
        std::printf("%s\n", report.str().c_str());
        return 0;
    }
    std::printf("%-24s %lld\n", "tokens", static_cast<long long>(targets.size()));
    std::printf("%-24s %lld\n", "stream_bytes", static_cast<long long>(stream.size()));
    std::printf("%-24s %.3f\n", "seconds", seconds);
    return 0;
}

} // namespace codelength::cli
