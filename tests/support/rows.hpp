// Rows of logits for the kernel tests, in any element type the kernels take.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "codelength/core/half_types.hpp"

namespace test_support {

// `value` in Element (16-bit types round to nearest even).
template <class Element>
Element from_double(double value) {
    if constexpr (std::is_same_v<Element, codelength::bfloat16> ||
                  std::is_same_v<Element, codelength::float16>) {
        return Element::from_float(static_cast<float>(value));
    } else {
        return static_cast<Element>(value);
    }
}

// The same values `stride` elements apart; the gaps hold NaN, which no kernel may read.
template <class Element>
std::vector<Element> spread(const std::vector<Element>& row, std::int64_t stride) {
    std::vector<Element> out(row.size() * static_cast<std::size_t>(stride),
                             from_double<Element>(std::numeric_limits<double>::quiet_NaN()));
    for (std::size_t i = 0; i < row.size(); ++i) {
        out[i * static_cast<std::size_t>(stride)] = row[i];
    }
    return out;
}

// A column-major (Fortran-order) copy of a C-order rows x columns matrix: (r, c) at c * rows + r.
template <class Element>
std::vector<Element> column_major_copy(const std::vector<Element>& c_order, std::int64_t rows,
                                       std::int64_t columns) {
    std::vector<Element> out(c_order.size());
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < columns; ++c) {
            out[static_cast<std::size_t>(c * rows + r)] = c_order[static_cast<std::size_t>(r * columns + c)];
        }
    }
    return out;
}

} // namespace test_support
