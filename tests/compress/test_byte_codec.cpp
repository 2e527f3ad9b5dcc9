// The compressed-file format: round trips of every model kind over empty, tiny, constant,
// random, text-like and binary inputs (and inputs larger than the models' tables), stored mode
// for random input, determinism, the ideal code length, and corrupt, truncated, extended,
// foreign and hostile files failing with stream errors.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "codelength/coding/checksum.hpp"
#include "codelength/coding/decoding_limits.hpp"
#include "codelength/coding/sequence_coder.hpp"
#include "codelength/coding/stream_errors.hpp"
#include "codelength/compress/byte_codec.hpp"
#include "codelength/metrics/prequential.hpp"
#include "support/catch.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;
using codelength::byte_model_kind;

bytes make_text(std::size_t size, std::uint32_t seed) {
    static const std::array<const char*, 20> words = {
        "the", "compressed", "file",  "holds", "a",    "model", "and",  "its", "bits",  "when",
        "we",  "decode",     "every", "byte",  "back", "to",    "what", "was", "there", "before"};
    std::mt19937 rng(seed);
    bytes out;
    while (out.size() < size) {
        const std::string w = words[rng() % words.size()];
        out.insert(out.end(), w.begin(), w.end());
        out.push_back(rng() % 11 == 0 ? '\n' : ' ');
    }
    out.resize(size);
    return out;
}

bytes make_random(std::size_t size, std::uint32_t seed) {
    std::mt19937 rng(seed);
    bytes out(size);
    for (auto& b : out) {
        b = static_cast<std::uint8_t>(rng());
    }
    return out;
}

// Structured binary: little-endian counters and a sine table.
bytes make_binary(std::size_t size) {
    bytes out;
    for (std::uint32_t i = 0; out.size() < size; ++i) {
        for (int k = 0; k < 4; ++k) {
            out.push_back(static_cast<std::uint8_t>((i * 3) >> (8 * k)));
        }
        out.push_back(static_cast<std::uint8_t>(128 + 100 * std::sin(i * 0.05)));
    }
    out.resize(size);
    return out;
}

// A tiny adaptive binary model: 12-bit p1 per partial-byte context (order 0, bitwise).
struct tiny_binary_model {
    static constexpr int probability_bits = 12;
    std::array<std::uint16_t, 256> m_p{};
    unsigned m_context = 1;
    tiny_binary_model() { m_p.fill(1U << 15U); }
    [[nodiscard]] std::uint32_t p1() const { return m_p[m_context] >> 4U; }
    void update(int bit) {
        auto& p = m_p[m_context];
        if (bit != 0) {
            p = static_cast<std::uint16_t>(p + ((65536 - p) >> 4U));
        } else {
            p = static_cast<std::uint16_t>(p - (p >> 4U));
        }
        m_context = (m_context << 1U) | static_cast<unsigned>(bit);
        if (m_context >= 256) {
            m_context = 1;
        }
    }
};

// tiny_binary_model with the optional prefetch_byte hint: records, at each hint, the byte and
// how many bits the model had learned by then.
struct hinted_binary_model : tiny_binary_model {
    std::vector<std::uint8_t> hinted;
    std::vector<std::size_t> bits_seen_at_hint;
    std::size_t bits_seen = 0;
    void prefetch_byte(std::uint8_t byte) {
        hinted.push_back(byte);
        bits_seen_at_hint.push_back(bits_seen);
    }
    void update(int bit) {
        tiny_binary_model::update(bit);
        ++bits_seen;
    }
};

void check_round_trip(const bytes& input, const codelength::compression_options& options) {
    const auto packed = codelength::compress_bytes(input, options);
    REQUIRE(packed.header_bytes == codelength::byte_codec_header_bytes);
    REQUIRE(packed.bytes.size() <= codelength::byte_codec_header_bytes + input.size());
    const auto back = codelength::decompress_bytes(packed.bytes);
    REQUIRE(back == input);
    if (!packed.stored && !input.empty()) {
        // The coder spends the ideal bits plus its termination (<= 8 bits) and a tiny per-symbol loss.
        const double coded_bits = 8.0 * static_cast<double>(packed.bytes.size() - packed.header_bytes);
        CHECK(coded_bits <= packed.ideal_bits + 16.0 + 1e-4 * packed.ideal_bits);
        CHECK(coded_bits >= packed.ideal_bits - 8.0);
    }
}

} // namespace

TEST_CASE("byte codec round trips every model kind over many inputs", "[byte_codec]") {
    const std::vector<bytes> inputs = {
        bytes{},
        bytes{0x41},
        bytes(50000, 0x00),
        make_random(20000, 1),
        make_text(120000, 2),
        make_binary(60000),
    };
    for (const auto kind : {byte_model_kind::order0, byte_model_kind::ppm, byte_model_kind::cm}) {
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            INFO("model " << static_cast<int>(kind) << ", input " << i);
            check_round_trip(inputs[i], {.model = kind, .memory_mib = 16});
        }
    }
}

TEST_CASE("byte codec round trips inputs larger than the model's tables", "[byte_codec]") {
    bytes input = make_text(500000, 9);
    std::mt19937 rng(4);
    for (std::size_t i = 0; i < input.size(); i += 4) {
        input[i] = static_cast<std::uint8_t>(rng());
    }
    check_round_trip(input, {.model = byte_model_kind::ppm, .memory_mib = 1, .ppm_order = 6});
    check_round_trip(input, {.model = byte_model_kind::cm, .memory_mib = 8});
}

TEST_CASE("byte codec compresses text and stores random input", "[byte_codec]") {
    const bytes text = make_text(100000, 5);
    const auto ppm = codelength::compress_bytes(text, {.model = byte_model_kind::ppm, .memory_mib = 16});
    const auto order0 = codelength::compress_bytes(text, {.model = byte_model_kind::order0});
    CHECK_FALSE(ppm.stored);
    CHECK(ppm.bytes.size() < order0.bytes.size());
    CHECK(ppm.bytes.size() < text.size() / 3);

    const bytes noise = make_random(100000, 6);
    for (const auto kind : {byte_model_kind::order0, byte_model_kind::ppm, byte_model_kind::cm}) {
        const auto packed = codelength::compress_bytes(noise, {.model = kind, .memory_mib = 16});
        CHECK(packed.stored);
        CHECK(packed.bytes.size() <=
              noise.size() + noise.size() / 1000 + codelength::byte_codec_header_bytes);
        CHECK(codelength::decompress_bytes(packed.bytes) == noise);
    }
}

TEST_CASE("byte codec is deterministic and reports progress", "[byte_codec]") {
    const bytes text = make_text(200000, 8);
    std::uint64_t last = 0;
    int calls = 0;
    const auto a = codelength::compress_bytes(text, {.model = byte_model_kind::ppm, .memory_mib = 8},
                                              [&](std::uint64_t done) {
                                                  last = done;
                                                  ++calls;
                                              });
    const auto b = codelength::compress_bytes(text, {.model = byte_model_kind::ppm, .memory_mib = 8});
    CHECK(a.bytes == b.bytes);
    CHECK(a.ideal_bits == b.ideal_bits);
    CHECK(last == text.size());
    CHECK(calls >= 3);
}

TEST_CASE("byte coding loops drive a binary model; prequential bits match", "[byte_codec]") {
    const bytes text = make_text(30000, 12);
    tiny_binary_model encoder_model;
    bytes payload;
    const double ideal = codelength::encode_bytes_binary(encoder_model, text, payload);
    tiny_binary_model decoder_model;
    CHECK(codelength::decode_bytes_binary(decoder_model, payload, text.size()) == text);
    tiny_binary_model scored;
    CHECK(codelength::prequential_code_length_bits(scored, text) == Catch::Approx(ideal).epsilon(1e-12));
    CHECK(8.0 * static_cast<double>(payload.size()) <= ideal + 16.0);

    // Loops that know each byte pass it to a model that takes the hint, before the byte's bits;
    // the decoder cannot, and the bits are the same.
    std::vector<std::size_t> byte_starts;
    for (std::size_t i = 0; i < text.size(); ++i) {
        byte_starts.push_back(8 * i);
    }
    hinted_binary_model hinted_encoder;
    bytes hinted_payload;
    CHECK(codelength::encode_bytes_binary(hinted_encoder, text, hinted_payload) == ideal);
    CHECK(hinted_payload == payload);
    CHECK(hinted_encoder.hinted == text);
    CHECK(hinted_encoder.bits_seen_at_hint == byte_starts);
    hinted_binary_model hinted_scored;
    CHECK(codelength::prequential_code_length_bits(hinted_scored, text) ==
          Catch::Approx(ideal).epsilon(1e-12));
    CHECK(hinted_scored.hinted == text);
    CHECK(hinted_scored.bits_seen_at_hint == byte_starts);
    hinted_binary_model hinted_decoder;
    CHECK(codelength::decode_bytes_binary(hinted_decoder, payload, text.size()) == text);
    CHECK(hinted_decoder.hinted.empty());

    codelength::order0_model order0;
    bytes payload0;
    const double ideal0 = codelength::encode_bytes_frequencies(order0, text, payload0);
    codelength::order0_model order0_scored;
    CHECK(codelength::prequential_code_length_bits(order0_scored, text) ==
          Catch::Approx(ideal0).epsilon(1e-12));
}

TEST_CASE("byte codec rejects corrupt, truncated, extended and foreign files", "[byte_codec]") {
    const bytes text = make_text(20000, 13);
    for (const auto kind : {byte_model_kind::order0, byte_model_kind::ppm, byte_model_kind::cm}) {
        INFO("model " << static_cast<int>(kind));
        const bytes packed = codelength::compress_bytes(text, {.model = kind, .memory_mib = 8}).bytes;
        REQUIRE(packed.size() > 100);
        // Every header byte and a sample of payload bytes, each flipped.
        for (std::size_t i = 0; i < packed.size(); i += (i < 64 ? 1 : 97)) {
            bytes damaged = packed;
            damaged[i] ^= 0x20;
            INFO("flipped byte " << i);
            CHECK_THROWS_AS(codelength::decompress_bytes(damaged), codelength::stream_error);
        }
        for (const std::size_t keep : {std::size_t{0}, std::size_t{3}, std::size_t{20}, std::size_t{47},
                                       std::size_t{48}, packed.size() / 2, packed.size() - 1}) {
            INFO("truncated to " << keep);
            const bytes cut(packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(keep));
            if (keep >= 4) {
                CHECK_THROWS_AS(codelength::decompress_bytes(cut), codelength::stream_truncated_error);
            } else {
                CHECK_THROWS_AS(codelength::decompress_bytes(cut), codelength::stream_error);
            }
        }
        bytes extended = packed;
        extended.push_back(0);
        CHECK_THROWS_AS(codelength::decompress_bytes(extended), codelength::stream_trailing_bytes_error);
        bytes foreign = packed;
        foreign[0] = 'X';
        CHECK_THROWS_AS(codelength::decompress_bytes(foreign), codelength::stream_magic_error);
    }
}

TEST_CASE("byte codec refuses hostile headers without allocating their sizes", "[byte_codec]") {
    const bytes text = make_text(5000, 14);
    const bytes packed =
        codelength::compress_bytes(text, {.model = byte_model_kind::ppm, .memory_mib = 4}).bytes;
    namespace off = codelength::byte_codec_offset;
    // Re-signs a modified header so that only the field's meaning is wrong.
    const auto resign = [](bytes file) {
        const std::uint32_t crc =
            codelength::crc32c(std::span<const std::uint8_t>(file.data(), off::header_crc32c));
        for (std::size_t b = 0; b < 4; ++b) {
            file[off::header_crc32c + b] = static_cast<std::uint8_t>(crc >> (8 * b));
        }
        return file;
    };
    const auto set_field = [&](std::size_t offset, std::uint64_t value, std::size_t width) {
        bytes file = packed;
        REQUIRE(file.size() >= offset + width);
        codelength::detail::store_le(file.data() + offset, value, width);
        return resign(file);
    };
    CHECK_THROWS_AS(codelength::decompress_bytes(set_field(off::original_size, std::uint64_t{1} << 60U, 8)),
                    codelength::stream_header_error);
    CHECK_THROWS_AS(codelength::decompress_bytes(set_field(off::payload_bytes, std::uint64_t{1} << 60U, 8)),
                    codelength::stream_truncated_error);
    CHECK_THROWS_AS(codelength::decompress_bytes(set_field(off::memory_mib, 1U << 30U, 4)),
                    codelength::stream_header_error);
    CHECK_THROWS_AS(codelength::decompress_bytes(set_field(off::model_kind, 9, 1)),
                    codelength::stream_header_error);
    CHECK_THROWS_AS(codelength::decompress_bytes(set_field(off::version, 2, 1)),
                    codelength::stream_version_error);
    CHECK_THROWS_AS(codelength::decompress_bytes(set_field(off::fingerprint, 1, 8)),
                    codelength::stream_model_mismatch_error);
    CHECK_THROWS_AS(codelength::decompress_bytes(set_field(off::flags, 1, 1)),
                    codelength::stream_header_error);
    // A larger original size that the payload could hold: decoding overruns or fails its checks.
    CHECK_THROWS_AS(codelength::decompress_bytes(set_field(off::original_size, text.size() * 20, 8)),
                    codelength::stream_error);
    CHECK_THROWS_AS(codelength::decompress_bytes(set_field(off::original_size, text.size() - 1, 8)),
                    codelength::stream_error);
}

TEST_CASE("compress_bytes rejects invalid options", "[byte_codec]") {
    const bytes text = make_text(100, 1);
    CHECK_THROWS_AS(codelength::compress_bytes(text, {.model = byte_model_kind::cm, .memory_mib = 2}),
                    codelength::invalid_argument_error);
    CHECK_THROWS_AS(codelength::compress_bytes(text, {.model = byte_model_kind::ppm, .memory_mib = 0}),
                    codelength::invalid_argument_error);
    CHECK_THROWS_AS(codelength::compress_bytes(text, {.model = byte_model_kind::ppm, .ppm_order = 9}),
                    codelength::invalid_argument_error);
    CHECK_THROWS_AS(codelength::compress_bytes(text, {.model = static_cast<byte_model_kind>(7)}),
                    codelength::invalid_argument_error);
    // The messages reach command-line users: they name the setting and its range, not a function.
    CHECK_THROWS_WITH(codelength::compress_bytes(text, {.model = byte_model_kind::cm, .memory_mib = 7}),
                      "memory setting 7 MiB is outside 8-1024 MiB for the context-mixing model");
    CHECK_THROWS_WITH(codelength::compress_bytes(text, {.model = byte_model_kind::ppm, .memory_mib = 5000}),
                      "memory setting 5000 MiB is outside 1-4096 MiB for the PPM model");
    CHECK_THROWS_WITH(codelength::compress_bytes(text, {.model = byte_model_kind::ppm, .ppm_order = 9}),
                      "PPM order 9 is outside 0-8");
    STATIC_REQUIRE(std::is_same_v<decltype(codelength::compression_options::memory_mib),
                                  decltype(codelength::context_mixing_options::memory_mib)>);
    STATIC_REQUIRE(std::is_same_v<decltype(codelength::compression_options::memory_mib),
                                  decltype(codelength::ppm_options::memory_mib)>);
    STATIC_REQUIRE(std::is_same_v<decltype(codelength::compression_options::memory_mib),
                                  decltype(codelength::decoding_limits::max_memory_mib)>);
}

TEST_CASE("decompress_bytes takes the same decoding_limits as decode_sequence, finite by default",
          "[byte_codec]") {
    const bytes text = make_text(5000, 3);
    const bytes packed =
        codelength::compress_bytes(text, {.model = byte_model_kind::ppm, .memory_mib = 8}).bytes;
    const codelength::decoding_limits limits{.max_output_bytes = text.size() - 1};
    CHECK_THROWS_AS(codelength::decompress_bytes(packed, {}, limits), codelength::stream_limit_error);
    codelength::decoding_options sequence_options;
    sequence_options.limits = limits; // one struct for both decoders
    CHECK(sequence_options.limits.max_output_bytes == text.size() - 1);
    CHECK(codelength::decompress_bytes(packed, {}, {.max_output_bytes = text.size()}) == text);
    CHECK(codelength::decoding_limits{}.max_output_bytes < std::numeric_limits<std::uint64_t>::max());
    CHECK(codelength::decoding_limits{}.max_memory_mib < std::numeric_limits<std::uint32_t>::max());
}

TEST_CASE("byte codec never returns wrong bytes from randomly damaged files", "[byte_codec]") {
    const bytes text = make_text(3000, 15);
    const std::uint32_t seed = 20261128;
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    for (const auto kind : {byte_model_kind::order0, byte_model_kind::ppm, byte_model_kind::cm}) {
        const bytes packed = codelength::compress_bytes(text, {.model = kind, .memory_mib = 8}).bytes;
        for (int trial = 0; trial < 60; ++trial) {
            bytes damaged = packed;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits; ++e) {
                const std::size_t at = codelength::byte_codec_header_bytes + rng() % (packed.size() - 48);
                damaged[at] = static_cast<std::uint8_t>(rng());
            }
            if (damaged == packed) {
                continue;
            }
            CHECK_THROWS_AS(codelength::decompress_bytes(damaged), codelength::stream_error);
        }
    }
}
