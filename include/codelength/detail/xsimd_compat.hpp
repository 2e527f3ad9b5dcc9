// What differs between the xsimd versions the library supports (8.x on Debian 12, 11+ in vcpkg
// and Conan). Only the SIMD kernels include it.
#pragma once

#include "codelength/core/config.hpp"

#include <xsimd/xsimd.hpp>

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

// xsimd::bitwise_cast to the batch type To: xsimd 11 changed the template argument from the
// batch type to its element type.
template <class To, class T, class Arch>
To simd_bitwise_cast(const xsimd::batch<T, Arch>& x) noexcept {
#if XSIMD_VERSION_MAJOR >= 11
    return xsimd::bitwise_cast<typename To::value_type>(x);
#else
    return xsimd::bitwise_cast<To>(x);
#endif
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail
