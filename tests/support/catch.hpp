// Catch2 compatibility: the tests use the subset of Catch2 that v2 (Debian) and v3 share.
// tests/packaging/check_sources.cmake checks that every test comes through this header and
// uses only that subset (plus the two names below).
#pragma once

#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>

#include <string>

namespace Catch {
// v2's substring matcher is Catch::Contains (Catch::Matchers::Contains); v3 renamed it
// ContainsSubstring and gave Matchers::Contains to the range matcher.
inline Matchers::StringContainsMatcher Contains(const std::string& needle,
                                                CaseSensitive case_sensitivity = CaseSensitive::Yes) {
    return Matchers::ContainsSubstring(needle, case_sensitivity);
}
} // namespace Catch
#else
#include <catch2/catch.hpp>

namespace Catch {
// Catch2 v3 spells it Catch::Approx; v2 keeps it in Catch::Detail.
using Detail::Approx;
} // namespace Catch
#endif
