// Compiled by the ctest numerics/refuses_* with -ffast-math or -ffinite-math-only: the build
// must stop with codelength/core/config.hpp's #error.
#include <codelength/codelength.hpp>
