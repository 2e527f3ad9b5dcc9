// Ledger bytes: round trips, bit-identical totals from shards merged in any order after a trip
// through bytes, and refusal of every damaged, truncated, foreign or inconsistent input.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "codelength/coding/checksum.hpp"
#include "codelength/core/error.hpp"
#include "codelength/detail/little_endian.hpp"
#include "codelength/metrics/metrics.hpp"
#include "support/catch.hpp"
#include "support/serialization.hpp"

namespace {

using test_support::reseal;

using codelength::code_length_ledger;
using codelength::code_length_ledger_from_bytes;
using codelength::to_bytes;

constexpr double infinity = std::numeric_limits<double>::infinity();

code_length_ledger round_trip(const code_length_ledger& ledger) {
    return code_length_ledger_from_bytes(to_bytes(ledger));
}

bool same_bits(double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// A ledger with every field set: finite and infinite surprisals, entropies, ignored rows,
// bytes and words.
code_length_ledger full_ledger() {
    code_length_ledger ledger;
    ledger.add_surprisal_bits(1.5, 2.25);
    ledger.add_surprisal_bits(1e-30, 7.0);
    ledger.add_surprisal_bits(infinity, 3.0);
    ledger.add_surprisal_bits(12.125);
    ledger.add(codelength::row_statistics{}); // ignored
    ledger.add_document("two words");
    ledger.add_bytes(1000);
    return ledger;
}

void set_count(std::vector<std::uint8_t>& bytes, std::size_t field, std::int64_t value) {
    codelength::detail::store_le(bytes.data() + 5 + 8 * field, static_cast<std::uint64_t>(value), 8);
    reseal(bytes);
}

} // namespace

TEST_CASE("ledger bytes: round trips are equal", "[metrics][ledger_bytes]") {
    const code_length_ledger empty;
    CHECK(round_trip(empty) == empty);
    CHECK_FALSE(round_trip(empty).bits_per_token().has_value());

    const auto full = full_ledger();
    const auto back = round_trip(full);
    CHECK(back == full);
    CHECK(back.tokens() == 4);
    CHECK(back.infinite_tokens() == 1);
    CHECK(back.entropy_tokens() == 3);
    CHECK(back.ignored_tokens() == 1);
    CHECK(back.bytes() == 1009);
    CHECK(back.words() == 2);
    CHECK(back.total_bits() == infinity);
    CHECK(same_bits(back.finite_bits(), full.finite_bits()));
    CHECK(same_bits(*back.mean_entropy_bits(), *full.mean_entropy_bits()));
    CHECK(to_bytes(back) == to_bytes(full)); // the canonical form: equal ledgers, equal bytes

    code_length_ledger negative; // surprisals may be negative (log-probabilities above 0)
    negative.add_surprisal_bits(-3.5, 0.0);
    negative.add_words(3);
    CHECK(round_trip(negative) == negative);
    CHECK(round_trip(negative).total_bits() == -3.5);

    CHECK_FALSE(round_trip(full) == negative);
    const auto bytes = to_bytes(full);
    CHECK(std::equal(bytes.begin(), bytes.begin() + 4, codelength::ledger_bytes_magic.begin()));
    CHECK(bytes[4] == 1);
}

TEST_CASE("ledger bytes: shards merged in any order after a round trip equal one pass bit for bit",
          "[metrics][ledger_bytes]") {
    const std::uint64_t seed = std::random_device{}();
    INFO("seed = " << seed);
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> surprisal(0.5, 2.0);
    std::uniform_real_distribution<double> entropy(0.0, 15.0);
    const std::size_t count = 5000;
    std::vector<double> surprisals(count);
    std::vector<double> entropies(count);
    for (std::size_t i = 0; i < count; ++i) {
        surprisals[i] = surprisal(rng);
        entropies[i] = entropy(rng);
    }
    code_length_ledger whole;
    for (std::size_t i = 0; i < count; ++i) {
        whole.add_surprisal_bits(surprisals[i], entropies[i]);
    }
    for (int trial = 0; trial < 20; ++trial) {
        const auto cuts = test_support::random_cuts(rng, count, 16);
        std::vector<std::vector<std::uint8_t>> shards;
        for (std::size_t s = 0; s + 1 < cuts.size(); ++s) {
            code_length_ledger shard;
            for (std::size_t i = cuts[s]; i < cuts[s + 1]; ++i) {
                shard.add_surprisal_bits(surprisals[i], entropies[i]);
            }
            shards.push_back(to_bytes(shard));
        }
        std::shuffle(shards.begin(), shards.end(), rng);
        code_length_ledger merged;
        for (const auto& shard : shards) {
            merged += code_length_ledger_from_bytes(shard);
        }
        INFO("trial " << trial << ", " << shards.size() << " shards");
        CHECK(merged == whole);
        CHECK(same_bits(merged.total_bits(), whole.total_bits()));
        CHECK(same_bits(*merged.mean_entropy_bits(), *whole.mean_entropy_bits()));
        CHECK(same_bits(*merged.bits_per_token(), *whole.bits_per_token()));
    }
}

TEST_CASE("ledger bytes: every single-byte corruption and every truncation is refused",
          "[metrics][ledger_bytes]") {
    for (const auto& ledger : {full_ledger(), code_length_ledger{}}) {
        const auto bytes = to_bytes(ledger);
        test_support::check_every_corruption_refused(bytes,
                                                     [](auto b) { return code_length_ledger_from_bytes(b); });
        auto longer = bytes;
        longer.push_back(0);
        CHECK_THROWS_AS(code_length_ledger_from_bytes(longer), codelength::format_error);
        CHECK_THROWS_WITH(code_length_ledger_from_bytes(longer), "ledger bytes: offset " +
                                                                     std::to_string(bytes.size()) +
                                                                     ": 1 trailing byte after the ledger");
    }
    const auto full_bytes = to_bytes(full_ledger());
    const std::vector<std::uint8_t> foreign = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0};
    CHECK_THROWS_AS(code_length_ledger_from_bytes(foreign), codelength::format_error);
    CHECK_THROWS_WITH(code_length_ledger_from_bytes(foreign),
                      "ledger bytes: offset 0: not a code-length ledger (the magic is not \"CLLG\")");
    CHECK_THROWS_AS(code_length_ledger_from_bytes(std::span(full_bytes).first(20)), codelength::format_error);
    CHECK_THROWS_WITH(code_length_ledger_from_bytes(std::span(full_bytes).first(20)),
                      "ledger bytes: offset 13: truncated in the counts: needs 8 bytes, 7 remain");
}

TEST_CASE("ledger bytes: a wrong version, a bad checksum and inconsistent contents name the offset",
          "[metrics][ledger_bytes]") {
    const auto bytes = to_bytes(full_ledger());
    auto versioned = bytes;
    versioned[4] = 2;
    CHECK_THROWS_AS(code_length_ledger_from_bytes(versioned), codelength::format_error);
    CHECK_THROWS_WITH(code_length_ledger_from_bytes(versioned),
                      "ledger bytes: offset 4: format version 2 is not supported (this build reads 1)");

    auto damaged = bytes;
    damaged[10] ^= 1U;
    CHECK_THROWS_AS(code_length_ledger_from_bytes(damaged), codelength::format_error);
    CHECK_THROWS_WITH(code_length_ledger_from_bytes(damaged),
                      Catch::Contains("offset " + std::to_string(bytes.size() - 4) + ": CRC-32C mismatch"));

    auto negative = bytes;
    set_count(negative, 4, -1);
    CHECK_THROWS_AS(code_length_ledger_from_bytes(negative), codelength::format_error);
    CHECK_THROWS_WITH(code_length_ledger_from_bytes(negative),
                      "ledger bytes: offset 37: bytes is negative: -1");

    auto too_many_infinite = bytes;
    set_count(too_many_infinite, 1, 5);
    CHECK_THROWS_AS(code_length_ledger_from_bytes(too_many_infinite), codelength::format_error);
    CHECK_THROWS_WITH(code_length_ledger_from_bytes(too_many_infinite),
                      "ledger bytes: offset 5: inconsistent ledger: code_length_ledger state: "
                      "infinite_tokens (5) exceed tokens (4)");

    // finite_bits starts at 53: flags, lowest chunk, count.
    auto out_of_range = bytes;
    out_of_range[54] = 67;
    reseal(out_of_range); // the length no longer matches either, but the range is checked first
    CHECK_THROWS_AS(code_length_ledger_from_bytes(out_of_range), codelength::format_error);
    CHECK_THROWS_WITH(code_length_ledger_from_bytes(out_of_range),
                      Catch::Contains("offset 54: finite_bits: chunks [67, ") &&
                          Catch::Contains("outside [0, 68)"));

    auto flagged = bytes;
    flagged[53] = static_cast<std::uint8_t>(flagged[53] | 4U); // +inf in a ledger's finite sum
    reseal(flagged);
    CHECK_THROWS_AS(code_length_ledger_from_bytes(flagged), codelength::format_error);
    CHECK_THROWS_WITH(code_length_ledger_from_bytes(flagged),
                      "ledger bytes: offset 53: finite_bits: a ledger's sum holds no infinity or NaN");

    auto unknown_flag = bytes;
    unknown_flag[53] = static_cast<std::uint8_t>(unknown_flag[53] | 0x40U);
    reseal(unknown_flag);
    CHECK_THROWS_AS(code_length_ledger_from_bytes(unknown_flag), codelength::format_error);
    CHECK_THROWS_WITH(code_length_ledger_from_bytes(unknown_flag),
                      Catch::Contains("offset 53: finite_bits: unknown flag bits"));

    // An empty ledger with a nonzero sum: 6 x 0 counts, then finite_bits = 1 chunk.
    code_length_ledger::state_type state;
    state.finite_bits.add(2.0);
    CHECK_THROWS_AS(code_length_ledger::from_state(state), codelength::invalid_argument_error);
    CHECK_THROWS_WITH(code_length_ledger::from_state(state),
                      "code_length_ledger state: finite_bits is nonzero without finite tokens");
    state.tokens = 1;
    CHECK(code_length_ledger::from_state(state).total_bits() == 2.0);
    CHECK(code_length_ledger::from_state(full_ledger().state()) == full_ledger());
}

TEST_CASE("ledger JSON: the score --json keys, shortest doubles, null when undefined, lossless hex",
          "[metrics][ledger_bytes]") {
    code_length_ledger ledger;
    ledger.add_surprisal_bits(1.0, 0.5);
    ledger.add_surprisal_bits(2.0, 0.25);
    ledger.add_document("hello world");
    const std::string json = codelength::to_json(ledger);
    CHECK(json.starts_with(
        "{\"tokens\": 2, \"ignored_tokens\": 0, \"infinite_tokens\": 0, \"entropy_tokens\": 2, "
        "\"bytes\": 11, \"words\": 2, \"total_bits\": 3, \"finite_bits\": 3, "
        "\"bits_per_token\": 1.5, \"bits_per_byte\": 0.2727272727272727, "));
    CHECK_THAT(json, Catch::Contains("\"mean_entropy_bits\": 0.375, \"ledger_bytes_hex\": \"434c4c4701"));
    // The hex is to_bytes(), which reads back to the same ledger.
    const auto begin = json.find("_hex\": \"") + 8;
    const std::string hex = json.substr(begin, json.size() - begin - 2);
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        bytes.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    }
    CHECK(bytes == to_bytes(ledger));
    CHECK(code_length_ledger_from_bytes(bytes) == ledger);

    const code_length_ledger empty;
    CHECK_THAT(codelength::to_json(empty),
               Catch::Contains("\"total_bits\": 0, \"finite_bits\": 0, "
                               "\"bits_per_token\": null, \"bits_per_byte\": null"));
    CHECK_THAT(codelength::to_json(full_ledger()),
               Catch::Contains("\"infinite_tokens\": 1, ") && Catch::Contains("\"total_bits\": null, "));
}
