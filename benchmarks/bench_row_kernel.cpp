// Throughput of the fused row kernel on a 256 MiB buffer of logits (out of cache), next to
// a plain memory-read loop and a naive scalar two-pass std::exp loop over the same buffer,
// so the ratios come from one run. Bytes/s counts logits consumed.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "bench_support.hpp"
#include "codelength/codelength.hpp"

namespace {

using codelength::bench::logits_buffer;
using codelength::bench::rows_of;

template <class Element>
void run_kernel(benchmark::State& state, codelength::kernel_choice kernel) {
    const auto vocabulary = static_cast<std::int64_t>(state.range(0));
    const auto view = rows_of<Element>(vocabulary);
    const auto rows = view.rows;
    for (auto _ : state) {
        double total_bits = 0.0;
        for (std::int64_t r = 0; r < rows; ++r) {
            const auto s =
                codelength::compute_row_statistics(view.row(r), (r * 7919) % vocabulary, r, kernel);
            total_bits += s.target_surprisal_bits() + s.entropy_nats;
        }
        benchmark::DoNotOptimize(total_bits);
    }
    state.SetBytesProcessed(state.iterations() * rows * vocabulary *
                            static_cast<std::int64_t>(sizeof(Element)));
    state.SetItemsProcessed(state.iterations() * rows * vocabulary);
}

// The same float32 rows, but only as many as fit in 512 KiB, scored over and over: the kernel's
// arithmetic ceiling with the data in L2, to set against the out-of-cache figure and the read loop.
void bm_row_kernel_f32_in_l2(benchmark::State& state) {
    const auto vocabulary = static_cast<std::int64_t>(state.range(0));
    const auto all = rows_of<float>(vocabulary);
    const std::int64_t rows = std::max<std::int64_t>(1, (std::int64_t{512} << 10) / (vocabulary * 4));
    const auto view = codelength::matrix_view<float>::row_major(all.row(0).data, rows, vocabulary);
    const std::int64_t passes = (all.rows + rows - 1) / rows; // as many rows as the big benchmark
    for (auto _ : state) {
        double total_bits = 0.0;
        for (std::int64_t pass = 0; pass < passes; ++pass) {
            for (std::int64_t r = 0; r < rows; ++r) {
                const auto s = codelength::compute_row_statistics(view.row(r), (r * 7919) % vocabulary, r);
                total_bits += s.target_surprisal_bits() + s.entropy_nats;
            }
        }
        benchmark::DoNotOptimize(total_bits);
    }
    state.SetBytesProcessed(state.iterations() * passes * rows * vocabulary * std::int64_t{sizeof(float)});
    state.SetItemsProcessed(state.iterations() * passes * rows * vocabulary);
}

void bm_row_kernel_f32(benchmark::State& state) {
    run_kernel<float>(state, codelength::kernel_choice::automatic);
}
void bm_row_kernel_bf16(benchmark::State& state) {
    run_kernel<codelength::bfloat16>(state, codelength::kernel_choice::automatic);
}
void bm_row_kernel_f32_scalar_fallback(benchmark::State& state) {
    run_kernel<float>(state, codelength::kernel_choice::scalar);
}

// What a straightforward implementation does: max pass, then sum of std::exp per row.
void bm_naive_two_pass_f32(benchmark::State& state) {
    const auto& buffer = logits_buffer<float>();
    const auto vocabulary = static_cast<std::size_t>(state.range(0));
    const std::size_t rows = buffer.size() / vocabulary;
    for (auto _ : state) {
        double total_nats = 0.0;
        for (std::size_t r = 0; r < rows; ++r) {
            const float* z = buffer.data() + r * vocabulary;
            float m = z[0];
            for (std::size_t i = 1; i < vocabulary; ++i) {
                m = std::max(m, z[i]);
            }
            float sum = 0.0F;
            for (std::size_t i = 0; i < vocabulary; ++i) {
                sum += std::exp(z[i] - m);
            }
            total_nats += static_cast<double>(m + std::log(sum) - z[(r * 7919) % vocabulary]);
        }
        benchmark::DoNotOptimize(total_nats);
    }
    const auto elements = static_cast<std::int64_t>(rows * vocabulary);
    state.SetBytesProcessed(state.iterations() * elements * std::int64_t{sizeof(float)});
    state.SetItemsProcessed(state.iterations() * elements);
}

void bm_memory_read(benchmark::State& state) {
    codelength::bench::memory_read(state);
}

} // namespace

BENCHMARK(bm_memory_read)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_row_kernel_f32)->Arg(256)->Arg(32000)->Arg(151936)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_row_kernel_f32_in_l2)->Arg(32000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_row_kernel_bf16)
    ->Arg(256)
    ->Arg(32000)
    ->Arg(151936)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(bm_row_kernel_f32_scalar_fallback)->Arg(32000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_naive_two_pass_f32)
    ->Arg(256)
    ->Arg(32000)
    ->Arg(151936)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
