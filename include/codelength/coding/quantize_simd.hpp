// The vectorized quantization kernel (xsimd): the fixed-point pipeline of
// quantize_fixed_point.hpp in SIMD lanes. Every lane computes the same integers as the scalar
// kernel (the same two rounded float operations and truncation, then integer arithmetic), and
// integer sums do not depend on their order, so results are identical for any SIMD width.
// AVX-512 and AVX2 get native table lookups and shifts (and AVX-512 a vectorized prefix sum);
// other instruction sets run the integer steps lane by lane.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "codelength/core/config.hpp"
#include "codelength/detail/xsimd_compat.hpp"

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "codelength/coding/quantize_fixed_point.hpp"
#include "codelength/coding/quantize_scalar.hpp"

// GCC 12 reports AVX-512 intrinsics' deliberately undefined registers as maybe-uninitialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

// Steps n = trunc(min((m - z) * K, 32767)) of the float lanes at logits + i: the same two
// rounded operations as the scalar exponent_steps (a product feeds only min, never an add).
template <class Arch = xsimd::default_arch>
xsimd::batch<std::uint32_t, Arch> steps_of(const logit_chunk& chunk, std::int64_t i) noexcept {
    using float_batch = xsimd::batch<float, Arch>;
    const float_batch z = float_batch::load_unaligned(chunk.logits + i);
    const float_batch steps = (float_batch(chunk.max_logit) - z) * float_batch(steps_per_nat_float);
    // min(a, b) is a < b ? a : b on every ISA when no NaN is involved (the row has none).
    const float_batch clamped = xsimd::min(steps, float_batch(static_cast<float>(max_exponent_steps)));
    return detail::simd_bitwise_cast<xsimd::batch<std::uint32_t, Arch>>(xsimd::to_int(clamped)); // truncates
}
template <class Arch = xsimd::default_arch>
xsimd::batch<std::uint32_t, Arch> steps_of(const step_chunk& chunk, std::int64_t i) noexcept {
    return xsimd::batch<std::uint32_t, Arch>::load_unaligned(chunk.steps + i);
}

#if defined(__AVX2__)
// table[index & 31] per lane: four 8-entry permutes, then blends on index bits 3 and 4.
inline __m256i lookup32_avx2(const std::array<std::uint32_t, 32>& table, __m256i index) noexcept {
    const auto* words = reinterpret_cast<const __m256i*>(table.data());
    const __m256 part0 = _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(_mm256_load_si256(words), index));
    const __m256 part1 =
        _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(_mm256_load_si256(words + 1), index));
    const __m256 part2 =
        _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(_mm256_load_si256(words + 2), index));
    const __m256 part3 =
        _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(_mm256_load_si256(words + 3), index));
    // blendv takes the second operand where the mask's sign bit is set.
    const __m256 bit3 = _mm256_castsi256_ps(_mm256_slli_epi32(index, 28));
    const __m256 bit4 = _mm256_castsi256_ps(_mm256_slli_epi32(index, 27));
    const __m256 low = _mm256_blendv_ps(part0, part1, bit3);
    const __m256 high = _mm256_blendv_ps(part2, part3, bit3);
    return _mm256_castps_si256(_mm256_blendv_ps(low, high, bit4));
}
#endif

// w(n) = coarse[(n >> 5) & 31] * fine[n & 31] >> (n >> 10) per lane (weight_of_steps).
template <class Arch>
xsimd::batch<std::uint32_t, Arch> weights_of(const xsimd::batch<std::uint32_t, Arch>& steps) noexcept {
#if defined(__AVX512F__)
    if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
        // permutex2var selects among 32 entries by the index's low five bits.
        const __m512i coarse_low = _mm512_load_si512(weight_table_coarse.data());
        const __m512i coarse_high = _mm512_load_si512(weight_table_coarse.data() + 16);
        const __m512i fine_low = _mm512_load_si512(weight_table_fine.data());
        const __m512i fine_high = _mm512_load_si512(weight_table_fine.data() + 16);
        const __m512i n = steps;
        const __m512i coarse = _mm512_permutex2var_epi32(coarse_low, _mm512_srli_epi32(n, 5), coarse_high);
        const __m512i fine = _mm512_permutex2var_epi32(fine_low, n, fine_high);
        // The product is below 2^31 + 1: the low 32 bits of the signed product are exact.
        return _mm512_srlv_epi32(_mm512_mullo_epi32(coarse, fine), _mm512_srli_epi32(n, fraction_bits));
    }
#endif
#if defined(__AVX2__)
    if constexpr (std::is_base_of_v<xsimd::avx2, Arch>) {
        const __m256i n = steps;
        const __m256i coarse = lookup32_avx2(weight_table_coarse, _mm256_srli_epi32(n, 5));
        const __m256i fine = lookup32_avx2(weight_table_fine, n);
        return _mm256_srlv_epi32(_mm256_mullo_epi32(coarse, fine), _mm256_srli_epi32(n, fraction_bits));
    }
#endif
    // Other instruction sets: lane by lane, the scalar function itself.
    using batch = xsimd::batch<std::uint32_t, Arch>;
    alignas(64) std::array<std::uint32_t, batch::size> lanes{};
    steps.store_aligned(lanes.data());
    for (auto& lane : lanes) {
        lane = weight_of_steps(lane);
    }
    return batch::load_aligned(lanes.data());
}

// Sum of 32-bit lanes in 64 bits.
template <class Arch>
std::uint64_t lanes_sum(const xsimd::batch<std::uint32_t, Arch>& batch) noexcept {
    alignas(64) std::array<std::uint32_t, xsimd::batch<std::uint32_t, Arch>::size> lanes{};
    batch.store_aligned(lanes.data());
    std::uint64_t total = 0;
    for (const auto lane : lanes) {
        total += lane;
    }
    return total;
}

#if defined(__AVX512F__)
// The AVX-512 prefix-sum pass of scan_cdf: 16 weights per step. The 64-bit lanes hold weight
// pairs (w_2k, w_2k+1); a three-step scan over the pair sums gives the cumulative weight
// through every odd element, minus w_2k+1 through every even one. Both are scaled with two
// 32 x 32 -> 64-bit products (cdf_scale::apply) and interleaved back into 32-bit lanes.
// Returns the number of elements done (a multiple of 16) and their total weight.
struct scan_progress {
    std::int64_t done = 0;
    std::uint64_t cumulative = 0;
};
inline scan_progress scan_cdf_avx512(std::uint32_t* cdf, std::int64_t vocabulary_size,
                                     const cdf_scale& scale) noexcept {
    const __m512i zero = _mm512_setzero_si512();
    const __m512i low_half = _mm512_set1_epi64(0xffffffffLL);
    const __m512i multiplier = _mm512_set1_epi64(static_cast<long long>(scale.multiplier));
    const __m128i shift = _mm_cvtsi32_si128(static_cast<int>(scale.shift));
    const __m512i last_lane = _mm512_set1_epi64(7);
    const __m512i sixteen = _mm512_set1_epi32(16);
    __m512i position = _mm512_setr_epi32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
    __m512i carry = zero; // the cumulative weight before this step, in every lane
    auto apply_scale = [&](__m512i cumulative) {
        const __m512i high = _mm512_mul_epu32(_mm512_srli_epi64(cumulative, 32), multiplier);
        const __m512i low = _mm512_mul_epu32(cumulative, multiplier); // low 32 bits of each lane
        return _mm512_srl_epi64(_mm512_add_epi64(high, _mm512_srli_epi64(low, 32)), shift);
    };
    std::int64_t i = 0;
    for (; i + 16 <= vocabulary_size; i += 16) {
        const __m512i weights = _mm512_loadu_si512(cdf + 1 + i);
        const __m512i even = _mm512_and_si512(weights, low_half);
        const __m512i odd = _mm512_srli_epi64(weights, 32);
        __m512i pairs = _mm512_add_epi64(even, odd);
        // alignr(x, 0, 8 - k) shifts the lanes up by k, filling with zeros.
        pairs = _mm512_add_epi64(pairs, _mm512_alignr_epi64(pairs, zero, 7));
        pairs = _mm512_add_epi64(pairs, _mm512_alignr_epi64(pairs, zero, 6));
        pairs = _mm512_add_epi64(pairs, _mm512_alignr_epi64(pairs, zero, 4));
        const __m512i through_odd = _mm512_add_epi64(carry, pairs);
        const __m512i through_even = _mm512_sub_epi64(through_odd, odd);
        carry = _mm512_add_epi64(carry, _mm512_permutexvar_epi64(last_lane, pairs));
        // Scaled values are below 2^31: even results stay in the low halves, odd ones move up.
        const __m512i scaled =
            _mm512_or_si512(apply_scale(through_even), _mm512_slli_epi64(apply_scale(through_odd), 32));
        _mm512_storeu_si512(cdf + 1 + i, _mm512_add_epi32(scaled, position));
        position = _mm512_add_epi32(position, sixteen);
    }
    alignas(64) std::array<std::uint64_t, 8> lanes{};
    _mm512_store_si512(lanes.data(), carry);
    return scan_progress{i, lanes[0]};
}
#endif

struct simd_quantize_kernel {
    template <class Float>
    [[nodiscard]] static maximum_scan<Float> maximum(const Float* values, std::int64_t n) noexcept {
        using batch = xsimd::batch<Float>;
        constexpr auto lanes = static_cast<std::int64_t>(batch::size);
        const batch infinity(std::numeric_limits<Float>::infinity());
        batch max0(-std::numeric_limits<Float>::infinity());
        batch max1 = max0;
        // NaN and +inf fail v < inf; -inf passes.
        auto valid0 = max0 < infinity;
        auto valid1 = valid0;
        std::int64_t i = 0;
        for (; i + 2 * lanes <= n; i += 2 * lanes) {
            const batch a = batch::load_unaligned(values + i);
            const batch b = batch::load_unaligned(values + i + lanes);
            max0 = xsimd::max(max0, a);
            max1 = xsimd::max(max1, b);
            valid0 = valid0 & (a < infinity);
            valid1 = valid1 & (b < infinity);
        }
        maximum_scan<Float> result;
        result.valid = xsimd::all(valid0 & valid1);
        alignas(64) std::array<Float, batch::size> lanes_max{};
        xsimd::max(max0, max1).store_aligned(lanes_max.data());
        for (const auto lane : lanes_max) {
            result.max = lane > result.max ? lane : result.max;
        }
        const auto tail = scalar_quantize_kernel::maximum(values + i, n - i);
        result.valid = result.valid && tail.valid;
        result.max = tail.max > result.max ? tail.max : result.max;
        return result;
    }

    // The split sums (w >> 16 and w & 0xffff per lane) cannot overflow for up to 2^16 vectors.
    template <class Source>
    [[nodiscard]] static std::uint64_t sum_weights(const Source& source, std::int64_t begin,
                                                   std::int64_t end) noexcept {
        using batch = xsimd::batch<std::uint32_t>;
        constexpr auto lanes = static_cast<std::int64_t>(batch::size);
        const batch low_mask(0xffffU);
        batch high(0U);
        batch low(0U);
        std::int64_t i = begin;
        for (; i + lanes <= end; i += lanes) {
            const batch w = weights_of(steps_of(source, i));
            high += w >> 16;
            low += w & low_mask;
        }
        return (lanes_sum(high) << 16U) + lanes_sum(low) +
               scalar_quantize_kernel::sum_weights(source, i, end);
    }

    template <class Source>
    static std::uint64_t store_weights(const Source& source, std::int64_t begin, std::int64_t end,
                                       std::uint32_t* out) noexcept {
        using batch = xsimd::batch<std::uint32_t>;
        constexpr auto lanes = static_cast<std::int64_t>(batch::size);
        const batch low_mask(0xffffU);
        batch high(0U);
        batch low(0U);
        std::int64_t i = begin;
        for (; i + lanes <= end; i += lanes) {
            const batch w = weights_of(steps_of(source, i));
            w.store_unaligned(out + (i - begin));
            high += w >> 16;
            low += w & low_mask;
        }
        return (lanes_sum(high) << 16U) + lanes_sum(low) +
               scalar_quantize_kernel::store_weights(source, i, end, out + (i - begin));
    }

    static void scan_cdf(std::uint32_t* cdf, std::int64_t vocabulary_size, const cdf_scale& scale) noexcept {
        std::int64_t done = 0;
        std::uint64_t cumulative = 0;
#if defined(__AVX512F__)
        if constexpr (std::is_base_of_v<xsimd::avx512f, xsimd::default_arch>) {
            const auto progress = scan_cdf_avx512(cdf, vocabulary_size, scale);
            done = progress.done;
            cumulative = progress.cumulative;
        }
#endif
        for (std::int64_t i = done + 1; i <= vocabulary_size; ++i) {
            cumulative += cdf[i];
            cdf[i] = static_cast<std::uint32_t>(scale.apply(cumulative)) + static_cast<std::uint32_t>(i);
        }
    }
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
