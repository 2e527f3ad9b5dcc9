// Run-time dispatch (numerics/dispatch.hpp): every path this machine runs against the scalar
// path. The quantizer, the CRC and the errors are identical on every path; the row kernel's
// statistics agree within the documented tolerance:
//   surprisal and log-sum-exp   |difference| <= 1e-6 bits (both infinite or both finite)
//   entropy                      |difference| <= 1e-6 bits x max(1, H in bits)
//   variance of log p            |difference| <= 1e-5 nats^2 x max(1, variance)
//   maximum logit, target rank   exactly equal
// Double rows are held to 1e-12 relative (1e-11 for the variance) instead: their paths all
// compute in double (measured on an AVX-512 EPYC: about 5e-15 bits apart; float, bfloat16 and
// float16 rows at most 9e-8 bits apart in surprisal and 6.2e-7 bits in entropy).
// Choosing a path by name, and what happens for a path the machine lacks.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "codelength/coding/checksum.hpp"
#include "codelength/coding/quantize.hpp"
#include "codelength/metrics/score.hpp"
#include "codelength/numerics/numerics.hpp"
#include "support/catch.hpp"
#include "support/kernel_paths.hpp"
#include "support/rows.hpp"

#if defined(CODELENGTH_DISPATCH)

namespace {

using codelength::bfloat16;
using codelength::float16;
using codelength::instruction_set;
using codelength::instruction_set_name;
using codelength::kernel_choice;
using codelength::quantized_cdf;
using codelength::scoped_instruction_set;
using codelength::strided_row;
using codelength::symbol_interval;
namespace kernel_abi = codelength::kernel_abi;
using test_support::from_double;
using test_support::spread;

constexpr double infinity = std::numeric_limits<double>::infinity();

// The documented tolerances between paths (see the top of this file).
constexpr double surprisal_tolerance_bits = 1e-6;
constexpr double entropy_tolerance_bits = 1e-6;
constexpr double variance_tolerance_nats2 = 1e-5;

// The largest finite value of the element type (as a double).
template <class Element>
double largest_finite() {
    if constexpr (std::is_same_v<Element, float16>) {
        return 65504.0;
    } else if constexpr (std::is_same_v<Element, bfloat16>) {
        return 3.3895313892515355e38; // 0x7f7f
    } else {
        return static_cast<double>(std::numeric_limits<Element>::max());
    }
}

template <class Element>
strided_row<Element> view_of(const std::vector<Element>& storage, std::int64_t size, std::int64_t stride) {
    return strided_row<Element>{storage.data(), size, stride};
}

std::vector<instruction_set> available_paths() {
    return test_support::available_kernel_paths();
}

const kernel_abi::kernel_table& table_of(instruction_set isa) {
    const kernel_abi::kernel_table* table = kernel_abi::kernels_for(isa);
    REQUIRE(table != nullptr);
    REQUIRE(table->isa == isa);
    return *table;
}

// Row shapes: 0 normal logits, 1 peaked like a language model's (a confident head over a long
// tail), 2 a quarter of the entries -inf (masked vocabulary), 3 every logit equal (ties).
template <class Element>
std::vector<Element> shaped_row(std::mt19937_64& generator, std::int64_t vocabulary, int shape) {
    std::vector<Element> row(static_cast<std::size_t>(vocabulary));
    std::normal_distribution<double> normal(0.0, 3.0);
    std::normal_distribution<double> tail(-8.0, 2.5);
    std::normal_distribution<double> head(8.0, 2.0);
    for (auto& v : row) {
        v = from_double<Element>(shape == 1 ? tail(generator) : shape == 3 ? 0.5 : normal(generator));
    }
    const auto pick = [&] {
        return static_cast<std::size_t>(generator() % static_cast<std::uint64_t>(vocabulary));
    };
    if (shape == 1) {
        for (int k = 0; k < 10; ++k) {
            row[pick()] = from_double<Element>(head(generator));
        }
        row[pick()] = from_double<Element>(18.0);
    }
    if (shape == 2 && vocabulary > 1) {
        for (std::size_t i = 0; i < row.size(); i += 4) {
            row[i] = from_double<Element>(-infinity);
        }
    }
    return row;
}

// Tolerances for Element: the documented ones, or relative 1e-12 / 1e-11 for double rows.
struct path_tolerance {
    double surprisal_bits; // absolute, or relative to max(1, |surprisal|) when `relative`
    double entropy_bits;   // relative to max(1, H)
    double variance_nats2; // relative to max(1, variance)
    bool relative;
};

template <class Element>
constexpr path_tolerance tolerance_for() {
    if constexpr (std::is_same_v<Element, double>) {
        return path_tolerance{1e-12, 1e-12, 1e-11, true};
    } else {
        return path_tolerance{surprisal_tolerance_bits, entropy_tolerance_bits, variance_tolerance_nats2,
                              false};
    }
}

void check_same_statistics(const kernel_abi::row_statistics_output& got,
                           const kernel_abi::row_statistics_output& scalar, std::int64_t target,
                           const path_tolerance& tolerance) {
    const auto within = [](double a, double b, double bound) { return std::abs(a - b) <= bound; };
    const auto at_least_one = [](double value) { return std::max(1.0, std::abs(value)); };
    const auto surprisal_bound = [&](double bits) {
        return tolerance.surprisal_bits * (tolerance.relative ? at_least_one(bits) : 1.0);
    };
    REQUIRE(got.fault.kind == kernel_abi::fault_kind::none);
    CHECK(got.max_logit == scalar.max_logit);
    const double scalar_lse_bits = scalar.log_sum_exp_nats * codelength::bits_per_nat;
    CHECK(within(got.log_sum_exp_nats * codelength::bits_per_nat, scalar_lse_bits,
                 surprisal_bound(scalar_lse_bits)));
    const double scalar_entropy_bits = scalar.entropy_nats * codelength::bits_per_nat;
    CHECK(within(got.entropy_nats * codelength::bits_per_nat, scalar_entropy_bits,
                 tolerance.entropy_bits * at_least_one(scalar_entropy_bits)));
    CHECK(within(got.log_probability_variance_nats2, scalar.log_probability_variance_nats2,
                 tolerance.variance_nats2 * at_least_one(scalar.log_probability_variance_nats2)));
    CHECK(got.target_rank == scalar.target_rank);
    if (target >= 0) {
        const double got_bits = -got.target_log_probability_nats * codelength::bits_per_nat;
        const double scalar_bits = -scalar.target_log_probability_nats * codelength::bits_per_nat;
        INFO("surprisal " << got_bits << " bits, scalar path " << scalar_bits);
        CHECK(std::isinf(got_bits) == std::isinf(scalar_bits));
        if (std::isinf(scalar_bits)) {
            CHECK(got_bits == scalar_bits);
        } else {
            CHECK(within(got_bits, scalar_bits, surprisal_bound(scalar_bits)));
        }
    }
}

// What an error thrown by `call` says: its dynamic type and its message ("" when none).
struct thrown {
    std::string type;
    std::string message;
    std::int64_t row = -1;
    friend bool operator==(const thrown&, const thrown&) = default;
};

template <class Call>
thrown error_of(Call&& call) {
    try {
        call();
    } catch (const codelength::invalid_row_error& e) {
        return thrown{typeid(e).name(), e.what(), e.row()};
    } catch (const codelength::target_out_of_range_error& e) {
        return thrown{typeid(e).name(), e.what(), e.row()};
    } catch (const codelength::error& e) {
        return thrown{typeid(e).name(), e.what(), -1};
    }
    return thrown{};
}

} // namespace

TEST_CASE("dispatch: the paths, their names, and the active one", "[numerics][dispatch]") {
    CHECK(std::string(instruction_set_name(instruction_set::scalar)) == "scalar");
    CHECK(std::string(instruction_set_name(instruction_set::sse2)) == "sse2");
    CHECK(std::string(instruction_set_name(instruction_set::avx2)) == "avx2");
    CHECK(std::string(instruction_set_name(instruction_set::avx512)) == "avx512");
    CHECK(std::string(instruction_set_name(instruction_set::neon)) == "neon");
    REQUIRE(codelength::instruction_set_available(instruction_set::scalar));
    instruction_set widest = instruction_set::scalar;
    for (const auto isa : codelength::all_instruction_sets) {
        if (codelength::instruction_set_available(isa)) {
            INFO("path " << instruction_set_name(isa) << " is available");
            CHECK(table_of(isa).isa == isa);
            widest = isa;
        } else {
            WARN("the " << instruction_set_name(isa)
                        << " kernels cannot run here: not tested on this machine");
            CHECK(kernel_abi::kernels_for(isa) == nullptr);
        }
    }
    CHECK(codelength::detected_instruction_set() == widest);
#if defined(__x86_64__) || defined(_M_X64)
    CHECK(codelength::instruction_set_available(instruction_set::sse2)); // the x86-64 baseline
    CHECK_FALSE(codelength::instruction_set_available(instruction_set::neon));
#endif
#if defined(__aarch64__)
    CHECK(codelength::instruction_set_available(instruction_set::neon));
    CHECK_FALSE(codelength::instruction_set_available(instruction_set::avx2));
#endif
    CHECK(kernel_abi::active_kernels().isa == codelength::active_instruction_set());
}

TEST_CASE("dispatch: scoped and explicit choices change the active path and are restored",
          "[numerics][dispatch]") {
    const instruction_set before = codelength::active_instruction_set();
    for (const auto isa : available_paths()) {
        INFO("path " << instruction_set_name(isa));
        {
            const scoped_instruction_set scope(isa);
            CHECK(codelength::active_instruction_set() == isa);
            CHECK(kernel_abi::active_kernels().isa == isa);
            {
                const scoped_instruction_set inner(instruction_set::scalar);
                CHECK(codelength::active_instruction_set() == instruction_set::scalar);
            }
            CHECK(codelength::active_instruction_set() == isa);
        }
        CHECK(codelength::active_instruction_set() == before);
    }
    // A path the machine lacks: use_instruction_set throws naming it, and nothing changes.
    for (const auto isa : codelength::all_instruction_sets) {
        if (codelength::instruction_set_available(isa)) {
            continue;
        }
        INFO("unavailable path " << instruction_set_name(isa));
        CHECK_FALSE(codelength::try_use_instruction_set(isa));
        try {
            codelength::use_instruction_set(isa);
            FAIL("no error");
        } catch (const codelength::invalid_argument_error& e) {
            const std::string message = e.what();
            INFO(message);
            CHECK(message.find(std::string("the ") + instruction_set_name(isa) + " kernels") !=
                  std::string::npos);
            CHECK(message.find(instruction_set_name(codelength::detected_instruction_set())) !=
                  std::string::npos);
        }
        CHECK_THROWS_AS(scoped_instruction_set(isa), codelength::invalid_argument_error);
        CHECK(codelength::active_instruction_set() == before);
    }
#if defined(__x86_64__) || defined(_M_X64)
    CHECK_THROWS_WITH(codelength::use_instruction_set(instruction_set::neon), Catch::Contains("neon"));
#endif
    // use_instruction_set lasts beyond a scope; put the original back.
    codelength::use_instruction_set(instruction_set::scalar);
    CHECK(codelength::active_instruction_set() == instruction_set::scalar);
    codelength::use_instruction_set(before);
    CHECK(codelength::active_instruction_set() == before);
}

TEMPLATE_TEST_CASE("dispatch: the row kernel agrees with the scalar path within the tolerance on every path",
                   "[numerics][dispatch]", float, double, bfloat16, float16) {
    const std::uint64_t seed = 20261206;
    INFO("seed " << seed);
    std::mt19937_64 generator(seed);
    const auto index = codelength::detail::kernel_element_index<TestType>();
    const auto& scalar = table_of(instruction_set::scalar);
    const auto paths = available_paths();
    for (const std::int64_t vocabulary : {1, 7, 255, 256, 4097, 32000, 151936}) {
        for (int shape = 0; shape < 4; ++shape) {
            const auto row = shaped_row<TestType>(generator, vocabulary, shape);
            const auto argmax = std::max_element(row.begin(), row.end(),
                                                 [](TestType a, TestType b) {
                                                     return codelength::widen(a) < codelength::widen(b);
                                                 }) -
                                row.begin();
            const std::vector<std::int64_t> targets{
                -1,
                0,
                vocabulary - 1,
                vocabulary / 2,
                argmax,
                static_cast<std::int64_t>(generator() % static_cast<std::uint64_t>(vocabulary))};
            for (const std::int64_t stride : {1, 3}) {
                const auto storage = stride == 1 ? row : spread(row, stride);
                const kernel_abi::row_input input{storage.data(), vocabulary, stride};
                for (const auto target : targets) {
                    kernel_abi::row_statistics_output expected{};
                    scalar.row_statistics[index](input, target, &expected);
                    REQUIRE(expected.fault.kind == kernel_abi::fault_kind::none);
                    for (const auto isa : paths) {
                        INFO("path " << instruction_set_name(isa) << ", V = " << vocabulary << ", shape "
                                     << shape << ", stride " << stride << ", target " << target);
                        kernel_abi::row_statistics_output got{};
                        table_of(isa).row_statistics[index](input, target, &got);
                        check_same_statistics(got, expected, target, tolerance_for<TestType>());
                        // The public entry point with the path active gives the table's numbers.
                        const scoped_instruction_set scope(isa);
                        const auto stats = codelength::compute_row_statistics(
                            view_of(storage, vocabulary, stride), target, 0, kernel_choice::automatic);
                        CHECK(stats.log_sum_exp_nats == got.log_sum_exp_nats);
                        CHECK(stats.target_rank == (target < 0 ? -1 : got.target_rank));
                    }
                }
            }
        }
    }
}

// The SIMD kernels count a chunk's rank in the exp pass, except in the chunk holding the target's
// column and in chunks the exp pass skips (all -inf): whole chunks of -inf, a chunk far below the
// maximum (the clamped exp) and -inf targets, whose ties are the -inf entries before them.
TEMPLATE_TEST_CASE("dispatch: ranks across -inf chunks and clamped chunks equal the definition on every path",
                   "[numerics][dispatch]", float, double, bfloat16, float16) {
    const std::uint64_t seed = 20261207;
    INFO("seed " << seed);
    std::mt19937_64 generator(seed);
    std::normal_distribution<double> normal(0.0, 3.0);
    const std::int64_t vocabulary = 20011;
    std::vector<TestType> row(static_cast<std::size_t>(vocabulary));
    for (std::size_t i = 0; i < row.size(); ++i) {
        const bool masked = (i >= 4096 && i < 8192) || i % 9 == 5;
        const bool far_below = i >= 12288 && i < 16384;
        row[i] = from_double<TestType>(masked ? -infinity : far_below ? -120.0 : normal(generator));
    }
    const auto rank_by_definition = [&](std::int64_t target) {
        const double zt = static_cast<double>(codelength::widen(row[static_cast<std::size_t>(target)]));
        std::int64_t rank = 0;
        for (std::int64_t i = 0; i < vocabulary; ++i) {
            const double z = static_cast<double>(codelength::widen(row[static_cast<std::size_t>(i)]));
            rank += (z > zt || (z == zt && i < target)) ? 1 : 0;
        }
        return rank;
    };
    const auto index = codelength::detail::kernel_element_index<TestType>();
    const auto& scalar = table_of(instruction_set::scalar);
    const kernel_abi::row_input input{row.data(), vocabulary, 1};
    // -inf targets in the -inf chunk, before it and after it (4,096 ties there), a clamped entry,
    // finite ones.
    for (const std::int64_t target :
         {std::int64_t{4096}, std::int64_t{8191}, std::int64_t{14}, std::int64_t{8195}, std::int64_t{13000},
          std::int64_t{0}, vocabulary - 1, std::int64_t{17000}}) {
        kernel_abi::row_statistics_output expected{};
        scalar.row_statistics[index](input, target, &expected);
        REQUIRE(expected.fault.kind == kernel_abi::fault_kind::none);
        CHECK(expected.target_rank == rank_by_definition(target));
        for (const auto isa : available_paths()) {
            INFO("path " << instruction_set_name(isa) << ", target " << target);
            kernel_abi::row_statistics_output got{};
            table_of(isa).row_statistics[index](input, target, &got);
            CHECK(got.target_rank == rank_by_definition(target));
            check_same_statistics(got, expected, target, tolerance_for<TestType>());
        }
    }
}

TEMPLATE_TEST_CASE("dispatch: whole-matrix totals agree within 1e-6 bits per token on every path",
                   "[numerics][dispatch]", float, double, bfloat16, float16) {
    const std::uint64_t seed = 77;
    INFO("seed " << seed);
    std::mt19937_64 generator(seed);
    const std::int64_t rows = 48;
    const std::int64_t vocabulary = 32000;
    std::vector<TestType> c_order;
    c_order.reserve(static_cast<std::size_t>(rows * vocabulary));
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto row = shaped_row<TestType>(generator, vocabulary, static_cast<int>(r % 3));
        c_order.insert(c_order.end(), row.begin(), row.end());
    }
    const auto fortran_order = test_support::column_major_copy(c_order, rows, vocabulary);
    std::vector<std::int64_t> targets(static_cast<std::size_t>(rows));
    for (std::int64_t r = 0; r < rows; ++r) {
        // Every 7th row ignored; shape-2 rows aim at a live (not -inf) entry.
        const auto t = static_cast<std::int64_t>(generator() % static_cast<std::uint64_t>(vocabulary));
        targets[static_cast<std::size_t>(r)] = r % 7 == 3 ? -100 : (r % 3 == 2 ? t | 1 : t);
    }
    const auto c_view = codelength::matrix_view<TestType>::row_major(c_order.data(), rows, vocabulary);
    const codelength::matrix_view<TestType> f_view{fortran_order.data(), rows, vocabulary, 1, rows};

    codelength::score_result scalar_result;
    std::vector<codelength::row_statistics> scalar_rows(static_cast<std::size_t>(rows));
    {
        const scoped_instruction_set scope(instruction_set::scalar);
        scalar_result = codelength::score_logits(c_view, targets);
        codelength::evaluate_rows(c_view, targets, scalar_rows, {.threads = 1});
    }
    const auto tokens = scalar_result.ledger.tokens();
    REQUIRE(tokens > 0);
    REQUIRE(std::isfinite(scalar_result.ledger.total_bits()));
    for (const auto isa : available_paths()) {
        INFO("path " << instruction_set_name(isa));
        const scoped_instruction_set scope(isa);
        for (const auto* view : {&c_view, &f_view}) {
            const auto result = codelength::score_logits(*view, targets, {.threads = 2});
            INFO("column stride " << view->column_stride << ": total " << result.ledger.total_bits()
                                  << " bits, scalar path " << scalar_result.ledger.total_bits());
            CHECK(result.ledger.tokens() == tokens);
            CHECK(std::abs(result.ledger.total_bits() - scalar_result.ledger.total_bits()) <=
                  surprisal_tolerance_bits * static_cast<double>(tokens));
            CHECK(std::abs(result.ledger.mean_entropy_bits().value_or(0.0) -
                           scalar_result.ledger.mean_entropy_bits().value_or(0.0)) <=
                  entropy_tolerance_bits *
                      std::max(1.0, scalar_result.ledger.mean_entropy_bits().value_or(0.0)));
            std::vector<codelength::row_statistics> per_row(static_cast<std::size_t>(rows));
            codelength::evaluate_rows(*view, targets, per_row, {.threads = 2});
            for (std::size_t r = 0; r < per_row.size(); ++r) {
                CHECK(per_row[r].is_scored() == scalar_rows[r].is_scored());
                if (per_row[r].is_scored()) {
                    CHECK(std::abs(per_row[r].target_surprisal_bits() -
                                   scalar_rows[r].target_surprisal_bits()) <= surprisal_tolerance_bits);
                    CHECK(per_row[r].target_rank == scalar_rows[r].target_rank);
                }
            }
        }
    }
}

namespace {

// Rows for the quantizer at precision P: random with -inf entries, ties, huge ranges, a
// one-hot row, and V = 2^P exactly where that is small enough to test.
template <class Element>
std::vector<std::vector<Element>> quantizer_rows(std::mt19937_64& generator, int precision_bits) {
    std::vector<std::vector<Element>> rows;
    std::normal_distribution<double> normal(0.0, 4.0);
    const std::int64_t most = std::int64_t{1} << std::min(precision_bits, 17);
    for (const std::int64_t vocabulary :
         {std::int64_t{1}, std::int64_t{2}, std::int64_t{17}, std::int64_t{255}, std::int64_t{2049},
          std::min<std::int64_t>(4097, most)}) {
        std::vector<Element> random;
        random.push_back(from_double<Element>(0.5)); // one finite entry at least
        while (static_cast<std::int64_t>(random.size()) < vocabulary) {
            random.push_back(from_double<Element>(generator() % 37 == 0 ? -infinity : normal(generator)));
        }
        rows.push_back(random);
    }
    if (precision_bits <= 16) { // V = 2^P: every frequency is 1
        std::vector<Element> full(std::size_t{1} << static_cast<unsigned>(precision_bits));
        for (auto& v : full) {
            v = from_double<Element>(normal(generator));
        }
        rows.push_back(full);
    }
    // Ties: all equal, and a few distinct values repeated around the vector widths.
    rows.emplace_back(std::size_t{1000}, from_double<Element>(-1.25));
    std::vector<Element> repeated(3001);
    for (std::size_t i = 0; i < repeated.size(); ++i) {
        repeated[i] = from_double<Element>(static_cast<double>(i % 4) - 1.0);
    }
    rows.push_back(repeated);
    // Huge ranges: the largest finite values of the type, of both signs, next to ordinary ones.
    const double big = largest_finite<Element>();
    std::vector<Element> huge(2500);
    for (auto& v : huge) {
        const auto choice = generator() % 5;
        v = from_double<Element>(choice == 0   ? big
                                 : choice == 1 ? -big
                                 : choice == 2 ? big / 2
                                 : choice == 3 ? -infinity
                                               : normal(generator));
    }
    rows.push_back(huge);
    // One finite entry among -inf.
    std::vector<Element> one_hot(777, from_double<Element>(-infinity));
    one_hot[400] = from_double<Element>(3.0);
    rows.push_back(one_hot);
    return rows;
}

template <class Element>
std::vector<std::uint32_t> table_cdf(const kernel_abi::kernel_table& table,
                                     const std::vector<Element>& storage, std::int64_t size,
                                     std::int64_t stride, int precision_bits) {
    std::vector<std::uint32_t> cdf(static_cast<std::size_t>(size) + 1);
    kernel_abi::row_fault fault{};
    table.quantized_cdf[codelength::detail::kernel_element_index<Element>()](
        kernel_abi::row_input{storage.data(), size, stride}, precision_bits, cdf.data(), &fault);
    REQUIRE(fault.kind == kernel_abi::fault_kind::none);
    return cdf;
}

} // namespace

TEMPLATE_TEST_CASE("dispatch: the quantizer gives identical integers on every path", "[numerics][dispatch]",
                   float, double, bfloat16, float16) {
    const std::uint64_t seed = 4242;
    INFO("seed " << seed);
    std::mt19937_64 generator(seed);
    const auto index = codelength::detail::kernel_element_index<TestType>();
    const auto& scalar = table_of(instruction_set::scalar);
    const auto paths = available_paths();
    for (const int precision_bits : {12, 16, 24, 31}) {
        for (const auto& row : quantizer_rows<TestType>(generator, precision_bits)) {
            const auto vocabulary = static_cast<std::int64_t>(row.size());
            if (vocabulary > (std::int64_t{1} << precision_bits)) {
                continue;
            }
            for (const std::int64_t stride : {1, 3}) {
                const auto storage = stride == 1 ? row : spread(row, stride);
                const auto view = view_of(storage, vocabulary, stride);
                INFO("P = " << precision_bits << ", V = " << vocabulary << ", stride " << stride);
                // The scalar path, and the headers' own scalar kernel, agree: the reference.
                const auto expected = table_cdf(scalar, storage, vocabulary, stride, precision_bits);
                quantized_cdf header_cdf;
                header_cdf.assign_from_logits(view, precision_bits, 0, kernel_choice::scalar);
                REQUIRE(std::equal(expected.begin(), expected.end(), header_cdf.cdf().begin(),
                                   header_cdf.cdf().end()));
                REQUIRE(expected.back() == std::uint32_t{1} << precision_bits);
                std::vector<std::int64_t> symbols{0, vocabulary - 1};
                for (int k = 0; k < 24; ++k) {
                    symbols.push_back(
                        static_cast<std::int64_t>(generator() % static_cast<std::uint64_t>(vocabulary)));
                }
                std::vector<std::uint32_t> values{0, (std::uint32_t{1} << precision_bits) - 1};
                for (int k = 0; k < 24; ++k) {
                    values.push_back(
                        static_cast<std::uint32_t>(generator() % (std::uint64_t{1} << precision_bits)));
                    const auto s =
                        static_cast<std::size_t>(generator() % static_cast<std::uint64_t>(vocabulary));
                    values.push_back(expected[s]);         // a symbol's first value
                    values.push_back(expected[s + 1] - 1); // and its last
                }
                // Probabilities: softmax of the row (for huge ranges many underflow to 0).
                double top = -infinity;
                for (const auto e : row) {
                    top = std::max(top, static_cast<double>(codelength::widen(e)));
                }
                std::vector<double> probabilities;
                for (const auto e : row) {
                    probabilities.push_back(std::exp(static_cast<double>(codelength::widen(e)) - top));
                }
                const std::vector<float> float_probabilities(probabilities.begin(), probabilities.end());
                quantized_cdf expected_from_probabilities;
                expected_from_probabilities.assign_from_probabilities(
                    std::span<const double>(probabilities), precision_bits, 0, kernel_choice::scalar);
                quantized_cdf expected_from_float_probabilities;
                expected_from_float_probabilities.assign_from_probabilities(
                    std::span<const float>(float_probabilities), precision_bits, 0, kernel_choice::scalar);

                for (const auto isa : paths) {
                    INFO("path " << instruction_set_name(isa));
                    const auto& table = table_of(isa);
                    const auto got = table_cdf(table, storage, vocabulary, stride, precision_bits);
                    REQUIRE(got == expected);
                    for (const auto s : symbols) {
                        kernel_abi::quantize_output out{};
                        table.quantize_symbol[index](
                            kernel_abi::row_input{storage.data(), vocabulary, stride}, s, precision_bits,
                            &out);
                        REQUIRE(out.fault.kind == kernel_abi::fault_kind::none);
                        const auto u = static_cast<std::size_t>(s);
                        REQUIRE(out.cdf_low == expected[u]);
                        REQUIRE(out.frequency == expected[u + 1] - expected[u]);
                    }
                    for (const auto value : values) {
                        kernel_abi::quantize_output out{};
                        table.quantize_find_symbol[index](
                            kernel_abi::row_input{storage.data(), vocabulary, stride}, value, precision_bits,
                            &out);
                        REQUIRE(out.fault.kind == kernel_abi::fault_kind::none);
                        const auto u = static_cast<std::size_t>(out.symbol);
                        REQUIRE(out.symbol == header_cdf.find(value));
                        REQUIRE(out.cdf_low == expected[u]);
                        REQUIRE(out.frequency == expected[u + 1] - expected[u]);
                    }
                    // The public entry points with the path active.
                    const scoped_instruction_set scope(isa);
                    quantized_cdf cdf;
                    cdf.assign_from_logits(view, precision_bits);
                    REQUIRE(std::equal(expected.begin(), expected.end(), cdf.cdf().begin(), cdf.cdf().end()));
                    for (std::size_t k = 0; k < 4; ++k) {
                        REQUIRE(codelength::quantize_symbol(view, symbols[k], precision_bits) ==
                                cdf.interval(symbols[k]));
                        const auto found = codelength::quantize_find_symbol(view, values[k], precision_bits);
                        REQUIRE(found.symbol == cdf.find(values[k]));
                        REQUIRE(found.interval == cdf.interval(found.symbol));
                    }
                    if (stride == 1) {
                        quantized_cdf from_probabilities;
                        from_probabilities.assign_from_probabilities(std::span<const double>(probabilities),
                                                                     precision_bits);
                        REQUIRE(
                            std::ranges::equal(from_probabilities.cdf(), expected_from_probabilities.cdf()));
                        from_probabilities.assign_from_probabilities(
                            std::span<const float>(float_probabilities), precision_bits);
                        REQUIRE(std::ranges::equal(from_probabilities.cdf(),
                                                   expected_from_float_probabilities.cdf()));
                    }
                }
            }
        }
    }
}

TEST_CASE("dispatch: CRC-32C is identical on every path", "[numerics][dispatch]") {
    const std::string known = "123456789";
    std::mt19937_64 generator(5);
    std::vector<unsigned char> bytes(70000);
    for (auto& b : bytes) {
        b = static_cast<unsigned char>(generator());
    }
    for (const auto isa : available_paths()) {
        INFO("path " << instruction_set_name(isa));
        const auto& table = table_of(isa);
        const auto* text = reinterpret_cast<const unsigned char*>(known.data());
        CHECK(~table.crc32c_advance(~std::uint32_t{0}, text, known.size()) == 0xE3069283U);
        const scoped_instruction_set scope(isa);
        CHECK(codelength::crc32c(std::as_bytes(std::span(known.data(), known.size()))) == 0xE3069283U);
        for (int trial = 0; trial < 200; ++trial) {
            // Random lengths (0 to 66,000) at random, unaligned offsets.
            const auto offset = static_cast<std::size_t>(generator() % 64);
            const auto length =
                static_cast<std::size_t>(trial < 40 ? trial : static_cast<int>(generator() % 66000));
            const std::span<const unsigned char> part(bytes.data() + offset, length);
            const auto expected = codelength::crc32c_portable(std::as_bytes(part));
            REQUIRE(codelength::crc32c(std::as_bytes(part)) == expected);
            REQUIRE(~table.crc32c_advance(~std::uint32_t{0}, part.data(), part.size()) == expected);
            // Resuming: crc32c(a ++ b) == crc32c(b, crc32c(a)).
            const std::size_t cut = length / 3;
            REQUIRE(codelength::crc32c(std::as_bytes(part.subspan(cut)),
                                       codelength::crc32c(std::as_bytes(part.first(cut)))) == expected);
        }
    }
}

TEMPLATE_TEST_CASE("dispatch: invalid rows give the same error, naming row and column, on every path",
                   "[numerics][dispatch]", float, double, bfloat16, float16) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const auto paths = available_paths();
    struct bad_row {
        std::vector<TestType> values;
        std::int64_t column; // -1: every logit -inf
        const char* says;
    };
    std::vector<bad_row> cases;
    for (const std::int64_t vocabulary : {1, 31, 4097}) {
        for (const std::int64_t column : {std::int64_t{0}, vocabulary / 2, vocabulary - 1}) {
            for (const double bad : {nan, infinity}) {
                std::vector<TestType> row(static_cast<std::size_t>(vocabulary), from_double<TestType>(0.25));
                row[static_cast<std::size_t>(column)] = from_double<TestType>(bad);
                cases.push_back({row, column, std::isnan(bad) ? "NaN" : "+inf"});
            }
        }
        // A NaN behind a stretch of -inf, and a row of -inf only.
        std::vector<TestType> masked(static_cast<std::size_t>(vocabulary), from_double<TestType>(-infinity));
        cases.push_back({masked, -1, "-inf"});
        masked[static_cast<std::size_t>(vocabulary - 1)] = from_double<TestType>(nan);
        cases.push_back({masked, vocabulary - 1, "NaN"});
    }
    const std::int64_t row_index = 41;
    for (const auto& c : cases) {
        const auto view = view_of(c.values, static_cast<std::int64_t>(c.values.size()), 1);
        const auto vocabulary = view.size;
        INFO("V = " << vocabulary << ", column " << c.column << ", " << c.says);
        const std::vector<std::pair<const char*, std::function<void()>>> calls{
            {"compute_row_statistics", [&] { (void)codelength::compute_row_statistics(view, 0, row_index); }},
            {"quantize_symbol",
             [&] { (void)codelength::quantize_symbol(view, vocabulary - 1, 24, row_index); }},
            {"quantize_find_symbol",
             [&] { (void)codelength::quantize_find_symbol(view, 12345, 24, row_index); }},
            {"assign_from_logits", [&] { quantized_cdf{}.assign_from_logits(view, 24, row_index); }},
        };
        for (const auto& [name, call] : calls) {
            INFO(name);
            thrown expected;
            {
                const scoped_instruction_set scope(instruction_set::scalar);
                expected = error_of(call);
            }
            INFO("scalar path: " << expected.message);
            REQUIRE(expected.type == typeid(codelength::invalid_row_error).name());
            CHECK(expected.row == row_index);
            CHECK(expected.message.find("row 41") != std::string::npos);
            CHECK(expected.message.find(c.says) != std::string::npos);
            if (c.column >= 0) {
                CHECK(expected.message.find("column " + std::to_string(c.column)) != std::string::npos);
            }
            for (const auto isa : paths) {
                INFO("path " << instruction_set_name(isa));
                const scoped_instruction_set scope(isa);
                CHECK(error_of(call) == expected);
            }
        }
    }
    // A target or symbol outside the row: target_out_of_range_error on every path.
    const std::vector<TestType> row(100, from_double<TestType>(1.0));
    const auto view = view_of(row, 100, 1);
    for (const auto isa : paths) {
        INFO("path " << instruction_set_name(isa));
        const scoped_instruction_set scope(isa);
        for (const std::int64_t outside : {std::int64_t{100}, std::int64_t{1} << 40}) {
            const auto statistics_error =
                error_of([&] { (void)codelength::compute_row_statistics(view, outside, 7); });
            CHECK(statistics_error.type == typeid(codelength::target_out_of_range_error).name());
            CHECK(statistics_error.row == 7);
            CHECK(statistics_error.message.find("target " + std::to_string(outside)) != std::string::npos);
            const auto quantizer_error =
                error_of([&] { (void)codelength::quantize_symbol(view, outside, 24, 7); });
            CHECK(quantizer_error.type == typeid(codelength::target_out_of_range_error).name());
            CHECK(quantizer_error.row == 7);
        }
        CHECK_THROWS_AS(codelength::quantize_symbol(view, -1, 24, 7), codelength::target_out_of_range_error);
    }
}

#endif // CODELENGTH_DISPATCH
