// Inputs shared by the subcommands: logits (T, V) or (B, T, V) paired with targets (T) or
// (B, T), and the dispatch from a logits file's dtype to a typed matrix view.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
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

// Whether the logits hold 16-bit floats (f2, or u2 read as bfloat16 words).
inline bool has_sixteen_bit_logits(const npy_array& logits) {
    return logits.dtype() == npy_dtype::float16 || logits.dtype() == npy_dtype::uint16;
}

// Calls visit(matrix_view<E>) with the logits viewed as rows x V for E = float (f4), double
// (f8), float16 (f2) or bfloat16 (u2); throws format_error for any other dtype.
template <class Visitor>
decltype(auto) visit_logits_matrix(const npy_array& logits, Visitor&& visit) {
    switch (logits.dtype()) {
    case npy_dtype::float32:
        return std::forward<Visitor>(visit)(logits.matrix<float>());
    case npy_dtype::float64:
        return std::forward<Visitor>(visit)(logits.matrix<double>());
    case npy_dtype::float16:
        return std::forward<Visitor>(visit)(logits.matrix<float16>());
    case npy_dtype::uint16:
        return std::forward<Visitor>(visit)(logits.matrix<bfloat16>());
    default:
        throw format_error(logits.path().string() + ": logits dtype " +
                           std::string(npy_dtype_name(logits.dtype())) +
                           " is not supported (f4, f8, f2, or u2 for bfloat16 words)");
    }
}

} // namespace codelength::cli
