// Compiled by the ctests numerics/refuses_* with the macros a fast-math build predefines:
// the build must stop with codelength/core/config.hpp's #error.
#include <codelength/codelength.hpp>
