// The byte tokenizer: ids are the bytes, one byte per token, every text round-trips, and the
// ledger's bits per byte equals its bits per token.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/core/tokenizer.hpp"
#include "codelength/metrics/code_length_ledger.hpp"
#include "codelength/metrics/tokenized_document.hpp"
#include "codelength/models/byte_tokenizer.hpp"
#include "support/catch.hpp"

TEST_CASE("byte_tokenizer satisfies the tokenizer concept", "[byte_tokenizer]") {
    STATIC_REQUIRE(codelength::tokenizer<codelength::byte_tokenizer>);
    STATIC_REQUIRE(codelength::byte_tokenizer::vocabulary_size() == 256);
    STATIC_REQUIRE(codelength::byte_tokenizer::bos_id() == 0);
}

TEST_CASE("byte_tokenizer: ids are the bytes, one byte each, exact round trips", "[byte_tokenizer]") {
    const codelength::byte_tokenizer bytes;
    const std::uint32_t seed = std::random_device{}();
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> length(0, 64);
    for (int trial = 0; trial < 200; ++trial) {
        std::string text(static_cast<std::size_t>(length(rng)), '\0');
        for (char& c : text) {
            c = static_cast<char>(byte(rng)); // any bytes, invalid UTF-8 and NUL included
        }
        const codelength::tokenized_text t = bytes.encode(text);
        REQUIRE(t.ids.size() == text.size());
        REQUIRE(t.token_bytes == std::vector<std::int64_t>(text.size(), 1));
        for (std::size_t i = 0; i < text.size(); ++i) {
            CHECK(t.ids[i] == static_cast<unsigned char>(text[i]));
        }
        CHECK(bytes.decode(t.ids) == text);
        CHECK(codelength::round_trips(bytes, text));
        CHECK_NOTHROW(codelength::check_tokenized_text(t, text, bytes.vocabulary_size()));
    }
}

TEST_CASE("byte_tokenizer: decode refuses ids that are not bytes", "[byte_tokenizer]") {
    const std::vector<std::int64_t> too_large = {104, 256};
    CHECK_THROWS_WITH(codelength::byte_tokenizer::decode(too_large), Catch::Contains("token 1: id 256"));
    const std::vector<std::int64_t> negative = {-1};
    CHECK_THROWS_AS(codelength::byte_tokenizer::decode(negative), codelength::invalid_argument_error);
}

TEST_CASE("byte_tokenizer: bits per byte is bits per token", "[byte_tokenizer]") {
    const codelength::byte_tokenizer bytes;
    const std::string text = "naïve  café\n"; // 14 bytes, 3 words ('naïve', 'café', '')
    const codelength::tokenized_text t = bytes.encode(text);
    codelength::code_length_ledger ledger;
    double total_bits = 0.0;
    for (std::size_t i = 0; i < t.ids.size(); ++i) {
        const double bits = 0.25 * static_cast<double>(i + 1); // exact in binary
        ledger.add_surprisal_bits(bits);
        total_bits += bits;
    }
    codelength::add_tokenized_document(ledger, text, t, bytes.vocabulary_size());
    CHECK(ledger.bytes() == 14);
    CHECK(ledger.words() == 3);
    CHECK(total_bits == 0.25 * 14.0 * 15.0 / 2.0);
    CHECK(*ledger.bits_per_byte() == total_bits / 14.0);
    CHECK(*ledger.bits_per_byte() == *ledger.bits_per_token());
    CHECK(*ledger.byte_perplexity() == std::exp2(total_bits / 14.0));
    CHECK(*ledger.word_perplexity() == std::exp2(total_bits / 3.0));
}

TEST_CASE("check_tokenized_text names the first inconsistency", "[byte_tokenizer]") {
    const std::string text = "abc";
    codelength::tokenized_text t = codelength::byte_tokenizer::encode(text);
    t.token_bytes[1] = 2;
    CHECK_THROWS_WITH(codelength::check_tokenized_text(t, text, 256),
                      Catch::Contains("cover 4 bytes of a text of 3"));
    t.token_bytes[1] = -1;
    CHECK_THROWS_WITH(codelength::check_tokenized_text(t, text, 256), Catch::Contains("token 1"));
    t = codelength::byte_tokenizer::encode(text);
    t.ids.pop_back();
    CHECK_THROWS_WITH(codelength::check_tokenized_text(t, text, 256),
                      Catch::Contains("2 ids but 3 byte counts"));
}
