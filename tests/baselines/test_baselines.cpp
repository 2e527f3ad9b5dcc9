// The compressor baselines: every size is that of a real stream which the compressor's own
// decoder turns back into the input (gzip, xz, zstd, brotli), over empty, one-byte, repetitive,
// text-like and random inputs; measure_baselines agrees with the single functions.
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "support/catch.hpp"

#ifdef CODELENGTH_TEST_WITHOUT_BASELINES

TEST_CASE("baselines: not built (CODELENGTH_WITH_BASELINES=OFF)", "[baselines]") {
    SUCCEED();
}

#else

#include <brotli/decode.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "codelength/baselines/baselines.hpp"
#include "codelength/baselines/document_compression.hpp"

namespace {

std::vector<std::uint8_t> gunzip(std::span<const std::uint8_t> stream, std::size_t expected) {
    std::vector<std::uint8_t> out(expected + 1);
    z_stream z{};
    REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK); // gzip wrapper only
    z.next_in = const_cast<Bytef*>(stream.data());
    z.avail_in = static_cast<uInt>(stream.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    const int status = inflate(&z, Z_FINISH);
    const std::size_t produced = out.size() - z.avail_out;
    const std::size_t unread = z.avail_in;
    inflateEnd(&z);
    REQUIRE(status == Z_STREAM_END);
    REQUIRE(unread == 0);
    out.resize(produced);
    return out;
}

std::vector<std::uint8_t> unxz(std::span<const std::uint8_t> stream, std::size_t expected) {
    std::vector<std::uint8_t> out(expected + 1);
    std::uint64_t memory_limit = UINT64_MAX;
    std::size_t in_position = 0;
    std::size_t out_position = 0;
    const lzma_ret status = lzma_stream_buffer_decode(&memory_limit, 0, nullptr, stream.data(), &in_position,
                                                      stream.size(), out.data(), &out_position, out.size());
    REQUIRE(status == LZMA_OK);
    REQUIRE(in_position == stream.size());
    out.resize(out_position);
    return out;
}

std::vector<std::uint8_t> unzstd(std::span<const std::uint8_t> stream, std::size_t expected) {
    REQUIRE(ZSTD_getFrameContentSize(stream.data(), stream.size()) == expected);
    std::vector<std::uint8_t> out(expected + 1);
    const std::size_t size = ZSTD_decompress(out.data(), out.size(), stream.data(), stream.size());
    REQUIRE(ZSTD_isError(size) == 0U);
    out.resize(size);
    return out;
}

std::vector<std::uint8_t> unbrotli(std::span<const std::uint8_t> stream, std::size_t expected) {
    std::vector<std::uint8_t> out(expected + 1);
    std::size_t size = out.size();
    REQUIRE(BrotliDecoderDecompress(stream.size(), stream.data(), &size, out.data()) ==
            BROTLI_DECODER_RESULT_SUCCESS);
    out.resize(size);
    return out;
}

std::vector<std::uint8_t> text_like(std::size_t size) {
    const std::string words[] = {"the ", "code ", "length ", "of ", "a ", "model ", "is ", "bits ", "\n"};
    std::mt19937 rng(20261128);
    std::vector<std::uint8_t> out;
    while (out.size() < size) {
        const std::string& w = words[rng() % std::size(words)];
        out.insert(out.end(), w.begin(), w.end());
    }
    out.resize(size);
    return out;
}

std::vector<std::uint8_t> random_bytes(std::size_t size, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::uint8_t> out(size);
    for (auto& b : out) {
        b = static_cast<std::uint8_t>(rng() >> 24);
    }
    return out;
}

} // namespace

TEST_CASE("baselines: each size is a real stream that decodes to the input", "[baselines]") {
    const std::uint32_t seed = 1128;
    INFO("seed " << seed);
    const std::vector<std::vector<std::uint8_t>> inputs = {
        {}, {42}, std::vector<std::uint8_t>(100000, 7), text_like(200000), random_bytes(65536, seed)};
    for (const auto& input : inputs) {
        INFO("input of " << input.size() << " bytes");
        const auto gz = codelength::gzip_9_compress(input);
        const auto xz = codelength::xz_9_compress(input);
        const auto zs = codelength::zstd_19_compress(input);
        const auto br = codelength::brotli_11_compress(input);
        CHECK(gunzip(gz, input.size()) == input);
        CHECK(unxz(xz, input.size()) == input);
        CHECK(unzstd(zs, input.size()) == input);
        CHECK(unbrotli(br, input.size()) == input);

        // gzip: magic, deflate, no name, mtime 0; 10-byte header + 8-byte trailer.
        REQUIRE(gz.size() >= 18);
        CHECK(gz[0] == 0x1f);
        CHECK(gz[1] == 0x8b);
        CHECK(gz[2] == 8);
        CHECK(gz[3] == 0);
        CHECK((gz[4] | gz[5] | gz[6] | gz[7]) == 0);
        // xz: magic, then stream flags 0x00 0x04 = CRC64.
        REQUIRE(xz.size() >= 32);
        CHECK(xz[0] == 0xFD);
        CHECK(xz[1] == '7');
        CHECK(xz[6] == 0x00);
        CHECK(xz[7] == 0x04);

        const codelength::baseline_sizes sizes = codelength::measure_baselines(input);
        CHECK(sizes.gzip_9 == gz.size());
        CHECK(sizes.xz_9 == xz.size());
        CHECK(sizes.zstd_19 == zs.size());
        CHECK(sizes.brotli_11 == br.size());
        CHECK(codelength::gzip_9_bytes(input) == gz.size());
        CHECK(codelength::xz_9_bytes(input) == xz.size());
        CHECK(codelength::zstd_19_bytes(input) == zs.size());
        CHECK(codelength::brotli_11_bytes(input) == br.size());
        CHECK(sizes.gzip_9 > 0);
        CHECK(sizes.xz_9 > 0);
        CHECK(sizes.zstd_19 > 0);
        CHECK(sizes.brotli_11 > 0);
    }
}

TEST_CASE("baselines: a reused xz_9_encoder writes a fresh encoder's bytes", "[baselines]") {
    // Large, empty, small, random and repeated inputs in one encoder: each stream must be
    // byte-identical to a fresh encoder's, whatever the previous input left in the tables.
    const auto text = text_like(300000);
    const std::vector<std::vector<std::uint8_t>> inputs = {
        text,
        {},
        {42},
        std::vector<std::uint8_t>(text.begin() + 1000, text.begin() + 9000),
        random_bytes(65536, 7),
        text,
        std::vector<std::uint8_t>(100000, 7)};
    codelength::xz_9_encoder encoder;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        INFO("input " << i << " of " << inputs[i].size() << " bytes");
        const auto fresh = codelength::xz_9_compress(inputs[i]);
        const auto reused = encoder.compress(inputs[i]);
        CHECK(reused == fresh);
        CHECK(unxz(reused, inputs[i].size()) == inputs[i]);
        CHECK(encoder.compressed_bytes(inputs[i]) == fresh.size());
    }
    // The memorization sizes use one encoder for a whole corpus: the same sizes as one each.
    codelength::xz_9_encoder corpus_encoder;
    for (const auto& input : inputs) {
        CHECK(codelength::measure_generic_sizes(input, corpus_encoder).xz_9 == codelength::xz_9_bytes(input));
    }
}

TEST_CASE("baselines: sizes behave like compressors", "[baselines]") {
    const std::vector<std::uint8_t> repetitive(100000, 7);
    const auto text = text_like(200000);
    const auto noise = random_bytes(65536, 99);
    const auto small = codelength::measure_baselines(repetitive);
    CHECK(small.gzip_9 < 1000);
    CHECK(small.xz_9 < 1000);
    CHECK(small.zstd_19 < 1000);
    CHECK(small.brotli_11 < 1000);
    const auto t = codelength::measure_baselines(text);
    CHECK(t.xz_9 < text.size() / 3);
    CHECK(t.xz_9 < t.gzip_9); // the stronger compressor wins on redundant text
    // Random bytes: every compressor stores them with little expansion.
    const auto n = codelength::measure_baselines(noise);
    CHECK(n.gzip_9 >= noise.size());
    CHECK(n.gzip_9 < noise.size() + noise.size() / 100 + 64);
    CHECK(n.xz_9 < noise.size() + noise.size() / 100 + 128);
    CHECK(n.zstd_19 < noise.size() + noise.size() / 100 + 64);
    CHECK(n.brotli_11 < noise.size() + noise.size() / 100 + 64);
}

#endif
