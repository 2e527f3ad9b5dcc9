// MDL quantities against straightforward long-double references and hand-computed cases.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <vector>

#include "codelength/metrics/mdl.hpp"
#include "codelength/metrics/mdl_weights.hpp"
#include "support/catch.hpp"

namespace {

using codelength::information_unit;

constexpr long double ln2_l = 0.693147180559945309417232121458176568L;

// Reference: block ends by the documented rule, written as a plain loop over long doubles.
std::vector<std::int64_t> reference_ends(std::int64_t n, const std::vector<long double>& fractions) {
    std::vector<std::int64_t> ends;
    for (std::size_t k = 0; k < fractions.size(); ++k) {
        long double x = fractions[k] * static_cast<long double>(n) / 1e6L;
        auto e = static_cast<std::int64_t>(std::floor(x + 0.5L));
        if (e < 1) {
            e = 1;
        }
        if (e > n || k + 1 == fractions.size()) {
            e = n;
        }
        bool seen = false;
        for (const auto previous : ends) {
            seen = seen || previous == e;
        }
        if (!seen) {
            ends.push_back(e);
        }
    }
    return ends;
}

// The default schedule's fractions as exact long-double ratios (ppm / 10^6 is exact at halves).
const std::vector<long double> default_ppm_l = {1000,  2000,   4000,   8000,   16000,  32000,
                                                62500, 125000, 250000, 500000, 1000000};

bool close(double got, long double want, long double relative = 1e-12L) {
    return std::fabs(static_cast<long double>(got) - want) <= relative * std::fabs(want) + 1e-12L;
}

} // namespace

TEST_CASE("online_block_ends: default schedule on 10000 items", "[mdl]") {
    const auto ends = codelength::online_block_ends(10'000);
    const std::vector<std::int64_t> want = {10, 20, 40, 80, 160, 320, 625, 1250, 2500, 5000, 10000};
    CHECK(ends == want);
}

TEST_CASE("online_block_ends: edge cases", "[mdl]") {
    CHECK(codelength::online_block_ends(1) == std::vector<std::int64_t>{1});
    CHECK(codelength::online_block_ends(2) == std::vector<std::int64_t>{1, 2});
    // N = 5 < 11 blocks: 0.3125 -> 1 (clamped), 0.625 -> 1, 1.25 -> 1, 2.5 -> 3, 5.
    CHECK(codelength::online_block_ends(5) == std::vector<std::int64_t>{1, 3, 5});
    CHECK(codelength::online_block_ends(11).size() < 11);
    CHECK_THROWS_AS(codelength::online_block_ends(0), codelength::invalid_argument_error);
    // N = 375: 0.4% of 375 = 1.5 exactly, rounded up to 2 (halves up).
    CHECK(codelength::online_block_ends(375)[1] == 2);
    const std::vector<std::int64_t> custom = {500'000, 1'000'000};
    CHECK(codelength::online_block_ends(3, custom) == std::vector<std::int64_t>{2, 3});
    const std::vector<std::int64_t> not_ending_at_one = {500'000, 900'000};
    CHECK_THROWS_AS(codelength::online_block_ends(10, not_ending_at_one), codelength::invalid_argument_error);
    const std::vector<std::int64_t> decreasing = {500'000, 250'000, 1'000'000};
    CHECK_THROWS_AS(codelength::online_block_ends(10, decreasing), codelength::invalid_argument_error);
}

TEST_CASE("online_block_ends: matches the reference for many N", "[mdl]") {
    for (std::int64_t n = 1; n <= 3000; ++n) {
        const auto ends = codelength::online_block_ends(n);
        INFO("N = " << n);
        REQUIRE(ends == reference_ends(n, default_ppm_l));
        REQUIRE(ends.front() >= 1);
        REQUIRE(ends.back() == n);
        for (std::size_t k = 1; k < ends.size(); ++k) {
            REQUIRE(ends[k] > ends[k - 1]);
        }
    }
    for (const std::int64_t n : {std::int64_t{1'000'000}, std::int64_t{123'456'789}, std::int64_t{1} << 40}) {
        CHECK(codelength::online_block_ends(n) == reference_ends(n, default_ppm_l));
    }
}

TEST_CASE("online_code_length: hand-computed uniform first block", "[mdl]") {
    // V = 4: the first block of 10 items costs 10 x 2 = 20 bits; later blocks 5 + 15 bits.
    const std::vector<codelength::coded_block> later = {{10, 5.0}, {20, 15.0}};
    const auto code = codelength::online_code_length(4, 10, later, information_unit::bits);
    CHECK(code.items == 40);
    CHECK(code.blocks == 3);
    CHECK(code.first_block_bits == 20.0);
    CHECK(code.later_blocks_bits == 20.0);
    CHECK(code.online_bits == 40.0);
    CHECK(code.uniform_bits == 80.0);
    REQUIRE(code.compression);
    CHECK(*code.compression == 2.0);
}

TEST_CASE("online_code_length: nats, schedule and the long-double reference", "[mdl]") {
    std::mt19937_64 rng(20261128);
    std::printf("test_mdl seed 20261128\n");
    std::uniform_real_distribution<double> loss(0.5, 6.0);
    const std::int64_t n = 100'000;
    const std::int64_t v = 50'257;
    const auto ends = codelength::online_block_ends(n);
    std::vector<double> nats(ends.size() - 1);
    long double later_bits = 0;
    for (std::size_t i = 0; i < nats.size(); ++i) {
        nats[i] = loss(rng) * static_cast<double>(ends[i + 1] - ends[i]);
        later_bits += static_cast<long double>(nats[i]) / ln2_l;
    }
    const long double log2_v = std::log2(static_cast<long double>(v));
    const long double first_bits = static_cast<long double>(ends[0]) * log2_v;
    const long double online = first_bits + later_bits;
    const long double uniform = static_cast<long double>(n) * log2_v;
    const auto code = codelength::online_code_length(v, ends, nats, information_unit::nats);
    CHECK(code.items == n);
    CHECK(code.first_block_items == 100);
    CHECK(close(code.first_block_bits, first_bits));
    CHECK(close(code.online_bits, online));
    CHECK(close(code.uniform_bits, uniform));
    CHECK(close(*code.compression, uniform / online));

    // The same in bits gives the same totals.
    std::vector<double> bits(nats.size());
    for (std::size_t i = 0; i < nats.size(); ++i) {
        bits[i] = static_cast<double>(static_cast<long double>(nats[i]) / ln2_l);
    }
    const auto in_bits = codelength::online_code_length(v, ends, bits, information_unit::bits);
    CHECK(close(in_bits.online_bits, online));
}

TEST_CASE("online_code_length: errors and undefined compression", "[mdl]") {
    const std::vector<codelength::coded_block> none;
    const auto single = codelength::online_code_length(1, 3, none, information_unit::bits);
    CHECK(single.online_bits == 0.0);
    CHECK_FALSE(single.compression); // 0 / 0
    const std::vector<codelength::coded_block> empty_block = {{0, 1.0}};
    CHECK_THROWS_AS(codelength::online_code_length(4, 1, empty_block, information_unit::bits),
                    codelength::invalid_argument_error);
    const std::vector<codelength::coded_block> negative = {{1, -1.0}};
    CHECK_THROWS_WITH(codelength::online_code_length(4, 1, negative, information_unit::bits),
                      Catch::Contains("block 2"));
    CHECK_THROWS_AS(codelength::online_code_length(0, 1, none, information_unit::bits),
                    codelength::invalid_argument_error);
    const std::vector<std::int64_t> ends = {1, 3};
    const std::vector<double> too_many = {1.0, 2.0};
    CHECK_THROWS_AS(codelength::online_code_length(4, ends, too_many, information_unit::bits),
                    codelength::invalid_argument_error);
}

TEST_CASE("unit conversion", "[mdl]") {
    CHECK(codelength::to_bits(1.0, information_unit::bits) == 1.0);
    CHECK(close(codelength::to_bits(1.0, information_unit::nats), 1.0L / ln2_l, 1e-15L));
    CHECK(close(codelength::to_bits(std::log(2.0), information_unit::nats), 1.0L, 1e-15L));
}

TEST_CASE("prequential_code_length_from_log", "[mdl]") {
    const std::vector<codelength::training_step> hand = {{10, 2.0}, {30, 1.0}};
    const auto bits = codelength::prequential_code_length_from_log(hand, information_unit::bits);
    CHECK(bits.steps == 2);
    CHECK(bits.tokens == 40);
    CHECK(bits.total_bits == 50.0);
    CHECK(*bits.bits_per_token == 1.25);

    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> loss(0.0, 11.0);
    std::uniform_int_distribution<std::int64_t> tokens(0, 4096);
    std::vector<codelength::training_step> log(5000);
    long double want = 0;
    std::int64_t total_tokens = 0;
    for (auto& step : log) {
        step = {tokens(rng), loss(rng)};
        want += static_cast<long double>(step.mean_loss) * static_cast<long double>(step.tokens) / ln2_l;
        total_tokens += step.tokens;
    }
    const auto nats = codelength::prequential_code_length_from_log(log, information_unit::nats);
    CHECK(nats.tokens == total_tokens);
    CHECK(close(nats.total_bits, want));
    CHECK(close(*nats.bits_per_token, want / static_cast<long double>(total_tokens)));

    const std::vector<codelength::training_step> empty;
    CHECK_FALSE(codelength::prequential_code_length_from_log(empty, information_unit::bits).bits_per_token);
    const std::vector<codelength::training_step> bad = {{1, 1.0}, {1, std::nan("")}};
    CHECK_THROWS_WITH(codelength::prequential_code_length_from_log(bad, information_unit::bits),
                      Catch::Contains("step 1"));
    const std::vector<codelength::training_step> negative = {{-1, 1.0}};
    CHECK_THROWS_AS(codelength::prequential_code_length_from_log(negative, information_unit::bits),
                    codelength::invalid_argument_error);
}

TEST_CASE("model costs", "[mdl]") {
    using codelength::parameter_format;
    STATIC_REQUIRE(codelength::bits_per_parameter(parameter_format::fp32) == 32);
    STATIC_REQUIRE(codelength::bits_per_parameter(parameter_format::bf16) == 16);
    STATIC_REQUIRE(codelength::bits_per_parameter(parameter_format::fp16) == 16);
    STATIC_REQUIRE(codelength::bits_per_parameter(parameter_format::int8) == 8);
    STATIC_REQUIRE(codelength::bits_per_parameter(parameter_format::int4) == 4);
    const auto fp32 = codelength::model_cost::from_parameters(1'000'000, parameter_format::fp32);
    CHECK(fp32.bits == 32e6);
    CHECK(fp32.bytes() == 4e6);
    CHECK(fp32.source == codelength::model_cost_source::parameters);
    CHECK(codelength::model_cost::from_parameters(10, 5.5).bits == 55.0);
    CHECK(codelength::model_cost::from_weights_file_bytes(100).bits == 800.0);
    CHECK(codelength::model_cost::from_weights_file_bytes(100).source ==
          codelength::model_cost_source::weights_file);
    CHECK(codelength::model_cost::from_decompressor_bytes(3).bits == 24.0);
    CHECK_THROWS_AS(codelength::model_cost::from_parameters(-1, 8.0), codelength::invalid_argument_error);
    CHECK_THROWS_AS(codelength::model_cost::from_parameters(1, -8.0), codelength::invalid_argument_error);
}

TEST_CASE("two-part code and break-even size", "[mdl]") {
    // 1000 int8 parameters = 8000 bits; data 2000 nats over 1000 items.
    const auto model = codelength::model_cost::from_parameters(1000, codelength::parameter_format::int8);
    const auto code = codelength::two_part_code_length(model, 2000.0, information_unit::nats, 1000);
    const long double data_bits = 2000.0L / ln2_l;
    CHECK(code.model_bits == 8000.0);
    CHECK(close(code.data_bits, data_bits));
    CHECK(close(code.total_bits, 8000.0L + data_bits));
    CHECK(close(*code.data_bits_per_item, data_bits / 1000.0L));
    CHECK(close(*code.total_bits_per_item, (8000.0L + data_bits) / 1000.0L));
    CHECK_FALSE(codelength::two_part_code_length(model, 0.0, information_unit::bits, 0).data_bits_per_item);
    CHECK_THROWS_AS(codelength::two_part_code_length(model, -1.0, information_unit::bits, 1),
                    codelength::invalid_argument_error);

    // Hand: 8000 model bits, model 1 bit/item vs uniform 8 bits/item -> 8000 / 7 items.
    const auto n = codelength::break_even_items(8000.0, 1.0, 8.0);
    REQUIRE(n);
    CHECK(close(*n, 8000.0L / 7.0L));
    // Break-even really is the crossing point: the two codes are equal there.
    CHECK(close(8000.0 + *n * 1.0, static_cast<long double>(*n) * 8.0L));
    // Undefined: the model is not better per item.
    CHECK_FALSE(codelength::break_even_items(8000.0, 8.0, 8.0));
    CHECK_FALSE(codelength::break_even_items(8000.0, 9.0, 8.0));
    CHECK_FALSE(codelength::break_even_items(std::numeric_limits<double>::infinity(), 1.0, 8.0));
    CHECK(*codelength::break_even_items(0.0, 1.0, 8.0) == 0.0);
}

TEST_CASE("adjusted compression rate", "[mdl]") {
    // Deletang et al.'s framing: a model larger than the data gives an adjusted rate above 1.
    const auto rates = codelength::compression_rates_of(1e9, 8.3e7, 1.4e11);
    CHECK(close(*rates.raw_rate, 0.083L));
    CHECK(close(*rates.adjusted_rate, (1.4e11L + 8.3e7L) / 1e9L));
    CHECK(*rates.adjusted_rate > 100.0);
    const auto none = codelength::compression_rates_of(0, 0, 5);
    CHECK_FALSE(none.raw_rate);
    CHECK_FALSE(none.adjusted_rate);
    CHECK_THROWS_AS(codelength::compression_rates_of(10, -1, 0), codelength::invalid_argument_error);
}

TEST_CASE("information stored in the weights", "[mdl]") {
    CHECK(codelength::information_in_weights_bits(100.0, 60.0, information_unit::bits) == 40.0);
    CHECK(close(codelength::information_in_weights_bits(100.0, 60.0, information_unit::nats), 40.0L / ln2_l));
    // Negative when the final model codes the data worse than the prequential code did.
    CHECK(codelength::information_in_weights_bits(50.0, 60.0, information_unit::bits) == -10.0);
}

TEST_CASE("weights_file_cost_bytes_codelength", "[mdl]") {
    const auto path = std::filesystem::temp_directory_path() / "codelength_test_mdl_weights.bin";
    {
        std::ofstream out(path, std::ios::binary);
        for (int i = 0; i < 20000; ++i) {
            out.put(static_cast<char>(i % 7)); // very compressible
        }
    }
    const std::uint64_t packed = codelength::weights_file_cost_bytes_codelength(path);
    CHECK(packed > codelength::byte_codec_header_bytes);
    CHECK(packed < 2000);
    CHECK(codelength::read_weights_file_bytes(path).size() == 20000);
    std::filesystem::remove(path);
    CHECK_THROWS_AS(codelength::weights_file_cost_bytes_codelength(path), codelength::io_error);
}
