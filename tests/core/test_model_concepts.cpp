// The model concepts: member and model_traits tiers, near misses, and the accessors.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "codelength/core/model_concepts.hpp"
#include "support/catch.hpp"

namespace {

using codelength::bfloat16;
using codelength::float16;
using codelength::strided_row;

// A complete adaptive model over 3 tokens returning contiguous float logits.
struct member_model {
    std::array<float, 3> logits{1.0F, 2.0F, 3.0F};
    std::int64_t last_token = -1;
    [[nodiscard]] std::int64_t vocabulary_size() const { return 3; }
    [[nodiscard]] std::span<const float> next_logits() const { return logits; }
    void update(std::int64_t token) { last_token = token; }
};

// Log-probabilities as a strided row of doubles, no update: categorical, not sequential.
struct strided_log_probability_model {
    std::array<double, 6> storage{-1.0, 0.0, -2.0, 0.0, -3.0, 0.0};
    [[nodiscard]] std::size_t vocabulary_size() const { return 3; } // any integer type is fine
    [[nodiscard]] strided_row<double> next_log_probabilities() const { return {storage.data(), 3, 2}; }
};

// Non-const next_logits over a mutable span of a 16-bit type.
template <class Element>
struct typed_model {
    std::array<Element, 4> logits{};
    [[nodiscard]] int vocabulary_size() const { return 4; }
    std::span<Element> next_logits() { return logits; }
    void update(std::int64_t /*token*/) {}
};

// Near misses, one defect each.
struct no_vocabulary_size {
    [[nodiscard]] std::span<const float> next_logits() const { return {}; }
};
struct double_vocabulary_size {
    [[nodiscard]] double vocabulary_size() const { return 3.0; }
    [[nodiscard]] std::span<const float> next_logits() const { return {}; }
};
struct no_row {
    [[nodiscard]] std::int64_t vocabulary_size() const { return 3; }
};
struct vector_row {
    [[nodiscard]] std::int64_t vocabulary_size() const { return 3; }
    [[nodiscard]] std::vector<float> next_logits() const { return {}; }
};
struct int_row {
    [[nodiscard]] std::int64_t vocabulary_size() const { return 3; }
    [[nodiscard]] std::span<const int> next_log_probabilities() const { return {}; }
};

// A type "from another library" adapted with model_traits; its own member names differ.
struct foreign_lm {
    std::vector<double> scores{0.5, 0.25, 0.25};
    std::vector<std::int64_t> history;
    [[nodiscard]] std::int64_t n_vocab() const { return 3; }
};

// A type whose members would qualify but whose (incomplete) traits take precedence.
struct shadowed_by_traits {
    [[nodiscard]] std::int64_t vocabulary_size() const { return 3; }
    [[nodiscard]] std::span<const float> next_logits() const { return {}; }
};

// Binary models.
struct counting_bit_model {
    static constexpr int probability_bits = 12;
    std::uint32_t ones = 1;
    std::uint32_t total = 2;
    [[nodiscard]] std::uint16_t p1() const { return static_cast<std::uint16_t>((ones << 12U) / total); }
    void update(int bit) {
        ones += bit != 0 ? 1U : 0U;
        ++total;
    }
};
struct bit_model_without_precision {
    [[nodiscard]] std::uint16_t p1() const { return 2048; }
    void update(int /*bit*/) {}
};
struct bit_model_with_signed_p1 {
    static constexpr int probability_bits = 12;
    [[nodiscard]] int p1() const { return 2048; }
    void update(int /*bit*/) {}
};
struct bit_model_with_too_many_bits {
    static constexpr int probability_bits = 40;
    [[nodiscard]] std::uint64_t p1() const { return 2048; }
    void update(int /*bit*/) {}
};
struct bit_model_without_update {
    static constexpr int probability_bits = 16;
    [[nodiscard]] std::uint16_t p1() const { return 2048; }
};

} // namespace

template <>
struct codelength::customize::model_traits<foreign_lm> {
    static std::int64_t vocabulary_size(const foreign_lm& m) { return m.n_vocab(); }
    static std::span<const double> next_log_probabilities(foreign_lm& m) { return m.scores; }
    static void update(foreign_lm& m, std::int64_t token) { m.history.push_back(token); }
};

template <>
struct codelength::customize::model_traits<shadowed_by_traits> {
    static std::int64_t vocabulary_size(const shadowed_by_traits& /*m*/) { return 3; }
};

TEST_CASE("member models satisfy the categorical concepts", "[core][model]") {
    STATIC_REQUIRE(codelength::categorical_model<member_model>);
    STATIC_REQUIRE(codelength::sequential_categorical_model<member_model>);
    STATIC_REQUIRE(codelength::sequential_categorical_model<member_model&>);
    STATIC_REQUIRE(codelength::check_sequential_categorical_model<member_model>());
    STATIC_REQUIRE(codelength::categorical_model<strided_log_probability_model>);
    STATIC_REQUIRE(!codelength::sequential_categorical_model<strided_log_probability_model>);
    STATIC_REQUIRE(codelength::check_categorical_model<strided_log_probability_model>());
    // A const model can be scored but not updated.
    STATIC_REQUIRE(codelength::categorical_model<const member_model>);
    STATIC_REQUIRE(!codelength::sequential_categorical_model<const member_model>);
    STATIC_REQUIRE(!codelength::binary_model<member_model>);
}

TEST_CASE("near misses fail exactly the requirement they miss", "[core][model]") {
    using namespace codelength::detail;
    STATIC_REQUIRE(!codelength::categorical_model<no_vocabulary_size>);
    STATIC_REQUIRE(!has_vocabulary_size<no_vocabulary_size>);
    STATIC_REQUIRE(next_row_is_well_typed<no_vocabulary_size>);

    STATIC_REQUIRE(!codelength::categorical_model<double_vocabulary_size>);
    STATIC_REQUIRE(has_vocabulary_size<double_vocabulary_size>);
    STATIC_REQUIRE(!vocabulary_size_is_integer<double_vocabulary_size>);

    STATIC_REQUIRE(!codelength::categorical_model<no_row>);
    STATIC_REQUIRE(!has_next_row<no_row>);

    STATIC_REQUIRE(!codelength::categorical_model<vector_row>);
    STATIC_REQUIRE(has_next_logits<vector_row>);
    STATIC_REQUIRE(!next_row_is_well_typed<vector_row>);

    STATIC_REQUIRE(!codelength::categorical_model<int_row>);
    STATIC_REQUIRE(has_next_log_probabilities<int_row>);
    STATIC_REQUIRE(!next_row_is_well_typed<int_row>);

    // A model_traits specialization replaces the members entirely.
    STATIC_REQUIRE(uses_model_traits<shadowed_by_traits>);
    STATIC_REQUIRE(!uses_model_traits<member_model>);
    STATIC_REQUIRE(!codelength::categorical_model<shadowed_by_traits>);
    STATIC_REQUIRE(!has_next_row<shadowed_by_traits>);
}

TEST_CASE("model_traits adapts a type the user does not own", "[core][model]") {
    STATIC_REQUIRE(codelength::sequential_categorical_model<foreign_lm>);
    STATIC_REQUIRE(codelength::model_row_kind_v<foreign_lm> == codelength::row_kind::log_probabilities);
    STATIC_REQUIRE(std::is_same_v<codelength::model_element_t<foreign_lm>, double>);
    foreign_lm lm;
    CHECK(codelength::model_vocabulary_size(lm) == 3);
    const auto row = codelength::model_next_row(lm);
    CHECK(row.data == lm.scores.data());
    CHECK(row.size == 3);
    CHECK(row.stride == 1);
    codelength::model_update(lm, 2);
    codelength::model_update(lm, 0);
    REQUIRE(lm.history == std::vector<std::int64_t>{2, 0});
}

TEST_CASE("model_next_row turns spans and strided rows into strided rows", "[core][model]") {
    member_model model;
    STATIC_REQUIRE(codelength::model_row_kind_v<member_model> == codelength::row_kind::logits);
    STATIC_REQUIRE(std::is_same_v<decltype(codelength::model_next_row(model)), strided_row<float>>);
    const auto row = codelength::model_next_row(model);
    CHECK(row.data == model.logits.data());
    CHECK(row.size == 3);
    CHECK(row[2] == 3.0F);
    codelength::model_update(model, 1);
    CHECK(model.last_token == 1);
    CHECK(codelength::model_vocabulary_size(model) == 3);

    const strided_log_probability_model strided;
    STATIC_REQUIRE(codelength::model_row_kind_v<strided_log_probability_model> ==
                   codelength::row_kind::log_probabilities);
    const auto strided_row_view = codelength::model_next_row(strided);
    CHECK(strided_row_view.stride == 2);
    CHECK(strided_row_view[1] == -2.0);
    CHECK(strided_row_view[2] == -3.0);
}

TEMPLATE_TEST_CASE("every row element type is accepted", "[core][model]", float, double, bfloat16, float16) {
    using model = typed_model<TestType>;
    STATIC_REQUIRE(codelength::sequential_categorical_model<model>);
    STATIC_REQUIRE(std::is_same_v<codelength::model_element_t<model>, TestType>);
    STATIC_REQUIRE(codelength::row_element<TestType>);
    model m;
    const auto row = codelength::model_next_row(m);
    STATIC_REQUIRE(std::is_same_v<decltype(row), const strided_row<TestType>>);
    CHECK(row.data == m.logits.data());
    CHECK(row.size == 4);
}

TEST_CASE("binary models", "[core][model]") {
    STATIC_REQUIRE(codelength::binary_model<counting_bit_model>);
    STATIC_REQUIRE(codelength::check_binary_model<counting_bit_model>());
    STATIC_REQUIRE(codelength::model_probability_bits_v<counting_bit_model> == 12);
    STATIC_REQUIRE(!codelength::categorical_model<counting_bit_model>);

    using namespace codelength::detail;
    STATIC_REQUIRE(!codelength::binary_model<bit_model_without_precision>);
    STATIC_REQUIRE(!has_probability_bits<bit_model_without_precision>);
    STATIC_REQUIRE(!codelength::binary_model<bit_model_with_signed_p1>);
    STATIC_REQUIRE(has_p1<bit_model_with_signed_p1>);
    STATIC_REQUIRE(!p1_is_unsigned<bit_model_with_signed_p1>);
    STATIC_REQUIRE(probability_bits_in_range<bit_model_with_signed_p1>); // only p1 is wrong
    STATIC_REQUIRE(bit_model_with_signed_p1::probability_bits == 12);
    STATIC_REQUIRE(!codelength::binary_model<bit_model_with_too_many_bits>);
    STATIC_REQUIRE(has_probability_bits<bit_model_with_too_many_bits>);
    STATIC_REQUIRE(!probability_bits_in_range<bit_model_with_too_many_bits>);
    STATIC_REQUIRE(!codelength::binary_model<bit_model_without_update>);
    STATIC_REQUIRE(!has_bit_update<bit_model_without_update>);

    counting_bit_model model;
    CHECK(codelength::model_p1(model) == 2048U); // 1/2 in 12 bits
    codelength::model_update_bit(model, 1);
    CHECK(codelength::model_p1(model) == (2U << 12U) / 3U);
}
