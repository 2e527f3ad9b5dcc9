// Coder core speed, given precomputed symbol intervals (no model, no CDF search): the range
// coder at P = 16, 24, 31 (encode; decode as target() + consume() with the known interval,
// and a variant whose consume() depends on target() as it does behind a real search), and the
// binary coder per bit at 12 and 16 bits. Counters: seconds per symbol (or bit) and the coded
// bits per symbol (or bit).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "codelength/coding/binary_coder.hpp"
#include "codelength/coding/range_coder.hpp"

namespace {

constexpr std::size_t symbol_count = std::size_t{1} << 20U;
constexpr std::uint32_t vocabulary = 32000;

// Symbols drawn from a shuffled Zipf(1.1) distribution over 32,000 tokens (about 9 bits per
// token, an LLM-like spread), quantized to total 2^P with every frequency >= 1.
std::vector<codelength::symbol_interval> make_intervals(int precision_bits) {
    std::mt19937_64 generator(20260301);
    std::vector<double> weights(vocabulary);
    for (std::uint32_t i = 0; i < vocabulary; ++i) {
        weights[i] = std::pow(static_cast<double>(i) + 1.0, -1.1);
    }
    std::shuffle(weights.begin(), weights.end(), generator);
    std::vector<double> cumulative(vocabulary + 1, 0.0);
    for (std::uint32_t i = 0; i < vocabulary; ++i) {
        cumulative[i + 1] = cumulative[i] + weights[i];
    }
    const double spare = static_cast<double>((std::uint64_t{1} << precision_bits) - vocabulary);
    std::vector<std::uint32_t> cdf(vocabulary + 1);
    for (std::uint32_t i = 0; i <= vocabulary; ++i) {
        cdf[i] = i + static_cast<std::uint32_t>(std::floor(cumulative[i] / cumulative[vocabulary] * spare));
    }
    std::vector<codelength::symbol_interval> intervals(symbol_count);
    const std::uint64_t mask = (std::uint64_t{1} << precision_bits) - 1;
    for (auto& interval : intervals) {
        const auto v = static_cast<std::uint32_t>(generator() & mask);
        const auto s =
            static_cast<std::size_t>(std::upper_bound(cdf.begin(), cdf.end(), v) - cdf.begin() - 1);
        interval = {cdf[s], cdf[s + 1] - cdf[s]};
    }
    return intervals;
}

std::vector<std::uint8_t> encode_intervals(const std::vector<codelength::symbol_interval>& intervals, int p) {
    std::vector<std::uint8_t> bytes;
    codelength::default_range_encoder encoder(bytes);
    for (const auto interval : intervals) {
        encoder.encode(interval, p);
    }
    encoder.finish();
    return bytes;
}

void set_counters(benchmark::State& state, std::size_t items, std::size_t bytes, const char* per) {
    state.counters[per] =
        benchmark::Counter(static_cast<double>(items),
                           benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
    state.counters["coded_bits_per_item"] = 8.0 * static_cast<double>(bytes) / static_cast<double>(items);
}

void bm_range_encode(benchmark::State& state) {
    const int p = static_cast<int>(state.range(0));
    const auto intervals = make_intervals(p);
    std::vector<std::uint8_t> bytes;
    bytes.reserve(symbol_count * 8);
    for (auto _ : state) {
        bytes.clear();
        codelength::default_range_encoder encoder(bytes);
        for (const auto interval : intervals) {
            encoder.encode(interval, p);
        }
        encoder.finish();
        benchmark::DoNotOptimize(bytes.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, symbol_count, bytes.size(), "seconds_per_symbol");
}

void bm_range_encode_unchecked(benchmark::State& state) {
    const int p = static_cast<int>(state.range(0));
    const auto intervals = make_intervals(p);
    std::vector<std::uint8_t> bytes;
    bytes.reserve(symbol_count * 8);
    for (auto _ : state) {
        bytes.clear();
        codelength::default_range_encoder encoder(bytes);
        for (const auto interval : intervals) {
            encoder.encode_unchecked(interval, p);
        }
        encoder.finish();
        benchmark::DoNotOptimize(bytes.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, symbol_count, bytes.size(), "seconds_per_symbol");
}

// target() then consume() with the interval known in advance, as the brief specifies: the
// division in target() may overlap the next symbol's work.
void bm_range_decode(benchmark::State& state) {
    const int p = static_cast<int>(state.range(0));
    const auto intervals = make_intervals(p);
    const auto bytes = encode_intervals(intervals, p);
    for (auto _ : state) {
        codelength::default_range_decoder decoder(bytes);
        for (const auto interval : intervals) {
            const std::uint32_t v = decoder.target(p);
            benchmark::DoNotOptimize(v);
            decoder.consume(interval, p);
        }
        benchmark::DoNotOptimize(decoder.stream_size());
    }
    set_counters(state, symbol_count, bytes.size(), "seconds_per_symbol");
}

// As bm_range_decode, but consume() waits for target(): cdf_low is recomputed from the target
// (unchanged in value, since cdf_low <= target), as a search would hand it over.
void bm_range_decode_dependent(benchmark::State& state) {
    const int p = static_cast<int>(state.range(0));
    const auto intervals = make_intervals(p);
    const auto bytes = encode_intervals(intervals, p);
    for (auto _ : state) {
        codelength::default_range_decoder decoder(bytes);
        for (auto interval : intervals) {
            const std::uint32_t v = decoder.target(p);
            interval.cdf_low += static_cast<std::uint32_t>(v < interval.cdf_low);
            decoder.consume(interval, p);
        }
        benchmark::DoNotOptimize(decoder.stream_size());
    }
    set_counters(state, symbol_count, bytes.size(), "seconds_per_symbol");
}

// Bits from confident, CM-like predictions: p = logistic(N(0, 2.5)), bit ~ Bernoulli(p).
template <int Bits>
void make_bits(std::vector<int>& bits, std::vector<std::uint32_t>& p1s) {
    std::mt19937_64 generator(1216);
    std::normal_distribution<double> normal(0.0, 2.5);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const double total = std::ldexp(1.0, Bits);
    bits.resize(symbol_count);
    p1s.resize(symbol_count);
    for (std::size_t i = 0; i < symbol_count; ++i) {
        const double p = 1.0 / (1.0 + std::exp(-normal(generator)));
        p1s[i] = static_cast<std::uint32_t>(std::clamp(std::round(p * total), 1.0, total - 1.0));
        bits[i] = uniform(generator) < p ? 1 : 0;
    }
}

template <int Bits>
void bm_binary_encode(benchmark::State& state) {
    std::vector<int> bits;
    std::vector<std::uint32_t> p1s;
    make_bits<Bits>(bits, p1s);
    std::vector<std::uint8_t> bytes;
    bytes.reserve(symbol_count);
    for (auto _ : state) {
        bytes.clear();
        codelength::binary_encoder<Bits> encoder(bytes);
        for (std::size_t i = 0; i < symbol_count; ++i) {
            encoder.encode_bit(bits[i], p1s[i]);
        }
        encoder.finish();
        benchmark::DoNotOptimize(bytes.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, symbol_count, bytes.size(), "seconds_per_bit");
}

template <int Bits>
void bm_binary_decode(benchmark::State& state) {
    std::vector<int> bits;
    std::vector<std::uint32_t> p1s;
    make_bits<Bits>(bits, p1s);
    std::vector<std::uint8_t> bytes;
    codelength::binary_encoder<Bits> encoder(bytes);
    for (std::size_t i = 0; i < symbol_count; ++i) {
        encoder.encode_bit(bits[i], p1s[i]);
    }
    encoder.finish();
    for (auto _ : state) {
        codelength::binary_decoder<Bits> decoder(bytes);
        int ones = 0;
        for (std::size_t i = 0; i < symbol_count; ++i) {
            ones += decoder.decode_bit(p1s[i]);
        }
        benchmark::DoNotOptimize(ones);
    }
    set_counters(state, symbol_count, bytes.size(), "seconds_per_bit");
}

} // namespace

BENCHMARK(bm_range_encode)->Arg(16)->Arg(24)->Arg(31)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_range_encode_unchecked)->Arg(16)->Arg(24)->Arg(31)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_range_decode)->Arg(16)->Arg(24)->Arg(31)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_range_decode_dependent)->Arg(16)->Arg(24)->Arg(31)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(bm_binary_encode, 12)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(bm_binary_encode, 16)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(bm_binary_decode, 12)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(bm_binary_decode, 16)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
