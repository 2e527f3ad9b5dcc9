// Full per-token coding from logits rows: encode_sequence (fingerprint, row kernel for the
// ideal bits, fused quantization, range coder) and decode_sequence (fingerprint, fused
// quantization with the symbol search, range decoder) over a 256 MiB float32 buffer of
// logits replayed row by row, at V = 32000 and 151936, P = 24. Reports ns per token and
// logits elements per second, and decode time / encode time.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "bench_support.hpp"
#include "codelength/codelength.hpp"

namespace {

// Targets drawn from each row's own softmax, as a model's data would be.
std::vector<std::int64_t> sampled_targets(codelength::matrix_view<float> view) {
    std::vector<std::int64_t> targets(static_cast<std::size_t>(view.rows));
    std::mt19937_64 generator(7);
    std::vector<double> weights(static_cast<std::size_t>(view.columns));
    for (std::int64_t r = 0; r < view.rows; ++r) {
        for (std::int64_t c = 0; c < view.columns; ++c) {
            weights[static_cast<std::size_t>(c)] = std::exp(static_cast<double>(view(r, c)));
        }
        std::discrete_distribution<std::int64_t> pick(weights.begin(), weights.end());
        targets[static_cast<std::size_t>(r)] = pick(generator);
    }
    return targets;
}

struct coding_case {
    codelength::matrix_view<float> view;
    std::vector<std::int64_t> targets;
    std::vector<std::uint8_t> stream;
};

const coding_case& case_for(std::int64_t vocabulary) {
    static std::vector<std::pair<std::int64_t, coding_case>> cases;
    for (const auto& [v, c] : cases) {
        if (v == vocabulary) {
            return c;
        }
    }
    coding_case c;
    c.view = codelength::bench::rows_of<float>(vocabulary);
    c.targets = sampled_targets(c.view);
    codelength::logits_replay model(c.view);
    c.stream = codelength::encode_sequence(model, c.targets).bytes;
    cases.emplace_back(vocabulary, std::move(c));
    return cases.back().second;
}

void report(benchmark::State& state, const coding_case& c) {
    state.SetItemsProcessed(state.iterations() * c.view.rows);
    state.counters["ns_per_token"] =
        benchmark::Counter(static_cast<double>(c.view.rows) * 1e-9,
                           benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
    state.counters["logits_per_s"] = benchmark::Counter(static_cast<double>(c.view.rows * c.view.columns),
                                                        benchmark::Counter::kIsIterationInvariantRate);
}

void bm_encode_sequence(benchmark::State& state) {
    const auto& c = case_for(state.range(0));
    for (auto _ : state) {
        codelength::logits_replay model(c.view);
        auto encoded = codelength::encode_sequence(model, c.targets);
        benchmark::DoNotOptimize(encoded.bytes.data());
    }
    report(state, c);
}

void bm_decode_sequence(benchmark::State& state) {
    const auto& c = case_for(state.range(0));
    for (auto _ : state) {
        codelength::logits_replay model(c.view);
        auto decoded = codelength::decode_sequence(model, c.stream);
        benchmark::DoNotOptimize(decoded.data());
    }
    report(state, c);
}

} // namespace

BENCHMARK(bm_encode_sequence)->Arg(32000)->Arg(151936)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_decode_sequence)->Arg(32000)->Arg(151936)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
