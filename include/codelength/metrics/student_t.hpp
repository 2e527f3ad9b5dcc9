// Student's t distribution (upper tail and CDF, through the regularized incomplete beta function)
// and Welch's unequal-variance t-test, for the dataset-level membership tests of membership.hpp.
//   auto r = codelength::welch_t_test(suspect_scores, nonmember_scores);
//   double p = r.p_value_greater; // H1: mean(suspect) > mean(nonmember)
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <string>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/numerics/compensated_sum.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

namespace detail {

// ln(Gamma(a + 1/2) / Gamma(a)) for a > 0, to ~1e-15 absolute for every a (std::lgamma's
// difference loses |lgamma(a)| * eps, 1e-8 at a = 5e6). For a >= 16 Stirling's series cancels
// analytically: with c(z) = ln Gamma(z) - (z - 1/2) ln z + z - ln(2 pi)/2
//   = 1/(12 z) - 1/(360 z^3) + 1/(1260 z^5) - 1/(1680 z^7) + 1/(1188 z^9) - ... (next < 1e-16),
// ln(Gamma(a + 1/2) / Gamma(a)) = a ln(1 + 1/(2a)) - 1/2 + ln(a)/2 + c(a + 1/2) - c(a).
[[nodiscard]] inline double log_gamma_half_ratio(double a) {
    if (a < 16.0) {
        return std::lgamma(a + 0.5) - std::lgamma(a);
    }
    const auto stirling_tail = [](double z) {
        const double w = 1.0 / (z * z);
        return (1.0 / 12.0 - w * (1.0 / 360.0 - w * (1.0 / 1260.0 - w * (1.0 / 1680.0 - w / 1188.0)))) / z;
    };
    return (a * std::log1p(0.5 / a) - 0.5) + 0.5 * std::log(a) + (stirling_tail(a + 0.5) - stirling_tail(a));
}

// The continued fraction of the regularized incomplete beta function,
// I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * fraction, evaluated by the modified Lentz method
// (Numerical Recipes 6.4; Lentz 1976) in long double. It converges fast for
// x < (a + 1)/(a + b + 2) (tens of terms for the t tails here), but its value is sensitive to x:
// an error e in x costs about a * e, so x and every step are carried in long double (64-bit
// significand on x86-64, 113 on AArch64 Linux; where long double is double, as with MSVC, the
// relative error grows to ~a * 1e-16). y = 1 - x is passed exactly.
[[nodiscard]] inline long double incomplete_beta_fraction(long double a, long double b, long double x) {
    constexpr long double tiny = 1e-300L;
    constexpr long double tolerance = 1e-18L;
    constexpr int max_terms = 100'000;
    const auto guard = [](long double v) { return std::abs(v) < tiny ? tiny : v; };
    long double c = 1.0L;
    long double d = 1.0L / guard(1.0L - (a + b) * x / (a + 1.0L));
    long double fraction = d;
    for (int m = 1; m <= max_terms; ++m) {
        const auto md = static_cast<long double>(m);
        // Even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)).
        const long double even = md * (b - md) * x / ((a + 2.0L * md - 1.0L) * (a + 2.0L * md));
        d = 1.0L / guard(1.0L + even * d);
        c = guard(1.0L + even / c);
        fraction *= d * c;
        // Odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
        const long double odd = -(a + md) * (a + b + md) * x / ((a + 2.0L * md) * (a + 2.0L * md + 1.0L));
        d = 1.0L / guard(1.0L + odd * d);
        c = guard(1.0L + odd / c);
        const long double step = d * c;
        fraction *= step;
        if (std::abs(step - 1.0L) <= tolerance) {
            break;
        }
    }
    return fraction;
}

} // namespace detail

// P(T > t) for T ~ Student's t with `degrees_of_freedom` nu (> 0; +inf gives the standard
// normal): the upper tail, to ~1e-12 relative even deep in the tail (no 1 - cdf cancellation).
// For nu <= 1e7: with x = nu / (nu + t^2), P(T > |t|) = I_x(nu/2, 1/2) / 2, the regularized
// incomplete beta function by its continued fraction (detail::incomplete_beta_fraction, using
// I_x(a, b) = 1 - I_{1-x}(b, a) on the slow side); the prefactor x^a (1-x)^b / B(a, b) is formed
// in logs with log1p and detail::log_gamma_half_ratio, so it stays exact for large nu. For
// nu > 1e7, Fisher's (1926) expansion in 1/nu around the normal tail Q(t) = erfc(t / sqrt 2) / 2:
//   P(T > t) = Q(t) + phi(t) [g1(t)/nu + g2(t)/nu^2 + g3(t)/nu^3] + O(t^15 phi(t) / nu^4),
//   g1 = (t^3 + t)/4, g2 = (3t^7 - 7t^5 - 5t^3 - 3t)/96,
//   g3 = (t^11 - 11t^9 + 14t^7 + 6t^5 - 3t^3 - 15t)/384,
// (coefficients checked against 80-digit quadrature), whose rest is below 1e-12 relative for
// |t| <= 10 (p >= 1e-23) there. t = +-inf gives 0 or 1. Throws invalid_argument_error for NaN t
// or degrees_of_freedom <= 0 / NaN.
//   codelength::student_t_sf(1.0, 1.0) == 0.25 // Cauchy: 1/2 - atan(1)/pi
[[nodiscard]] inline double student_t_sf(double t, double degrees_of_freedom) {
    if (std::isnan(t) || !(degrees_of_freedom > 0.0)) {
        throw invalid_argument_error("student_t: need a number t and degrees of freedom > 0, got t = " +
                                     std::to_string(t) + ", df = " + std::to_string(degrees_of_freedom));
    }
    if (std::isinf(t)) {
        return t > 0.0 ? 0.0 : 1.0;
    }
    const double nu = degrees_of_freedom;
    const double abs_t = std::abs(t);
    double tail = 0.5; // P(T > |t|)
    if (nu > 1e7) {
        const double t2 = t * t;
        const double phi = std::exp(-0.5 * t2) / std::sqrt(2.0 * std::numbers::pi);
        const double g1 = (t2 + 1.0) * abs_t / 4.0;
        const double g2 = (((3.0 * t2 - 7.0) * t2 - 5.0) * t2 - 3.0) * abs_t / 96.0;
        const double g3 = (((((t2 - 11.0) * t2 + 14.0) * t2 + 6.0) * t2 - 3.0) * t2 - 15.0) * abs_t / 384.0;
        const double w = 1.0 / nu; // 0 for nu = +inf: the normal tail
        tail = 0.5 * std::erfc(abs_t / std::numbers::sqrt2) + phi * (w * (g1 + w * (g2 + w * g3)));
    } else if (abs_t > 0.0) {
        const double a = 0.5 * nu;
        const double b = 0.5;
        const double u = (abs_t / std::sqrt(nu)) * (abs_t / std::sqrt(nu)); // t^2 / nu
        const double log_front = -a * std::log1p(u) - b * std::log1p(1.0 / u) -
                                 0.5 * std::log(std::numbers::pi) + detail::log_gamma_half_ratio(a);
        const double front = std::exp(log_front); // x^a (1 - x)^b / B(a, b)
        const long double u_long =
            static_cast<long double>(abs_t) * static_cast<long double>(abs_t) / static_cast<long double>(nu);
        const long double x = 1.0L / (1.0L + u_long);   // nu / (nu + t^2)
        const long double y = u_long / (1.0L + u_long); // 1 - x, exactly formed
        const auto a_long = static_cast<long double>(a);
        const auto b_long = static_cast<long double>(b);
        if (x < (a_long + 1.0L) / (a_long + b_long + 2.0L)) {
            tail = 0.5 * front * static_cast<double>(detail::incomplete_beta_fraction(a_long, b_long, x)) / a;
        } else {
            tail =
                0.5 *
                (1.0 - front * static_cast<double>(detail::incomplete_beta_fraction(b_long, a_long, y)) / b);
        }
    }
    return t >= 0.0 ? tail : 1.0 - tail;
}

// P(T <= t) for Student's t: student_t_sf(-t, degrees_of_freedom) (the distribution is
// symmetric), so the lower tail is as accurate as the upper one.
//   codelength::student_t_cdf(0.0, 5.0) == 0.5
[[nodiscard]] inline double student_t_cdf(double t, double degrees_of_freedom) {
    return student_t_sf(-t, degrees_of_freedom);
}

// Welch's unequal-variance t-test of two samples a and b, one-sided toward mean(a) > mean(b).
struct welch_t_test_result {
    std::int64_t count_a = 0;
    std::int64_t count_b = 0;
    double mean_difference = 0.0;    // mean(a) - mean(b)
    double standard_error = 0.0;     // sqrt(s_a^2 / n_a + s_b^2 / n_b), sample variances (n - 1)
    double t_statistic = 0.0;        // mean_difference / standard_error
    double degrees_of_freedom = 0.0; // Welch-Satterthwaite
    double p_value_greater = 0.5;    // P(T >= t) under H0: equal means; H1: mean(a) > mean(b)
};

// Welch's t-test (Welch 1947): t = (mean_a - mean_b) / sqrt(v_a/n_a + v_b/n_b) with sample
// variances v (divisor n - 1), Welch-Satterthwaite degrees of freedom
//   df = (v_a/n_a + v_b/n_b)^2 / ((v_a/n_a)^2/(n_a - 1) + (v_b/n_b)^2/(n_b - 1)),
// and the one-sided p-value P(T_df >= t) by student_t_sf; scipy.stats.ttest_ind(a, b,
// equal_var=False, alternative="greater") computes the same. Means and squared deviations are
// compensated sums (two passes). Zero standard error (both samples constant): the difference is
// known exactly, so t = +inf, -inf or 0 with p = 0, 1 or 1/2 (the limit of a t of that sign;
// scipy gives NaN), and df = n_a + n_b - 2. Throws invalid_argument_error when a sample has
// fewer than 2 values or a value is not finite (the message names the sample and index).
//   codelength::welch_t_test(std::vector<double>{3, 4, 5}, std::vector<double>{1, 2, 3}).t_statistic
//       == 2.449489742783178 // 2 / sqrt(2/3)
[[nodiscard]] inline welch_t_test_result welch_t_test(std::span<const double> a, std::span<const double> b) {
    const auto moments = [](std::span<const double> sample, const char* name, double& mean,
                            double& variance) {
        if (sample.size() < 2) {
            throw invalid_argument_error(std::string("welch_t_test: sample ") + name + " has " +
                                         detail::count_noun(sample.size(), "value", "values") +
                                         ", needs at least 2");
        }
        detail::compensated_sum sum;
        for (std::size_t i = 0; i < sample.size(); ++i) {
            if (!std::isfinite(sample[i])) {
                throw invalid_argument_error(std::string("welch_t_test: sample ") + name + " value " +
                                             std::to_string(i) + " is " + std::to_string(sample[i]));
            }
            sum.add(sample[i]);
        }
        const auto n = static_cast<double>(sample.size());
        mean = sum.value() / n;
        detail::compensated_sum squares;
        for (const double v : sample) {
            squares.add((v - mean) * (v - mean));
        }
        variance = squares.value() / (n - 1.0);
    };
    double mean_a = 0.0;
    double variance_a = 0.0;
    double mean_b = 0.0;
    double variance_b = 0.0;
    moments(a, "a", mean_a, variance_a);
    moments(b, "b", mean_b, variance_b);
    const auto n_a = static_cast<double>(a.size());
    const auto n_b = static_cast<double>(b.size());
    welch_t_test_result r;
    r.count_a = static_cast<std::int64_t>(a.size());
    r.count_b = static_cast<std::int64_t>(b.size());
    r.mean_difference = mean_a - mean_b;
    const double share_a = variance_a / n_a;
    const double share_b = variance_b / n_b;
    const double squared_error = share_a + share_b;
    r.standard_error = std::sqrt(squared_error);
    if (squared_error == 0.0) {
        const double infinity = std::numeric_limits<double>::infinity();
        r.degrees_of_freedom = n_a + n_b - 2.0;
        r.t_statistic = r.mean_difference > 0.0 ? infinity : (r.mean_difference < 0.0 ? -infinity : 0.0);
        r.p_value_greater = r.mean_difference > 0.0 ? 0.0 : (r.mean_difference < 0.0 ? 1.0 : 0.5);
        return r;
    }
    const double weight_a = share_a / squared_error; // scaled first: no underflow of share^2
    const double weight_b = share_b / squared_error;
    r.degrees_of_freedom = 1.0 / (weight_a * weight_a / (n_a - 1.0) + weight_b * weight_b / (n_b - 1.0));
    r.t_statistic = r.mean_difference / r.standard_error;
    r.p_value_greater = student_t_sf(r.t_statistic, r.degrees_of_freedom);
    return r;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
