// Scoring: a sequential model or a matrix of precomputed logits against target tokens,
// into a code_length_ledger and (on request) per-token surprisals and Min-K%/Min-K%++ inputs.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/metrics/code_length_ledger.hpp"
#include "codelength/metrics/min_k.hpp"
#include "codelength/numerics/row_kernel.hpp"
#include "codelength/numerics/row_statistics.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// How score_logits / score_sequence run and what they keep.
struct score_options {
    unsigned threads = 1; // score_logits: row-kernel threads (0 = all cores); score_sequence is sequential
    bool keep_per_token = false;    // also fill score_result's per-token vectors (O(T) memory)
    std::int64_t block_rows = 4096; // score_logits: rows evaluated per block; memory is O(block_rows)
    kernel_choice kernel = kernel_choice::automatic;
    // score_logits: when set, the rows are log-probabilities, and a scored row whose
    // |logsumexp| exceeds this many nats (it does not sum to 1) raises invalid_row_error.
    std::optional<double> log_probability_tolerance_nats = std::nullopt;
};

// The ledger of a scored sequence and, with keep_per_token, one entry per scored token
// (rows with target < 0 are skipped) in row order in each vector:
//   auto r = codelength::score_logits(view, targets, {.keep_per_token = true});
//   double min_k = codelength::min_k_percent(r, 20.0);    // from log_probabilities_nats
//   double min_kpp = codelength::min_k_plus_plus(r, 20.0); // from z_scores
struct score_result {
    code_length_ledger ledger;
    std::vector<std::int64_t> rows;             // the row (position) each entry belongs to
    std::vector<double> surprisal_bits;         // -log2 p(x_t | x_<t); +inf when p = 0
    std::vector<double> log_probabilities_nats; // ln p(x_t | x_<t): Min-K% input
    std::vector<double> z_scores;               // min_k_plus_plus_z_score: Min-K%++ input
    std::vector<double> entropies_bits;         // H of the predicted distribution, bits
    bool has_per_token = false;                 // whether the vectors above were filled
};

namespace detail {

// Turns on keep_per_token storage for about expected_tokens entries.
inline void start_per_token(score_result& result, std::size_t expected_tokens) {
    result.has_per_token = true;
    result.rows.reserve(expected_tokens);
    result.surprisal_bits.reserve(expected_tokens);
    result.log_probabilities_nats.reserve(expected_tokens);
    result.z_scores.reserve(expected_tokens);
    result.entropies_bits.reserve(expected_tokens);
}

// Appends one scored token's per-token values.
inline void keep_per_token(score_result& result, std::int64_t row, const row_statistics& stats) {
    result.rows.push_back(row);
    result.surprisal_bits.push_back(stats.target_surprisal_bits());
    result.log_probabilities_nats.push_back(stats.target_log_probability_nats);
    result.z_scores.push_back(min_k_plus_plus_z_score(stats));
    result.entropies_bits.push_back(stats.entropy_nats * bits_per_nat);
}

} // namespace detail

// Scores row r of `logits` (the distribution of targets[r]) against targets[r] for every r;
// targets[r] < 0 skips the row (PyTorch's ignore_index). The caller aligns rows and targets:
// for a causal LM's logits over tokens x_0..x_{T-1}, pass logits[:-1] and x_1..x_{T-1}
// (x_0 has no prediction and is not scored). Rows are evaluated in blocks of
// options.block_rows with options.threads threads; the ledger is filled in row order, so the
// result does not depend on the thread count. Throws invalid_argument_error when the counts
// differ, and the row kernel's errors (invalid_row_error, target_out_of_range_error) naming
// the row.
template <class Element>
[[nodiscard]] score_result score_logits(matrix_view<Element> logits, std::span<const std::int64_t> targets,
                                        const score_options& options = {}) {
    if (static_cast<std::int64_t>(targets.size()) != logits.rows) {
        throw invalid_argument_error("score_logits: " + detail::count_noun(logits.rows, "row", "rows") +
                                     " of logits but " + std::to_string(targets.size()) + " targets");
    }
    if (options.block_rows < 1) {
        throw invalid_argument_error("score_logits: block_rows must be >= 1, got " +
                                     std::to_string(options.block_rows));
    }
    score_result result;
    if (options.keep_per_token) {
        detail::start_per_token(
            result, static_cast<std::size_t>(std::count_if(targets.begin(), targets.end(),
                                                           [](std::int64_t t) { return t >= 0; })));
    }
    const std::int64_t block_rows = std::min(options.block_rows, logits.rows);
    std::vector<row_statistics> block(static_cast<std::size_t>(block_rows));
    for (std::int64_t begin = 0; begin < logits.rows; begin += block_rows) {
        const std::int64_t count = std::min(block_rows, logits.rows - begin);
        matrix_view<Element> part = logits;
        part.data = logits.data + begin * logits.row_stride;
        part.rows = count;
        const std::span<row_statistics> out(block.data(), static_cast<std::size_t>(count));
        evaluate_rows(part, targets.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(count)),
                      out, row_evaluation_options{options.threads, options.kernel}, begin);
        for (std::int64_t i = 0; i < count; ++i) {
            const row_statistics& stats = out[static_cast<std::size_t>(i)];
            if (options.log_probability_tolerance_nats && stats.is_scored() &&
                !(std::abs(stats.log_sum_exp_nats) <= *options.log_probability_tolerance_nats)) {
                throw invalid_row_error(begin + i, "log-probabilities sum to exp(" +
                                                       std::to_string(stats.log_sum_exp_nats) +
                                                       "), not 1 (are these logits?)");
            }
            result.ledger.add(stats);
            if (options.keep_per_token && stats.is_scored()) {
                detail::keep_per_token(result, begin + i, stats);
            }
        }
    }
    return result;
}

// Scores tokens under an adaptive model: for each t, the model's row for the current context
// is scored against tokens[t], then model_update(model, tokens[t]) appends it. Every token is
// scored (the model's first row is its prediction with an empty context, or whatever context
// it was built with). Throws invalid_argument_error for a negative token or a row whose length
// differs from vocabulary_size(), the row kernel's errors, and whatever the model throws.
//   codelength::code_length_ledger ledger = codelength::score_sequence(model, std::span<const
//   std::int64_t>(tokens));
template <class Model>
[[nodiscard]] score_result score_sequence(Model&& model, std::span<const std::int64_t> tokens,
                                          const score_options& options) {
    using model_type = std::remove_reference_t<Model>;
    if constexpr (!sequential_categorical_model<model_type>) {
        static_assert(check_sequential_categorical_model<model_type>());
        return {};
    } else {
        score_result result;
        if (options.keep_per_token) {
            detail::start_per_token(result, tokens.size());
        }
        model_type& m = model;
        for (std::size_t t = 0; t < tokens.size(); ++t) {
            const auto position = static_cast<std::int64_t>(t);
            const std::int64_t token = tokens[t];
            if (token < 0) {
                throw invalid_argument_error("score_sequence: token " + std::to_string(position) +
                                             " is negative (" + std::to_string(token) + ")");
            }
            const auto row = model_next_row(m);
            const std::int64_t vocabulary_size = model_vocabulary_size(m);
            if (row.size != vocabulary_size) {
                throw invalid_argument_error("score_sequence: at token " + std::to_string(position) +
                                             " the model's row has " + std::to_string(row.size) +
                                             " entries but vocabulary_size() is " +
                                             std::to_string(vocabulary_size));
            }
            const row_statistics stats = compute_row_statistics(row, token, position, options.kernel);
            result.ledger.add(stats);
            if (options.keep_per_token) {
                detail::keep_per_token(result, position, stats);
            }
            model_update(m, token);
        }
        return result;
    }
}

// The ledger only (no per-token data); see the three-argument overload.
template <class Model>
[[nodiscard]] code_length_ledger score_sequence(Model&& model, std::span<const std::int64_t> tokens) {
    return score_sequence(std::forward<Model>(model), tokens, score_options{}).ledger;
}

namespace detail {
inline void require_per_token(const score_result& result, const char* what) {
    if (!result.has_per_token) {
        throw invalid_argument_error(std::string(what) +
                                     ": the score_result has no per-token data; score with "
                                     "score_options{.keep_per_token = true}");
    }
}
} // namespace detail

// Min-K% prob of a scored sequence (see min_k_percent on spans). Throws invalid_argument_error
// when the result was scored without keep_per_token.
[[nodiscard]] inline double min_k_percent(const score_result& result, double k_percent) {
    detail::require_per_token(result, "min_k_percent");
    return min_k_percent(std::span<const double>(result.log_probabilities_nats), k_percent);
}

// Min-K%++ of a scored sequence (see min_k_plus_plus on spans). Throws invalid_argument_error
// when the result was scored without keep_per_token.
[[nodiscard]] inline double min_k_plus_plus(const score_result& result, double k_percent) {
    detail::require_per_token(result, "min_k_plus_plus");
    return min_k_plus_plus(std::span<const double>(result.z_scores), k_percent);
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
