// detail::parse_double and its fallback detail::parse_double_c_locale (strtod under the "C"
// locale, for standard libraries without a floating-point std::from_chars, libc++ < 17): the
// same doubles as std::from_chars, bit for bit, and the same refusals, whatever the global or
// the thread's locale, including one with a decimal comma (de_DE).
#include <bit>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <locale.h>

#include "codelength/io/arpa.hpp"
#include "codelength/io/parse_double.hpp"
#include "support/catch.hpp"

namespace {

constexpr std::string_view accepted[] = {"0",
                                         "-0",
                                         "1",
                                         "-99",
                                         "-0.5",
                                         "0.15625",
                                         "1e-5",
                                         "-1.2345678901234567e-300",
                                         "1e-310", // subnormal: from_chars accepts it, strtod says ERANGE
                                         "1.7976931348623157e308",
                                         "4.9406564584124654e-324",
                                         "5.",
                                         ".5",
                                         "-.5e-3",
                                         "1E5",
                                         "1e+5",
                                         "0.1",
                                         "0.30000000000000004",
                                         "123456789012345678901234567890",
                                         "inf",
                                         "-inf",
                                         "Infinity",
                                         "nan",
                                         "-nan",
                                         "2.2250738585072011e-308"};

constexpr std::string_view refused[] = {"",       "-",    "+1",    " 1",     "1 ",     "\t1",   "0x10",
                                        "-0x1p3", "1,5",  "1e400", "-1e400", "1e-400", "abc",   "--1",
                                        "1.5e",   "1.5.", "nan(",  "e5",     ".",      "-inf ", "1e"};

// What std::from_chars makes of the whole text, or nullopt (the reference).
std::optional<double> from_chars_reference(std::string_view text) {
    double value = 0.0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

bool same_double(std::optional<double> a, std::optional<double> b) {
    if (!a || !b) {
        return a.has_value() == b.has_value();
    }
    if (std::isnan(*a) || std::isnan(*b)) {
        return std::isnan(*a) && std::isnan(*b);
    }
    return std::bit_cast<std::uint64_t>(*a) == std::bit_cast<std::uint64_t>(*b);
}

void check_against_from_chars() {
    for (const std::string_view text : accepted) {
        INFO("accepted: '" << text << "'");
        const std::optional<double> reference = from_chars_reference(text);
        REQUIRE(reference.has_value());
        CHECK(same_double(codelength::detail::parse_double_c_locale(text), reference));
        CHECK(same_double(codelength::detail::parse_double(text), reference));
    }
    for (const std::string_view text : refused) {
        INFO("refused: '" << text << "'");
        CHECK(!from_chars_reference(text).has_value());
        CHECK(!codelength::detail::parse_double_c_locale(text).has_value());
        CHECK(!codelength::detail::parse_double(text).has_value());
    }
}

// Makes a locale with a decimal comma the global one; false when none can be found. Tries the
// system's, then the one the io/generate_comma_locale fixture builds under CODELENGTH_TEST_DATA.
bool set_comma_locale(std::string& name) {
    const auto try_names = [&] {
        for (const char* candidate : {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8", "fr_FR.utf8"}) {
            if (std::setlocale(LC_ALL, candidate) != nullptr &&
                std::string_view(std::localeconv()->decimal_point) == ",") {
                name = candidate;
                return true;
            }
        }
        return false;
    };
    if (try_names()) {
        return true;
    }
#if !defined(_WIN32)
    if (const char* data = std::getenv("CODELENGTH_TEST_DATA")) {
        const std::filesystem::path locales = std::filesystem::path(data) / "locale";
        if (std::filesystem::is_directory(locales)) {
            ::setenv("LOCPATH", locales.c_str(), 1); // glibc reads LOCPATH at every setlocale
            return try_names();
        }
    }
#endif
    return false;
}

} // namespace

TEST_CASE("parse_double and its strtod fallback agree with std::from_chars bit for bit", "[parse_double]") {
#if defined(CODELENGTH_TEST_EXPECT_FALLBACK)
    CHECK(CODELENGTH_HAS_FLOAT_FROM_CHARS == 0); // forced: parse_double is the fallback
#elif defined(__GLIBCXX__)
    CHECK(CODELENGTH_HAS_FLOAT_FROM_CHARS == 1); // libstdc++ 11+ has the floating-point overloads
#endif
    check_against_from_chars();
}

TEST_CASE("the strtod fallback ignores a decimal-comma global and thread locale", "[parse_double]") {
    std::string comma;
    if (!set_comma_locale(comma)) {
        WARN("no locale with a decimal comma (de_DE) here or under CODELENGTH_TEST_DATA/locale: "
             "only the C locale was checked");
        check_against_from_chars();
        return;
    }
    INFO("global locale " << comma);
    // Plain strtod does follow the global locale: "0.5" stops at the '.', "1,5" reads as 1.5.
    char* end = nullptr;
    CHECK(std::strtod("1,5", &end) == 1.5);
    CHECK(std::strtod("0.5", &end) == 0.0);
    check_against_from_chars();
    CHECK(codelength::detail::parse_double_c_locale("-0.25") == -0.25);
    CHECK(!codelength::detail::parse_double_c_locale("1,5").has_value());
    // An ARPA file reads the same.
    const codelength::arpa_file lm =
        codelength::parse_arpa("\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-0.25\ta\t-0.125\n-1.5 "
                               "b\n\n\\2-grams:\n-0.75 a b\n\n\\end\\\n",
                               "de.arpa");
    CHECK(lm.order(1).log10_probability[0] == -0.25);
    CHECK(lm.order(1).log10_backoff[0] == -0.125);
    CHECK(lm.order(1).log10_probability[1] == -1.5);
    CHECK(lm.order(2).log10_probability[0] == -0.75);
    REQUIRE_THROWS_AS(
        codelength::parse_arpa("\\data\\\nngram 1=1\n\n\\1-grams:\n-0,25\ta\n\n\\end\\\n", "comma.arpa"),
        codelength::format_error);

#if !defined(_WIN32)
    // The same with the comma locale as this thread's locale only (uselocale), global "C".
    std::setlocale(LC_ALL, "C");
    const locale_t thread_locale = newlocale(LC_ALL_MASK, comma.c_str(), locale_t{});
    REQUIRE(thread_locale != locale_t{});
    const locale_t previous = uselocale(thread_locale);
    CHECK(std::strtod("1,5", &end) == 1.5);
    check_against_from_chars();
    CHECK(uselocale(previous) == thread_locale); // the fallback restored the thread's locale
    freelocale(thread_locale);
#endif
    std::setlocale(LC_ALL, "C");
}
