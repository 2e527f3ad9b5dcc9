// Fuzzes decode_sequence (the categorical stream decoder) with replayed logits in three element
// types. Invariants: any input either decodes or throws a codelength::error; a stream that
// decodes re-encodes to a stream that decodes to the same tokens.
#include <array>
#include <cmath>
#include <limits>
#include <random>

#include "codelength/coding/sequence_coder.hpp"
#include "codelength/models/logits_replay.hpp"
#include "fuzz_target.hpp"

namespace {

constexpr std::int64_t rows = 48;
constexpr std::int64_t columns = 37;

// Seeded logits with the values quantizers trip on: a -inf (a token the model rules out),
// huge and tiny magnitudes, ties, and one nearly one-hot row.
template <class Element>
const std::vector<Element>& fuzz_logits() {
    static const std::vector<Element> logits = [] {
        std::mt19937_64 random(20261128);
        std::normal_distribution<float> normal(0.0F, 3.0F);
        std::vector<Element> values(static_cast<std::size_t>(rows * columns));
        for (std::size_t i = 0; i < values.size(); ++i) {
            float x = normal(random);
            if (i % 97 == 5) {
                x = -std::numeric_limits<float>::infinity();
            } else if (i % 89 == 7) {
                x = 1.0e4F;
            } else if (i % 83 == 3) {
                x = -1.0e4F;
            } else if (i / columns == 11) {
                x = i % columns == 0 ? 60.0F : 0.0F;
            }
            if constexpr (std::is_same_v<Element, codelength::bfloat16>) {
                values[i] = codelength::bfloat16::from_float(x);
            } else {
                values[i] = static_cast<Element>(x);
            }
        }
        return values;
    }();
    return logits;
}

template <class Element>
codelength::logits_replay<Element> fuzz_model() {
    return codelength::logits_replay(
        codelength::matrix_view<Element>::row_major(fuzz_logits<Element>().data(), rows, columns));
}

template <class Element>
void decode_and_check(std::span<const std::uint8_t> stream) {
    std::vector<std::int64_t> tokens;
    try {
        auto model = fuzz_model<Element>();
        tokens = codelength::decode_sequence(model, stream);
    } catch (const codelength::error&) {
        return;
    }
    auto encoder_model = fuzz_model<Element>();
    const auto precision = static_cast<int>(stream[codelength::stream_offset::precision_bits]);
    const auto again = codelength::encode_sequence(encoder_model, tokens, {.precision_bits = precision});
    auto decoder_model = fuzz_model<Element>();
    if (codelength::decode_sequence(decoder_model, again.bytes) != tokens) {
        codelength::fuzz::fail("a re-encoded stream decodes to other tokens");
    }
}

void decode_all_types(std::span<const std::uint8_t> stream) {
    decode_and_check<float>(stream);
    decode_and_check<codelength::bfloat16>(stream);
    decode_and_check<double>(stream);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    decode_all_types(input);
    if (size >= codelength::stream_header_bytes) {
        namespace off = codelength::stream_offset;
        std::vector<std::uint8_t> repaired(input.begin(), input.end());
        codelength::detail::store_le(repaired.data() + off::payload_bytes,
                                     size - codelength::stream_header_bytes, 8);
        codelength::fuzz::store_crc32c(repaired, off::payload_crc32c, codelength::stream_header_bytes, size);
        codelength::fuzz::store_crc32c(repaired, off::header_crc32c, 0, off::header_crc32c);
        decode_all_types(repaired);
    }
    return 0;
}

void codelength::fuzz::write_seed_corpus(const std::filesystem::path& dir) {
    std::mt19937_64 random(7);
    const auto write_streams = [&]<class Element>(const char* type_name) {
        for (const int precision : {6, 12, 16, 24, 31}) {
            for (const std::int64_t count : {std::int64_t{0}, std::int64_t{1}, std::int64_t{7}, rows}) {
                std::vector<std::int64_t> tokens(static_cast<std::size_t>(count));
                for (auto& token : tokens) {
                    token = static_cast<std::int64_t>(random() % columns);
                }
                auto model = fuzz_model<Element>();
                const auto stream = encode_sequence(model, tokens, {.precision_bits = precision});
                write_seed(dir,
                           std::string(type_name) + "_p" + std::to_string(precision) + "_n" +
                               std::to_string(count),
                           stream.bytes);
            }
        }
    };
    write_streams.operator()<float>("float32");
    write_streams.operator()<codelength::bfloat16>("bfloat16");
    write_streams.operator()<double>("float64");
}
