// The vectorized row kernel (xsimd). Work in progress: forwards to the scalar kernel.
#pragma once
#include "codelength/numerics/row_kernel_scalar.hpp"
namespace codelength::detail {
template <class Element>
row_statistics row_statistics_simd(strided_row<Element> row, std::int64_t target, std::int64_t row_index) {
    return row_statistics_scalar(row, target, row_index);
}
} // namespace codelength::detail
