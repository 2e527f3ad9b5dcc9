// Leaky quantization of a distribution over V symbols into an integer CDF with total 2^P in
// which every symbol has frequency >= 1: from logits (float, double, bfloat16, float16, any
// stride), from log-probabilities (accepted as logits: the quantizer renormalizes) or from
// probabilities. Deterministic: identical inputs give identical integers on every IEEE 754
// machine and compiler, with or without SIMD, FMA or optimization.
//
// The quantizer, exactly (quantize_fixed_point.hpp has the code):
//   1. weights. Logits: m = max_i z_i, n_i = trunc(min((m - z_i) * K, 32767)) with
//      K = float(1024 log2 e) (double for double rows), w_i = 2^31 * 2^(-n_i / 1024) as
//      coarse[(n >> 5) & 31] * fine[n & 31] >> (n >> 10) from two hard-coded 32-entry tables.
//      Probabilities: w_i = floor(p_i * 2^k) with 2^k putting max_i p_i in [2^31, 2^32).
//   2. W = sum_i w_i and cum_i = w_0 + ... + w_{i-1}, exact in 64 bits.
//   3. M = 2^P - V, S = 31 + bit_width(W) - bit_width(M), A = ceil(M * 2^S / W), and
//      cdf_i = floor(cum_i * A / 2^S) + i for i = 0..V.
// So cdf_0 = 0, cdf_V = 2^P exactly, frequency_i = cdf_{i+1} - cdf_i >= 1 (1 exactly for a
// weight of 0), and cdf_i equals the leaky quantizer's floor(cum_i * (2^P - V) / W) + i
// (constriction's "fast leaky" scheme) or exceeds it by 1.
//
// Cost per token, measured in tests/coding/test_quantize.cpp on peaked (LLM-like) rows:
// the leak costs -log2(1 - V / 2^P) (leaky_quantization_cost_bits) less about
// (head symbols) / (M ln 2) that the likely symbols' extra unit gives back: V = 50,257 gives
// 0.0043265 bits at P = 24 (formula 0.0043282) and 3.378e-5 at P = 31 (formula 3.376e-5).
// A uniform row loses nothing. The fixed-point exponent's relative weight error is below
// 2^(1/1024) - 1 = 6.8e-4 (tables: 3e-5), which costs KL(p || w / W) <= 3e-8 bits per token.
//
// Three entry points share the pipeline and agree exactly: quantize_symbol (encoder: one
// interval, no V-sized buffer), quantize_find_symbol (decoder: the symbol holding a value,
// no V-sized buffer) and quantized_cdf (the whole CDF, reusable storage).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "codelength/coding/quantize_fixed_point.hpp"
#include "codelength/coding/quantize_scalar.hpp"
#include "codelength/coding/symbol_interval.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/core/units.hpp"
#include "codelength/numerics/half_convert.hpp"
#include "codelength/numerics/row_statistics.hpp"
#if defined(CODELENGTH_DISPATCH)
#include "codelength/numerics/dispatched_kernels.hpp"
#elif defined(CODELENGTH_USE_XSIMD)
#include "codelength/coding/quantize_simd.hpp"
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// A symbol and its slot in the quantized CDF (what a decoder looks up).
struct quantized_symbol {
    std::int64_t symbol = 0;
    symbol_interval interval;
    friend constexpr bool operator==(const quantized_symbol&, const quantized_symbol&) = default;
};

// Bits to code a symbol in `interval` of a CDF with total 2^precision_bits: P - log2(frequency).
//   codelength::interval_bits({0, 1U << 23}, 24) == 1.0
[[nodiscard]] inline double interval_bits(symbol_interval interval, int precision_bits) noexcept {
    return static_cast<double>(precision_bits) - std::log2(static_cast<double>(interval.frequency));
}

// The leak's cost for peaked distributions, -log2(1 - V / 2^P) bits per token: every symbol's
// guaranteed frequency 1 takes V / 2^P of the mass from the symbols that carry the probability.
// 2.1 bits for V = 50,257 at P = 16, 0.0043 at P = 24, 3.4e-5 at P = 31.
[[nodiscard]] inline double leaky_quantization_cost_bits(std::int64_t vocabulary_size,
                                                         int precision_bits) noexcept {
    const double fraction = std::ldexp(static_cast<double>(vocabulary_size), -precision_bits);
    return -std::log1p(-fraction) * bits_per_nat;
}

// The smallest P with 2^P >= V (at least 1): the least precision that gives every symbol a slot.
[[nodiscard]] inline int minimum_precision_bits(std::int64_t vocabulary_size) noexcept {
    if (vocabulary_size <= 2) {
        return 1;
    }
    return static_cast<int>(std::bit_width(static_cast<std::uint64_t>(vocabulary_size - 1)));
}

namespace detail {

// Elements per chunk: widened or copied rows go through a buffer of this size.
inline constexpr std::int64_t quantize_chunk_elements = 2048;
// The SIMD kernel's weight sums are exact for at most 2^16 vectors per call (weight_accumulator).
static_assert(quantize_chunk_elements <= 65536);
// Granularity of quantize_find_symbol's search: sums per block, then one block re-scanned.
inline constexpr std::int64_t find_block_elements = 256;
static_assert(quantize_chunk_elements % find_block_elements == 0);

// The argument checks; the callers of codelength::dispatch's kernels make them before the call.
inline void check_quantizer_shape([[maybe_unused]] std::int64_t vocabulary_size,
                                  [[maybe_unused]] int precision_bits,
                                  [[maybe_unused]] std::int64_t row_index) {
#if !defined(CODELENGTH_KERNEL_UNIT)
    if (precision_bits < 1 || precision_bits > max_precision_bits) {
        throw invalid_argument_error("quantize: precision_bits must be in [1, " +
                                     std::to_string(max_precision_bits) + "], got " +
                                     std::to_string(precision_bits));
    }
    if (vocabulary_size < 1) {
        throw invalid_row_error(row_index, "empty row (vocabulary size 0)");
    }
    if (vocabulary_size > (std::int64_t{1} << precision_bits)) {
        throw invalid_argument_error(
            "quantize: precision of " + std::to_string(precision_bits) +
            " bits is too small for a vocabulary of " + std::to_string(vocabulary_size) +
            " symbols: every symbol needs a frequency >= 1 out of 2^" + std::to_string(precision_bits) +
            " = " + std::to_string(std::int64_t{1} << precision_bits) +
            ", so precision_bits must be at least " +
            std::to_string(minimum_precision_bits(vocabulary_size)) +
            " (precision_bits_24 serves LLM vocabularies)");
    }
#endif
}

inline void check_symbol([[maybe_unused]] std::int64_t symbol, [[maybe_unused]] std::int64_t vocabulary_size,
                         [[maybe_unused]] std::int64_t row_index) {
#if !defined(CODELENGTH_KERNEL_UNIT)
    if (symbol < 0 || symbol >= vocabulary_size) {
        throw target_out_of_range_error(row_index, symbol, vocabulary_size);
    }
#endif
}

inline void check_value([[maybe_unused]] std::uint32_t value, [[maybe_unused]] int precision_bits) {
#if !defined(CODELENGTH_KERNEL_UNIT)
    if (value >> static_cast<unsigned>(precision_bits) != 0) {
        throw invalid_argument_error("quantize: value " + std::to_string(value) +
                                     " is outside the CDF's [0, 2^" + std::to_string(precision_bits) + ")");
    }
#endif
}

template <class Element>
using widened_t = decltype(widen(Element{}));

// Reads a row chunk by chunk: contiguous widened values for the maximum, and a step source
// (logit_chunk for float arithmetic, step_chunk for double rows) for the weights.
template <class Element>
class chunk_reader {
public:
    using value_type = widened_t<Element>;
    static constexpr bool double_row = std::is_same_v<value_type, double>;

    explicit chunk_reader(strided_row<Element> row) noexcept : m_row(row) {}

    // The values of entries [begin, begin + n) (n <= quantize_chunk_elements), contiguous.
    [[nodiscard]] const value_type* values(std::int64_t begin, std::int64_t n) noexcept {
        if constexpr (std::is_same_v<Element, value_type>) {
            if (m_row.stride == 1) {
                return m_row.data + begin;
            }
        }
        if constexpr (std::is_same_v<Element, bfloat16> || std::is_same_v<Element, float16>) {
            if (m_row.stride == 1) {
                widen_16bit(m_row.data + begin, n, m_values.data());
                return m_values.data();
            }
        }
        for (std::int64_t i = 0; i < n; ++i) {
            m_values[static_cast<std::size_t>(i)] = widen(m_row[begin + i]);
        }
        return m_values.data();
    }

    // The exponent steps of entries [begin, begin + n), source-relative (entry begin is index 0).
    [[nodiscard]] auto steps(std::int64_t begin, std::int64_t n, value_type max_logit) noexcept {
        if constexpr (double_row) {
            for (std::int64_t i = 0; i < n; ++i) {
                m_steps[static_cast<std::size_t>(i)] = exponent_steps(m_row[begin + i], max_logit);
            }
            return step_chunk{m_steps.data()};
        } else {
            return logit_chunk{values(begin, n), max_logit};
        }
    }

    [[nodiscard]] std::int64_t size() const noexcept { return m_row.size; }

private:
    strided_row<Element> m_row;
    alignas(64) std::array<value_type, static_cast<std::size_t>(quantize_chunk_elements)> m_values{};
    alignas(64) std::array<std::uint32_t,
                           double_row ? static_cast<std::size_t>(quantize_chunk_elements) : 1> m_steps{};
};

// Pass 1: the row's maximum; throws for NaN, +inf and rows of -inf only.
template <class Kernel, class Element>
widened_t<Element> row_maximum(chunk_reader<Element>& reader, std::int64_t row_index) {
    using value_type = widened_t<Element>;
    auto max_logit = -std::numeric_limits<value_type>::infinity();
    for (std::int64_t begin = 0; begin < reader.size(); begin += quantize_chunk_elements) {
        const std::int64_t n = std::min(quantize_chunk_elements, reader.size() - begin);
        const value_type* values = reader.values(begin, n);
        const auto scan = Kernel::maximum(values, n);
        if (!scan.valid) {
            for (std::int64_t i = 0; i < n; ++i) {
                if (!(values[i] < std::numeric_limits<value_type>::infinity())) {
                    refuse_row(row_index, row_refusal{row_refusal::reason::bad_logit, begin + i,
                                                      static_cast<double>(values[i])});
                }
            }
        }
        max_logit = scan.max > max_logit ? scan.max : max_logit;
    }
    if (max_logit == -std::numeric_limits<value_type>::infinity()) {
        refuse_row(row_index, row_refusal{row_refusal::reason::all_minus_infinity});
    }
    return max_logit;
}

// The interval of `symbol` from the weight sums before it, its own weight and the total.
inline symbol_interval interval_from_sums(std::uint64_t weight_before, std::uint32_t weight,
                                          std::uint64_t total, std::int64_t symbol,
                                          std::int64_t vocabulary_size, int precision_bits) {
    const std::uint64_t free_mass =
        (std::uint64_t{1} << precision_bits) - static_cast<std::uint64_t>(vocabulary_size);
    const cdf_scale scale = make_cdf_scale(total, free_mass);
    const std::uint32_t low = cdf_entry(scale, weight_before, symbol);
    const std::uint32_t high = cdf_entry(scale, weight_before + weight, symbol + 1);
    return symbol_interval{low, high - low};
}

template <class Kernel, class Element>
symbol_interval quantize_symbol_with(strided_row<Element> row, std::int64_t symbol, int precision_bits,
                                     std::int64_t row_index) {
    check_quantizer_shape(row.size, precision_bits, row_index);
    check_symbol(symbol, row.size, row_index);
    chunk_reader<Element> reader(row);
    const auto max_logit = row_maximum<Kernel>(reader, row_index);
    std::uint64_t before = 0;
    std::uint64_t total = 0;
    std::uint32_t weight = 0;
    for (std::int64_t begin = 0; begin < row.size; begin += quantize_chunk_elements) {
        const std::int64_t n = std::min(quantize_chunk_elements, row.size - begin);
        const auto source = reader.steps(begin, n, max_logit);
        if (symbol < begin || symbol >= begin + n) {
            const std::uint64_t sum = Kernel::sum_weights(source, 0, n);
            total += sum;
            before += symbol >= begin + n ? sum : 0;
        } else { // integer sums: splitting the chunk around the symbol changes nothing
            const std::int64_t local = symbol - begin;
            const std::uint64_t left = Kernel::sum_weights(source, 0, local);
            weight = weight_of_steps(source.step(local));
            before += left;
            total += left + weight + Kernel::sum_weights(source, local + 1, n);
        }
    }
    return interval_from_sums(before, weight, total, symbol, row.size, precision_bits);
}

// cdf[1..V] hold the weights: turn them into the CDF.
template <class Kernel>
void finish_cdf(std::uint32_t* cdf, std::int64_t vocabulary_size, std::uint64_t total, int precision_bits) {
    const std::uint64_t free_mass =
        (std::uint64_t{1} << precision_bits) - static_cast<std::uint64_t>(vocabulary_size);
    cdf[0] = 0;
    Kernel::scan_cdf(cdf, vocabulary_size, make_cdf_scale(total, free_mass)); // cdf[V] = 2^P
}

// Writes the row's CDF into cdf[0..V] (the shape is checked by the caller).
template <class Kernel, class Element>
void quantize_cdf_into(strided_row<Element> row, int precision_bits, std::int64_t row_index,
                       std::uint32_t* cdf) {
    chunk_reader<Element> reader(row);
    const auto max_logit = row_maximum<Kernel>(reader, row_index);
    std::uint64_t total = 0;
    for (std::int64_t begin = 0; begin < row.size; begin += quantize_chunk_elements) {
        const std::int64_t n = std::min(quantize_chunk_elements, row.size - begin);
        total += Kernel::store_weights(reader.steps(begin, n, max_logit), 0, n, cdf + 1 + begin);
    }
    finish_cdf<Kernel>(cdf, row.size, total, precision_bits);
}

template <class Kernel, class Element>
void quantize_cdf_with(strided_row<Element> row, int precision_bits, std::int64_t row_index,
                       std::vector<std::uint32_t>& cdf) {
    check_quantizer_shape(row.size, precision_bits, row_index);
    cdf.resize(static_cast<std::size_t>(row.size) + 1);
    quantize_cdf_into<Kernel>(row, precision_bits, row_index, cdf.data());
}

// Block sums without allocating for vocabularies up to 2^18 (1024 blocks of 256). (new[], not
// std::vector: a std:: template compiled in a unit of codelength::dispatch would be a weak symbol
// built for that unit's instruction set.)
class block_sums {
public:
    explicit block_sums(std::int64_t blocks) {
        if (blocks > static_cast<std::int64_t>(m_inline.size())) {
            m_data = new std::uint64_t[static_cast<std::size_t>(blocks)];
        }
    }
    block_sums(const block_sums&) = delete;
    block_sums& operator=(const block_sums&) = delete;
    ~block_sums() {
        if (m_data != m_inline.data()) {
            delete[] m_data;
        }
    }
    [[nodiscard]] std::uint64_t* data() noexcept { return m_data; }

private:
    std::array<std::uint64_t, 1024> m_inline{};
    std::uint64_t* m_data = m_inline.data();
};

template <class Kernel, class Element>
quantized_symbol quantize_find_symbol_with(strided_row<Element> row, std::uint32_t value, int precision_bits,
                                           std::int64_t row_index) {
    check_quantizer_shape(row.size, precision_bits, row_index);
    check_value(value, precision_bits);
    constexpr std::int64_t block = find_block_elements;
    const std::int64_t vocabulary_size = row.size;
    chunk_reader<Element> reader(row);
    const auto max_logit = row_maximum<Kernel>(reader, row_index);
    const std::int64_t blocks = (vocabulary_size + block - 1) / block;
    block_sums storage(blocks);
    std::uint64_t* starts = storage.data(); // block sums, then the cumulative weight at each block start
    for (std::int64_t begin = 0; begin < vocabulary_size; begin += quantize_chunk_elements) {
        const std::int64_t n = std::min(quantize_chunk_elements, vocabulary_size - begin);
        const auto source = reader.steps(begin, n, max_logit);
        for (std::int64_t offset = 0; offset < n; offset += block) {
            starts[(begin + offset) / block] =
                Kernel::sum_weights(source, offset, std::min(n, offset + block));
        }
    }
    std::uint64_t total = 0;
    for (std::int64_t j = 0; j < blocks; ++j) {
        const std::uint64_t sum = starts[j];
        starts[j] = total;
        total += sum;
    }
    const std::uint64_t free_mass =
        (std::uint64_t{1} << precision_bits) - static_cast<std::uint64_t>(vocabulary_size);
    const cdf_scale scale = make_cdf_scale(total, free_mass);
    // The last block whose first CDF entry is <= value (block 0 starts at cdf_0 = 0).
    std::int64_t low_block = 0;
    std::int64_t high_block = blocks; // invariant: answer in [low_block, high_block)
    while (high_block - low_block > 1) {
        const std::int64_t middle = low_block + (high_block - low_block) / 2;
        if (cdf_entry(scale, starts[middle], middle * block) <= value) {
            low_block = middle;
        } else {
            high_block = middle;
        }
    }
    const std::int64_t begin = low_block * block;
    const std::int64_t n = std::min(block, vocabulary_size - begin);
    alignas(64) std::array<std::uint32_t, static_cast<std::size_t>(block)> weights{};
    (void)Kernel::store_weights(reader.steps(begin, n, max_logit), 0, n, weights.data());
    std::uint64_t cumulative = starts[low_block];
    std::uint32_t low = cdf_entry(scale, cumulative, begin);
    for (std::int64_t k = 0; k < n; ++k) {
        cumulative += weights[static_cast<std::size_t>(k)];
        const std::int64_t symbol = begin + k;
        const std::uint32_t high = cdf_entry(scale, cumulative, symbol + 1);
        if (value < high) {
            return quantized_symbol{symbol, symbol_interval{low, high - low}};
        }
        low = high;
    }
    // Unreachable: the block's last entry is the next block's first (> value) or 2^P (> value).
    refuse_row(row_index, row_refusal{row_refusal::reason::internal});
}

// --- Probabilities

template <class Probability>
void throw_invalid_probability(std::int64_t row_index, std::int64_t column, Probability value) {
    std::string what;
    if (std::isnan(value)) {
        what = "NaN probability";
    } else if (value < 0) {
        what = "negative probability " + std::to_string(static_cast<double>(value));
    } else {
        what = "+inf probability";
    }
    throw invalid_row_error(row_index, what + " at column " + std::to_string(column));
}

// Validates a row of probabilities and returns the exponent that scales its maximum into [2^31, 2^32).
template <class Probability>
int probability_row_scale(std::span<const Probability> probabilities, std::int64_t row_index) {
    Probability max_probability = 0;
    for (std::size_t i = 0; i < probabilities.size(); ++i) {
        const Probability p = probabilities[i];
        if (!(p >= 0 && p < std::numeric_limits<Probability>::infinity())) {
            throw_invalid_probability(row_index, static_cast<std::int64_t>(i), p);
        }
        max_probability = p > max_probability ? p : max_probability;
    }
    if (max_probability == 0) {
        throw invalid_row_error(row_index, "every probability is 0");
    }
    return probability_scale_exponent(static_cast<double>(max_probability));
}

template <class Probability>
symbol_interval quantize_symbol_from_probabilities_impl(std::span<const Probability> probabilities,
                                                        std::int64_t symbol, int precision_bits,
                                                        std::int64_t row_index) {
    const auto vocabulary_size = static_cast<std::int64_t>(probabilities.size());
    check_quantizer_shape(vocabulary_size, precision_bits, row_index);
    check_symbol(symbol, vocabulary_size, row_index);
    const int scale_exponent = probability_row_scale(probabilities, row_index);
    std::uint64_t before = 0;
    std::uint64_t total = 0;
    const auto s = static_cast<std::size_t>(symbol);
    for (std::size_t i = 0; i < probabilities.size(); ++i) {
        const std::uint32_t w = probability_weight(static_cast<double>(probabilities[i]), scale_exponent);
        before += i < s ? w : 0;
        total += w;
    }
    const std::uint32_t weight = probability_weight(static_cast<double>(probabilities[s]), scale_exponent);
    return interval_from_sums(before, weight, total, symbol, vocabulary_size, precision_bits);
}

template <class Kernel, class Probability>
void quantize_cdf_from_probabilities_with(std::span<const Probability> probabilities, int precision_bits,
                                          std::int64_t row_index, std::vector<std::uint32_t>& cdf) {
    const auto vocabulary_size = static_cast<std::int64_t>(probabilities.size());
    check_quantizer_shape(vocabulary_size, precision_bits, row_index);
    const int scale_exponent = probability_row_scale(probabilities, row_index);
    cdf.resize(probabilities.size() + 1);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < probabilities.size(); ++i) {
        const std::uint32_t w = probability_weight(static_cast<double>(probabilities[i]), scale_exponent);
        cdf[i + 1] = w;
        total += w;
    }
    finish_cdf<Kernel>(cdf.data(), vocabulary_size, total, precision_bits);
}

#if defined(CODELENGTH_DISPATCH)
// The quantizer of the active path of codelength::dispatch: the kernels run whole rows.
// scan_cdf alone serves the probabilities' CDF.
struct dispatched_quantize_kernel {
    static void scan_cdf(std::uint32_t* cdf, std::int64_t vocabulary_size, const cdf_scale& scale) noexcept {
        kernel_abi::active_kernels().scan_cdf(cdf, vocabulary_size, scale.multiplier, scale.shift);
    }

    template <class Element>
    static symbol_interval quantize_symbol(strided_row<Element> row, std::int64_t symbol, int precision_bits,
                                           std::int64_t row_index) {
        check_quantizer_shape(row.size, precision_bits, row_index);
        check_symbol(symbol, row.size, row_index);
        kernel_abi::quantize_output out{};
        kernel_abi::active_kernels().quantize_symbol[kernel_element_index<Element>()](kernel_row(row), symbol,
                                                                                      precision_bits, &out);
        throw_if_fault(out.fault, row_index);
        return symbol_interval{out.cdf_low, out.frequency};
    }

    template <class Element>
    static quantized_symbol quantize_find_symbol(strided_row<Element> row, std::uint32_t value,
                                                 int precision_bits, std::int64_t row_index) {
        check_quantizer_shape(row.size, precision_bits, row_index);
        check_value(value, precision_bits);
        kernel_abi::quantize_output out{};
        kernel_abi::active_kernels().quantize_find_symbol[kernel_element_index<Element>()](
            kernel_row(row), value, precision_bits, &out);
        throw_if_fault(out.fault, row_index);
        return quantized_symbol{out.symbol, symbol_interval{out.cdf_low, out.frequency}};
    }

    template <class Element>
    static void quantized_cdf(strided_row<Element> row, int precision_bits, std::int64_t row_index,
                              std::vector<std::uint32_t>& cdf) {
        check_quantizer_shape(row.size, precision_bits, row_index);
        cdf.resize(static_cast<std::size_t>(row.size) + 1);
        kernel_abi::row_fault fault{};
        kernel_abi::active_kernels().quantized_cdf[kernel_element_index<Element>()](
            kernel_row(row), precision_bits, cdf.data(), &fault);
        throw_if_fault(fault, row_index);
    }
};
#endif

// Runs `call` with the kernel that `kernel` selects in this build.
template <class Call>
decltype(auto) with_quantize_kernel(kernel_choice kernel, Call&& call) {
    check_kernel_available(kernel); // kernel_choice::simd without xsimd throws
#if defined(CODELENGTH_USE_XSIMD) && !defined(CODELENGTH_DISPATCH)
    if (kernel != kernel_choice::scalar) {
        return call(simd_quantize_kernel{});
    }
#else
    (void)kernel;
#endif
    return call(scalar_quantize_kernel{});
}

} // namespace detail

// Encoder path: the interval of `symbol` in the quantized CDF of a row of logits (or
// log-probabilities), in one pass over the row plus the maximum, without a V-sized buffer.
// Equals quantized_cdf{}.assign_from_logits(logits, P).interval(symbol) exactly, for every kernel.
// Throws invalid_argument_error for P outside [1, 31] or 2^P < V, target_out_of_range_error
// for a symbol outside [0, V), invalid_row_error for NaN or +inf logits or a row of -inf only;
// row_index only names the row in messages. A -inf logit gets frequency 1.
//   auto interval = codelength::quantize_symbol(row, token, codelength::precision_bits_24);
//   double bits = codelength::interval_bits(interval, codelength::precision_bits_24);
template <row_element Element>
[[nodiscard]] symbol_interval quantize_symbol(strided_row<Element> logits, std::int64_t symbol,
                                              int precision_bits, std::int64_t row_index = 0,
                                              kernel_choice kernel = kernel_choice::automatic) {
#if defined(CODELENGTH_DISPATCH)
    if (kernel != kernel_choice::scalar) {
        return detail::dispatched_quantize_kernel::quantize_symbol(logits, symbol, precision_bits, row_index);
    }
#endif
    return detail::with_quantize_kernel(kernel, [&](auto k) {
        return detail::quantize_symbol_with<decltype(k)>(logits, symbol, precision_bits, row_index);
    });
}

// Decoder path without a V-sized buffer: the symbol s with cdf_s <= value < cdf_{s+1} in the
// quantized CDF of a row of logits, and its interval, for value in [0, 2^P). Costs the same
// passes as quantize_symbol plus one block of 256 entries. Equals
// quantized_cdf{...}.find(value) and .interval(that symbol) exactly.
template <row_element Element>
[[nodiscard]] quantized_symbol quantize_find_symbol(strided_row<Element> logits, std::uint32_t value,
                                                    int precision_bits, std::int64_t row_index = 0,
                                                    kernel_choice kernel = kernel_choice::automatic) {
#if defined(CODELENGTH_DISPATCH)
    if (kernel != kernel_choice::scalar) {
        return detail::dispatched_quantize_kernel::quantize_find_symbol(logits, value, precision_bits,
                                                                        row_index);
    }
#endif
    return detail::with_quantize_kernel(kernel, [&](auto k) {
        return detail::quantize_find_symbol_with<decltype(k)>(logits, value, precision_bits, row_index);
    });
}

// Encoder path from probabilities p_i >= 0 (normalized or not: they are renormalized).
// Throws invalid_row_error for NaN, negative or +inf entries and rows of zeros. Equals
// quantized_cdf{}.assign_from_probabilities(probabilities, P).interval(symbol) exactly;
// float and double rows of equal values give equal intervals.
[[nodiscard]] inline symbol_interval quantize_symbol_from_probabilities(std::span<const double> probabilities,
                                                                        std::int64_t symbol,
                                                                        int precision_bits,
                                                                        std::int64_t row_index = 0) {
    return detail::quantize_symbol_from_probabilities_impl(probabilities, symbol, precision_bits, row_index);
}
[[nodiscard]] inline symbol_interval quantize_symbol_from_probabilities(std::span<const float> probabilities,
                                                                        std::int64_t symbol,
                                                                        int precision_bits,
                                                                        std::int64_t row_index = 0) {
    return detail::quantize_symbol_from_probabilities_impl(probabilities, symbol, precision_bits, row_index);
}

// Decoder path: a row's whole quantized CDF (V + 1 entries, cdf[0] = 0, cdf[V] = 2^P, strictly
// increasing), kept in a reusable buffer, with interval and symbol lookup.
//   codelength::quantized_cdf cdf;
//   cdf.assign_from_logits(row, codelength::precision_bits_24);
//   std::int64_t s = cdf.find(value);          // cdf[s] <= value < cdf[s + 1]
//   codelength::symbol_interval slot = cdf.interval(s);
class quantized_cdf {
public:
    quantized_cdf() = default;

    // Quantizes a row of logits (or log-probabilities); same errors as quantize_symbol.
    template <row_element Element>
    void assign_from_logits(strided_row<Element> logits, int precision_bits, std::int64_t row_index = 0,
                            kernel_choice kernel = kernel_choice::automatic) {
        m_precision_bits = 0; // stays empty if a check throws
        m_cdf.clear();
        try {
#if defined(CODELENGTH_DISPATCH)
            if (kernel != kernel_choice::scalar) {
                detail::dispatched_quantize_kernel::quantized_cdf(logits, precision_bits, row_index, m_cdf);
            } else
#endif
            {
                detail::with_quantize_kernel(kernel, [&](auto k) {
                    detail::quantize_cdf_with<decltype(k)>(logits, precision_bits, row_index, m_cdf);
                });
            }
        } catch (...) { // a row refused after the CDF was sized
            m_cdf.clear();
            throw;
        }
        m_precision_bits = precision_bits;
        m_row_index = row_index;
    }

    // Quantizes a row of probabilities; same errors as quantize_symbol_from_probabilities.
    void assign_from_probabilities(std::span<const double> probabilities, int precision_bits,
                                   std::int64_t row_index = 0,
                                   kernel_choice kernel = kernel_choice::automatic) {
        assign_probabilities(probabilities, precision_bits, row_index, kernel);
    }
    void assign_from_probabilities(std::span<const float> probabilities, int precision_bits,
                                   std::int64_t row_index = 0,
                                   kernel_choice kernel = kernel_choice::automatic) {
        assign_probabilities(probabilities, precision_bits, row_index, kernel);
    }

    // V, the number of symbols (0 before the first assign).
    [[nodiscard]] std::int64_t size() const noexcept {
        return m_cdf.empty() ? 0 : static_cast<std::int64_t>(m_cdf.size()) - 1;
    }
    [[nodiscard]] int precision_bits() const noexcept {
        return m_precision_bits;
    }
    // 2^P, the CDF's total.
    [[nodiscard]] std::uint32_t total() const noexcept {
        return m_cdf.empty() ? 0 : std::uint32_t{1} << static_cast<unsigned>(m_precision_bits);
    }

    // [cdf[s], cdf[s + 1]) as (cdf_low, frequency >= 1); target_out_of_range_error outside [0, V).
    [[nodiscard]] symbol_interval interval(std::int64_t symbol) const {
        detail::check_symbol(symbol, size(), m_row_index);
        const auto s = static_cast<std::size_t>(symbol);
        return symbol_interval{m_cdf[s], m_cdf[s + 1] - m_cdf[s]};
    }

    // The symbol s with cdf[s] <= value < cdf[s + 1], by branchless binary search;
    // invalid_argument_error when value >= 2^P (or nothing was assigned).
    [[nodiscard]] std::int64_t find(std::uint32_t value) const {
        if (m_cdf.empty()) {
            throw invalid_argument_error("quantized_cdf::find: no distribution assigned");
        }
        detail::check_value(value, m_precision_bits);
        // Invariant: the answer lies in [base, base + length); cdf[0] = 0 <= value.
        const std::uint32_t* base = m_cdf.data();
        std::size_t length = m_cdf.size() - 1;
        while (length > 1) {
            const std::size_t half = length / 2;
            base = base[half] <= value ? base + half : base;
            length -= half;
        }
        return base - m_cdf.data();
    }

    // The CDF entries, V + 1 of them.
    [[nodiscard]] std::span<const std::uint32_t> cdf() const noexcept {
        return m_cdf;
    }

private:
    template <class Probability>
    void assign_probabilities(std::span<const Probability> probabilities, int precision_bits,
                              std::int64_t row_index, kernel_choice kernel) {
        m_precision_bits = 0;
        m_cdf.clear();
#if defined(CODELENGTH_DISPATCH)
        if (kernel != kernel_choice::scalar) {
            detail::quantize_cdf_from_probabilities_with<detail::dispatched_quantize_kernel>(
                probabilities, precision_bits, row_index, m_cdf);
        } else
#endif
        {
            detail::with_quantize_kernel(kernel, [&](auto k) {
                detail::quantize_cdf_from_probabilities_with<decltype(k)>(probabilities, precision_bits,
                                                                          row_index, m_cdf);
            });
        }
        m_precision_bits = precision_bits;
        m_row_index = row_index;
    }

    std::vector<std::uint32_t> m_cdf;
    int m_precision_bits = 0;
    std::int64_t m_row_index = 0;
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
