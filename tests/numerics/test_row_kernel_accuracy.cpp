// The row kernel's documented accuracy on LLM-like rows (README, "The row kernel: accuracy and
// speed"): per-token surprisal within the derived bound below, for vocabularies of real
// tokenizers (GPT-2's 50,257, Llama 3's 128,256), logits of standard deviation 2 to 6 and
// heavy-tailed or peaked rows, in float32, bfloat16 and float16.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "codelength/numerics/compensated_sum.hpp"
#include "codelength/numerics/numerics.hpp"
#include "support/catch.hpp"
#if defined(CODELENGTH_USE_XSIMD)
#include "codelength/numerics/simd_exp.hpp" // the exp of this unit's target, tested directly
#endif

namespace {

using codelength::bfloat16;
using codelength::float16;

constexpr double unit_roundoff_float = 0x1p-24;
// Largest relative error of detail::simd_exp_nonpositive over every float d in [-86, 0]
// (measured exhaustively: 1.678e-7) once the bias of ln2f below is taken out; checked on a
// sample by the test "simd exp ..." below.
constexpr double exp_polynomial_error = 1.68e-7;
// float(ln 2) - ln 2: the reduction d - k ln2f scales exp(d) by exp(|k| * this), k = round(d / ln 2).
constexpr double ln2f_excess = 0.693147182464599609375 - 0.69314718055994530942;
// Largest total relative error of one exp term, any k >= -124 (measured with the above: 3.974e-7).
constexpr double exp_total_error = 3.98e-7;

// The derived bound, in bits, on |surprisal - exact surprisal| for float/16-bit rows of V entries.
// Surprisal = (max - z_t + ln S) / ln 2 with S = sum_i exp(z_i - max); max, z_t and z_i - max
// are exact, so the error is that of ln S, i.e. the relative error of S divided by ln 2:
//  - exp: each term's error is <= exp_polynomial_error + ln2f_excess |k_i| (and <= exp_total_error);
//    weighted by p_i = e_i / S, E_p[|k|] <= E_p[-d] / ln 2 + 1/2 = (H - ln S) / ln 2 + 1/2
//    <= log2 V + 1/2, as the entropy H <= ln V and S >= 1;
//  - the float sum of e: pairwise within a step of four vectors, gamma_2 = 2u / (1 - 2u) for
//    nonnegative terms; the step sums are compensated (TwoSum): about steps^2 u^2 < 3e-10 with
//    up to 258 steps of 4-lane vectors per chunk (66 with AVX-512);
//  - double arithmetic afterwards (lane and chunk sums, rescaling, log): < 1e-13.
double surprisal_bound_bits(std::int64_t vocabulary) {
    const double exp_error =
        std::min(exp_total_error,
                 exp_polynomial_error + ln2f_excess * (std::log2(static_cast<double>(vocabulary)) + 0.5));
    const double gamma_2 = 2 * unit_roundoff_float / (1 - 2 * unit_roundoff_float);
    const double relative = exp_error + gamma_2 + 3e-10 + 1e-13;
    return -std::log1p(-relative) / std::log(2.0);
}

template <class Element>
Element from_double(double value) {
    if constexpr (std::is_same_v<Element, float>) {
        return static_cast<float>(value);
    } else {
        return Element::from_float(static_cast<float>(value));
    }
}

template <class Element>
const char* type_name() {
    if constexpr (std::is_same_v<Element, float>) {
        return "float32";
    } else if constexpr (std::is_same_v<Element, bfloat16>) {
        return "bfloat16";
    } else {
        return "float16";
    }
}

// Exact-enough reference of the surprisal in bits: std::exp in double (< 1 ulp) and a
// compensated sum, relative error of S below 1e-15, far under the bounds checked here.
double reference_surprisal_bits(const std::vector<double>& z, std::int64_t target) {
    const double m = *std::max_element(z.begin(), z.end());
    codelength::detail::compensated_sum sum;
    for (const double v : z) {
        sum.add(std::exp(v - m));
    }
    return ((m - z[static_cast<std::size_t>(target)]) + std::log(sum.value())) / std::log(2.0);
}

// Kinds of rows: Gaussian logits of a given spread, heavy-tailed (Student t, 3 degrees of
// freedom) and peaked like a confident LM (Gaussian bulk, a few dozen tokens lifted).
enum class row_shape { gaussian, student_t, peaked };

struct row_family {
    row_shape shape;
    double scale;
};

template <class Element>
void fill_row(std::mt19937_64& generator, const row_family& family, std::vector<Element>& row,
              std::vector<double>& widened) {
    std::normal_distribution<double> normal(0.0, family.scale);
    std::student_t_distribution<double> student(3.0);
    std::exponential_distribution<double> lift(0.2); // mean 5 nats above the bulk
    for (auto& v : row) {
        v = from_double<Element>(family.shape == row_shape::student_t ? family.scale * student(generator)
                                                                      : normal(generator));
    }
    if (family.shape == row_shape::peaked) {
        for (int k = 0; k < 32; ++k) {
            auto& v = row[static_cast<std::size_t>(generator() % row.size())];
            v = from_double<Element>(static_cast<double>(codelength::widen(v)) + 8.0 + lift(generator));
        }
    }
    for (std::size_t i = 0; i < row.size(); ++i) {
        widened[i] = static_cast<double>(codelength::widen(row[i]));
    }
}

template <class Element>
void check_llm_like_rows(std::uint64_t seed) {
    const std::vector<row_family> families{{row_shape::gaussian, 2.0},
                                           {row_shape::gaussian, 4.0},
                                           {row_shape::gaussian, 6.0},
                                           {row_shape::student_t, 2.0},
                                           {row_shape::peaked, 3.0}};
    const int rows_per_family = 40; // 200 rows per vocabulary and type
    std::mt19937_64 generator(seed);
    for (const std::int64_t vocabulary : {std::int64_t{50257}, std::int64_t{128256}}) {
        const double bound = surprisal_bound_bits(vocabulary);
        std::vector<Element> row(static_cast<std::size_t>(vocabulary));
        std::vector<double> widened(row.size());
        double worst = 0.0;
        for (const auto& family : families) {
            for (int r = 0; r < rows_per_family; ++r) {
                fill_row(generator, family, row, widened);
                // Half the targets are the argmax (likely tokens), half anywhere.
                const auto target =
                    r % 2 == 0 ? static_cast<std::int64_t>(std::max_element(widened.begin(), widened.end()) -
                                                           widened.begin())
                               : static_cast<std::int64_t>(generator() % row.size());
                const auto got = codelength::compute_row_statistics(
                    codelength::strided_row<Element>{row.data(), vocabulary, 1}, target, r);
                const double error =
                    std::abs(got.target_surprisal_bits() - reference_surprisal_bits(widened, target));
                worst = std::max(worst, error);
            }
        }
        // Printed on every run: the figure the README quotes.
        WARN(type_name<Element>() << ", V = " << vocabulary << ", seed " << seed << ": worst surprisal error "
                                  << worst << " bits (bound " << bound << ")");
        CHECK(worst <= bound);
        CHECK(bound < 1e-6); // the README's headline figure
    }
}

} // namespace

TEST_CASE("surprisal of LLM-like rows stays within the derived bound (float32, bfloat16, float16)",
          "[numerics][accuracy]") {
    const std::uint64_t seed = 2025'11'01;
    INFO("seed " << seed);
    check_llm_like_rows<float>(seed);
    check_llm_like_rows<bfloat16>(seed + 1);
    check_llm_like_rows<float16>(seed + 2);
}

TEST_CASE("small bfloat16 rows: the sum of a whole row in one chunk stays within the bound",
          "[numerics][accuracy]") {
    // bfloat16 at V = 3,000 (one chunk): plain float lane sums had reached 1.01e-6 bits here.
    const std::uint64_t seed = 3000;
    INFO("seed " << seed);
    std::mt19937_64 generator(seed);
    const std::int64_t vocabulary = 3000;
    std::vector<bfloat16> row(static_cast<std::size_t>(vocabulary));
    std::vector<double> widened(row.size());
    double worst = 0.0;
    for (int r = 0; r < 1000; ++r) {
        fill_row(generator, row_family{row_shape::gaussian, 4.0}, row, widened);
        const auto target = static_cast<std::int64_t>(generator() % row.size());
        const auto got = codelength::compute_row_statistics(
            codelength::strided_row<bfloat16>{row.data(), vocabulary, 1}, target);
        worst = std::max(worst,
                         std::abs(got.target_surprisal_bits() - reference_surprisal_bits(widened, target)));
    }
    WARN("bfloat16, V = 3000, seed " << seed << ": worst surprisal error " << worst << " bits");
    CHECK(worst <= surprisal_bound_bits(vocabulary));
}

#if defined(CODELENGTH_USE_XSIMD)
TEST_CASE("simd exp: relative error within the constants the accuracy bound uses", "[numerics][accuracy]") {
    // Every 61st float in [-86, 0] (1.8e7 values) plus every float in [-1, -1/4]: the bound's
    // exp_polynomial_error + ln2f_excess |k| and exp_total_error.
    using batch = xsimd::batch<float>;
    constexpr auto lanes = static_cast<std::uint32_t>(batch::size);
    const float lowest = codelength::detail::simd_exp_floor<float>;
    alignas(64) float in[batch::size];
    alignas(64) float out[batch::size];
    double worst_adjusted = 0.0;
    double worst_total = 0.0;
    const auto check_from = [&](std::uint32_t first_bits, std::uint32_t step, std::uint32_t end_bits) {
        for (std::uint64_t bits = first_bits; bits <= end_bits; bits += std::uint64_t{step} * lanes) {
            for (std::uint32_t j = 0; j < lanes; ++j) {
                const auto word =
                    static_cast<std::uint32_t>(std::min<std::uint64_t>(bits + j * step, end_bits));
                std::memcpy(&in[j], &word, sizeof word);
            }
            codelength::detail::simd_exp_nonpositive(batch::load_aligned(in)).store_aligned(out);
            for (std::uint32_t j = 0; j < lanes; ++j) {
                const double d = static_cast<double>(in[j]);
                const double relative = static_cast<double>(out[j]) / std::exp(d) - 1.0;
                const double k = std::nearbyint(d / std::log(2.0));
                worst_total = std::max(worst_total, std::abs(relative));
                worst_adjusted =
                    std::max(worst_adjusted, std::abs((1.0 + relative) / std::exp(-k * ln2f_excess) - 1.0));
            }
        }
    };
    const auto bits_of = [](float value) {
        std::uint32_t word = 0;
        std::memcpy(&word, &value, sizeof word);
        return word;
    };
    check_from(0x80000000U, 61, bits_of(lowest));
    check_from(bits_of(-0.25F), 1, bits_of(-1.0F)); // |r| up to ln2 / 2, where the fit is worst
    INFO("worst relative error " << worst_total << ", without the ln2f bias " << worst_adjusted);
#if defined(__FMA__) || defined(__AVX512F__) || defined(__aarch64__)
    CHECK(worst_adjusted <= exp_polynomial_error);
    CHECK(worst_total <= exp_total_error);
    CHECK(worst_adjusted > 1.5e-7); // the constants are tight: a sample this dense gets near them
#else // without FMA the reduction splits ln 2 (no ln2f bias): within the fused version's bound
    WARN("exp without FMA: worst relative error " << worst_total);
    CHECK(worst_total <= exp_total_error);
#endif
}
#endif
