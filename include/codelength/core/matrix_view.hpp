// Non-owning strided views of a T x V matrix of logits (or log-probabilities), so rows from
// any framework's memory (NumPy, Eigen, xtensor, a mapped .npy file) are read in place.
#pragma once

#include <cstddef>
#include <cstdint>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// One row: `size` elements, `stride` elements apart.
template <class Element>
struct strided_row {
    const Element* data = nullptr;
    std::int64_t size = 0;
    std::int64_t stride = 1;
    [[nodiscard]] const Element& operator[](std::int64_t i) const noexcept { return data[i * stride]; }
    [[nodiscard]] bool is_contiguous() const noexcept { return stride == 1; }
};

// A rows x columns matrix; element (r, c) is data[r * row_stride + c * column_stride].
// Strides are in elements and may be any non-zero value (Fortran order has row_stride 1).
template <class Element>
struct matrix_view {
    const Element* data = nullptr;
    std::int64_t rows = 0;
    std::int64_t columns = 0;
    std::int64_t row_stride = 0;
    std::int64_t column_stride = 1;

    // A C-order (row-major, contiguous) view.
    [[nodiscard]] static matrix_view row_major(const Element* data, std::int64_t rows, std::int64_t columns) {
        if (rows < 0 || columns < 0) {
            throw invalid_argument_error("matrix_view: negative shape");
        }
        return matrix_view{data, rows, columns, columns, 1};
    }
    [[nodiscard]] strided_row<Element> row(std::int64_t r) const noexcept {
        return strided_row<Element>{data + r * row_stride, columns, column_stride};
    }
    [[nodiscard]] const Element& operator()(std::int64_t r, std::int64_t c) const noexcept {
        return data[r * row_stride + c * column_stride];
    }
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
