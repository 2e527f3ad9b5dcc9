// LibTorch tensor views: a CPU tensor of logits (float32, float64, float16 or bfloat16; 2-D
// (rows, V) or 3-D (B, T, V), any strides) as a codelength::matrix_view read in place.
// Optional: include it (or adapters/torch.hpp) and link LibTorch (CMake: codelength::torch);
// codelength/codelength.hpp does not include it.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include <ATen/core/Tensor.h>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/core/model_concepts.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

namespace detail {

// The LibTorch dtype that holds Element.
template <row_element Element>
[[nodiscard]] constexpr c10::ScalarType torch_dtype_of() noexcept {
    if constexpr (std::is_same_v<Element, float>) {
        return c10::ScalarType::Float;
    } else if constexpr (std::is_same_v<Element, double>) {
        return c10::ScalarType::Double;
    } else if constexpr (std::is_same_v<Element, float16>) {
        return c10::ScalarType::Half;
    } else {
        return c10::ScalarType::BFloat16;
    }
}

// "float32", "float64", "float16", "bfloat16", or LibTorch's own name for other dtypes.
[[nodiscard]] inline std::string torch_dtype_name(c10::ScalarType dtype) {
    switch (dtype) {
    case c10::ScalarType::Float:
        return "float32";
    case c10::ScalarType::Double:
        return "float64";
    case c10::ScalarType::Half:
        return "float16";
    case c10::ScalarType::BFloat16:
        return "bfloat16";
    default:
        return c10::toString(dtype);
    }
}

// "(2, 3, 5)" for a list of sizes or strides.
[[nodiscard]] inline std::string torch_int_list(c10::IntArrayRef values) {
    std::string text = "(";
    for (std::size_t i = 0; i < values.size(); ++i) {
        text += (i == 0 ? "" : ", ") + std::to_string(values[i]);
    }
    return text + ")";
}

// "shape (2, 3, 5), strides (15, 5, 1)": how errors name a tensor's layout.
[[nodiscard]] inline std::string torch_layout_string(const at::Tensor& tensor) {
    return "shape " + torch_int_list(tensor.sizes()) + ", strides " + torch_int_list(tensor.strides());
}

// Throws invalid_argument_error unless the tensor is a defined, strided CPU tensor of rank 2
// or 3 whose values need no lazy negation or conjugation.
inline void check_viewable_tensor(const at::Tensor& logits) {
    if (!logits.defined()) {
        throw invalid_argument_error(
            "as_matrix_view: the tensor is undefined (a default-constructed torch::Tensor)");
    }
    if (!logits.device().is_cpu()) {
        throw invalid_argument_error("as_matrix_view: the tensor is on device " + logits.device().str() +
                                     "; move it to the CPU first (tensor.cpu())");
    }
    if (logits.layout() != c10::Layout::Strided) {
        throw invalid_argument_error("as_matrix_view: the tensor is not dense (layout " +
                                     std::string(c10::toString(logits.layout())) +
                                     "); convert it with tensor.to_dense()");
    }
    if (logits.is_neg() || logits.is_conj()) {
        throw invalid_argument_error("as_matrix_view: the tensor is a lazy negated or conjugated view; "
                                     "materialize it with tensor.resolve_neg().resolve_conj()");
    }
    if (logits.dim() != 2 && logits.dim() != 3) {
        throw invalid_argument_error("as_matrix_view: the tensor has " + std::to_string(logits.dim()) +
                                     " dimensions (shape " + torch_int_list(logits.sizes()) +
                                     "); logits must be 2-D (rows, V) or 3-D (B, T, V)");
    }
}

// A size > 1 dimension with stride 0 (an expanded tensor) repeats memory; matrix_view needs
// non-zero strides. A size <= 1 dimension's stride is never used, so any non-zero value does.
inline std::int64_t checked_stride(const at::Tensor& logits, std::int64_t dimension) {
    const std::int64_t stride = logits.stride(dimension);
    if (stride != 0) {
        return stride;
    }
    if (logits.size(dimension) > 1) {
        throw invalid_argument_error("as_matrix_view: dimension " + std::to_string(dimension) +
                                     " has stride 0 (an expanded tensor; " + torch_layout_string(logits) +
                                     "); materialize it with tensor.contiguous()");
    }
    return 1;
}

} // namespace detail

// A zero-copy view of a CPU tensor of logits whose dtype holds Element (float: float32,
// double: float64, codelength::float16: float16, codelength::bfloat16: bfloat16). A 2-D
// tensor (rows, V) is viewed with its own strides (transposed and sliced views included); a
// 3-D tensor (B, T, V) is viewed as B * T rows, row b * T + t being element (b, t), which
// needs stride(0) == T * stride(1) (true for contiguous tensors and for slices along V or
// along B; B = 1 or T = 1 always works). The view borrows the tensor's memory (view.data is
// tensor.data_ptr()): keep the tensor alive while the view is used.
// Throws invalid_argument_error naming the problem for an undefined, non-CPU or sparse tensor,
// a dtype other than Element's, a rank other than 2 or 3, a stride of 0 on a dimension of size
// > 1, and a 3-D tensor whose strides cannot be one row stride (naming its shape and strides;
// tensor.contiguous() fixes it).
//   torch::Tensor logits = model_output.index({0}); // (T, V) float32
//   auto view = codelength::as_matrix_view<float>(logits); // view.data == logits.data_ptr()
template <row_element Element>
[[nodiscard]] matrix_view<Element> as_matrix_view(const at::Tensor& logits) {
    detail::check_viewable_tensor(logits);
    constexpr c10::ScalarType expected = detail::torch_dtype_of<Element>();
    if (logits.scalar_type() != expected) {
        throw invalid_argument_error("as_matrix_view: the tensor's dtype is " +
                                     detail::torch_dtype_name(logits.scalar_type()) + ", the view needs " +
                                     detail::torch_dtype_name(expected) + " (convert with tensor.to(...))");
    }
    const auto* data = static_cast<const Element*>(logits.data_ptr());
    if (logits.dim() == 2) {
        return matrix_view<Element>{data, logits.size(0), logits.size(1), detail::checked_stride(logits, 0),
                                    detail::checked_stride(logits, 1)};
    }
    const std::int64_t batch = logits.size(0);
    const std::int64_t steps = logits.size(1);
    const std::int64_t column_stride = detail::checked_stride(logits, 2);
    std::int64_t row_stride = 1;
    if (batch == 0 || steps == 0) {
        return matrix_view<Element>{data, 0, logits.size(2), 1, column_stride}; // no rows to address
    }
    if (steps == 1) {
        row_stride = detail::checked_stride(logits, 0); // the rows are the batch entries
    } else if (batch <= 1 || logits.stride(0) == steps * logits.stride(1)) {
        row_stride = detail::checked_stride(logits, 1); // row b * T + t at (b * T + t) * stride(1)
    } else {
        throw invalid_argument_error(
            "as_matrix_view: a 3-D tensor (B, T, V) is viewed as B * T rows one stride apart, which needs "
            "stride(0) == T * stride(1); this tensor has " +
            detail::torch_layout_string(logits) +
            " (view one batch entry, tensor[b], or call tensor.contiguous())");
    }
    return matrix_view<Element>{data, batch * steps, logits.size(2), row_stride, column_stride};
}

// Calls visitor(as_matrix_view<E>(logits)) with E the element type of the tensor's dtype
// (float32, float64, float16, bfloat16) and returns its result; throws invalid_argument_error
// for any other dtype and as as_matrix_view does.
//   auto scores = codelength::visit_matrix_view(logits, [&](auto view) {
//       return codelength::score_logits(view, targets);
//   });
template <class Visitor>
decltype(auto) visit_matrix_view(const at::Tensor& logits, Visitor&& visitor) {
    detail::check_viewable_tensor(logits);
    switch (logits.scalar_type()) {
    case c10::ScalarType::Float:
        return std::forward<Visitor>(visitor)(as_matrix_view<float>(logits));
    case c10::ScalarType::Double:
        return std::forward<Visitor>(visitor)(as_matrix_view<double>(logits));
    case c10::ScalarType::Half:
        return std::forward<Visitor>(visitor)(as_matrix_view<float16>(logits));
    case c10::ScalarType::BFloat16:
        return std::forward<Visitor>(visitor)(as_matrix_view<bfloat16>(logits));
    default:
        throw invalid_argument_error("visit_matrix_view: the tensor's dtype is " +
                                     detail::torch_dtype_name(logits.scalar_type()) +
                                     "; logits must be float32, float64, float16 or bfloat16");
    }
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
