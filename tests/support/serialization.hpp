// For the tests of the checked binary formats (ledger, coding totals, memorization records):
// random shard cuts, and damage (every single-byte corruption, every truncation) to refuse.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "codelength/coding/checksum.hpp"
#include "codelength/core/error.hpp"
#include "codelength/detail/little_endian.hpp"
#include "support/catch.hpp"

namespace test_support {

// Cut points 0 = c_0 <= c_1 <= ... <= c_k = count of 1 to max_shards shards [c_i, c_i+1), some
// possibly empty, drawn from `random`.
inline std::vector<std::size_t> random_cuts(std::mt19937_64& random, std::size_t count,
                                            std::size_t max_shards) {
    std::vector<std::size_t> cuts{0, count};
    const std::size_t shard_count = 1 + random() % max_shards;
    for (std::size_t c = 1; c < shard_count; ++c) {
        cuts.push_back(random() % (count + 1));
    }
    std::sort(cuts.begin(), cuts.end());
    return cuts;
}

// read(bytes) must throw format_error for each of the 255 xor masks of each byte, for every
// proper prefix and for the bytes with one more byte appended.
template <class Read>
void check_every_corruption_refused(const std::vector<std::uint8_t>& bytes, const Read& read) {
    for (std::size_t offset = 0; offset < bytes.size(); ++offset) {
        for (unsigned flip = 1; flip < 256; ++flip) {
            auto damaged = bytes;
            damaged[offset] = static_cast<std::uint8_t>(damaged[offset] ^ flip);
            INFO("offset " << offset << ", xor " << flip);
            CHECK_THROWS_AS(read(std::span<const std::uint8_t>(damaged)), codelength::format_error);
        }
    }
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        INFO("truncated to " << size << " bytes");
        CHECK_THROWS_AS(read(std::span(bytes).first(size)), codelength::format_error);
    }
    auto longer = bytes;
    longer.push_back(0);
    CHECK_THROWS_AS(read(std::span<const std::uint8_t>(longer)), codelength::format_error);
}

// Rewrites the CRC-32C at the end, so a deliberately inconsistent body reaches the checks
// after the checksum.
inline void reseal(std::vector<std::uint8_t>& bytes) {
    const auto body = std::span<const std::uint8_t>(bytes).first(bytes.size() - 4);
    codelength::detail::store_le(bytes.data() + bytes.size() - 4, codelength::crc32c(body), 4);
}

} // namespace test_support
