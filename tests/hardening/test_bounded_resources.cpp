// Decoders and parsers allocate only what a validated header justifies: hostile headers that
// claim huge sizes are refused before allocating, the caller's decompression limits hold, and
// valid inputs decode within their model's memory plus their output. Heap use is measured with
// allocation_tracker.hpp (this program's global operator new).
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "allocation_tracker.hpp"
#include "codelength/coding/sequence_coder.hpp"
#include "codelength/coding/stream_format.hpp"
#include "codelength/compress/byte_codec.hpp"
#include "codelength/io/arpa.hpp"
#include "codelength/io/npy_reader.hpp"
#include "codelength/models/logits_replay.hpp"
#include "io/npy_test_support.hpp"
#include "support/catch.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;
using codelength::testing::allocation_scope;
constexpr std::int64_t mib = std::int64_t{1} << 20;

bytes text_bytes(std::size_t size) {
    const std::string words = "a model that has seen the text codes the text in fewer bits ";
    bytes out(size);
    for (std::size_t i = 0; i < size; ++i) {
        out[i] = static_cast<std::uint8_t>(words[i % words.size()]);
    }
    return out;
}

// Rewrites a field of a compressed file and re-signs its header, as a forger would.
bytes with_field(bytes file, std::size_t offset, std::uint64_t value, std::size_t width) {
    namespace off = codelength::byte_codec_offset;
    codelength::detail::store_le(file.data() + offset, value, width);
    const std::uint32_t crc =
        codelength::crc32c(std::span<const std::uint8_t>(file.data(), off::header_crc32c));
    codelength::detail::store_le(file.data() + off::header_crc32c, crc, 4);
    return file;
}

// An adaptive categorical model with no row limit: the stream's symbol count bounds decoding.
struct uniform_model {
    std::array<float, 4> logits{};
    [[nodiscard]] std::int64_t vocabulary_size() const noexcept { return 4; }
    [[nodiscard]] std::span<const float> next_logits() const noexcept { return logits; }
    void update(std::int64_t /*token*/) noexcept {}
};

// A model sure of token 0 (logits {0, -1000}) and open-ended: each symbol costs the coder
// about 2^-P / ln 2 bits, so a few payload bytes can legitimately stand for 10^8 symbols.
struct confident_model {
    std::array<float, 2> logits{0.0F, -1000.0F};
    [[nodiscard]] std::int64_t vocabulary_size() const noexcept { return 2; }
    [[nodiscard]] std::span<const float> next_logits() const noexcept { return logits; }
    void update(std::int64_t /*token*/) noexcept {}
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

TEST_CASE("decompress_bytes refuses a hostile header before allocating") {
    namespace off = codelength::byte_codec_offset;
    const bytes original = text_bytes(4000);
    const bytes file = codelength::compress_bytes(original, {.model = codelength::byte_model_kind::cm}).bytes;
    const std::uint64_t payload = file.size() - codelength::byte_codec_header_bytes;

    SECTION("the largest model memory for a 4000-byte original") {
        const bytes hostile = with_field(file, off::memory_mib, 1024, 4);
        const allocation_scope scope;
        CHECK_THROWS_AS(codelength::decompress_bytes(hostile), codelength::stream_header_error);
        CHECK(scope.peak_bytes() < mib / 16);
    }
    SECTION("an original size no payload of this length can hold") {
        const bytes hostile = with_field(file, off::original_size, payload * 100000, 8);
        const allocation_scope scope;
        CHECK_THROWS_AS(codelength::decompress_bytes(hostile), codelength::stream_header_error);
        CHECK(scope.peak_bytes() < mib / 16);
    }
    SECTION("a payload of 2^62 bytes") {
        const bytes hostile = with_field(file, off::payload_bytes, std::uint64_t{1} << 62U, 8);
        const allocation_scope scope;
        CHECK_THROWS_AS(codelength::decompress_bytes(hostile), codelength::stream_truncated_error);
        CHECK(scope.peak_bytes() < mib / 16);
    }
    SECTION("the caller's limits on output and model memory") {
        const allocation_scope scope;
        CHECK_THROWS_AS(codelength::decompress_bytes(file, {}, {.max_output_bytes = original.size() - 1}),
                        codelength::stream_limit_error);
        CHECK_THROWS_AS(codelength::decompress_bytes(file, {}, {.max_memory_mib = 4}),
                        codelength::stream_limit_error);
        CHECK(scope.peak_bytes() < mib / 16);
        CHECK(codelength::decompress_bytes(
                  file, {}, {.max_output_bytes = original.size(), .max_memory_mib = 8}) == original);
    }
}

TEST_CASE("a plausible but false original size costs at most what the payload could hold") {
    namespace off = codelength::byte_codec_offset;
    // The largest original size the header check lets through for this payload: decoding runs
    // until the payload is used up, never past the model's memory plus that many bytes.
    const bytes original = text_bytes(3000);
    for (const auto kind : {codelength::byte_model_kind::cm, codelength::byte_model_kind::ppm,
                            codelength::byte_model_kind::order0}) {
        const bytes file =
            codelength::compress_bytes(original, {.model = kind, .memory_mib = 8, .ppm_order = 4}).bytes;
        const std::uint64_t payload = file.size() - codelength::byte_codec_header_bytes;
        const auto largest = static_cast<std::uint64_t>((static_cast<double>(payload) * 8.0 + 64.0) /
                                                        codelength::detail::min_bits_per_byte(kind));
        const auto memory =
            static_cast<std::uint32_t>(codelength::detail::load_le(file.data() + off::memory_mib, 4));
        const bytes hostile = with_field(file, off::original_size, largest, 8);
        INFO("model kind " << static_cast<int>(kind) << ", claimed size " << largest);
        const allocation_scope scope;
        try {
            const auto decoded = codelength::decompress_bytes(hostile);
            FAIL("decoded " << decoded.size() << " bytes from a forged size");
        } catch (const codelength::stream_error&) {
        }
        // The model memory the header states, and output reserved or grown in proportion to the
        // payload (the claimed size is up to ~180,000 bytes per payload byte).
        CHECK(scope.peak_bytes() <=
              static_cast<std::int64_t>(memory) * mib + mib + 512 * static_cast<std::int64_t>(payload));
    }
}

TEST_CASE("decompress_bytes of a valid file stays within the model's memory and the output") {
    const bytes original = text_bytes(200000);
    const bytes file = codelength::compress_bytes(original, {.model = codelength::byte_model_kind::cm}).bytes;
    const allocation_scope scope;
    CHECK(codelength::decompress_bytes(file) == original);
    // cm for 200 kB: 16 MiB of model (the next power of two >= 64 bytes per input byte).
    CHECK(scope.peak_bytes() <= 16 * mib + 2 * static_cast<std::int64_t>(original.size()) + mib);
}

TEST_CASE("decode_sequence refuses a hostile symbol count before allocating for it") {
    uniform_model encoder_model;
    const std::vector<std::int64_t> tokens = {1, 2, 3, 0, 1};
    const auto stream = codelength::encode_sequence(encoder_model, tokens, {.precision_bits = 12});
    auto header = codelength::parse_stream(stream.bytes).header;
    header.symbol_count = std::uint64_t{1} << 40U;
    const auto payload = std::span<const std::uint8_t>(stream.bytes).subspan(codelength::stream_header_bytes);
    const auto hostile = codelength::write_stream(header, payload);

    const allocation_scope scope;
    uniform_model decoder_model;
    // More than the payload can hold (each symbol costs at least 1.06e-3 bits): refused from
    // the header.
    CHECK_THROWS_AS(codelength::decode_sequence(decoder_model, hostile), codelength::stream_header_error);
    // The most the payload could hold passes the header check. Past the caller's limit: refused
    // from the header; within it, decoding stops where the payload ends, holding what it
    // decoded so far.
    auto plausible_header = header;
    plausible_header.symbol_count = codelength::stream_max_symbols_for_payload(
        header.payload_bytes, codelength::stream_min_symbol_bits(header.model));
    const auto plausible = codelength::write_stream(plausible_header, payload);
    CHECK_THROWS_AS(codelength::decode_sequence(decoder_model, plausible, {.limits = {.max_symbols = 1000}}),
                    codelength::stream_limit_error);
    CHECK_THROWS_AS(codelength::decode_sequence(decoder_model, plausible), codelength::stream_payload_error);
    CHECK(scope.peak_bytes() < mib);

    // A replayed matrix bounds the count by its rows.
    const std::vector<float> logits(8 * 4, 0.0F);
    codelength::logits_replay replay(codelength::matrix_view<float>::row_major(logits.data(), 8, 4));
    header.symbol_count = 9;
    header.model = codelength::categorical_model_descriptor(replay, 12, header.symbol_count);
    CHECK_THROWS_AS(codelength::decode_sequence(replay, codelength::write_stream(header, payload)),
                    codelength::stream_model_mismatch_error);
}

TEST_CASE("a 53-byte forged stream claiming 2^40 symbols under a confident model is refused at once") {
    // A forged stream: 5 tokens coded at P = 24, the count forged to 2^40 and the header
    // re-signed (the CRCs are unkeyed). Before the payload bound it decoded for 26 s and ended
    // in std::bad_alloc.
    confident_model encoder_model;
    const std::vector<std::int64_t> tokens(5, 0);
    for (const int precision : {24, 31}) {
        INFO("P " << precision);
        const auto stream = codelength::encode_sequence(encoder_model, tokens, {.precision_bits = precision});
        REQUIRE(stream.bytes.size() <= 53);
        auto header = codelength::parse_stream(stream.bytes).header;
        const auto payload =
            std::span<const std::uint8_t>(stream.bytes).subspan(codelength::stream_header_bytes);
        header.symbol_count = std::uint64_t{1} << 40U;
        const auto forged = codelength::write_stream(header, payload);

        const allocation_scope scope;
        const auto started = std::chrono::steady_clock::now();
        confident_model decoder_model;
        try {
            (void)codelength::decode_sequence(decoder_model, forged);
            FAIL("a forged symbol count was decoded");
        } catch (const codelength::stream_header_error& e) {
            CHECK(e.byte_offset() == codelength::stream_offset::symbol_count);
            CHECK_THAT(e.what(), Catch::Contains("cannot come from a payload of"));
        }
        CHECK(seconds_since(started) < 0.5);
        CHECK(scope.peak_bytes() < mib / 16);
    }
}

TEST_CASE("decode_sequence stops a count the payload could hold at the finite default limit") {
    // At P = 31 one payload byte can hold 2.4e10 confident symbols, a valid stream as far as
    // the header can tell: only a limit stops it, by default 2^28 symbols, and a caller's
    // tighter one (10^7 symbols cost 4.6 s and 80 MB before the final length check).
    confident_model encoder_model;
    const std::vector<std::int64_t> tokens(5, 0);
    const auto stream = codelength::encode_sequence(encoder_model, tokens, {.precision_bits = 31});
    auto header = codelength::parse_stream(stream.bytes).header;
    const auto payload = std::span<const std::uint8_t>(stream.bytes).subspan(codelength::stream_header_bytes);
    const codelength::decoding_limits defaults;
    CHECK(defaults.max_symbols == std::uint64_t{1} << 28U);
    CHECK(defaults.max_output_bytes == std::uint64_t{1} << 31U);
    CHECK(defaults.max_memory_mib == 1024);

    header.symbol_count = std::uint64_t{1} << 30U;
    const auto over_default = codelength::write_stream(header, payload);
    header.symbol_count = 10'000'000;
    const auto ten_million = codelength::write_stream(header, payload);
    const allocation_scope scope;
    const auto started = std::chrono::steady_clock::now();
    confident_model decoder_model;
    CHECK_THROWS_AS(codelength::decode_sequence(decoder_model, over_default), codelength::stream_limit_error);
    CHECK_THROWS_AS(
        codelength::decode_sequence(decoder_model, ten_million, {.limits = {.max_symbols = 1'000'000}}),
        codelength::stream_limit_error);
    CHECK(seconds_since(started) < 0.5);
    CHECK(scope.peak_bytes() < mib / 16);
}

TEST_CASE("read_npy refuses a shape the file cannot hold before allocating") {
    const auto path = std::filesystem::temp_directory_path() / "codelength_hostile_shape.npy";
    // 2^40 x 1024 floats announced, 64 data bytes present.
    const auto file = codelength_test::craft_npy(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1024), }",
        std::vector<std::byte>(64));
    codelength_test::write_file_bytes(path, file);
    for (const auto mode : {codelength::npy_load_mode::read, codelength::npy_load_mode::map}) {
        const allocation_scope scope;
        CHECK_THROWS_AS(codelength::read_npy(path, mode), codelength::format_error);
        CHECK(scope.peak_bytes() < mib / 16);
    }
    std::filesystem::remove(path);
}

TEST_CASE("parse_arpa refuses counts the text cannot hold before allocating") {
    const std::string text = "\\data\\\nngram 1=4000000000\n\n\\1-grams:\n-1 a\n\n\\end\\\n";
    const allocation_scope scope;
    CHECK_THROWS_AS(codelength::parse_arpa(text, "hostile.arpa"), codelength::format_error);
    CHECK(scope.peak_bytes() < mib / 16);
}
