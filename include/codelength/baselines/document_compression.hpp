// Generic compressors' sizes of a document's text, as inputs to the memorization metrics
// (metrics/memorization.hpp): zlib at its default level (the "zlib entropy" of Carlini et al.
// 2020 and MIMIR), gzip -9, xz -9, zstd -19 and brotli -q 11. Part of codelength::baselines
// (links zlib, liblzma, libzstd, libbrotlienc).
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <zlib.h>

#include "codelength/baselines/baselines.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/metrics/memorization.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Size in bytes of zlib's compress2 at Z_DEFAULT_COMPRESSION (level 6): the zlib-format stream
// (2-byte header, 4-byte Adler-32 trailer) of Python's zlib.compress(input).
// Throws baseline_error if zlib fails or the input exceeds zlib's uLong.
[[nodiscard]] inline std::uint64_t zlib_default_bytes(std::span<const std::uint8_t> input) {
    if (input.size() > std::numeric_limits<uLong>::max() / 2) {
        throw baseline_error("zlib_default: input of " + std::to_string(input.size()) +
                             " bytes is too large");
    }
    uLongf size = compressBound(static_cast<uLong>(input.size()));
    std::vector<Bytef> output(size);
    const int status = compress2(output.data(), &size, input.data(), static_cast<uLong>(input.size()),
                                 Z_DEFAULT_COMPRESSION);
    if (status != Z_OK) {
        throw baseline_error("zlib_default: compress2 failed (" + std::to_string(status) + ")");
    }
    return size;
}

// The five sizes measure_document_memorization needs for a document's bytes; `xz` is reused
// from one document to the next (see xz_9_encoder).
[[nodiscard]] inline generic_compressed_sizes measure_generic_sizes(std::span<const std::uint8_t> text,
                                                                    xz_9_encoder& xz) {
    generic_compressed_sizes sizes;
    sizes.zlib_default = zlib_default_bytes(text);
    sizes.gzip_9 = gzip_9_bytes(text);
    sizes.xz_9 = xz.compressed_bytes(text);
    sizes.zstd_19 = zstd_19_bytes(text);
    sizes.brotli_11 = brotli_11_bytes(text);
    return sizes;
}

// The five sizes for one document.
[[nodiscard]] inline generic_compressed_sizes measure_generic_sizes(std::span<const std::uint8_t> text) {
    xz_9_encoder xz;
    return measure_generic_sizes(text, xz);
}

// A span_generic_bits_function over a document's bytes: 8 * zlib_default_bytes of
// text[byte_begin, byte_end) compressed on its own (so it includes zlib's 6 bytes of framing).
// The span refers to `text`, which must outlive the function.
[[nodiscard]] inline span_generic_bits_function zlib_span_bits(std::span<const std::uint8_t> text) {
    return [text](std::int64_t byte_begin, std::int64_t byte_end) {
        if (byte_begin < 0 || byte_end < byte_begin || static_cast<std::uint64_t>(byte_end) > text.size()) {
            throw invalid_argument_error("zlib_span_bits: bytes [" + std::to_string(byte_begin) + ", " +
                                         std::to_string(byte_end) + ") outside a text of " +
                                         detail::count_noun(text.size(), "byte", "bytes"));
        }
        const auto part = text.subspan(static_cast<std::size_t>(byte_begin),
                                       static_cast<std::size_t>(byte_end - byte_begin));
        return static_cast<double>(zlib_default_bytes(part)) * 8.0;
    };
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
