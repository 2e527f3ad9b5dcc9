// The vectorized row kernel (xsimd): the same chunked one-pass algorithm as the scalar
// kernel, with exp evaluated in SIMD lanes and every partial sum reduced into double.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "codelength/core/config.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/numerics/half_convert.hpp"
#include "codelength/numerics/row_kernel_scalar.hpp"
#include "codelength/numerics/row_statistics.hpp"
#include "codelength/numerics/simd_exp.hpp"

// GCC 12 reports AVX-512 intrinsics' deliberately undefined registers as maybe-uninitialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

// Elements per chunk: the max pass and the exp pass both read the chunk from L1.
// Float lanes sum at most chunk / lanes / 2 terms before the sums move into double.
template <class Float>
inline constexpr std::int64_t simd_chunk_elements = std::is_same_v<Float, float> ? 4096 : 1024;

// Sums in double of one chunk's lanes.
struct chunk_moments {
    double sum = 0.0;
    double sum_d = 0.0;
    double sum_d_squared = 0.0;
};

template <class Batch>
double lanes_sum_in_double(const Batch& batch) noexcept {
    alignas(64) std::array<typename Batch::value_type, Batch::size> lanes{};
    batch.store_aligned(lanes.data());
    double total = 0.0;
    for (const auto lane : lanes) {
        total += static_cast<double>(lane);
    }
    return total;
}

template <class Batch>
typename Batch::value_type lanes_max(const Batch& batch) noexcept {
    alignas(64) std::array<typename Batch::value_type, Batch::size> lanes{};
    batch.store_aligned(lanes.data());
    auto result = lanes[0];
    for (const auto lane : lanes) {
        result = lane > result ? lane : result;
    }
    return result;
}

// Asks for the two cache lines at address (a hint: no effect on results, never faults).
inline void prefetch_cache_lines(const char* address) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(address);
    __builtin_prefetch(address + 64);
#else
    (void)address;
#endif
}

// Number of true lanes of a comparison, through the mask register where the ISA has one.
template <class Float, class Arch>
std::int64_t count_true(const xsimd::batch_bool<Float, Arch>& mask) noexcept {
#if defined(__AVX512F__)
    if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
        return std::popcount(static_cast<unsigned>(mask.data));
    }
#endif
#if defined(__AVX__)
    if constexpr (std::is_base_of_v<xsimd::avx, Arch>) {
        if constexpr (std::is_same_v<Float, float>) {
            return std::popcount(static_cast<unsigned>(_mm256_movemask_ps(mask.data)));
        } else {
            return std::popcount(static_cast<unsigned>(_mm256_movemask_pd(mask.data)));
        }
    }
#endif
#if defined(__SSE2__)
    if constexpr (std::is_base_of_v<xsimd::sse2, Arch>) {
        if constexpr (std::is_same_v<Float, float>) {
            return std::popcount(static_cast<unsigned>(_mm_movemask_ps(mask.data)));
        } else {
            return std::popcount(static_cast<unsigned>(_mm_movemask_pd(mask.data)));
        }
    }
#endif
    using batch = xsimd::batch<Float, Arch>;
    return static_cast<std::int64_t>(
        lanes_sum_in_double(xsimd::select(mask, batch(Float(1)), batch(Float(0)))));
}

// Counts true comparison lanes per lane. Where a comparison gives all-ones lanes (SSE2, AVX2)
// each one is the integer -1, so subtracting it from an integer vector counts it in one
// instruction; the lanes are summed once per chunk (at most chunk / lanes per lane). Elsewhere
// (AVX-512's mask registers, NEON) count_true counts each comparison.
template <class Float, class Arch = xsimd::default_arch>
struct lane_counter {
    using int_batch = xsimd::batch<std::conditional_t<sizeof(Float) == 4, std::int32_t, std::int64_t>, Arch>;
    static constexpr bool all_ones_lanes =
#if defined(__AVX2__) && !defined(__AVX512F__)
        std::is_base_of_v<xsimd::avx2, Arch> ||
#endif
#if defined(__SSE2__) && !defined(__AVX__)
        std::is_base_of_v<xsimd::sse2, Arch> ||
#endif
        false;
    int_batch lanes = int_batch(0);
    std::int64_t scalar = 0;

    void add(const xsimd::batch_bool<Float, Arch>& mask) noexcept {
        if constexpr (all_ones_lanes) {
            lanes -= simd_bitwise_cast<int_batch>(xsimd::batch<Float, Arch>(mask.data));
        } else {
            scalar += count_true(mask);
        }
    }
    [[nodiscard]] std::int64_t total() const noexcept {
        if constexpr (all_ones_lanes) {
            alignas(64) std::array<typename int_batch::value_type, int_batch::size> counts{};
            lanes.store_aligned(counts.data());
            std::int64_t sum = scalar;
            for (const auto count : counts) {
                sum += count;
            }
            return sum;
        } else {
            return scalar;
        }
    }
};

// Pass 1 over a contiguous chunk: its maximum and, when scored, how many entries rank above
// the target: z > zt anywhere, or z == zt before the target's column `split` (ties go to the
// first index, as argmax does). NaN is caught in pass 2, +inf by the maximum.
template <class Float>
struct chunk_scan {
    Float max = -std::numeric_limits<Float>::infinity();
    Float min = std::numeric_limits<Float>::infinity(); // NaN may be skipped: pass 2 catches it
    std::int64_t rank_count = 0;
};

// What a vector scan counts: nothing, entries >= the target's logit, or entries > it.
enum class rank_test { none, ties, wins };

// Running per-lane extremes and the rank count over whole vectors; two interleaved pairs of
// extremes keep the max/min latency chains off the critical path.
template <class Float>
struct vector_scan {
    using batch = xsimd::batch<Float>;
    batch max0 = batch(-std::numeric_limits<Float>::infinity());
    batch max1 = max0;
    batch min0 = batch(std::numeric_limits<Float>::infinity());
    batch min1 = min0;
    lane_counter<Float> ranked;

    // Scans the whole vectors in [begin, end), counting the lanes that rank above zt by `test`.
    template <rank_test Test>
    void run(const Float* z, std::int64_t begin, std::int64_t end, const batch& zt) noexcept {
        constexpr auto lanes = static_cast<std::int64_t>(batch::size);
        const auto count = [&](const batch& v) {
            if constexpr (Test == rank_test::ties) {
                ranked.add(v >= zt);
            } else if constexpr (Test == rank_test::wins) {
                ranked.add(v > zt);
            }
        };
        std::int64_t i = begin;
        for (; i + 2 * lanes <= end; i += 2 * lanes) {
            const auto a = batch::load_unaligned(z + i);
            const auto b = batch::load_unaligned(z + i + lanes);
            max0 = xsimd::max(max0, a);
            max1 = xsimd::max(max1, b);
            min0 = xsimd::min(min0, a);
            min1 = xsimd::min(min1, b);
            count(a);
            count(b);
        }
        if (i < end) {
            const auto a = batch::load_unaligned(z + i);
            max0 = xsimd::max(max0, a);
            min0 = xsimd::min(min0, a);
            count(a);
        }
    }
};

template <class Float>
chunk_scan<Float> scan_chunk(const Float* z, std::int64_t n, bool scored, Float target_logit,
                             std::int64_t split) noexcept {
    using batch = xsimd::batch<Float>;
    constexpr auto lanes = static_cast<std::int64_t>(batch::size);
    chunk_scan<Float> result;
    vector_scan<Float> scan;
    const std::int64_t vector_end = n - n % lanes;
    std::int64_t scalar_begin = vector_end; // [scalar_begin, scalar_end) and the tail go scalar
    std::int64_t scalar_end = vector_end;
    const batch zt(target_logit);
    if (!scored) {
        scan.template run<rank_test::none>(z, 0, vector_end, zt);
    } else if (split < 0) { // the target's column is before this chunk: count wins only
        scan.template run<rank_test::wins>(z, 0, vector_end, zt);
    } else if (split >= vector_end) { // after the chunk's whole vectors: count ties too
        scan.template run<rank_test::ties>(z, 0, vector_end, zt);
    } else { // vectors before the target count ties, the one holding it goes scalar, after: wins
        scalar_begin = split - split % lanes;
        scalar_end = scalar_begin + lanes;
        scan.template run<rank_test::ties>(z, 0, scalar_begin, zt);
        scan.template run<rank_test::wins>(z, scalar_end, vector_end, zt);
    }
    result.rank_count = scan.ranked.total();
    result.max = lanes_max(xsimd::max(scan.max0, scan.max1));
    result.min = -lanes_max(-xsimd::min(scan.min0, scan.min1));
    auto scalar = [&](std::int64_t i) {
        const Float v = z[i];
        result.max = v > result.max ? v : result.max;
        result.min = v < result.min ? v : result.min;
        if (scored) {
            result.rank_count += (v > target_logit || (v == target_logit && i < split)) ? 1 : 0;
        }
    };
    for (std::int64_t i = scalar_begin; i < scalar_end; ++i) {
        scalar(i);
    }
    for (std::int64_t i = vector_end; i < n; ++i) {
        scalar(i);
    }
    return result;
}

// Whether pass 2 computes exp in a loop of its own (see moments_of_chunk). Measured on an AMD
// Zen 5 against the single loop: SSE2 +9-13%, AVX2 +8-11% (bfloat16 +24-30%), but AVX-512 out of
// cache -10%, where the 16 KiB buffer competes in L1 with the prefetched next chunk. NEON's
// 128-bit vectors follow SSE2 (not timed: ARM runs only under emulation here).
template <class Float>
inline constexpr bool exp_loop_of_its_own = sizeof(xsimd::batch<Float>) <= 32;

// Pass 2 over a contiguous chunk: sums of e = exp(d), e d and e d^2 with d = z - max_logit <= 0.
// A NaN logit makes the sums NaN (the caller then finds its column).
// `upcoming`/`upcoming_bytes` name the memory the next chunk will read: pass 2 is compute
// bound, so it prefetches that memory one cache line per vector instead of leaving the
// next pass 1 to wait for DRAM.
// Clamp = false is for chunks whose smallest entry is known to be >= max_logit + floor.
// Where exp_loop_of_its_own, a first loop writes e of every whole vector into an L1 buffer and
// the sums loop reads it: each exp is a chain of about ten dependent operations, which the core
// overlaps better without the accumulators' work between them. The arithmetic and its order
// are the same either way, so are the sums' bits.
// (Staged chooses the structure; tests run both.)
template <bool Clamp, class Float, bool Staged = exp_loop_of_its_own<Float>>
chunk_moments moments_of_chunk(const Float* z, std::int64_t n, Float max_logit,
                               const char* upcoming = nullptr, std::int64_t upcoming_bytes = 0) noexcept {
    using batch = xsimd::batch<Float>;
    constexpr auto lanes = static_cast<std::int64_t>(batch::size);
    const batch m(max_logit);
    const batch floor_d(simd_exp_floor<Float>);
    // d is clamped at floor_d, where exp(d) < 5e-38 (float) or 1e-304 (double) against the
    // maximum's exp(0) = 1, so -inf logits add nothing measurable and never make -inf * 0.
    // max(floor, NaN) is NaN on every ISA (x86 returns the second operand, NEON propagates),
    // so a NaN logit reaches e d and poisons the sums.
    const auto clamped_d = [&](const batch& d) {
        if constexpr (Clamp) {
            return xsimd::max(floor_d, d);
        } else {
            return d;
        }
    };
    const auto exp_of = [&](const batch& d) {
        const batch e = simd_exp_nonpositive(clamped_d(d));
        if constexpr (Clamp) {
            // Entries below the floor (-inf logits among them) contribute exactly 0; a NaN
            // still poisons the sums of e d and e d^2 through the clamped d.
            return xsimd::select(d >= floor_d, e, batch(Float(0)));
        } else {
            return e;
        }
    };
    std::int64_t prefetched_bytes = 0;
    const auto prefetch_upcoming = [&] { // one cache line per vector
        if (prefetched_bytes < upcoming_bytes) {
            prefetch_cache_lines(upcoming + prefetched_bytes);
            prefetched_bytes += 128;
        }
    };
    alignas(64) std::array<Float, static_cast<std::size_t>(Staged ? simd_chunk_elements<Float> : 0)> exps;
    if constexpr (Staged) {
        const std::int64_t vector_end = n - n % lanes;
        std::int64_t i = 0;
        for (; i + 2 * lanes <= vector_end; i += 2 * lanes) {
            prefetch_upcoming();
            exp_of(batch::load_unaligned(z + i) - m).store_aligned(exps.data() + i);
            exp_of(batch::load_unaligned(z + i + lanes) - m).store_aligned(exps.data() + i + lanes);
        }
        if (i < vector_end) {
            exp_of(batch::load_unaligned(z + i) - m).store_aligned(exps.data() + i);
        }
    }
    // Four independent pairs of accumulators keep the latency of their adds and fused
    // multiply-adds off the critical path (with two, q's chain of fmas bounded the sums loop).
    batch t0(Float(0)), t1(Float(0)), t2(Float(0)), t3(Float(0));
    batch q0(Float(0)), q1(Float(0)), q2(Float(0)), q3(Float(0));
    // sum e, which the surprisal depends on, is compensated: each step's (up to four) vectors of
    // e are added pairwise, relative error <= 2u (u = 2^-24) for these nonnegative terms, and
    // the step sums go through Knuth's TwoSum, so s + c equals the sum of the step sums up to
    // about steps^2 u^2 < 3e-10 (steps <= chunk / (4 lanes) + 2: 66 with AVX-512, 258 with 4
    // lanes). Plain float lane sums of ~128 terms had reached 7.6e-7 relative error, 1.1e-6
    // bits (README, "The row kernel").
    batch s(Float(0)), c(Float(0));
    const auto add_step = [&](const batch& b) {
        const batch total = s + b;
        const batch b_part = total - s;
        c += (s - (total - b_part)) + (b - b_part); // the exact rounding error of s + b
        s = total;
    };
    // Returns e of the vector at i and adds e d, e d^2 into t, q. d is computed again rather than
    // stored by the exp loop: a second buffer measured slower than the subtraction. After the
    // exp loop, d = fma(z, 1, -max) gives the same bits as z - max on the multiply-add ports,
    // which the sums loop leaves idle while its adds queue for theirs.
    const batch one(Float(1));
    const batch minus_m = -m;
    auto accumulate = [&](std::int64_t i, batch& t, batch& q) {
        batch d;
        batch e;
        if constexpr (Staged) {
            d = xsimd::fma(batch::load_unaligned(z + i), one, minus_m);
            e = batch::load_aligned(exps.data() + i);
        } else {
            d = batch::load_unaligned(z + i) - m;
            e = exp_of(d);
        }
        const batch dc = clamped_d(d);
        const batch ed = e * dc;
        t += ed;
        q = xsimd::fma(ed, dc, q);
        return e;
    };
    std::int64_t i = 0;
    // Four vectors per step give the out-of-order core four independent exp chains (single loop)
    // and each accumulator pair a chain of its own.
    for (; i + 4 * lanes <= n; i += 4 * lanes) {
        if constexpr (!Staged) {
            prefetch_upcoming();
            prefetch_upcoming();
        }
        const batch e0 = accumulate(i, t0, q0);
        const batch e1 = accumulate(i + lanes, t1, q1);
        const batch e2 = accumulate(i + 2 * lanes, t2, q2);
        const batch e3 = accumulate(i + 3 * lanes, t3, q3);
        add_step((e0 + e1) + (e2 + e3));
    }
    for (; i + 2 * lanes <= n; i += 2 * lanes) {
        const batch e0 = accumulate(i, t0, q0);
        const batch e1 = accumulate(i + lanes, t1, q1);
        add_step(e0 + e1);
    }
    if (i + lanes <= n) {
        add_step(accumulate(i, t0, q0));
        i += lanes;
    }
    chunk_moments result{lanes_sum_in_double(s) + lanes_sum_in_double(c),
                         lanes_sum_in_double((t0 + t1) + (t2 + t3)),
                         lanes_sum_in_double((q0 + q1) + (q2 + q3))};
    for (; i < n; ++i) { // the tail, with the scalar kernel's double arithmetic
        const double d = std::max(static_cast<double>(z[i]) - static_cast<double>(max_logit),
                                  static_cast<double>(simd_exp_floor<Float>));
        const double e = std::isnan(static_cast<double>(z[i])) ? static_cast<double>(z[i]) : std::exp(d);
        result.sum += e;
        result.sum_d += e * d;
        result.sum_d_squared += e * d * d;
    }
    return result;
}

// Copies (and widens) a strided or 16-bit chunk into a contiguous buffer of arithmetic type.
template <class Element, class Float>
const Float* contiguous_chunk(strided_row<Element> row, std::int64_t begin, std::int64_t n,
                              Float* buffer) noexcept {
    if constexpr (std::is_same_v<Element, Float>) {
        if (row.stride == 1) {
            return row.data + begin;
        }
    }
    if constexpr (std::is_same_v<Element, bfloat16> || std::is_same_v<Element, float16>) {
        if (row.stride == 1) {
            widen_16bit(row.data + begin, n, buffer);
            return buffer;
        }
    }
    for (std::int64_t i = 0; i < n; ++i) {
        buffer[i] = widen(row[begin + i]);
    }
    return buffer;
}

// Vectorized kernel: float arithmetic for float and 16-bit inputs, double for double inputs.
template <class Element>
row_statistics row_statistics_simd(strided_row<Element> row, std::int64_t target, std::int64_t row_index) {
    using Float = decltype(widen(Element{}));
    constexpr std::int64_t chunk = simd_chunk_elements<Float>;
    const bool scored = check_target(target, row.size, row_index);
    const Float target_logit = scored ? widen(row[target]) : Float(0);
    alignas(64) std::array<Float, static_cast<std::size_t>(chunk)> buffer;
    softmax_moments moments;
    std::int64_t rank = 0;
    for (std::int64_t begin = 0; begin < row.size; begin += chunk) {
        const std::int64_t n = std::min(chunk, row.size - begin);
        const Float* z = contiguous_chunk(row, begin, n, buffer.data());
        const auto scan = scan_chunk(z, n, scored, target_logit, target - begin);
        rank += scan.rank_count;
        const bool all_minus_infinity = scan.max == -std::numeric_limits<Float>::infinity();
        if (!all_minus_infinity && scan.max < std::numeric_limits<Float>::infinity()) {
            moments.raise_max(static_cast<double>(scan.max));
            // max_logit is the largest element seen so far, so it is exactly representable in Float.
            // Past the row's end this prefetches the start of the next row of a C-order matrix;
            // prefetching is a hint that never faults, so that is harmless anywhere.
            const std::int64_t next = begin + n;
            const auto upcoming_bytes = row.stride == 1 ? chunk * std::int64_t{sizeof(Element)} : 0;
            const auto max_logit = static_cast<Float>(moments.max_logit);
            const auto* upcoming = reinterpret_cast<const char*>(row.data + next);
            // Without entries below max + floor (the usual case) the clamp is not needed.
            const auto part = scan.min - max_logit >= simd_exp_floor<Float>
                                  ? moments_of_chunk<false>(z, n, max_logit, upcoming, upcoming_bytes)
                                  : moments_of_chunk<true>(z, n, max_logit, upcoming, upcoming_bytes);
            if (std::isfinite(part.sum) && std::isfinite(part.sum_d) && std::isfinite(part.sum_d_squared)) {
                moments.add(part.sum, part.sum_d, part.sum_d_squared);
                continue;
            }
        } else if (all_minus_infinity && std::none_of(z, z + n, [](Float v) { return std::isnan(v); })) {
            continue; // a chunk of -inf adds exp(-inf) = 0 (a NaN may hide behind that maximum)
        }
        for (std::int64_t i = 0; i < n; ++i) { // +inf or NaN somewhere: name the column
            if (!(z[i] < std::numeric_limits<Float>::infinity())) {
                throw_bad_logit(row_index, begin + i, static_cast<double>(z[i]));
            }
        }
    }
    return finish_row_statistics(moments, scored ? target : -1, static_cast<double>(target_logit), rank,
                                 row_index);
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
