// The portable kernels of codelength::dispatch (plain loops, the reference every other path
// is tested against; CODELENGTH_ISA=scalar runs them).
#include "kernel_table_for_target.hpp"

namespace codelength::inline v0::kernel_abi {

const kernel_table& scalar_kernels() noexcept {
    static constexpr kernel_table table = detail::target_kernels<false>::table(instruction_set::scalar);
    return table;
}

} // namespace codelength::inline v0::kernel_abi
