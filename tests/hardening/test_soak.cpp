// Soak test: thousands of seeded compress/decompress round trips over every model and setting,
// sizes from 0 to 64 KiB (log-uniform) and data from a dozen generators, mixed within a buffer;
// then seeded encode/decode round trips of categorical streams over V, P and element types.
// CODELENGTH_SOAK_ROUNDS scales the count (default 2000 byte-codec and 600 stream round trips);
// CODELENGTH_SOAK_SEED replays a run (each failure prints its seed and round).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "codelength/coding/sequence_coder.hpp"
#include "codelength/compress/byte_codec.hpp"
#include "codelength/models/logits_replay.hpp"
#include "support/catch.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;
using random_engine = std::mt19937_64;

std::uint64_t environment_number(const char* name, std::uint64_t fallback) {
    const char* value = std::getenv(name);
    return value == nullptr ? fallback : std::strtoull(value, nullptr, 10);
}

// Appends `count` bytes of the kind `generator` picks.
void append_data(bytes& out, std::size_t count, unsigned generator, random_engine& random) {
    static const std::vector<std::string> words = {"the ",   "model ", "codes ",  "every ",
                                                   "byte ",  "of ",    "text ",   "in ",
                                                   "bits, ", "and\n",  "memory ", "weights "};
    const std::size_t end = out.size() + count;
    switch (generator % 12) {
    case 0: // uniform noise
        while (out.size() < end) {
            out.push_back(static_cast<std::uint8_t>(random()));
        }
        break;
    case 1: // one byte value
        out.resize(end, static_cast<std::uint8_t>(random()));
        break;
    case 2: // words
        while (out.size() < end) {
            const std::string& w = words[random() % words.size()];
            out.insert(out.end(), w.begin(),
                       w.begin() + static_cast<std::ptrdiff_t>(std::min(w.size(), end - out.size())));
        }
        break;
    case 3: // runs of random length
        while (out.size() < end) {
            out.resize(std::min(end, out.size() + 1 + random() % 300), static_cast<std::uint8_t>(random()));
        }
        break;
    case 4: { // a random period repeated
        const std::size_t period = 1 + random() % 97;
        bytes unit(period);
        for (auto& b : unit) {
            b = static_cast<std::uint8_t>(random());
        }
        for (std::size_t i = 0; out.size() < end; ++i) {
            out.push_back(unit[i % period]);
        }
        break;
    }
    case 5: // a small alphabet
        while (out.size() < end) {
            out.push_back(static_cast<std::uint8_t>('a' + random() % 4));
        }
        break;
    case 6: // little-endian counters
        for (std::uint32_t i = static_cast<std::uint32_t>(random()); out.size() < end; ++i) {
            for (unsigned k = 0; k < 4 && out.size() < end; ++k) {
                out.push_back(static_cast<std::uint8_t>(i >> (8 * k)));
            }
        }
        break;
    case 7: // a sampled sine
        for (std::size_t i = 0; out.size() < end; ++i) {
            out.push_back(static_cast<std::uint8_t>(128 + 120 * std::sin(static_cast<double>(i) * 0.01)));
        }
        break;
    case 8: // skewed bytes (geometric)
        while (out.size() < end) {
            unsigned v = 0;
            while (v < 255 && random() % 3 != 0) {
                ++v;
            }
            out.push_back(static_cast<std::uint8_t>(v));
        }
        break;
    case 9: // copies of earlier data (long matches), or noise when there is none
        while (out.size() < end) {
            if (out.size() < 16) {
                out.push_back(static_cast<std::uint8_t>(random()));
                continue;
            }
            const std::size_t from = random() % (out.size() - 8);
            const std::size_t length =
                std::min<std::size_t>({8 + random() % 200, end - out.size(), out.size() - from});
            for (std::size_t i = 0; i < length; ++i) {
                out.push_back(out[from + i]);
            }
        }
        break;
    case 10: // bytes 0 and 255 only (binary coder extremes)
        while (out.size() < end) {
            out.push_back(random() % 2 == 0 ? 0 : 255);
        }
        break;
    default: // noise with rare bit flips of a constant
        while (out.size() < end) {
            out.push_back(static_cast<std::uint8_t>(random() % 50 == 0 ? 1U << (random() % 8) : 0x55U));
        }
        break;
    }
}

bytes make_input(random_engine& random) {
    // log-uniform size in [0, 64 KiB]; one in eight inputs empty or a single byte.
    const unsigned shape = random() % 8;
    std::size_t size = 0;
    if (shape == 0) {
        size = random() % 2;
    } else {
        size = static_cast<std::size_t>(std::exp2(std::uniform_real_distribution<double>(0.0, 16.0)(random)));
    }
    bytes out;
    out.reserve(size);
    const unsigned pieces = 1 + static_cast<unsigned>(random() % 3);
    for (unsigned p = 0; p < pieces; ++p) {
        const std::size_t piece = p + 1 == pieces ? size - out.size() : (size - out.size()) / 2;
        append_data(out, piece, static_cast<unsigned>(random()), random);
    }
    return out;
}

codelength::compression_options make_options(random_engine& random) {
    switch (random() % 3) {
    case 0:
        return {.model = codelength::byte_model_kind::cm, .memory_mib = random() % 4 == 0 ? 16U : 8U};
    case 1:
        return {.model = codelength::byte_model_kind::ppm,
                .memory_mib = static_cast<std::uint32_t>(1 + random() % 4),
                .ppm_order = static_cast<int>(random() % 9)};
    default:
        return {.model = codelength::byte_model_kind::order0};
    }
}

} // namespace

TEST_CASE("soak: seeded compress/decompress round trips over models, sizes and data") {
    const std::uint64_t seed = environment_number("CODELENGTH_SOAK_SEED", 20261128);
    const std::uint64_t rounds = environment_number("CODELENGTH_SOAK_ROUNDS", 2000);
    random_engine random(seed);
    std::uint64_t total_bytes = 0;
    std::uint64_t stored = 0;
    for (std::uint64_t round = 0; round < rounds; ++round) {
        const bytes input = make_input(random);
        const auto options = make_options(random);
        INFO("CODELENGTH_SOAK_SEED=" << seed << " round " << round << ": " << input.size() << " bytes, model "
                                     << static_cast<int>(options.model) << ", ppm order " << options.ppm_order
                                     << ", memory " << options.memory_mib << " MiB");
        const auto packed = codelength::compress_bytes(input, options);
        REQUIRE(packed.bytes.size() <= input.size() + codelength::byte_codec_header_bytes);
        REQUIRE(codelength::decompress_bytes(packed.bytes) == input);
        if (!packed.stored && !input.empty()) {
            // The payload is the model's ideal code length, up to the coder's flush and the
            // rounding of intervals to the coder's precision (either way, per symbol).
            const double payload_bits = 8.0 * static_cast<double>(packed.bytes.size() - packed.header_bytes);
            REQUIRE(std::abs(payload_bits - packed.ideal_bits) <= packed.ideal_bits * 1e-3 + 80.0);
        }
        total_bytes += input.size();
        stored += packed.stored ? 1 : 0;
    }
    INFO(total_bytes << " bytes in " << rounds << " round trips, " << stored << " stored");
    CHECK(total_bytes > 0);
}

TEST_CASE("soak: seeded categorical stream round trips over V, P and element types") {
    const std::uint64_t seed = environment_number("CODELENGTH_SOAK_SEED", 20261128);
    const std::uint64_t rounds = environment_number("CODELENGTH_SOAK_ROUNDS", 2000) * 3 / 10;
    random_engine random(seed);
    for (std::uint64_t round = 0; round < rounds; ++round) {
        const std::int64_t vocabulary =
            1 +
            static_cast<std::int64_t>(std::exp2(std::uniform_real_distribution<double>(0.0, 12.0)(random)));
        const int min_precision = static_cast<int>(std::ceil(std::log2(static_cast<double>(vocabulary))));
        const int precision = std::max(
            1, min_precision +
                   static_cast<int>(random() % static_cast<std::uint64_t>(32 - std::max(1, min_precision))));
        const std::int64_t count = static_cast<std::int64_t>(random() % 200);
        const float scale = std::uniform_real_distribution<float>(0.0F, 40.0F)(random);
        INFO("CODELENGTH_SOAK_SEED=" << seed << " stream round " << round << ": V=" << vocabulary
                                     << " P=" << precision << " N=" << count << " scale " << scale);
        std::normal_distribution<float> normal(0.0F, scale);
        std::vector<float> logits(static_cast<std::size_t>(std::max<std::int64_t>(count, 1) * vocabulary));
        for (auto& x : logits) {
            x = normal(random);
        }
        std::vector<std::int64_t> tokens(static_cast<std::size_t>(count));
        for (auto& t : tokens) {
            t = static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(vocabulary));
        }
        const auto view = codelength::matrix_view<float>::row_major(logits.data(), count, vocabulary);
        const auto encoded = codelength::verify_round_trip([&] { return codelength::logits_replay(view); },
                                                           tokens, {.precision_bits = precision});
        REQUIRE(encoded.bytes.size() >= codelength::stream_header_bytes);
    }
}
