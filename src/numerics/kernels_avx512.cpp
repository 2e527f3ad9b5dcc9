// The AVX-512 kernels of codelength::dispatch: x86-64-v4 (v3 and AVX-512 F, BW, CD, DQ, VL),
// compiled with -march=x86-64-v4 and run only where dispatch.cpp detects that level.
#include "kernel_table_for_target.hpp"

#if !(defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__) &&     \
      defined(__FMA__) && defined(__F16C__))
#error "kernels_avx512.cpp must be compiled for exactly its target (see src/CMakeLists.txt)"
#endif

namespace codelength::inline v0::kernel_abi {

const kernel_table& avx512_kernels() noexcept {
    static constexpr kernel_table table = detail::target_kernels<true>::table(instruction_set::avx512);
    return table;
}

} // namespace codelength::inline v0::kernel_abi
