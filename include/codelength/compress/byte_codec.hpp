// The compressed-file format of codelength: compress and decompress a byte buffer with a built-in
// adaptive model (the context-mixing model, PPM or order-0), and the generic coding loops that
// drive a binary model (bitwise, MSB first) or a frequency model (range coder) over bytes.
//
//   auto packed = codelength::compress_bytes(data, {.model = codelength::byte_model_kind::ppm});
//   std::vector<std::uint8_t> back = codelength::decompress_bytes(packed.bytes);   // == data
//
// Container (48-byte header, integers little-endian, then the payload):
//   0  magic "CLZB"           4  version (1)          5  model kind (1 cm, 2 ppm, 3 order0)
//   6  flags (bit 0: stored)  7  model parameter (ppm: order; else 0)
//   8  memory_mib (u32, the effective setting the model was built with)
//   12 model fingerprint (u64)  20 original size (u64)  28 CRC-32C of the original (u32)
//   32 payload size (u64)       40 reserved, zero (u32)  44 CRC-32C of bytes 0..43 (u32)
// Stored mode: when the model's coding is not smaller than the input, the payload is the input
// itself (flag bit 0), so incompressible input grows by the 48-byte header only.
// The effective memory is min(memory_mib, a power of two >= 64 bytes per input byte), raised to
// the model's minimum: small inputs do not pay for clearing large tables. The decoder rebuilds
// the model from the header and checks its fingerprint. It refuses an original size larger than
// the payload could hold at the model's lowest possible cost per byte (so a hostile size fails
// before any allocation), reserves at most 64 MiB (and 256 bytes per payload byte) up front, and
// returns output only after the payload decoded to exactly its length and the CRC-32C of the
// output matched.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "codelength/coding/binary_coder.hpp"
#include "codelength/coding/checksum.hpp"
#include "codelength/coding/decoding_limits.hpp"
#include "codelength/coding/frequency_model.hpp"
#include "codelength/coding/range_coder.hpp"
#include "codelength/coding/stream_errors.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/detail/little_endian.hpp"
#include "codelength/models/context_mixing.hpp"
#include "codelength/models/order0.hpp"
#include "codelength/models/ppm.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Which built-in model codes a compressed file.
enum class byte_model_kind : std::uint8_t { cm = 1, ppm = 2, order0 = 3 };

// How compress_bytes codes: the model, its memory budget (MiB; cm: 8-1024, ppm: 1-4096,
// ignored by order0) and the PPM order (0-8).
struct compression_options {
    byte_model_kind model = byte_model_kind::cm;
    std::uint32_t memory_mib = 256;
    int ppm_order = 5;
};

// A compressed file and what it cost: ideal_bits is the prequential code length (the sum of
// -log2 p of each byte, or bit, under the model as it learns), header_bytes the container's.
struct compression_result {
    std::vector<std::uint8_t> bytes;
    double ideal_bits = 0;
    std::uint64_t header_bytes = 0;
    bool stored = false; // the payload is the raw input (the model did not beat storing)
};

// Called with the number of input (or output) bytes done so far, every 64 KiB and at the end.
using byte_progress = std::function<void(std::uint64_t done_bytes)>;

// What decompress_bytes may spend on one file is a decoding_limits (decoding_limits.hpp):
// max_output_bytes and max_memory_mib, checked against the header before anything is
// allocated (a valid 1 KiB cm file can announce ~3 MB of output; a 1 MiB one up to 1024 MiB
// of model).

inline constexpr std::array<std::uint8_t, 4> byte_codec_magic = {0x43, 0x4c, 0x5a, 0x42}; // "CLZB"
inline constexpr std::uint8_t byte_codec_version = 1;
inline constexpr std::size_t byte_codec_header_bytes = 48;
inline constexpr std::uint8_t byte_codec_flag_stored = 1;

namespace byte_codec_offset {
inline constexpr std::size_t magic = 0;
inline constexpr std::size_t version = 4;
inline constexpr std::size_t model_kind = 5;
inline constexpr std::size_t flags = 6;
inline constexpr std::size_t model_parameter = 7;
inline constexpr std::size_t memory_mib = 8;
inline constexpr std::size_t fingerprint = 12;
inline constexpr std::size_t original_size = 20;
inline constexpr std::size_t original_crc32c = 28;
inline constexpr std::size_t payload_bytes = 32;
inline constexpr std::size_t reserved = 40;
inline constexpr std::size_t header_crc32c = 44;
} // namespace byte_codec_offset

namespace detail {

inline constexpr std::uint64_t byte_codec_progress_step = std::uint64_t{1} << 16U;
// Output is reserved up to this size and grown while decoding beyond it.
inline constexpr std::uint64_t byte_codec_reserve_cap = std::uint64_t{1} << 26U;

// What a decoder reserves for `size` output bytes from a payload of `payload_bytes`: the whole
// output unless that is more than 64 MiB or more than 256 bytes (plus 64 KiB) per payload byte,
// so a forged size costs at most what the payload could plausibly hold up front.
[[nodiscard]] inline std::size_t decode_reserve_bytes(std::uint64_t size,
                                                      std::uint64_t payload_bytes) noexcept {
    const std::uint64_t plausible =
        (std::uint64_t{1} << 16U) + 256 * std::min<std::uint64_t>(payload_bytes, byte_codec_reserve_cap);
    return static_cast<std::size_t>(std::min({size, byte_codec_reserve_cap, plausible}));
}

// The p1 the coders use: the model's, clamped to [1, 2^B - 1] (both sides clamp alike).
template <int Bits>
[[nodiscard]] inline std::uint32_t clamped_p1(std::uint32_t p1) noexcept {
    constexpr std::uint32_t top = static_cast<std::uint32_t>((std::uint64_t{1} << Bits) - 1);
    return p1 < 1 ? 1 : (p1 > top ? top : p1);
}

// -log2(k / 2^Bits) for every k in [0, 2^Bits], computed by std::log2 once (the same doubles
// as computing each term in the loop).
template <int Bits>
[[nodiscard]] const std::vector<double>& bit_cost_table() {
    static const std::vector<double> table = [] {
        constexpr double scale = 1.0 / static_cast<double>(std::uint64_t{1} << Bits);
        std::vector<double> costs((std::size_t{1} << Bits) + 1);
        for (std::size_t k = 0; k < costs.size(); ++k) {
            costs[k] = -std::log2(static_cast<double>(k) * scale);
        }
        return costs;
    }();
    return table;
}

} // namespace detail

// Codes input with a binary model (8 bits per byte, MSB first) into out; returns the ideal bits.
template <class Model>
double encode_bytes_binary(Model& model, std::span<const std::uint8_t> input, std::vector<std::uint8_t>& out,
                           const byte_progress& progress = {}) {
    static_assert(check_binary_model<Model>());
    constexpr int bits = model_probability_bits_v<Model>;
    // Up to 16-bit probabilities, the cost of a bit comes from a table (at most 512 KiB).
    constexpr bool tabulated = bits <= 16;
    const double* costs = nullptr;
    if constexpr (tabulated) {
        costs = detail::bit_cost_table<bits>().data();
    }
    constexpr double scale = 1.0 / static_cast<double>(std::uint64_t{1} << bits);
    basic_binary_encoder<bits, std::vector<std::uint8_t>> encoder(out);
    double ideal_bits = 0;
    for (std::size_t i = 0; i < input.size(); ++i) {
        const unsigned byte = input[i];
        model_prefetch_byte(model, input[i]);
        for (int b = 7; b >= 0; --b) {
            const int bit = static_cast<int>((byte >> static_cast<unsigned>(b)) & 1U);
            const std::uint32_t p1 = detail::clamped_p1<bits>(model_p1(model));
            encoder.encode_bit_unchecked(bit, p1);
            const std::uint64_t k = bit != 0 ? p1 : (std::uint64_t{1} << bits) - p1;
            if constexpr (tabulated) {
                ideal_bits += costs[k];
            } else {
                ideal_bits -= std::log2(static_cast<double>(k) * scale);
            }
            model_update_bit(model, bit);
        }
        if (progress && ((i + 1) % detail::byte_codec_progress_step) == 0) {
            progress(i + 1);
        }
    }
    encoder.finish();
    return ideal_bits;
}

// Codes input with a frequency model through the range coder (31-bit CDFs scaled exactly
// from the model's integer frequencies) into out; returns the ideal bits -log2(f / total).
template <frequency_byte_model Model>
double encode_bytes_frequencies(Model& model, std::span<const std::uint8_t> input,
                                std::vector<std::uint8_t>& out, const byte_progress& progress = {}) {
    default_range_encoder encoder(out);
    std::array<std::uint32_t, 256> freq{};
    double ideal_bits = 0;
    for (std::size_t i = 0; i < input.size(); ++i) {
        const std::uint8_t symbol = input[i];
        const std::uint32_t total = model.next_frequencies(freq);
        std::uint64_t cumulative = 0;
        for (std::size_t s = 0; s < symbol; ++s) {
            cumulative += freq[s];
        }
        const std::uint32_t low = detail::scale_cumulative(cumulative, total);
        const std::uint32_t high = detail::scale_cumulative(cumulative + freq[symbol], total);
        encoder.encode({low, high - low}, frequency_coder_precision_bits);
        ideal_bits += std::log2(static_cast<double>(total) / static_cast<double>(freq[symbol]));
        model.update(symbol);
        if (progress && ((i + 1) % detail::byte_codec_progress_step) == 0) {
            progress(i + 1);
        }
    }
    encoder.finish();
    return ideal_bits;
}

namespace detail {

// Throws when the decoder read past the payload before byte `index` was complete.
template <class Decoder>
void check_not_overran(const Decoder& decoder, std::uint64_t index, std::uint64_t payload_end_offset) {
    if (decoder.overran()) [[unlikely]] {
        throw stream_payload_error(payload_end_offset,
                                   "the payload ends before byte " + std::to_string(index) +
                                       " of the original is decoded (truncated or corrupt)");
    }
}

// Throws unless decoding used exactly the payload's bytes, consistently.
template <class Decoder>
void check_payload_consumed(const Decoder& decoder, std::uint64_t payload_bytes,
                            std::uint64_t payload_offset) {
    if (decoder.inconsistent() || decoder.stream_size() != payload_bytes) {
        throw stream_payload_error(
            payload_offset + std::min<std::uint64_t>(decoder.stream_size(), payload_bytes),
            "the payload does not decode to exactly its " +
                detail::count_noun(payload_bytes, "byte", "bytes") + " (it is corrupt)");
    }
}

} // namespace detail

// Decodes `size` bytes coded by encode_bytes_binary with an identically built model. Throws
// stream_payload_error (offsets relative to payload_offset) when the payload does not decode
// to exactly its own length.
template <class Model>
std::vector<std::uint8_t> decode_bytes_binary(Model& model, std::span<const std::uint8_t> payload,
                                              std::uint64_t size, std::uint64_t payload_offset = 0,
                                              const byte_progress& progress = {}) {
    static_assert(check_binary_model<Model>());
    constexpr int bits = model_probability_bits_v<Model>;
    basic_binary_decoder<bits, span_source> decoder(payload);
    std::vector<std::uint8_t> out;
    out.reserve(detail::decode_reserve_bytes(size, payload.size()));
    for (std::uint64_t i = 0; i < size; ++i) {
        unsigned byte = 0;
        for (int b = 0; b < 8; ++b) {
            const int bit = decoder.decode_bit_unchecked(detail::clamped_p1<bits>(model_p1(model)));
            model_update_bit(model, bit);
            byte = (byte << 1U) | static_cast<unsigned>(bit);
        }
        out.push_back(static_cast<std::uint8_t>(byte));
        detail::check_not_overran(decoder, i, payload_offset + payload.size());
        if (progress && ((i + 1) % detail::byte_codec_progress_step) == 0) {
            progress(i + 1);
        }
    }
    detail::check_payload_consumed(decoder, payload.size(), payload_offset);
    return out;
}

// Decodes `size` bytes coded by encode_bytes_frequencies with an identically built model
// (errors as decode_bytes_binary).
template <frequency_byte_model Model>
std::vector<std::uint8_t> decode_bytes_frequencies(Model& model, std::span<const std::uint8_t> payload,
                                                   std::uint64_t size, std::uint64_t payload_offset = 0,
                                                   const byte_progress& progress = {}) {
    default_range_decoder decoder(payload);
    std::vector<std::uint8_t> out;
    out.reserve(detail::decode_reserve_bytes(size, payload.size()));
    std::array<std::uint32_t, 256> freq{};
    constexpr auto p = static_cast<unsigned>(frequency_coder_precision_bits);
    for (std::uint64_t i = 0; i < size; ++i) {
        const std::uint32_t total = model.next_frequencies(freq);
        const std::uint64_t target = decoder.target(frequency_coder_precision_bits);
        // The symbol s with floor(cum_s 2^31 / T) <= target < floor(cum_{s+1} 2^31 / T), i.e. the
        // last s with cum_s 2^31 < (target + 1) T (at most 2^61: no overflow).
        const std::uint64_t threshold = (target + 1) * total;
        std::uint64_t cumulative = 0;
        std::size_t symbol = 0;
        for (; symbol < 255; ++symbol) {
            if (((cumulative + freq[symbol]) << p) >= threshold) {
                break;
            }
            cumulative += freq[symbol];
        }
        const std::uint32_t low = detail::scale_cumulative(cumulative, total);
        const std::uint32_t high = detail::scale_cumulative(cumulative + freq[symbol], total);
        decoder.consume({low, high - low}, frequency_coder_precision_bits);
        out.push_back(static_cast<std::uint8_t>(symbol));
        model.update(static_cast<std::int64_t>(symbol));
        detail::check_not_overran(decoder, i, payload_offset + payload.size());
        if (progress && ((i + 1) % detail::byte_codec_progress_step) == 0) {
            progress(i + 1);
        }
    }
    detail::check_payload_consumed(decoder, payload.size(), payload_offset);
    return out;
}

namespace detail {

// The memory the model is built with for an input of `size` bytes (see the file comment).
[[nodiscard]] inline std::uint32_t effective_memory_mib(byte_model_kind kind, std::uint32_t memory_mib,
                                                        std::uint64_t size) noexcept {
    std::uint64_t wanted = 1;
    while (wanted < memory_mib && (wanted << 20U) < size * 64) {
        wanted <<= 1U;
    }
    auto mib = static_cast<std::uint32_t>(std::min<std::uint64_t>(wanted, memory_mib));
    if (kind == byte_model_kind::cm) {
        mib = std::max<std::uint32_t>(mib, context_mixing_model::min_memory_mib);
    }
    return mib;
}

// Whether memory_mib is a valid setting for kind.
[[nodiscard]] inline bool valid_memory_mib(byte_model_kind kind, std::uint32_t memory_mib) noexcept {
    switch (kind) {
    case byte_model_kind::cm:
        return memory_mib >= context_mixing_model::min_memory_mib &&
               memory_mib <= context_mixing_model::max_memory_mib;
    case byte_model_kind::ppm:
        return memory_mib >= 1 && memory_mib <= ppm_model::max_memory_mib;
    case byte_model_kind::order0:
        return true;
    }
    return false;
}

// The fewest bits a model of this kind can spend on one byte (a lower bound): it bounds the
// original size a payload of a given length can hold.
[[nodiscard]] inline double min_bits_per_byte(byte_model_kind kind) noexcept {
    if (kind == byte_model_kind::cm) {
        constexpr double top =
            static_cast<double>(std::uint64_t{1} << context_mixing_model::probability_bits);
        return -8.0 * std::log2((top - 1.0) / top);
    }
    // Every frequency >= 1 and the total < 2^23: the likeliest byte has p <= 1 - 255 / 2^23
    // (the 31-bit scaling changes that by less than 2^-23).
    return -std::log2(1.0 - 254.0 / static_cast<double>(std::uint64_t{1} << 23U));
}

struct byte_codec_header {
    byte_model_kind kind = byte_model_kind::order0;
    std::uint8_t flags = 0;
    std::uint8_t model_parameter = 0;
    std::uint32_t memory_mib = 0;
    std::uint64_t fingerprint = 0;
    std::uint64_t original_size = 0;
    std::uint32_t original_crc32c = 0;
    std::uint64_t payload_bytes = 0;
};

[[nodiscard]] inline std::array<std::uint8_t, byte_codec_header_bytes>
write_byte_codec_header(const byte_codec_header& h) {
    std::array<std::uint8_t, byte_codec_header_bytes> out{};
    std::copy(byte_codec_magic.begin(), byte_codec_magic.end(), out.begin());
    out[byte_codec_offset::version] = byte_codec_version;
    out[byte_codec_offset::model_kind] = static_cast<std::uint8_t>(h.kind);
    out[byte_codec_offset::flags] = h.flags;
    out[byte_codec_offset::model_parameter] = h.model_parameter;
    store_le(out.data() + byte_codec_offset::memory_mib, h.memory_mib, 4);
    store_le(out.data() + byte_codec_offset::fingerprint, h.fingerprint, 8);
    store_le(out.data() + byte_codec_offset::original_size, h.original_size, 8);
    store_le(out.data() + byte_codec_offset::original_crc32c, h.original_crc32c, 4);
    store_le(out.data() + byte_codec_offset::payload_bytes, h.payload_bytes, 8);
    store_le(out.data() + byte_codec_offset::header_crc32c,
             crc32c(std::span<const std::uint8_t>(out.data(), byte_codec_offset::header_crc32c)), 4);
    return out;
}

// Runs f(model) with the model the header describes (f is called with a binary or a
// frequency model); throws stream_header_error for a kind/parameter the build cannot make.
template <class Function>
decltype(auto) with_byte_model(byte_model_kind kind, std::uint32_t memory_mib, std::uint8_t parameter,
                               Function&& f) {
    switch (kind) {
    case byte_model_kind::cm: {
        context_mixing_model model(context_mixing_options{.memory_mib = memory_mib});
        return f(model);
    }
    case byte_model_kind::ppm: {
        ppm_model model(ppm_options{.order = parameter, .memory_mib = memory_mib});
        return f(model);
    }
    case byte_model_kind::order0:
    default: {
        order0_model model;
        return f(model);
    }
    }
}

template <class Model>
double encode_with(Model& model, std::span<const std::uint8_t> input, std::vector<std::uint8_t>& out,
                   const byte_progress& progress) {
    if constexpr (frequency_byte_model<Model>) {
        return encode_bytes_frequencies(model, input, out, progress);
    } else {
        return encode_bytes_binary(model, input, out, progress);
    }
}

template <class Model>
std::vector<std::uint8_t> decode_with(Model& model, std::span<const std::uint8_t> payload, std::uint64_t size,
                                      const byte_progress& progress) {
    if constexpr (frequency_byte_model<Model>) {
        return decode_bytes_frequencies(model, payload, size, byte_codec_header_bytes, progress);
    } else {
        return decode_bytes_binary(model, payload, size, byte_codec_header_bytes, progress);
    }
}

} // namespace detail

// Compresses input into the container above. Throws invalid_argument_error for a model kind,
// memory setting or PPM order the models refuse (cm: [8, 1024] MiB; ppm: [1, 4096] MiB, order
// [0, 8]). Stores the input raw when coding would not make it smaller.
[[nodiscard]] inline compression_result compress_bytes(std::span<const std::uint8_t> input,
                                                       const compression_options& options = {},
                                                       const byte_progress& progress = {}) {
    const byte_model_kind kind = options.model;
    if (kind != byte_model_kind::cm && kind != byte_model_kind::ppm && kind != byte_model_kind::order0) {
        throw invalid_argument_error("unknown compression model kind " +
                                     std::to_string(static_cast<int>(kind)) +
                                     " (1 = cm, 2 = ppm, 3 = order0)");
    }
    if (!detail::valid_memory_mib(kind, options.memory_mib)) {
        const bool cm = kind == byte_model_kind::cm;
        throw invalid_argument_error(
            "memory setting " + std::to_string(options.memory_mib) + " MiB is outside " +
            (cm ? std::to_string(context_mixing_model::min_memory_mib) + "-" +
                      std::to_string(context_mixing_model::max_memory_mib) +
                      " MiB for the context-mixing model"
                : "1-" + std::to_string(ppm_model::max_memory_mib) + " MiB for the PPM model"));
    }
    if (kind == byte_model_kind::ppm && (options.ppm_order < 0 || options.ppm_order > ppm_model::max_order)) {
        throw invalid_argument_error("PPM order " + std::to_string(options.ppm_order) + " is outside 0-" +
                                     std::to_string(ppm_model::max_order));
    }
    detail::byte_codec_header header;
    header.kind = kind;
    header.model_parameter = kind == byte_model_kind::ppm ? static_cast<std::uint8_t>(options.ppm_order) : 0;
    header.memory_mib = kind == byte_model_kind::order0
                            ? 0
                            : detail::effective_memory_mib(kind, options.memory_mib, input.size());
    header.original_size = input.size();
    header.original_crc32c = crc32c(input);

    compression_result result;
    result.header_bytes = byte_codec_header_bytes;
    result.bytes.resize(byte_codec_header_bytes);
    result.bytes.reserve(byte_codec_header_bytes + input.size() + input.size() / 64 + 16);
    detail::with_byte_model(kind, header.memory_mib, header.model_parameter, [&](auto& model) {
        header.fingerprint = model.fingerprint();
        result.ideal_bits = detail::encode_with(model, input, result.bytes, progress);
        return 0;
    });
    std::uint64_t payload = result.bytes.size() - byte_codec_header_bytes;
    if (payload >= input.size() && !input.empty()) {
        result.bytes.resize(byte_codec_header_bytes);
        result.bytes.insert(result.bytes.end(), input.begin(), input.end());
        header.flags = byte_codec_flag_stored;
        payload = input.size();
        result.stored = true;
    }
    header.payload_bytes = payload;
    const auto head = detail::write_byte_codec_header(header);
    std::copy(head.begin(), head.end(), result.bytes.begin());
    if (progress) {
        progress(input.size());
    }
    return result;
}

// Decompresses what compress_bytes wrote and verifies it. Throws, in order:
// stream_magic_error (not "CLZB"), stream_version_error, stream_truncated_error (shorter than
// the header, or than header + payload), stream_header_error (header CRC, unknown model kind or
// flags, memory setting, or an original size the payload cannot hold),
// stream_model_mismatch_error (fingerprint), stream_trailing_bytes_error, stream_payload_error
// (the payload does not decode to exactly its length), stream_checksum_error (the decoded bytes'
// CRC-32C differs), and stream_limit_error (before allocating) when the header's original size
// or model memory exceeds `limits` (finite by default: 2 GiB of output, 1024 MiB of model). Reserves at most
// min(original size, 64 MiB, 64 KiB + 256 bytes per payload byte) up front plus what decoding produces, and
// the model's memory as the header states, which must be the memory compress_bytes chooses for that original
// size (so at most the next power of two >= 64 bytes per original byte, at least the model's minimum).
[[nodiscard]] inline std::vector<std::uint8_t> decompress_bytes(std::span<const std::uint8_t> compressed,
                                                                const byte_progress& progress = {},
                                                                const decoding_limits& limits = {}) {
    namespace off = byte_codec_offset;
    const std::size_t size = compressed.size();
    for (std::size_t i = 0; i < byte_codec_magic.size() && i < size; ++i) {
        if (compressed[i] != byte_codec_magic[i]) {
            throw stream_magic_error(
                i, "not a codelength compressed file: it does not start with the magic bytes \"CLZB\"");
        }
    }
    const auto truncated_header = [&] {
        return stream_truncated_error(
            size, "truncated: the file ends inside its " + std::to_string(byte_codec_header_bytes) +
                      "-byte header (it is " + detail::count_noun(size, "byte", "bytes") + " long)");
    };
    if (size <= off::version) {
        throw truncated_header();
    }
    if (compressed[off::version] != byte_codec_version) {
        throw stream_version_error(off::version, "unknown format version " +
                                                     std::to_string(compressed[off::version]) +
                                                     " (this build reads version 1)");
    }
    if (size < byte_codec_header_bytes) {
        throw truncated_header();
    }
    const std::uint8_t* in = compressed.data();
    const auto stored_crc = static_cast<std::uint32_t>(detail::load_le(in + off::header_crc32c, 4));
    if (stored_crc != crc32c(compressed.first(off::header_crc32c))) {
        throw stream_header_error(off::header_crc32c, "header checksum mismatch (the header is damaged)");
    }
    detail::byte_codec_header h;
    const std::uint8_t kind_byte = in[off::model_kind];
    if (kind_byte < 1 || kind_byte > 3) {
        throw stream_header_error(off::model_kind, "unknown model kind " + std::to_string(kind_byte));
    }
    h.kind = static_cast<byte_model_kind>(kind_byte);
    h.flags = in[off::flags];
    h.model_parameter = in[off::model_parameter];
    h.memory_mib = static_cast<std::uint32_t>(detail::load_le(in + off::memory_mib, 4));
    h.fingerprint = detail::load_le(in + off::fingerprint, 8);
    h.original_size = detail::load_le(in + off::original_size, 8);
    h.original_crc32c = static_cast<std::uint32_t>(detail::load_le(in + off::original_crc32c, 4));
    h.payload_bytes = detail::load_le(in + off::payload_bytes, 8);
    if ((h.flags & ~byte_codec_flag_stored) != 0) {
        throw stream_header_error(off::flags, "unknown flags " + std::to_string(h.flags));
    }
    if (detail::load_le(in + off::reserved, 4) != 0) {
        throw stream_header_error(off::reserved, "reserved field is not zero");
    }
    const bool stored = (h.flags & byte_codec_flag_stored) != 0;
    if (h.kind == byte_model_kind::ppm && h.model_parameter > ppm_model::max_order) {
        throw stream_header_error(off::model_parameter,
                                  "PPM order " + std::to_string(h.model_parameter) + " is outside [0, 8]");
    }
    if (h.kind != byte_model_kind::ppm && h.model_parameter != 0) {
        throw stream_header_error(off::model_parameter, "model parameter " +
                                                            std::to_string(h.model_parameter) +
                                                            " must be 0 for this model kind");
    }
    if (h.kind == byte_model_kind::order0 ? h.memory_mib != 0
                                          : !detail::valid_memory_mib(h.kind, h.memory_mib)) {
        throw stream_header_error(off::memory_mib,
                                  "memory setting " + std::to_string(h.memory_mib) + " MiB is out of range");
    }
    if (stored ? h.original_size != h.payload_bytes
               : static_cast<double>(h.original_size) >
                     (static_cast<double>(h.payload_bytes) * 8.0 + 64.0) / detail::min_bits_per_byte(h.kind) +
                         1.0) {
        throw stream_header_error(off::original_size,
                                  "original size " + std::to_string(h.original_size) +
                                      " cannot come from a payload of " +
                                      detail::count_noun(h.payload_bytes, "byte", "bytes"));
    }
    const std::uint64_t available = size - byte_codec_header_bytes;
    if (h.payload_bytes > available) {
        throw stream_truncated_error(size, "truncated: the header announces a " +
                                               std::to_string(h.payload_bytes) + "-byte payload but " +
                                               detail::count_noun(available, "byte follows", "bytes follow") +
                                               " it");
    }
    if (h.payload_bytes < available) {
        throw stream_trailing_bytes_error(byte_codec_header_bytes + h.payload_bytes,
                                          std::to_string(available - h.payload_bytes) +
                                              " bytes follow the end of the payload");
    }
    if (h.kind != byte_model_kind::order0 &&
        h.memory_mib != detail::effective_memory_mib(h.kind, h.memory_mib, h.original_size)) {
        throw stream_header_error(off::memory_mib, "memory setting " + std::to_string(h.memory_mib) +
                                                       " MiB is more than the compressor uses for " +
                                                       detail::count_noun(h.original_size, "byte", "bytes"));
    }
    if (h.original_size > limits.max_output_bytes) {
        throw stream_limit_error(off::original_size,
                                 "original size " + std::to_string(h.original_size) +
                                     " bytes exceeds the decoding limit of " +
                                     detail::count_noun(limits.max_output_bytes, "byte", "bytes"));
    }
    if (!stored && h.kind != byte_model_kind::order0 && h.memory_mib > limits.max_memory_mib) {
        throw stream_limit_error(off::memory_mib, "the model needs " + std::to_string(h.memory_mib) +
                                                      " MiB, over the decoding limit of " +
                                                      std::to_string(limits.max_memory_mib) + " MiB");
    }
    const auto payload = compressed.subspan(byte_codec_header_bytes);
    std::vector<std::uint8_t> out;
    if (stored) {
        out.assign(payload.begin(), payload.end());
    } else {
        out = detail::with_byte_model(h.kind, h.memory_mib, h.model_parameter, [&](auto& model) {
            if (model.fingerprint() != h.fingerprint) {
                throw stream_model_mismatch_error(off::fingerprint,
                                                  "the file was coded with another model version or "
                                                  "configuration (fingerprint differs)");
            }
            return detail::decode_with(model, payload, h.original_size, progress);
        });
    }
    if (crc32c(out) != h.original_crc32c) {
        throw stream_checksum_error(off::original_crc32c,
                                    "the decoded bytes' CRC-32C differs from the header's (corrupt payload)");
    }
    if (progress) {
        progress(out.size());
    }
    return out;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
