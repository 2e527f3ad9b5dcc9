// Run-time choice of the SIMD kernels: the row kernel and the quantizer run the widest code
// path the CPU and the operating system support, whatever flags the including program was
// compiled with. The kernels are compiled once per instruction set, each in its own translation
// unit with its own flags (src/numerics/kernels_<isa>.cpp), into the library codelength::dispatch;
// linking it defines CODELENGTH_DISPATCH, and the headers then call the kernels through the table
// declared here instead of inlining the kernel of the compile-time target.
//
// Everything in this header's first part is deliberately outside CODELENGTH_TARGET_NAMESPACE:
// it is the one interface that translation units compiled for different targets share, so it
// holds plain types and non-inline functions only.
//
// The path: the widest of avx512 (AVX-512 F, BW, DQ, VL), avx2 (AVX2, FMA, F16C), sse2 on x86-64;
// neon on aarch64; scalar everywhere. The environment variable CODELENGTH_ISA (scalar, sse2,
// avx2, avx512, neon) chooses a narrower one, read once; a path the machine cannot run is capped
// at the widest it can, with a message on stderr. Every path gives the same quantized CDFs,
// streams and compressed files bit for bit; the row kernel's statistics agree within 1e-6 bits
// per token between paths (tests/numerics/test_dispatch.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "codelength/core/config.hpp"
#include "codelength/core/row_fault.hpp"

namespace codelength::inline v0 {

// The code paths of the kernels, narrowest first.
enum class instruction_set : std::uint8_t { scalar, sse2, avx2, avx512, neon };
inline constexpr std::array<instruction_set, 5> all_instruction_sets = {
    instruction_set::scalar, instruction_set::sse2, instruction_set::avx2, instruction_set::avx512,
    instruction_set::neon};

// The functions below are defined in the library codelength::dispatch.

// "scalar", "sse2", "avx2", "avx512" or "neon".
[[nodiscard]] const char* instruction_set_name(instruction_set isa) noexcept;
// Whether this build has the path and this CPU and operating system can run it.
[[nodiscard]] bool instruction_set_available(instruction_set isa) noexcept;
// The widest available path.
[[nodiscard]] instruction_set detected_instruction_set() noexcept;
// The path the kernels take now: CODELENGTH_ISA capped at what is available, else the widest.
[[nodiscard]] instruction_set active_instruction_set() noexcept;
// Makes `isa` the path of every thread's later calls; false (nothing changes) when unavailable.
[[nodiscard]] bool try_use_instruction_set(instruction_set isa) noexcept;

namespace kernel_abi {

// Index of an element type in the tables' per-type entries.
enum class element_index : std::uint8_t { float32, float64, bfloat16, float16 };
inline constexpr std::size_t element_count = 4;

// One row of logits: data[i * stride] for i < size, elements of the table entry's type.
struct row_input {
    const void* data;
    std::int64_t size;
    std::int64_t stride;
};

// row_fault and fault_kind (why a kernel refused a row) are in core/row_fault.hpp.

// row_statistics' fields (target_rank is -1 when target < 0).
struct row_statistics_output {
    double max_logit;
    double log_sum_exp_nats;
    double target_log_probability_nats;
    double entropy_nats;
    double log_probability_variance_nats2;
    std::int64_t target_rank;
    row_fault fault;
};

// A symbol and its quantized interval.
struct quantize_output {
    std::int64_t symbol;
    std::uint32_t cdf_low;
    std::uint32_t frequency;
    row_fault fault;
};

// The kernels of one path. The caller has checked the arguments (vocabulary size >= 1, target
// or symbol inside the row, precision and value in range); faults come from the data only.
struct kernel_table {
    instruction_set isa;
    std::array<void (*)(row_input row, std::int64_t target, row_statistics_output* out) noexcept,
               element_count>
        row_statistics;
    std::array<void (*)(row_input row, std::int64_t symbol, int precision_bits,
                        quantize_output* out) noexcept,
               element_count>
        quantize_symbol;
    std::array<void (*)(row_input row, std::uint32_t value, int precision_bits,
                        quantize_output* out) noexcept,
               element_count>
        quantize_find_symbol;
    // Writes the row's whole CDF, size + 1 entries.
    std::array<void (*)(row_input row, int precision_bits, std::uint32_t* cdf, row_fault* fault) noexcept,
               element_count>
        quantized_cdf;
    // cdf[1..V] hold weights on entry and the CDF on return (cdf_scale's multiplier and shift).
    void (*scan_cdf)(std::uint32_t* cdf, std::int64_t vocabulary_size, std::uint64_t multiplier,
                     unsigned shift) noexcept;
    // Advances the (inverted) CRC-32C register over size bytes.
    std::uint32_t (*crc32c_advance)(std::uint32_t state, const unsigned char* data,
                                    std::size_t size) noexcept;
};

// The active path's table.
[[nodiscard]] const kernel_table& active_kernels() noexcept;
// The table of `isa`; nullptr when instruction_set_available(isa) is false.
[[nodiscard]] const kernel_table* kernels_for(instruction_set isa) noexcept;

// The tables of the per-ISA translation units (each defined only where its path is compiled).
[[nodiscard]] const kernel_table& scalar_kernels() noexcept;
[[nodiscard]] const kernel_table& sse2_kernels() noexcept;
[[nodiscard]] const kernel_table& avx2_kernels() noexcept;
[[nodiscard]] const kernel_table& avx512_kernels() noexcept;
[[nodiscard]] const kernel_table& neon_kernels() noexcept;

} // namespace kernel_abi

} // namespace codelength::inline v0
