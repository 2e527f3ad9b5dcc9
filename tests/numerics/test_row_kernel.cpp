// The fused row kernel against hand-computed values and a straightforward long-double
// reference, for every element type, layout and kernel, on every kernel path of codelength::dispatch
// this machine runs (support/kernel_paths.hpp); invalid rows and targets.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "codelength/numerics/numerics.hpp"
#include "support/catch.hpp"
#include "support/kernel_paths.hpp"
#include "support/rows.hpp"
#if defined(CODELENGTH_USE_XSIMD)
#include "codelength/numerics/row_kernel_simd.hpp" // this unit's target's kernel, tested directly
#endif

namespace {

using codelength::bfloat16;
using codelength::float16;
using codelength::kernel_choice;
using codelength::row_statistics;
using codelength::strided_row;
using test_support::from_double;

constexpr double infinity = std::numeric_limits<double>::infinity();

// Straightforward reference: two passes in long double over the widened inputs.
struct reference_statistics {
    long double log_sum_exp = 0;
    long double target_log_probability = 0;
    long double entropy = 0;
    long double variance = 0;
    std::int64_t rank = 0;
};

template <class Element>
reference_statistics reference(const std::vector<Element>& row, std::int64_t target) {
    std::vector<long double> z;
    z.reserve(row.size());
    for (const auto e : row) {
        z.push_back(static_cast<long double>(codelength::widen(e)));
    }
    const long double m = *std::max_element(z.begin(), z.end());
    long double sum = 0;
    for (const auto v : z) {
        sum += std::exp(v - m);
    }
    reference_statistics r;
    r.log_sum_exp = m + std::log(sum);
    long double mean = 0;
    long double second = 0;
    for (const auto v : z) {
        if (v == -std::numeric_limits<long double>::infinity()) {
            continue;
        }
        const long double log_p = v - r.log_sum_exp;
        const long double p = std::exp(log_p);
        mean += p * log_p;
        second += p * log_p * log_p;
    }
    r.entropy = -mean;
    r.variance = second - mean * mean;
    const auto t = static_cast<std::size_t>(target);
    r.target_log_probability = z[t] - r.log_sum_exp;
    for (std::size_t i = 0; i < z.size(); ++i) {
        r.rank += (z[i] > z[t] || (z[i] == z[t] && i < t)) ? 1 : 0;
    }
    return r;
}

template <class Element>
strided_row<Element> contiguous(const std::vector<Element>& row) {
    return strided_row<Element>{row.data(), static_cast<std::int64_t>(row.size()), 1};
}

// Tolerances of the documented accuracy: per-token surprisal within 1e-6 bits for float and
// 16-bit inputs, 1e-12 relative (to max(1, |s|)) for double inputs.
template <class Element>
double surprisal_tolerance_bits(double reference_bits) {
    if constexpr (std::is_same_v<Element, double>) {
        return 1e-12 * std::max(1.0, std::abs(reference_bits));
    } else {
        return 1e-6;
    }
}

template <class Element>
double moment_tolerance(double reference_value) {
    const double relative = std::is_same_v<Element, double> ? 1e-11 : 2e-6;
    return relative * std::max(1.0, std::abs(reference_value));
}

template <class Element>
void check_against_reference(const std::vector<Element>& row, std::int64_t target, kernel_choice kernel,
                             std::int64_t stride = 1) {
    std::vector<Element> spread;
    strided_row<Element> view = contiguous(row);
    if (stride != 1) { // the same values, `stride` elements apart
        spread.assign(row.size() * static_cast<std::size_t>(stride), from_double<Element>(0.0));
        for (std::size_t i = 0; i < row.size(); ++i) {
            spread[i * static_cast<std::size_t>(stride)] = row[i];
        }
        view = strided_row<Element>{spread.data(), static_cast<std::int64_t>(row.size()), stride};
    }
    const auto expected = reference(row, target);
    const auto got = codelength::compute_row_statistics(view, target, 0, kernel);
    const auto expected_bits =
        static_cast<double>(-expected.target_log_probability) * codelength::bits_per_nat;
    INFO("V = " << row.size() << ", target = " << target << ", stride = " << stride);
    REQUIRE(got.target == target);
    if (std::isinf(expected_bits)) {
        CHECK(got.target_is_impossible());
        CHECK(got.target_surprisal_bits() == infinity);
    } else {
        CHECK(std::abs(got.target_surprisal_bits() - expected_bits) <=
              surprisal_tolerance_bits<Element>(expected_bits));
    }
    CHECK(std::abs(got.log_sum_exp_nats - static_cast<double>(expected.log_sum_exp)) <=
          moment_tolerance<Element>(static_cast<double>(expected.log_sum_exp)));
    CHECK(std::abs(got.entropy_nats - static_cast<double>(expected.entropy)) <=
          moment_tolerance<Element>(static_cast<double>(expected.entropy)));
    CHECK(std::abs(got.log_probability_variance_nats2 - static_cast<double>(expected.variance)) <=
          10 * moment_tolerance<Element>(static_cast<double>(expected.variance)));
    CHECK(got.target_rank == expected.rank);
}

template <class Element>
std::vector<Element> random_row(std::mt19937_64& generator, std::int64_t vocabulary, int shape) {
    std::vector<Element> row(static_cast<std::size_t>(vocabulary));
    std::normal_distribution<double> normal(0.0, shape == 0 ? 0.1 : shape == 1 ? 3.0 : 10.0);
    for (auto& v : row) {
        v = from_double<Element>(normal(generator));
    }
    if (shape == 3) { // peaked: one logit far above the rest, as in confident predictions
        row[static_cast<std::size_t>(generator() % static_cast<std::uint64_t>(vocabulary))] =
            from_double<Element>(25.0);
    }
    if (shape == 4) { // masked vocabulary: a third of the entries are -inf
        for (std::size_t i = 0; i < row.size(); i += 3) {
            row[i] = from_double<Element>(-infinity);
        }
    }
    return row;
}

} // namespace

TEST_CASE("row statistics of a three-symbol row, by hand", "[numerics]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    // z = (1, 2, 3): S = e + e^2 + e^3, lse = 3 + ln(1 + e^-1 + e^-2) = 3.40760596444438.
    const std::vector<float> z{1.0F, 2.0F, 3.0F};
    for (const auto kernel : {kernel_choice::scalar, kernel_choice::simd}) {
        const auto s = codelength::compute_row_statistics(contiguous(z), 1, 7, kernel);
        CHECK(s.log_sum_exp_nats == Catch::Approx(3.40760596444438).epsilon(1e-12));
        CHECK(s.target_surprisal_bits() == Catch::Approx(2.0307461444296337).epsilon(1e-9));
        CHECK(s.entropy_nats == Catch::Approx(0.8323955818399389).epsilon(1e-7));
        CHECK(s.log_probability_variance_nats2 == Catch::Approx(0.42440454468925437).epsilon(1e-6));
        CHECK(s.log_probability_mean_nats() == Catch::Approx(-0.8323955818399389).epsilon(1e-7));
        CHECK(s.target_rank == 1);
        CHECK(s.max_logit == 3.0);
    }
}

TEST_CASE("a uniform row has entropy ln V, zero variance and surprisal log2 V", "[numerics]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    for (const std::int64_t vocabulary : {2, 17, 4096, 151936}) {
        const std::vector<float> z(static_cast<std::size_t>(vocabulary), 0.5F);
        for (const auto kernel : {kernel_choice::scalar, kernel_choice::simd}) {
            const auto s = codelength::compute_row_statistics(contiguous(z), vocabulary - 1, 0, kernel);
            const double log_v = std::log(static_cast<double>(vocabulary));
            CHECK(std::abs(s.entropy_nats - log_v) < 1e-6);
            CHECK(std::abs(s.log_probability_variance_nats2) < 1e-6);
            CHECK(std::abs(s.target_surprisal_bits() - std::log2(static_cast<double>(vocabulary))) < 1e-6);
            CHECK(s.target_rank == vocabulary - 1); // ties rank by index, as argmax does
        }
    }
}

TEMPLATE_TEST_CASE("row kernel matches the long-double reference", "[numerics]", float, double, bfloat16,
                   float16) {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::uint64_t seed = 20261128;
    INFO("seed " << seed);
    std::mt19937_64 generator(seed);
    const std::vector<std::int64_t> vocabularies{2,    3,    7,    15,   16,    17,    31,     33,    100,
                                                 1000, 4095, 4096, 4097, 32000, 65537, 151936, 262144};
    for (const auto vocabulary : vocabularies) {
        for (int shape = 0; shape < 5; ++shape) {
            auto row = random_row<TestType>(generator, vocabulary, shape);
            if (shape == 4 && vocabulary <= 3) {
                continue; // would mask every entry but one; covered by the -inf cases below
            }
            std::int64_t target =
                static_cast<std::int64_t>(generator() % static_cast<std::uint64_t>(vocabulary));
            if (shape == 4 && target % 3 == 0) {
                target = (target + 1) % vocabulary; // keep the target finite here
            }
            for (const auto kernel : {kernel_choice::scalar, kernel_choice::simd}) {
                check_against_reference(row, target, kernel);
                check_against_reference(row, 0, kernel);
                check_against_reference(
                    row, vocabulary - 1 - (shape == 4 && (vocabulary - 1) % 3 == 0 ? 1 : 0), kernel);
            }
            if (vocabulary <= 32000) {
                check_against_reference(row, target, kernel_choice::simd, 3); // strided (Fortran-like)
            }
        }
    }
}

TEMPLATE_TEST_CASE("the rank counts every entry above the target across full chunks", "[numerics]", float,
                   double, bfloat16) {
    // The vector paths count per lane and sum the lanes once per chunk: every lane of every
    // whole chunk counts here, before, around and after the target's chunk.
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::int64_t vocabulary = 151936;
    for (const std::int64_t target :
         {std::int64_t{0}, std::int64_t{4095}, std::int64_t{70001}, vocabulary - 1}) {
        std::vector<TestType> above(static_cast<std::size_t>(vocabulary), from_double<TestType>(1.0));
        above[static_cast<std::size_t>(target)] = from_double<TestType>(0.0);
        std::vector<TestType> below(static_cast<std::size_t>(vocabulary), from_double<TestType>(0.0));
        below[static_cast<std::size_t>(target)] = from_double<TestType>(1.0);
        for (const auto kernel : {kernel_choice::scalar, kernel_choice::simd}) {
            INFO("target = " << target);
            CHECK(codelength::compute_row_statistics(contiguous(above), target, 0, kernel).target_rank ==
                  vocabulary - 1);
            CHECK(codelength::compute_row_statistics(contiguous(below), target, 0, kernel).target_rank == 0);
        }
    }
}

TEMPLATE_TEST_CASE("ties rank by first index, at every position around the vector width", "[numerics]", float,
                   double, bfloat16) {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    for (const std::int64_t vocabulary : {5, 40, 100, 5000}) {
        std::vector<TestType> row(static_cast<std::size_t>(vocabulary));
        for (std::int64_t i = 0; i < vocabulary; ++i) {
            row[static_cast<std::size_t>(i)] = from_double<TestType>(static_cast<double>(i % 4)); // many ties
        }
        for (std::int64_t target = 0; target < vocabulary; target += (vocabulary > 100 ? 37 : 1)) {
            const auto expected = reference(row, target).rank;
            for (const auto kernel : {kernel_choice::scalar, kernel_choice::simd}) {
                INFO("V = " << vocabulary << " target = " << target);
                CHECK(codelength::compute_row_statistics(contiguous(row), target, 0, kernel).target_rank ==
                      expected);
            }
        }
    }
}

TEMPLATE_TEST_CASE("invalid rows raise invalid_row_error naming the row and column", "[numerics]", float,
                   double, bfloat16, float16) {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (const std::int64_t vocabulary : {1, 2, 31, 4096, 10000}) {
        for (const std::int64_t position : {std::int64_t{0}, vocabulary / 2, vocabulary - 1}) {
            for (const double bad : {nan, infinity}) {
                std::vector<TestType> row(static_cast<std::size_t>(vocabulary), from_double<TestType>(0.25));
                row[static_cast<std::size_t>(position)] = from_double<TestType>(bad);
                for (const auto kernel : {kernel_choice::scalar, kernel_choice::simd}) {
                    INFO("V = " << vocabulary << " position = " << position << " value = " << bad);
                    try {
                        (void)codelength::compute_row_statistics(contiguous(row), 0, 41, kernel);
                        FAIL("no error");
                    } catch (const codelength::invalid_row_error& e) {
                        CHECK(e.row() == 41);
                        const std::string message = e.what();
                        CHECK(message.find("row 41") != std::string::npos);
                        CHECK(message.find("column " + std::to_string(position)) != std::string::npos);
                        CHECK(message.find(std::isnan(bad) ? "NaN" : "+inf") != std::string::npos);
                    }
                }
            }
        }
    }
}

TEMPLATE_TEST_CASE("infinite logits: all -inf is invalid, a -inf target has infinite surprisal", "[numerics]",
                   float, double, bfloat16, float16) {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (const std::int64_t vocabulary : {1, 3, 4096, 9000}) {
        std::vector<TestType> row(static_cast<std::size_t>(vocabulary), from_double<TestType>(-infinity));
        for (const auto kernel : {kernel_choice::scalar, kernel_choice::simd}) {
            REQUIRE_THROWS_AS(codelength::compute_row_statistics(contiguous(row), 0, 0, kernel),
                              codelength::invalid_row_error);
        }
        if (vocabulary < 3) {
            continue;
        }
        row[1] = from_double<TestType>(2.0);
        for (const auto kernel : {kernel_choice::scalar, kernel_choice::simd}) {
            const auto s = codelength::compute_row_statistics(contiguous(row), 0, 0, kernel);
            CHECK(s.target_is_impossible());
            CHECK(s.target_surprisal_bits() == infinity);
            CHECK(s.entropy_nats == Catch::Approx(0.0).margin(1e-12)); // one-hot: no NaN from -inf * 0
            CHECK(std::abs(s.log_probability_variance_nats2) < 1e-12);
            CHECK(s.target_rank == 1);
            const auto one = codelength::compute_row_statistics(contiguous(row), 1, 0, kernel);
            CHECK(one.target_surprisal_bits() == Catch::Approx(0.0).margin(1e-12));
            CHECK_FALSE(one.target_is_impossible());
        }
        // A NaN hidden in a stretch of -inf is still found.
        row[static_cast<std::size_t>(vocabulary - 1)] = from_double<TestType>(nan);
        for (const auto kernel : {kernel_choice::scalar, kernel_choice::simd}) {
            REQUIRE_THROWS_AS(codelength::compute_row_statistics(contiguous(row), 1, 0, kernel),
                              codelength::invalid_row_error);
        }
    }
}

TEST_CASE("targets: out of range raises, negative is ignored, empty rows are invalid", "[numerics]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::vector<float> z{0.0F, 1.0F, 2.0F};
    for (const auto kernel : {kernel_choice::scalar, kernel_choice::simd}) {
        try {
            (void)codelength::compute_row_statistics(contiguous(z), 3, 12, kernel);
            FAIL("no error");
        } catch (const codelength::target_out_of_range_error& e) {
            CHECK(e.row() == 12);
            CHECK(std::string(e.what()).find("target 3") != std::string::npos);
        }
        const auto ignored = codelength::compute_row_statistics(contiguous(z), -100, 0, kernel);
        CHECK_FALSE(ignored.is_scored());
        CHECK(std::isnan(ignored.target_log_probability_nats));
        CHECK(ignored.target_rank == -1);
        CHECK(ignored.entropy_nats > 0.0); // the row's own statistics are still there
    }
    REQUIRE_THROWS_AS(codelength::compute_row_statistics(strided_row<float>{z.data(), 0, 1}, 0),
                      codelength::invalid_row_error);
}

TEST_CASE("evaluate_rows: threads, strides and ignore_index give the same answers", "[numerics]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::int64_t rows = 257;
    const std::int64_t vocabulary = 1000;
    std::mt19937_64 generator(7);
    std::normal_distribution<float> normal(0.0F, 2.0F);
    std::vector<float> c_order(static_cast<std::size_t>(rows * vocabulary));
    for (auto& v : c_order) {
        v = normal(generator);
    }
    const auto fortran_order = test_support::column_major_copy(c_order, rows, vocabulary);
    std::vector<std::int64_t> targets(static_cast<std::size_t>(rows));
    for (std::int64_t r = 0; r < rows; ++r) {
        targets[static_cast<std::size_t>(r)] = r % 10 == 0 ? -100 : (r * 31) % vocabulary;
    }
    const auto c_view = codelength::matrix_view<float>::row_major(c_order.data(), rows, vocabulary);
    const codelength::matrix_view<float> f_view{fortran_order.data(), rows, vocabulary, 1, rows};
    std::vector<row_statistics> one(static_cast<std::size_t>(rows));
    std::vector<row_statistics> two(one.size());
    std::vector<row_statistics> strided(one.size());
    codelength::evaluate_rows(c_view, targets, one, {.threads = 1});
    codelength::evaluate_rows(c_view, targets, two, {.threads = 2});
    codelength::evaluate_rows(f_view, targets, strided, {.threads = 3});
    for (std::size_t r = 0; r < one.size(); ++r) {
        CHECK(one[r].is_scored() == (targets[r] >= 0));
        CHECK(one[r].target_log_probability_nats == two[r].target_log_probability_nats); // identical per row
        if (one[r].is_scored()) {
            CHECK(std::abs(one[r].target_log_probability_nats - strided[r].target_log_probability_nats) <
                  1e-6);
            CHECK(one[r].target_rank == strided[r].target_rank);
        }
    }
    // An error in a worker thread reaches the caller, naming the absolute row.
    c_order[static_cast<std::size_t>(201 * vocabulary + 5)] = std::numeric_limits<float>::quiet_NaN();
    try {
        codelength::evaluate_rows(c_view, targets, one, {.threads = 2}, 1000);
        FAIL("no error");
    } catch (const codelength::invalid_row_error& e) {
        CHECK(e.row() == 1201);
    }
    // Rows whose target is ignored are not evaluated, so a NaN there is not an error.
    c_order[static_cast<std::size_t>(201 * vocabulary + 5)] = 0.0F;
    c_order[static_cast<std::size_t>(200 * vocabulary + 5)] = std::numeric_limits<float>::quiet_NaN();
    REQUIRE(targets[200] < 0);
    codelength::evaluate_rows(c_view, targets, one, {.threads = 2});
    std::vector<std::int64_t> short_targets(3);
    REQUIRE_THROWS_AS(codelength::evaluate_rows(c_view, short_targets, one),
                      codelength::invalid_argument_error);
}

TEST_CASE("the total over 10^7 float32 tokens is within 1e-7 relative of the reference", "[numerics][slow]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    // 10^5 distinct rows, each scored against 100 targets: the kernel runs 10^7 times, and any
    // systematic error of its exp or its sums accumulates in the total.
    const std::uint64_t seed = 99;
    INFO("seed " << seed);
    std::mt19937_64 generator(seed);
    const std::int64_t vocabulary = 64;
    const std::int64_t distinct_rows = 100000;
    const std::int64_t targets_per_row = 100;
    std::vector<float> row(static_cast<std::size_t>(vocabulary));
    long double reference_total = 0;
    codelength::detail::compensated_sum kernel_total;
    std::normal_distribution<float> normal(0.0F, 1.0F);
    for (std::int64_t r = 0; r < distinct_rows; ++r) {
        const float scale = (r % 3 == 0) ? 8.0F : (r % 3 == 1 ? 2.0F : 0.5F); // peaked to flat rows
        for (auto& v : row) {
            v = scale * normal(generator);
        }
        const long double m = static_cast<long double>(*std::max_element(row.begin(), row.end()));
        long double sum = 0;
        for (const auto v : row) {
            sum += std::exp(static_cast<long double>(v) - m);
        }
        const long double log_sum_exp = m + std::log(sum);
        for (std::int64_t k = 0; k < targets_per_row; ++k) {
            const auto target = (r + k * 13) % vocabulary;
            reference_total += log_sum_exp - static_cast<long double>(row[static_cast<std::size_t>(target)]);
            kernel_total.add(
                -codelength::compute_row_statistics(contiguous(row), target).target_log_probability_nats);
        }
    }
    const double relative = std::abs(kernel_total.value() - static_cast<double>(reference_total)) /
                            static_cast<double>(reference_total);
    INFO("relative error " << relative);
    CHECK(relative < 1e-7);
}

#if defined(CODELENGTH_USE_XSIMD)
namespace {

// Pass 2 of one chunk both ways, its exp in a loop of its own and in the sums loop: the same
// double sums, bit for bit (NaN for NaN).
template <bool Clamp, class Float>
void check_both_loop_structures(const std::vector<Float>& chunk, Float max_logit) {
    const auto n = static_cast<std::int64_t>(chunk.size());
    const auto staged = codelength::detail::moments_of_chunk<Clamp, Float, true>(chunk.data(), n, max_logit);
    const auto single = codelength::detail::moments_of_chunk<Clamp, Float, false>(chunk.data(), n, max_logit);
    INFO("n = " << n << ", clamp " << Clamp << ", sums " << staged.sum << " / " << single.sum);
    CHECK(std::memcmp(&staged, &single, sizeof staged) == 0);
}

template <class Float>
void check_loop_structures_on_random_chunks() {
    std::mt19937 generator(20261207);
    std::normal_distribution<Float> normal(Float(0), Float(4));
    const std::int64_t largest = codelength::detail::simd_chunk_elements<Float>;
    for (const std::int64_t n :
         {std::int64_t{1}, std::int64_t{3}, std::int64_t{8}, std::int64_t{17}, std::int64_t{63},
          std::int64_t{100}, std::int64_t{1000}, largest - 5, largest}) {
        std::vector<Float> chunk(static_cast<std::size_t>(n));
        for (auto& v : chunk) {
            v = normal(generator);
        }
        const Float max_logit = *std::max_element(chunk.begin(), chunk.end());
        check_both_loop_structures<false>(chunk, max_logit);
        check_both_loop_structures<true>(chunk, max_logit);
        // Entries below the clamp's floor and -inf contribute 0 in both.
        for (std::size_t i = 0; i < chunk.size(); i += 5) {
            chunk[i] = i % 10 == 0 ? -std::numeric_limits<Float>::infinity() : max_logit - Float(900);
        }
        check_both_loop_structures<true>(chunk, max_logit);
        if (n > 2) { // a NaN poisons both
            chunk[static_cast<std::size_t>(n / 2)] = std::numeric_limits<Float>::quiet_NaN();
            const auto staged =
                codelength::detail::moments_of_chunk<true, Float, true>(chunk.data(), n, max_logit);
            const auto single =
                codelength::detail::moments_of_chunk<true, Float, false>(chunk.data(), n, max_logit);
            CHECK((std::isnan(staged.sum_d) && std::isnan(single.sum_d)));
        }
    }
}

} // namespace

TEST_CASE("pass 2 gives the same sums with its exp in a loop of its own or not", "[numerics]") {
    check_loop_structures_on_random_chunks<float>();
    check_loop_structures_on_random_chunks<double>();
}
#endif
