// The body that a.cpp (compiled for AVX2 or AVX-512) and b.cpp (the baseline) share: FUNCTION(name)
// prefixes the functions, the compile flags pick the instruction set. Built at -O0 -fno-inline,
// every inline function of codelength (and every xsimd template that is not always_inline) is
// emitted as a weak symbol; with the target-tagged inline namespace of core/config.hpp the two
// units' copies have different names, so the linker cannot swap one for the other.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <codelength/coding/checksum.hpp>
#include <codelength/coding/quantize.hpp>
#include <codelength/numerics/row_kernel.hpp>

#include "logits.hpp"

// Total surprisal in bits of the shared logits against their targets, float rows.
double FUNCTION(total_bits)() {
    const auto z = link_order::logits();
    double total = 0.0;
    for (std::int64_t r = 0; r < link_order::rows; ++r) {
        const codelength::strided_row<float> row{z.data() + r * link_order::columns, link_order::columns, 1};
        total += codelength::compute_row_statistics(row, link_order::target(r)).target_surprisal_bits();
    }
    return total;
}

// A bfloat16 row's quantized interval at P = 24 (widen_16bit, the quantizer's SIMD scan), packed.
std::uint64_t FUNCTION(bfloat16_interval)() {
    const auto z = link_order::logits();
    std::vector<codelength::bfloat16> row;
    for (std::int64_t c = 0; c < link_order::columns; ++c) {
        row.push_back(codelength::bfloat16::from_float(z[static_cast<std::size_t>(c)]));
    }
    const auto interval = codelength::quantize_symbol(
        codelength::strided_row<codelength::bfloat16>{row.data(), link_order::columns, 1},
        link_order::target(0), 24);
    return (std::uint64_t{interval.cdf_low} << 32U) | interval.frequency;
}

// CRC-32C of the logits' bytes (checksum.hpp picks its body by __SSE4_2__).
std::uint32_t FUNCTION(checksum)() {
    const auto z = link_order::logits();
    return codelength::crc32c(std::as_bytes(std::span<const float>(z)));
}
