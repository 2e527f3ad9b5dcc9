// The body of every per-ISA translation unit (kernels_<isa>.cpp): the header kernels, compiled
// for the unit's target, behind the plain functions of kernel_abi::kernel_table. Everything here
// lives in CODELENGTH_TARGET_NAMESPACE, so nothing a unit compiled with -mavx2 emits can be
// merged with the baseline copy of an inline function (tests/numerics/check_kernel_symbols.sh).
// Errors are carried back as faults: an exception of this unit's codelength types would not be
// caught by a handler for the caller's (differently tagged) types.
#pragma once

#if !defined(CODELENGTH_KERNEL_UNIT)
#error "the units of codelength::dispatch are compiled with CODELENGTH_KERNEL_UNIT (src/CMakeLists.txt)"
#endif
#if defined(CODELENGTH_DISPATCH)
#error "the kernels themselves are compiled without CODELENGTH_DISPATCH (they would call themselves)"
#endif

#include <cstdint>
#include <type_traits>

#include "codelength/coding/checksum.hpp"
#include "codelength/coding/quantize.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/numerics/dispatch.hpp"
#include "codelength/numerics/dispatched_kernels.hpp"
#include "codelength/numerics/row_kernel_scalar.hpp"
#if defined(CODELENGTH_USE_XSIMD)
#include "codelength/coding/quantize_simd.hpp"
#include "codelength/numerics/row_kernel_simd.hpp"
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

template <class Element>
strided_row<Element> row_of(kernel_abi::row_input row) noexcept {
    return strided_row<Element>{static_cast<const Element*>(row.data), row.size, row.stride};
}

// A symbol and its interval in the kernel table's plain form.
inline void store(const quantized_symbol& found, kernel_abi::quantize_output& out) noexcept {
    out.symbol = found.symbol;
    out.cdf_low = found.interval.cdf_low;
    out.frequency = found.interval.frequency;
}

// Runs work(); a row_refusal (core/error.hpp) or std::bad_alloc becomes a fault.
template <class Work>
void run_guarded(kernel_abi::row_fault& fault, Work&& work) noexcept {
    fault = kernel_abi::row_fault{};
    try {
        work();
    } catch (const row_refusal& refusal) {
        fault = kernel_abi::row_fault{refusal.why, refusal.column, refusal.value};
    } catch (...) { // std::bad_alloc: the only other exception these kernels can throw
        fault.kind = kernel_abi::fault_kind::out_of_memory;
    }
}

// Simd: the xsimd kernels of this unit's target; otherwise the portable ones.
template <bool Simd>
struct target_kernels {
#if defined(CODELENGTH_USE_XSIMD)
    using quantizer = std::conditional_t<Simd, simd_quantize_kernel, scalar_quantize_kernel>;
#else
    static_assert(!Simd, "the SIMD kernels need xsimd");
    using quantizer = scalar_quantize_kernel;
#endif

    template <class Element>
    static void row_statistics(kernel_abi::row_input row, std::int64_t target,
                               kernel_abi::row_statistics_output* out) noexcept {
        run_guarded(out->fault, [&] {
            const auto statistics = [&] {
#if defined(CODELENGTH_USE_XSIMD)
                if constexpr (Simd) {
                    return row_statistics_simd(row_of<Element>(row), target, 0);
                }
#endif
                return row_statistics_scalar(row_of<Element>(row), target, 0);
            }();
            store_row_statistics(statistics, *out);
        });
    }

    template <class Element>
    static void quantize_symbol(kernel_abi::row_input row, std::int64_t symbol, int precision_bits,
                                kernel_abi::quantize_output* out) noexcept {
        run_guarded(out->fault, [&] {
            store(quantized_symbol{symbol, quantize_symbol_with<quantizer>(row_of<Element>(row), symbol,
                                                                           precision_bits, 0)},
                  *out);
        });
    }

    template <class Element>
    static void quantize_find_symbol(kernel_abi::row_input row, std::uint32_t value, int precision_bits,
                                     kernel_abi::quantize_output* out) noexcept {
        run_guarded(out->fault, [&] {
            store(quantize_find_symbol_with<quantizer>(row_of<Element>(row), value, precision_bits, 0), *out);
        });
    }

    template <class Element>
    static void quantized_cdf(kernel_abi::row_input row, int precision_bits, std::uint32_t* cdf,
                              kernel_abi::row_fault* fault) noexcept {
        run_guarded(*fault,
                    [&] { quantize_cdf_into<quantizer>(row_of<Element>(row), precision_bits, 0, cdf); });
    }

    static void scan_cdf(std::uint32_t* cdf, std::int64_t vocabulary_size, std::uint64_t multiplier,
                         unsigned shift) noexcept {
        quantizer::scan_cdf(cdf, vocabulary_size, cdf_scale{multiplier, shift});
    }

    static std::uint32_t crc32c_advance(std::uint32_t state, const unsigned char* data,
                                        std::size_t size) noexcept {
        return Simd ? crc32c_advance_fastest(state, data, size) : crc32c_advance_portable(state, data, size);
    }

    static constexpr kernel_abi::kernel_table table(instruction_set isa) noexcept {
        return kernel_abi::kernel_table{
            isa,
            {&row_statistics<float>, &row_statistics<double>, &row_statistics<bfloat16>,
             &row_statistics<float16>},
            {&quantize_symbol<float>, &quantize_symbol<double>, &quantize_symbol<bfloat16>,
             &quantize_symbol<float16>},
            {&quantize_find_symbol<float>, &quantize_find_symbol<double>, &quantize_find_symbol<bfloat16>,
             &quantize_find_symbol<float16>},
            {&quantized_cdf<float>, &quantized_cdf<double>, &quantized_cdf<bfloat16>,
             &quantized_cdf<float16>},
            &scan_cdf,
            &crc32c_advance,
        };
    }
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail
