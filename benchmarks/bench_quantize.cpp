// Throughput of the leaky quantizer on a 256 MiB buffer of float32 logits (out of cache), in
// logits consumed per second: the encoder path (quantize_symbol: one symbol's interval), the
// fused decoder path (quantize_find_symbol) and the full CDF (quantized_cdf), next to the
// scalar kernel and a plain memory-read loop over the same buffer.
//   bench_quantize --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "bench_support.hpp"
#include "codelength/coding/coding.hpp"

namespace {

using codelength::bench::rows_of;

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

void bm_memory_read(benchmark::State& state) {
    codelength::bench::memory_read(state);
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
