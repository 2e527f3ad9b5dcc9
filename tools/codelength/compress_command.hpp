// `codelength compress IN OUT` and `codelength decompress IN OUT`: a lossless file compressor
// driven by the library's adaptive byte models (compress/byte_codec.hpp). `-` is stdin/stdout;
// the output appears whole or not at all, and an existing OUT is replaced only with --force.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "arguments.hpp"
#include "byte_files.hpp"
#include "codelength/baselines/compression_measurement.hpp"
#include "codelength/compress/byte_codec.hpp"
#include "codelength/compress/byte_model_names.hpp"

namespace codelength::cli {

inline constexpr const char* compress_usage =
    "usage: codelength compress IN OUT [--model cm|ppm|order0] [--memory MIB] [--force] [--progress]\n"
    "\n"
    "Compresses IN into OUT with an adaptive byte model: cm (bitwise context mixing, the default),\n"
    "ppm (order-k with escapes) or order0. `codelength decompress OUT COPY` restores IN exactly.\n"
    "IN or OUT may be `-` for stdin or stdout. OUT is written to a temporary file beside it and\n"
    "renamed into place only after success; an existing OUT is kept unless --force is given.\n"
    "A progress line is drawn on stderr when it is a terminal and IN has 1 MiB or more\n"
    "(--progress: always, also into a file or pipe; --no-progress: never).\n"
    "\n";

inline constexpr const char* decompress_usage =
    "usage: codelength decompress IN OUT [--max-output BYTES] [--max-memory MIB] [--force]\n"
    "\n"
    "Restores the file `codelength compress` packed into IN (the model and its memory are read\n"
    "from the stream's header). A corrupt, truncated or foreign IN exits with status 1 and a\n"
    "message, and leaves no OUT; so does a header that asks for more output or model memory than\n"
    "the limits (for untrusted files). IN or OUT may be `-` for stdin or stdout.\n"
    "\n";

// The --model and --memory options shared by compress and measure.
inline arguments& add_model_options(arguments& args) {
    return args.option("model", "cm|ppm|order0", "cm (context mixing, default), ppm or order0")
        .option("memory", "MIB",
                "memory for the model's tables in MiB (default 256; cm: [8, 1024], ppm: [1, 4096])");
}

// The compression options those options select; usage_error for unknown values.
inline compression_options parse_compression_options(const arguments& args) {
    compression_options options;
    const std::string model = args.get("model").value_or("cm");
    const std::optional<byte_model_kind> kind = byte_model_named(model);
    if (!kind) {
        throw usage_error("--model must be cm, ppm or order0, got '" + model + "'");
    }
    options.model = *kind;
    options.memory_mib = static_cast<std::uint32_t>(args.integer("memory", options.memory_mib, 1, 65536));
    return options;
}

// The name --model accepts for a model kind.
inline const char* model_name(byte_model_kind kind) {
    return byte_model_name(kind);
}

namespace detail {

// IN and OUT, exactly two positional arguments.
inline std::pair<std::string, std::string> input_output(const arguments& args) {
    const auto& words = args.positional();
    if (words.size() != 2) {
        throw usage_error("expected IN and OUT, got " +
                          codelength::detail::count_noun(words.size(), "argument", "arguments"));
    }
    return {words[0], words[1]};
}

// Forwards the codec's progress reports (bytes done of `total`) to a progress bar.
inline byte_progress progress_to(progress_bar& bar, std::uint64_t total) {
    return [&bar, total](std::uint64_t done) { bar.update(done, total); };
}

// The original size a compressed file's header announces (for the progress bar only; the
// decoder validates it), or the file's own size when there is no header to read.
inline std::uint64_t announced_size(std::span<const std::uint8_t> compressed) {
    return announced_original_bytes(compressed);
}

// compress_bytes, with the codec's refusal of a setting (--memory out of the model's range)
// reported as a usage error.
inline compression_result compress_checked(std::span<const std::uint8_t> input,
                                           const compression_options& options,
                                           const byte_progress& progress) {
    try {
        return compress_bytes(input, options, progress);
    } catch (const invalid_argument_error& e) {
        throw usage_error(e.what());
    }
}

} // namespace detail

// Runs `codelength compress` with argv[first..); returns the exit status.
inline int run_compress(int argc, char** argv, int first) {
    arguments args;
    add_model_options(args).flag("force", "replace OUT if it exists", 'f');
    add_progress_flags(args).flag("help", "show this help", 'h');
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(compress_usage)) {
        return 0;
    }
    const compression_options options = parse_compression_options(args);
    const auto [input_path, output_path] = detail::input_output(args);
    const bool overwrite = args.has("force");
    const output_target output = output_target::prepare(output_path, overwrite, {input_path});

    const std::vector<std::uint8_t> input = read_whole_input(input_path);
    progress_bar bar(display_name(input_path, "stdin"), input.size(), progress_mode_of(args));
    bar.phase("compress");
    const compression_result result =
        detail::compress_checked(input, options, detail::progress_to(bar, input.size()));
    bar.finish();
    output.write(result.bytes);
    return 0;
}

// Runs `codelength decompress` with argv[first..); returns the exit status.
inline int run_decompress(int argc, char** argv, int first) {
    arguments args;
    args.option("max-output", "BYTES", "refuse a file that decompresses to more bytes (default: 2^31, 2 GiB)")
        .option("max-memory", "MIB", "refuse a file whose model needs more MiB (default: 1024)")
        .flag("force", "replace OUT if it exists", 'f');
    add_progress_flags(args).flag("help", "show this help", 'h');
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(decompress_usage)) {
        return 0;
    }
    const auto [input_path, output_path] = detail::input_output(args);
    const bool overwrite = args.has("force");
    decoding_limits limits; // the library's finite defaults, unless raised
    limits.max_output_bytes = static_cast<std::uint64_t>(
        args.integer("max-output", static_cast<std::int64_t>(limits.max_output_bytes), 0,
                     std::numeric_limits<std::int64_t>::max()));
    limits.max_memory_mib = static_cast<std::uint32_t>(
        args.integer("max-memory", static_cast<std::int64_t>(limits.max_memory_mib), 1, 1 << 20));
    const output_target output = output_target::prepare(output_path, overwrite, {input_path});

    const std::vector<std::uint8_t> input = read_whole_input(input_path);
    const std::uint64_t announced = detail::announced_size(input);
    progress_bar bar(display_name(input_path, "stdin"), std::min<std::uint64_t>(announced, input.size() * 64),
                     progress_mode_of(args));
    bar.phase("decompress");
    std::vector<std::uint8_t> restored;
    try {
        restored = decompress_bytes(input, detail::progress_to(bar, announced), limits);
    } catch (const error& e) {
        throw format_error(display_name(input_path, "stdin") + ": " + e.what());
    }
    bar.finish();
    output.write(restored);
    return 0;
}

} // namespace codelength::cli
