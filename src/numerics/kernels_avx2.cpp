// The AVX2 kernels of codelength::dispatch: x86-64-v3 (AVX2, FMA, F16C, BMI1/2, LZCNT, MOVBE),
// compiled with -march=x86-64-v3 and run only where dispatch.cpp detects that level.
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
