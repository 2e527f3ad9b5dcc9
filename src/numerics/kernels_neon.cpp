// The NEON (aarch64's baseline)
// kernels of codelength::dispatch.
#include "kernel_table_for_target.hpp"

#if !(defined(__aarch64__))
#error "kernels_neon.cpp must be compiled for exactly its target (see src/CMakeLists.txt)"
#endif

namespace codelength::inline v0::kernel_abi {

const kernel_table& neon_kernels() noexcept {
    static constexpr kernel_table table = detail::target_kernels<true>::table(instruction_set::neon);
    return table;
}

} // namespace codelength::inline v0::kernel_abi
