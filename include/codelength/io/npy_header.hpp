// The .npy preamble and header dict (format versions 1.0, 2.0 and 3.0), parsed defensively:
// every index is bounds-checked, every size product is overflow-checked, and every error is a
// codelength::format_error naming the source and the byte offset.
//
// Layout of a .npy file (numpy/lib/format.py):
//   bytes 0..5  magic "\x93NUMPY"
//   bytes 6, 7  major, minor version (1.0, 2.0 or 3.0)
//   1.0:        bytes 8..9   little-endian uint16 header length, header text from byte 10
//   2.0, 3.0:   bytes 8..11  little-endian uint32 header length, header text from byte 12
//   header text: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
//                padded with spaces and a '\n' (latin-1 for 1.0/2.0, utf-8 for 3.0)
//   data:        from the end of the header (a multiple of 64 for numpy >= 1.9 writers, of 16
//                for older ones; the reader accepts any offset and copies misaligned data).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
              "codelength/io: mixed-endian platforms are not supported");

// The element types the .npy reader and writer understand (numpy's type code in brackets).
// numpy has no bfloat16: bf16 tensors travel as 16-bit words, uint16 ('u2') or int16 ('i2', as
// torch's `t.view(torch.int16).numpy()` gives), read back with npy_array::values<bfloat16>().
enum class npy_dtype : std::uint8_t {
    boolean, // b1 (each byte must be 0 or 1)
    int8,    // i1
    uint8,   // u1
    int16,   // i2 (plain int16, or bfloat16 words)
    uint16,  // u2 (plain uint16, or bfloat16 words)
    int32,   // i4
    uint32,  // u4
    int64,   // i8
    uint64,  // u8
    float16, // f2 (IEEE binary16 -> codelength::float16)
    float32, // f4
    float64, // f8
};

// Bytes per element of a dtype.
[[nodiscard]] constexpr std::size_t npy_item_size_bytes(npy_dtype dtype) noexcept {
    switch (dtype) {
    case npy_dtype::boolean:
    case npy_dtype::int8:
    case npy_dtype::uint8:
        return 1;
    case npy_dtype::int16:
    case npy_dtype::uint16:
    case npy_dtype::float16:
        return 2;
    case npy_dtype::int32:
    case npy_dtype::uint32:
    case npy_dtype::float32:
        return 4;
    case npy_dtype::int64:
    case npy_dtype::uint64:
    case npy_dtype::float64:
        return 8;
    }
    return 0;
}

// numpy's type code without the byte-order mark ("f4", "u2", "b1", ...).
[[nodiscard]] constexpr std::string_view npy_type_code(npy_dtype dtype) noexcept {
    switch (dtype) {
    case npy_dtype::boolean:
        return "b1";
    case npy_dtype::int8:
        return "i1";
    case npy_dtype::uint8:
        return "u1";
    case npy_dtype::int16:
        return "i2";
    case npy_dtype::uint16:
        return "u2";
    case npy_dtype::int32:
        return "i4";
    case npy_dtype::uint32:
        return "u4";
    case npy_dtype::int64:
        return "i8";
    case npy_dtype::uint64:
        return "u8";
    case npy_dtype::float16:
        return "f2";
    case npy_dtype::float32:
        return "f4";
    case npy_dtype::float64:
        return "f8";
    }
    return "?";
}

// A readable name of a dtype ("float32", "uint16", ...), for messages.
[[nodiscard]] constexpr std::string_view npy_dtype_name(npy_dtype dtype) noexcept {
    switch (dtype) {
    case npy_dtype::boolean:
        return "bool";
    case npy_dtype::int8:
        return "int8";
    case npy_dtype::uint8:
        return "uint8";
    case npy_dtype::int16:
        return "int16";
    case npy_dtype::uint16:
        return "uint16";
    case npy_dtype::int32:
        return "int32";
    case npy_dtype::uint32:
        return "uint32";
    case npy_dtype::int64:
        return "int64";
    case npy_dtype::uint64:
        return "uint64";
    case npy_dtype::float16:
        return "float16";
    case npy_dtype::float32:
        return "float32";
    case npy_dtype::float64:
        return "float64";
    }
    return "unknown";
}

// The C++ element type of each dtype: npy_traits<Element>::dtype is the dtype stored on disk.
// codelength::bfloat16 is written as uint16 (its 16-bit words), as numpy has no bfloat16; it
// is read from uint16 or int16.
template <class Element>
struct npy_traits;
template <>
struct npy_traits<bool> {
    static constexpr npy_dtype dtype = npy_dtype::boolean;
};
template <>
struct npy_traits<std::int8_t> {
    static constexpr npy_dtype dtype = npy_dtype::int8;
};
template <>
struct npy_traits<std::uint8_t> {
    static constexpr npy_dtype dtype = npy_dtype::uint8;
};
template <>
struct npy_traits<std::int16_t> {
    static constexpr npy_dtype dtype = npy_dtype::int16;
};
template <>
struct npy_traits<std::uint16_t> {
    static constexpr npy_dtype dtype = npy_dtype::uint16;
};
template <>
struct npy_traits<std::int32_t> {
    static constexpr npy_dtype dtype = npy_dtype::int32;
};
template <>
struct npy_traits<std::uint32_t> {
    static constexpr npy_dtype dtype = npy_dtype::uint32;
};
template <>
struct npy_traits<std::int64_t> {
    static constexpr npy_dtype dtype = npy_dtype::int64;
};
template <>
struct npy_traits<std::uint64_t> {
    static constexpr npy_dtype dtype = npy_dtype::uint64;
};
template <>
struct npy_traits<float16> {
    static constexpr npy_dtype dtype = npy_dtype::float16;
};
template <>
struct npy_traits<bfloat16> {
    static constexpr npy_dtype dtype = npy_dtype::uint16;
};
template <>
struct npy_traits<float> {
    static constexpr npy_dtype dtype = npy_dtype::float32;
};
template <>
struct npy_traits<double> {
    static constexpr npy_dtype dtype = npy_dtype::float64;
};

// An element type that can be read from or written to a .npy file.
template <class Element>
concept npy_element = requires {
    { npy_traits<Element>::dtype } -> std::convertible_to<npy_dtype>;
}
&&sizeof(Element) == npy_item_size_bytes(npy_traits<Element>::dtype) && std::is_trivially_copyable_v<Element>;

// numpy's limit on the number of dimensions (NPY_MAXDIMS is 32 in numpy 1.x, 64 in 2.x).
inline constexpr std::size_t npy_max_dimensions = 64;

// Everything the header says about the array, and where its data starts.
struct npy_header {
    std::uint8_t major_version = 1;
    std::uint8_t minor_version = 0;
    npy_dtype dtype = npy_dtype::float32;
    // Byte order of the data in the file; 1-byte dtypes report std::endian::native.
    std::endian byte_order = std::endian::native;
    bool fortran_order = false;
    std::vector<std::int64_t> shape;
    // Offset of the first data byte from the start of the file (= the end of the header).
    std::uint64_t data_offset_bytes = 0;
    // Product of the shape (1 for a 0-d array).
    std::uint64_t element_count = 0;
    // element_count * item size; guaranteed <= INT64_MAX, and so is every stride in bytes.
    std::uint64_t data_size_bytes = 0;

    [[nodiscard]] std::size_t item_size_bytes() const noexcept { return npy_item_size_bytes(dtype); }
    // True when the data must be byte-swapped before use on this machine.
    [[nodiscard]] bool needs_byte_swap() const noexcept {
        return item_size_bytes() > 1 && byte_order != std::endian::native;
    }
};

// "(3, 4)", "(5,)" or "()", as Python prints a shape tuple.
[[nodiscard]] inline std::string npy_shape_string(std::span<const std::int64_t> shape) {
    std::string text = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) {
            text += ", ";
        }
        text += std::to_string(shape[i]);
    }
    if (shape.size() == 1) {
        text += ",";
    }
    text += ")";
    return text;
}

// The index of C-order element `flat` of an array of `shape`, as numpy indexes it: "7" for a
// 1-d array, "(1, 2)" for (B, T) (element 1 * T + 2), "()" for a 0-d array.
// Example: `npy_c_order_index_string(std::vector<std::int64_t>{2, 5}, 7) == "(1, 2)"`.
[[nodiscard]] inline std::string npy_c_order_index_string(std::span<const std::int64_t> shape,
                                                          std::int64_t flat) {
    if (shape.size() == 1) {
        return std::to_string(flat);
    }
    std::vector<std::int64_t> index(shape.size(), 0);
    for (std::size_t k = shape.size(); k-- > 0;) {
        const std::int64_t extent = std::max<std::int64_t>(shape[k], 1);
        index[k] = flat % extent;
        flat /= extent;
    }
    return npy_shape_string(index);
}

namespace detail {

inline constexpr std::array<unsigned char, 6> npy_magic = {0x93, 'N', 'U', 'M', 'P', 'Y'};

[[nodiscard]] inline format_error npy_format_error(std::string_view source, std::uint64_t offset,
                                                   std::string_view what) {
    return format_error{std::string(source) + ": byte offset " + std::to_string(offset) + ": " +
                        std::string(what)};
}

// Where the header text lives: bytes [header_offset, header_offset + header_length).
struct npy_preamble {
    std::uint8_t major_version = 0;
    std::uint8_t minor_version = 0;
    std::uint64_t header_offset_bytes = 0;
    std::uint64_t header_length_bytes = 0;
    [[nodiscard]] std::uint64_t header_end_bytes() const noexcept {
        return header_offset_bytes + header_length_bytes;
    }
};

// Parses the magic, version and header length; needs the first 10 (1.0) or 12 (2.0/3.0) bytes.
[[nodiscard]] inline npy_preamble parse_npy_preamble(std::span<const std::byte> bytes,
                                                     std::string_view source) {
    for (std::size_t i = 0; i < npy_magic.size(); ++i) {
        if (i >= bytes.size()) {
            throw npy_format_error(source, i,
                                   "file ends inside the magic string (" + std::to_string(bytes.size()) +
                                       " bytes in total); not a .npy file");
        }
        if (std::to_integer<unsigned char>(bytes[i]) != npy_magic[i]) {
            throw npy_format_error(source, i, R"(bad magic string: expected "\x93NUMPY"; not a .npy file)");
        }
    }
    if (bytes.size() < 8) {
        throw npy_format_error(source, bytes.size(), "file ends inside the format version");
    }
    npy_preamble preamble;
    preamble.major_version = std::to_integer<std::uint8_t>(bytes[6]);
    preamble.minor_version = std::to_integer<std::uint8_t>(bytes[7]);
    if (preamble.major_version < 1 || preamble.major_version > 3 || preamble.minor_version != 0) {
        throw npy_format_error(source, 6,
                               "unsupported format version " + std::to_string(preamble.major_version) + "." +
                                   std::to_string(preamble.minor_version) + " (expected 1.0, 2.0 or 3.0)");
    }
    // 1.0 stores a uint16 length, 2.0/3.0 a uint32, both little-endian and at byte 8.
    const std::size_t length_field_bytes = preamble.major_version == 1 ? 2 : 4;
    if (bytes.size() < 8 + length_field_bytes) {
        throw npy_format_error(source, bytes.size(),
                               "file ends inside the header length (expected " +
                                   detail::count_noun(length_field_bytes, "byte", "bytes") +
                                   " from byte offset 8)");
    }
    std::uint64_t length = 0;
    for (std::size_t i = length_field_bytes; i-- > 0;) {
        length = (length << 8U) | std::to_integer<std::uint64_t>(bytes[8 + i]);
    }
    preamble.header_offset_bytes = 8 + length_field_bytes;
    preamble.header_length_bytes = length;
    return preamble;
}

// Recursive-descent parser for the restricted Python literal numpy writes as the header.
class npy_header_parser {
public:
    // `text` is the header text; `base_offset` is its offset in the file (for messages).
    npy_header_parser(std::span<const std::byte> text, std::uint64_t base_offset, std::string_view source)
        : m_text(text), m_base_offset(base_offset), m_source(source) {}

    // Parses the dict into `header` (dtype, byte order, fortran_order, shape).
    void parse_into(npy_header& header) {
        bool seen_descr = false;
        bool seen_fortran_order = false;
        bool seen_shape = false;
        skip_whitespace();
        expect('{', "'{' opening the header dict");
        skip_whitespace();
        while (peek() != '}') {
            const std::uint64_t key_offset = offset();
            const std::string key = parse_string("a string key ('descr', 'fortran_order' or 'shape')");
            skip_whitespace();
            expect(':', "':' after the key '" + key + "'");
            skip_whitespace();
            if (key == "descr") {
                reject_duplicate(seen_descr, key, key_offset);
                parse_descr(header);
            } else if (key == "fortran_order") {
                reject_duplicate(seen_fortran_order, key, key_offset);
                header.fortran_order = parse_bool("fortran_order");
            } else if (key == "shape") {
                reject_duplicate(seen_shape, key, key_offset);
                header.shape = parse_shape();
            } else {
                throw error_at(key_offset,
                               "unknown key '" + printable(key) +
                                   "' in the header (expected 'descr', 'fortran_order', 'shape')");
            }
            skip_whitespace();
            if (peek() == ',') {
                ++m_position;
                skip_whitespace();
            } else if (peek() != '}') {
                throw error_at(offset(),
                               "expected ',' or '}' after the value of '" + key + "', found " + found());
            }
        }
        ++m_position; // the '}'
        const char* missing = !seen_descr           ? "descr"
                              : !seen_fortran_order ? "fortran_order"
                              : !seen_shape         ? "shape"
                                                    : nullptr;
        if (missing != nullptr) {
            throw error_at(offset(), std::string("the header dict has no '") + missing + "' key");
        }
        // Only padding may follow: numpy pads with spaces and ends with '\n'.
        skip_whitespace();
        if (m_position != m_text.size()) {
            throw error_at(offset(),
                           "unexpected " + found() + " after the header dict (expected only padding)");
        }
    }

private:
    [[nodiscard]] std::uint64_t offset() const noexcept { return m_base_offset + m_position; }
    [[nodiscard]] format_error error_at(std::uint64_t at, std::string_view what) const {
        return npy_format_error(m_source, at, what);
    }
    // The current character as an int, or -1 at the end of the header.
    [[nodiscard]] int peek() const noexcept {
        return m_position < m_text.size() ? std::to_integer<int>(m_text[m_position]) : -1;
    }
    [[nodiscard]] static std::string printable(std::string_view text) {
        std::string result;
        for (const char c : text) {
            const auto u = static_cast<unsigned char>(c);
            if (u >= 0x20 && u < 0x7f && c != '\\') {
                result += c;
            } else {
                static constexpr std::string_view hex = "0123456789abcdef";
                result += "\\x";
                result += hex[u >> 4U];
                result += hex[u & 0xfU];
            }
        }
        return result;
    }
    // What is at the current position, for messages: "'x'", "byte 0x93" or "the end of the header".
    [[nodiscard]] std::string found() const {
        const int c = peek();
        if (c < 0) {
            return "the end of the header";
        }
        if (c >= 0x20 && c < 0x7f) {
            return std::string("'") + static_cast<char>(c) + "'";
        }
        return "byte " + printable(std::string(1, static_cast<char>(c)));
    }
    void skip_whitespace() noexcept {
        for (int c = peek(); c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
             c = peek()) {
            ++m_position;
        }
    }
    void expect(char wanted, std::string_view what) {
        if (peek() != wanted) {
            throw error_at(offset(), "expected " + std::string(what) + ", found " + found());
        }
        ++m_position;
    }
    void reject_duplicate(bool& seen, const std::string& key, std::uint64_t key_offset) const {
        if (seen) {
            throw error_at(key_offset, "duplicate key '" + key + "' in the header dict");
        }
        seen = true;
    }
    // A single- or double-quoted string without escapes (numpy never writes escapes in headers).
    [[nodiscard]] std::string parse_string(std::string_view what) {
        const int quote = peek();
        if (quote != '\'' && quote != '"') {
            throw error_at(offset(), "expected " + std::string(what) + ", found " + found());
        }
        const std::uint64_t start = offset();
        ++m_position;
        std::string value;
        while (peek() != quote) {
            const int c = peek();
            if (c < 0 || c == '\n') {
                throw error_at(start, "unterminated string in the header");
            }
            if (c == '\\') {
                throw error_at(offset(), "escape sequences are not supported in header strings");
            }
            value += static_cast<char>(c);
            ++m_position;
        }
        ++m_position; // closing quote
        return value;
    }
    [[nodiscard]] bool parse_bool(std::string_view key) {
        const auto rest = m_text.subspan(m_position);
        const auto starts_with = [&](std::string_view word) {
            return rest.size() >= word.size() && std::memcmp(rest.data(), word.data(), word.size()) == 0;
        };
        if (starts_with("True")) {
            m_position += 4;
            return true;
        }
        if (starts_with("False")) {
            m_position += 5;
            return false;
        }
        throw error_at(offset(),
                       "expected True or False as the value of '" + std::string(key) + "', found " + found());
    }
    // A non-negative decimal integer that fits in int64 (an 'L' suffix from Python 2 is allowed).
    [[nodiscard]] std::int64_t parse_dimension() {
        const std::uint64_t start = offset();
        if (peek() == '-') {
            throw error_at(start, "negative dimension in the shape");
        }
        if (peek() < '0' || peek() > '9') {
            throw error_at(start, "expected a dimension (a non-negative integer), found " + found());
        }
        constexpr auto max_dimension = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        std::uint64_t value = 0;
        for (int c = peek(); c >= '0' && c <= '9'; c = peek()) {
            const auto digit = static_cast<std::uint64_t>(c - '0');
            // value * 10 + digit <= max_dimension, rearranged so nothing overflows.
            if (value > (max_dimension - digit) / 10) {
                throw error_at(start, "dimension does not fit in a signed 64-bit integer");
            }
            value = value * 10 + digit;
            ++m_position;
        }
        if (peek() == 'L' || peek() == 'l') {
            ++m_position;
        }
        return static_cast<std::int64_t>(value);
    }
    // A tuple of dimensions: "()", "(5,)", "(3, 4)", "(3, 4,)"; "(5)" is an int, not a tuple.
    [[nodiscard]] std::vector<std::int64_t> parse_shape() {
        if (peek() == '[') {
            throw error_at(offset(), "the shape must be a tuple, found a list");
        }
        expect('(', "'(' opening the shape tuple");
        std::vector<std::int64_t> shape;
        bool trailing_comma = false;
        skip_whitespace();
        while (peek() != ')') {
            if (shape.size() == npy_max_dimensions) {
                throw error_at(offset(), "the shape has more than " + std::to_string(npy_max_dimensions) +
                                             " dimensions");
            }
            shape.push_back(parse_dimension());
            skip_whitespace();
            trailing_comma = false;
            if (peek() == ',') {
                ++m_position;
                trailing_comma = true;
                skip_whitespace();
            } else if (peek() != ')') {
                throw error_at(offset(), "expected ',' or ')' in the shape tuple, found " + found());
            }
        }
        if (shape.size() == 1 && !trailing_comma) {
            throw error_at(offset(), "the shape (" + std::to_string(shape[0]) +
                                         ") is an integer, not a tuple: a 1-d shape is written (n,)");
        }
        ++m_position; // ')'
        return shape;
    }
    void parse_descr(npy_header& header) {
        if (peek() == '[') {
            throw error_at(offset(), "structured dtypes (a list as 'descr') are not supported");
        }
        const std::uint64_t start = offset();
        const std::string descr = parse_string("a dtype string as the value of 'descr'");
        const auto unsupported = [&] {
            return error_at(start, "unsupported dtype descr '" + printable(descr) +
                                       "' (supported: b1, i1, u1, i2, u2, i4, u4, i8, u8, f2, f4, f8 with a "
                                       "byte-order mark '<', '>', '|' or '=')");
        };
        if (descr.size() < 3) {
            throw unsupported();
        }
        const char order = descr[0];
        const std::string_view code = std::string_view(descr).substr(1);
        static constexpr std::array all_dtypes = {npy_dtype::boolean, npy_dtype::int8,    npy_dtype::uint8,
                                                  npy_dtype::int16,   npy_dtype::uint16,  npy_dtype::int32,
                                                  npy_dtype::uint32,  npy_dtype::int64,   npy_dtype::uint64,
                                                  npy_dtype::float16, npy_dtype::float32, npy_dtype::float64};
        bool known = false;
        for (const npy_dtype candidate : all_dtypes) {
            if (npy_type_code(candidate) == code) {
                header.dtype = candidate;
                known = true;
            }
        }
        if (!known) {
            throw unsupported();
        }
        const bool single_byte = npy_item_size_bytes(header.dtype) == 1;
        switch (order) {
        case '<':
            header.byte_order = std::endian::little;
            break;
        case '>':
            header.byte_order = std::endian::big;
            break;
        case '=':
            header.byte_order = std::endian::native;
            break;
        case '|':
            // '|' means "byte order not applicable": only meaningful for 1-byte types.
            if (!single_byte) {
                throw error_at(start,
                               "descr '" + descr + "' has byte-order mark '|' but its items are " +
                                   detail::count_noun(npy_item_size_bytes(header.dtype), "byte", "bytes") +
                                   " wide");
            }
            break;
        default:
            throw unsupported();
        }
        if (single_byte) {
            header.byte_order = std::endian::native;
        }
    }

    std::span<const std::byte> m_text;
    std::size_t m_position = 0;
    std::uint64_t m_base_offset = 0;
    std::string_view m_source;
};

} // namespace detail

// Parses the preamble and header of a .npy image held in memory (the data may follow or not).
// Throws format_error naming `source` and the byte offset for anything malformed, for a shape
// whose byte size overflows (or exceeds INT64_MAX), and when the header runs past the buffer.
// Example: `auto header = codelength::parse_npy_header(std::as_bytes(std::span(buffer)));`
[[nodiscard]] inline npy_header parse_npy_header(std::span<const std::byte> bytes,
                                                 std::string_view source = "<memory>") {
    const detail::npy_preamble preamble = detail::parse_npy_preamble(bytes, source);
    if (preamble.header_length_bytes > bytes.size() - preamble.header_offset_bytes) {
        throw detail::npy_format_error(source, preamble.header_offset_bytes,
                                       "header length " + std::to_string(preamble.header_length_bytes) +
                                           " runs past the end: the header would end at byte " +
                                           std::to_string(preamble.header_end_bytes()) + " but only " +
                                           detail::count_noun(bytes.size(), "byte", "bytes") +
                                           " are available");
    }
    npy_header header;
    header.major_version = preamble.major_version;
    header.minor_version = preamble.minor_version;
    header.data_offset_bytes = preamble.header_end_bytes();
    const auto text = bytes.subspan(static_cast<std::size_t>(preamble.header_offset_bytes),
                                    static_cast<std::size_t>(preamble.header_length_bytes));
    detail::npy_header_parser(text, preamble.header_offset_bytes, source).parse_into(header);

    // Product of max(dim, 1) times the item size must stay <= INT64_MAX, so element counts,
    // byte sizes and every C or Fortran stride are representable even when a dimension is 0.
    constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    std::uint64_t bound_bytes = header.item_size_bytes();
    std::uint64_t element_count = 1;
    for (const std::int64_t dimension : header.shape) {
        const auto extent = static_cast<std::uint64_t>(dimension);
        if (extent > 1 && bound_bytes > limit / extent) {
            throw detail::npy_format_error(source, preamble.header_offset_bytes,
                                           "shape " + npy_shape_string(header.shape) + " of " +
                                               std::string(npy_dtype_name(header.dtype)) +
                                               " is too large: its size in bytes overflows 63 bits");
        }
        bound_bytes *= extent > 1 ? extent : 1;
        element_count *= extent;
    }
    header.element_count = element_count;
    header.data_size_bytes = element_count * header.item_size_bytes();
    return header;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
