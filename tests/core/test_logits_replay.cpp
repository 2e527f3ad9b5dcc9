// logits_replay: precomputed logits replayed row by row as a sequential model.
#include <cstdint>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/models/logits_replay.hpp"
#include "support/catch.hpp"

TEST_CASE("logits_replay is a sequential categorical model", "[core][models]") {
    STATIC_REQUIRE(codelength::sequential_categorical_model<codelength::logits_replay<float>>);
    STATIC_REQUIRE(codelength::sequential_categorical_model<codelength::logits_replay<codelength::bfloat16>>);
    STATIC_REQUIRE(codelength::check_sequential_categorical_model<codelength::logits_replay<double>>());
    STATIC_REQUIRE(codelength::model_row_kind_v<codelength::logits_replay<double>> ==
                   codelength::row_kind::logits);
}

TEST_CASE("logits_replay walks the rows without copying", "[core][models]") {
    // 3 x 2, row-major.
    const std::vector<float> data{0.0F, 1.0F, 2.0F, 3.0F, 4.0F, 5.0F};
    codelength::logits_replay model(codelength::matrix_view<float>::row_major(data.data(), 3, 2));
    STATIC_REQUIRE(std::is_same_v<decltype(model), codelength::logits_replay<float>>);
    CHECK(model.vocabulary_size() == 2);
    CHECK(model.rows() == 3);
    for (std::int64_t r = 0; r < 3; ++r) {
        CHECK(model.position() == r);
        const auto row = codelength::model_next_row(model);
        CHECK(row.data == data.data() + 2 * r); // the matrix's own memory
        CHECK(row.size == 2);
        CHECK(row[1] == static_cast<float>(2 * r + 1));
        codelength::model_update(model, 1);
    }
    CHECK(model.position() == 3);
    REQUIRE_THROWS_AS((void)model.next_logits(), codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(model.update(0), codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(model.update(0), codelength::error);
    model.rewind();
    CHECK(model.position() == 0);
    CHECK(model.next_logits().data == data.data());
}

TEST_CASE("logits_replay reads column-major (strided) matrices", "[core][models]") {
    // The 2 x 3 matrix [[0, 1, 2], [3, 4, 5]] stored column by column.
    const std::vector<double> data{0.0, 3.0, 1.0, 4.0, 2.0, 5.0};
    const codelength::matrix_view<double> view{data.data(), 2, 3, 1, 2};
    codelength::logits_replay model(view);
    auto row = model.next_logits();
    CHECK(row.stride == 2);
    CHECK(row[0] == 0.0);
    CHECK(row[2] == 2.0);
    model.update(2);
    row = model.next_logits();
    CHECK(row[0] == 3.0);
    CHECK(row[2] == 5.0);
}

TEST_CASE("logits_replay rejects bad shapes and tokens", "[core][models]") {
    const std::vector<float> data{0.0F, 1.0F};
    REQUIRE_THROWS_AS(codelength::logits_replay(codelength::matrix_view<float>{data.data(), 1, 0, 0, 1}),
                      codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(codelength::logits_replay(codelength::matrix_view<float>{nullptr, 1, 2, 2, 1}),
                      codelength::invalid_argument_error);
    codelength::logits_replay model(codelength::matrix_view<float>::row_major(data.data(), 1, 2));
    REQUIRE_THROWS_AS(model.update(2), codelength::target_out_of_range_error);
    REQUIRE_THROWS_AS(model.update(-1), codelength::target_out_of_range_error);
    CHECK(model.position() == 0); // a rejected update does not move
    // An empty matrix is a valid model that has nothing to replay.
    codelength::logits_replay empty(codelength::matrix_view<float>{nullptr, 0, 5, 5, 1});
    CHECK(empty.vocabulary_size() == 5);
    REQUIRE_THROWS_AS((void)empty.next_logits(), codelength::invalid_argument_error);
}
