// `codelength measure FILE...`: for each file, the adaptive model's prequential code length
// (ideal bits), the real compressed size (round trip verified by decompressing), and the sizes
// of gzip -9, xz -9, zstd -19 and brotli -q 11 on the same bytes, as a table or JSON.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "arguments.hpp"
#include "byte_files.hpp"
#include "codelength/baselines/baselines.hpp"
#include "codelength/baselines/compression_measurement.hpp"
#include "codelength/compress/byte_codec.hpp"
#include "compress_command.hpp"
#include "json_writer.hpp"

namespace codelength::cli {

inline constexpr const char* measure_usage =
    "usage: codelength measure FILE... [--model cm|ppm|order0] [--memory MIB] [--json] [--timing]\n"
    "\n"
    "For each FILE (`-` for stdin): its size; ideal_bits, the model's prequential code length\n"
    "(sum of -log2 p over the bytes, the model learning as it goes); coded_bytes, the real size\n"
    "of `codelength compress` output (header included), verified by decompressing it and\n"
    "comparing with FILE; bits_per_byte = 8 * coded_bytes / bytes; and the sizes gzip -9 (zlib),\n"
    "xz -9, zstd -19 and brotli -q 11 reach on the same bytes. A total row sums all files.\n"
    "With --timing, seconds and mb_per_s (the table's MB/s) time the model's compression and\n"
    "decompress_seconds the verification; without it no wall-clock time is printed. A progress\n"
    "line is drawn on stderr when it is a terminal and a FILE has 1 MiB or more (--progress:\n"
    "always, also into a file or pipe; --no-progress: never).\n"
    "\n";

// One file's measurements (compression_measurement) and its name.
struct measurement : compression_measurement {
    std::string file;
};

namespace detail {

// Compresses, decompresses and compares one input; measures the baselines (measure_compression),
// with a progress bar.
inline measurement measure_one(const std::string& name, const std::vector<std::uint8_t>& input,
                               const compression_options& options,
                               progress_mode mode = progress_mode::automatic) {
    progress_bar bar(name, input.size(), mode);
    std::string_view shown_phase;
    const auto progress = [&](const char* phase, std::uint64_t done, std::uint64_t total) {
        if (shown_phase != phase) {
            bar.phase(phase);
            shown_phase = phase;
        }
        bar.update(done, total);
    };
    measurement m;
    try {
        static_cast<compression_measurement&>(m) = measure_compression(input, options, name, progress);
    } catch (const invalid_argument_error& e) {
        throw usage_error(e.what());
    }
    bar.finish();
    m.file = name;
    return m;
}

inline json_object baselines_json(const baseline_sizes& sizes) {
    json_object o;
    o.add("gzip_9", static_cast<std::int64_t>(sizes.gzip_9))
        .add("xz_9", static_cast<std::int64_t>(sizes.xz_9))
        .add("zstd_19", static_cast<std::int64_t>(sizes.zstd_19))
        .add("brotli_11", static_cast<std::int64_t>(sizes.brotli_11));
    return o;
}

inline json_object baselines_bits_per_byte_json(const baseline_sizes& sizes, std::uint64_t bytes) {
    json_object o;
    o.add("gzip_9", bits_per_byte_of(8.0 * static_cast<double>(sizes.gzip_9), bytes))
        .add("xz_9", bits_per_byte_of(8.0 * static_cast<double>(sizes.xz_9), bytes))
        .add("zstd_19", bits_per_byte_of(8.0 * static_cast<double>(sizes.zstd_19), bytes))
        .add("brotli_11", bits_per_byte_of(8.0 * static_cast<double>(sizes.brotli_11), bytes));
    return o;
}

inline json_object measurement_json(const measurement& m, const compression_options& options, bool with_file,
                                    bool timing) {
    json_object o;
    if (with_file) {
        o.add_name("file", m.file);
    }
    o.add("bytes", static_cast<std::int64_t>(m.bytes))
        .add("model", model_name(options.model))
        .add("memory_mib", static_cast<std::int64_t>(options.memory_mib))
        .add("ideal_bits", m.ideal_bits)
        .add("ideal_bits_per_byte", m.ideal_bits_per_byte())
        .add("coded_bytes", static_cast<std::int64_t>(m.coded_bytes))
        .add("header_bytes", static_cast<std::int64_t>(m.header_bytes))
        .add("stored", m.stored)
        .add("round_trip_verified", true)
        .add("bits_per_byte", m.coded_bits_per_byte())
        .add_object("baselines", baselines_json(m.baselines))
        .add_object("baselines_bits_per_byte", baselines_bits_per_byte_json(m.baselines, m.bytes));
    if (timing) {
        o.add("seconds", m.seconds)
            .add("mb_per_s", m.mb_per_second(m.seconds))
            .add("decompress_seconds", m.decompress_seconds)
            .add("decompress_mb_per_s", m.mb_per_second(m.decompress_seconds));
    }
    return o;
}

// "%.3f" of a value, "-" when undefined.
inline std::string fixed3(std::optional<double> value) {
    if (!value) {
        return "-";
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", *value);
    return text;
}

inline std::string shorten(const std::string& name, std::size_t width) {
    return name.size() <= width ? name : "..." + name.substr(name.size() - (width - 3));
}

inline void print_table_row(const measurement& m, std::size_t name_width, bool timing) {
    const auto bpb = [&](std::uint64_t size) { return fixed3(m.bits_per_byte(size)); };
    std::printf("%-*s %12llu %9s %12llu %7s | %7s %7s %7s %9s", static_cast<int>(name_width),
                shorten(m.file, name_width).c_str(), static_cast<unsigned long long>(m.bytes),
                fixed3(m.ideal_bits_per_byte()).c_str(), static_cast<unsigned long long>(m.coded_bytes),
                bpb(m.coded_bytes).c_str(), bpb(m.baselines.gzip_9).c_str(), bpb(m.baselines.xz_9).c_str(),
                bpb(m.baselines.zstd_19).c_str(), bpb(m.baselines.brotli_11).c_str());
    if (timing) {
        std::printf(" | %8s", fixed3(m.mb_per_second(m.seconds)).c_str());
    }
    std::printf("\n");
}

inline void print_table(const std::vector<measurement>& rows, const measurement& total,
                        const compression_options& options, bool timing) {
    std::size_t name_width = 5;
    for (const auto& m : rows) {
        name_width = std::max(name_width, std::min<std::size_t>(m.file.size(), 48));
    }
    std::printf("model %s (memory %u MiB); bits/byte columns: ideal = prequential code length, "
                "coded = real compressed size\n\n",
                model_name(options.model), static_cast<unsigned>(options.memory_mib));
    std::printf("%-*s %12s %9s %12s %7s | %7s %7s %7s %9s", static_cast<int>(name_width), "file", "bytes",
                "ideal", "coded bytes", "coded", "gzip-9", "xz-9", "zstd-19", "brotli-11");
    std::printf(timing ? " | %8s\n" : "\n", "MB/s");
    const std::string rule(name_width + (timing ? 93 : 82), '-');
    std::printf("%s\n", rule.c_str());
    for (const auto& m : rows) {
        print_table_row(m, name_width, timing);
    }
    if (rows.size() > 1) {
        std::printf("%s\n", rule.c_str());
        print_table_row(total, name_width, timing);
    }
    std::printf("\nbits/byte everywhere except the bytes columns; every coded file was decompressed and "
                "matched its input exactly.\n");
}

} // namespace detail

// Runs `codelength measure` with argv[first..); returns the exit status.
inline int run_measure(int argc, char** argv, int first) {
    arguments args;
    add_model_options(args).flag("json", "print one JSON object instead of the table");
    add_progress_flags(args);
    add_timing_flag(args).flag("help", "show this help", 'h');
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(measure_usage)) {
        return 0;
    }
    const compression_options options = parse_compression_options(args);
    const auto& files = args.positional();
    if (files.empty()) {
        throw usage_error("expected at least one FILE");
    }
    check_stdin_named_once(files);
    const bool timing = args.has("timing");
    // Read every file first, so that an unreadable one fails before minutes of work.
    std::vector<std::vector<std::uint8_t>> inputs;
    inputs.reserve(files.size());
    for (const auto& file : files) {
        inputs.push_back(read_whole_input(file));
    }
    std::vector<measurement> rows;
    measurement total;
    total.file = "total";
    for (std::size_t i = 0; i < files.size(); ++i) {
        rows.push_back(
            detail::measure_one(display_name(files[i], "stdin"), inputs[i], options, progress_mode_of(args)));
        total += rows.back();
        inputs[i] = {};
    }
    if (args.has("json")) {
        std::string list;
        for (const auto& m : rows) {
            list += (list.empty() ? "" : ", ") + detail::measurement_json(m, options, true, timing).str();
        }
        std::printf("{\"files\": [%s], \"total\": %s}\n", list.c_str(),
                    detail::measurement_json(total, options, false, timing).str().c_str());
        return 0;
    }
    detail::print_table(rows, total, options, timing);
    return 0;
}

} // namespace codelength::cli
