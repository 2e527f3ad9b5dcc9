// Locale-independent parsing of a decimal double, for text formats (ARPA): std::from_chars
// where the standard library has it for floating point (libstdc++ 11+, MSVC 19.24+, libc++ 17+),
// otherwise strtod evaluated under the "C" locale (libc++ before 17, i.e. Apple Clang before
// Xcode 16), so a global locale with a decimal comma (de_DE) never changes what a file means.
// Define CODELENGTH_HAS_FLOAT_FROM_CHARS to 0 or 1 to override the detection.
#pragma once

#include "codelength/core/config.hpp"

#include <cerrno>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <locale.h> // newlocale, uselocale (POSIX 2008); _create_locale, _strtod_l (Windows)
#if defined(__APPLE__)
#include <xlocale.h>
#endif

#if !defined(CODELENGTH_HAS_FLOAT_FROM_CHARS)
#if defined(_LIBCPP_VERSION)
#if _LIBCPP_VERSION >= 170000
#define CODELENGTH_HAS_FLOAT_FROM_CHARS 1
#else
#define CODELENGTH_HAS_FLOAT_FROM_CHARS 0
#endif
#elif defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
#define CODELENGTH_HAS_FLOAT_FROM_CHARS 1
#else
#define CODELENGTH_HAS_FLOAT_FROM_CHARS 0
#endif
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

// Parses all of `text` as std::from_chars(first, last, value) does (chars_format::general: an
// optional '-', decimal digits with an optional exponent, or inf/infinity/nan); nullopt for
// anything else, for trailing characters and for a value that overflows or underflows to 0.
// This is the fallback: strtod under a "C" locale, with what strtod accepts beyond from_chars
// (leading spaces or '+', hexadecimal) refused. Always compiled, so it is tested everywhere.
[[nodiscard]] inline std::optional<double> parse_double_c_locale(std::string_view text) {
    const std::string_view unsigned_part = text.starts_with('-') ? text.substr(1) : text;
    if (unsigned_part.empty() || unsigned_part.front() == '+' || unsigned_part.front() == '-' ||
        unsigned_part.starts_with("0x") || unsigned_part.starts_with("0X")) {
        return std::nullopt;
    }
    const char first = unsigned_part.front();
    const bool starts_like_a_number = (first >= '0' && first <= '9') || first == '.' || first == 'i' ||
                                      first == 'I' || first == 'n' || first == 'N';
    if (!starts_like_a_number) { // strtod skips leading spaces; from_chars does not
        return std::nullopt;
    }
    const std::string terminated(text); // strtod needs a NUL-terminated string
    char* end = nullptr;
    errno = 0;
#if defined(_WIN32)
    static const _locale_t c_locale = _create_locale(LC_NUMERIC, "C");
    const double value = _strtod_l(terminated.c_str(), &end, c_locale);
#else
    static const locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", locale_t{});
    if (c_locale == locale_t{}) {
        return std::nullopt; // cannot happen: the "C" locale always exists
    }
    // uselocale switches this thread only, and back, so other threads are not disturbed.
    const locale_t previous = uselocale(c_locale);
    const double value = std::strtod(terminated.c_str(), &end);
    uselocale(previous);
#endif
    const int parse_errno = errno;
    if (end != terminated.c_str() + terminated.size()) {
        return std::nullopt;
    }
    // strtod reports ERANGE also for subnormal results, which from_chars accepts: only a value
    // that overflowed to infinity or underflowed to zero is out of range.
    if (parse_errno == ERANGE && (std::isinf(value) || value == 0.0)) {
        return std::nullopt;
    }
    return value;
}

// Parses all of `text` as a decimal double, locale-independently (see parse_double_c_locale).
// Example: `detail::parse_double("-2.5e-3") == -0.0025`, `detail::parse_double("1,5")` is empty.
[[nodiscard]] inline std::optional<double> parse_double(std::string_view text) {
#if CODELENGTH_HAS_FLOAT_FROM_CHARS
    double value = 0.0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
#else
    return parse_double_c_locale(text);
#endif
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail
