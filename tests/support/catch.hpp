// Catch2 compatibility: the tests use the subset of Catch2 that v2 (Debian) and v3 share.
#pragma once

#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
