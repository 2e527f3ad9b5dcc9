// The container of a coded sequence: a fixed 52-byte header that says what decoding needs and
// how to check the result, followed by the range coder's payload.
//
// Format version 1 (all integers little-endian, fixed width):
//
//   offset  bytes  field
//        0      4  magic "CLEN" (0x43 0x4c 0x45 0x4e)
//        4      1  format version, 1 (a reader refuses versions it does not know)
//        5      1  model kind: 1 = categorical (the model's whole distribution, quantized to
//                  2^P), 2 = top-k (k listed tokens + an escape symbol, quantized to 2^P; an
//                  escaped token follows as a uniform index over the V - k unlisted ids)
//        6      1  element type of the model's rows: 0 unspecified, 1 float32, 2 float64,
//                  3 bfloat16, 4 float16 (quantization must see the same numbers)
//        7      1  precision P of the quantized distributions, 1..31 (total 2^P)
//        8      8  vocabulary size V, 1..2^62 (categorical: also V <= 2^P)
//       16      8  model fingerprint (what the model's configuration hashes to; 0 = the model
//                  is not fingerprinted, see sequence_coder.hpp for how it is computed)
//       24      8  symbol count N, at most 2^48 and at most what L bytes can hold at the
//                  model's cheapest symbol (stream_max_symbols_for_payload)
//       32      8  payload length L in bytes, at most 2^62
//       40      4  CRC-32C of the N symbols, each as 8 little-endian bytes (int64)
//       44      4  CRC-32C of the payload
//       48      4  CRC-32C of bytes 0..47 (the header checksum)
//       52      L  payload
//
// Bytes 5..23 are the model descriptor: decoding refuses a model whose descriptor differs.
// The three checksums make every damaged byte an error: the header's and the payload's are
// checked before decoding (so a damaged stream costs no decoding time and no byte of it can
// change without notice), the symbols' after decoding (it checks the decoding end to end,
// including a model the fingerprint cannot tell apart).
// Any change to the layout or to the quantizer's arithmetic (which decides the payload's
// meaning) needs a new version number.
//
// Reading is split so a decoder can describe its model from the header (the fingerprint of
// replayed logits covers the N rows the stream uses) before it decodes anything:
//   auto parsed = codelength::parse_stream(bytes);             // container checks
//   codelength::check_stream_model(parsed.header, expected);    // model checks
//   ... decode parsed.payload, then compare the symbols' CRC-32C with parsed.header.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <locale>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "codelength/coding/checksum.hpp"
#include "codelength/coding/stream_errors.hpp"
#include "codelength/coding/symbol_interval.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/detail/little_endian.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// The first four bytes of every stream.
inline constexpr std::array<std::uint8_t, 4> stream_magic = {0x43, 0x4c, 0x45, 0x4e}; // "CLEN"
// The format version this build writes and the only one it reads.
inline constexpr std::uint8_t stream_format_version = 1;
// Size of the fixed header; the payload starts here.
inline constexpr std::size_t stream_header_bytes = 52;
// Hard cap on the symbol count: a header may not claim more (see check_stream_model for the
// tighter, model-given bound).
inline constexpr std::uint64_t stream_max_symbol_count = std::uint64_t{1} << 48U;
// Largest vocabulary and payload a header may announce.
inline constexpr std::uint64_t stream_max_vocabulary_size = std::uint64_t{1} << 62U;
inline constexpr std::uint64_t stream_max_payload_bytes = std::uint64_t{1} << 62U;

// Byte offsets of the header fields (error messages name them).
namespace stream_offset {
inline constexpr std::size_t magic = 0;
inline constexpr std::size_t version = 4;
inline constexpr std::size_t model_kind = 5;
inline constexpr std::size_t element_type = 6;
inline constexpr std::size_t precision_bits = 7;
inline constexpr std::size_t vocabulary_size = 8;
inline constexpr std::size_t fingerprint = 16;
inline constexpr std::size_t symbol_count = 24;
inline constexpr std::size_t payload_bytes = 32;
inline constexpr std::size_t symbols_crc32c = 40;
inline constexpr std::size_t payload_crc32c = 44;
inline constexpr std::size_t header_crc32c = 48;
} // namespace stream_offset

// How the symbols were modelled.
enum class stream_model_kind : std::uint8_t {
    categorical = 1, // the whole distribution over V tokens
    top_k = 2,       // k listed tokens + escape, escaped tokens coded uniformly
};

// The element type of the rows the model produced.
enum class stream_element_type : std::uint8_t {
    unspecified = 0,
    float32 = 1,
    float64 = 2,
    bfloat16 = 3,
    float16 = 4,
};

// The stream_element_type of a row element type.
template <class Element>
[[nodiscard]] constexpr stream_element_type stream_element_type_of() noexcept {
    if constexpr (std::is_same_v<Element, float>) {
        return stream_element_type::float32;
    } else if constexpr (std::is_same_v<Element, double>) {
        return stream_element_type::float64;
    } else if constexpr (std::is_same_v<Element, bfloat16>) {
        return stream_element_type::bfloat16;
    } else if constexpr (std::is_same_v<Element, float16>) {
        return stream_element_type::float16;
    } else {
        return stream_element_type::unspecified;
    }
}

[[nodiscard]] constexpr std::string_view stream_model_kind_name(stream_model_kind kind) noexcept {
    switch (kind) {
    case stream_model_kind::categorical:
        return "categorical";
    case stream_model_kind::top_k:
        return "top-k";
    }
    return "unknown";
}

[[nodiscard]] constexpr std::string_view stream_element_type_name(stream_element_type type) noexcept {
    switch (type) {
    case stream_element_type::unspecified:
        return "unspecified";
    case stream_element_type::float32:
        return "float32";
    case stream_element_type::float64:
        return "float64";
    case stream_element_type::bfloat16:
        return "bfloat16";
    case stream_element_type::float16:
        return "float16";
    }
    return "unknown";
}

// What must be the same at decode time as at encode time.
struct stream_model_descriptor {
    stream_model_kind kind = stream_model_kind::categorical;
    stream_element_type element_type = stream_element_type::unspecified;
    int precision_bits = 0;           // P: quantized distributions total 2^P
    std::int64_t vocabulary_size = 0; // V
    std::uint64_t fingerprint = 0;    // 0 = not fingerprinted
    friend bool operator==(const stream_model_descriptor&, const stream_model_descriptor&) = default;
};

// Everything in the header except the constants (magic, version) and the header checksum.
struct stream_header {
    stream_model_descriptor model;
    std::uint64_t symbol_count = 0;
    std::uint32_t symbols_crc32c = 0; // crc32c_int64_le of the symbols
    std::uint64_t payload_bytes = 0;
    std::uint32_t payload_crc32c = 0; // crc32c of the payload
    friend bool operator==(const stream_header&, const stream_header&) = default;
};

// A stream whose container checks passed: its header and a view of its payload.
struct parsed_stream {
    stream_header header;
    std::span<const std::uint8_t> payload;
};

namespace detail {

[[nodiscard]] inline std::string hex64(std::uint64_t value) {
    std::ostringstream text;
    text << "0x" << std::hex << value;
    return text.str();
}

// A positive double with 3 significant digits, for messages (locale-independent).
[[nodiscard]] inline std::string three_digits(double value) {
    std::ostringstream text;
    text.imbue(std::locale::classic());
    text.precision(3);
    text << value;
    return text.str();
}

[[nodiscard]] constexpr bool is_known_model_kind(std::uint8_t kind) noexcept {
    return kind == static_cast<std::uint8_t>(stream_model_kind::categorical) ||
           kind == static_cast<std::uint8_t>(stream_model_kind::top_k);
}

[[nodiscard]] constexpr bool is_known_element_type(std::uint8_t type) noexcept {
    return type <= static_cast<std::uint8_t>(stream_element_type::float16);
}

// The reason a model descriptor cannot appear in a header, or empty if it can.
[[nodiscard]] inline std::string descriptor_problem(const stream_model_descriptor& model,
                                                    std::size_t& offset) {
    if (!is_known_model_kind(static_cast<std::uint8_t>(model.kind))) {
        offset = stream_offset::model_kind;
        return "unknown model kind " + std::to_string(static_cast<unsigned>(model.kind)) +
               " (1 = categorical, 2 = top-k)";
    }
    if (!is_known_element_type(static_cast<std::uint8_t>(model.element_type))) {
        offset = stream_offset::element_type;
        return "unknown element type " + std::to_string(static_cast<unsigned>(model.element_type)) +
               " (0 .. 4: unspecified, float32, float64, bfloat16, float16)";
    }
    if (model.precision_bits < 1 || model.precision_bits > max_precision_bits) {
        offset = stream_offset::precision_bits;
        return "precision " + std::to_string(model.precision_bits) + " bits is outside [1, " +
               std::to_string(max_precision_bits) + "]";
    }
    if (model.vocabulary_size < 1 ||
        static_cast<std::uint64_t>(model.vocabulary_size) > stream_max_vocabulary_size) {
        offset = stream_offset::vocabulary_size;
        return "vocabulary size " + std::to_string(model.vocabulary_size) + " is outside [1, 2^62]";
    }
    if (model.kind == stream_model_kind::categorical &&
        static_cast<std::uint64_t>(model.vocabulary_size) >
            (std::uint64_t{1} << static_cast<unsigned>(model.precision_bits))) {
        offset = stream_offset::vocabulary_size;
        return "vocabulary size " + std::to_string(model.vocabulary_size) + " exceeds 2^" +
               std::to_string(model.precision_bits) + " (every symbol needs a frequency >= 1)";
    }
    return {};
}

} // namespace detail

// The fewest bits one symbol of a stream with this model descriptor can add to the payload (a
// lower bound, 0 when a symbol may cost nothing). Every quantized symbol has frequency >= 1 out
// of 2^P, so the likeliest of V categorical symbols has at most 2^P - (V - 1) and costs at
// least -log2(1 - (V - 1) / 2^P) bits. A top-k row has k + 1 >= 2 symbols at P (at least
// -log2(1 - 2^-P) bits), or k = 0 and a uniform index over V >= 2 ids (at least 1 bit).
// With V = 1 a symbol may cost nothing.
[[nodiscard]] inline double stream_min_symbol_bits(const stream_model_descriptor& model) noexcept {
    if (model.vocabulary_size <= 1 || model.precision_bits < 1 || model.precision_bits > max_precision_bits) {
        return 0.0;
    }
    const double total = std::ldexp(1.0, model.precision_bits);
    const double others = model.kind == stream_model_kind::categorical
                              ? static_cast<double>(model.vocabulary_size - 1) // exact: V <= 2^31
                              : 1.0;
    // -log2(1 - others / 2^P); others / 2^P <= 1 - 2^-P is exact, so the argument is > -1.
    return -std::log1p(-std::min(others / total, 1.0 - 1.0 / total)) / std::log(2.0);
}

// The most symbols a payload of payload_bytes can hold when each costs at least min_symbol_bits
// (stream_min_symbol_bits), or UINT64_MAX when that is 0. Every coded interval multiplies the
// coder's width by at most its frequency / 2^P, and between symbols the width, as a fraction of
// [0, 1), is at least 2^-(8 d + 8) after d digits (its range stays >= 2^56 in a 64-bit window);
// a payload has d or d + 1 bytes (the termination), so N * min_symbol_bits < 8 L + 8. The
// bound returned is 1e-6 looser (and 1 more) than that, far above the error of the logarithm.
[[nodiscard]] inline std::uint64_t stream_max_symbols_for_payload(std::uint64_t payload_bytes,
                                                                  double min_symbol_bits) noexcept {
    if (!(min_symbol_bits > 0.0)) {
        return std::numeric_limits<std::uint64_t>::max();
    }
    const double bound =
        (8.0 * static_cast<double>(payload_bytes) + 8.0) / min_symbol_bits * (1.0 + 1e-6) + 1.0;
    return bound >= 0x1p63 ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(bound);
}

// The 52 header bytes for `header` (magic, version, fields, header checksum). Throws
// invalid_argument_error when a field is out of range (a reader would refuse it).
[[nodiscard]] inline std::array<std::uint8_t, stream_header_bytes>
encode_stream_header(const stream_header& header) {
    std::size_t offset = 0;
    if (const std::string problem = detail::descriptor_problem(header.model, offset); !problem.empty()) {
        throw invalid_argument_error("stream header: " + problem);
    }
    if (header.symbol_count > stream_max_symbol_count) {
        throw invalid_argument_error("stream header: " + std::to_string(header.symbol_count) +
                                     " symbols exceed the format's limit of 2^48");
    }
    if (header.payload_bytes > stream_max_payload_bytes) {
        throw invalid_argument_error("stream header: " + std::to_string(header.payload_bytes) +
                                     " payload bytes exceed the format's limit of 2^62");
    }
    std::array<std::uint8_t, stream_header_bytes> bytes{};
    std::uint8_t* out = bytes.data();
    for (std::size_t i = 0; i < stream_magic.size(); ++i) {
        out[stream_offset::magic + i] = stream_magic[i];
    }
    out[stream_offset::version] = stream_format_version;
    out[stream_offset::model_kind] = static_cast<std::uint8_t>(header.model.kind);
    out[stream_offset::element_type] = static_cast<std::uint8_t>(header.model.element_type);
    out[stream_offset::precision_bits] = static_cast<std::uint8_t>(header.model.precision_bits);
    detail::store_le(out + stream_offset::vocabulary_size,
                     static_cast<std::uint64_t>(header.model.vocabulary_size), 8);
    detail::store_le(out + stream_offset::fingerprint, header.model.fingerprint, 8);
    detail::store_le(out + stream_offset::symbol_count, header.symbol_count, 8);
    detail::store_le(out + stream_offset::payload_bytes, header.payload_bytes, 8);
    detail::store_le(out + stream_offset::symbols_crc32c, header.symbols_crc32c, 4);
    detail::store_le(out + stream_offset::payload_crc32c, header.payload_crc32c, 4);
    const std::uint32_t header_crc = crc32c(std::span<const std::uint8_t>(out, stream_offset::header_crc32c));
    detail::store_le(out + stream_offset::header_crc32c, header_crc, 4);
    return bytes;
}

// The complete stream: encode_stream_header(header) followed by payload, with
// header.payload_bytes and header.payload_crc32c set from payload. Throws
// invalid_argument_error as encode_stream_header.
[[nodiscard]] inline std::vector<std::uint8_t> write_stream(stream_header header,
                                                            std::span<const std::uint8_t> payload) {
    header.payload_bytes = payload.size();
    header.payload_crc32c = crc32c(payload);
    const std::array<std::uint8_t, stream_header_bytes> head = encode_stream_header(header);
    std::vector<std::uint8_t> bytes(head.begin(), head.end());
    bytes.resize(stream_header_bytes + payload.size());
    std::copy(payload.begin(), payload.end(),
              bytes.begin() + static_cast<std::ptrdiff_t>(stream_header_bytes));
    return bytes;
}

// Checks the container and returns its header and payload. In order, throws:
// stream_magic_error (not "CLEN"), stream_version_error (not version 1), stream_header_error
// (header checksum fails, a field is out of range, or the symbol count is more than the payload
// can hold), stream_truncated_error (shorter than the header or than header + payload),
// stream_trailing_bytes_error (longer than header + payload), stream_checksum_error (the payload's checksum
// fails). Reads only inside `stream`; allocates nothing.
[[nodiscard]] inline parsed_stream parse_stream(std::span<const std::uint8_t> stream) {
    const std::size_t size = stream.size();
    for (std::size_t i = 0; i < stream_magic.size() && i < size; ++i) {
        if (stream[i] != stream_magic[i]) {
            throw stream_magic_error(
                i, "not a codelength stream: it does not start with the magic bytes \"CLEN\"");
        }
    }
    if (size <= stream_offset::version) {
        throw stream_truncated_error(size, "truncated: the stream ends inside its " +
                                               std::to_string(stream_header_bytes) + "-byte header (it is " +
                                               detail::count_noun(size, "byte", "bytes") + " long)");
    }
    if (stream[stream_offset::version] != stream_format_version) {
        throw stream_version_error(
            stream_offset::version,
            "unknown format version " + std::to_string(stream[stream_offset::version]) +
                " (this build reads version " + std::to_string(stream_format_version) + ")");
    }
    if (size < stream_header_bytes) {
        throw stream_truncated_error(size, "truncated: the stream ends inside its " +
                                               std::to_string(stream_header_bytes) + "-byte header (it is " +
                                               detail::count_noun(size, "byte", "bytes") + " long)");
    }
    const std::uint8_t* in = stream.data();
    const auto stored_header_crc =
        static_cast<std::uint32_t>(detail::load_le(in + stream_offset::header_crc32c, 4));
    const std::uint32_t header_crc = crc32c(stream.first(stream_offset::header_crc32c));
    if (stored_header_crc != header_crc) {
        throw stream_header_error(stream_offset::header_crc32c,
                                  "header checksum mismatch: bytes 0..47 have CRC-32C " +
                                      detail::hex64(header_crc) + ", the header records " +
                                      detail::hex64(stored_header_crc) + " (the header is damaged)");
    }
    parsed_stream parsed;
    stream_header& header = parsed.header;
    const std::uint8_t kind = in[stream_offset::model_kind];
    const std::uint8_t element_type = in[stream_offset::element_type];
    const std::uint64_t vocabulary_size = detail::load_le(in + stream_offset::vocabulary_size, 8);
    header.model.kind = static_cast<stream_model_kind>(kind);
    header.model.element_type = static_cast<stream_element_type>(element_type);
    header.model.precision_bits = in[stream_offset::precision_bits];
    // Clamped so the cast stays defined; descriptor_problem rejects anything above 2^62.
    header.model.vocabulary_size = static_cast<std::int64_t>(
        vocabulary_size > stream_max_vocabulary_size ? stream_max_vocabulary_size + 1 : vocabulary_size);
    header.model.fingerprint = detail::load_le(in + stream_offset::fingerprint, 8);
    header.symbol_count = detail::load_le(in + stream_offset::symbol_count, 8);
    header.payload_bytes = detail::load_le(in + stream_offset::payload_bytes, 8);
    header.symbols_crc32c =
        static_cast<std::uint32_t>(detail::load_le(in + stream_offset::symbols_crc32c, 4));
    header.payload_crc32c =
        static_cast<std::uint32_t>(detail::load_le(in + stream_offset::payload_crc32c, 4));
    std::size_t offset = 0;
    if (const std::string problem = detail::descriptor_problem(header.model, offset); !problem.empty()) {
        throw stream_header_error(offset, problem);
    }
    if (header.symbol_count > stream_max_symbol_count) {
        throw stream_header_error(stream_offset::symbol_count, "symbol count " +
                                                                   std::to_string(header.symbol_count) +
                                                                   " exceeds the format's limit of 2^48");
    }
    if (header.payload_bytes > stream_max_payload_bytes) {
        throw stream_header_error(stream_offset::payload_bytes,
                                  "payload length " + std::to_string(header.payload_bytes) +
                                      " bytes exceeds the format's limit of 2^62");
    }
    const double min_symbol_bits = stream_min_symbol_bits(header.model);
    if (const std::uint64_t most = stream_max_symbols_for_payload(header.payload_bytes, min_symbol_bits);
        header.symbol_count > most) {
        throw stream_header_error(
            stream_offset::symbol_count,
            "symbol count " + std::to_string(header.symbol_count) + " cannot come from a payload of " +
                detail::count_noun(header.payload_bytes, "byte", "bytes") + ": each symbol costs at least " +
                detail::three_digits(min_symbol_bits) + " bits at precision " +
                std::to_string(header.model.precision_bits) + " with " +
                detail::count_noun(header.model.vocabulary_size, "symbol", "symbols") +
                ", so it holds at most " + std::to_string(most) + " (the header is forged or damaged)");
    }
    const std::uint64_t available_bytes = size - stream_header_bytes;
    const std::uint64_t expected_size = stream_header_bytes + header.payload_bytes;
    if (available_bytes < header.payload_bytes) {
        throw stream_truncated_error(
            size, "truncated: the header announces " + std::to_string(header.payload_bytes) +
                      " payload bytes, so the stream should be " + std::to_string(expected_size) +
                      " bytes long, but it ends at byte " + std::to_string(size) + " (" +
                      detail::count_noun(header.payload_bytes - available_bytes, "byte", "bytes") +
                      " missing)");
    }
    if (available_bytes > header.payload_bytes) {
        throw stream_trailing_bytes_error(
            expected_size, std::to_string(available_bytes - header.payload_bytes) +
                               " unexpected trailing bytes after the payload (the header announces " +
                               std::to_string(header.payload_bytes) +
                               " payload bytes, so the stream "
                               "should be " +
                               detail::count_noun(expected_size, "byte", "bytes") + " long, it is " +
                               std::to_string(size) + ")");
    }
    parsed.payload = stream.subspan(stream_header_bytes, static_cast<std::size_t>(header.payload_bytes));
    const std::uint32_t payload_crc = crc32c(parsed.payload);
    if (payload_crc != header.payload_crc32c) {
        throw stream_checksum_error(stream_offset::payload_crc32c,
                                    "payload checksum mismatch: the payload has CRC-32C " +
                                        detail::hex64(payload_crc) + ", the header records " +
                                        detail::hex64(header.payload_crc32c) + " (the payload is damaged)");
    }
    return parsed;
}

// Refuses a model that differs from the one the stream was encoded with: throws
// stream_model_mismatch_error naming the first differing field and both values, or when the
// stream holds more symbols than max_symbols (the most the decoding model can produce, e.g.
// the rows left in a logits replay).
inline void check_stream_model(const stream_header& header, const stream_model_descriptor& expected,
                               std::uint64_t max_symbols = stream_max_symbol_count) {
    const stream_model_descriptor& found = header.model;
    const auto mismatch = [](std::size_t offset, const std::string& field, const std::string& stream_value,
                             const std::string& model_value) {
        return stream_model_mismatch_error(offset, "model mismatch: the stream was encoded with " + field +
                                                       " " + stream_value + ", the given model has " +
                                                       model_value);
    };
    if (found.kind != expected.kind) {
        throw mismatch(stream_offset::model_kind, "model kind",
                       std::string(stream_model_kind_name(found.kind)),
                       std::string(stream_model_kind_name(expected.kind)));
    }
    if (found.element_type != expected.element_type) {
        throw mismatch(stream_offset::element_type, "element type",
                       std::string(stream_element_type_name(found.element_type)),
                       std::string(stream_element_type_name(expected.element_type)));
    }
    if (found.precision_bits != expected.precision_bits) {
        throw mismatch(stream_offset::precision_bits, "precision",
                       std::to_string(found.precision_bits) + " bits",
                       std::to_string(expected.precision_bits) + " bits");
    }
    if (found.vocabulary_size != expected.vocabulary_size) {
        throw mismatch(stream_offset::vocabulary_size, "vocabulary size",
                       std::to_string(found.vocabulary_size), std::to_string(expected.vocabulary_size));
    }
    if (header.symbol_count > max_symbols) {
        throw stream_model_mismatch_error(stream_offset::symbol_count,
                                          "model mismatch: the stream holds " +
                                              std::to_string(header.symbol_count) +
                                              " symbols, but the given model can produce only " +
                                              detail::count_noun(max_symbols, "row", "rows"));
    }
    if (found.fingerprint != expected.fingerprint) {
        throw mismatch(stream_offset::fingerprint, "model fingerprint", detail::hex64(found.fingerprint),
                       detail::hex64(expected.fingerprint) + " (different logits or model configuration)");
    }
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
