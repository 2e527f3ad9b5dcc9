// Membership-inference scores from token log-probabilities: Min-K% prob and Min-K%++.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/metrics/code_length_ledger.hpp"
#include "codelength/numerics/compensated_sum.hpp"
#include "codelength/numerics/row_statistics.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// How many of n values "the lowest k%" keeps: max(1, floor(n * (k_percent / 100))), computed
// in double. This is the reference code's `int(len(x) * ratio)` (Shi et al. 2023,
// detect-pretrain-code; Zhang et al. 2024, mink-plus-plus) with ratio = k_percent / 100, plus
// a floor of 1 token (the reference returns the mean of an empty list, NaN).
// Double rounding is kept on purpose: n = 100, k = 29 gives 28 because 100 * 0.29 = 28.999...
// Throws invalid_argument_error unless 0 < k_percent <= 100 and n >= 1.
[[nodiscard]] inline std::size_t min_k_count(std::size_t n, double k_percent) {
    if (!(k_percent > 0.0 && k_percent <= 100.0)) {
        throw invalid_argument_error("min_k: k_percent must be in (0, 100], got " +
                                     std::to_string(k_percent));
    }
    if (n == 0) {
        throw invalid_argument_error("min_k: no tokens to score");
    }
    const double ratio = k_percent / 100.0;
    const auto count = static_cast<std::size_t>(std::floor(static_cast<double>(n) * ratio));
    return std::clamp<std::size_t>(count, 1, n);
}

namespace detail {

// Mean of the min_k_count(n, k_percent) smallest values; -inf if one of them is -inf.
// Throws invalid_argument_error for NaN or +inf values, naming the index.
[[nodiscard]] inline double lowest_k_percent_mean(std::span<const double> values, double k_percent,
                                                  const char* what) {
    const std::size_t count = min_k_count(values.size(), k_percent);
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (std::isnan(values[i]) || values[i] == std::numeric_limits<double>::infinity()) {
            throw invalid_argument_error(std::string(what) + ": value " + std::to_string(i) + " is " +
                                         std::to_string(values[i]));
        }
    }
    std::vector<double> lowest(values.begin(), values.end());
    const auto middle = lowest.begin() + static_cast<std::ptrdiff_t>(count);
    std::nth_element(lowest.begin(), middle - 1, lowest.end());
    std::sort(lowest.begin(), middle); // a fixed summation order: ascending
    if (lowest.front() == -std::numeric_limits<double>::infinity()) {
        return -std::numeric_limits<double>::infinity(); // a token with p = 0 is among the lowest
    }
    compensated_sum sum;
    for (auto it = lowest.begin(); it != middle; ++it) {
        sum.add(*it);
    }
    return sum.value() / static_cast<double>(count);
}

} // namespace detail

// Min-K% prob (Shi et al. 2023, "Detecting Pretraining Data from Large Language Models"):
// the mean of the lowest k% token log-probabilities ln p(x_t | x_<t), in nats, over
// min_k_count(n, k_percent) tokens (at least one). Higher means "more likely seen in training".
// The reference code reports its negation as a score in some versions; this returns the mean.
// A token with p = 0 (ln p = -inf) is always among the lowest, so the result is then -inf.
// Throws invalid_argument_error for empty input, k outside (0, 100], NaN or +inf.
//   codelength::min_k_percent(std::vector<double>{-1, -5, -3, -2}, 50) == -4 // mean(-5, -3)
[[nodiscard]] inline double min_k_percent(std::span<const double> token_log_probabilities_nats,
                                          double k_percent) {
    return detail::lowest_k_percent_mean(token_log_probabilities_nats, k_percent, "min_k_percent");
}

// The Min-K%++ score of one token (Zhang et al. 2024, "Min-K%++: Improved Baseline for
// Detecting Pre-Training Data from Large Language Models"): z_t = (ln p(x_t) - mu_t) / sigma_t
// with mu_t = E_p[ln p] = -H_t and sigma_t^2 = Var_p[ln p] over the model's own next-token
// distribution p (row_statistics holds both). sigma_t = 0 means p is uniform over its support,
// where every possible token has ln p = mu_t: z_t = 0 then (the reference divides 0 by 0),
// and z_t = -inf for a token outside the support (p = 0), as for any p = 0 token.
// Throws invalid_argument_error for a row that was not scored (target < 0).
[[nodiscard]] inline double min_k_plus_plus_z_score(const row_statistics& stats) {
    if (!stats.is_scored()) {
        throw invalid_argument_error("min_k_plus_plus_z_score: the row was not scored (target < 0)");
    }
    const double log_probability = stats.target_log_probability_nats;
    if (log_probability == -std::numeric_limits<double>::infinity()) {
        return -std::numeric_limits<double>::infinity();
    }
    const double sigma = std::sqrt(stats.log_probability_variance_nats2);
    if (!(sigma > 0.0)) {
        return 0.0;
    }
    return (log_probability - stats.log_probability_mean_nats()) / sigma;
}

// Min-K%++ (Zhang et al. 2024): the mean of the lowest k% per-token z-scores (see
// min_k_plus_plus_z_score), counted as in min_k_count. -inf if a p = 0 token is included.
// Throws invalid_argument_error for empty input, k outside (0, 100], NaN or +inf.
[[nodiscard]] inline double min_k_plus_plus(std::span<const double> token_z_scores, double k_percent) {
    return detail::lowest_k_percent_mean(token_z_scores, k_percent, "min_k_plus_plus");
}

// Min-K%++ straight from the row kernel's output; rows with target < 0 are skipped.
[[nodiscard]] inline double min_k_plus_plus(std::span<const row_statistics> rows, double k_percent) {
    std::vector<double> z_scores;
    z_scores.reserve(rows.size());
    for (const auto& stats : rows) {
        if (stats.is_scored()) {
            z_scores.push_back(min_k_plus_plus_z_score(stats));
        }
    }
    return min_k_plus_plus(std::span<const double>(z_scores), k_percent);
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
