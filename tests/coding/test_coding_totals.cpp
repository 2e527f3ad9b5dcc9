// coding_ledger_totals: exact merges of real streams' ledgers wherever the shards are cut and in
// whatever order they merge, bytes round trips, refusal of every damaged, truncated, foreign or
// inconsistent input, and the JSON form.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "codelength/coding/checksum.hpp"
#include "codelength/coding/coding.hpp"
#include "codelength/detail/little_endian.hpp"
#include "codelength/metrics/ledger_bytes.hpp"
#include "codelength/models/logits_replay.hpp"
#include "support/catch.hpp"
#include "support/serialization.hpp"

namespace {

using test_support::reseal;

using codelength::coding_ledger;
using codelength::coding_ledger_totals;
using codelength::coding_ledger_totals_from_bytes;

bool same_bits(double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// Every field of two coding ledgers, doubles bit for bit.
void check_same_ledger(const coding_ledger& a, const coding_ledger& b) {
    CHECK(a.tokens == b.tokens);
    CHECK(a.escaped_tokens == b.escaped_tokens);
    CHECK(a.precision_bits == b.precision_bits);
    CHECK(same_bits(a.ideal_bits, b.ideal_bits));
    CHECK(same_bits(a.quantized_bits, b.quantized_bits));
    CHECK(same_bits(a.escape_bits, b.escape_bits));
    CHECK(same_bits(a.coder_overhead_bits, b.coder_overhead_bits));
    CHECK(a.payload_bits == b.payload_bits);
    CHECK(a.header_bits == b.header_bits);
    CHECK(a.total_bytes == b.total_bytes);
}

// The ledger of a real stream: `rows` tokens drawn from random logits over V = 48, coded with
// P bits.
coding_ledger encode_random(std::mt19937_64& random, std::int64_t rows, int precision_bits) {
    constexpr std::int64_t vocabulary = 48;
    std::normal_distribution<float> normal(0.0F, 3.0F);
    std::vector<float> logits(static_cast<std::size_t>(rows * vocabulary));
    for (auto& z : logits) {
        z = normal(random);
    }
    std::vector<std::int64_t> targets(static_cast<std::size_t>(rows));
    for (auto& t : targets) {
        t = static_cast<std::int64_t>(random() % vocabulary);
    }
    codelength::logits_replay model(
        codelength::matrix_view<float>::row_major(logits.data(), rows, vocabulary));
    return codelength::encode_sequence(model, targets, codelength::coding_options{precision_bits}).ledger;
}

std::vector<coding_ledger> random_streams(std::mt19937_64& random, std::size_t count) {
    std::vector<coding_ledger> streams;
    for (std::size_t i = 0; i < count; ++i) {
        streams.push_back(
            encode_random(random, static_cast<std::int64_t>(random() % 80), i % 5 == 4 ? 12 : 16));
    }
    return streams;
}

} // namespace

TEST_CASE("coding totals: one stream gives back its ledger; shards cut and merged anywhere equal one pass",
          "[coding][coding_totals]") {
    const std::uint64_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937_64 random(seed);
    const auto streams = random_streams(random, 40);

    for (const coding_ledger& stream : streams) {
        coding_ledger_totals one;
        one.add(stream);
        check_same_ledger(one.to_coding_ledger(), stream);
        check_same_ledger(coding_ledger_totals_from_bytes(to_bytes(one)).to_coding_ledger(), stream);
    }

    coding_ledger_totals whole;
    for (const coding_ledger& stream : streams) {
        whole.add(stream);
    }
    const coding_ledger all = whole.to_coding_ledger();
    CHECK(whole.streams() == 40);
    CHECK(all.precision_bits == 0); // 12 and 16 mixed
    CHECK(whole.state().min_precision_bits == 12);
    CHECK(whole.state().max_precision_bits == 16);
    CHECK(all.header_bits + all.payload_bits == 8 * all.total_bytes);
    CHECK((all.quantized_bits + all.escape_bits) + all.coder_overhead_bits ==
          static_cast<double>(all.payload_bits));
    std::int64_t tokens = 0;
    std::int64_t payload_bits = 0;
    for (const coding_ledger& stream : streams) {
        tokens += stream.tokens;
        payload_bits += stream.payload_bits;
    }
    CHECK(all.tokens == tokens);
    CHECK(all.payload_bits == payload_bits);

    for (int trial = 0; trial < 200; ++trial) {
        const auto cuts = test_support::random_cuts(random, streams.size(), 12);
        std::vector<std::vector<std::uint8_t>> shards;
        for (std::size_t s = 0; s + 1 < cuts.size(); ++s) {
            coding_ledger_totals shard;
            for (std::size_t i = cuts[s]; i < cuts[s + 1]; ++i) {
                shard.add(streams[i]);
            }
            shards.push_back(to_bytes(shard));
        }
        std::shuffle(shards.begin(), shards.end(), random);
        // Merge as a tree sometimes, left to right otherwise.
        coding_ledger_totals merged;
        if (trial % 2 == 0) {
            for (const auto& shard : shards) {
                merged += coding_ledger_totals_from_bytes(shard);
            }
        } else {
            std::vector<coding_ledger_totals> level;
            for (const auto& shard : shards) {
                level.push_back(coding_ledger_totals_from_bytes(shard));
            }
            while (level.size() > 1) {
                std::vector<coding_ledger_totals> next;
                for (std::size_t i = 0; i < level.size(); i += 2) {
                    next.push_back(i + 1 < level.size() ? level[i] + level[i + 1] : level[i]);
                }
                level = next;
            }
            merged = level.front();
        }
        INFO("trial " << trial << ", " << shards.size() << " shards");
        REQUIRE(merged == whole);
        check_same_ledger(merged.to_coding_ledger(), all);
        CHECK(to_bytes(merged) == to_bytes(whole));
    }
}

TEST_CASE("coding totals: infinite ideal bits, empty totals and ledgers no encoder makes",
          "[coding][coding_totals]") {
    std::mt19937_64 random(0x5eed0c0dULL);
    coding_ledger stream = encode_random(random, 30, 16);
    coding_ledger infinite = stream;
    infinite.ideal_bits = std::numeric_limits<double>::infinity();

    coding_ledger_totals totals;
    totals.add(stream);
    totals.add(infinite);
    CHECK(totals.ideal_bits() == std::numeric_limits<double>::infinity());
    CHECK(totals.state().infinite_ideal_streams == 1);
    CHECK(same_bits(totals.state().finite_ideal_bits.value(), stream.ideal_bits));
    CHECK(coding_ledger_totals_from_bytes(to_bytes(totals)) == totals);
    CHECK(totals.to_coding_ledger().precision_bits == 16);

    const coding_ledger_totals empty;
    CHECK(coding_ledger_totals_from_bytes(to_bytes(empty)) == empty);
    CHECK_FALSE(empty.to_coding_ledger().bits_per_token().has_value());
    CHECK(empty + totals == totals);

    auto broken = stream;
    broken.coder_overhead_bits = std::nextafter(broken.coder_overhead_bits, 1e9);
    CHECK_THROWS_AS(totals.add(broken), codelength::invalid_argument_error);
    CHECK_THROWS_WITH(totals.add(broken), Catch::Contains("breaks (quantized_bits + escape_bits)"));
    broken = stream;
    broken.total_bytes += 1;
    CHECK_THROWS_WITH(totals.add(broken), Catch::Contains("!= 8 * total_bytes"));
    broken = stream;
    broken.ideal_bits = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(totals.add(broken), Catch::Contains("ideal_bits is nan"));
    broken = stream;
    broken.escaped_tokens = broken.tokens + 1;
    CHECK_THROWS_WITH(totals.add(broken), Catch::Contains("escaped_tokens (31) exceed tokens (30)"));
    CHECK(totals.streams() == 2); // refused ledgers changed nothing
}

TEST_CASE("coding totals bytes: every single-byte corruption and every truncation is refused",
          "[coding][coding_totals]") {
    std::mt19937_64 random(0x5eed0c0eULL);
    coding_ledger_totals totals;
    for (const auto& stream : random_streams(random, 6)) {
        totals.add(stream);
    }
    for (const auto& t : {totals, coding_ledger_totals{}}) {
        const auto bytes = to_bytes(t);
        test_support::check_every_corruption_refused(
            bytes, [](auto b) { return coding_ledger_totals_from_bytes(b); });
        auto longer = bytes;
        longer.push_back(0);
        CHECK_THROWS_WITH(coding_ledger_totals_from_bytes(longer),
                          "coding totals bytes: offset " + std::to_string(bytes.size()) +
                              ": 1 trailing byte after the coding totals");
    }
    const auto bytes = to_bytes(totals);
    CHECK(std::equal(bytes.begin(), bytes.begin() + 4, codelength::coding_totals_bytes_magic.begin()));

    // A code-length ledger is not coding totals.
    const auto ledger_bytes = to_bytes(codelength::code_length_ledger{});
    CHECK_THROWS_WITH(coding_ledger_totals_from_bytes(ledger_bytes),
                      "coding totals bytes: offset 2: not coding-ledger totals (the magic is not \"CLCL\")");
    auto future = bytes;
    future.at(4) = 2;
    reseal(future);
    CHECK_THROWS_WITH(
        coding_ledger_totals_from_bytes(future),
        "coding totals bytes: offset 4: format version 2 is not supported (this build reads 1)");
    auto damaged = bytes;
    damaged[20] ^= 0x10U;
    CHECK_THROWS_WITH(coding_ledger_totals_from_bytes(damaged),
                      Catch::Contains("offset " + std::to_string(bytes.size() - 4) + ": CRC-32C mismatch"));
    CHECK_THROWS_WITH(coding_ledger_totals_from_bytes(std::span(bytes).first(30)),
                      "coding totals bytes: offset 29: truncated in the counts: needs 8 bytes, 1 remain");
    // Consistent-looking bytes with a broken identity: total_bytes (field 6) + 1, resealed.
    auto inconsistent = bytes;
    codelength::detail::store_le(inconsistent.data() + 5 + 8 * 6,
                                 static_cast<std::uint64_t>(totals.state().total_bytes + 1), 8);
    reseal(inconsistent);
    CHECK_THROWS_WITH(coding_ledger_totals_from_bytes(inconsistent),
                      Catch::Contains("coding totals bytes: offset 5: inconsistent totals: ") &&
                          Catch::Contains("!= 8 * total_bytes"));
    auto precision = bytes;
    precision.at(61) = 20; // min above max (16)
    reseal(precision);
    CHECK_THROWS_WITH(coding_ledger_totals_from_bytes(precision), Catch::Contains("precision bits [20, 16]"));
}

TEST_CASE("coding totals: JSON with the encode --json keys and the lossless hex", "[coding][coding_totals]") {
    std::mt19937_64 random(0x5eed0c0fULL);
    coding_ledger_totals totals;
    totals.add(encode_random(random, 10, 16));
    const std::string json = to_json(totals);
    const coding_ledger l = totals.to_coding_ledger();
    CHECK(
        json.starts_with("{\"streams\": 1, \"tokens\": 10, \"escaped_tokens\": 0, \"precision_bits\": 16, "));
    CHECK_THAT(json, Catch::Contains("\"coded_bits\": " + std::to_string(l.payload_bits) + ", "));
    CHECK_THAT(json, Catch::Contains("\"total_bytes\": " + std::to_string(l.total_bytes) + ", "));
    const auto bytes = to_bytes(totals);
    std::string hex;
    for (const auto b : bytes) {
        static constexpr char digits[] = "0123456789abcdef";
        hex += digits[b >> 4U];
        hex += digits[b & 15U];
    }
    CHECK(json.ends_with("\"coding_totals_bytes_hex\": \"" + hex + "\"}"));
    coding_ledger infinite = l;
    infinite.ideal_bits = std::numeric_limits<double>::infinity();
    coding_ledger_totals with_infinite;
    with_infinite.add(infinite);
    CHECK_THAT(to_json(with_infinite), Catch::Contains("\"ideal_bits\": null, "));
}
