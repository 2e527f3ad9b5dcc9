// xtensor views of .npy arrays read by codelength::read_npy, without copying the data.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "codelength/adapters/xtensor_compat.hpp"
#include "codelength/core/config.hpp"
#include "codelength/io/npy_reader.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// A read-only xtensor adaptor over the array's data, shaped and laid out like the file (C or
// Fortran order). It shares ownership of the mapping or buffer, so it may outlive `array`.
// Element must match the dtype as for npy_array::values<Element>() (else format_error).
// Example: `auto logits = codelength::adapt_npy<float>(codelength::read_npy("logits.npy"));`
template <npy_element Element>
[[nodiscard]] auto adapt_npy(const npy_array& array) {
    const std::span<const Element> elements = array.values<Element>();
    std::vector<std::size_t> shape;
    shape.reserve(array.ndim());
    for (const std::int64_t dimension : array.shape()) {
        shape.push_back(static_cast<std::size_t>(dimension)); // dimensions are >= 0 (header check)
    }
    const xt::layout_type layout =
        array.fortran_order() ? xt::layout_type::column_major : xt::layout_type::row_major;
    return xt::adapt_smart_ptr<xt::layout_type::dynamic>(elements.data(), shape, array.shared_storage(),
                                                         layout);
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
