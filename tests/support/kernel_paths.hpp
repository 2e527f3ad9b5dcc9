// The kernel paths of codelength::dispatch (numerics/dispatch.hpp) that this build and machine
// run, and a macro that runs the rest of a test case once on each of them, so the kernel tests
// cover every path without being written twice:
//   TEST_CASE("...") {
//       CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
//       ... // runs with scalar, then sse2, avx2, avx512 active (those the machine has)
//   }
// In a build without codelength::dispatch the macro does nothing: the body runs once, on the
// kernels the headers inline.
#pragma once

#include <vector>

#include "codelength/core/config.hpp"
#if defined(CODELENGTH_DISPATCH)
#include "codelength/numerics/dispatch.hpp"
#include "codelength/numerics/dispatched_kernels.hpp"
#endif
#include "support/catch.hpp"

namespace test_support {

#if defined(CODELENGTH_DISPATCH)
// The paths instruction_set_available reports, narrowest (scalar) first.
inline std::vector<codelength::instruction_set> available_kernel_paths() {
    std::vector<codelength::instruction_set> paths;
    for (const auto isa : codelength::all_instruction_sets) {
        if (codelength::instruction_set_available(isa)) {
            paths.push_back(isa);
        }
    }
    return paths;
}
#endif

} // namespace test_support

#if defined(CODELENGTH_DISPATCH)
// GENERATE reruns the test case from its start once per path; the path is active (and named in
// every failure message) until the end of the enclosing scope, then the previous one returns.
#define CODELENGTH_TEST_ON_EVERY_KERNEL_PATH()                                                               \
    const auto codelength_test_kernel_path = GENERATE(from_range(::test_support::available_kernel_paths())); \
    const ::codelength::scoped_instruction_set codelength_test_kernel_path_scope(                            \
        codelength_test_kernel_path);                                                                        \
    INFO("kernel path " << ::codelength::instruction_set_name(codelength_test_kernel_path))
#else
#define CODELENGTH_TEST_ON_EVERY_KERNEL_PATH() static_cast<void>(0)
#endif
