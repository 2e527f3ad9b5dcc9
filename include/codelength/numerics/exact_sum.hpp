// An exactly rounded, order-independent sum of doubles: a fixed-point superaccumulator that
// covers every finite double, so sums merged from shards cut anywhere are bit-identical.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// The canonical form of an exact_sum, for serialization: the exact finite sum as a sign and a
// magnitude in 32-bit chunks, plus which IEEE specials were added. Two exact_sums are equal
// exactly when their parts are equal. exact_sum::from_parts() validates and rebuilds.
struct exact_sum_parts {
    // Sign of the finite sum; false when the finite sum is zero.
    bool negative = false;
    // chunks[i] weighs 2^(32 * (lowest_chunk + i) - 1074); 0 <= lowest_chunk and
    // lowest_chunk + chunks.size() <= exact_sum::chunk_count.
    std::int32_t lowest_chunk = 0;
    // Magnitude of the finite sum, least significant chunk first; empty for zero, otherwise the
    // first and the last chunk are nonzero.
    std::vector<std::uint32_t> chunks;
    bool has_nan = false;               // a NaN was added
    bool has_positive_infinity = false; // +inf was added (or a merge overflowed positively)
    bool has_negative_infinity = false; // -inf was added (or a merge overflowed negatively)

    friend bool operator==(const exact_sum_parts&, const exact_sum_parts&) = default;
};

// The exact sum of any number of doubles, rounded once (to nearest, ties to even) when read,
// so the result is the same whatever the order and grouping of the additions:
//   codelength::exact_sum sum;
//   sum.add(1e100); sum.add(1.0); sum.add(-1e100);
//   sum.value() == 1.0; // a plain double sum gives 0.0
//
// Representation: 68 signed 64-bit limbs, limb i holding a 32-bit chunk of weight
// 2^(32 i - 1074), so bit 0 is 2^-1074 (the least subnormal) and magnitudes reach 2^1101,
// beyond 2^77 additions of the largest double. add(double) touches at most 3 limbs without
// carrying; carries are propagated every 2^30 additions and before reading, which keeps every
// limb below 2^63 in magnitude.
//
// Specials follow IEEE summation: a NaN, or both +inf and -inf, make value() NaN; otherwise an
// infinite input makes it that infinity; a finite sum beyond the largest double reads as
// +-inf. An exact zero reads as +0.0.
class exact_sum {
public:
    // Limbs of 32 bits from 2^-1074: 66 cover every finite double's bits, two more the carries.
    static constexpr std::size_t chunk_count = 68;

    // Adds one double (finite, infinite or NaN). A few integer operations; never throws.
    void add(double value) noexcept {
        const auto bits = std::bit_cast<std::uint64_t>(value);
        const auto field = static_cast<unsigned>((bits >> 52U) & 0x7ffU);
        if (field == 0x7ffU) [[unlikely]] {
            add_special(bits);
            return;
        }
        // value = mantissa * 2^(position - 1074), the mantissa's lowest bit at `position`;
        // subnormals (field 0) share the scale of field 1 without the implicit bit.
        const unsigned normal = field != 0 ? 1U : 0U;
        const std::uint64_t mantissa = (bits & fraction_mask) | (static_cast<std::uint64_t>(normal) << 52U);
        const unsigned position = field - normal;
        const std::size_t index = position >> 5U;
        const unsigned shift = position & 31U;
        // The 53-bit mantissa shifted by 0..31 spans three 32-bit chunks.
        const auto chunk0 = static_cast<std::int64_t>((mantissa << shift) & chunk_mask);
        const auto chunk1 = static_cast<std::int64_t>((mantissa >> (32U - shift)) & chunk_mask);
        const auto chunk2 = static_cast<std::int64_t>((mantissa >> 32U) >> (32U - shift));
        // negate = 0 or -1: (x ^ negate) - negate is x or -x without a branch.
        const auto negate = -static_cast<std::int64_t>(bits >> 63U);
        m_limbs[index] += (chunk0 ^ negate) - negate;
        m_limbs[index + 1] += (chunk1 ^ negate) - negate;
        m_limbs[index + 2] += (chunk2 ^ negate) - negate;
        if (++m_pending_adds == carry_interval) [[unlikely]] {
            propagate_carries(m_limbs);
            m_pending_adds = 0;
        }
    }

    // Adds another exact sum (a shard); the result equals adding all its inputs here.
    void add(const exact_sum& other) noexcept {
        limb_array theirs = other.m_limbs; // a copy: other may be *this
        propagate_carries(theirs);
        propagate_carries(m_limbs);
        for (std::size_t i = 0; i < chunk_count; ++i) {
            m_limbs[i] += theirs[i]; // both below 2^32 except the top: no overflow
        }
        m_has_nan = m_has_nan || other.m_has_nan;
        m_has_positive_infinity = m_has_positive_infinity || other.m_has_positive_infinity;
        m_has_negative_infinity = m_has_negative_infinity || other.m_has_negative_infinity;
        propagate_carries(m_limbs); // every limb was below 2^33 in magnitude
        m_pending_adds = 0;
        guard_top_limb();
    }

    // The exact sum rounded once to the nearest double, ties to even; +-inf past the largest
    // double and for infinite inputs, NaN for NaN inputs or +inf plus -inf.
    [[nodiscard]] double value() const noexcept {
        if (m_has_nan || (m_has_positive_infinity && m_has_negative_infinity)) {
            return std::numeric_limits<double>::quiet_NaN();
        }
        if (m_has_positive_infinity) {
            return std::numeric_limits<double>::infinity();
        }
        if (m_has_negative_infinity) {
            return -std::numeric_limits<double>::infinity();
        }
        bool negative = false;
        const auto magnitude = magnitude_chunks(negative);
        const double rounded = round_to_double(magnitude);
        return negative ? -rounded : rounded;
    }

    // Whether both hold the same exact sum and the same specials, whatever the order of adds.
    [[nodiscard]] friend bool operator==(const exact_sum& a, const exact_sum& b) noexcept {
        if (a.m_has_nan != b.m_has_nan || a.m_has_positive_infinity != b.m_has_positive_infinity ||
            a.m_has_negative_infinity != b.m_has_negative_infinity) {
            return false;
        }
        limb_array left = a.m_limbs;
        limb_array right = b.m_limbs;
        propagate_carries(left);
        propagate_carries(right);
        return left == right; // the carried form is unique: chunks in [0, 2^32), signed top
    }

    // The canonical form (see exact_sum_parts).
    [[nodiscard]] exact_sum_parts parts() const {
        exact_sum_parts parts;
        const auto magnitude = magnitude_chunks(parts.negative);
        std::size_t first = 0;
        std::size_t last = chunk_count;
        while (first < chunk_count && magnitude[first] == 0) {
            ++first;
        }
        while (last > first && magnitude[last - 1] == 0) {
            --last;
        }
        if (first < last) {
            parts.lowest_chunk = static_cast<std::int32_t>(first);
            parts.chunks.assign(magnitude.begin() + static_cast<std::ptrdiff_t>(first),
                                magnitude.begin() + static_cast<std::ptrdiff_t>(last));
        } else {
            parts.negative = false;
        }
        parts.has_nan = m_has_nan;
        parts.has_positive_infinity = m_has_positive_infinity;
        parts.has_negative_infinity = m_has_negative_infinity;
        return parts;
    }

    // What is wrong with parts as a canonical form ("" when nothing): a message naming the
    // field.
    [[nodiscard]] static std::string parts_problem(const exact_sum_parts& parts) {
        if (parts.chunks.empty()) {
            if (parts.lowest_chunk != 0) {
                return "lowest_chunk is " + std::to_string(parts.lowest_chunk) + " for a zero sum, not 0";
            }
            if (parts.negative) {
                return "a zero sum is marked negative";
            }
            return {};
        }
        if (parts.lowest_chunk < 0 || static_cast<std::size_t>(parts.lowest_chunk) >= chunk_count ||
            parts.chunks.size() > chunk_count - static_cast<std::size_t>(parts.lowest_chunk)) {
            return "chunks [" + std::to_string(parts.lowest_chunk) + ", " +
                   std::to_string(static_cast<std::int64_t>(parts.lowest_chunk) +
                                  static_cast<std::int64_t>(parts.chunks.size())) +
                   ") outside [0, " + std::to_string(chunk_count) + ")";
        }
        if (parts.chunks.front() == 0 || parts.chunks.back() == 0) {
            return "the lowest or highest chunk is zero (not canonical)";
        }
        if (static_cast<std::size_t>(parts.lowest_chunk) + parts.chunks.size() == chunk_count &&
            parts.chunks.back() >= top_chunk_limit) {
            return "chunk " + std::to_string(chunk_count - 1) + " is " + std::to_string(parts.chunks.back()) +
                   ", at least 2^31 (a magnitude beyond 2^1101)";
        }
        return {};
    }

    // Rebuilds the exact sum of parts(); throws invalid_argument_error naming the field when
    // parts is not a canonical form.
    [[nodiscard]] static exact_sum from_parts(const exact_sum_parts& parts) {
        if (const auto problem = parts_problem(parts); !problem.empty()) {
            throw invalid_argument_error("exact sum parts: " + problem);
        }
        exact_sum sum;
        const auto sign = parts.negative ? std::int64_t{-1} : std::int64_t{1};
        for (std::size_t i = 0; i < parts.chunks.size(); ++i) {
            sum.m_limbs[static_cast<std::size_t>(parts.lowest_chunk) + i] =
                sign * std::int64_t{parts.chunks[i]};
        }
        propagate_carries(sum.m_limbs);
        sum.m_has_nan = parts.has_nan;
        sum.m_has_positive_infinity = parts.has_positive_infinity;
        sum.m_has_negative_infinity = parts.has_negative_infinity;
        return sum;
    }

private:
    using limb_array = std::array<std::int64_t, chunk_count>;
    static constexpr std::uint64_t fraction_mask = (std::uint64_t{1} << 52U) - 1;
    static constexpr std::uint64_t chunk_mask = 0xffffffffU;
    // After a carry every limb is below 2^32; each add brings < 2^32 more, so 2^30 adds keep
    // every limb below 2^62 + 2^32 < 2^63.
    static constexpr std::uint32_t carry_interval = std::uint32_t{1} << 30U;
    // The top chunk of a magnitude stays below 2^31 (magnitudes below 2^1101), so a negative
    // sum still fits the two's complement of the 68 chunks.
    static constexpr std::uint32_t top_chunk_limit = std::uint32_t{1} << 31U;

    void add_special(std::uint64_t bits) noexcept {
        if ((bits & fraction_mask) != 0) {
            m_has_nan = true;
        } else if ((bits >> 63U) != 0) {
            m_has_negative_infinity = true;
        } else {
            m_has_positive_infinity = true;
        }
    }

    // Carries every limb but the top into the next, leaving chunks in [0, 2^32) and the sign in
    // the top limb: the unique form of the exact sum.
    static void propagate_carries(limb_array& limbs) noexcept {
        for (std::size_t i = 0; i + 1 < chunk_count; ++i) {
            const std::int64_t carry = limbs[i] >> 32U; // arithmetic shift: floor division by 2^32
            limbs[i] -= carry * (std::int64_t{1} << 32U);
            limbs[i + 1] += carry;
        }
    }

    // A merge whose sum reaches 2^1101 (more than 2^77 largest doubles, reachable only by
    // merging a sum into itself ~80 times) is kept as an infinity of its sign. Expects carried
    // limbs.
    void guard_top_limb() noexcept {
        const std::int64_t top = m_limbs[chunk_count - 1];
        constexpr auto near = static_cast<std::int64_t>(top_chunk_limit / 2);
        if (top < near && top > -near) {
            return; // the top chunk of the magnitude is at most |top| + 1 < 2^31
        }
        bool negative = false;
        if (magnitude_chunks(negative)[chunk_count - 1] >= top_chunk_limit || top >= near * 4 ||
            top <= -near * 4) {
            (negative ? m_has_negative_infinity : m_has_positive_infinity) = true;
            m_limbs.fill(0);
        }
    }

    // The magnitude of the finite sum in 32-bit chunks, least significant first, and its sign.
    [[nodiscard]] std::array<std::uint32_t, chunk_count> magnitude_chunks(bool& negative) const noexcept {
        limb_array limbs = m_limbs;
        propagate_carries(limbs);
        negative = limbs[chunk_count - 1] < 0;
        std::array<std::uint32_t, chunk_count> magnitude{};
        // Two's complement over the chunks: magnitude = ~x + 1.
        std::uint64_t borrow = negative ? 1U : 0U;
        for (std::size_t i = 0; i < chunk_count; ++i) {
            auto chunk = static_cast<std::uint64_t>(limbs[i]) & chunk_mask;
            if (negative) {
                chunk = ((~chunk) & chunk_mask) + borrow;
                borrow = chunk >> 32U;
                chunk &= chunk_mask;
            }
            magnitude[i] = static_cast<std::uint32_t>(chunk);
        }
        return magnitude;
    }

    // Bit `position` (0 is 2^-1074) of the magnitude.
    [[nodiscard]] static std::uint64_t bit_at(const std::array<std::uint32_t, chunk_count>& magnitude,
                                              std::size_t position) noexcept {
        return (magnitude[position >> 5U] >> (position & 31U)) & 1U;
    }

    // Rounds a nonnegative magnitude to the nearest double, ties to even; +inf past the range.
    [[nodiscard]] static double
    round_to_double(const std::array<std::uint32_t, chunk_count>& magnitude) noexcept {
        std::size_t top_chunk = chunk_count;
        while (top_chunk > 0 && magnitude[top_chunk - 1] == 0) {
            --top_chunk;
        }
        if (top_chunk == 0) {
            return 0.0;
        }
        // Position of the highest set bit (bit 0 weighs 2^-1074).
        const std::size_t highest =
            (top_chunk - 1) * 32U + static_cast<std::size_t>(std::bit_width(magnitude[top_chunk - 1])) - 1U;
        if (highest <= 52) {
            // Below 2^-1021 every multiple of 2^-1074 is a double whose bit pattern is itself.
            const std::uint64_t low = magnitude[0] | (static_cast<std::uint64_t>(magnitude[1]) << 32U);
            return std::bit_cast<double>(low);
        }
        // The 53 bits [highest - 52, highest], then the rounding bit and the sticky bits below it.
        const std::size_t lowest_kept = highest - 52;
        std::uint64_t mantissa = 0;
        for (std::size_t p = highest + 1; p-- > lowest_kept;) {
            mantissa = (mantissa << 1U) | bit_at(magnitude, p);
        }
        const std::size_t round_position = lowest_kept - 1;
        const bool round_bit = bit_at(magnitude, round_position) != 0;
        bool sticky = false;
        if (round_bit) {
            const std::size_t round_chunk = round_position >> 5U;
            const std::uint32_t below_mask = (std::uint32_t{1} << (round_position & 31U)) - 1U;
            sticky = (magnitude[round_chunk] & below_mask) != 0;
            for (std::size_t c = 0; c < round_chunk && !sticky; ++c) {
                sticky = magnitude[c] != 0;
            }
        }
        std::size_t exponent_position = highest; // weight 2^(highest - 1074) of the leading bit
        if (round_bit && (sticky || (mantissa & 1U) != 0)) {
            ++mantissa;
            if (mantissa == (std::uint64_t{1} << 53U)) {
                mantissa >>= 1U;
                ++exponent_position;
            }
        }
        // Biased exponent of 2^(exponent_position - 1074) is exponent_position - 1074 + 1023.
        const std::size_t biased = exponent_position - 51U;
        if (biased >= 0x7ffU) {
            return std::numeric_limits<double>::infinity();
        }
        return std::bit_cast<double>((static_cast<std::uint64_t>(biased) << 52U) |
                                     (mantissa & fraction_mask));
    }

    limb_array m_limbs{};
    std::uint32_t m_pending_adds = 0; // add(double) calls since the last carry
    bool m_has_nan = false;
    bool m_has_positive_infinity = false;
    bool m_has_negative_infinity = false;
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
