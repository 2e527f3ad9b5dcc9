// Inputs shared by the subcommands: logits (T, V) or (B, T, V) paired with targets (T) or
// (B, T), the dispatch from a logits file's dtype to a typed matrix view, and the names of
// positions in messages ("row t" for (T, V), "batch b, position t" for (B, T, V)).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/io/io.hpp"

namespace codelength::cli {

// Shapes must be logits (T, V) or (B, T, V); throws invalid_argument_error naming the file.
inline void check_logits_shape(const npy_array& logits) {
    const auto& shape = logits.shape();
    if (shape.size() < 2 || shape.size() > 3) {
        throw invalid_argument_error(logits.path().string() +
                                     ": logits must have shape (T, V) or (B, T, V), not " +
                                     npy_shape_string(shape));
    }
    if (shape.back() < 1) {
        throw invalid_argument_error(logits.path().string() + ": the vocabulary dimension is 0");
    }
}

// The shape of the targets that go with the logits: the logits' shape without V.
inline std::vector<std::int64_t> targets_shape_for(const npy_array& logits) {
    const auto& shape = logits.shape();
    return {shape.begin(), shape.end() - 1};
}

// Where C-order element `index` of targets-shaped data (T) or (B, T) is, for messages:
// "<one_d_word> index" for (T), "batch b, position t" for (B, T) (index = b * T + t).
inline std::string position_name(std::span<const std::int64_t> targets_shape, std::int64_t index,
                                 std::string_view one_d_word = "row") {
    if (targets_shape.size() == 2) {
        const std::int64_t positions = std::max<std::int64_t>(targets_shape[1], 1);
        return "batch " + std::to_string(index / positions) + ", position " +
               std::to_string(index % positions);
    }
    return std::string(one_d_word) + " " + std::to_string(index);
}

// Shapes must pair up: logits (T, V) with targets (T), or (B, T, V) with (B, T).
inline void check_logits_targets_shapes(const npy_array& logits, const npy_array& targets) {
    check_logits_shape(logits);
    const auto& shape = targets.shape();
    if (shape != targets_shape_for(logits)) {
        throw invalid_argument_error(
            logits.path().string() + " has shape " + npy_shape_string(logits.shape()) + " and " +
            targets.path().string() + " has shape " + npy_shape_string(shape) +
            ": expected targets of shape " + npy_shape_string(targets_shape_for(logits)));
    }
}

// Every target must be < V, and >= 0 unless negative targets are ignored rows; throws
// invalid_argument_error naming the targets file and the position. `ids` is targets.to_int64().
inline void check_targets_in_vocabulary(const npy_array& logits, const npy_array& targets,
                                        std::span<const std::int64_t> ids, bool negative_is_ignored) {
    const std::int64_t vocabulary_size = logits.shape().back();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::int64_t id = ids[i];
        if (id < vocabulary_size && (id >= 0 || negative_is_ignored)) {
            continue;
        }
        const std::string where = targets.path().string() + ": " +
                                  position_name(targets.shape(), static_cast<std::int64_t>(i)) + ": target " +
                                  std::to_string(id);
        if (id < 0) {
            throw invalid_argument_error(where +
                                         " is negative; ignored targets (ignore_index) cannot be coded");
        }
        throw invalid_argument_error(where + " is outside the vocabulary [0, " +
                                     std::to_string(vocabulary_size) + ") of " + logits.path().string());
    }
}

// Whether 16-bit words hold bfloat16 logits: u2, or i2 as torch's `t.view(torch.int16)` gives.
inline bool has_bfloat16_words(const npy_array& logits) {
    return logits.dtype() == npy_dtype::uint16 || logits.dtype() == npy_dtype::int16;
}

// Whether the logits hold 16-bit floats (f2, or bfloat16 words).
inline bool has_sixteen_bit_logits(const npy_array& logits) {
    return logits.dtype() == npy_dtype::float16 || has_bfloat16_words(logits);
}

// The element type of the logits as the reports name it: "float32", "float64", "float16" or
// "bfloat16" (u2 and i2 logits are bfloat16 words).
inline std::string_view logits_dtype_name(const npy_array& logits) {
    return has_bfloat16_words(logits) ? std::string_view("bfloat16") : npy_dtype_name(logits.dtype());
}

namespace detail {

// "row 5: NaN at column 3" -> "NaN at column 3": the reason of a row error without its row.
inline std::string_view row_error_reason(std::string_view what, std::int64_t row) {
    const std::string prefix = "row " + std::to_string(row) + ": ";
    if (what.starts_with(prefix)) {
        what.remove_prefix(prefix.size());
    }
    return what;
}

template <class Element, class Visitor>
decltype(auto) visit_logits_as(const npy_array& logits, Visitor&& visit) {
    // A Fortran-order (B, T, V) array has no (B*T, V) view: it is copied into C order once.
    if (logits.fortran_order() && logits.ndim() > 2) {
        const npy_array c_order = logits.to_c_order();
        return std::forward<Visitor>(visit)(c_order.matrix<Element>());
    }
    return std::forward<Visitor>(visit)(logits.matrix<Element>());
}

} // namespace detail

// Calls visit(matrix_view<E>) with the logits viewed as rows x V for E = float (f4), double
// (f8), float16 (f2) or bfloat16 (u2 or i2 words), in either order; throws format_error for any
// other dtype. Row errors from visit (NaN, all -inf, target out of range) are rethrown as
// invalid_argument_error naming the logits file and the row, or the batch and position.
template <class Visitor>
decltype(auto) visit_logits_matrix(const npy_array& logits, Visitor&& visit) {
    const auto where = [&](std::int64_t row) {
        return logits.path().string() + ": " + position_name(targets_shape_for(logits), row) + ": ";
    };
    try {
        switch (logits.dtype()) {
        case npy_dtype::float32:
            return detail::visit_logits_as<float>(logits, std::forward<Visitor>(visit));
        case npy_dtype::float64:
            return detail::visit_logits_as<double>(logits, std::forward<Visitor>(visit));
        case npy_dtype::float16:
            return detail::visit_logits_as<float16>(logits, std::forward<Visitor>(visit));
        case npy_dtype::uint16:
        case npy_dtype::int16:
            return detail::visit_logits_as<bfloat16>(logits, std::forward<Visitor>(visit));
        default:
            throw format_error(logits.path().string() + ": logits dtype " +
                               std::string(npy_dtype_name(logits.dtype())) +
                               " is not supported (f4, f8, f2, or u2/i2 holding bfloat16 words)");
        }
    } catch (const invalid_row_error& e) {
        throw invalid_argument_error(where(e.row()) +
                                     std::string(detail::row_error_reason(e.what(), e.row())));
    } catch (const target_out_of_range_error& e) {
        throw invalid_argument_error(where(e.row()) +
                                     std::string(detail::row_error_reason(e.what(), e.row())));
    }
}

} // namespace codelength::cli
