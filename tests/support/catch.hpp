// Catch2 compatibility: the tests use the subset of Catch2 that v2 (Debian) and v3 share.
#pragma once

#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

#if !__has_include(<catch2/catch_all.hpp>)
namespace Catch {
// Catch2 v3 spells it Catch::Approx; v2 keeps it in Catch::Detail.
using Detail::Approx;
} // namespace Catch
#endif
