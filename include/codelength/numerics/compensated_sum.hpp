// Neumaier's compensated summation, for long totals of code lengths.
#pragma once

#include "codelength/core/config.hpp"
#include <cmath>

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

namespace detail {

// Neumaier's compensated sum: the running error of each addition is kept in `compensation`,
// so the result is within about 2 ulp of the exact sum of the inputs for any count and order
// (plain summation drifts by O(n) ulp). Inputs must be finite.
struct compensated_sum {
    double sum = 0.0;
    double compensation = 0.0;

    void add(double value) noexcept {
        const double t = sum + value;
        // The rounding error of sum + value is exact when computed from the larger operand.
        compensation += std::abs(sum) >= std::abs(value) ? (sum - t) + value : (value - t) + sum;
        sum = t;
    }
    void add(const compensated_sum& other) noexcept {
        add(other.sum);
        add(other.compensation);
    }
    [[nodiscard]] double value() const noexcept { return sum + compensation; }
};

} // namespace detail

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
