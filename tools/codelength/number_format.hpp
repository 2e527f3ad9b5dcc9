// How the tool prints numbers and text, in one place: a double as the shortest decimal that
// reads back to the same double (std::to_chars without a precision: `0.95`, not
// `0.94999999999999996`), and text as valid UTF-8 (each byte that does not belong to a
// well-formed UTF-8 sequence becomes U+FFFD).
#pragma once

#include <array>
#include <charconv>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

namespace codelength::cli {

// Appends printf-formatted text to `out` (for output that is built whole, then printed or
// written to an -o FILE at once).
[[gnu::format(printf, 2, 3)]] inline void append_format(std::string& out, const char* format, ...) {
    va_list arguments;
    va_start(arguments, format);
    va_list measuring;
    va_copy(measuring, arguments);
    const int length = std::vsnprintf(nullptr, 0, format, measuring);
    va_end(measuring);
    if (length > 0) {
        const std::size_t old_size = out.size();
        out.resize(old_size + static_cast<std::size_t>(length) + 1);
        std::vsnprintf(out.data() + old_size, static_cast<std::size_t>(length) + 1, format, arguments);
        out.resize(old_size + static_cast<std::size_t>(length));
    }
    va_end(arguments);
}

// The shortest decimal form of `value` that reads back to the same double: "0.95", "6.2",
// "1e+300", "inf", "-inf", "nan". Callers that need JSON map non-finite values to null.
[[nodiscard]] inline std::string format_shortest(double value) {
    std::array<char, 32> text{}; // the longest shortest form ("-2.2250738585072014e-308") has 24
    const auto [end, failure] = std::to_chars(text.data(), text.data() + text.size(), value);
    if (failure != std::errc()) {
        return "nan"; // unreachable: 32 characters hold every double
    }
    return {text.data(), end};
}

// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF) at the start of `text`, or 0 when it does not start with one.
[[nodiscard]] inline std::size_t utf8_sequence_length(std::string_view text) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const auto continuation = [&](std::size_t i) { return i < text.size() && (byte(i) & 0xC0U) == 0x80U; };
    if (text.empty()) {
        return 0;
    }
    const unsigned lead = byte(0);
    if (lead < 0x80U) {
        return 1;
    }
    // The second byte's range depends on the lead byte (RFC 3629, section 4).
    unsigned low = 0x80U;
    unsigned high = 0xBFU;
    std::size_t length = 0;
    if (lead >= 0xC2U && lead <= 0xDFU) {
        length = 2;
    } else if (lead >= 0xE0U && lead <= 0xEFU) {
        length = 3;
        low = lead == 0xE0U ? 0xA0U : 0x80U;  // no overlong 3-byte forms
        high = lead == 0xEDU ? 0x9FU : 0xBFU; // no UTF-16 surrogates
    } else if (lead >= 0xF0U && lead <= 0xF4U) {
        length = 4;
        low = lead == 0xF0U ? 0x90U : 0x80U;  // no overlong 4-byte forms
        high = lead == 0xF4U ? 0x8FU : 0xBFU; // nothing above U+10FFFF
    } else {
        return 0; // a continuation byte, C0, C1 or F5-FF
    }
    if (text.size() < 2 || byte(1) < low || byte(1) > high) {
        return 0;
    }
    for (std::size_t i = 2; i < length; ++i) {
        if (!continuation(i)) {
            return 0;
        }
    }
    return length;
}

// True when `text` is entirely well-formed UTF-8.
[[nodiscard]] inline bool is_valid_utf8(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_sequence_length(text.substr(i));
        if (length == 0) {
            return false;
        }
        i += length;
    }
    return true;
}

// `text` with every byte that does not start a well-formed UTF-8 sequence (and is not inside
// one) replaced by U+FFFD: "bad\xff\xfe.txt" -> "bad\u{FFFD}\u{FFFD}.txt". Valid text is unchanged.
[[nodiscard]] inline std::string to_valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_sequence_length(text.substr(i));
        if (length == 0) {
            out += "\xEF\xBF\xBD"; // U+FFFD REPLACEMENT CHARACTER
            ++i;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    return out;
}

// The bytes of `text` as lowercase hexadecimal, two digits per byte ("\xff\xfe" -> "fffe").
[[nodiscard]] inline std::string to_hex(std::string_view text) {
    constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(2 * text.size());
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        out += digits[b >> 4U];
        out += digits[b & 0x0FU];
    }
    return out;
}

} // namespace codelength::cli
