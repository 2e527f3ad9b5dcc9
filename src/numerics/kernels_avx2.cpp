// The AVX2 + FMA + F16C (compiled with -mavx2 -mfma -mf16c; run only where detected)
// kernels of codelength::dispatch.
#include "kernel_table_for_target.hpp"

#if !(defined(__AVX2__) && defined(__FMA__) && defined(__F16C__) && !defined(__AVX512F__))
#error "kernels_avx2.cpp must be compiled for exactly its target (see src/CMakeLists.txt)"
#endif

namespace codelength::inline v0::kernel_abi {

const kernel_table& avx2_kernels() noexcept {
    static constexpr kernel_table table = detail::target_kernels<true>::table(instruction_set::avx2);
    return table;
}

} // namespace codelength::inline v0::kernel_abi
