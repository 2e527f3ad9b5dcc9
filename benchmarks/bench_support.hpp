// What the benchmark programs share: a 256 MiB buffer of LLM-like logits (out of every cache),
// row views of it, and the plain memory-read loop that bounds any pass over it.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <type_traits>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"

namespace codelength::bench {

inline constexpr std::size_t buffer_bytes = std::size_t{256} << 20U;

// 64-byte aligned, as the data of a memory-mapped .npy file is.
template <class Element>
using aligned_vector = std::vector<Element, xsimd::aligned_allocator<Element, 64>>;

// LLM-like logits, one per call: most N(0, 3), with every 997th far above the rest; seeded, so
// every benchmark program sees the same sequence.
class llm_like_logits {
public:
    float operator()() {
        const float v = m_normal(m_generator) + (m_index % 997 == 0 ? 12.0F : 0.0F);
        ++m_index;
        return v;
    }

private:
    std::mt19937 m_generator{42};
    std::normal_distribution<float> m_normal{0.0F, 3.0F};
    std::size_t m_index = 0;
};

// LLM-like rows (llm_like_logits) filling buffer_bytes.
template <class Element>
const aligned_vector<Element>& logits_buffer() {
    static const aligned_vector<Element> buffer = [] {
        aligned_vector<Element> values(buffer_bytes / sizeof(Element));
        llm_like_logits next;
        for (std::size_t i = 0; i < values.size(); ++i) {
            const float v = next();
            if constexpr (std::is_same_v<Element, float>) {
                values[i] = v;
            } else {
                values[i] = Element::from_float(v);
            }
        }
        return values;
    }();
    return buffer;
}

// The buffer as rows of `vocabulary` logits (the remainder is left out).
template <class Element>
matrix_view<Element> rows_of(std::int64_t vocabulary) {
    const auto& buffer = logits_buffer<Element>();
    const auto rows = static_cast<std::int64_t>(buffer.size()) / vocabulary;
    return matrix_view<Element>::row_major(buffer.data(), rows, vocabulary);
}

// The memory-read ceiling: a vectorized max over the float buffer, four accumulators.
inline void memory_read(benchmark::State& state) {
    using batch = xsimd::batch<float>;
    const auto& buffer = logits_buffer<float>();
    const std::size_t n = buffer.size() - buffer.size() % (4 * batch::size);
    for (auto _ : state) {
        batch a(0.0F), b(0.0F), c(0.0F), d(0.0F);
        for (std::size_t i = 0; i < n; i += 4 * batch::size) {
            a = xsimd::max(a, batch::load_unaligned(buffer.data() + i));
            b = xsimd::max(b, batch::load_unaligned(buffer.data() + i + batch::size));
            c = xsimd::max(c, batch::load_unaligned(buffer.data() + i + 2 * batch::size));
            d = xsimd::max(d, batch::load_unaligned(buffer.data() + i + 3 * batch::size));
        }
        benchmark::DoNotOptimize(xsimd::max(xsimd::max(a, b), xsimd::max(c, d)));
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n * sizeof(float)));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

} // namespace codelength::bench
