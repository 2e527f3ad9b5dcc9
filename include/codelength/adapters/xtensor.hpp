// xtensor adapter: a 2-D xtensor container or strided view of logits (xarray, xtensor,
// xt::adapt over a buffer, xt::view/strided_view with direct access; any layout) as a
// codelength::matrix_view or a logits_replay model, read in place (no copy).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "codelength/adapters/xtensor_compat.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/models/logits_replay.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

namespace detail {
// xtensor expressions whose elements live in memory at data() + data_offset() + index . strides().
template <class Expression>
concept xtensor_direct_access = requires(const Expression& e) {
    e.data();
    e.data_offset();
    e.strides();
    e.shape();
};
} // namespace detail

// A view of a 2-D xtensor expression with direct memory access: element (r, c) at
// data() + data_offset() + r * strides()[0] + c * strides()[1] (strides in elements, possibly
// negative). The view borrows the memory: the container must outlive it (a temporary xarray
// or xtensor is rejected). Lazy expressions (a + b, xt::exp(a), views with index slices) are
// rejected at compile time: evaluate them into an xarray first. Throws invalid_argument_error
// when the expression is not 2-D.
//   xt::xtensor<float, 2> logits({T, V});
//   auto view = codelength::as_matrix_view(logits); // view.data == logits.data()
template <class Expression>
[[nodiscard]] auto as_matrix_view(const xt::xexpression<Expression>& logits) {
    using element = std::remove_cv_t<typename Expression::value_type>;
    static_assert(detail::xtensor_direct_access<Expression>,
                  "codelength::as_matrix_view: this xtensor expression has no direct memory access (data(), "
                  "data_offset(), strides()): evaluate it first, e.g. `xt::xarray<float> logits = expr;`");
    static_assert(
        row_element<element>,
        "codelength::as_matrix_view: the xtensor value_type must be float, double, codelength::bfloat16 "
        "or codelength::float16; convert with xt::cast<float>(...) into a named xarray");
    if constexpr (detail::xtensor_direct_access<Expression> && row_element<element>) {
        const Expression& e = logits.derived_cast();
        const auto& shape = e.shape();
        if (shape.size() != 2) {
            throw invalid_argument_error(
                "codelength::as_matrix_view: expected a 2-D (T x V) xtensor expression, got " +
                std::to_string(shape.size()) + "-D");
        }
        const auto& strides = e.strides();
        const auto rows = static_cast<std::int64_t>(shape[0]);
        const auto columns = static_cast<std::int64_t>(shape[1]);
        // xtensor sets the stride of a length-1 axis to 0; any stride reads the same single
        // element there, so use the contiguous one.
        const auto row_stride = rows == 1 ? columns : static_cast<std::int64_t>(strides[0]);
        const auto column_stride = columns == 1 ? std::int64_t{1} : static_cast<std::int64_t>(strides[1]);
        const element* first = e.data() + static_cast<std::ptrdiff_t>(e.data_offset());
        return matrix_view<element>{first, rows, columns, row_stride, column_stride};
    } else {
        return matrix_view<float>{};
    }
}

// A temporary container would leave the view dangling: store it in a variable first.
template <class EC, xt::layout_type L, class SC, class Tag>
void as_matrix_view(xt::xarray_container<EC, L, SC, Tag>&& temporary) = delete;
template <class EC, std::size_t N, xt::layout_type L, class Tag>
void as_matrix_view(xt::xtensor_container<EC, N, L, Tag>&& temporary) = delete;

// A logits_replay model over a 2-D xtensor expression of logits (row t: the distribution of
// token t), without copying; the container must outlive the model.
template <class Expression>
[[nodiscard]] auto make_logits_replay(const xt::xexpression<Expression>& logits) {
    return logits_replay(as_matrix_view(logits));
}

// A temporary container would leave the model dangling: store it in a variable first.
template <class EC, xt::layout_type L, class SC, class Tag>
void make_logits_replay(xt::xarray_container<EC, L, SC, Tag>&& temporary) = delete;
template <class EC, std::size_t N, xt::layout_type L, class Tag>
void make_logits_replay(xt::xtensor_container<EC, N, L, Tag>&& temporary) = delete;

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
