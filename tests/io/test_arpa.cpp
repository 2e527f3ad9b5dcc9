// The ARPA reader: sections, optional back-off weights, tabs or spaces, lines before \data\,
// and every malformed input rejected with a format_error naming the file and line.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "codelength/core/error.hpp"
#include "codelength/io/arpa.hpp"
#include "support/catch.hpp"

namespace {

const char* const small_arpa = "written by a test\n"
                               "\n"
                               "\\data\\\n"
                               "ngram 1=4\n"
                               "ngram  2 = 2\n"
                               "\n"
                               "\\1-grams:\n"
                               "-99\t<s>\t-0.5\n"
                               "-0.5 </s>\n"
                               "-0.25\tb\t-0.125\r\n"
                               "-0.75 a -0.0625\n"
                               "\n"
                               "\\2-grams:\n"
                               "-0.5\ta b\n"
                               "-0.25 <s>\ta\n"
                               "\n"
                               "\\end\\\n"
                               "trailing text is ignored\n";

// The message of the format_error parse_arpa throws on text (empty if none).
std::string error_of(const std::string& text) {
    try {
        (void)codelength::parse_arpa(text, "bad.arpa");
    } catch (const codelength::format_error& e) {
        return e.what();
    }
    return "";
}

std::string with_body(const std::string& data, const std::string& sections) {
    return "\\data\\\n" + data + "\n" + sections + "\\end\\\n";
}

} // namespace

TEST_CASE("parse_arpa reads words, weights and missing back-off weights", "[arpa]") {
    const codelength::arpa_file lm = codelength::parse_arpa(small_arpa, "small.arpa");
    REQUIRE(lm.max_order() == 2);
    REQUIRE(lm.vocabulary_size() == 4);
    REQUIRE(lm.word_id("<s>") == 0);
    REQUIRE(lm.word_id("a") == 3);
    REQUIRE(lm.word_id("zzz") == -1);
    REQUIRE(lm.word(2) == "b");
    const auto& unigrams = lm.order(1);
    REQUIRE(unigrams.log10_probability[0] == -99.0);
    REQUIRE(unigrams.log10_backoff[1] == 0.0); // </s>: missing means 0
    REQUIRE(unigrams.log10_backoff[2] == -0.125);
    REQUIRE(unigrams.log10_backoff[3] == -0.0625);
    const auto& bigrams = lm.order(2);
    REQUIRE(bigrams.size() == 2);
    REQUIRE(bigrams.log10_backoff.empty()); // the highest order never backs off
    const std::int32_t a_b[] = {3, 2};
    const std::int32_t s_a[] = {0, 3};
    const std::int32_t b_a[] = {2, 3};
    REQUIRE(bigrams.log10_probability[static_cast<std::size_t>(bigrams.find(a_b))] == -0.5);
    REQUIRE(bigrams.log10_probability[static_cast<std::size_t>(bigrams.find(s_a))] == -0.25);
    REQUIRE(bigrams.find(b_a) == -1);
    REQUIRE_THROWS_AS(lm.word(4), codelength::invalid_argument_error);
}

TEST_CASE("read_arpa reads a file and names it in errors", "[arpa]") {
    const auto dir = std::filesystem::temp_directory_path() / "codelength_test_arpa";
    std::filesystem::create_directories(dir);
    const auto good = dir / "good.arpa";
    std::ofstream(good, std::ios::binary) << small_arpa;
    REQUIRE(codelength::read_arpa(good).vocabulary_size() == 4);
    const auto bad = dir / "broken.arpa";
    std::ofstream(bad, std::ios::binary) << with_body("ngram 1=1\n", "\\1-grams:\n-0.5\n");
    try {
        (void)codelength::read_arpa(bad);
        FAIL("no error");
    } catch (const codelength::format_error& e) {
        REQUIRE(std::string(e.what()).find("broken.arpa:5:") != std::string::npos);
    }
    try {
        (void)codelength::read_arpa(dir / "missing.arpa");
        FAIL("no error");
    } catch (const codelength::io_error& e) {
        REQUIRE(std::string(e.what()).find("missing.arpa: cannot open for reading: No such file") !=
                std::string::npos);
    }
    // A directory opens as a stream on Linux: it used to end in std::bad_alloc.
    try {
        (void)codelength::read_arpa(dir);
        FAIL("no error");
    } catch (const codelength::io_error& e) {
        REQUIRE(std::string(e.what()).find("Is a directory") != std::string::npos);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("parse_arpa rejects malformed files naming the line", "[arpa]") {
    const std::string unigrams = "\\1-grams:\n-1 a\n-1 b\n\n";
    // Line numbers: 1 \data\, 2.. the ngram lines, then a blank line, then the sections.
    CHECK(error_of("").find("no \\data\\") != std::string::npos);
    CHECK(error_of("\\data\\\nngram 1=2\n\n\\1-grams:\n-1 a\n-1 b\n")
              .find("bad.arpa:6: the file ends before") == 0);
    CHECK(
        error_of(with_body("ngram 1=3\n", unigrams)).find("bad.arpa:8: the 1-grams section has 2 entries") ==
        0);
    CHECK(error_of(with_body("ngram 1=1\n", unigrams)).find("bad.arpa:6: more 1-grams") == 0);
    CHECK(error_of(with_body("ngram 1=2\n", "\\1-grams:\n-1 a\nx b\n\n"))
              .find("bad.arpa:6: bad log10 probability 'x'") == 0);
    CHECK(error_of(with_body("ngram 1=2\n", "\\1-grams:\n-1 a\nnan b\n\n")).find("bad.arpa:6:") == 0);
    CHECK(error_of(with_body("ngram 1=2\n", "\\1-grams:\n-1 a\n0.5 b\n\n"))
              .find("bad.arpa:6: log10 probability 0.5 is positive") == 0);
    CHECK(error_of(with_body("ngram 1=2\n", "\\1-grams:\n-1 a\n-1 b inf\n\n")).find("bad.arpa:6:") == 0);
    CHECK(error_of(with_body("ngram 1=2\n", "\\1-grams:\n-1 a\n-1 b -1 extra\n\n"))
              .find("bad.arpa:6: 4 fields") == 0);
    CHECK(error_of(with_body("ngram 1=2\n", "\\1-grams:\n-1 a\n-1 a\n\n")).find("'a' is listed twice") !=
          std::string::npos);
    CHECK(error_of(with_body("ngram 1=2\nngram 2=1\n", unigrams + "\\2-grams:\n-1 a c\n\n"))
              .find("bad.arpa:10: the word 'c' is not a 1-gram") == 0);
    CHECK(error_of(with_body("ngram 1=2\nngram 2=2\n", unigrams + "\\2-grams:\n-1 a b\n-2 a b\n\n"))
              .find("the 2-gram 'a b' is listed twice") != std::string::npos);
    CHECK(error_of(with_body("ngram 1=2\nngram 2=1\n", unigrams))
              .find("bad.arpa:9: \\end\\ before the 2-grams") == 0);
    CHECK(
        error_of(with_body("ngram 1=2\nngram 3=1\n", unigrams)).find("bad.arpa:3: expected 'ngram 2=...'") ==
        0);
    CHECK(error_of(with_body("ngram 1=2\n", "\\2-grams:\n")).find("bad.arpa:4: unexpected '\\2-grams:'") ==
          0);
    CHECK(error_of(with_body("ngram 1=x\n", unigrams)).find("bad.arpa:2: bad count 'x'") == 0);
    CHECK(error_of(with_body("ngram 1=-1\n", unigrams)).find("bad.arpa:2: bad count") == 0);
    CHECK(error_of(with_body("ngram 1=2\n", "-1 a\n")).find("bad.arpa:4: expected 'ngram N=count' or") == 0);
    CHECK(error_of(with_body("ngram 65=1\n", unigrams)).find("bad.arpa:2: expected 'ngram 1=...'") == 0);
    // Absurd counts are rejected before any allocation.
    CHECK(error_of(with_body("ngram 1=18446744073709551615\n", unigrams)).find("bad.arpa:2: ngram 1=") == 0);
    CHECK(error_of(with_body("ngram 1=99999999999999999999\n", unigrams)).find("bad.arpa:2: bad count") == 0);
    CHECK(error_of(with_body("ngram 1=1000\n", unigrams)).find("more entries than a") != std::string::npos);
    CHECK(error_of("\\data\\\n\\1-grams:\n").find("bad.arpa:2: \\data\\ declares no") == 0);
}

TEST_CASE("parse_arpa never crashes on truncations of a valid file", "[arpa]") {
    const std::string text = small_arpa;
    for (std::size_t n = 0; n < text.size(); ++n) {
        try {
            (void)codelength::parse_arpa(text.substr(0, n), "cut.arpa");
        } catch (const codelength::format_error&) {
        }
    }
    SUCCEED();
}
