// Word counts for word perplexity, with the lm-evaluation-harness convention
// words = len(re.split(r"\s+", doc)) reproduced exactly.
#pragma once

#include "codelength/core/config.hpp"
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

namespace detail {

// The length in bytes of the Python-whitespace code point starting at text[i], or 0.
// Python's str regex \s is str.isspace(): U+0009..U+000D, U+001C..U+001F, U+0020, U+0085,
// U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 (29 code points).
[[nodiscard]] constexpr std::size_t python_whitespace_length(std::string_view text, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char b0 = byte(i);
    if ((b0 >= 0x09 && b0 <= 0x0d) || (b0 >= 0x1c && b0 <= 0x20)) {
        return 1;
    }
    const std::size_t left = text.size() - i;
    if (b0 == 0xc2 && left >= 2) { // U+0085, U+00A0
        return byte(i + 1) == 0x85 || byte(i + 1) == 0xa0 ? 2 : 0;
    }
    if (left < 3) {
        return 0;
    }
    const unsigned char b1 = byte(i + 1);
    const unsigned char b2 = byte(i + 2);
    if (b0 == 0xe1) { // U+1680 = E1 9A 80
        return b1 == 0x9a && b2 == 0x80 ? 3 : 0;
    }
    if (b0 == 0xe2 &&
        b1 == 0x80) { // U+2000..U+200A = E2 80 80..8A; U+2028, U+2029, U+202F = E2 80 A8, A9, AF
        return (b2 >= 0x80 && b2 <= 0x8a) || b2 == 0xa8 || b2 == 0xa9 || b2 == 0xaf ? 3 : 0;
    }
    if (b0 == 0xe2 && b1 == 0x81) { // U+205F = E2 81 9F
        return b2 == 0x9f ? 3 : 0;
    }
    if (b0 == 0xe3) { // U+3000 = E3 80 80
        return b1 == 0x80 && b2 == 0x80 ? 3 : 0;
    }
    return 0;
}

} // namespace detail

// len(re.split(r"\s+", utf8_text)) in Python 3 on the decoded string: the number of maximal
// runs of whitespace plus one, so "" gives 1, " a b " gives 4 ('', 'a', 'b', '') and "a" 1.
// Whitespace is Python's Unicode \s (see detail::python_whitespace_length), matched on the
// UTF-8 bytes; bytes that are not valid UTF-8 count as non-whitespace.
//   codelength::count_words_whitespace("hello  world\n") == 3
[[nodiscard]] constexpr std::int64_t count_words_whitespace(std::string_view utf8_text) noexcept {
    std::int64_t words = 1;
    bool in_whitespace = false;
    std::size_t i = 0;
    while (i < utf8_text.size()) {
        const std::size_t length = detail::python_whitespace_length(utf8_text, i);
        if (length > 0) {
            words += in_whitespace ? 0 : 1; // each run is one split point
            in_whitespace = true;
            i += length;
        } else {
            in_whitespace = false;
            ++i;
        }
    }
    return words;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
