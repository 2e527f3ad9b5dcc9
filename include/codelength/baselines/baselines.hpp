// Real compressed sizes from the compressors people know, as reference code lengths:
// gzip -9 (zlib), xz -9 (liblzma), zstd -19 (libzstd) and brotli -q 11 (libbrotlienc).
// Separate CMake target codelength::baselines (it links those four libraries); the umbrella
// header codelength/codelength.hpp does not include this file.
//
// Each function compresses the whole input in memory and returns the size of a complete,
// decodable stream in the format of the command-line tool:
//   gzip_9_bytes     gzip format (RFC 1952: 10-byte header, no name, mtime 0, 8-byte trailer)
//                    from zlib's deflate at level 9, window 2^15, memLevel 8 (zlib's default, as
//                    in Python's zlib/gzip modules). GNU `gzip -9 -n`
//                    has its own deflate and can differ from it by a few bytes.
//   xz_9_bytes       .xz format, preset 9, CRC64 check, one block written by the streaming
//                    encoder: the same bytes as single-threaded `xz -9`.
//   zstd_19_bytes    zstd frame at level 19 with the content size and the 4-byte XXH64
//                    checksum the `zstd` tool writes by default: the size of `zstd -19`.
//   brotli_11_bytes  brotli stream, quality 11, window 2^22 (BROTLI_DEFAULT_WINDOW), generic
//                    mode; the `brotli` tool may choose a smaller window for small files.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <brotli/encode.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Sizes in bytes of the four reference compressors' output for one input.
struct baseline_sizes {
    std::uint64_t gzip_9 = 0;
    std::uint64_t xz_9 = 0;
    std::uint64_t zstd_19 = 0;
    std::uint64_t brotli_11 = 0;
};

// A compressor library reported a failure (out of memory, an input too large for it).
class baseline_error : public error {
public:
    using error::error;
};

namespace detail {

// Feeds zlib in chunks its 32-bit counters can hold.
inline constexpr std::size_t zlib_chunk_bytes = std::size_t{1} << 30;

} // namespace detail

// The gzip-format stream zlib writes at level 9 (see the top of this file).
inline std::vector<std::uint8_t> gzip_9_compress(std::span<const std::uint8_t> input) {
    z_stream stream{};
    // windowBits 15 + 16 selects the gzip wrapper; memLevel 8 is zlib's default.
    if (deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw baseline_error("gzip_9: deflateInit2 failed");
    }
    const std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, deflateEnd);
    std::vector<std::uint8_t> output;
    std::vector<std::uint8_t> buffer(std::size_t{1} << 16);
    std::size_t consumed = 0;
    int status = Z_OK;
    while (status != Z_STREAM_END) {
        if (stream.avail_in == 0 && consumed < input.size()) {
            const std::size_t chunk = std::min(input.size() - consumed, detail::zlib_chunk_bytes);
            // zlib's next_in is not const-qualified but is only read.
            stream.next_in = const_cast<Bytef*>(input.data() + consumed);
            stream.avail_in = static_cast<uInt>(chunk);
            consumed += chunk;
        }
        stream.next_out = buffer.data();
        stream.avail_out = static_cast<uInt>(buffer.size());
        status = deflate(&stream, consumed == input.size() ? Z_FINISH : Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
            throw baseline_error("gzip_9: deflate failed (" + std::to_string(status) + ")");
        }
        output.insert(output.end(), buffer.data(), stream.next_out);
    }
    return output;
}

// The .xz streams of `xz -9` (preset 9, CRC64; see the top of this file), one input at a time,
// for loops over many inputs. Preset 9 asks liblzma for 674 MiB of match-finder tables, and
// allocating them, faulting their pages in and freeing them again costs more than compressing a
// small document; this encoder keeps them from one input to the next (liblzma re-initializes
// its state, and re-zeroes its 64 MiB hash table, for each input), so the bytes are those of a
// fresh encoder. The price: the tables stay mapped (the 64 MiB hash table and the pages the
// inputs touched resident) until the encoder is destroyed. Not thread-safe: one per thread.
class xz_9_encoder {
public:
    xz_9_encoder() = default;
    xz_9_encoder(const xz_9_encoder&) = delete;
    xz_9_encoder& operator=(const xz_9_encoder&) = delete;
    ~xz_9_encoder() { lzma_end(&m_stream); }

    // The whole .xz stream of `input`.
    [[nodiscard]] std::vector<std::uint8_t> compress(std::span<const std::uint8_t> input) {
        std::vector<std::uint8_t> output;
        encode(input, [&output](const std::uint8_t* begin, const std::uint8_t* end) {
            output.insert(output.end(), begin, end);
        });
        return output;
    }
    // Size in bytes of compress(input), without keeping the stream.
    [[nodiscard]] std::uint64_t compressed_bytes(std::span<const std::uint8_t> input) {
        std::uint64_t bytes = 0;
        encode(input, [&bytes](const std::uint8_t* begin, const std::uint8_t* end) {
            bytes += static_cast<std::uint64_t>(end - begin);
        });
        return bytes;
    }

private:
    template <class Sink>
    void encode(std::span<const std::uint8_t> input, Sink&& sink) {
        lzma_stream& stream = m_stream;
        // Initializing a stream that holds an encoder reuses its memory where the settings allow.
        if (const lzma_ret status = lzma_easy_encoder(&stream, 9, LZMA_CHECK_CRC64); status != LZMA_OK) {
            throw baseline_error("xz_9: lzma_easy_encoder failed (" +
                                 std::to_string(static_cast<int>(status)) + ")");
        }
        std::vector<std::uint8_t> buffer(std::size_t{1} << 16);
        stream.next_in = input.data();
        stream.avail_in = input.size();
        lzma_ret status = LZMA_OK;
        while (status != LZMA_STREAM_END) {
            stream.next_out = buffer.data();
            stream.avail_out = buffer.size();
            status = lzma_code(&stream, LZMA_FINISH);
            if (status != LZMA_OK && status != LZMA_STREAM_END) {
                throw baseline_error("xz_9: lzma_code failed (" + std::to_string(static_cast<int>(status)) +
                                     ")");
            }
            sink(buffer.data(), stream.next_out);
        }
    }

    lzma_stream m_stream = LZMA_STREAM_INIT;
};

// The .xz stream of `xz -9` (preset 9, CRC64; see the top of this file).
inline std::vector<std::uint8_t> xz_9_compress(std::span<const std::uint8_t> input) {
    return xz_9_encoder().compress(input);
}

// The zstd frame of `zstd -19` (content size and checksum; see the top of this file).
inline std::vector<std::uint8_t> zstd_19_compress(std::span<const std::uint8_t> input) {
    const std::unique_ptr<ZSTD_CCtx, std::size_t (*)(ZSTD_CCtx*)> context(ZSTD_createCCtx(), ZSTD_freeCCtx);
    if (!context) {
        throw baseline_error("zstd_19: ZSTD_createCCtx failed");
    }
    const auto check = [](std::size_t code, const char* what) {
        if (ZSTD_isError(code) != 0U) {
            throw baseline_error(std::string("zstd_19: ") + what + ": " + ZSTD_getErrorName(code));
        }
    };
    check(ZSTD_CCtx_setParameter(context.get(), ZSTD_c_compressionLevel, 19), "level");
    check(ZSTD_CCtx_setParameter(context.get(), ZSTD_c_checksumFlag, 1), "checksum flag");
    std::vector<std::uint8_t> output(ZSTD_compressBound(input.size()));
    const std::size_t size =
        ZSTD_compress2(context.get(), output.data(), output.size(), input.data(), input.size());
    check(size, "compress");
    output.resize(size);
    return output;
}

// The brotli stream at quality 11, window 2^22 (see the top of this file).
inline std::vector<std::uint8_t> brotli_11_compress(std::span<const std::uint8_t> input) {
    std::size_t bound = BrotliEncoderMaxCompressedSize(input.size());
    if (bound == 0) { // 0 means "too large to bound"; brotli's worst case is a few bytes per 64 KiB
        bound = input.size() + input.size() / 8 + 1024;
    }
    std::vector<std::uint8_t> output(bound);
    std::size_t size = output.size();
    if (BrotliEncoderCompress(BROTLI_MAX_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, input.size(),
                              input.data(), &size, output.data()) == BROTLI_FALSE) {
        throw baseline_error("brotli_11: BrotliEncoderCompress failed");
    }
    output.resize(size);
    return output;
}

// Size in bytes of gzip_9_compress(input).
inline std::uint64_t gzip_9_bytes(std::span<const std::uint8_t> input) {
    return gzip_9_compress(input).size();
}
// Size in bytes of xz_9_compress(input).
inline std::uint64_t xz_9_bytes(std::span<const std::uint8_t> input) {
    return xz_9_encoder().compressed_bytes(input);
}
// Size in bytes of zstd_19_compress(input).
inline std::uint64_t zstd_19_bytes(std::span<const std::uint8_t> input) {
    return zstd_19_compress(input).size();
}
// Size in bytes of brotli_11_compress(input).
inline std::uint64_t brotli_11_bytes(std::span<const std::uint8_t> input) {
    return brotli_11_compress(input).size();
}

// All four sizes for one input, e.g. `measure_baselines(bytes).xz_9 * 8.0 / bytes.size()` is
// xz -9's bits per byte.
inline baseline_sizes measure_baselines(std::span<const std::uint8_t> input) {
    baseline_sizes sizes;
    sizes.gzip_9 = gzip_9_bytes(input);
    sizes.xz_9 = xz_9_bytes(input);
    sizes.zstd_19 = zstd_19_bytes(input);
    sizes.brotli_11 = brotli_11_bytes(input);
    return sizes;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
