// Membership verdicts: AUROC and TPR at FPR against brute force, stratified bootstrap, conformal
// thresholds (exactness and the FPR guarantee by simulation), Student's t against closed forms,
// Welch's test and the combined dataset-inference test on seeded simulations.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/metrics/membership.hpp"
#include "codelength/metrics/student_t.hpp"
#include "support/catch.hpp"

using codelength::score_direction;

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

// Scores with many ties: small integers, now and then +-inf.
std::vector<double> tied_scores(std::mt19937_64& engine, std::size_t n, int levels, bool with_infinities) {
    std::vector<double> out(n);
    for (double& v : out) {
        const auto draw = static_cast<int>(engine() % static_cast<std::uint64_t>(levels + 2));
        v = static_cast<double>(draw);
        if (with_infinities && draw == levels) {
            v = infinity;
        } else if (with_infinities && draw == levels + 1) {
            v = -infinity;
        }
    }
    return out;
}

std::vector<double> normal_scores(std::mt19937_64& engine, std::size_t n, double shift) {
    std::normal_distribution<double> normal(shift, 1.0);
    std::vector<double> out(n);
    for (double& v : out) {
        v = normal(engine);
    }
    return out;
}

double orient(double v, score_direction direction) {
    return direction == score_direction::higher_is_member ? v : -v;
}

// AUROC by counting every (member, non-member) pair, ties one half.
double pairwise_auroc(const std::vector<double>& members, const std::vector<double>& nonmembers,
                      score_direction direction) {
    std::uint64_t doubled = 0;
    for (const double m : members) {
        for (const double n : nonmembers) {
            const double a = orient(m, direction);
            const double b = orient(n, direction);
            doubled += a > b ? 2U : (a == b ? 1U : 0U);
        }
    }
    return static_cast<double>(doubled) /
           (2.0 * static_cast<double>(members.size()) * static_cast<double>(nonmembers.size()));
}

// TPR at FPR by trying every observed score as the threshold tau (flag oriented >= tau).
struct brute_tpr {
    std::optional<double> tpr;
    std::optional<double> fpr;
    std::optional<double> threshold; // score units
};

brute_tpr brute_force_tpr(const std::vector<double>& members, const std::vector<double>& nonmembers,
                          score_direction direction, double alpha) {
    const auto n0 = static_cast<double>(nonmembers.size());
    const auto n1 = static_cast<double>(members.size());
    if (1.0 / n0 > alpha) {
        return {};
    }
    brute_tpr best{0.0, 0.0, std::nullopt}; // flag nothing
    std::vector<double> candidates;
    for (const double v : members) {
        candidates.push_back(orient(v, direction));
    }
    for (const double v : nonmembers) {
        candidates.push_back(orient(v, direction));
    }
    std::optional<double> best_tau;
    for (const double tau : candidates) {
        std::size_t fp = 0;
        std::size_t tp = 0;
        for (const double v : nonmembers) {
            fp += orient(v, direction) >= tau ? 1U : 0U;
        }
        for (const double v : members) {
            tp += orient(v, direction) >= tau ? 1U : 0U;
        }
        const double fpr = static_cast<double>(fp) / n0;
        const double tpr = static_cast<double>(tp) / n1;
        if (fpr > alpha) {
            continue;
        }
        if (tpr > *best.tpr || (tpr == *best.tpr && best_tau && tau < *best_tau) ||
            (tpr == *best.tpr && !best_tau)) {
            best = {tpr, fpr, orient(tau, direction)};
            best_tau = tau;
        }
    }
    return best;
}

} // namespace

TEST_CASE("membership: AUROC equals pairwise counting with ties and infinities", "[metrics][membership]") {
    const std::uint64_t seed = 1401;
    INFO("seed " << seed);
    std::mt19937_64 engine(seed);
    for (int trial = 0; trial < 60; ++trial) {
        const std::size_t n1 = 1 + engine() % 40;
        const std::size_t n0 = 1 + engine() % 40;
        const int levels = 1 + static_cast<int>(engine() % 6);
        const std::vector<double> members = tied_scores(engine, n1, levels, trial % 2 == 0);
        const std::vector<double> nonmembers = tied_scores(engine, n0, levels, trial % 3 == 0);
        for (const auto direction : {score_direction::higher_is_member, score_direction::lower_is_member}) {
            CHECK(codelength::auroc(members, nonmembers, direction) ==
                  pairwise_auroc(members, nonmembers, direction));
        }
        // Flipping the direction gives 1 - AUROC.
        CHECK(codelength::auroc(members, nonmembers, score_direction::lower_is_member) ==
              Catch::Approx(1.0 - codelength::auroc(members, nonmembers, score_direction::higher_is_member))
                  .margin(1e-15));
    }
    CHECK(codelength::auroc(std::vector<double>{3, 2}, std::vector<double>{2, 1},
                            score_direction::higher_is_member) == 0.875);
    CHECK(codelength::auroc(std::vector<double>{1, 1}, std::vector<double>{1},
                            score_direction::lower_is_member) == 0.5);
}

TEST_CASE("membership: TPR at FPR equals brute force over all thresholds", "[metrics][membership]") {
    const std::uint64_t seed = 1402;
    INFO("seed " << seed);
    std::mt19937_64 engine(seed);
    const std::vector<double> alphas{0.001, 0.01, 0.05, 0.1, 0.2, 0.25, 0.5, 0.9};
    for (int trial = 0; trial < 40; ++trial) {
        const std::size_t n1 = 1 + engine() % 60;
        const std::size_t n0 = std::vector<std::size_t>{1, 4, 10, 20, 99, 100, 150}[engine() % 7];
        const int levels = 1 + static_cast<int>(engine() % 12);
        const std::vector<double> members = tied_scores(engine, n1, levels, trial % 2 == 0);
        const std::vector<double> nonmembers = tied_scores(engine, n0, levels, trial % 4 == 0);
        for (const auto direction : {score_direction::higher_is_member, score_direction::lower_is_member}) {
            for (const double alpha : alphas) {
                INFO("trial " << trial << " n1 " << n1 << " n0 " << n0 << " alpha " << alpha);
                const auto got = codelength::tpr_at_fpr(members, nonmembers, direction, alpha);
                const brute_tpr want = brute_force_tpr(members, nonmembers, direction, alpha);
                CHECK(got.target_fpr == alpha);
                CHECK(got.true_positive_rate == want.tpr);
                CHECK(got.false_positive_rate == want.fpr);
                CHECK(got.threshold == want.threshold);
                if (got.false_positive_rate) {
                    CHECK(*got.false_positive_rate <= alpha);
                }
            }
        }
    }
}

TEST_CASE("membership: TPR at FPR is undefined with fewer than 1/alpha non-members",
          "[metrics][membership]") {
    std::vector<double> members(10, 5.0);
    std::vector<double> nonmembers(99);
    for (std::size_t i = 0; i < nonmembers.size(); ++i) {
        nonmembers[i] = static_cast<double>(i) / 100.0;
    }
    const auto undefined =
        codelength::tpr_at_fpr(members, nonmembers, score_direction::higher_is_member, 0.01);
    CHECK_FALSE(undefined.true_positive_rate.has_value());
    CHECK_FALSE(undefined.false_positive_rate.has_value());
    CHECK_FALSE(undefined.threshold.has_value());
    nonmembers.push_back(0.995);
    const auto defined = codelength::tpr_at_fpr(members, nonmembers, score_direction::higher_is_member, 0.01);
    REQUIRE(defined.true_positive_rate.has_value());
    CHECK(*defined.true_positive_rate == 1.0);
    CHECK(*defined.false_positive_rate == 0.01); // the largest non-member is flagged: 1 of 100
    CHECK(*defined.threshold == 0.995);          // the smallest observed score with FPR <= 1%
    // The bootstrap leaves an undefined TPR without an interval.
    codelength::membership_options options;
    options.bootstrap.resamples = 50;
    const auto e = codelength::evaluate_membership(
        members, std::vector<double>(nonmembers.begin(), nonmembers.end() - 1),
        score_direction::higher_is_member, options);
    REQUIRE(e.tpr_at_fpr.size() == 3);
    CHECK_FALSE(e.tpr_at_fpr[0].interval.has_value());
    CHECK_FALSE(e.tpr_at_fpr[1].interval.has_value());
    CHECK(e.tpr_at_fpr[2].interval.has_value()); // 5%: 99 >= 20
}

TEST_CASE("membership: stratified bootstrap is reproducible and matches resampling by hand",
          "[metrics][membership]") {
    const std::uint64_t seed = 1403;
    INFO("seed " << seed);
    std::mt19937_64 engine(seed);
    const std::vector<double> members = tied_scores(engine, 70, 9, false);
    std::vector<double> nonmembers = tied_scores(engine, 120, 11, false);
    codelength::membership_options options;
    options.target_fprs = {0.01, 0.05, 0.2};
    options.bootstrap.resamples = 200;
    options.bootstrap.seed = 77;
    const auto direction = score_direction::lower_is_member;
    const auto e = codelength::evaluate_membership(members, nonmembers, direction, options);
    CHECK(e.member_count == 70);
    CHECK(e.nonmember_count == 120);
    CHECK(e.auroc == codelength::auroc(members, nonmembers, direction));
    CHECK(e.auroc_interval.lower <= e.auroc);
    CHECK(e.auroc <= e.auroc_interval.upper);
    CHECK(e.auroc_interval.lower < e.auroc_interval.upper);
    for (std::size_t a = 0; a < options.target_fprs.size(); ++a) {
        const auto& t = e.tpr_at_fpr[a];
        CHECK(t.point.true_positive_rate ==
              codelength::tpr_at_fpr(members, nonmembers, direction, options.target_fprs[a])
                  .true_positive_rate);
        REQUIRE(t.interval.has_value());
        CHECK(t.interval->lower <= *t.point.true_positive_rate);
        CHECK(*t.point.true_positive_rate <= t.interval->upper);
    }

    // The same resamples drawn by hand (indices into the sorted oriented scores, members first)
    // and scored by the point functions.
    std::vector<double> sorted_members(members.size());
    std::vector<double> sorted_nonmembers(nonmembers.size());
    std::transform(members.begin(), members.end(), sorted_members.begin(), [](double v) { return -v; });
    std::transform(nonmembers.begin(), nonmembers.end(), sorted_nonmembers.begin(),
                   [](double v) { return -v; });
    std::sort(sorted_members.begin(), sorted_members.end());
    std::sort(sorted_nonmembers.begin(), sorted_nonmembers.end());
    std::mt19937_64 replay(options.bootstrap.seed);
    std::vector<double> aurocs;
    std::vector<double> tprs;
    for (int b = 0; b < 200; ++b) {
        std::vector<double> m;
        std::vector<double> n;
        for (std::size_t i = 0; i < sorted_members.size(); ++i) {
            m.push_back(sorted_members[codelength::detail::uniform_index(replay, sorted_members.size())]);
        }
        for (std::size_t i = 0; i < sorted_nonmembers.size(); ++i) {
            n.push_back(
                sorted_nonmembers[codelength::detail::uniform_index(replay, sorted_nonmembers.size())]);
        }
        aurocs.push_back(codelength::auroc(m, n, score_direction::higher_is_member));
        tprs.push_back(
            *codelength::tpr_at_fpr(m, n, score_direction::higher_is_member, 0.05).true_positive_rate);
    }
    std::sort(aurocs.begin(), aurocs.end());
    std::sort(tprs.begin(), tprs.end());
    CHECK(e.auroc_interval.lower == codelength::detail::sorted_quantile(aurocs, 0.025));
    CHECK(e.auroc_interval.upper == codelength::detail::sorted_quantile(aurocs, 0.975));
    CHECK(e.tpr_at_fpr[1].interval->lower == codelength::detail::sorted_quantile(tprs, 0.025));
    CHECK(e.tpr_at_fpr[1].interval->upper == codelength::detail::sorted_quantile(tprs, 0.975));

    const auto again = codelength::evaluate_membership(members, nonmembers, direction, options);
    CHECK(again.auroc_interval.lower == e.auroc_interval.lower);
    CHECK(again.auroc_interval.upper == e.auroc_interval.upper);
    CHECK(again.tpr_at_fpr[2].interval->lower == e.tpr_at_fpr[2].interval->lower);
    options.bootstrap.seed = 78;
    const auto other = codelength::evaluate_membership(members, nonmembers, direction, options);
    CHECK((other.auroc_interval.lower != e.auroc_interval.lower ||
           other.auroc_interval.upper != e.auroc_interval.upper));
}

TEST_CASE("membership: conformal p-values and thresholds agree exactly", "[metrics][membership]") {
    const std::uint64_t seed = 1404;
    INFO("seed " << seed);
    std::mt19937_64 engine(seed);
    for (int trial = 0; trial < 30; ++trial) {
        const std::size_t n = 1 + engine() % 150;
        const std::vector<double> reference =
            tied_scores(engine, n, 1 + static_cast<int>(engine() % 20), trial % 3 == 0);
        const auto direction =
            trial % 2 == 0 ? score_direction::higher_is_member : score_direction::lower_is_member;
        const codelength::conformal_calibration calibration(reference, direction);
        CHECK(calibration.reference_count() == static_cast<std::int64_t>(n));
        std::vector<double> probes{infinity, -infinity, -0.5, 1e9};
        for (const double r : reference) {
            probes.push_back(r);
            probes.push_back(std::nextafter(r, infinity));
            probes.push_back(std::nextafter(r, -infinity));
            probes.push_back(r + 0.5);
        }
        const std::vector<double> p_values = calibration.p_values(probes);
        for (const double alpha : {0.001, 0.01, 0.05, 0.1, 0.3, 0.5}) {
            const codelength::conformal_threshold t = calibration.threshold(alpha);
            CHECK(t.alpha == alpha);
            CHECK(t.false_positive_bound <= alpha);
            for (std::size_t i = 0; i < probes.size(); ++i) {
                const double s = probes[i];
                std::size_t at_least = 0;
                for (const double r : reference) {
                    at_least += orient(r, direction) >= orient(s, direction) ? 1U : 0U;
                }
                const double want_p = static_cast<double>(1 + at_least) / static_cast<double>(n + 1);
                CHECK(p_values[i] == want_p);
                CHECK(calibration.p_value(s) == want_p);
                const bool by_p = want_p <= alpha;
                const bool by_threshold =
                    t.threshold.has_value() &&
                    (direction == score_direction::higher_is_member ? s >= *t.threshold : s <= *t.threshold);
                INFO("trial " << trial << " alpha " << alpha << " score " << s);
                CHECK(by_p == by_threshold);
            }
            if (1.0 / static_cast<double>(n + 1) > alpha) {
                CHECK_FALSE(t.threshold.has_value());
            }
        }
    }
}

TEST_CASE("membership: the conformal threshold keeps FPR <= alpha (simulation)", "[metrics][membership]") {
    const std::uint64_t seed = 1405;
    INFO("seed " << seed);
    std::mt19937_64 engine(seed);
    for (const std::size_t n : {std::size_t{19}, std::size_t{50}, std::size_t{999}}) {
        for (const double alpha : {0.05, 0.1}) {
            const int trials = 2000;
            const std::size_t fresh = 50;
            std::size_t flagged = 0;
            double bound = 0.0;
            for (int trial = 0; trial < trials; ++trial) {
                const std::vector<double> reference = normal_scores(engine, n, 0.0);
                const codelength::conformal_calibration calibration(reference,
                                                                    score_direction::lower_is_member);
                const codelength::conformal_threshold t = calibration.threshold(alpha);
                bound = t.false_positive_bound;
                for (const double s : normal_scores(engine, fresh, 0.0)) {
                    flagged += calibration.p_value(s) <= alpha ? 1U : 0U;
                }
            }
            // Each trial's fresh scores share a reference set: the standard error of the rate
            // is that of the per-trial rate (conditional FPR ~ Beta) over trials, below
            // sqrt(bound (1 - bound) / trials) * sqrt(1 + fresh / (n + 2)) (bounded generously).
            const double rate = static_cast<double>(flagged) / static_cast<double>(trials * fresh);
            const double se =
                std::sqrt(alpha * (1.0 - alpha) / static_cast<double>(trials) *
                          (1.0 / static_cast<double>(fresh) + 1.0 / static_cast<double>(n + 2)));
            INFO("n " << n << " alpha " << alpha << " rate " << rate << " bound " << bound << " se " << se);
            CHECK(rate <= alpha + 3.0 * se);
            CHECK(std::abs(rate - bound) <= 3.0 * se); // without ties the bound is attained
            if (n == 999) {
                CHECK(bound == Catch::Approx(alpha).margin(1e-3));
            }
        }
    }
}

TEST_CASE("membership: Student t against closed forms", "[metrics][membership]") {
    using codelength::student_t_cdf;
    using codelength::student_t_sf;
    const auto rel = [](double got, double want) { return std::abs(got - want) / std::abs(want); };
    for (const double t : {1e-9, 0.01, 0.3, 1.0, 2.5, 10.0, 123.0, 1e4, 1e7}) {
        INFO("t " << t);
        // df = 1, Cauchy: P(T > t) = atan(1/t)/pi.
        CHECK(rel(student_t_sf(t, 1.0), std::atan2(1.0, t) / std::numbers::pi) < 1e-12);
        CHECK(rel(student_t_cdf(t, 1.0), 0.5 + std::atan(t) / std::numbers::pi) < 1e-13);
        // df = 2: P(T > t) = 1/2 - t / (2 sqrt(2 + t^2)) = 1 / (sqrt(2 + t^2) (sqrt(2 + t^2) + t)).
        const double r = std::sqrt(2.0 + t * t);
        CHECK(rel(student_t_sf(t, 2.0), 1.0 / (r * (r + t))) < 1e-12);
        CHECK(rel(student_t_cdf(t, 2.0), 0.5 + t / (2.0 * r)) < 1e-13);
        // df = 3: F(t) = 1/2 + (t sqrt3 / (3 + t^2) + atan(t / sqrt3)) / pi.
        const double s3 = std::sqrt(3.0);
        CHECK(rel(student_t_cdf(t, 3.0),
                  0.5 + (t * s3 / (3.0 + t * t) + std::atan(t / s3)) / std::numbers::pi) < 1e-13);
        // Symmetry.
        for (const double df : {0.7, 1.0, 4.5, 30.0, 1e3, 1e6, 1e9}) {
            CHECK(student_t_cdf(-t, df) == student_t_sf(t, df));
            CHECK(std::abs(student_t_cdf(t, df) + student_t_cdf(-t, df) - 1.0) < 1e-15);
        }
    }
    // df -> infinity approaches the normal: Q(t) = erfc(t / sqrt2) / 2, the gap shrinking like 1/df.
    for (const double t : {0.5, 1.96, 4.0, 8.0}) {
        const double normal = 0.5 * std::erfc(t / std::numbers::sqrt2);
        INFO("t " << t);
        CHECK(student_t_sf(t, infinity) == normal);
        CHECK(rel(student_t_sf(t, 1e300), normal) < 1e-15);
        double previous_gap = infinity;
        for (const double df : {1e2, 1e4, 1e6, 1e8}) {
            const double gap = rel(student_t_sf(t, df), normal);
            CHECK(gap < previous_gap);
            if (df >= 1e6) { // the first-order term of the gap: phi(t) (t^3 + t) / (4 df) / Q(t)
                const double phi = std::exp(-0.5 * t * t) / std::sqrt(2.0 * std::numbers::pi);
                CHECK(gap == Catch::Approx(phi * (t * t * t + t) / (4.0 * df) / normal).epsilon(0.01));
            }
            previous_gap = gap;
        }
        // The switch to the expansion at df = 1e7 is seamless.
        CHECK(rel(student_t_sf(t, 1e7), student_t_sf(t, std::nextafter(1e7, infinity))) < 1e-12);
    }
    CHECK(student_t_sf(0.0, 5.0) == 0.5);
    CHECK(student_t_sf(infinity, 5.0) == 0.0);
    CHECK(student_t_sf(-infinity, 5.0) == 1.0);
    CHECK_THROWS_AS(student_t_sf(std::nan(""), 5.0), codelength::invalid_argument_error);
    CHECK_THROWS_AS(student_t_sf(1.0, 0.0), codelength::invalid_argument_error);
    CHECK_THROWS_AS(student_t_sf(1.0, std::nan("")), codelength::invalid_argument_error);
}

TEST_CASE("membership: Welch's t-test", "[metrics][membership]") {
    const auto r = codelength::welch_t_test(std::vector<double>{3, 4, 5}, std::vector<double>{1, 2, 3});
    CHECK(r.count_a == 3);
    CHECK(r.mean_difference == 2.0);
    CHECK(r.t_statistic == Catch::Approx(2.0 / std::sqrt(2.0 / 3.0)).epsilon(1e-15));
    CHECK(r.degrees_of_freedom ==
          Catch::Approx(4.0).epsilon(1e-15)); // equal variances and sizes: n_a + n_b - 2
    CHECK(r.p_value_greater == Catch::Approx(codelength::student_t_sf(r.t_statistic, 4.0)).epsilon(1e-15));
    // Unequal variances: df from Welch-Satterthwaite by hand.
    const std::vector<double> a{1.0, 2.5, 2.0, 7.0, 3.5};
    const std::vector<double> b{0.5, 0.7, 0.4};
    const auto u = codelength::welch_t_test(a, b);
    const double va = (std::pow(1.0 - 3.2, 2) + std::pow(2.5 - 3.2, 2) + std::pow(2.0 - 3.2, 2) +
                       std::pow(7.0 - 3.2, 2) + std::pow(3.5 - 3.2, 2)) /
                      4.0;
    const double vb =
        (std::pow(0.5 - 1.6 / 3.0, 2) + std::pow(0.7 - 1.6 / 3.0, 2) + std::pow(0.4 - 1.6 / 3.0, 2)) / 2.0;
    const double se2 = va / 5.0 + vb / 3.0;
    CHECK(u.t_statistic == Catch::Approx((3.2 - 1.6 / 3.0) / std::sqrt(se2)).epsilon(1e-13));
    CHECK(u.degrees_of_freedom ==
          Catch::Approx(se2 * se2 / (std::pow(va / 5.0, 2) / 4.0 + std::pow(vb / 3.0, 2) / 2.0))
              .epsilon(1e-13));

    // Same distribution: p-values about uniform; shifted: tiny.
    const std::uint64_t seed = 1406;
    INFO("seed " << seed);
    std::mt19937_64 engine(seed);
    const int trials = 4000;
    std::vector<int> deciles(10, 0);
    for (int trial = 0; trial < trials; ++trial) {
        std::normal_distribution<double> wide(0.0, 3.0);
        std::vector<double> x = normal_scores(engine, 12, 0.0);
        std::vector<double> y(25);
        for (double& v : y) {
            v = wide(engine);
        }
        const double p = codelength::welch_t_test(x, y).p_value_greater;
        ++deciles[std::min<std::size_t>(9, static_cast<std::size_t>(p * 10.0))];
    }
    const double se = std::sqrt(0.1 * 0.9 / trials);
    for (const int count : deciles) {
        CHECK(std::abs(static_cast<double>(count) / trials - 0.1) < 4.0 * se);
    }
    const auto shifted =
        codelength::welch_t_test(normal_scores(engine, 200, 1.0), normal_scores(engine, 300, 0.0));
    CHECK(shifted.p_value_greater < 1e-12);
    const auto reversed =
        codelength::welch_t_test(normal_scores(engine, 200, -1.0), normal_scores(engine, 300, 0.0));
    CHECK(reversed.p_value_greater > 1.0 - 1e-12);

    // Zero standard error: a known difference.
    const auto constant_up =
        codelength::welch_t_test(std::vector<double>{2, 2}, std::vector<double>{1, 1, 1});
    CHECK(constant_up.t_statistic == infinity);
    CHECK(constant_up.p_value_greater == 0.0);
    CHECK(constant_up.degrees_of_freedom == 3.0);
    const auto constant_equal =
        codelength::welch_t_test(std::vector<double>{1, 1}, std::vector<double>{1, 1});
    CHECK(constant_equal.t_statistic == 0.0);
    CHECK(constant_equal.p_value_greater == 0.5);
    CHECK(codelength::welch_t_test(std::vector<double>{0, 0}, std::vector<double>{1, 1}).p_value_greater ==
          1.0);
    // One constant sample: df = n - 1 of the other.
    CHECK(codelength::welch_t_test(std::vector<double>{1, 2, 4}, std::vector<double>{0, 0})
              .degrees_of_freedom == Catch::Approx(2.0).epsilon(1e-15));

    CHECK_THROWS_WITH(codelength::welch_t_test(std::vector<double>{1}, std::vector<double>{1, 2}),
                      Catch::Contains("sample a has 1 value"));
    CHECK_THROWS_WITH(codelength::welch_t_test(std::vector<double>{1, 2}, std::vector<double>{1, infinity}),
                      Catch::Contains("sample b value 1 is inf"));
}

TEST_CASE("membership: dataset inference per score and combined", "[metrics][membership]") {
    const std::uint64_t seed = 1407;
    INFO("seed " << seed);
    std::mt19937_64 engine(seed);
    // Eight weak scores, each shifted by 0.1 sd (the last by 0.03), half of them lower-is-member:
    // the combined shift is 0.27 sd, t about 5 on the held-out halves; the weakest alone t ~ 1.
    const std::size_t k = 8;
    int combined_wins = 0;
    const int datasets = 5;
    for (int dataset = 0; dataset < datasets; ++dataset) {
        std::vector<std::vector<double>> suspect(k);
        std::vector<std::vector<double>> reference(k);
        std::vector<codelength::dataset_inference_score> scores;
        for (std::size_t s = 0; s < k; ++s) {
            const double shift = s + 1 == k ? 0.03 : 0.1;
            const double sign = s % 2 == 0 ? 1.0 : -1.0;
            suspect[s] = normal_scores(engine, 2000, sign * shift);
            reference[s] = normal_scores(engine, 2000, 0.0);
        }
        for (std::size_t s = 0; s < k; ++s) {
            scores.push_back(
                {"score" + std::to_string(s),
                 s % 2 == 0 ? score_direction::higher_is_member : score_direction::lower_is_member,
                 suspect[s], reference[s]});
        }
        const auto r = codelength::dataset_inference(scores);
        REQUIRE(r.per_score.size() == k);
        REQUIRE(r.combined.has_value());
        CHECK(r.per_score[0].name == "score0");
        CHECK(r.combined->weights.size() == k);
        CHECK(r.combined->suspect_training_count == 1000);
        CHECK(r.combined->test.count_a == 1000);
        // Per score: the same as welch_t_test on the oriented values.
        std::vector<double> negated(suspect[1].size());
        std::transform(suspect[1].begin(), suspect[1].end(), negated.begin(), [](double v) { return -v; });
        std::vector<double> negated_reference(reference[1].size());
        std::transform(reference[1].begin(), reference[1].end(), negated_reference.begin(),
                       [](double v) { return -v; });
        CHECK(r.per_score[1].test.p_value_greater ==
              codelength::welch_t_test(negated, negated_reference).p_value_greater);
        const double weakest = r.per_score[k - 1].test.p_value_greater;
        INFO("combined p " << r.combined->test.p_value_greater << " t " << r.combined->test.t_statistic
                           << " weakest p " << weakest);
        CHECK(r.combined->test.p_value_greater < 1e-2);
        combined_wins += r.combined->test.p_value_greater < weakest ? 1 : 0;
        // Reproducible with the seed, different split with another.
        const auto again = codelength::dataset_inference(scores);
        CHECK(again.combined->test.p_value_greater == r.combined->test.p_value_greater);
        const auto other = codelength::dataset_inference(scores, {.seed = 5, .ridge = 1e-3});
        CHECK(other.combined->test.p_value_greater != r.combined->test.p_value_greater);
    }
    CHECK(combined_wins == datasets);

    // No shift: the combined p-value is about uniform (at most alpha + 3 se below 0.05).
    int small = 0;
    const int trials = 300;
    for (int trial = 0; trial < trials; ++trial) {
        std::vector<std::vector<double>> suspect(3);
        std::vector<std::vector<double>> reference(3);
        std::vector<codelength::dataset_inference_score> scores;
        for (std::size_t s = 0; s < 3; ++s) {
            suspect[s] = normal_scores(engine, 40, 0.0);
            reference[s] = normal_scores(engine, 40, 0.0);
        }
        for (std::size_t s = 0; s < 3; ++s) {
            scores.push_back({"s", score_direction::higher_is_member, suspect[s], reference[s]});
        }
        small += codelength::dataset_inference(scores).combined->test.p_value_greater < 0.05 ? 1 : 0;
    }
    CHECK(static_cast<double>(small) / trials < 0.05 + 3.0 * std::sqrt(0.05 * 0.95 / trials));

    // A constant score gets weight 0; one score gives no combined test.
    const std::vector<double> constant(10, 1.0);
    const std::vector<double> varying{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    const std::vector<double> varying_reference{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const std::vector<codelength::dataset_inference_score> with_constant{
        {"constant", score_direction::higher_is_member, constant, constant},
        {"varying", score_direction::higher_is_member, varying, varying_reference}};
    const auto c = codelength::dataset_inference(with_constant);
    CHECK(c.per_score[0].test.p_value_greater == 0.5);
    CHECK(c.combined->weights[0] == 0.0);
    CHECK(codelength::dataset_inference(std::vector<codelength::dataset_inference_score>{with_constant[1]})
              .combined.has_value() == false);
}

TEST_CASE("membership: bad input is refused with a message", "[metrics][membership]") {
    const std::vector<double> some{1, 2, 3};
    const std::vector<double> none;
    const std::vector<double> with_nan{1, 2, std::nan(""), 4};
    const auto up = score_direction::higher_is_member;
    CHECK_THROWS_WITH(codelength::auroc(none, some, up), Catch::Contains("no member scores"));
    CHECK_THROWS_WITH(codelength::auroc(some, none, up), Catch::Contains("no non-member scores"));
    CHECK_THROWS_WITH(codelength::auroc(with_nan, some, up), Catch::Contains("member score 2 is nan"));
    CHECK_THROWS_WITH(codelength::tpr_at_fpr(some, with_nan, up, 0.05),
                      Catch::Contains("non-member score 2"));
    CHECK_THROWS_WITH(codelength::tpr_at_fpr(some, some, up, 0.0), Catch::Contains("must be in (0, 1)"));
    CHECK_THROWS_AS(codelength::tpr_at_fpr(some, some, up, 1.0), codelength::invalid_argument_error);
    CHECK_THROWS_AS(codelength::tpr_at_fpr(some, some, up, std::nan("")), codelength::invalid_argument_error);
    codelength::membership_options options;
    options.target_fprs = {0.01, 1.5};
    CHECK_THROWS_AS(codelength::evaluate_membership(some, some, up, options),
                    codelength::invalid_argument_error);
    options.target_fprs = {0.01};
    options.bootstrap.resamples = 0;
    CHECK_THROWS_AS(codelength::evaluate_membership(some, some, up, options),
                    codelength::invalid_argument_error);
    CHECK_THROWS_WITH(codelength::conformal_calibration(none, up),
                      Catch::Contains("no reference non-member scores"));
    const codelength::conformal_calibration calibration(some, up);
    CHECK_THROWS_WITH(calibration.p_values(with_nan), Catch::Contains("suspect score 2 is NaN"));
    CHECK_THROWS_AS(calibration.threshold(-0.1), codelength::invalid_argument_error);
    const std::vector<double> with_inf{1, 2, 3, -infinity};
    CHECK_THROWS_WITH(codelength::dataset_inference(std::vector<codelength::dataset_inference_score>{
                          {"bpb", score_direction::lower_is_member, some, with_inf}}),
                      Catch::Contains("reference non-member score 3 is -inf"));
    const std::vector<double> four{1, 2, 3, 4};
    CHECK_THROWS_WITH(codelength::dataset_inference(std::vector<codelength::dataset_inference_score>{
                          {"a", up, four, four}, {"b", up, some, four}}),
                      Catch::Contains("score b has 3 suspect"));
    CHECK_THROWS_WITH(codelength::dataset_inference(std::vector<codelength::dataset_inference_score>{
                          {"a", up, some, some}, {"b", up, some, some}}),
                      Catch::Contains("at least 4"));
}
