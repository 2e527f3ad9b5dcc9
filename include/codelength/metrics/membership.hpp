// From per-document scores to dataset-level membership verdicts: AUROC and TPR at low FPR with
// stratified bootstrap intervals, conformal (calibrated) thresholds and p-values, and dataset
// inference (per-score Welch t-tests and a combined test), as defined in METRICS.md.
//   auto e = evaluate_membership(member_bpb, nonmember_bpb, score_direction::lower_is_member);
//   double auc = e.auroc; auto tpr = e.tpr_at_fpr[1].point.true_positive_rate; // at FPR 1%, or empty
//
// Every function takes a score_direction and orients the scores so that larger is more
// member-like (oriented = score for higher_is_member, -score for lower_is_member: bits/byte,
// zlib ratio and reference ratios are lower-is-member, Min-K% and Min-K%++ higher-is-member).
// Thresholds are returned in the score's own units: a document is called a member when its score
// is >= threshold (higher_is_member) or <= threshold (lower_is_member).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/metrics/memorization_summary.hpp"
#include "codelength/metrics/student_t.hpp"
#include "codelength/numerics/compensated_sum.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Which way a score points: bits_per_byte is lower_is_member, min_k_percent higher_is_member.
enum class score_direction { higher_is_member, lower_is_member };

namespace detail {

// The score oriented so that larger is more member-like (negation is exact).
[[nodiscard]] inline double oriented_score(double score, score_direction direction) noexcept {
    return direction == score_direction::higher_is_member ? score : -score;
}

// Oriented copy of a set of scores. Throws invalid_argument_error for an empty set, a NaN (or,
// with finite_only, an infinite) score, naming the function, the set and the index.
[[nodiscard]] inline std::vector<double> oriented_scores(std::span<const double> scores,
                                                         score_direction direction, const char* function,
                                                         const char* set, bool finite_only = false) {
    if (scores.empty()) {
        throw invalid_argument_error(std::string(function) + ": no " + set + " scores");
    }
    std::vector<double> out(scores.size());
    for (std::size_t i = 0; i < scores.size(); ++i) {
        if (std::isnan(scores[i]) || (finite_only && std::isinf(scores[i]))) {
            throw invalid_argument_error(std::string(function) + ": " + set + " score " + std::to_string(i) +
                                         " is " + std::to_string(scores[i]) +
                                         (finite_only ? " (scores must be finite)" : ""));
        }
        out[i] = oriented_score(scores[i], direction);
    }
    return out;
}

inline void check_target_fpr(double alpha, const char* function) {
    if (!(alpha > 0.0 && alpha < 1.0)) {
        throw invalid_argument_error(std::string(function) +
                                     ": the false-positive rate must be in (0, 1), got " +
                                     std::to_string(alpha));
    }
}

// Ascending oriented scores with a multiplicity per entry (all 1 for the observed sample, the
// number of draws of each document in a bootstrap resample); `total` is the sum of the weights.
struct weighted_sample {
    std::span<const double> values;
    std::span<const std::int64_t> weights;
    std::int64_t total = 0;
};

// AUROC = U / (n1 n0): U counts the (member, non-member) pairs with member > non-member, plus
// 1/2 per tie; one merge pass over the two ascending samples (U is kept doubled, in integers).
[[nodiscard]] inline double weighted_auroc(const weighted_sample& members,
                                           const weighted_sample& nonmembers) {
    std::uint64_t doubled_u = 0;
    std::uint64_t below = 0; // non-member weight strictly below the current member value
    std::size_t j = 0;
    for (std::size_t i = 0; i < members.values.size();) {
        const double v = members.values[i];
        std::uint64_t member_weight = 0;
        for (; i < members.values.size() && members.values[i] == v; ++i) {
            member_weight += static_cast<std::uint64_t>(members.weights[i]);
        }
        for (; j < nonmembers.values.size() && nonmembers.values[j] < v; ++j) {
            below += static_cast<std::uint64_t>(nonmembers.weights[j]);
        }
        std::uint64_t equal = 0;
        for (std::size_t k = j; k < nonmembers.values.size() && nonmembers.values[k] == v; ++k) {
            equal += static_cast<std::uint64_t>(nonmembers.weights[k]);
        }
        doubled_u += member_weight * (2 * below + equal);
    }
    return static_cast<double>(doubled_u) /
           (2.0 * static_cast<double>(members.total) * static_cast<double>(nonmembers.total));
}

// The largest number of false positives k in [0, n0] with k / n0 <= alpha, in double as FPR is.
[[nodiscard]] inline std::int64_t allowed_false_positives(double alpha, std::int64_t nonmember_count) {
    const auto n0 = static_cast<double>(nonmember_count);
    auto k = static_cast<std::int64_t>(std::floor(alpha * n0));
    while (k < nonmember_count && static_cast<double>(k + 1) / n0 <= alpha) {
        ++k;
    }
    while (k > 0 && static_cast<double>(k) / n0 > alpha) {
        --k;
    }
    return k;
}

// TPR at the oriented cut: with k allowed false positives (k >= 1, k < n0), the cut is the
// (k + 1)-th largest non-member; exactly the thresholds tau > cut have FPR(tau) <= k / n0, and
// the smallest observed such tau flags {score > cut}. Returns {true positives, false positives,
// smallest observed oriented score > cut (or +inf-free nullopt when none)}.
struct weighted_tpr_point {
    std::int64_t true_positives = 0;
    std::int64_t false_positives = 0;
    std::optional<double> threshold;
};

[[nodiscard]] inline weighted_tpr_point
weighted_tpr(const weighted_sample& members, const weighted_sample& nonmembers, std::int64_t allowed) {
    weighted_tpr_point out;
    std::int64_t seen = 0;
    double cut = 0.0;
    for (std::size_t j = nonmembers.values.size(); j-- > 0;) {
        seen += nonmembers.weights[j];
        if (seen > allowed) {
            cut = nonmembers.values[j];
            break;
        }
    }
    const auto above = [&](const weighted_sample& sample, std::int64_t& count) {
        std::optional<double> smallest;
        for (std::size_t j = sample.values.size(); j-- > 0 && sample.values[j] > cut;) {
            if (sample.weights[j] > 0) {
                count += sample.weights[j];
                smallest = sample.values[j];
            }
        }
        return smallest;
    };
    const std::optional<double> member_low = above(members, out.true_positives);
    const std::optional<double> nonmember_low = above(nonmembers, out.false_positives);
    out.threshold = member_low;
    if (nonmember_low && (!out.threshold || *nonmember_low < *out.threshold)) {
        out.threshold = nonmember_low;
    }
    return out;
}

} // namespace detail

// AUROC of a score that separates members from non-members: the Mann-Whitney statistic
// U / (n1 n0), U = #{(m, n): m > n} + #{(m, n): m = n} / 2 over the oriented scores of the n1
// members and n0 non-members: the probability that a random member scores as more member-like
// than a random non-member (ties count one half). 1 separates perfectly, 1/2 is chance; flipping
// the direction gives 1 - AUROC. O(n log n) by sorting. +-inf scores are allowed (they order).
// Throws invalid_argument_error for an empty set or a NaN score (naming the set and index).
//   auroc(std::vector<double>{3, 2}, std::vector<double>{2, 1}, score_direction::higher_is_member)
//       == 0.875 // pairs 3>2, 3>1, 2=2 (one half), 2>1: 3.5 / 4
[[nodiscard]] inline double auroc(std::span<const double> member_scores,
                                  std::span<const double> nonmember_scores, score_direction direction) {
    std::vector<double> members = detail::oriented_scores(member_scores, direction, "auroc", "member");
    std::vector<double> nonmembers =
        detail::oriented_scores(nonmember_scores, direction, "auroc", "non-member");
    std::sort(members.begin(), members.end());
    std::sort(nonmembers.begin(), nonmembers.end());
    const std::vector<std::int64_t> member_ones(members.size(), 1);
    const std::vector<std::int64_t> nonmember_ones(nonmembers.size(), 1);
    return detail::weighted_auroc({members, member_ones, static_cast<std::int64_t>(members.size())},
                                  {nonmembers, nonmember_ones, static_cast<std::int64_t>(nonmembers.size())});
}

// TPR at one target FPR alpha, and the threshold that achieves it.
struct tpr_at_fpr_result {
    double target_fpr = 0.0; // alpha
    // #{members flagged} / n1 at the threshold; empty (undefined, print null) when 1/n0 > alpha:
    // fewer than 1/alpha non-members cannot show a false-positive rate of alpha.
    std::optional<double> true_positive_rate;
    std::optional<double> false_positive_rate; // #{non-members flagged} / n0 <= alpha, the one achieved
    // In the score's own units: flagged = score >= threshold (higher_is_member) or <= (lower);
    // empty when no observed score qualifies (then nothing is flagged and both rates are 0).
    std::optional<double> threshold;
};

// TPR at a target FPR alpha in (0, 1), finite-sample and without interpolation (the ROC
// operating point that MIMIR and LiRA, Carlini et al. 2022, report at 0.1% and 1% FPR). On the
// oriented scores, a threshold tau flags every score >= tau, with
//   FPR(tau) = #{non-members >= tau} / n0,   TPR(tau) = #{members >= tau} / n1;
// the result is the largest TPR(tau) over the thresholds with FPR(tau) <= alpha (fractions in
// double), at tau = the smallest observed score (member or non-member) with FPR(tau) <= alpha,
// i.e. the smallest observed score above the (k+1)-th largest non-member, k the largest count
// with k / n0 <= alpha. Undefined (empty) when 1/n0 > alpha. Throws invalid_argument_error for an
// empty set, a NaN score, or alpha outside (0, 1).
//   auto r = codelength::tpr_at_fpr(members, nonmembers, score_direction::higher_is_member, 0.01);
[[nodiscard]] inline tpr_at_fpr_result tpr_at_fpr(std::span<const double> member_scores,
                                                  std::span<const double> nonmember_scores,
                                                  score_direction direction, double target_fpr) {
    detail::check_target_fpr(target_fpr, "tpr_at_fpr");
    std::vector<double> members = detail::oriented_scores(member_scores, direction, "tpr_at_fpr", "member");
    std::vector<double> nonmembers =
        detail::oriented_scores(nonmember_scores, direction, "tpr_at_fpr", "non-member");
    tpr_at_fpr_result out;
    out.target_fpr = target_fpr;
    const auto n0 = static_cast<std::int64_t>(nonmembers.size());
    const std::int64_t allowed = detail::allowed_false_positives(target_fpr, n0);
    if (allowed < 1) {
        return out;
    }
    std::sort(members.begin(), members.end());
    std::sort(nonmembers.begin(), nonmembers.end());
    const std::vector<std::int64_t> member_ones(members.size(), 1);
    const std::vector<std::int64_t> nonmember_ones(nonmembers.size(), 1);
    const auto n1 = static_cast<std::int64_t>(members.size());
    const detail::weighted_tpr_point point =
        detail::weighted_tpr({members, member_ones, n1}, {nonmembers, nonmember_ones, n0}, allowed);
    out.true_positive_rate = static_cast<double>(point.true_positives) / static_cast<double>(n1);
    out.false_positive_rate = static_cast<double>(point.false_positives) / static_cast<double>(n0);
    if (point.threshold) {
        out.threshold = detail::oriented_score(*point.threshold, direction); // back to score units
    }
    return out;
}

// A percentile bootstrap interval [lower, upper].
struct percentile_interval {
    double lower = 0.0;
    double upper = 0.0;
};

// TPR at one FPR with its bootstrap interval (empty when the TPR is undefined).
struct tpr_at_fpr_estimate {
    tpr_at_fpr_result point;
    std::optional<percentile_interval> interval;
};

// What evaluate_membership computes.
struct membership_options {
    std::vector<double> target_fprs{0.001, 0.01, 0.05}; // each in (0, 1)
    bootstrap_options bootstrap{};                      // confidence, resamples, seed
};

// AUROC and TPR at each target FPR of one score, with stratified bootstrap intervals.
struct membership_evaluation {
    std::int64_t member_count = 0;
    std::int64_t nonmember_count = 0;
    score_direction direction = score_direction::higher_is_member;
    double auroc = 0.5;
    percentile_interval auroc_interval;
    std::vector<tpr_at_fpr_estimate> tpr_at_fpr; // in the order of options.target_fprs
};

// auroc and tpr_at_fpr of one score, with stratified percentile-bootstrap intervals: each of the
// B = options.bootstrap.resamples resamples draws n1 member indices and then n0 non-member indices
// uniformly with replacement (members and non-members resampled separately, so n1 and n0 and
// hence whether a TPR is defined stay fixed), by detail::uniform_index on std::mt19937_64 seeded
// with options.bootstrap.seed (the same stream rules as bootstrap_mean, identical on every
// standard library); the interval bounds are the (1 - c)/2 and (1 + c)/2 type-7 quantiles of the B
// resampled values. O(n log n + B n): the sorted scores are reweighted, never re-sorted. Throws
// invalid_argument_error for an empty set, a NaN score, a target FPR outside (0, 1), confidence
// outside (0, 1) or resamples < 1.
//   auto e = codelength::evaluate_membership(members, nonmembers, score_direction::higher_is_member);
//   std::printf("%.3f [%.3f, %.3f]", e.auroc, e.auroc_interval.lower, e.auroc_interval.upper);
[[nodiscard]] inline membership_evaluation evaluate_membership(std::span<const double> member_scores,
                                                               std::span<const double> nonmember_scores,
                                                               score_direction direction,
                                                               const membership_options& options = {}) {
    const bootstrap_options& boot = options.bootstrap;
    if (!(boot.confidence > 0.0 && boot.confidence < 1.0) || boot.resamples < 1) {
        throw invalid_argument_error("evaluate_membership: need 0 < confidence < 1 and resamples >= 1");
    }
    for (const double alpha : options.target_fprs) {
        detail::check_target_fpr(alpha, "evaluate_membership");
    }
    std::vector<double> members =
        detail::oriented_scores(member_scores, direction, "evaluate_membership", "member");
    std::vector<double> nonmembers =
        detail::oriented_scores(nonmember_scores, direction, "evaluate_membership", "non-member");
    std::sort(members.begin(), members.end());
    std::sort(nonmembers.begin(), nonmembers.end());
    const auto n1 = static_cast<std::int64_t>(members.size());
    const auto n0 = static_cast<std::int64_t>(nonmembers.size());

    membership_evaluation out;
    out.member_count = n1;
    out.nonmember_count = n0;
    out.direction = direction;
    out.auroc = auroc(member_scores, nonmember_scores, direction);
    std::vector<std::int64_t> allowed;
    for (const double alpha : options.target_fprs) {
        out.tpr_at_fpr.push_back(
            {tpr_at_fpr(member_scores, nonmember_scores, direction, alpha), std::nullopt});
        allowed.push_back(detail::allowed_false_positives(alpha, n0));
    }

    const auto resamples = static_cast<std::size_t>(boot.resamples);
    std::vector<double> aurocs(resamples);
    std::vector<std::vector<double>> tprs(allowed.size(), std::vector<double>(resamples));
    std::vector<std::int64_t> member_weights(members.size());
    std::vector<std::int64_t> nonmember_weights(nonmembers.size());
    std::mt19937_64 engine(boot.seed);
    for (std::size_t b = 0; b < resamples; ++b) {
        // Drawing index i of the sorted copy is drawing some document: the same distribution.
        std::fill(member_weights.begin(), member_weights.end(), 0);
        std::fill(nonmember_weights.begin(), nonmember_weights.end(), 0);
        for (std::int64_t i = 0; i < n1; ++i) {
            ++member_weights[detail::uniform_index(engine, members.size())];
        }
        for (std::int64_t i = 0; i < n0; ++i) {
            ++nonmember_weights[detail::uniform_index(engine, nonmembers.size())];
        }
        const detail::weighted_sample m{members, member_weights, n1};
        const detail::weighted_sample n{nonmembers, nonmember_weights, n0};
        aurocs[b] = detail::weighted_auroc(m, n);
        for (std::size_t a = 0; a < allowed.size(); ++a) {
            if (allowed[a] >= 1) {
                tprs[a][b] = static_cast<double>(detail::weighted_tpr(m, n, allowed[a]).true_positives) /
                             static_cast<double>(n1);
            }
        }
    }
    const auto interval_of = [&](std::vector<double>& values) {
        std::sort(values.begin(), values.end());
        return percentile_interval{detail::sorted_quantile(values, (1.0 - boot.confidence) / 2.0),
                                   detail::sorted_quantile(values, (1.0 + boot.confidence) / 2.0)};
    };
    out.auroc_interval = interval_of(aurocs);
    for (std::size_t a = 0; a < allowed.size(); ++a) {
        if (allowed[a] >= 1) {
            out.tpr_at_fpr[a].interval = interval_of(tprs[a]);
        }
    }
    return out;
}

// A calibrated (conformal) threshold at level alpha.
struct conformal_threshold {
    double alpha = 0.0;
    // In the score's own units: flag a document (p-value <= alpha) iff its score >= threshold
    // (higher_is_member) or <= threshold (lower_is_member); empty when no score can be flagged
    // (1/(n+1) > alpha, or the cut-off reference score is +inf after orientation).
    std::optional<double> threshold;
    // (k + 1) / (n + 1) <= alpha: the guaranteed bound on the probability that an exchangeable
    // non-member is flagged (attained without ties); 0 when nothing can be flagged.
    double false_positive_bound = 0.0;
};

// Split-conformal calibration of a score on n reference non-members s_1..s_n (oriented): the
// p-value of a new score s is p(s) = (1 + #{i : s_i >= s}) / (n + 1), and flagging when p <= alpha
// keeps P(a new non-member is flagged) <= alpha whenever it is exchangeable with the reference
// non-members (Vovk et al. 2005; Bates et al. 2023, "Testing for outliers with conformal
// p-values"). threshold(alpha) is the same rule as a threshold: with k the largest count with
// (1 + k)/(n + 1) <= alpha (in double, as p is computed), p(s) <= alpha iff s > r, r the (k+1)-th
// largest reference score, iff s >= tau = std::nextafter(r, +inf) over doubles: tau is the
// smallest threshold whose flags are exactly those p-value flags. NaN scores throw
// invalid_argument_error (naming the index); +-inf are allowed.
//   codelength::conformal_calibration cal(reference_bpb, codelength::score_direction::lower_is_member);
//   double p = cal.p_value(suspect_bpb); auto t = cal.threshold(0.05).threshold; // bpb <= *t is flagged
class conformal_calibration {
public:
    conformal_calibration(std::span<const double> reference_nonmember_scores, score_direction direction)
        : m_sorted(detail::oriented_scores(reference_nonmember_scores, direction, "conformal_calibration",
                                           "reference non-member")),
          m_direction(direction) {
        std::sort(m_sorted.begin(), m_sorted.end());
    }

    [[nodiscard]] std::int64_t reference_count() const noexcept {
        return static_cast<std::int64_t>(m_sorted.size());
    }
    [[nodiscard]] score_direction direction() const noexcept { return m_direction; }

    // (1 + #{reference >= s}) / (n + 1) on oriented scores, in (0, 1]. Throws for NaN.
    [[nodiscard]] double p_value(double score) const {
        if (std::isnan(score)) {
            throw invalid_argument_error("conformal_calibration: the score is NaN");
        }
        return p_value_oriented(detail::oriented_score(score, m_direction));
    }

    // p_value of every suspect score; a NaN throws invalid_argument_error naming its index.
    [[nodiscard]] std::vector<double> p_values(std::span<const double> suspect_scores) const {
        std::vector<double> out(suspect_scores.size());
        for (std::size_t i = 0; i < suspect_scores.size(); ++i) {
            if (std::isnan(suspect_scores[i])) {
                throw invalid_argument_error("conformal_calibration: suspect score " + std::to_string(i) +
                                             " is NaN");
            }
            out[i] = p_value_oriented(detail::oriented_score(suspect_scores[i], m_direction));
        }
        return out;
    }

    // The threshold at level alpha in (0, 1) (see the class comment); throws otherwise.
    [[nodiscard]] conformal_threshold threshold(double alpha) const {
        detail::check_target_fpr(alpha, "conformal_calibration::threshold");
        const auto n = static_cast<std::int64_t>(m_sorted.size());
        conformal_threshold out;
        out.alpha = alpha;
        // k + 1 = the number of "at least as extreme" counts a flagged score may have, plus one.
        std::int64_t k_plus_one = detail::allowed_false_positives(alpha, n + 1);
        if (k_plus_one < 1) {
            return out;
        }
        const double r = m_sorted[static_cast<std::size_t>(n - k_plus_one)]; // the (k+1)-th largest
        if (r == std::numeric_limits<double>::infinity()) {
            return out;
        }
        const double tau = std::nextafter(r, std::numeric_limits<double>::infinity());
        out.threshold = detail::oriented_score(tau, m_direction);
        out.false_positive_bound = static_cast<double>(k_plus_one) / static_cast<double>(n + 1);
        return out;
    }

private:
    [[nodiscard]] double p_value_oriented(double s) const {
        const auto at_least = static_cast<std::int64_t>(
            m_sorted.end() - std::lower_bound(m_sorted.begin(), m_sorted.end(), s)); // #{r >= s}
        return static_cast<double>(1 + at_least) / static_cast<double>(m_sorted.size() + 1);
    }

    std::vector<double> m_sorted; // oriented, ascending
    score_direction m_direction;
};

// One score of a dataset-inference test: its values on the suspect documents and on the known
// non-member (reference) documents, in document order (views: the data must outlive the call).
struct dataset_inference_score {
    std::string name;
    score_direction direction = score_direction::higher_is_member;
    std::span<const double> suspect;
    std::span<const double> reference_nonmembers;
};

// How dataset_inference splits and combines.
struct dataset_inference_options {
    std::uint64_t seed = 20261128; // std::mt19937_64 seed of the half split
    double ridge = 1e-3;           // added to the diagonal of the standardized within-class covariance
};

// One score's one-sided Welch test: a = oriented suspect scores, b = oriented reference scores.
struct score_welch_test {
    std::string name;
    welch_t_test_result test; // test.p_value_greater: H1 "the suspect set is more member-like"
};

// The combined test over several scores.
struct combined_dataset_inference {
    std::vector<double> weights; // per score, on the standardized oriented scores (training halves)
    std::int64_t suspect_training_count = 0;
    std::int64_t reference_training_count = 0;
    welch_t_test_result test; // of the combined score on the held-out halves; p_value_greater
};

struct dataset_inference_result {
    std::vector<score_welch_test> per_score;            // in the order of the input scores
    std::optional<combined_dataset_inference> combined; // present for 2 or more scores
};

// Dataset inference (Maini et al. 2024, "LLM Dataset Inference: Did you train on my dataset?"):
// was the suspect set, as a whole, in the training data? ASSUMPTION: the suspect and the reference
// documents come from the same distribution apart from membership (an IID split of one source).
// Without it these p-values measure distribution shift, not membership: Duan et al. 2024 ("Do
// membership inference attacks work on large language models?") and Das et al. 2024 ("Blind
// baselines beat membership inference attacks for foundation models") separate members from
// non-members of common benchmarks without the model at all.
// - per score: welch_t_test(oriented suspect, oriented reference), one-sided (suspect more
//   member-like); needs 2 or more documents in each set.
// - combined (2 or more scores; 4 or more documents per set; every score with the same document
//   counts): as Maini et al., learn a linear combination on one half and test it on the other.
//   Each set's documents are shuffled (Fisher-Yates: for i = n-1 down to 1 swap i with
//   detail::uniform_index(engine, i + 1), suspect set first, std::mt19937_64 seeded with
//   options.seed); the first floor(n/2) of each set train, the rest test. Each oriented score is
//   standardized by the mean and standard deviation of the pooled training documents (a constant
//   score becomes 0), and the weights are Fisher's discriminant direction
//   w = (S_w + ridge I)^-1 (mean_suspect - mean_reference), S_w the pooled within-class covariance
//   of the training halves (least squares on 0/1 labels gives the same direction; Maini et al.
//   fit a linear model). The combined score w . z of the held-out documents is Welch-tested.
// Every score must be finite (invalid_argument_error names the score, the set and the index).
//   auto r = codelength::dataset_inference(std::vector<codelength::dataset_inference_score>{
//       {"bits_per_byte", score_direction::lower_is_member, suspect_bpb, reference_bpb}});
[[nodiscard]] inline dataset_inference_result
dataset_inference(std::span<const dataset_inference_score> scores,
                  const dataset_inference_options& options = {}) {
    if (scores.empty()) {
        throw invalid_argument_error("dataset_inference: no scores");
    }
    if (!(options.ridge >= 0.0 && std::isfinite(options.ridge))) {
        throw invalid_argument_error("dataset_inference: ridge must be finite and >= 0");
    }
    const std::size_t k = scores.size();
    std::vector<std::vector<double>> suspect(k);
    std::vector<std::vector<double>> reference(k);
    dataset_inference_result out;
    for (std::size_t s = 0; s < k; ++s) {
        const std::string what = "dataset_inference (" + scores[s].name + ")";
        suspect[s] =
            detail::oriented_scores(scores[s].suspect, scores[s].direction, what.c_str(), "suspect", true);
        reference[s] = detail::oriented_scores(scores[s].reference_nonmembers, scores[s].direction,
                                               what.c_str(), "reference non-member", true);
        out.per_score.push_back({scores[s].name, welch_t_test(suspect[s], reference[s])});
    }
    if (k < 2) {
        return out;
    }
    const std::size_t n_s = suspect[0].size();
    const std::size_t n_r = reference[0].size();
    for (std::size_t s = 1; s < k; ++s) {
        if (suspect[s].size() != n_s || reference[s].size() != n_r) {
            throw invalid_argument_error(
                "dataset_inference: score " + scores[s].name + " has " + std::to_string(suspect[s].size()) +
                " suspect and " + std::to_string(reference[s].size()) + " reference documents, score " +
                scores[0].name + " " + std::to_string(n_s) + " and " + std::to_string(n_r));
        }
    }
    if (n_s < 4 || n_r < 4) {
        throw invalid_argument_error("dataset_inference: the combined test needs at least 4 suspect and 4 "
                                     "reference documents");
    }
    std::mt19937_64 engine(options.seed);
    const auto shuffled = [&](std::size_t n) {
        std::vector<std::size_t> order(n);
        for (std::size_t i = 0; i < n; ++i) {
            order[i] = i;
        }
        for (std::size_t i = n - 1; i >= 1; --i) {
            std::swap(order[i], order[detail::uniform_index(engine, i + 1)]);
        }
        return order;
    };
    const std::vector<std::size_t> suspect_order = shuffled(n_s);
    const std::vector<std::size_t> reference_order = shuffled(n_r);
    const std::size_t train_s = n_s / 2;
    const std::size_t train_r = n_r / 2;

    // Standardization from the pooled training documents.
    std::vector<double> center(k);
    std::vector<double> scale(k);
    for (std::size_t s = 0; s < k; ++s) {
        detail::compensated_sum sum;
        for (std::size_t i = 0; i < train_s; ++i) {
            sum.add(suspect[s][suspect_order[i]]);
        }
        for (std::size_t i = 0; i < train_r; ++i) {
            sum.add(reference[s][reference_order[i]]);
        }
        center[s] = sum.value() / static_cast<double>(train_s + train_r);
        detail::compensated_sum squares;
        for (std::size_t i = 0; i < train_s; ++i) {
            const double d = suspect[s][suspect_order[i]] - center[s];
            squares.add(d * d);
        }
        for (std::size_t i = 0; i < train_r; ++i) {
            const double d = reference[s][reference_order[i]] - center[s];
            squares.add(d * d);
        }
        const double sd = std::sqrt(squares.value() / static_cast<double>(train_s + train_r - 1));
        scale[s] = sd > 0.0 ? 1.0 / sd : 0.0;
    }
    const auto z = [&](const std::vector<std::vector<double>>& set, std::size_t s, std::size_t doc) {
        return (set[s][doc] - center[s]) * scale[s];
    };
    // Class means and the pooled within-class covariance of the standardized training scores.
    const auto class_mean = [&](const std::vector<std::vector<double>>& set,
                                const std::vector<std::size_t>& order, std::size_t count) {
        std::vector<double> mean(k);
        for (std::size_t s = 0; s < k; ++s) {
            detail::compensated_sum sum;
            for (std::size_t i = 0; i < count; ++i) {
                sum.add(z(set, s, order[i]));
            }
            mean[s] = sum.value() / static_cast<double>(count);
        }
        return mean;
    };
    const std::vector<double> mean_s = class_mean(suspect, suspect_order, train_s);
    const std::vector<double> mean_r = class_mean(reference, reference_order, train_r);
    std::vector<double> within(k * k, 0.0);
    const auto accumulate = [&](const std::vector<std::vector<double>>& set,
                                const std::vector<std::size_t>& order, std::size_t count,
                                const std::vector<double>& mean) {
        std::vector<double> d(k);
        for (std::size_t i = 0; i < count; ++i) {
            for (std::size_t s = 0; s < k; ++s) {
                d[s] = z(set, s, order[i]) - mean[s];
            }
            for (std::size_t r = 0; r < k; ++r) {
                for (std::size_t c = 0; c < k; ++c) {
                    within[r * k + c] += d[r] * d[c];
                }
            }
        }
    };
    accumulate(suspect, suspect_order, train_s, mean_s);
    accumulate(reference, reference_order, train_r, mean_r);
    for (std::size_t r = 0; r < k; ++r) {
        for (std::size_t c = 0; c < k; ++c) {
            within[r * k + c] /= static_cast<double>(train_s + train_r - 2);
        }
        // A constant score (scale 0) has a zero row: the ridge, or 1 when there is none, keeps
        // the matrix positive definite; its weight is then 0 because its mean difference is 0.
        within[r * k + r] += scale[r] > 0.0 ? options.ridge : std::max(options.ridge, 1.0);
    }
    // Cholesky solve of within * w = mean_s - mean_r (within is symmetric positive semidefinite +
    // ridge; a non-positive pivot, possible only with ridge 0 and collinear scores, throws).
    std::vector<double> lower(k * k, 0.0);
    for (std::size_t r = 0; r < k; ++r) {
        for (std::size_t c = 0; c <= r; ++c) {
            double v = within[r * k + c];
            for (std::size_t j = 0; j < c; ++j) {
                v -= lower[r * k + j] * lower[c * k + j];
            }
            if (r == c) {
                if (!(v > 0.0)) {
                    throw invalid_argument_error(
                        "dataset_inference: the scores are collinear; use ridge > 0");
                }
                lower[r * k + r] = std::sqrt(v);
            } else {
                lower[r * k + c] = v / lower[c * k + c];
            }
        }
    }
    std::vector<double> w(k);
    for (std::size_t r = 0; r < k; ++r) { // forward: L y = difference
        double v = mean_s[r] - mean_r[r];
        for (std::size_t j = 0; j < r; ++j) {
            v -= lower[r * k + j] * w[j];
        }
        w[r] = v / lower[r * k + r];
    }
    for (std::size_t r = k; r-- > 0;) { // backward: L^T w = y
        double v = w[r];
        for (std::size_t j = r + 1; j < k; ++j) {
            v -= lower[j * k + r] * w[j];
        }
        w[r] = v / lower[r * k + r];
    }
    const auto combined_scores = [&](const std::vector<std::vector<double>>& set,
                                     const std::vector<std::size_t>& order, std::size_t from) {
        std::vector<double> values;
        for (std::size_t i = from; i < order.size(); ++i) {
            double v = 0.0;
            for (std::size_t s = 0; s < k; ++s) {
                v += w[s] * z(set, s, order[i]);
            }
            values.push_back(v);
        }
        return values;
    };
    combined_dataset_inference combined;
    combined.weights = w;
    combined.suspect_training_count = static_cast<std::int64_t>(train_s);
    combined.reference_training_count = static_cast<std::int64_t>(train_r);
    combined.test = welch_t_test(combined_scores(suspect, suspect_order, train_s),
                                 combined_scores(reference, reference_order, train_r));
    out.combined = std::move(combined);
    return out;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
