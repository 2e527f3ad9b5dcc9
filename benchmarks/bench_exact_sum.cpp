// Cost of one addition to the ledger's sums: exact_sum::add next to Neumaier's compensated_sum
// and a plain double sum, over 4096 surprisal-like values (log-normal, in cache), plus the whole
// code_length_ledger::add_surprisal_bits and a merge of two exact sums. Items are additions.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "codelength/metrics/code_length_ledger.hpp"
#include "codelength/numerics/compensated_sum.hpp"
#include "codelength/numerics/exact_sum.hpp"

namespace {

const std::vector<double>& surprisals() {
    static const std::vector<double> values = [] {
        std::mt19937_64 generator(42);
        std::lognormal_distribution<double> surprisal(0.5, 2.0);
        std::vector<double> result(4096);
        for (double& v : result) {
            v = surprisal(generator);
        }
        return result;
    }();
    return values;
}

void bm_plain_sum(benchmark::State& state) {
    const auto& values = surprisals();
    for (auto _ : state) {
        double sum = 0.0;
        for (const double v : values) {
            sum += v;
        }
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}

// Adds every value to a fresh Sum (any type with add(double) and value()).
template <class Sum>
void bm_sum_add(benchmark::State& state) {
    const auto& values = surprisals();
    for (auto _ : state) {
        Sum sum;
        for (const double v : values) {
            sum.add(v);
        }
        benchmark::DoNotOptimize(sum.value());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}

void bm_ledger_add_surprisal_bits(benchmark::State& state) {
    const auto& values = surprisals();
    for (auto _ : state) {
        codelength::code_length_ledger ledger;
        for (const double v : values) {
            ledger.add_surprisal_bits(v, v);
        }
        benchmark::DoNotOptimize(ledger.total_bits());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
}

void bm_exact_sum_merge(benchmark::State& state) {
    codelength::exact_sum shard;
    for (const double v : surprisals()) {
        shard.add(v);
    }
    codelength::exact_sum total;
    for (auto _ : state) {
        total.add(shard);
        benchmark::DoNotOptimize(total);
    }
}

} // namespace

BENCHMARK(bm_plain_sum);
BENCHMARK(bm_sum_add<codelength::detail::compensated_sum>)->Name("bm_compensated_sum_add");
BENCHMARK(bm_sum_add<codelength::exact_sum>)->Name("bm_exact_sum_add");
BENCHMARK(bm_ledger_add_surprisal_bits);
BENCHMARK(bm_exact_sum_merge);

BENCHMARK_MAIN();
