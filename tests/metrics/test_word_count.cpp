// count_words_whitespace == len(re.split(r"\s+", doc)) in Python 3.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "codelength/metrics/word_count.hpp"
#include "support/catch.hpp"

namespace {

// Expected values printed by /usr/bin/python3 (3.11): len(re.split(r"\s+", s)).
struct word_case {
    std::string_view utf8_text;
    std::int64_t python_words;
};

// Reference: decode UTF-8 to code points, test each against Python's str.isspace() list, and
// split the way re.split does (every maximal whitespace run separates two pieces).
bool python_isspace(char32_t c) {
    static constexpr char32_t spaces[] = {0x09,   0x0a,   0x0b,   0x0c,   0x0d,   0x1c,   0x1d,   0x1e,
                                          0x1f,   0x20,   0x85,   0xa0,   0x1680, 0x2000, 0x2001, 0x2002,
                                          0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
                                          0x2028, 0x2029, 0x202f, 0x205f, 0x3000};
    for (char32_t s : spaces) {
        if (s == c) {
            return true;
        }
    }
    return false;
}

std::vector<char32_t> decode_utf8(std::string_view text) {
    std::vector<char32_t> out;
    for (std::size_t i = 0; i < text.size();) {
        const auto b0 = static_cast<unsigned char>(text[i]);
        std::size_t length = b0 < 0x80 ? 1 : b0 < 0xe0 ? 2 : b0 < 0xf0 ? 3 : 4;
        char32_t c = length == 1   ? b0
                     : length == 2 ? (b0 & 0x1fU)
                     : length == 3 ? (b0 & 0x0fU)
                                   : (b0 & 0x07U);
        for (std::size_t k = 1; k < length; ++k) {
            c = (c << 6U) | (static_cast<unsigned char>(text[i + k]) & 0x3fU);
        }
        out.push_back(c);
        i += length;
    }
    return out;
}

std::int64_t reference_split_length(std::string_view text) {
    std::vector<std::u32string> pieces(1);
    bool previous_space = false;
    for (char32_t c : decode_utf8(text)) {
        if (python_isspace(c)) {
            if (!previous_space) {
                pieces.emplace_back();
            }
        } else {
            pieces.back().push_back(c);
        }
        previous_space = python_isspace(c);
    }
    return static_cast<std::int64_t>(pieces.size());
}

} // namespace

TEST_CASE("count_words_whitespace matches Python re.split on fixed cases", "[metrics][words]") {
    const std::vector<word_case> cases{
        {"", 1},
        {" ", 2},
        {"  ", 2},
        {"a", 1},
        {" a", 2},
        {"a ", 2},
        {" a b ", 4},
        {"hello  world\n", 3},
        {"a\tb\nc\rd\x0b"
         "e\x0c"
         "f",
         6},
        {"a\x1c"
         "b\x1d"
         "c\x1e"
         "d\x1f"
         "f",
         5},
        {"a\xc2\x85"
         "b",
         2}, // U+0085 NEL
        {"a\xc2\xa0"
         "b",
         2}, // U+00A0 no-break space
        {"a\xe1\x9a\x80"
         "b",
         2}, // U+1680 ogham space mark
        {"a\xe2\x80\x80"
         "b\xe2\x80\x8a"
         "c",
         3}, // U+2000, U+200A
        {"a\xe2\x80\x8b"
         "b",
         1}, // U+200B zero-width space is not \s
        {"a\xe2\x80\xa8\xe2\x80\xa9"
         "b",
         2}, // U+2028 U+2029: one run
        {"a\xe2\x80\xaf"
         "b\xe2\x81\x9f"
         "c\xe3\x80\x80"
         "d",
         4},
        {"caf\xc3\xa9 na\xc3\xafve", 2},
        {"\xe3\x80\x80", 2},
        {"x \xc2\xa0 \t y", 2},
        {"\xe2\x80\x89\xe2\x80\x89", 2},
        {std::string_view("a\0b", 3), 1},
        {"\xf0\x9f\x98\x80 \xf0\x9f\x98\x80", 2},
    };
    for (const auto& c : cases) {
        CAPTURE(std::string(c.utf8_text));
        CHECK(codelength::count_words_whitespace(c.utf8_text) == c.python_words);
        CHECK(reference_split_length(c.utf8_text) == c.python_words);
    }
    STATIC_REQUIRE(codelength::count_words_whitespace(" a b ") == 4);
}

TEST_CASE("count_words_whitespace agrees with a decoding reference on random text",
          "[metrics][words][property]") {
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937 rng(seed);
    // Pieces: ASCII letters and spaces, multi-byte spaces and multi-byte non-spaces that share
    // lead bytes with spaces (U+00E9, U+200B, U+2010, U+3001, U+1681).
    const std::vector<std::string_view> pieces{"a",
                                               "b",
                                               " ",
                                               "\t",
                                               "\n",
                                               "\x1f",
                                               "\x0b",
                                               "\xc2\x85",
                                               "\xc2\xa0",
                                               "\xc3\xa9",
                                               "\xe1\x9a\x80",
                                               "\xe1\x9a\x81",
                                               "\xe2\x80\x80",
                                               "\xe2\x80\x8a",
                                               "\xe2\x80\x8b",
                                               "\xe2\x80\x90",
                                               "\xe2\x80\xa8",
                                               "\xe2\x80\xaf",
                                               "\xe2\x81\x9f",
                                               "\xe2\x81\xa0",
                                               "\xe3\x80\x80",
                                               "\xe3\x80\x81",
                                               "\xf0\x9f\x98\x80"};
    std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
    std::uniform_int_distribution<int> length(0, 30);
    for (int trial = 0; trial < 2000; ++trial) {
        std::string text;
        const int n = length(rng);
        for (int i = 0; i < n; ++i) {
            text += pieces[pick(rng)];
        }
        CAPTURE(trial, text);
        REQUIRE(codelength::count_words_whitespace(text) == reference_split_length(text));
    }
}
