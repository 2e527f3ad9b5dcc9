// The SSE2 (x86-64's baseline: compiled without extra flags)
// kernels of codelength::dispatch.
#include "kernel_table_for_target.hpp"

#if !(defined(__SSE2__) && !defined(__AVX__))
#error "kernels_sse2.cpp must be compiled for exactly its target (see src/CMakeLists.txt)"
#endif

namespace codelength::inline v0::kernel_abi {

const kernel_table& sse2_kernels() noexcept {
    static constexpr kernel_table table = detail::target_kernels<true>::table(instruction_set::sse2);
    return table;
}

} // namespace codelength::inline v0::kernel_abi
