// The vectorized quantization kernel (xsimd): the fixed-point pipeline of
// quantize_fixed_point.hpp in SIMD lanes. Every lane computes the same integers as the scalar
// kernel (the same two rounded float operations and truncation, then integer arithmetic), and
// integer sums do not depend on their order, so results are identical for any SIMD width.
// AVX-512 and AVX2 get native table lookups and shifts (AVX2: two permutes for the coarse table,
// the fine one in closed form; AVX-512: a vectorized prefix sum too); other instruction sets
// run the integer steps lane by lane.
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

// Whether weights_of<Arch> takes any step count n >= 0, not only n <= 32767: the AVX2 and
// AVX-512 bodies look up tables by n's low bits and shift by n >> 10 with variable shifts, which
// give 0 for counts of 32 and more, and w(n) = 0 for every n >= 32767 (weight_of_steps), so a
// clamp before them changes no weight.
template <class Arch>
constexpr bool weights_take_unclamped_steps() noexcept {
#if defined(__AVX512F__)
    if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
        return true;
    }
#endif
#if defined(__AVX2__)
    if constexpr (std::is_base_of_v<xsimd::avx2, Arch>) {
        return true;
    }
#endif
    return false;
}
static_assert(weight_of_steps(max_exponent_steps) == 0 && max_exponent_steps >> fraction_bits == 31);

// Steps n = trunc(min((m - z) * K, 32767)) of the float lanes at logits + i: the same two
// rounded operations as the scalar exponent_steps (a product feeds only min, never an add).
// Where weights_of takes unclamped steps, the clamp is left out: trunc((m - z) * K) is then
// n, a count >= 32767 whose weight is 0 too, or 2^31 (cvttps2dq's out-of-range value) for a
// product of 2^31 or more (+inf for a -inf logit), whose shift count 2^21 gives 0 as well.
template <class Arch = xsimd::default_arch>
xsimd::batch<std::uint32_t, Arch> steps_of(const logit_chunk& chunk, std::int64_t i) noexcept {
    using float_batch = xsimd::batch<float, Arch>;
    const float_batch z = float_batch::load_unaligned(chunk.logits + i);
    const float_batch steps = (float_batch(chunk.max_logit) - z) * float_batch(steps_per_nat_float);
    if constexpr (weights_take_unclamped_steps<Arch>()) {
        return detail::simd_bitwise_cast<xsimd::batch<std::uint32_t, Arch>>(
            xsimd::to_int(steps)); // truncates
    } else {
        // min(a, b) is a < b ? a : b on every ISA when no NaN is involved (the row has none).
        const float_batch clamped = xsimd::min(steps, float_batch(static_cast<float>(max_exponent_steps)));
        return detail::simd_bitwise_cast<xsimd::batch<std::uint32_t, Arch>>(
            xsimd::to_int(clamped)); // truncates
    }
}
template <class Arch = xsimd::default_arch>
xsimd::batch<std::uint32_t, Arch> steps_of(const step_chunk& chunk, std::int64_t i) noexcept {
    return xsimd::batch<std::uint32_t, Arch>::load_unaligned(chunk.steps + i);
}

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
        // coarse: two 8-entry permutes of the 16 pairs (h & 7), a blend on h's bit 3 (n's bit 8,
        // shifted to the sign bit), then the half that h's bit 4 names.
        const __m256i n = steps;
        const __m256i h = _mm256_srli_epi32(n, 5);
        const auto* pair_words = reinterpret_cast<const __m256i*>(weight_table_coarse_pairs.data());
        const __m256 pairs_low =
            _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(_mm256_load_si256(pair_words), h));
        const __m256 pairs_high =
            _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(_mm256_load_si256(pair_words + 1), h));
        const __m256i pairs = _mm256_castps_si256(
            _mm256_blendv_ps(pairs_low, pairs_high, _mm256_castsi256_ps(_mm256_slli_epi32(n, 23))));
        const __m256i half = _mm256_srlv_epi32(pairs, _mm256_and_si256(h, _mm256_set1_epi32(16)));
        const __m256i coarse = _mm256_add_epi32(_mm256_and_si256(half, _mm256_set1_epi32(0xffff)),
                                                _mm256_set1_epi32(static_cast<int>(coarse_weight_bias)));
        // fine: the closed form; l and l - 2840 are 16-bit in the low halves (high halves 0 and
        // -1), so one multiply-add of 16-bit halves gives l (l - 2840).
        const __m256i l = _mm256_and_si256(n, _mm256_set1_epi32(31));
        const __m256i square =
            _mm256_madd_epi16(l, _mm256_sub_epi32(l, _mm256_set1_epi32(fine_weight_linear)));
        const __m256i fine =
            _mm256_srli_epi32(_mm256_add_epi32(square, _mm256_set1_epi32(fine_weight_offset)),
                              static_cast<int>(fine_weight_shift));
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

// Exact sums of the weights w_k of at most 2^16 vectors, two operations per vector: `wrapped`
// adds the w_k modulo 2^32 and `high` adds the w_k >> 16. Per lane, the low parts' sum
// L = sum (w_k & 0xffff) is below 2^16 * 2^16 = 2^32, so L = wrapped - (high << 16) modulo 2^32
// and the lane's sum is high * 2^16 + L.
template <class Arch>
struct weight_accumulator {
    using batch = xsimd::batch<std::uint32_t, Arch>;
    batch wrapped = batch(0U);
    batch high = batch(0U);

    void add(const batch& weights) noexcept {
        wrapped += weights;
        high += weights >> 16;
    }
    [[nodiscard]] std::uint64_t total() const noexcept {
        alignas(64) std::array<std::uint32_t, batch::size> wrapped_lanes{};
        alignas(64) std::array<std::uint32_t, batch::size> high_lanes{};
        wrapped.store_aligned(wrapped_lanes.data());
        high.store_aligned(high_lanes.data());
        std::uint64_t sum = 0;
        for (std::size_t k = 0; k < batch::size; ++k) {
            const std::uint32_t low = wrapped_lanes[k] - static_cast<std::uint32_t>(high_lanes[k] << 16U);
            sum += (std::uint64_t{high_lanes[k]} << 16U) + low;
        }
        return sum;
    }
};

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

    // Callers pass at most quantize_chunk_elements (< 2^16 vectors) entries: weight_accumulator is exact.
    template <class Source>
    [[nodiscard]] static std::uint64_t sum_weights(const Source& source, std::int64_t begin,
                                                   std::int64_t end) noexcept {
        constexpr auto lanes = static_cast<std::int64_t>(xsimd::batch<std::uint32_t>::size);
        weight_accumulator<xsimd::default_arch> sum;
        std::int64_t i = begin;
        for (; i + lanes <= end; i += lanes) {
            sum.add(weights_of(steps_of(source, i)));
        }
        return sum.total() + scalar_quantize_kernel::sum_weights(source, i, end);
    }

    template <class Source>
    static std::uint64_t store_weights(const Source& source, std::int64_t begin, std::int64_t end,
                                       std::uint32_t* out) noexcept {
        using batch = xsimd::batch<std::uint32_t>;
        constexpr auto lanes = static_cast<std::int64_t>(batch::size);
        weight_accumulator<xsimd::default_arch> sum;
        std::int64_t i = begin;
        for (; i + lanes <= end; i += lanes) {
            const batch w = weights_of(steps_of(source, i));
            w.store_unaligned(out + (i - begin));
            sum.add(w);
        }
        return sum.total() + scalar_quantize_kernel::store_weights(source, i, end, out + (i - begin));
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
