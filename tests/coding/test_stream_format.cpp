// The stream container: its byte layout, and one distinct error for each way a stream can be
// wrong (magic, version, header, truncation, trailing bytes, model mismatch).
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "codelength/coding/sequence_coder.hpp"
#include "codelength/coding/stream_format.hpp"
#include "codelength/models/logits_replay.hpp"
#include "support/catch.hpp"

using codelength::parse_stream;
using codelength::stream_header;
using codelength::stream_model_kind;
using codelength::write_stream;

namespace {

stream_header sample_header(std::size_t payload_bytes) {
    stream_header header;
    header.model.kind = stream_model_kind::categorical;
    header.model.element_type = codelength::stream_element_type::float32;
    header.model.precision_bits = 24;
    header.model.vocabulary_size = 32000;
    header.model.fingerprint = 0x0123456789abcdefULL;
    header.symbol_count = 2000;
    header.symbols_crc32c = 0xdeadbeefU;
    header.payload_bytes = payload_bytes;
    return header;
}

std::vector<std::uint8_t> sample_payload() {
    return {0x10, 0x20, 0x30, 0xff, 0x00, 0x7f};
}

// The offset named by the error parse_stream throws for `stream` (or -1 if it parses).
template <class Error>
std::int64_t rejected_at(std::span<const std::uint8_t> stream) {
    try {
        (void)parse_stream(stream);
    } catch (const Error& e) {
        return static_cast<std::int64_t>(e.byte_offset());
    }
    return -1;
}

} // namespace

TEST_CASE("write_stream lays the header out as documented") {
    const auto payload = sample_payload();
    const auto bytes = write_stream(sample_header(payload.size()), payload);
    REQUIRE(bytes.size() == codelength::stream_header_bytes + payload.size());
    const std::vector<std::uint8_t> expected_prefix = {
        'C',  'L',  'E',  'N',                          // magic
        1,                                              // version
        1,                                              // categorical
        1,                                              // float32
        24,                                             // P
        0x00, 0x7d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // V = 32000
        0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01, // fingerprint
        0xd0, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // N = 2000
        0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // L = 6
        0xef, 0xbe, 0xad, 0xde,                         // symbols' CRC-32C
    };
    CHECK(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 44) == expected_prefix);
    const std::uint32_t payload_crc = codelength::crc32c(std::span<const std::uint8_t>(payload));
    CHECK(bytes[44] == (payload_crc & 0xffU));
    CHECK(bytes[47] == (payload_crc >> 24U));
    const std::uint32_t header_crc = codelength::crc32c(std::span<const std::uint8_t>(bytes).first(48));
    CHECK(bytes[48] == (header_crc & 0xffU));
    CHECK(bytes[51] == (header_crc >> 24U));
    CHECK(std::vector<std::uint8_t>(bytes.begin() + 52, bytes.end()) == payload);

    const auto parsed = parse_stream(bytes);
    auto expected = sample_header(payload.size());
    expected.payload_crc32c = payload_crc;
    CHECK(parsed.header == expected);
    CHECK(std::vector<std::uint8_t>(parsed.payload.begin(), parsed.payload.end()) == payload);
}

TEST_CASE("parse_stream names the failure and its offset for every damaged header byte") {
    const auto payload = sample_payload();
    const auto good = write_stream(sample_header(payload.size()), payload);
    for (std::size_t i = 0; i < codelength::stream_header_bytes; ++i) {
        for (const unsigned flip : {0x01U, 0x80U, 0xffU}) {
            auto bad = good;
            bad[i] = static_cast<std::uint8_t>(bad[i] ^ flip);
            INFO("byte " << i << " xor " << flip);
            if (i < 4) {
                CHECK(rejected_at<codelength::stream_magic_error>(bad) == static_cast<std::int64_t>(i));
            } else if (i == 4) {
                CHECK(rejected_at<codelength::stream_version_error>(bad) == 4);
            } else {
                // The header checksum catches every other change before any field is trusted.
                CHECK(rejected_at<codelength::stream_header_error>(bad) == 48);
            }
        }
    }
    // Every error is a codelength::format_error with the offset in its message.
    auto bad = good;
    bad[4] = 9;
    try {
        (void)parse_stream(bad);
        FAIL("version 9 accepted");
    } catch (const codelength::format_error& e) {
        CHECK(std::string(e.what()).find("byte offset 4") != std::string::npos);
        CHECK(std::string(e.what()).find("version 9") != std::string::npos);
    }
}

TEST_CASE("parse_stream rejects truncation at every length and any trailing byte") {
    const auto payload = sample_payload();
    const auto good = write_stream(sample_header(payload.size()), payload);
    const std::span<const std::uint8_t> all(good);
    for (std::size_t length = 0; length < good.size(); ++length) {
        INFO("length " << length);
        CHECK(rejected_at<codelength::stream_truncated_error>(all.first(length)) ==
              static_cast<std::int64_t>(length));
    }
    for (std::size_t extra = 1; extra <= 9; ++extra) {
        auto longer = good;
        longer.resize(good.size() + extra, 0);
        CHECK(rejected_at<codelength::stream_trailing_bytes_error>(longer) ==
              static_cast<std::int64_t>(good.size()));
    }
    // Other files are not streams, whatever their length.
    const std::vector<std::uint8_t> npy = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    CHECK(rejected_at<codelength::stream_magic_error>(npy) == 0);
    CHECK(rejected_at<codelength::stream_magic_error>(std::span(npy).first(1)) == 0);
    const std::vector<std::uint8_t> almost = {'C', 'L', 'E', 'X'};
    CHECK(rejected_at<codelength::stream_magic_error>(almost) == 3);
}

TEST_CASE("parse_stream refuses impossible fields even with a valid header checksum") {
    const auto payload = sample_payload();
    const auto reseal = [](std::vector<std::uint8_t> bytes) {
        const std::uint32_t crc = codelength::crc32c(std::span<const std::uint8_t>(bytes).first(48));
        for (unsigned b = 0; b < 4; ++b) {
            bytes[48 + b] = static_cast<std::uint8_t>((crc >> (8U * b)) & 0xffU);
        }
        return bytes;
    };
    const auto good = write_stream(sample_header(payload.size()), payload);
    auto bad = good;
    bad[5] = 3; // model kind
    CHECK(rejected_at<codelength::stream_header_error>(reseal(bad)) == 5);
    bad = good;
    bad[6] = 5; // element type
    CHECK(rejected_at<codelength::stream_header_error>(reseal(bad)) == 6);
    for (const std::uint8_t precision : {std::uint8_t{0}, std::uint8_t{32}, std::uint8_t{255}}) {
        bad = good;
        bad[7] = precision;
        CHECK(rejected_at<codelength::stream_header_error>(reseal(bad)) == 7);
    }
    bad = good;
    bad[7] = 14; // 2^14 < V = 32000
    CHECK(rejected_at<codelength::stream_header_error>(reseal(bad)) == 8);
    bad = good;
    bad[8] = 0; // V = 0
    bad[9] = 0;
    CHECK(rejected_at<codelength::stream_header_error>(reseal(bad)) == 8);
    bad = good;
    bad[15] = 0x80; // V = 2^63 + 32000
    CHECK(rejected_at<codelength::stream_header_error>(reseal(bad)) == 8);
    bad = good;
    bad[30] = 1; // N = 2^48 + 2000
    CHECK(rejected_at<codelength::stream_header_error>(reseal(bad)) == 24);
    bad = good;
    bad[39] = 0x40; // L = 2^62 + 6
    CHECK(rejected_at<codelength::stream_header_error>(reseal(bad)) == 32);
    bad = good;
    bad[39] = 0x3f; // L huge but allowed: the stream is then truncated
    CHECK(rejected_at<codelength::stream_truncated_error>(reseal(bad)) ==
          static_cast<std::int64_t>(good.size()));
    bad = good;
    bad[32] = 5; // L = 5: one trailing byte
    CHECK(rejected_at<codelength::stream_trailing_bytes_error>(reseal(bad)) == 57);
    bad = good;
    bad[44] ^= 1; // the payload's checksum
    CHECK(rejected_at<codelength::stream_checksum_error>(reseal(bad)) == 44);
    bad = good;
    bad[55] ^= 1; // a payload byte
    CHECK(rejected_at<codelength::stream_checksum_error>(bad) == 44);
}

TEST_CASE("check_stream_model names the differing field") {
    const auto header = sample_header(0);
    const auto expect_mismatch = [&](codelength::stream_model_descriptor model, std::uint64_t offset,
                                     const std::string& needle, std::uint64_t max_symbols = UINT64_MAX) {
        try {
            codelength::check_stream_model(header, model, max_symbols);
            FAIL("mismatch accepted: " << needle);
        } catch (const codelength::stream_model_mismatch_error& e) {
            CHECK(e.byte_offset() == offset);
            CHECK_THAT(e.what(), Catch::Contains(needle));
        }
    };
    codelength::check_stream_model(header, header.model);
    codelength::check_stream_model(header, header.model, 2000);
    auto model = header.model;
    model.kind = stream_model_kind::top_k;
    expect_mismatch(model, 5, "model kind categorical, the given model has top-k");
    model = header.model;
    model.element_type = codelength::stream_element_type::bfloat16;
    expect_mismatch(model, 6, "element type float32, the given model has bfloat16");
    model = header.model;
    model.precision_bits = 16;
    expect_mismatch(model, 7, "precision 24 bits, the given model has 16 bits");
    model = header.model;
    model.vocabulary_size = 32001;
    expect_mismatch(model, 8, "vocabulary size 32000, the given model has 32001");
    model = header.model;
    model.fingerprint = 1;
    expect_mismatch(model, 16, "fingerprint 0x123456789abcdef, the given model has 0x1");
    expect_mismatch(header.model, 24, "2000 symbols, but the given model can produce only 1999 rows", 1999);
}

TEST_CASE("write_stream refuses headers it could not read back") {
    const auto payload = sample_payload();
    auto header = sample_header(payload.size());
    header.model.precision_bits = 32;
    CHECK_THROWS_AS(write_stream(header, payload), codelength::invalid_argument_error);
    header = sample_header(payload.size());
    header.model.vocabulary_size = 0;
    CHECK_THROWS_AS(write_stream(header, payload), codelength::invalid_argument_error);
    header = sample_header(payload.size());
    header.symbol_count = (std::uint64_t{1} << 48U) + 1;
    CHECK_THROWS_AS(write_stream(header, payload), codelength::invalid_argument_error);
}

namespace {

// A small real stream: 30 tokens of V = 40 at P = 16.
struct real_stream {
    std::vector<float> logits;
    std::vector<std::int64_t> targets;
    std::vector<std::uint8_t> bytes;

    real_stream() {
        const std::uint64_t seed = 0x5eed0101ULL;
        std::mt19937_64 random(seed);
        std::normal_distribution<float> normal(0.0F, 2.0F);
        std::uniform_int_distribution<std::int64_t> token(0, 39);
        logits.resize(30 * 40);
        for (auto& z : logits) {
            z = normal(random);
        }
        for (int t = 0; t < 30; ++t) {
            targets.push_back(token(random));
        }
        codelength::logits_replay model(view());
        bytes = codelength::encode_sequence(model, targets, codelength::coding_options{16}).bytes;
    }
    [[nodiscard]] codelength::matrix_view<float> view() const {
        return codelength::matrix_view<float>::row_major(logits.data(), 30, 40);
    }
    // Decodes `stream` with a fresh replay; rethrows the decoder's error.
    [[nodiscard]] std::vector<std::int64_t> decode(std::span<const std::uint8_t> stream) const {
        codelength::logits_replay model(view());
        return codelength::decode_sequence(model, stream);
    }
};

} // namespace

TEST_CASE("a real stream: every flipped byte is refused with a codelength::error") {
    const real_stream s;
    REQUIRE(s.decode(s.bytes) == s.targets);
    INFO("stream of " << s.bytes.size() << " bytes");
    int refused = 0;
    for (std::size_t i = 0; i < s.bytes.size(); ++i) {
        for (const unsigned flip : {0x01U, 0x10U, 0x80U, 0xffU}) {
            auto bad = s.bytes;
            bad[i] = static_cast<std::uint8_t>(bad[i] ^ flip);
            INFO("byte " << i << " xor " << flip);
            try {
                const auto decoded = s.decode(bad);
                // Only an identical result could be acceptable; the checksums make even that impossible.
                CHECK(decoded == s.targets);
                FAIL("a damaged stream was accepted");
            } catch (const codelength::stream_error& e) {
                ++refused;
                if (i >= codelength::stream_header_bytes) {
                    CHECK(dynamic_cast<const codelength::stream_checksum_error*>(&e) != nullptr);
                }
            }
        }
    }
    CHECK(refused == static_cast<int>(4 * s.bytes.size()));
}

TEST_CASE("a real stream: every truncation and any extension is refused") {
    const real_stream s;
    const std::span<const std::uint8_t> all(s.bytes);
    for (std::size_t length = 0; length < s.bytes.size(); ++length) {
        INFO("length " << length);
        CHECK_THROWS_AS(s.decode(all.first(length)), codelength::stream_truncated_error);
    }
    std::mt19937 random(0x5eed0102U);
    for (std::size_t extra = 1; extra <= 64; extra *= 2) {
        auto longer = s.bytes;
        for (std::size_t i = 0; i < extra; ++i) {
            longer.push_back(static_cast<std::uint8_t>(random() & 0xffU));
        }
        CHECK_THROWS_AS(s.decode(longer), codelength::stream_trailing_bytes_error);
    }
    // Two streams back to back are not one stream.
    auto twice = s.bytes;
    twice.insert(twice.end(), s.bytes.begin(), s.bytes.end());
    CHECK_THROWS_AS(s.decode(twice), codelength::stream_trailing_bytes_error);
}

TEST_CASE("a payload that passes its checksum but not the decoder is refused after decoding") {
    // Re-seal a damaged payload (as a forger would): the decoder or the symbols' checksum still
    // refuses it, never returning unverified symbols.
    const real_stream s;
    int payload_errors = 0;
    int checksum_errors = 0;
    for (std::size_t i = codelength::stream_header_bytes; i < s.bytes.size(); ++i) {
        auto bad = s.bytes;
        bad[i] = static_cast<std::uint8_t>(bad[i] ^ 0x04U);
        const auto payload = std::span<const std::uint8_t>(bad).subspan(codelength::stream_header_bytes);
        auto header = codelength::parse_stream(s.bytes).header;
        const auto resealed = codelength::write_stream(header, payload);
        INFO("payload byte " << i);
        try {
            const auto decoded = s.decode(resealed);
            CHECK(decoded == s.targets);
            FAIL("a damaged payload was accepted");
        } catch (const codelength::stream_payload_error&) {
            ++payload_errors;
        } catch (const codelength::stream_checksum_error& e) {
            CHECK(e.byte_offset() == codelength::stream_offset::symbols_crc32c);
            ++checksum_errors;
        }
    }
    CHECK(payload_errors + checksum_errors ==
          static_cast<int>(s.bytes.size() - codelength::stream_header_bytes));
}
