// CRC-32C: known answers, the hardware path equal to the tables, incremental use, and the
// little-endian int64 form the stream format checksums symbols with.
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "codelength/coding/checksum.hpp"
#include "codelength/coding/fingerprint.hpp"
#include "support/catch.hpp"

namespace {

std::span<const std::byte> bytes_of(std::string_view text) {
    return std::as_bytes(std::span(text));
}

} // namespace

TEST_CASE("crc32c matches the known answers") {
    CHECK(codelength::crc32c(bytes_of("123456789")) == 0xE3069283U);
    CHECK(codelength::crc32c_portable(bytes_of("123456789")) == 0xE3069283U);
    CHECK(codelength::crc32c(bytes_of("")) == 0U);
    // RFC 3720 (iSCSI), appendix B.4: 32 bytes of zeros, of 0xff, and an ascending run.
    std::vector<std::uint8_t> zeros(32, 0x00);
    std::vector<std::uint8_t> ones(32, 0xff);
    std::vector<std::uint8_t> ascending(32);
    for (std::size_t i = 0; i < ascending.size(); ++i) {
        ascending[i] = static_cast<std::uint8_t>(i);
    }
    CHECK(codelength::crc32c(std::span<const std::uint8_t>(zeros)) == 0x8A9136AAU);
    CHECK(codelength::crc32c(std::span<const std::uint8_t>(ones)) == 0x62A8AB43U);
    CHECK(codelength::crc32c(std::span<const std::uint8_t>(ascending)) == 0x46DD794EU);
}

TEST_CASE("crc32c: every length and alignment agrees with the tables and resumes exactly") {
    const std::uint32_t seed = 0xC5C32C;
    INFO("seed " << seed);
    std::mt19937 random(seed);
    std::vector<std::byte> data(1100);
    for (auto& b : data) {
        b = static_cast<std::byte>(random() & 0xffU);
    }
    const std::span<const std::byte> all(data);
    for (std::size_t offset = 0; offset < 9; ++offset) {
        for (std::size_t length = 0; offset + length <= 300; ++length) {
            const auto part = all.subspan(offset, length);
            const std::uint32_t whole = codelength::crc32c(part);
            REQUIRE(whole == codelength::crc32c_portable(part));
            const std::size_t split = length / 3;
            CHECK(codelength::crc32c(part.subspan(split), codelength::crc32c(part.first(split))) == whole);
        }
    }
    const std::uint32_t full = codelength::crc32c(all);
    CHECK(full == codelength::crc32c_portable(all));
    CHECK(codelength::crc32c_portable(all.subspan(517), codelength::crc32c_portable(all.first(517))) == full);
}

TEST_CASE("crc32c_int64_le checksums 8 little-endian bytes per value") {
    std::vector<std::int64_t> values = {0, 1, -1, 255, 256, -100, INT64_MAX, INT64_MIN};
    for (std::int64_t i = 0; i < 700; ++i) { // more than one internal chunk
        values.push_back(i * 7919 - 3000);
    }
    std::vector<std::uint8_t> bytes;
    for (const std::int64_t value : values) {
        for (unsigned b = 0; b < 8; ++b) {
            bytes.push_back(
                static_cast<std::uint8_t>((static_cast<std::uint64_t>(value) >> (8U * b)) & 0xffU));
        }
    }
    CHECK(codelength::crc32c_int64_le(values) == codelength::crc32c(std::span<const std::uint8_t>(bytes)));
    CHECK(codelength::crc32c_int64_le({}) == 0U);
    const std::span<const std::int64_t> all(values);
    CHECK(codelength::crc32c_int64_le(all.subspan(300), codelength::crc32c_int64_le(all.first(300))) ==
          codelength::crc32c_int64_le(all));
}

TEST_CASE("fingerprint_hasher depends on the bytes only, not on how they are split") {
    const std::uint32_t seed = 0xF1A9;
    INFO("seed " << seed);
    std::mt19937 random(seed);
    std::vector<std::byte> data(777);
    for (auto& b : data) {
        b = static_cast<std::byte>(random() & 0xffU);
    }
    const std::span<const std::byte> all(data);
    codelength::fingerprint_hasher whole;
    whole.update(all);
    const std::uint64_t expected = whole.digest();
    for (std::size_t split = 0; split <= data.size(); split += 13) {
        codelength::fingerprint_hasher parts;
        parts.update(all.first(split));
        parts.update(all.subspan(split).first((data.size() - split) / 2));
        parts.update(all.subspan(split + (data.size() - split) / 2));
        CHECK(parts.digest() == expected);
    }
    // Any single-bit change, a shorter input and a zero-padded input all change the digest.
    for (std::size_t i = 0; i < data.size(); i += 37) {
        std::vector<std::byte> changed = data;
        changed[i] ^= std::byte{0x10};
        codelength::fingerprint_hasher h;
        h.update(changed);
        CHECK(h.digest() != expected);
    }
    codelength::fingerprint_hasher shorter;
    shorter.update(all.first(data.size() - 1));
    CHECK(shorter.digest() != expected);
    std::vector<std::byte> padded = data;
    padded.push_back(std::byte{0});
    codelength::fingerprint_hasher longer;
    longer.update(padded);
    CHECK(longer.digest() != expected);
    CHECK(codelength::fingerprint_hasher(1).digest() != codelength::fingerprint_hasher(2).digest());
}
