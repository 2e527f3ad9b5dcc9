// compute_mdl: the quantities `codelength mdl` and the Python package's mdl() report, in their
// order, against hand-computed cases, and its refusals of inputs it cannot use.
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codelength/metrics/mdl_report.hpp"
#include "support/catch.hpp"

namespace {

using codelength::mdl_inputs;
using codelength::mdl_value;

std::string locate(std::string_view key) {
    return std::string(key) + ": ";
}

std::vector<mdl_value> compute(const mdl_inputs& in) {
    return codelength::compute_mdl(in, "input", locate);
}

const mdl_value& find(const std::vector<mdl_value>& values, const std::string& key) {
    for (const mdl_value& v : values) {
        if (v.key == key) {
            return v;
        }
    }
    FAIL("no value " << key);
    return values.front();
}

std::vector<std::string> keys(const std::vector<mdl_value>& values) {
    std::vector<std::string> out;
    out.reserve(values.size());
    for (const mdl_value& v : values) {
        out.push_back(v.key);
    }
    return out;
}

} // namespace

TEST_CASE("compute_mdl: items alone give the uniform code's default block schedule", "[mdl_report]") {
    mdl_inputs in;
    in.items = 10000;
    const auto values = compute(in);
    CHECK(keys(values) == std::vector<std::string>{"block_ends_source", "block_ends"});
    CHECK(find(values, "block_ends_source").text == "default_schedule");
    CHECK(find(values, "block_ends").integers ==
          std::vector<std::int64_t>{10, 20, 40, 80, 160, 320, 625, 1250, 2500, 5000, 10000});
}

TEST_CASE("compute_mdl: online code, information in the weights, two-part code, rates", "[mdl_report]") {
    mdl_inputs in;
    in.unit = codelength::information_unit::bits;
    in.vocabulary_size = 4;
    in.first_block_items = 2;
    in.blocks = {{2, 3.0}, {4, 4.0}};
    in.final_model_code_length = 5.0;
    in.parameters = 10;
    in.bits_per_parameter = codelength::bits_per_parameter(*codelength::parameter_format_named("int4"));
    in.raw_bytes = 100.0;
    in.compressed_bytes = 20.0;
    const auto values = compute(in);
    CHECK(keys(values) == std::vector<std::string>{"unit",
                                                   "online_items",
                                                   "online_blocks",
                                                   "first_block_bits",
                                                   "online_bits",
                                                   "uniform_bits",
                                                   "online_compression",
                                                   "final_model_bits",
                                                   "information_in_weights_source",
                                                   "information_in_weights_bits",
                                                   "model_cost_source",
                                                   "model_bits",
                                                   "model_bytes",
                                                   "two_part_bits",
                                                   "data_items",
                                                   "data_bits_per_item",
                                                   "two_part_bits_per_item",
                                                   "reference_bits_per_item",
                                                   "break_even_items",
                                                   "raw_compression_rate",
                                                   "adjusted_compression_rate",
                                                   "block_ends_source",
                                                   "block_ends"});
    CHECK(find(values, "online_items").integer == 8);
    CHECK(find(values, "first_block_bits").number == 4.0);            // 2 items x log2 4
    CHECK(find(values, "online_bits").number == 11.0);                // 4 + 3 + 4
    CHECK(find(values, "uniform_bits").number == 16.0);               // 8 x 2
    CHECK(find(values, "information_in_weights_bits").number == 6.0); // 11 - 5
    CHECK(find(values, "model_bits").number == 40.0);                 // 10 parameters x 4 bits
    CHECK(find(values, "two_part_bits").number == 45.0);
    CHECK(find(values, "data_bits_per_item").number == 5.0 / 8.0);
    // 40 + n 5/8 = 2 n  ->  n = 40 / (2 - 5/8)
    CHECK(*find(values, "break_even_items").number == Catch::Approx(40.0 / (2.0 - 0.625)));
    CHECK(find(values, "adjusted_compression_rate").number == (5.0 + 20.0) / 100.0);
    CHECK(find(values, "block_ends").integers == std::vector<std::int64_t>{2, 4, 8});
}

TEST_CASE("compute_mdl: refuses what it cannot use, naming the input", "[mdl_report]") {
    mdl_inputs nothing;
    nothing.vocabulary_size = 5;
    CHECK_THROWS_WITH(compute(nothing), Catch::Contains("input: nothing to compute from vocabulary_size"));
    mdl_inputs no_unit;
    no_unit.final_model_code_length = 3.0;
    CHECK_THROWS_WITH(compute(no_unit), Catch::Contains("unit,bits"));
    mdl_inputs two_costs;
    two_costs.parameters = 3;
    two_costs.decompressor_bytes = 4;
    two_costs.weights_file_label = "--weights";
    CHECK_THROWS_WITH(compute(two_costs),
                      Catch::Contains("more than one model cost") && Catch::Contains("--weights"));
    mdl_inputs width_only;
    width_only.bits_per_parameter = 8.0;
    width_only.items = 3;
    CHECK_THROWS_WITH(compute(width_only), Catch::Contains("bits_per_parameter: bits_per_parameter needs"));
    mdl_inputs bad_items;
    bad_items.items = 0;
    CHECK_THROWS_AS(compute(bad_items), codelength::invalid_argument_error);
    mdl_inputs bad_raw;
    bad_raw.raw_bytes = std::nan("");
    bad_raw.compressed_bytes = 1.0;
    CHECK_THROWS_WITH(compute(bad_raw), Catch::Contains("raw_bytes: raw_bytes must be a finite number > 0"));
    mdl_inputs mismatch;
    mismatch.unit = codelength::information_unit::nats;
    mismatch.vocabulary_size = 4;
    mismatch.first_block_items = 2;
    mismatch.blocks = {{2, 1.0}};
    mismatch.items = 5;
    CHECK_THROWS_WITH(compute(mismatch), Catch::Contains("items: items is 5 but"));
    CHECK_FALSE(codelength::parameter_format_named("fp8").has_value());
    CHECK(codelength::bits_per_parameter(*codelength::parameter_format_named("bf16")) == 16.0);
}
