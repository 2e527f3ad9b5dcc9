// Eigen adapter: a dense Eigen matrix, array, Map, Ref or Block of logits (T x V, row- or
// column-major, float or double) as a codelength::matrix_view or a logits_replay model,
// read in place (no copy).
#pragma once

#include <cstdint>
#include <type_traits>

#include <Eigen/Core>

#include "codelength/core/config.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/models/logits_replay.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// A view of an Eigen expression with direct memory access (Matrix, Array, Map, Ref, Block,
// Transpose of those): element (r, c) at data() + r * row_stride + c * column_stride, with the
// strides taken from innerStride()/outerStride() according to the storage order. The view
// borrows the memory: the matrix must outlive it (a temporary Matrix/Array is rejected).
// Expressions without direct access (a * b, a + b, .cast<>()) are rejected at compile time:
// evaluate them into a Matrix first.
//   Eigen::MatrixXf logits(T, V);
//   auto view = codelength::as_matrix_view(logits); // view.data == logits.data()
template <class Derived>
[[nodiscard]] auto as_matrix_view(const Eigen::DenseBase<Derived>& logits) {
    using element = std::remove_cv_t<typename Derived::Scalar>;
    constexpr bool direct_access = (static_cast<unsigned>(Derived::Flags) & Eigen::DirectAccessBit) != 0;
    static_assert(
        direct_access,
        "codelength::as_matrix_view: this Eigen expression has no direct memory access (it is a lazy "
        "expression such as a product, a sum or a cast): evaluate it first, e.g. "
        "`Eigen::MatrixXf logits = expr;` or `expr.eval()` stored in a named variable");
    static_assert(
        row_element<element>,
        "codelength::as_matrix_view: the Eigen scalar must be float or double (or codelength::bfloat16 / "
        "codelength::float16); convert with `.cast<float>()` into a named Matrix");
    if constexpr (direct_access && row_element<element>) {
        const Derived& matrix = logits.derived();
        const auto inner = static_cast<std::int64_t>(matrix.innerStride());
        const auto outer = static_cast<std::int64_t>(matrix.outerStride());
        // Row-major: a row is the inner dimension; column-major: a column is.
        const bool row_major = Derived::IsRowMajor;
        return matrix_view<element>{matrix.data(), static_cast<std::int64_t>(matrix.rows()),
                                    static_cast<std::int64_t>(matrix.cols()), row_major ? outer : inner,
                                    row_major ? inner : outer};
    } else {
        return matrix_view<float>{};
    }
}

// A temporary Matrix/Array would leave the view dangling: store it in a variable first.
template <class Derived>
void as_matrix_view(Eigen::PlainObjectBase<Derived>&& temporary) = delete;

// A logits_replay model over an Eigen matrix of logits (row t: the distribution of token t),
// without copying; the matrix must outlive the model.
template <class Derived>
[[nodiscard]] auto make_logits_replay(const Eigen::DenseBase<Derived>& logits) {
    return logits_replay(as_matrix_view(logits));
}

// A temporary Matrix/Array would leave the model dangling: store it in a variable first.
template <class Derived>
void make_logits_replay(Eigen::PlainObjectBase<Derived>&& temporary) = delete;

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
