// Leaky quantization: the integer pipeline against an independent __int128 reference, the
// CDF invariants, encoder == decoder for every element type, layout and kernel, golden
// integers (a stream-compatibility regression test), the leak's cost and the error cases; the
// kernel tests run on every kernel path of codelength::dispatch this machine runs.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "codelength/coding/coding.hpp"
#include "support/catch.hpp"
#include "support/kernel_paths.hpp"
#include "support/rows.hpp"

namespace {

using codelength::bfloat16;
using codelength::float16;
using codelength::kernel_choice;
using codelength::quantized_cdf;
using codelength::strided_row;
using codelength::symbol_interval;
using test_support::spread;
__extension__ typedef unsigned __int128 u128; // NOLINT(modernize-use-using): __extension__ needs typedef

constexpr float minus_infinity = -std::numeric_limits<float>::infinity();

template <class Element>
Element from_float(float value) {
    if constexpr (std::is_same_v<Element, bfloat16> || std::is_same_v<Element, float16>) {
        return Element::from_float(value);
    } else {
        return static_cast<Element>(value);
    }
}

template <class Element>
std::vector<Element> converted(const std::vector<float>& values) {
    std::vector<Element> out;
    out.reserve(values.size());
    for (const float v : values) {
        out.push_back(from_float<Element>(v));
    }
    return out;
}

template <class Element>
strided_row<Element> contiguous(const std::vector<Element>& row) {
    return strided_row<Element>{row.data(), static_cast<std::int64_t>(row.size()), 1};
}

// --- An independent reference: the documented pipeline, written out plainly with __int128.

template <class Element>
std::vector<std::uint32_t> reference_weights(const std::vector<Element>& row) {
    using value_type = decltype(codelength::widen(Element{}));
    value_type m = -std::numeric_limits<value_type>::infinity();
    for (const auto e : row) {
        m = std::max(m, codelength::widen(e));
    }
    std::vector<std::uint32_t> w;
    for (const auto e : row) {
        const value_type k = std::is_same_v<value_type, float> ? static_cast<value_type>(1477.3197021484375)
                                                               : static_cast<value_type>(1477.3197218702985);
        const value_type steps = std::min<value_type>((m - codelength::widen(e)) * k, 32767);
        const auto n = static_cast<std::uint32_t>(steps);
        const std::uint32_t product = codelength::detail::weight_table_coarse[(n >> 5U) & 31U] *
                                      codelength::detail::weight_table_fine[n & 31U];
        w.push_back(product >> (n >> 10U));
    }
    return w;
}

std::vector<std::uint32_t> reference_cdf(const std::vector<std::uint32_t>& weights, int precision_bits) {
    const auto vocabulary_size = static_cast<std::uint64_t>(weights.size());
    std::uint64_t total = 0;
    for (const auto w : weights) {
        total += w;
    }
    const std::uint64_t free_mass = (std::uint64_t{1} << precision_bits) - vocabulary_size;
    std::vector<std::uint32_t> cdf(weights.size() + 1);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= weights.size(); ++i) {
        std::uint64_t scaled = 0;
        if (free_mass != 0) {
            const int s =
                31 + static_cast<int>(std::bit_width(total)) - static_cast<int>(std::bit_width(free_mass));
            const u128 numerator = static_cast<u128>(free_mass) << s;
            const auto multiplier = static_cast<std::uint64_t>((numerator + total - 1) / total); // ceil
            scaled = static_cast<std::uint64_t>((static_cast<u128>(cumulative) * multiplier) >> s);
            // The exact leaky quantizer floor(cum * M / W), or one more.
            const auto exact = static_cast<std::uint64_t>(static_cast<u128>(cumulative) * free_mass / total);
            REQUIRE(scaled >= exact);
            REQUIRE(scaled - exact <= 1);
        }
        cdf[i] = static_cast<std::uint32_t>(scaled + i);
        if (i < weights.size()) {
            cumulative += weights[i];
        }
    }
    REQUIRE(cdf.back() == std::uint32_t{1} << precision_bits);
    return cdf;
}

void require_valid_cdf(std::span<const std::uint32_t> cdf, int precision_bits) {
    REQUIRE(cdf.front() == 0);
    REQUIRE(cdf.back() == (std::uint32_t{1} << precision_bits));
    for (std::size_t i = 0; i + 1 < cdf.size(); ++i) {
        if (cdf[i + 1] <= cdf[i]) { // one REQUIRE per failure, not per entry
            INFO("symbol " << i);
            REQUIRE(cdf[i + 1] > cdf[i]);
        }
    }
}

std::uint64_t fnv1a(std::span<const std::uint32_t> values) {
    std::uint64_t hash = 14695981039346656037ULL;
    for (const auto v : values) {
        for (int byte = 0; byte < 4; ++byte) {
            hash ^= (v >> (8 * byte)) & 0xffU;
            hash *= 1099511628211ULL;
        }
    }
    return hash;
}

// Logits from the raw output of mt19937 (fully specified by the standard, unlike the
// distributions), so golden rows are the same with every standard library.
std::vector<float> portable_logits(std::int64_t vocabulary_size, std::uint32_t seed) {
    std::mt19937 generator(seed);
    std::vector<float> z(static_cast<std::size_t>(vocabulary_size));
    for (auto& v : z) {
        v = static_cast<float>(static_cast<std::int32_t>(generator() % 40000U) - 30000) / 1500.0F;
    }
    return z;
}

constexpr std::array<kernel_choice, 2> kernels = {kernel_choice::scalar, kernel_choice::simd};

} // namespace

TEST_CASE("the weight tables are 2^(-x) rounded, and weights follow 2^31 * 2^(-n / 1024)", "[coding]") {
    for (std::size_t h = 0; h < 32; ++h) {
        const long double exact = 65536.0L * std::exp2(-static_cast<long double>(h) / 32.0L);
        CHECK(codelength::detail::weight_table_coarse[h] == static_cast<std::uint32_t>(std::llround(exact)));
        const long double fine = 32768.0L * std::exp2(-static_cast<long double>(h) / 1024.0L);
        CHECK(codelength::detail::weight_table_fine[h] == static_cast<std::uint32_t>(std::llround(fine)));
    }
    CHECK(codelength::detail::weight_of_steps(0) == (std::uint32_t{1} << 31));
    CHECK(codelength::detail::weight_of_steps(32767) == 0);
    double worst_relative_error = 0.0;
    for (std::uint32_t n = 0; n <= 20 * 1024; ++n) { // weights >= 2^11: relative truncation < 5e-4
        const double exact = std::exp2(31.0 - static_cast<double>(n) / 1024.0);
        const double got = codelength::detail::weight_of_steps(n);
        worst_relative_error = std::max(worst_relative_error, std::abs(got - exact) / exact);
        if (n > 0) {
            REQUIRE(codelength::detail::weight_of_steps(n) <= codelength::detail::weight_of_steps(n - 1));
        }
    }
    INFO("worst relative weight error " << worst_relative_error);
    CHECK(worst_relative_error < 5e-4);
}

TEST_CASE("the CDF scale is exact: ceil(M 2^S / W) and floor(c A / 2^S) against __int128", "[coding]") {
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937_64 rng(seed);
    for (int trial = 0; trial < 20000; ++trial) {
        const int total_bits = std::uniform_int_distribution<int>(32, 62)(rng);
        const std::uint64_t total = (std::uint64_t{1} << (total_bits - 1)) | (rng() >> (65 - total_bits));
        const int precision_bits = std::uniform_int_distribution<int>(1, 31)(rng);
        const std::uint64_t free_mass = rng() % (std::uint64_t{1} << precision_bits);
        const auto scale = codelength::detail::make_cdf_scale(total, free_mass);
        if (free_mass == 0) {
            REQUIRE(scale.multiplier == 0);
            continue;
        }
        const unsigned s = scale.shift + 32;
        REQUIRE(s == static_cast<unsigned>(31 + std::bit_width(total) - std::bit_width(free_mass)));
        const u128 numerator = static_cast<u128>(free_mass) << s;
        REQUIRE(scale.multiplier == static_cast<std::uint64_t>((numerator + total - 1) / total));
        REQUIRE(scale.multiplier > (std::uint64_t{1} << 30));
        REQUIRE(scale.multiplier < (std::uint64_t{1} << 32));
        REQUIRE(scale.apply(total) == free_mass); // so cdf_V = M + V = 2^P exactly
        const std::uint64_t cumulative = rng() % (total + 1);
        REQUIRE(scale.apply(cumulative) ==
                static_cast<std::uint64_t>((static_cast<u128>(cumulative) * scale.multiplier) >> s));
    }
}

TEST_CASE("random rows: frequencies >= 1, total 2^P, equal to the reference, every kernel", "[coding]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937_64 rng(seed);
    quantized_cdf cdf;
    for (int trial = 0; trial < 60; ++trial) {
        // Log-uniform V in [2, 262144], P in [ceil(log2 V), 31].
        const auto vocabulary_size =
            static_cast<std::int64_t>(std::exp2(std::uniform_real_distribution<double>(1.0, 18.0)(rng)));
        const int precision_bits =
            std::uniform_int_distribution<int>(codelength::minimum_precision_bits(vocabulary_size), 31)(rng);
        const double spread_nats = std::uniform_real_distribution<double>(0.0, 12.0)(rng);
        std::normal_distribution<float> normal(0.0F, static_cast<float>(spread_nats));
        std::vector<float> z(static_cast<std::size_t>(vocabulary_size));
        for (auto& v : z) {
            v = rng() % 50 == 0 ? minus_infinity : normal(rng);
        }
        z[rng() % z.size()] = 1.0F; // at least one finite entry
        INFO("trial " << trial << ": V = " << vocabulary_size << ", P = " << precision_bits);
        const auto expected = reference_cdf(reference_weights(z), precision_bits);
        for (const auto kernel : kernels) {
            cdf.assign_from_logits(contiguous(z), precision_bits, 0, kernel);
            REQUIRE(cdf.size() == vocabulary_size);
            REQUIRE(cdf.precision_bits() == precision_bits);
            require_valid_cdf(cdf.cdf(), precision_bits);
            REQUIRE(std::equal(expected.begin(), expected.end(), cdf.cdf().begin(), cdf.cdf().end()));
            for (int probe = 0; probe < 8; ++probe) {
                const auto s = static_cast<std::int64_t>(rng() % z.size());
                REQUIRE(codelength::quantize_symbol(contiguous(z), s, precision_bits, 0, kernel) ==
                        cdf.interval(s));
                if (z[static_cast<std::size_t>(s)] == minus_infinity) {
                    REQUIRE(cdf.interval(s).frequency == 1);
                }
            }
        }
    }
}

TEMPLATE_TEST_CASE("quantize_symbol == quantized_cdf.interval for every element type, layout and kernel",
                   "[coding]", float, double, bfloat16, float16) {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937 rng(seed);
    // Sizes around the SIMD widths and the 2048-element chunk.
    for (const std::int64_t vocabulary_size : {1, 2, 15, 16, 17, 33, 255, 2047, 2048, 2049, 5000}) {
        std::normal_distribution<float> normal(0.0F, 4.0F);
        std::vector<float> values(static_cast<std::size_t>(vocabulary_size));
        for (auto& v : values) {
            v = rng() % 37 == 0 ? minus_infinity : normal(rng);
        }
        values[0] = 0.5F;
        const auto row = converted<TestType>(values);
        const auto wide = spread(row, 3);
        const strided_row<TestType> strided{wide.data(), vocabulary_size, 3};
        const auto expected = reference_cdf(reference_weights(row), 24);
        INFO("V = " << vocabulary_size);
        for (const auto kernel : kernels) {
            for (const auto view : {contiguous(row), strided}) {
                INFO("kernel " << static_cast<int>(kernel) << ", stride " << view.stride);
                quantized_cdf cdf;
                cdf.assign_from_logits(view, 24, 0, kernel);
                REQUIRE(std::equal(expected.begin(), expected.end(), cdf.cdf().begin(), cdf.cdf().end()));
                for (std::int64_t s = 0; s < vocabulary_size; s += 1 + vocabulary_size / 40) {
                    REQUIRE(codelength::quantize_symbol(view, s, 24, 0, kernel) == cdf.interval(s));
                }
                REQUIRE(codelength::quantize_symbol(view, vocabulary_size - 1, 24, 0, kernel) ==
                        cdf.interval(vocabulary_size - 1));
            }
        }
    }
}

TEMPLATE_TEST_CASE("scalar and SIMD kernels give bit-identical CDFs", "[coding]", float, double, bfloat16,
                   float16) {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937 rng(seed);
    for (int trial = 0; trial < 20; ++trial) {
        const auto vocabulary_size = static_cast<std::int64_t>(1 + rng() % 70000);
        std::normal_distribution<float> normal(static_cast<float>(rng() % 100) - 50.0F,
                                               static_cast<float>(1 + rng() % 15));
        std::vector<float> values(static_cast<std::size_t>(vocabulary_size));
        for (auto& v : values) {
            v = normal(rng);
        }
        const auto row = converted<TestType>(values);
        for (const int precision_bits : {codelength::minimum_precision_bits(vocabulary_size), 24, 31}) {
            if (precision_bits < codelength::minimum_precision_bits(vocabulary_size)) {
                continue;
            }
            INFO("V = " << vocabulary_size << ", P = " << precision_bits);
            quantized_cdf scalar;
            quantized_cdf simd;
            scalar.assign_from_logits(contiguous(row), precision_bits, 0, kernel_choice::scalar);
            simd.assign_from_logits(contiguous(row), precision_bits, 0, kernel_choice::simd);
            REQUIRE(
                std::equal(scalar.cdf().begin(), scalar.cdf().end(), simd.cdf().begin(), simd.cdf().end()));
        }
    }
}

TEMPLATE_TEST_CASE("find inverts interval, and quantize_find_symbol equals find + interval", "[coding]",
                   float, double, bfloat16) {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937 rng(seed);
    for (const std::int64_t vocabulary_size : {1, 3, 256, 257, 4097, 32000}) {
        std::normal_distribution<float> normal(0.0F, 5.0F);
        std::vector<float> values(static_cast<std::size_t>(vocabulary_size));
        for (auto& v : values) {
            v = rng() % 11 == 0 ? minus_infinity : normal(rng);
        }
        values.back() = 2.0F;
        const auto row = converted<TestType>(values);
        for (const int precision_bits : {16, 24, 31}) {
            INFO("V = " << vocabulary_size << ", P = " << precision_bits);
            quantized_cdf cdf;
            cdf.assign_from_logits(contiguous(row), precision_bits);
            const auto entries = cdf.cdf();
            std::vector<std::uint32_t> values_to_find;
            for (std::int64_t s = 0; s < vocabulary_size; s += 1 + vocabulary_size / 300) {
                const auto slot = cdf.interval(s);
                values_to_find.push_back(slot.cdf_low);
                values_to_find.push_back(slot.cdf_low + slot.frequency - 1);
            }
            values_to_find.push_back(cdf.total() - 1);
            for (int k = 0; k < 200; ++k) {
                values_to_find.push_back(static_cast<std::uint32_t>(rng() % cdf.total()));
            }
            for (const auto value : values_to_find) {
                const std::int64_t s = cdf.find(value);
                const auto slot = cdf.interval(s);
                REQUIRE(s >= 0);
                REQUIRE(s < vocabulary_size);
                REQUIRE(entries[static_cast<std::size_t>(s)] <= value);
                REQUIRE(value < slot.cdf_low + slot.frequency);
                for (const auto kernel : kernels) {
                    const auto found =
                        codelength::quantize_find_symbol(contiguous(row), value, precision_bits, 0, kernel);
                    REQUIRE(found.symbol == s);
                    REQUIRE(found.interval == slot);
                }
            }
        }
    }
}

TEST_CASE("large vocabularies: beyond 2^18 blocks and 2^22 symbols", "[coding]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937 rng(seed);
    // 300000 symbols: quantize_find_symbol's block sums no longer fit its inline buffer.
    // 2^22 + 3 symbols: total weights near 2^53 and beyond, P = 23 leaves 2^22 - 3 free units.
    for (const auto& [vocabulary_size, precision_bits] : {std::pair<std::int64_t, int>{300000, 24},
                                                          {(std::int64_t{1} << 22) + 3, 23},
                                                          {(std::int64_t{1} << 22) + 3, 31}}) {
        INFO("V = " << vocabulary_size << ", P = " << precision_bits);
        std::normal_distribution<float> normal(0.0F, 2.0F);
        std::vector<float> z(static_cast<std::size_t>(vocabulary_size));
        for (auto& v : z) {
            v = normal(rng);
        }
        const auto expected = reference_cdf(reference_weights(z), precision_bits);
        for (const auto kernel : kernels) {
            quantized_cdf cdf;
            cdf.assign_from_logits(contiguous(z), precision_bits, 0, kernel);
            REQUIRE(std::equal(expected.begin(), expected.end(), cdf.cdf().begin(), cdf.cdf().end()));
            for (int probe = 0; probe < 6; ++probe) {
                const auto value = static_cast<std::uint32_t>(rng() % cdf.total());
                const auto found =
                    codelength::quantize_find_symbol(contiguous(z), value, precision_bits, 0, kernel);
                REQUIRE(found.symbol == cdf.find(value));
                REQUIRE(found.interval == cdf.interval(found.symbol));
                REQUIRE(codelength::quantize_symbol(contiguous(z), found.symbol, precision_bits, 0, kernel) ==
                        found.interval);
            }
        }
    }
}

TEST_CASE("one-hot rows, -inf entries and a near-zero-probability target", "[coding]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    for (const auto kernel : kernels) {
        for (const std::int64_t vocabulary_size : {2, 100, 50257}) {
            std::vector<float> one_hot(static_cast<std::size_t>(vocabulary_size), minus_infinity);
            const std::int64_t hot = vocabulary_size / 2;
            one_hot[static_cast<std::size_t>(hot)] = 3.0F;
            for (const int precision_bits : {16, 24, 31}) {
                quantized_cdf cdf;
                cdf.assign_from_logits(contiguous(one_hot), precision_bits, 0, kernel);
                const auto total = std::int64_t{1} << precision_bits;
                REQUIRE(cdf.interval(hot).frequency == total - (vocabulary_size - 1));
                for (std::int64_t s = 0; s < vocabulary_size; ++s) {
                    if (s != hot && cdf.interval(s).frequency != 1) {
                        REQUIRE(cdf.interval(s).frequency == 1);
                    }
                }
                REQUIRE(codelength::quantize_symbol(contiguous(one_hot), hot, precision_bits, 0, kernel) ==
                        cdf.interval(hot));
            }
        }
        // The target 80 nats below the maximum: probability e^-80, frequency 1, cost P bits.
        std::vector<float> z(1000, 0.0F);
        z[7] = -80.0F;
        const auto slot = codelength::quantize_symbol(contiguous(z), 7, 24, 0, kernel);
        CHECK(slot.frequency == 1);
        CHECK(codelength::interval_bits(slot, 24) == 24.0);
        // 10 nats down at P = 31: 1 + 2^31 e^-10 / (999 + e^-10) = 98.5, so frequency 98 or 99.
        z[7] = -10.0F;
        const auto small = codelength::quantize_symbol(contiguous(z), 7, 31, 0, kernel);
        CHECK(small.frequency >= 98);
        CHECK(small.frequency <= 99);
    }
}

// The SIMD kernels may leave out the clamp at 32767 steps (weights_take_unclamped_steps): every
// count from 32767 up, and the out-of-range conversion of a product of 2^31 or more, must still
// weigh 0, next to counts just below that weigh 1 (31744 = 31 * 1024) or 0.
TEST_CASE("step counts at and beyond the clamp weigh what the scalar pipeline says, every kernel",
          "[coding]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    constexpr float steps_per_nat = codelength::detail::steps_per_nat_float;
    // A logit z below a maximum of 0 whose unclamped product -z * K truncates to `steps` (below
    // 2^16; larger products are 128 or more apart, so there the first one >= steps).
    const auto logit_for_steps = [](double steps) {
        float z = -static_cast<float>((steps + 0.5) / static_cast<double>(steps_per_nat));
        while (std::trunc(static_cast<double>(-z * steps_per_nat)) > steps) {
            z = std::nextafter(z, 0.0F);
        }
        while (std::trunc(static_cast<double>(-z * steps_per_nat)) < steps) {
            z = std::nextafter(z, minus_infinity);
        }
        if (steps < 65536.0) {
            REQUIRE(std::trunc(static_cast<double>(-z * steps_per_nat)) == steps);
        }
        return z;
    };
    std::vector<float> special;
    for (const double steps :
         {0.0, 1023.0, 31743.0, 31744.0, 31745.0, 32766.0, 32767.0, 32768.0, 33791.0, 33792.0, 65535.0,
          65536.0, 1048576.0, 2147483000.0, 2147483648.0, 4294967296.0}) {
        special.push_back(logit_for_steps(steps));
    }
    for (const float z : {-1e7F, -1e30F, -std::numeric_limits<float>::max(), minus_infinity}) {
        special.push_back(z); // (0 - z) * K is 1.5e10, 1.5e33 or +inf
    }
    std::mt19937 rng(20261207U);
    std::vector<float> z;
    while (z.size() < 1500) { // every special value in every lane position, with ordinary logits between
        z.push_back(special[rng() % special.size()]);
        if (rng() % 4 == 0) {
            z.push_back(-static_cast<float>(rng() % 4000U) / 100.0F);
        }
    }
    z[rng() % z.size()] = 0.0F; // the maximum
    const auto weights = reference_weights(z);
    const auto steps_31744 = logit_for_steps(31744.0);
    const auto weighs_one = std::count_if(z.begin(), z.end(), [&](float v) { return v == steps_31744; });
    REQUIRE(weighs_one > 0);
    for (std::size_t i = 0; i < z.size(); ++i) {
        if (z[i] == steps_31744) {
            REQUIRE(weights[i] == 1); // the only nonzero weight this far down: the test sees a 1 lost
        }
    }
    for (const int precision_bits : {24, 31}) {
        INFO("P = " << precision_bits);
        const auto expected = reference_cdf(weights, precision_bits);
        for (const auto kernel : kernels) {
            quantized_cdf cdf;
            cdf.assign_from_logits(contiguous(z), precision_bits, 0, kernel);
            REQUIRE(std::ranges::equal(cdf.cdf(), expected));
            for (std::size_t s = 0; s < z.size(); s += 7) {
                const auto symbol = static_cast<std::int64_t>(s);
                REQUIRE(codelength::quantize_symbol(contiguous(z), symbol, precision_bits, 0, kernel) ==
                        cdf.interval(symbol));
                const auto found =
                    codelength::quantize_find_symbol(contiguous(z), expected[s], precision_bits, 0, kernel);
                REQUIRE(found.symbol == symbol);
                REQUIRE(found.interval == cdf.interval(symbol));
            }
        }
    }
}

// The closed form of the fine table and the coarse table's 16-bit pairs (AVX2) hold every entry.
TEST_CASE("the AVX2 forms of the weight tables reproduce the tables", "[coding]") {
    for (std::uint32_t l = 0; l < 32; ++l) {
        CHECK(codelength::detail::fine_weight_closed_form(l) == codelength::detail::weight_table_fine[l]);
    }
    for (std::size_t h = 0; h < 32; ++h) {
        const std::uint32_t pair = codelength::detail::weight_table_coarse_pairs[h % 16];
        const std::uint32_t half = (h < 16 ? pair : pair >> 16U) & 0xffffU;
        CHECK(half + codelength::detail::coarse_weight_bias == codelength::detail::weight_table_coarse[h]);
    }
}

TEST_CASE("a uniform row over 151936 symbols gets equal frequencies", "[coding]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::vector<float> z(151936, -1.25F);
    for (const int precision_bits : {18, 24, 31}) {
        quantized_cdf cdf;
        cdf.assign_from_logits(contiguous(z), precision_bits);
        require_valid_cdf(cdf.cdf(), precision_bits);
        std::uint32_t low = std::numeric_limits<std::uint32_t>::max();
        std::uint32_t high = 0;
        double expected_excess_bits = 0.0; // sum_t p_t (P - log2 f_t + log2 p_t), p_t = 1/V
        for (std::int64_t s = 0; s < cdf.size(); ++s) {
            const auto f = cdf.interval(s).frequency;
            low = std::min(low, f);
            high = std::max(high, f);
            expected_excess_bits +=
                (codelength::interval_bits(cdf.interval(s), precision_bits) - std::log2(151936.0)) / 151936.0;
        }
        INFO("P = " << precision_bits << ": frequencies in [" << low << ", " << high << "], excess "
                    << expected_excess_bits << " bits/token");
        CHECK(high - low <= 1);
        if (precision_bits >= 24) { // at P = 18 the frequencies are 1 or 2: rounding costs 0.06 bits
            CHECK(expected_excess_bits < 1e-4); // the leak costs nothing on a uniform row
        }
    }
}

TEST_CASE("the smallest and largest vocabularies for a precision", "[coding]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::vector<float> one{0.25F};
    quantized_cdf cdf;
    cdf.assign_from_logits(contiguous(one), 1);
    REQUIRE(cdf.cdf().size() == 2);
    CHECK(cdf.interval(0) == symbol_interval{0, 2});
    CHECK(codelength::quantize_symbol(contiguous(one), 0, 31) == symbol_interval{0, 1U << 31});
    // V == 2^P: every frequency is exactly 1.
    const auto z = portable_logits(4096, 5);
    for (const auto kernel : kernels) {
        cdf.assign_from_logits(contiguous(z), 12, 0, kernel);
        for (std::int64_t s = 0; s < 4096; ++s) {
            REQUIRE(cdf.interval(s) == symbol_interval{static_cast<std::uint32_t>(s), 1});
        }
    }
}

TEST_CASE("probabilities: exact power-of-two scaling, float == double, encoder == decoder", "[coding]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937 rng(seed);
    for (const std::int64_t vocabulary_size : {1, 5, 1000, 50257}) {
        std::exponential_distribution<float> exponential(1.0F);
        std::vector<float> p{1e-3F};
        while (static_cast<std::int64_t>(p.size()) < vocabulary_size) { // heavy tail, some zeros
            p.push_back(rng() % 9 == 0 ? 0.0F : std::pow(exponential(rng), 6.0F));
        }
        std::vector<double> as_double(p.begin(), p.end());
        std::vector<double> doubled;
        doubled.reserve(as_double.size());
        for (const double v : as_double) {
            doubled.push_back(v * 8.0);
        }
        for (const int precision_bits : {17, 24, 31}) {
            INFO("V = " << vocabulary_size << ", P = " << precision_bits);
            quantized_cdf from_float;
            quantized_cdf from_double;
            quantized_cdf from_doubled;
            from_float.assign_from_probabilities(std::span<const float>(p), precision_bits);
            from_double.assign_from_probabilities(std::span<const double>(as_double), precision_bits, 0,
                                                  kernel_choice::scalar);
            from_doubled.assign_from_probabilities(std::span<const double>(doubled), precision_bits);
            require_valid_cdf(from_float.cdf(), precision_bits);
            REQUIRE(std::equal(from_float.cdf().begin(), from_float.cdf().end(), from_double.cdf().begin(),
                               from_double.cdf().end()));
            REQUIRE(std::equal(from_float.cdf().begin(), from_float.cdf().end(), from_doubled.cdf().begin(),
                               from_doubled.cdf().end()));
            for (std::int64_t s = 0; s < vocabulary_size; s += 1 + vocabulary_size / 50) {
                REQUIRE(codelength::quantize_symbol_from_probabilities(
                            std::span<const float>(p), s, precision_bits) == from_float.interval(s));
                REQUIRE(codelength::quantize_symbol_from_probabilities(
                            std::span<const double>(as_double), s, precision_bits) == from_float.interval(s));
                if (p[static_cast<std::size_t>(s)] == 0.0F) {
                    REQUIRE(from_float.interval(s).frequency == 1);
                }
            }
        }
    }
}

TEST_CASE("logits and softmax probabilities quantize to nearly the same CDF", "[coding]") {
    const auto z = portable_logits(3000, 11);
    std::vector<double> p;
    p.reserve(z.size());
    const auto m = static_cast<double>(*std::max_element(z.begin(), z.end()));
    for (const float v : z) {
        p.push_back(std::exp(static_cast<double>(v) - m));
    }
    quantized_cdf from_logits;
    quantized_cdf from_probabilities;
    from_logits.assign_from_logits(contiguous(z), 24);
    from_probabilities.assign_from_probabilities(std::span<const double>(p), 24);
    for (std::size_t i = 0; i < p.size(); ++i) {
        const double a = from_logits.cdf()[i];
        const double b = from_probabilities.cdf()[i];
        // Each weight is within 6.8e-4 relative, so each entry within 6.8e-4 of 2^24 (plus rounding).
        REQUIRE(std::abs(a - b) <= 6.8e-4 * 16777216.0 + 2.0);
    }
}

namespace {

// sum_t p_t [(P - log2 f_t) - (-log2 p_t)]: the average excess over tokens drawn from p, exactly.
double expected_excess_bits(const std::vector<float>& z, const quantized_cdf& cdf) {
    long double m = -std::numeric_limits<long double>::infinity();
    for (const float v : z) {
        m = std::max(m, static_cast<long double>(v));
    }
    long double sum = 0;
    for (const float v : z) {
        sum += std::exp(static_cast<long double>(v) - m);
    }
    long double excess = 0;
    for (std::size_t t = 0; t < z.size(); ++t) {
        const long double log_p = static_cast<long double>(z[t]) - m - std::log(sum);
        const long double p = std::exp(log_p);
        const auto bits = static_cast<long double>(
            codelength::interval_bits(cdf.interval(static_cast<std::int64_t>(t)), cdf.precision_bits()));
        excess += p * (bits + log_p / std::log(2.0L));
    }
    return static_cast<double>(excess);
}

// Rows shaped like a language model's: `head` plausible tokens, the rest 35 nats below (mass
// far under 2^-P each). The leak then costs -log2(1 - V / 2^P) per token, less about
// head / (M ln 2) that the head symbols' extra 1 gives back, plus the exponent's < 1e-7 bits.
std::vector<float> peaked_row(std::int64_t vocabulary_size, int head, std::mt19937& rng) {
    std::normal_distribution<float> head_logit(10.0F, 2.0F);
    std::normal_distribution<float> tail_logit(-25.0F, 1.0F);
    std::vector<float> z(static_cast<std::size_t>(vocabulary_size));
    for (auto& v : z) {
        v = tail_logit(rng);
    }
    for (int k = 0; k < head; ++k) {
        z[rng() % z.size()] = head_logit(rng);
    }
    return z;
}

} // namespace

TEST_CASE("the per-token quantization cost tracks -log2(1 - V / 2^P)", "[coding]") {
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937 rng(seed);
    constexpr int head = 20;
    struct setting {
        std::int64_t vocabulary_size;
        int precision_bits;
    };
    for (const auto [vocabulary_size, precision_bits] :
         {setting{50257, 24}, setting{50257, 31}, setting{1000, 16}, setting{256, 16}}) {
        const double floor_cost = codelength::leaky_quantization_cost_bits(vocabulary_size, precision_bits);
        const double free_mass = std::exp2(precision_bits) - static_cast<double>(vocabulary_size);
        const double tolerance = 2e-3 * floor_cost + 2.0 * head / (free_mass * std::log(2.0));
        double total = 0.0;
        constexpr int rows = 16;
        quantized_cdf cdf;
        for (int r = 0; r < rows; ++r) {
            const auto z = peaked_row(vocabulary_size, head, rng);
            cdf.assign_from_logits(contiguous(z), precision_bits);
            total += expected_excess_bits(z, cdf);
        }
        const double measured = total / rows;
        INFO("V = " << vocabulary_size << ", P = " << precision_bits << ": measured " << measured
                    << " bits/token, -log2(1 - V/2^P) = " << floor_cost << ", tolerance " << tolerance);
        CHECK(std::abs(measured - floor_cost) <= tolerance);
    }
    // Sampled tokens at P = 24 (the literal average over tokens; standard error about 3e-6 bits).
    const std::int64_t vocabulary_size = 50257;
    const double floor_cost = codelength::leaky_quantization_cost_bits(vocabulary_size, 24);
    double total_excess = 0.0;
    int tokens = 0;
    quantized_cdf cdf;
    for (int r = 0; r < 40; ++r) {
        const auto z = peaked_row(vocabulary_size, head, rng);
        cdf.assign_from_logits(contiguous(z), 24);
        std::vector<double> p;
        const auto m = static_cast<double>(*std::max_element(z.begin(), z.end()));
        double sum = 0.0;
        for (const float v : z) {
            p.push_back(std::exp(static_cast<double>(v) - m));
            sum += p.back();
        }
        std::discrete_distribution<std::int64_t> draw(p.begin(), p.end());
        for (int k = 0; k < 250; ++k) {
            const std::int64_t t = draw(rng);
            const auto slot = codelength::quantize_symbol(contiguous(z), t, 24);
            total_excess +=
                codelength::interval_bits(slot, 24) + std::log2(p[static_cast<std::size_t>(t)] / sum);
            ++tokens;
        }
    }
    INFO("sampled: " << total_excess / tokens << " bits/token over " << tokens << " tokens, expected "
                     << floor_cost);
    CHECK(std::abs(total_excess / tokens - floor_cost) < 0.05 * floor_cost);
}

TEST_CASE("the fixed-point exponent costs well under 1e-6 bits per token", "[coding]") {
    // KL(p || w / W) between exact softmax probabilities and the normalized integer weights.
    const std::uint32_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937 rng(seed);
    double worst = 0.0;
    for (int r = 0; r < 10; ++r) {
        std::normal_distribution<float> normal(0.0F, static_cast<float>(1 + r));
        std::vector<float> z(32000);
        for (auto& v : z) {
            v = normal(rng);
        }
        const auto w = reference_weights(z);
        long double total_weight = 0;
        for (const auto v : w) {
            total_weight += v;
        }
        const auto m = static_cast<long double>(*std::max_element(z.begin(), z.end()));
        long double sum = 0;
        for (const float v : z) {
            sum += std::exp(static_cast<long double>(v) - m);
        }
        long double kl_bits = 0;
        for (std::size_t i = 0; i < z.size(); ++i) {
            const long double p = std::exp(static_cast<long double>(z[i]) - m) / sum;
            if (w[i] > 0) {
                kl_bits += p * std::log2(p / (w[i] / total_weight));
            }
        }
        worst = std::max(worst, static_cast<double>(kl_bits));
    }
    INFO("worst KL(p || w/W) = " << worst << " bits/token");
    CHECK(worst < 1e-6);
}

TEST_CASE("golden integers: the quantizer's output may never change (old streams must decode)", "[coding]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    // Computed once by this implementation; a change here breaks every stream written before.
    const std::vector<float> z{2.5F, -1.0F, 0.0F, 3.25F, minus_infinity, 1e-3F, -20.0F, 3.25F};
    const std::vector<std::uint32_t> golden_16{0, 12078, 12444, 13436, 38988, 38989, 39982, 39983, 65536};
    const std::vector<std::uint32_t> golden_31{0,          395803670,  407752991,  440227663, 1277596209,
                                               1277596210, 1310115101, 1310115102, 2147483648};
    const std::vector<std::uint32_t> golden_bf16_24{0,       3092215,  3185570,  3439279, 9981219,
                                                    9981220, 10235275, 10235276, 16777216};
    const std::vector<std::uint32_t> golden_double_20{0,      192955, 198781, 216282, 624501,
                                                      624502, 640356, 640357, 1048576};
    const std::vector<std::uint32_t> golden_probabilities_16{0,     16382, 16383, 16385, 49150,
                                                             57342, 63895, 63896, 65536};
    const std::uint64_t golden_large_hash = 13023213084484346848ULL;
    const std::vector<double> probabilities{0.25, 0.0, 1e-9, 0.5, 0.125, 0.1, 1e-300, 0.025};
    for (const auto kernel : kernels) {
        INFO("kernel " << static_cast<int>(kernel));
        quantized_cdf cdf;
        auto check = [&](const std::vector<std::uint32_t>& golden, const char* name) {
            INFO(name);
            std::string printed;
            for (const auto v : cdf.cdf()) {
                printed += std::to_string(v) + ", ";
            }
            INFO("got {" << printed << "}");
            CHECK(std::equal(golden.begin(), golden.end(), cdf.cdf().begin(), cdf.cdf().end()));
        };
        cdf.assign_from_logits(contiguous(z), 16, 0, kernel);
        check(golden_16, "float, P = 16");
        cdf.assign_from_logits(contiguous(z), 31, 0, kernel);
        check(golden_31, "float, P = 31");
        const auto bf16 = converted<bfloat16>(z);
        cdf.assign_from_logits(contiguous(bf16), 24, 0, kernel);
        check(golden_bf16_24, "bfloat16, P = 24");
        std::vector<double> as_double(z.begin(), z.end());
        as_double[2] = 0.1; // not a float value
        cdf.assign_from_logits(contiguous(as_double), 20, 0, kernel);
        check(golden_double_20, "double, P = 20");
        cdf.assign_from_probabilities(std::span<const double>(probabilities), 16, 0, kernel);
        check(golden_probabilities_16, "probabilities, P = 16");
        const auto large = portable_logits(151936, 2024);
        cdf.assign_from_logits(contiguous(large), 24, 0, kernel);
        INFO("large hash " << fnv1a(cdf.cdf()));
        CHECK(fnv1a(cdf.cdf()) == golden_large_hash);
    }
}

TEST_CASE("invalid arguments, rows and symbols raise errors naming the row", "[coding]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    std::vector<float> z{0.0F, 1.0F, 2.0F};
    const auto row = contiguous(z);
    quantized_cdf cdf;
    CHECK_THROWS_AS(codelength::quantize_symbol(row, 0, 0), codelength::invalid_argument_error);
    CHECK_THROWS_AS(codelength::quantize_symbol(row, 0, 32), codelength::invalid_argument_error);
    CHECK_THROWS_AS(cdf.assign_from_logits(row, 1), codelength::invalid_argument_error); // 3 > 2^1
    CHECK_THROWS_AS(codelength::quantize_symbol(row, -1, 16, 7), codelength::target_out_of_range_error);
    CHECK_THROWS_AS(codelength::quantize_symbol(row, 3, 16, 7), codelength::target_out_of_range_error);
    CHECK_THROWS_AS(codelength::quantize_symbol(strided_row<float>{z.data(), 0, 1}, 0, 16),
                    codelength::invalid_row_error);
    try {
        const std::vector<float> large(151936, 0.0F);
        cdf.assign_from_logits(contiguous(large), 16);
        FAIL("no exception");
    } catch (const codelength::invalid_argument_error& e) {
        const std::string message = e.what();
        INFO(message);
        CHECK(message.find("too small for a vocabulary of 151936") != std::string::npos);
        CHECK(message.find("at least 18") != std::string::npos);
    }
    for (const auto kernel : kernels) {
        for (const float bad :
             {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
            std::vector<float> row_with_bad(3000, 0.0F);
            row_with_bad[2500] = bad;
            try {
                (void)codelength::quantize_symbol(contiguous(row_with_bad), 0, 24, 42, kernel);
                FAIL("no exception");
            } catch (const codelength::invalid_row_error& e) {
                const std::string message = e.what();
                INFO(message);
                CHECK(e.row() == 42);
                CHECK(message.find("column 2500") != std::string::npos);
                CHECK(message.find(std::isnan(bad) ? "NaN" : "+inf") != std::string::npos);
            }
            CHECK_THROWS_AS(cdf.assign_from_logits(contiguous(row_with_bad), 24, 42, kernel),
                            codelength::invalid_row_error);
            CHECK(cdf.size() == 0); // a failed assign leaves the object empty
            CHECK_THROWS_AS(codelength::quantize_find_symbol(contiguous(row_with_bad), 0, 24, 42, kernel),
                            codelength::invalid_row_error);
        }
        const std::vector<float> all_minus_infinity(40, minus_infinity);
        CHECK_THROWS_AS(codelength::quantize_symbol(contiguous(all_minus_infinity), 0, 24, 0, kernel),
                        codelength::invalid_row_error);
        const std::vector<bfloat16> bf16_nan{bfloat16{0x7fc0}, bfloat16{0}};
        CHECK_THROWS_AS(codelength::quantize_symbol(contiguous(bf16_nan), 0, 24, 0, kernel),
                        codelength::invalid_row_error);
    }
    CHECK_THROWS_AS(codelength::quantize_find_symbol(row, 1U << 16, 16), codelength::invalid_argument_error);
    cdf.assign_from_logits(row, 16);
    CHECK_THROWS_AS((void)cdf.find(1U << 16), codelength::invalid_argument_error);
    CHECK_THROWS_AS((void)cdf.interval(3), codelength::target_out_of_range_error);
    CHECK_THROWS_AS((void)quantized_cdf{}.find(0), codelength::invalid_argument_error);
    for (const double bad :
         {-0.5, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        const std::vector<double> p{0.5, bad, 0.25};
        CHECK_THROWS_AS(codelength::quantize_symbol_from_probabilities(std::span<const double>(p), 0, 16, 3),
                        codelength::invalid_row_error);
    }
    const std::vector<double> zeros(5, 0.0);
    CHECK_THROWS_AS(cdf.assign_from_probabilities(std::span<const double>(zeros), 16),
                    codelength::invalid_row_error);
}

TEST_CASE("interval_bits and the floor-cost helpers", "[coding]") {
    CHECK(codelength::interval_bits(symbol_interval{0, 1U << 23}, 24) == 1.0);
    CHECK(codelength::interval_bits(symbol_interval{5, 1}, 31) == 31.0);
    CHECK(codelength::leaky_quantization_cost_bits(50257, 16) == Catch::Approx(2.11).epsilon(0.01));
    CHECK(codelength::leaky_quantization_cost_bits(50257, 24) == Catch::Approx(0.004322).epsilon(0.01));
    CHECK(codelength::minimum_precision_bits(1) == 1);
    CHECK(codelength::minimum_precision_bits(2) == 1);
    CHECK(codelength::minimum_precision_bits(3) == 2);
    CHECK(codelength::minimum_precision_bits(65536) == 16);
    CHECK(codelength::minimum_precision_bits(65537) == 17);
    CHECK(codelength::minimum_precision_bits(151936) == 18);
}
