// One input measured as `codelength measure` reports it: the adaptive byte model's prequential
// code length (ideal bits), the real compressed size with the round trip verified, and the
// sizes of gzip -9, xz -9, zstd -19 and brotli -q 11 on the same bytes. Part of
// codelength::baselines (it links the four reference compressors).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codelength/baselines/baselines.hpp"
#include "codelength/compress/byte_codec.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/detail/little_endian.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// size_bits / bytes: bits per byte, std::nullopt for an empty input.
[[nodiscard]] inline std::optional<double> bits_per_byte_of(double size_bits, std::uint64_t bytes) noexcept {
    return bytes == 0 ? std::nullopt : std::optional<double>(size_bits / static_cast<double>(bytes));
}

// One input's measurements; sizes in bytes, code lengths in bits, times in seconds.
struct compression_measurement {
    std::uint64_t bytes = 0;
    double ideal_bits = 0.0; // the model's prequential code length of the input
    std::uint64_t coded_bytes = 0;
    std::uint64_t header_bytes = 0;
    bool stored = false; // the model did not beat storing: the payload is the raw input
    baseline_sizes baselines;
    double seconds = 0.0;            // wall-clock time of the compression
    double decompress_seconds = 0.0; // wall-clock time of the verifying decompression

    // ideal_bits / bytes; std::nullopt for an empty input.
    [[nodiscard]] std::optional<double> ideal_bits_per_byte() const noexcept {
        return bits_per_byte_of(ideal_bits, bytes);
    }
    // 8 * size_bytes / bytes for a compressed size (coded_bytes or a baseline's).
    [[nodiscard]] std::optional<double> bits_per_byte(std::uint64_t size_bytes) const noexcept {
        return bits_per_byte_of(8.0 * static_cast<double>(size_bytes), bytes);
    }
    // 8 * coded_bytes / bytes: the real compressed size in bits per input byte.
    [[nodiscard]] std::optional<double> coded_bits_per_byte() const noexcept {
        return bits_per_byte(coded_bytes);
    }
    // bytes / 1e6 / seconds (seconds > 0), megabytes per second.
    [[nodiscard]] std::optional<double> mb_per_second(double elapsed_seconds) const noexcept {
        return elapsed_seconds > 0.0
                   ? std::optional<double>(static_cast<double>(bytes) / 1e6 / elapsed_seconds)
                   : std::nullopt;
    }

    // The sums of two measurements (a total over several inputs; stored if either was).
    compression_measurement& operator+=(const compression_measurement& other) noexcept {
        bytes += other.bytes;
        ideal_bits += other.ideal_bits;
        coded_bytes += other.coded_bytes;
        header_bytes += other.header_bytes;
        stored = stored || other.stored;
        baselines.gzip_9 += other.baselines.gzip_9;
        baselines.xz_9 += other.baselines.xz_9;
        baselines.zstd_19 += other.baselines.zstd_19;
        baselines.brotli_11 += other.baselines.brotli_11;
        seconds += other.seconds;
        decompress_seconds += other.decompress_seconds;
        return *this;
    }
};

// Progress of measure_compression: the phase ("compress", "verify", "baselines") and how much
// of it is done (bytes for the first two, compressors out of 4 for the baselines).
using measurement_progress = std::function<void(const char* phase, std::uint64_t done, std::uint64_t total)>;

// The original size a compressed file's header announces, or the stream's own size when it is
// shorter than a header (for progress displays only; decompress_bytes validates the header).
[[nodiscard]] inline std::uint64_t announced_original_bytes(std::span<const std::uint8_t> compressed) {
    if (compressed.size() < byte_codec_header_bytes) {
        return compressed.size();
    }
    return detail::load_le(compressed.data() + byte_codec_offset::original_size, 8);
}

// Compresses `input` with compress_bytes(options), decompresses the result and compares it with
// the input, and measures the four baselines. Throws invalid_argument_error for options the
// models refuse (as compress_bytes) and codelength::error, its message starting with
// `source_name`, if the decompressed bytes differ (a bug in the codec).
[[nodiscard]] inline compression_measurement measure_compression(std::span<const std::uint8_t> input,
                                                                 const compression_options& options,
                                                                 const std::string& source_name = "input",
                                                                 const measurement_progress& progress = {}) {
    const auto report = [&](const char* phase, std::uint64_t done, std::uint64_t total) {
        if (progress) {
            progress(phase, done, total);
        }
    };
    const auto bytes_of = [&](const char* phase) -> byte_progress {
        if (!progress) {
            return {};
        }
        return [&progress, phase, total = input.size()](std::uint64_t done) { progress(phase, done, total); };
    };
    compression_measurement m;
    m.bytes = input.size();
    const auto started = std::chrono::steady_clock::now();
    const compression_result compressed = compress_bytes(input, options, bytes_of("compress"));
    const auto compressed_at = std::chrono::steady_clock::now();
    const std::vector<std::uint8_t> restored = decompress_bytes(compressed.bytes, bytes_of("verify"));
    const auto verified_at = std::chrono::steady_clock::now();
    report("baselines", 0, 4);
    m.baselines.gzip_9 = gzip_9_bytes(input);
    report("baselines", 1, 4);
    m.baselines.xz_9 = xz_9_bytes(input);
    report("baselines", 2, 4);
    m.baselines.zstd_19 = zstd_19_bytes(input);
    report("baselines", 3, 4);
    m.baselines.brotli_11 = brotli_11_bytes(input);
    report("baselines", 4, 4);
    if (!std::equal(restored.begin(), restored.end(), input.begin(), input.end())) {
        throw error(source_name + ": the round trip failed: decompressing the compressed stream gave " +
                    detail::count_noun(restored.size(), "byte", "bytes") + " that differ from the " +
                    detail::count_noun(input.size(), "input byte", "input bytes") +
                    " (a bug in the codec; please report it)");
    }
    m.ideal_bits = compressed.ideal_bits;
    m.coded_bytes = compressed.bytes.size();
    m.header_bytes = compressed.header_bytes;
    m.stored = compressed.stored;
    m.seconds = std::chrono::duration<double>(compressed_at - started).count();
    m.decompress_seconds = std::chrono::duration<double>(verified_at - compressed_at).count();
    return m;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
