// Throughput of the leaky quantizer on a 256 MiB buffer of float32 logits (out of cache), in
// logits consumed per second: the encoder path (quantize_symbol: one symbol's interval), the
// fused decoder path (quantize_find_symbol) and the full CDF (quantized_cdf), next to the
// scalar kernel and a plain memory-read loop over the same buffer.
//   bench_quantize --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "codelength/coding/coding.hpp"

namespace {

constexpr std::size_t buffer_bytes = std::size_t{256} << 20U;

// 64-byte aligned, as the data of a memory-mapped .npy file is.
template <class Element>
using aligned_vector = std::vector<Element, xsimd::aligned_allocator<Element, 64>>;

// LLM-like rows: most logits N(0, 3), with a few far above the rest.
template <class Element>
const aligned_vector<Element>& logits_buffer() {
    static const aligned_vector<Element> buffer = [] {
        aligned_vector<Element> values(buffer_bytes / sizeof(Element));
        std::mt19937 generator(42);
        std::normal_distribution<float> normal(0.0F, 3.0F);
        for (std::size_t i = 0; i < values.size(); ++i) {
            const float v = normal(generator) + (i % 997 == 0 ? 12.0F : 0.0F);
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

template <class Element>
codelength::matrix_view<Element> rows_of(std::int64_t vocabulary) {
    const auto& buffer = logits_buffer<Element>();
    const auto rows = static_cast<std::int64_t>(buffer.size()) / vocabulary;
    return codelength::matrix_view<Element>::row_major(buffer.data(), rows, vocabulary);
}

void count_elements(benchmark::State& state, const codelength::matrix_view<float>& view) {
    state.SetItemsProcessed(state.iterations() * view.rows * view.columns);
    state.SetBytesProcessed(state.iterations() * view.rows * view.columns * std::int64_t{sizeof(float)});
}

void run_quantize_symbol(benchmark::State& state, codelength::kernel_choice kernel) {
    const auto view = rows_of<float>(state.range(0));
    const int precision = static_cast<int>(state.range(1));
    for (auto _ : state) {
        std::uint64_t checksum = 0;
        for (std::int64_t r = 0; r < view.rows; ++r) {
            const auto interval =
                codelength::quantize_symbol(view.row(r), (r * 7919) % view.columns, precision, r, kernel);
            checksum += interval.cdf_low + interval.frequency;
        }
        benchmark::DoNotOptimize(checksum);
    }
    count_elements(state, view);
}

void bm_quantize_symbol_f32(benchmark::State& state) {
    run_quantize_symbol(state, codelength::kernel_choice::automatic);
}
void bm_quantize_symbol_f32_scalar(benchmark::State& state) {
    run_quantize_symbol(state, codelength::kernel_choice::scalar);
}

void bm_quantize_find_symbol_f32(benchmark::State& state) {
    const auto view = rows_of<float>(state.range(0));
    const int precision = static_cast<int>(state.range(1));
    for (auto _ : state) {
        std::int64_t checksum = 0;
        for (std::int64_t r = 0; r < view.rows; ++r) {
            const auto value = static_cast<std::uint32_t>((static_cast<std::uint64_t>(r) * 2654435761U) &
                                                          ((std::uint64_t{1} << precision) - 1));
            checksum += codelength::quantize_find_symbol(view.row(r), value, precision, r).symbol;
        }
        benchmark::DoNotOptimize(checksum);
    }
    count_elements(state, view);
}

void run_quantized_cdf(benchmark::State& state, codelength::kernel_choice kernel) {
    const auto view = rows_of<float>(state.range(0));
    const int precision = static_cast<int>(state.range(1));
    codelength::quantized_cdf cdf;
    for (auto _ : state) {
        std::int64_t checksum = 0;
        for (std::int64_t r = 0; r < view.rows; ++r) {
            cdf.assign_from_logits(view.row(r), precision, r, kernel);
            checksum += cdf.cdf()[static_cast<std::size_t>((r * 7919) % view.columns)];
        }
        benchmark::DoNotOptimize(checksum);
    }
    count_elements(state, view);
}

void bm_quantized_cdf_f32(benchmark::State& state) {
    run_quantized_cdf(state, codelength::kernel_choice::automatic);
}
void bm_quantized_cdf_f32_scalar(benchmark::State& state) {
    run_quantized_cdf(state, codelength::kernel_choice::scalar);
}

void bm_quantize_symbol_bf16(benchmark::State& state) {
    const auto view = rows_of<codelength::bfloat16>(state.range(0));
    const int precision = static_cast<int>(state.range(1));
    for (auto _ : state) {
        std::uint64_t checksum = 0;
        for (std::int64_t r = 0; r < view.rows; ++r) {
            checksum +=
                codelength::quantize_symbol(view.row(r), (r * 7919) % view.columns, precision, r).frequency;
        }
        benchmark::DoNotOptimize(checksum);
    }
    state.SetItemsProcessed(state.iterations() * view.rows * view.columns);
}

// The memory-read ceiling: a vectorized max over the same float buffer.
void bm_memory_read(benchmark::State& state) {
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

// Arguments: vocabulary size V, precision P.
void vocabularies(benchmark::internal::Benchmark* benchmark) {
    benchmark->Args({32000, 24})->Args({151936, 24})->Unit(benchmark::kMillisecond)->UseRealTime();
}

} // namespace

BENCHMARK(bm_memory_read)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_quantize_symbol_f32)->Apply(vocabularies);
BENCHMARK(bm_quantize_find_symbol_f32)->Apply(vocabularies);
BENCHMARK(bm_quantized_cdf_f32)->Apply(vocabularies);
BENCHMARK(bm_quantize_symbol_bf16)->Apply(vocabularies);
BENCHMARK(bm_quantize_symbol_f32_scalar)->Args({32000, 24})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_quantized_cdf_f32_scalar)->Args({32000, 24})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
