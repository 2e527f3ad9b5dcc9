// The portable row kernel: one pass over a row in L1-sized chunks, double accumulation.
// It is also the reference the vectorized kernel is tested against.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/numerics/row_statistics.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

// Running sums of e_i = exp(z_i - m), e_i d_i and e_i d_i^2 with d_i = z_i - m for the current
// maximum m; raising m to m' multiplies every e_i by exp(m - m') and shifts d_i by m - m'.
struct softmax_moments {
    double max_logit = -std::numeric_limits<double>::infinity();
    double sum = 0.0;           // S  = sum e_i
    double sum_d = 0.0;         // T1 = sum e_i d_i
    double sum_d_squared = 0.0; // T2 = sum e_i d_i^2

    // Moves the reference point to new_max >= max_logit.
    void raise_max(double new_max) noexcept {
        if (new_max <= max_logit) {
            return;
        }
        if (sum > 0.0) {
            const double shift = max_logit - new_max; // < 0
            const double scale = std::exp(shift);
            sum_d_squared = (sum_d_squared + 2.0 * shift * sum_d + shift * shift * sum) * scale;
            sum_d = (sum_d + shift * sum) * scale;
            sum *= scale;
        }
        max_logit = new_max;
    }
    // Adds partial sums computed against the current max_logit.
    void add(double partial_sum, double partial_sum_d, double partial_sum_d_squared) noexcept {
        sum += partial_sum;
        sum_d += partial_sum_d;
        sum_d_squared += partial_sum_d_squared;
    }
};

[[noreturn]] inline void throw_bad_logit(std::int64_t row_index, std::int64_t column, double value) {
    refuse_row(row_index, row_refusal{row_refusal::reason::bad_logit, column, value});
}

// Checks the target against the vocabulary; false when the row is ignored (target < 0).
// (The callers of codelength::dispatch's kernels check before the call.)
inline bool check_target(std::int64_t target, [[maybe_unused]] std::int64_t vocabulary_size,
                         [[maybe_unused]] std::int64_t row_index) {
#if !defined(CODELENGTH_KERNEL_UNIT)
    if (target >= vocabulary_size) {
        throw target_out_of_range_error(row_index, target, vocabulary_size);
    }
#endif
    return target >= 0;
}

// Turns the moments and the target's logit into the row's statistics.
inline row_statistics finish_row_statistics(const softmax_moments& moments, std::int64_t target,
                                            double target_logit, std::int64_t rank, std::int64_t row_index) {
    if (moments.max_logit == -std::numeric_limits<double>::infinity()) {
        refuse_row(row_index, row_refusal{row_refusal::reason::all_minus_infinity});
    }
    row_statistics result;
    result.target = target;
    result.max_logit = moments.max_logit;
    const double log_sum = std::log(moments.sum); // S >= 1: the maximum contributes exp(0)
    result.log_sum_exp_nats = moments.max_logit + log_sum;
    const double mean_d = moments.sum_d / moments.sum;
    // ln p_i = d_i - ln S, so H = ln S - E[d] and Var[ln p] = Var[d].
    result.entropy_nats = log_sum - mean_d;
    result.log_probability_variance_nats2 =
        std::max(0.0, moments.sum_d_squared / moments.sum - mean_d * mean_d);
    // z_t - m is exact in double for float/16-bit inputs; -inf - m stays -inf (p_t = 0).
    result.target_log_probability_nats =
        target >= 0 ? (target_logit - moments.max_logit) - log_sum : std::numeric_limits<double>::quiet_NaN();
    result.target_rank = target >= 0 ? rank : -1;
    return result;
}

// Scalar kernel over any element type; chunking keeps the max pass and the exp pass in L1.
template <class Element>
row_statistics row_statistics_scalar(strided_row<Element> row, std::int64_t target, std::int64_t row_index) {
    constexpr std::int64_t chunk = 1024;
    const bool scored = check_target(target, row.size, row_index);
    const double target_logit = scored ? static_cast<double>(widen(row[target])) : 0.0;
    softmax_moments moments;
    std::int64_t rank = 0;
    for (std::int64_t begin = 0; begin < row.size; begin += chunk) {
        const std::int64_t end = std::min(row.size, begin + chunk);
        double chunk_max = -std::numeric_limits<double>::infinity();
        for (std::int64_t i = begin; i < end; ++i) {
            const double z = static_cast<double>(widen(row[i]));
            if (!(z < std::numeric_limits<double>::infinity())) {
                throw_bad_logit(row_index, i, z);
            }
            chunk_max = std::max(chunk_max, z);
            if (scored) {
                rank += (z > target_logit || (z == target_logit && i < target)) ? 1 : 0;
            }
        }
        moments.raise_max(chunk_max);
        if (chunk_max == -std::numeric_limits<double>::infinity()) {
            continue; // the chunk adds exp(-inf) = 0 everywhere
        }
        double sum = 0.0;
        double sum_d = 0.0;
        double sum_d_squared = 0.0;
        for (std::int64_t i = begin; i < end; ++i) {
            const double d = static_cast<double>(widen(row[i])) - moments.max_logit;
            if (d < -746.0) {
                continue; // exp underflows to 0 (and -inf * 0 would be NaN)
            }
            const double e = std::exp(d);
            sum += e;
            sum_d += e * d;
            sum_d_squared += e * d * d;
        }
        moments.add(sum, sum_d, sum_d_squared);
    }
    return finish_row_statistics(moments, scored ? target : -1, target_logit, rank, row_index);
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail
