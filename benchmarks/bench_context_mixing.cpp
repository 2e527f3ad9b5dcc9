// The context-mixing model's throughput (MB/s of input) on a generated 4 MiB text-like buffer:
// compression (model + binary encoder, with the byte hint encode_bytes_binary gives) and decompression
// (binary decoder + model), at the default 256 MiB and at 32 MiB. Model construction is outside the timed
// region.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "codelength/coding/binary_coder.hpp"
#include "codelength/models/context_mixing.hpp"

namespace {

constexpr std::size_t text_bytes = std::size_t{4} << 20U;

// Text-like bytes: a Zipf-ish vocabulary of generated words, sentences and line breaks.
const std::vector<std::uint8_t>& text_buffer() {
    static const std::vector<std::uint8_t> buffer = [] {
        std::mt19937 rng(42);
        std::vector<std::string> words;
        std::uniform_int_distribution<int> length(1, 9);
        std::uniform_int_distribution<int> letter('a', 'z');
        for (int i = 0; i < 5000; ++i) {
            std::string w;
            for (int n = length(rng); n > 0; --n) {
                w.push_back(static_cast<char>(letter(rng)));
            }
            words.push_back(w);
        }
        std::geometric_distribution<std::size_t> pick(0.01);
        std::vector<std::uint8_t> out;
        out.reserve(text_bytes + 16);
        while (out.size() < text_bytes) {
            const std::string& w = words[pick(rng) % words.size()];
            out.insert(out.end(), w.begin(), w.end());
            const auto r = rng() % 100;
            out.push_back(static_cast<std::uint8_t>(r < 6 ? '.' : (r < 10 ? ',' : ' ')));
            if (r < 2) {
                out.push_back('\n');
            }
        }
        out.resize(text_bytes);
        return out;
    }();
    return buffer;
}

using model_type = codelength::context_mixing_model;
constexpr int bits = model_type::probability_bits;

void bm_context_mixing_compress(benchmark::State& state) {
    const auto& data = text_buffer();
    const auto mib = static_cast<std::uint32_t>(state.range(0));
    std::vector<std::uint8_t> out;
    for (auto _ : state) {
        state.PauseTiming();
        auto model = std::make_unique<model_type>(codelength::context_mixing_options{mib});
        out.clear();
        state.ResumeTiming();
        codelength::binary_encoder<bits> encoder(out);
        for (const std::uint8_t c : data) {
            model->prefetch_byte(c); // as encode_bytes_binary does
            for (int i = 7; i >= 0; --i) {
                const int bit = (c >> i) & 1;
                encoder.encode_bit_unchecked(bit, model->p1());
                model->update(bit);
            }
        }
        encoder.finish();
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(data.size()));
    state.counters["bits_per_byte"] =
        8.0 * static_cast<double>(out.size()) / static_cast<double>(data.size());
}

void bm_context_mixing_decompress(benchmark::State& state) {
    const auto& data = text_buffer();
    const auto mib = static_cast<std::uint32_t>(state.range(0));
    std::vector<std::uint8_t> coded;
    {
        model_type model(codelength::context_mixing_options{mib});
        codelength::binary_encoder<bits> encoder(coded);
        for (const std::uint8_t c : data) {
            for (int i = 7; i >= 0; --i) {
                const int bit = (c >> i) & 1;
                encoder.encode_bit_unchecked(bit, model.p1());
                model.update(bit);
            }
        }
        encoder.finish();
    }
    std::vector<std::uint8_t> back(data.size());
    for (auto _ : state) {
        state.PauseTiming();
        auto model = std::make_unique<model_type>(codelength::context_mixing_options{mib});
        state.ResumeTiming();
        codelength::binary_decoder<bits> decoder(coded);
        for (std::uint8_t& c : back) {
            int value = 0;
            for (int i = 0; i < 8; ++i) {
                const int bit = decoder.decode_bit_unchecked(model->p1());
                model->update(bit);
                value = value << 1 | bit;
            }
            c = static_cast<std::uint8_t>(value);
        }
        benchmark::DoNotOptimize(back.data());
    }
    if (back != data) {
        state.SkipWithError("round trip mismatch");
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(data.size()));
}

} // namespace

BENCHMARK(bm_context_mixing_compress)->Arg(256)->Arg(32)->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(bm_context_mixing_decompress)->Arg(256)->Arg(32)->Unit(benchmark::kMillisecond)->Iterations(2);

BENCHMARK_MAIN();
