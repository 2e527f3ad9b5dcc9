// Building blocks of the bitwise context-mixing model (context_mixing.hpp): the logistic
// squash/stretch pair, bit-history states, adaptive state maps, the logistic mixer and the
// adaptive probability map (SSE). Everything is integer arithmetic, so every machine and
// compiler computes bit-identical probabilities.
//
// Units: a probability is 12-bit fixed point, p in [0, 4095] meaning p / 4096; a "stretched"
// probability ln(p / (1 - p)) is in 1/256 units, clamped to [-2047, 2047] (about +-8 nats).
#pragma once

#include "codelength/core/config.hpp"
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail::cm {

// A zero-initialized, cache-line-aligned array of trivial T for the large tables. It comes
// from std::calloc, which (with glibc and most allocators) maps fresh zero pages lazily, so
// a short input does not pay for zeroing a table it barely touches.
template <class T>
class large_table {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);
    static constexpr std::size_t alignment = 64;

public:
    large_table() = default;
    explicit large_table(std::size_t size) : m_size(size) {
        if (size == 0) {
            return;
        }
        m_memory = std::calloc(size * sizeof(T) + alignment, 1);
        if (m_memory == nullptr) {
            throw std::bad_alloc();
        }
        // Invariant: m_data is m_memory rounded up to the alignment, within the allocation.
        const auto address = reinterpret_cast<std::uintptr_t>(m_memory);
        m_data = reinterpret_cast<T*>((address + alignment - 1) & ~(std::uintptr_t{alignment} - 1));
        advise_huge_pages(address, size * sizeof(T) + alignment);
    }
    large_table(const large_table&) = delete;
    large_table& operator=(const large_table&) = delete;
    large_table(large_table&& other) noexcept
        : m_memory(std::exchange(other.m_memory, nullptr)), m_data(std::exchange(other.m_data, nullptr)),
          m_size(std::exchange(other.m_size, 0)) {}
    large_table& operator=(large_table&& other) noexcept {
        if (this != &other) {
            std::free(m_memory);
            m_memory = std::exchange(other.m_memory, nullptr);
            m_data = std::exchange(other.m_data, nullptr);
            m_size = std::exchange(other.m_size, 0);
        }
        return *this;
    }
    ~large_table() { std::free(m_memory); }

    [[nodiscard]] T& operator[](std::size_t i) noexcept { return m_data[i]; }
    [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return m_data[i]; }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }

private:
    // Asks Linux to back the 2 MiB pages inside a large table with huge pages: the model reads
    // its tables at random, and a TLB miss per access costs more than the arithmetic.
    static void advise_huge_pages([[maybe_unused]] std::uintptr_t address,
                                  [[maybe_unused]] std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        constexpr std::uintptr_t huge = std::uintptr_t{1} << 21;
        const std::uintptr_t begin = (address + huge - 1) & ~(huge - 1);
        const std::uintptr_t end = (address + bytes) & ~(huge - 1);
        if (end > begin) {
            // A hint: failure (e.g. no transparent huge pages) leaves ordinary pages.
            static_cast<void>(::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE));
        }
#endif
    }

    void* m_memory = nullptr;
    T* m_data = nullptr;
    std::size_t m_size = 0;
};

// Hints that the cache line holding `address` will be read soon (no effect on results).
inline void prefetch([[maybe_unused]] const void* address) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(address);
#endif
}

// 4096 / (1 + e^(-x / 256)) at x = -2048, -1920, ..., 2048, rounded (computed offline once).
inline constexpr std::array<int, 33> squash_knots = {
    1,    2,    4,    6,    10,   17,   27,   45,   74,   120,  194,  311,  488,  747,  1102, 1546, 2048,
    2550, 2994, 3349, 3608, 3785, 3902, 3976, 4022, 4051, 4069, 4079, 4086, 4090, 4092, 4094, 4095};

// The logistic function in fixed point, by interpolation between the knots: the 12-bit
// probability of a stretched value x in [-2047, 2047]; in [1, 4095], nondecreasing in x.
[[nodiscard]] constexpr int squash_interpolated(int x) noexcept {
    // x >> 7 and x & 127 are floor division and remainder (C++20 two's complement).
    const int i = (x >> 7) + 16;
    const int w = x & 127;
    return (squash_knots[static_cast<std::size_t>(i)] * (128 - w) +
            squash_knots[static_cast<std::size_t>(i) + 1] * w + 64) >>
           7;
}

[[nodiscard]] constexpr std::array<std::int16_t, 4095> make_squash_table() noexcept {
    std::array<std::int16_t, 4095> table{};
    for (int x = -2047; x <= 2047; ++x) {
        table[static_cast<std::size_t>(x + 2047)] = static_cast<std::int16_t>(squash_interpolated(x));
    }
    return table;
}

inline constexpr std::array<std::int16_t, 4095> squash_table = make_squash_table();

// squash_interpolated(x) by table, with x clamped to [-2047, 2047].
[[nodiscard]] inline int squash(int x) noexcept {
    x = x < -2047 ? -2047 : (x > 2047 ? 2047 : x);
    return squash_table[static_cast<std::size_t>(x + 2047)];
}

// stretch(p) for every 12-bit p: the smallest x in [-2047, 2047] with squash(x) >= p,
// so squash(stretch(p)) ~ p (the exact inverse where squash takes the value p).
[[nodiscard]] constexpr std::array<std::int16_t, 4096> make_stretch_table() noexcept {
    std::array<std::int16_t, 4096> table{};
    int next = 0;
    for (int x = -2047; x <= 2047; ++x) {
        const int v = squash_interpolated(x);
        for (; next <= v; ++next) {
            table[static_cast<std::size_t>(next)] = static_cast<std::int16_t>(x);
        }
    }
    for (; next < 4096; ++next) {
        table[static_cast<std::size_t>(next)] = 2047;
    }
    return table;
}

inline constexpr std::array<std::int16_t, 4096> stretch_table = make_stretch_table();

// ln(p / (1 - p)) * 256 of a 12-bit probability p in [0, 4095].
[[nodiscard]] inline int stretch(int p) noexcept {
    return stretch_table[static_cast<std::size_t>(p)];
}

// A bit history: how many 0s and 1s a context has seen, with old evidence against the latest
// bit discounted. States are bytes; state 0 is the empty history (0, 0).
struct bit_history_table {
    static constexpr int max_count = 30;
    std::array<std::array<std::uint8_t, 2>, 256> next{}; // next[state][bit]
    std::array<std::uint8_t, 256> zeros{};               // n0 of each state
    std::array<std::uint8_t, 256> ones{};                // n1 of each state
    int size = 0;                                        // number of states in use (170)
};

// Which (n0, n1) pairs are states: the larger count may grow longer when the smaller is small
// (a deterministic context stays confident; a mixed one only needs a rough ratio).
[[nodiscard]] constexpr bool bit_history_allowed(int n0, int n1) noexcept {
    constexpr std::array<int, 8> limit = {30, 24, 16, 10, 8, 7, 7, 7};
    const int lo = n0 < n1 ? n0 : n1;
    const int hi = n0 < n1 ? n1 : n0;
    return lo < 8 && hi <= limit[static_cast<std::size_t>(lo)];
}

[[nodiscard]] constexpr bit_history_table make_bit_history_table() noexcept {
    bit_history_table t;
    std::array<std::array<int, 31>, 31> index{};
    // Enumerate by total count so state 0 is (0, 0).
    for (int total = 0; total <= 2 * bit_history_table::max_count; ++total) {
        for (int n1 = 0; n1 <= total; ++n1) {
            const int n0 = total - n1;
            if (n0 <= bit_history_table::max_count && n1 <= bit_history_table::max_count &&
                bit_history_allowed(n0, n1)) {
                index[static_cast<std::size_t>(n0)][static_cast<std::size_t>(n1)] = t.size;
                t.zeros[static_cast<std::size_t>(t.size)] = static_cast<std::uint8_t>(n0);
                t.ones[static_cast<std::size_t>(t.size)] = static_cast<std::uint8_t>(n1);
                ++t.size;
            }
        }
    }
    for (int s = 0; s < t.size; ++s) {
        for (int bit = 0; bit < 2; ++bit) {
            int n[2] = {t.zeros[static_cast<std::size_t>(s)], t.ones[static_cast<std::size_t>(s)]};
            n[bit] += 1;
            // Discount the opposite evidence: the context just changed its mind.
            if (n[1 - bit] > 2) {
                n[1 - bit] = n[1 - bit] / 2 + 1;
            }
            // Invariant: (0, 0) is allowed, so decrementing the larger count terminates.
            while (n[0] > bit_history_table::max_count || n[1] > bit_history_table::max_count ||
                   !bit_history_allowed(n[0], n[1])) {
                if (n[0] > n[1] || (n[0] == n[1] && bit == 1)) {
                    --n[0];
                } else {
                    --n[1];
                }
            }
            t.next[static_cast<std::size_t>(s)][static_cast<std::size_t>(bit)] = static_cast<std::uint8_t>(
                index[static_cast<std::size_t>(n[0])][static_cast<std::size_t>(n[1])]);
        }
    }
    return t;
}

inline constexpr bit_history_table bit_histories = make_bit_history_table();

// 65536 / (n + 1.5): the learning rate of a counter that has seen n updates.
[[nodiscard]] constexpr std::array<std::int32_t, 1024> make_reciprocal_table() noexcept {
    std::array<std::int32_t, 1024> table{};
    for (int n = 0; n < 1024; ++n) {
        table[static_cast<std::size_t>(n)] = (2 * 65536) / (2 * n + 3);
    }
    return table;
}

inline constexpr std::array<std::int32_t, 1024> reciprocal_table = make_reciprocal_table();

// Adaptive probabilities for a small set of contexts (e.g. bit-history states): each entry
// learns p(1) as a running average whose rate 1 / (n + 1.5) falls to 1 / (limit + 1.5).
class state_map {
public:
    // `contexts` entries, each starting at p = 1/2; limit in [1, 1023].
    explicit state_map(std::size_t contexts = 256, int limit = 1023)
        : m_entries(contexts, std::uint32_t{1} << 31), m_limit(static_cast<std::uint32_t>(limit)) {}

    // Starts entry i at p = (2 n1 + 1) / (2 (n0 + n1) + 2) for each bit-history state i.
    void init_from_bit_histories() {
        for (std::size_t s = 0; s < m_entries.size() && s < 256; ++s) {
            const std::uint64_t n0 = bit_histories.zeros[s];
            const std::uint64_t n1 = bit_histories.ones[s];
            const std::uint64_t p22 = ((2 * n1 + 1) << 22) / (2 * (n0 + n1) + 2);
            m_entries[s] = static_cast<std::uint32_t>(p22 << 10);
        }
    }

    // The 12-bit p(1) of context cx, remembered for update().
    [[nodiscard]] int p(std::size_t cx) noexcept {
        m_last = cx;
        return static_cast<int>(m_entries[cx] >> 20);
    }

    // Moves the last context's probability toward `bit`.
    void update(int bit) noexcept { adapt(m_entries[m_last], bit, m_limit); }

    // Moves entry e toward `bit` at rate 1 / (n + 1.5) and counts the update.
    // Invariant: e = p22 << 10 | n with p22 the 22-bit probability and n <= limit.
    static void adapt(std::uint32_t& e, int bit, std::uint32_t limit) noexcept {
        // 64-bit copies of the fields: indexing and subtracting need no zero extension.
        const std::uint64_t entry = e;
        const std::uint64_t n = entry & 1023U;
        const auto p22 = static_cast<std::int64_t>(entry >> 10);
        const std::int64_t target = static_cast<std::int64_t>(bit) << 22;
        // The step is a fraction < 1 of the distance to the target, floored: next stays in
        // [0, 2^22 - 1] without clamping.
        const std::int64_t next = p22 + (((target - p22) * reciprocal_table[n]) >> 16);
        e = static_cast<std::uint32_t>(next) << 10 | static_cast<std::uint32_t>(n < limit ? n + 1 : n);
    }

    // The raw entry of context cx (p22 << 10 | count).
    [[nodiscard]] std::uint32_t entry(std::size_t cx) const noexcept { return m_entries[cx]; }

    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        return m_entries.size() * sizeof(std::uint32_t);
    }

private:
    std::vector<std::uint32_t> m_entries;
    std::uint32_t m_limit;
    std::size_t m_last = 0;
};

// State maps of 256 bit-history states each, in one table: one context per map per bit.
template <std::size_t Maps>
class state_map_bank {
public:
    // Every entry starts at its state's count-based estimate; limit in [1, 1023].
    explicit state_map_bank(int limit) : m_entries(Maps * 256), m_limit(static_cast<std::uint32_t>(limit)) {
        state_map initial(256, limit);
        initial.init_from_bit_histories();
        for (std::size_t m = 0; m < Maps; ++m) {
            for (std::size_t s = 0; s < 256; ++s) {
                m_entries[m * 256 + s] = initial.entry(s);
            }
            m_last[m] = m_entries.data() + m * 256;
        }
    }
    // m_last points into m_entries: a copy would update the original's entries (a move keeps
    // the vector's buffer, so it may move).
    state_map_bank(const state_map_bank&) = delete;
    state_map_bank& operator=(const state_map_bank&) = delete;
    state_map_bank(state_map_bank&&) noexcept = default;
    state_map_bank& operator=(state_map_bank&&) noexcept = default;
    ~state_map_bank() = default;

    // The 12-bit p(1) of `state` in map m, remembered for update().
    [[nodiscard]] int p(std::size_t m, std::uint8_t state) noexcept {
        std::uint32_t* const entry = m_entries.data() + (m * 256 + state);
        m_last[m] = entry;
        return static_cast<int>(*entry >> 20);
    }

    // Moves every map's last entry toward `bit`.
    void update(int bit) noexcept {
        const std::uint32_t limit = m_limit; // a local: a store through an entry could be m_limit
        for (std::uint32_t* const entry : m_last) {
            state_map::adapt(*entry, bit, limit);
        }
    }

    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        return m_entries.size() * sizeof(std::uint32_t);
    }

private:
    std::vector<std::uint32_t> m_entries;
    // The entries p() read last (pointers, not indices: update() needs no address arithmetic).
    std::array<std::uint32_t*, Maps> m_last{};
    std::uint32_t m_limit;
};

// A gated logistic mixer: p = squash(sum_i w_i x_i) with one weight vector per selector
// context, trained online to minimize coding cost. Weights are 16.16 fixed point.
template <std::size_t Inputs>
class mixer {
public:
    // `contexts` weight sets, each starting at initial_weight (16.16) per input; the rate is
    // in 1/16384 units of (bit - p) * x per weight.
    explicit mixer(std::size_t contexts, std::int32_t initial_weight, int learning_rate)
        : m_weights(contexts * Inputs, initial_weight), m_learning_rate(learning_rate) {}

    // Sets input i to a stretched probability in [-2047, 2047].
    void set(std::size_t i, int x) noexcept { m_inputs[i] = x; }

    // The mixed 12-bit probability with weight set cx, remembered for update().
    [[nodiscard]] int mix(std::size_t cx) noexcept {
        m_set = cx * Inputs;
        std::int64_t dot = 0;
        for (std::size_t i = 0; i < Inputs; ++i) {
            dot += static_cast<std::int64_t>(m_inputs[i]) * m_weights[m_set + i];
        }
        // Invariant: dot >> 16 is clamped to the stretch range before squashing.
        std::int64_t s = dot >> 16;
        s = s < -2047 ? -2047 : (s > 2047 ? 2047 : s);
        m_stretched = static_cast<int>(s);
        m_p = squash(m_stretched);
        return m_p;
    }

    // The stretched output of the last mix().
    [[nodiscard]] int stretched() const noexcept { return m_stretched; }

    // Gradient step on coding cost: w_i += x_i * (bit - p) * rate.
    void update(int bit) noexcept {
        const int err = ((bit << 12) - m_p) * m_learning_rate;
        for (std::size_t i = 0; i < Inputs; ++i) {
            // |x * err| <= 2047 * 4095 * rate < 2^31 for rate <= 255; |w| stays below 2^24.
            const std::int32_t w = m_weights[m_set + i] + ((m_inputs[i] * err + 8192) >> 14);
            m_weights[m_set + i] = std::clamp(w, -(1 << 24), 1 << 24);
        }
    }

    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        return m_weights.size() * sizeof(std::int32_t);
    }

private:
    std::vector<std::int32_t> m_weights;
    std::array<int, Inputs> m_inputs{};
    std::size_t m_set = 0;
    int m_learning_rate;
    int m_p = 2048;
    int m_stretched = 0;
};

// Two-layer mixing: Sets mixers share the inputs, each choosing its weight set by its own
// context; a final small mixer combines their stretched outputs. Each weight set holds Inputs
// weights; only the first Active inputs are ever set (the others stay 0, so their weights would
// neither contribute nor change), and the loops stop there.
template <std::size_t Inputs, std::size_t Sets, std::size_t Active = Inputs>
class mixer_network {
    static_assert(Active >= 1 && Active <= Inputs);

public:
    // sizes[k] weight sets for first-layer mixer k; final_contexts sets for the final mixer.
    mixer_network(const std::array<std::size_t, Sets>& sizes, std::size_t final_contexts, int learning_rate,
                  int final_learning_rate)
        : m_final(final_contexts, static_cast<std::int32_t>(65536 / Sets), final_learning_rate) {
        for (std::size_t k = 0; k < Sets; ++k) {
            m_offsets[k] = m_total;
            m_total += sizes[k];
        }
        m_weights.assign(m_total * Inputs, 65536 / 4);
        m_learning_rate = learning_rate;
    }

    // Sets input i < Active to a stretched probability in [-2047, 2047].
    void set(std::size_t i, int x) noexcept { m_inputs[i] = x; }

    // Sets inputs 0 .. Active - 1 at once, as set() does one at a time.
    void set_inputs(const std::array<int, Active>& x) noexcept {
#if defined(__SSE2__)
        if constexpr (vector_loops) {
            // Built in registers and stored whole: the 16-byte loads of mix() and update() then
            // read what one 16-byte store wrote (a load spanning several narrower stores cannot
            // take its data from the store buffer and waits for them to reach the cache).
            for (std::size_t i = 0; i < Active; i += 4) {
                _mm_store_si128(reinterpret_cast<__m128i*>(&m_inputs[i]),
                                _mm_setr_epi32(x[i], x[i + 1], x[i + 2], x[i + 3]));
            }
            return;
        }
#endif
        std::copy(x.begin(), x.end(), m_inputs.begin());
    }

    // The 12-bit probability; contexts[k] < sizes[k] selects mixer k's weights.
    [[nodiscard]] int mix(const std::array<std::size_t, Sets>& contexts, std::size_t final_context) noexcept {
        for (std::size_t k = 0; k < Sets; ++k) {
            const std::size_t base = (m_offsets[k] + contexts[k]) * Inputs;
            m_base[k] = base;
            const int s = std::clamp(dot_product(&m_weights[base]), -2047, 2047);
            m_p[k] = squash(s);
            m_final.set(k, s);
        }
        return m_final.mix(final_context);
    }

    void update(int bit) noexcept {
        for (std::size_t k = 0; k < Sets; ++k) {
            const int err = ((bit << 12) - m_p[k]) * m_learning_rate;
            train(&m_weights[m_base[k]], err);
        }
        m_final.update(bit);
    }

    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        return m_weights.size() * sizeof(std::int32_t) + m_final.memory_bytes();
    }

private:
    // |w| < 2^19 (8.0) and |x| < 2^11 keep every x * w below 2^30 in an int32.
    static constexpr std::int32_t max_weight = (1 << 19) - 1;

#if defined(__SSE2__)
    // SSE2 (the x86-64 baseline) has no 32-bit multiply or min/max: the loops below are written
    // out for it. Each computes exactly what the portable loop after it does, in integers.
    static constexpr bool vector_loops = Active % 4 == 0;
#else
    static constexpr bool vector_loops = false;
#endif

    // w_i += x_i * err / 2^14, rounded, kept within +-max_weight.
    void train(std::int32_t* w, int err) const noexcept {
#if defined(__SSE2__)
        // x_i * err by pmaddwd: each input lane holds x_i as an int16 (|x_i| <= 2047) and its
        // sign extension, and {err, 0} multiplies them into x_i * err + 0, when err fits an int16.
        if constexpr (vector_loops) {
            if (err < -32768 || err > 32767) {
                train_portable(w, err);
                return;
            }
            const __m128i factor = _mm_set1_epi32(err & 0xffff);
            const __m128i half = _mm_set1_epi32(8192);
            const __m128i high = _mm_set1_epi32(max_weight);
            const __m128i low = _mm_set1_epi32(-max_weight);
            // Weights rarely reach the bound: clamp only when some lane left the range. A lane v
            // is inside [-max_weight, max_weight] exactly when v + max_weight, read as unsigned,
            // is below 2 max_weight + 1; adding 2^31 more (mod 2^32) makes that one signed pcmpgtd.
            const __m128i bias = _mm_set1_epi32(max_weight + std::numeric_limits<std::int32_t>::min());
            const __m128i biased_end =
                _mm_set1_epi32(2 * max_weight + 1 + std::numeric_limits<std::int32_t>::min());
            __m128i v[Active / 4] = {};
            __m128i inside = _mm_set1_epi32(-1);
            for (std::size_t i = 0; i < Active; i += 4) {
                const __m128i x = _mm_load_si128(reinterpret_cast<const __m128i*>(&m_inputs[i]));
                const __m128i step = _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(x, factor), half), 14);
                v[i / 4] = _mm_add_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)), step);
                inside = _mm_and_si128(inside, _mm_cmpgt_epi32(biased_end, _mm_add_epi32(v[i / 4], bias)));
            }
            if (_mm_movemask_epi8(inside) != 0xffff) [[unlikely]] {
                for (auto& lanes : v) {
                    const __m128i above = _mm_cmpgt_epi32(lanes, high);
                    lanes = _mm_or_si128(_mm_andnot_si128(above, lanes), _mm_and_si128(above, high));
                    const __m128i below = _mm_cmpgt_epi32(low, lanes);
                    lanes = _mm_or_si128(_mm_andnot_si128(below, lanes), _mm_and_si128(below, low));
                }
            }
            for (std::size_t i = 0; i < Active; i += 4) {
                _mm_storeu_si128(reinterpret_cast<__m128i*>(w + i), v[i / 4]);
            }
            return;
        }
#endif
        train_portable(w, err);
    }

    void train_portable(std::int32_t* w, int err) const noexcept {
        const std::array<std::int32_t, Inputs> x = m_inputs; // a local copy: w cannot alias it
        for (std::size_t i = 0; i < Active; ++i) {
            const std::int32_t v = w[i] + ((x[i] * err + 8192) >> 14);
            const std::int32_t low = v < -max_weight ? -max_weight : v;
            w[i] = low > max_weight ? max_weight : low;
        }
    }

    // sum_i x_i w_i / 2^16, each product pre-shifted by 8 so the int32 sum cannot overflow.
    [[nodiscard]] int dot_product(const std::int32_t* w) const noexcept {
#if defined(__SSE2__)
        if constexpr (vector_loops) {
            // pmuludq multiplies the even lanes (0, 2) into 64-bit products whose low 32 bits are
            // the int32 products x_i w_i; the odd lanes, moved down, likewise. Only those low
            // halves are summed (lanes 0 and 2 of the total), so the 64-bit high halves never matter.
            __m128i total = _mm_setzero_si128();
            for (std::size_t i = 0; i < Active; i += 4) {
                const __m128i x = _mm_load_si128(reinterpret_cast<const __m128i*>(&m_inputs[i]));
                const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i));
                const __m128i even = _mm_mul_epu32(x, v);
                // Lanes (1, 1, 3, 3) by pshufd, which unlike psrlq needs no copy of its operand.
                const __m128i odd = _mm_mul_epu32(_mm_shuffle_epi32(x, 0xf5), _mm_shuffle_epi32(v, 0xf5));
                total = _mm_add_epi32(total, _mm_add_epi32(_mm_srai_epi32(even, 8), _mm_srai_epi32(odd, 8)));
            }
            total = _mm_add_epi32(total, _mm_shuffle_epi32(total, 0x4e)); // lane 0 += lane 2
            return _mm_cvtsi128_si32(total) >> 8;
        }
#endif
        std::int32_t sum = 0;
        for (std::size_t i = 0; i < Active; ++i) {
            sum += (m_inputs[i] * w[i]) >> 8;
        }
        return sum >> 8;
    }

    std::vector<std::int32_t> m_weights;
    alignas(16) std::array<std::int32_t, Inputs> m_inputs{};
    std::array<std::size_t, Sets> m_offsets{};
    std::array<std::size_t, Sets> m_base{};
    std::array<int, Sets> m_p{};
    std::size_t m_total = 0;
    int m_learning_rate = 0;
    mixer<Sets> m_final;
};

// An adaptive probability map (secondary estimation): refines a probability given a context
// by interpolating between 33 learned values placed along the stretch axis.
class apm {
public:
    // `contexts` rows, each starting as the identity map; rate is a shift (7 = 1/128).
    apm(std::size_t contexts, int rate) : m_table(contexts * 33), m_rate(rate) {
        for (std::size_t cx = 0; cx < contexts; ++cx) {
            for (std::size_t j = 0; j < 33; ++j) {
                m_table[cx * 33 + j] =
                    static_cast<std::uint16_t>(squash(std::min((static_cast<int>(j) - 16) * 128, 2047)) * 16);
            }
        }
    }

    // The refined 12-bit probability of p in context cx, remembered for update().
    [[nodiscard]] int refine(int p, std::size_t cx) noexcept {
        const int s = stretch(p) + 2048; // in [1, 4095]
        const int w = s & 127;
        m_index = cx * 33 + static_cast<std::size_t>(s >> 7);
        m_weight = w;
        return (m_table[m_index] * (128 - w) + m_table[m_index + 1] * w) >> 11;
    }

    // Hints that contexts cx and cx + 1 come next.
    void prefetch([[maybe_unused]] std::size_t cx) const noexcept {
#if defined(__GNUC__) || defined(__clang__)
        const std::uint16_t* row = &m_table[cx * 33];
        __builtin_prefetch(row);
        __builtin_prefetch(row + 32);
        __builtin_prefetch(row + 65);
#endif
    }

    // Moves both knots around the last input toward `bit`, each in proportion to its weight.
    void update(int bit) noexcept {
        const int target = bit != 0 ? 65535 : 0;
        nudge(m_table[m_index], target, 128 - m_weight);
        nudge(m_table[m_index + 1], target, m_weight);
    }

    [[nodiscard]] std::size_t memory_bytes() const noexcept {
        return m_table.size() * sizeof(std::uint16_t);
    }

private:
    void nudge(std::uint16_t& v, int target, int weight) const noexcept {
        // v += (target - v) * weight / 128 >> rate; stays in [0, 65535] since |step| <= |target - v|.
        const int step = ((target - static_cast<int>(v)) * weight) >> (7 + m_rate);
        v = static_cast<std::uint16_t>(static_cast<int>(v) + step);
    }

    std::vector<std::uint16_t> m_table;
    int m_rate;
    std::size_t m_index = 0;
    int m_weight = 0;
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail::cm
