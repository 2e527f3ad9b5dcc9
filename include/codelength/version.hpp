// The one source of the library's version number; CMake parses the three macros below.
#pragma once

#include "codelength/core/config.hpp"

#define CODELENGTH_VERSION_MAJOR 0
#define CODELENGTH_VERSION_MINOR 1
#define CODELENGTH_VERSION_PATCH 0

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {
// The version as "MAJOR.MINOR.PATCH".
inline constexpr const char* version_string = "0.1.0";
} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
