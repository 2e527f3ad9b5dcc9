// The row kernel's passes over one chunk held in L1, for the instruction set this program is
// compiled for (CMake builds it once more for x86-64-v3 as bench_row_kernel_passes_avx2): where
// bench_row_kernel's time goes once memory is out of the way. The counter cycles_per_8_floats
// uses the core clock measured by a chain of dependent adds, since the benchmark library reports
// the nominal one (x86-64 only; elsewhere see ns_per_8_floats); both count this thread's CPU time.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <vector>

#include "bench_support.hpp"
#include "codelength/numerics/row_kernel_simd.hpp"

namespace {

namespace detail = codelength::detail;

constexpr std::int64_t chunk = detail::simd_chunk_elements<float>;

// One chunk of bench_support's logits.
const std::vector<float>& chunk_logits() {
    static const std::vector<float> values = [] {
        std::vector<float> z(static_cast<std::size_t>(chunk));
        std::generate(z.begin(), z.end(), codelength::bench::llm_like_logits{});
        return z;
    }();
    return values;
}

// This thread's CPU time in nanoseconds: the machine may be shared, and time off the CPU is
// no cycle of the loop.
double thread_cpu_ns() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e9 + static_cast<double>(now.tv_nsec);
}

// Core cycles per nanosecond, from 400 million dependent adds (one per cycle); 0 where unknown.
double core_ghz() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    static const double ghz = [] {
        constexpr std::int64_t chain = 400'000'000;
        std::int64_t adds = chain;
        std::int64_t x = 0;
        const double start = thread_cpu_ns();
        __asm__ volatile("1: add $1, %0\n add $1, %0\n add $1, %0\n add $1, %0\n sub $4, %1\n jnz 1b"
                         : "+r"(x), "+r"(adds));
        return static_cast<double>(chain) / (thread_cpu_ns() - start);
    }();
    return ghz;
#else
    return 0.0;
#endif
}

// Times `pass` over the chunk and reports time and cycles per 8 floats.
template <class Pass>
void per_8_floats(benchmark::State& state, Pass pass) {
    const double ghz = core_ghz();
    const double start = thread_cpu_ns();
    for (auto _ : state) {
        benchmark::DoNotOptimize(pass());
    }
    const double ns = (thread_cpu_ns() - start) / static_cast<double>(state.iterations()) * 8.0 /
                      static_cast<double>(chunk);
    state.counters["ns_per_8_floats"] = ns;
    if (ghz > 0.0) {
        state.counters["cycles_per_8_floats"] = ns * ghz;
        state.counters["core_GHz"] = ghz;
    }
    state.SetLabel(xsimd::default_arch::name());
    state.SetItemsProcessed(state.iterations() * chunk);
}

// The chunk's length as the kernel sees it, a run-time value (a constant lets the compiler
// specialize the loops, which the kernel's calls never get).
std::int64_t chunk_length() {
    std::int64_t n = chunk;
    benchmark::DoNotOptimize(n);
    return n;
}

float chunk_max() {
    const auto& z = chunk_logits();
    return *std::max_element(z.begin(), z.end());
}

// Pass 1: the chunk's extremes and the target's rank (the target after the chunk: ties count).
void bm_max_rank_pass(benchmark::State& state) {
    const auto& z = chunk_logits();
    const std::int64_t n = chunk_length();
    per_8_floats(state, [&] {
        const auto scan = detail::scan_chunk(z.data(), n, true, z[100], n);
        return scan.max + static_cast<float>(scan.rank_count);
    });
}

// Pass 2 as the kernel runs it here (the exp loop of its own where exp_loop_of_its_own).
void bm_exp_and_sums(benchmark::State& state) {
    const auto& z = chunk_logits();
    const float max_logit = chunk_max();
    const std::int64_t n = chunk_length();
    per_8_floats(state, [&] { return detail::moments_of_chunk<false>(z.data(), n, max_logit).sum; });
}

// Pass 2 with exp and sums in one loop, the structure AVX-512 runs.
void bm_exp_and_sums_one_loop(benchmark::State& state) {
    const auto& z = chunk_logits();
    const float max_logit = chunk_max();
    const std::int64_t n = chunk_length();
    per_8_floats(state,
                 [&] { return detail::moments_of_chunk<false, float, false>(z.data(), n, max_logit).sum; });
}

// Both passes, as the kernel runs them on each chunk.
void bm_both_passes(benchmark::State& state) {
    const auto& z = chunk_logits();
    const std::int64_t n = chunk_length();
    per_8_floats(state, [&] {
        const auto scan = detail::scan_chunk(z.data(), n, true, z[100], n);
        return detail::moments_of_chunk<false>(z.data(), n, scan.max).sum +
               static_cast<double>(scan.rank_count);
    });
}

} // namespace

BENCHMARK(bm_max_rank_pass);
BENCHMARK(bm_exp_and_sums);
BENCHMARK(bm_exp_and_sums_one_loop);
BENCHMARK(bm_both_passes);

BENCHMARK_MAIN();
