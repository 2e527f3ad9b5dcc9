// exact_sum: exactly rounded sums independent of order and sharding, against a big-integer
// reference and math.fsum answers; IEEE specials; the canonical parts and their validation.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/numerics/exact_sum.hpp"
#include "support/catch.hpp"

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double largest = std::numeric_limits<double>::max();

// A sign-magnitude big integer in units of 2^-1074: positive and negative inputs are summed
// separately as magnitudes and subtracted once, then rounded through the hardware's
// uint64 -> double conversion (a different route from exact_sum's).
class reference_sum {
public:
    void add(double value) {
        if (value == 0.0) {
            return;
        }
        const int exponent = std::ilogb(value); // value = m * 2^(exponent - 52), m < 2^53
        const int scale = std::max(exponent - 52, -1074);
        const auto mantissa = static_cast<std::uint64_t>(std::ldexp(std::fabs(value), -scale));
        auto& target = value > 0 ? m_positive : m_negative;
        add_shifted(target, mantissa, static_cast<std::size_t>(scale + 1074));
    }

    [[nodiscard]] double value() const {
        const int order = compare(m_positive, m_negative);
        if (order == 0) {
            return 0.0;
        }
        std::vector<std::uint32_t> magnitude = order > 0 ? m_positive : m_negative;
        subtract(magnitude, order > 0 ? m_negative : m_positive);
        const double rounded = round(magnitude);
        return order > 0 ? rounded : -rounded;
    }

private:
    static constexpr std::size_t words = 80; // 2560 bits: far more than any test sum needs

    static void add_shifted(std::vector<std::uint32_t>& target, std::uint64_t mantissa, std::size_t bit) {
        // Add mantissa * 2^bit one bit at a time carrying as we go: slow and obviously right.
        for (std::size_t b = 0; b < 64; ++b) {
            if (((mantissa >> b) & 1U) == 0) {
                continue;
            }
            std::size_t position = bit + b;
            std::uint64_t carry = std::uint64_t{1} << (position % 32);
            for (std::size_t w = position / 32; carry != 0; ++w) {
                const std::uint64_t sum = std::uint64_t{target.at(w)} + carry;
                target[w] = static_cast<std::uint32_t>(sum);
                carry = sum >> 32U;
            }
        }
    }
    static int compare(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
        for (std::size_t w = words; w-- > 0;) {
            if (a[w] != b[w]) {
                return a[w] > b[w] ? 1 : -1;
            }
        }
        return 0;
    }
    static void subtract(std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
        std::int64_t borrow = 0;
        for (std::size_t w = 0; w < words; ++w) {
            std::int64_t difference = std::int64_t{a[w]} - std::int64_t{b[w]} - borrow;
            borrow = difference < 0 ? 1 : 0;
            a[w] = static_cast<std::uint32_t>(difference + (borrow << 32U));
        }
    }
    static bool bit(const std::vector<std::uint32_t>& a, std::size_t position) {
        return ((a[position / 32] >> (position % 32)) & 1U) != 0;
    }
    static double round(const std::vector<std::uint32_t>& magnitude) {
        std::size_t highest = words * 32;
        while (!bit(magnitude, highest - 1)) {
            --highest;
        }
        --highest;
        if (highest < 64) {
            const std::uint64_t low = magnitude[0] | (std::uint64_t{magnitude[1]} << 32U);
            // Exact below 2^53; above, one hardware rounding then an exact scaling.
            return std::ldexp(static_cast<double>(low), -1074);
        }
        // The top 64 bits, with every lower bit folded into the lowest (sticky): converting to
        // double rounds at bit 11, so the fold cannot change the result.
        std::uint64_t top = 0;
        for (std::size_t p = highest + 1; p-- > highest - 63;) {
            top = (top << 1U) | (bit(magnitude, p) ? 1U : 0U);
        }
        for (std::size_t p = 0; p < highest - 63; ++p) {
            if (bit(magnitude, p)) {
                top |= 1U;
                break;
            }
        }
        return std::ldexp(static_cast<double>(top), static_cast<int>(highest) - 63 - 1074);
    }

    std::vector<std::uint32_t> m_positive = std::vector<std::uint32_t>(words);
    std::vector<std::uint32_t> m_negative = std::vector<std::uint32_t>(words);
};

double sum_of(const std::vector<double>& values) {
    codelength::exact_sum sum;
    for (const double v : values) {
        sum.add(v);
    }
    return sum.value();
}

double from_hex(const char* text) {
    return std::strtod(text, nullptr);
}

codelength::exact_sum_parts make_parts(bool negative, std::int32_t lowest_chunk,
                                       std::vector<std::uint32_t> chunks) {
    codelength::exact_sum_parts parts;
    parts.negative = negative;
    parts.lowest_chunk = lowest_chunk;
    parts.chunks = std::move(chunks);
    return parts;
}

bool same_bits(double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// Random doubles across the whole range: mixed signs, exponents 1e-300..1e300, subnormals,
// exact negations (cancellation) and values near one another (partial cancellation).
std::vector<double> random_values(std::mt19937_64& rng, std::size_t count) {
    std::uniform_real_distribution<double> unit(1.0, 2.0);
    std::uniform_int_distribution<int> exponent(-997, 996); // 2^-997 ~ 1e-300, 2^996 ~ 1e300
    std::uniform_int_distribution<int> kind(0, 9);
    std::uniform_int_distribution<std::uint64_t> subnormal(1, (std::uint64_t{1} << 52U) - 1);
    std::vector<double> values;
    while (values.size() < count) {
        const double sign = (rng() & 1U) != 0 ? -1.0 : 1.0;
        switch (kind(rng)) {
        case 0:
            values.push_back(sign * std::bit_cast<double>(subnormal(rng)));
            break;
        case 1:
            if (!values.empty()) {
                values.push_back(-values[rng() % values.size()]);
            }
            break;
        case 2:
            values.push_back(sign * std::ldexp(unit(rng), static_cast<int>(rng() % 8) - 4));
            break;
        default:
            values.push_back(sign * std::ldexp(unit(rng), exponent(rng)));
            break;
        }
    }
    return values;
}

} // namespace

TEST_CASE("exact_sum: fixed cases equal math.fsum", "[numerics][exact_sum]") {
    // Expectations from python3 -c 'import math; print(math.fsum([...]).hex())'.
    CHECK(same_bits(sum_of({1e100, 1.0, -1e100}), 1.0));       // a plain double sum gives 0
    CHECK(same_bits(sum_of({1.0, from_hex("0x1p-53")}), 1.0)); // a tie rounds to even (down)
    CHECK(same_bits(sum_of({from_hex("0x1.0000000000001p+0"), from_hex("0x1p-53")}),
                    from_hex("0x1.0000000000002p+0"))); // a tie rounds to even (up)
    CHECK(same_bits(sum_of({1.0, from_hex("0x1p-53"), from_hex("0x0.0000000000001p-1022")}),
                    from_hex("0x1.0000000000001p+0"))); // 2^-1074 breaks the tie
    CHECK(same_bits(sum_of({0.1, 0.2, 0.3, -0.6, 1e-300, 5e-324, -1e300, 1e300, 3.14159, 2.71828, -1.41421}),
                    from_hex("0x1.1c85b18548a9cp+2")));
    CHECK(same_bits(sum_of({5e-324, 5e-324, from_hex("0x0.fffffffffffffp-1022"), -from_hex("0x1p-1022")}),
                    from_hex("0x0.0000000000001p-1022")));
    CHECK(same_bits(sum_of({0.1, 0.2}), 0.1 + 0.2)); // two addends: the one IEEE rounding
}

TEST_CASE("exact_sum: overflow, infinities and NaN follow IEEE summation", "[numerics][exact_sum]") {
    CHECK(sum_of({largest, largest}) == infinity);
    CHECK(sum_of({-largest, -largest}) == -infinity);
    CHECK(sum_of({largest, largest, -largest}) == largest); // exact: no intermediate overflow
    // 2^1023 (2 - 2^-53) is the midpoint between the largest double and 2^1024: ties to even
    // rounds to 2^1024, which overflows; one ulp less rounds down.
    CHECK(sum_of({largest, from_hex("0x1p+970")}) == infinity);
    CHECK(sum_of({largest, from_hex("0x1p+969")}) == largest);
    CHECK(sum_of({1.0, infinity, 2.0}) == infinity);
    CHECK(sum_of({1.0, -infinity}) == -infinity);
    CHECK(std::isnan(sum_of({infinity, -infinity})));
    CHECK(std::isnan(sum_of({1.0, std::numeric_limits<double>::quiet_NaN()})));
    CHECK(std::isnan(sum_of({-std::numeric_limits<double>::quiet_NaN(), infinity})));
    CHECK(same_bits(sum_of({}), 0.0));
    CHECK(same_bits(sum_of({2.5, -2.5}), 0.0)); // an exact zero reads as +0
}

TEST_CASE("exact_sum: shuffled orders and shard merges are bit-identical to the exact rounding",
          "[numerics][exact_sum]") {
    const std::uint64_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937_64 rng(seed);
    for (int round = 0; round < 6; ++round) {
        auto values = random_values(rng, 3000);
        if (round % 2 == 1) {
            // Huge addends that cancel exactly, leaving tiny ones to decide the result.
            for (std::size_t i = 0; i < 200; ++i) {
                values.push_back(1e300);
                values.push_back(-1e300);
            }
            values.push_back(1e100);
            values.push_back(1.0);
            values.push_back(-1e100);
        }
        reference_sum reference;
        for (const double v : values) {
            reference.add(v);
        }
        const double expected = reference.value();
        INFO("round " << round << ", expected " << expected);
        codelength::exact_sum first;
        for (const double v : values) {
            first.add(v);
        }
        REQUIRE(same_bits(first.value(), expected));

        for (int trial = 0; trial < 10; ++trial) {
            std::shuffle(values.begin(), values.end(), rng);
            CHECK(same_bits(sum_of(values), expected));

            // Random shards, merged in a random order and grouping.
            const std::size_t shard_count = 1 + rng() % 12;
            std::vector<std::size_t> cuts{0, values.size()};
            for (std::size_t c = 1; c < shard_count; ++c) {
                cuts.push_back(rng() % (values.size() + 1));
            }
            std::sort(cuts.begin(), cuts.end());
            std::vector<codelength::exact_sum> shards;
            for (std::size_t s = 0; s + 1 < cuts.size(); ++s) {
                codelength::exact_sum shard;
                for (std::size_t i = cuts[s]; i < cuts[s + 1]; ++i) {
                    shard.add(values[i]);
                }
                shards.push_back(shard);
            }
            while (shards.size() > 1) {
                const std::size_t a = rng() % shards.size();
                std::size_t b = rng() % (shards.size() - 1);
                b += b >= a ? 1 : 0;
                shards[a].add(shards[b]);
                shards.erase(shards.begin() + static_cast<std::ptrdiff_t>(b));
            }
            CHECK(same_bits(shards.front().value(), expected));
            CHECK(shards.front() == first);
            CHECK(shards.front().parts() == first.parts());
        }
    }
}

TEST_CASE("exact_sum: equality is on the exact state", "[numerics][exact_sum]") {
    codelength::exact_sum a;
    codelength::exact_sum b;
    CHECK(a == b);
    a.add(1.0);
    a.add(1e-300);
    b.add(1e-300);
    b.add(1.0);
    CHECK(a == b);
    b.add(5e-324); // changes the exact sum, not its rounding
    CHECK(a.value() == b.value());
    CHECK_FALSE(a == b);
    b.add(-5e-324);
    CHECK(a == b);
    b.add(infinity);
    CHECK_FALSE(a == b);
    codelength::exact_sum self;
    self.add(3.0);
    self.add(self); // merging a sum into itself doubles it
    CHECK(self.value() == 6.0);
}

TEST_CASE("exact_sum: parts round trip and refuse non-canonical forms", "[numerics][exact_sum]") {
    const std::uint64_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937_64 rng(seed);
    for (int trial = 0; trial < 20; ++trial) {
        codelength::exact_sum sum;
        for (const double v : random_values(rng, 50)) {
            sum.add(v);
        }
        if (trial % 5 == 0) {
            sum.add(-infinity);
        }
        const auto parts = sum.parts();
        const auto rebuilt = codelength::exact_sum::from_parts(parts);
        CHECK(rebuilt == sum);
        CHECK(rebuilt.parts() == parts);
        CHECK(same_bits(rebuilt.value(), sum.value()));
    }
    const auto zero = codelength::exact_sum{}.parts();
    CHECK(zero.chunks.empty());
    CHECK_FALSE(zero.negative);
    codelength::exact_sum minus_one;
    minus_one.add(-1.0); // 2^1074: bit 18 of chunk 33
    const auto parts = minus_one.parts();
    CHECK(parts.negative);
    CHECK(parts.lowest_chunk == 33);
    CHECK(parts.chunks == std::vector<std::uint32_t>{std::uint32_t{1} << 18U});

    using codelength::exact_sum_parts;
    const auto refused = [](const exact_sum_parts& bad, const char* what) {
        CHECK_THROWS_AS(codelength::exact_sum::from_parts(bad), codelength::invalid_argument_error);
        CHECK_THROWS_WITH(codelength::exact_sum::from_parts(bad), std::string("exact sum parts: ") + what);
    };
    exact_sum_parts bad;
    bad.negative = true;
    refused(bad, "a zero sum is marked negative");
    bad = make_parts(false, 67, {1, 2});
    refused(bad, "chunks [67, 69) outside [0, 68)");
    bad = make_parts(false, -1, {1});
    refused(bad, "chunks [-1, 0) outside [0, 68)");
    bad = make_parts(false, 3, {0, 2});
    refused(bad, "the lowest or highest chunk is zero (not canonical)");
    bad = make_parts(false, 67, {std::uint32_t{1} << 31U});
    refused(bad, "chunk 67 is 2147483648, at least 2^31 (a magnitude beyond 2^1101)");
}

TEST_CASE("exact_sum: 2^31 additions of the largest double carry without overflow", "[numerics][exact_sum]") {
    // Without the periodic carry, a limb would pass 2^63 after about 2^31 such additions
    // (7 s at -O2). Under AddressSanitizer (35 s) 2^22 + 3 additions check the same sums
    // without reaching a carry; the optimized builds run the full count.
#if defined(__SANITIZE_ADDRESS__)
    constexpr int doublings = 22;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    constexpr int doublings = 22;
#else
    constexpr int doublings = 31;
#endif
#else
    constexpr int doublings = 31;
#endif
    constexpr std::int64_t count = (std::int64_t{1} << doublings) + 3;
    codelength::exact_sum sum;
    for (std::int64_t i = 0; i < count; ++i) {
        sum.add(largest);
    }
    CHECK(sum.value() == infinity);
    codelength::exact_sum negative; // -(count - 1) largest, by doubling
    negative.add(-largest);
    for (int doubling = 0; doubling < doublings; ++doubling) {
        negative.add(negative);
    }
    negative.add(-largest);
    negative.add(-largest);
    sum.add(negative);
    CHECK(sum.value() == largest);
}

TEST_CASE("exact_sum: a merge past 2^1101 becomes an infinity of its sign", "[numerics][exact_sum]") {
    codelength::exact_sum sum;
    sum.add(-largest);
    for (int doubling = 0; doubling < 80; ++doubling) {
        sum.add(sum);
    }
    CHECK(sum.value() == -infinity);
    CHECK(sum.parts().has_negative_infinity);
    CHECK(codelength::exact_sum::from_parts(sum.parts()) == sum);
}
