// Eigen and xtensor adapters: every container is viewed in place (the view's data pointer is
// the container's) and scores exactly like the raw-pointer path with the same layout.
#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "codelength/adapters/eigen.hpp"
#include "codelength/adapters/xtensor.hpp"
#include "codelength/codelength.hpp"
#include "support/catch.hpp"

namespace {

constexpr std::int64_t rows = 23;
constexpr std::int64_t columns = 31;

// Logits in row-major order and one target per row, from a printed seed.
struct fixture {
    std::uint32_t seed = std::random_device{}();
    std::vector<float> row_major = std::vector<float>(static_cast<std::size_t>(rows * columns));
    std::vector<std::int64_t> targets = std::vector<std::int64_t>(static_cast<std::size_t>(rows));

    fixture() {
        std::mt19937 rng(seed);
        std::normal_distribution<float> logit(0.0F, 3.0F);
        for (auto& z : row_major) {
            z = logit(rng);
        }
        std::uniform_int_distribution<std::int64_t> target(0, columns - 1);
        for (auto& t : targets) {
            t = target(rng);
        }
    }
    [[nodiscard]] float at(std::int64_t r, std::int64_t c) const {
        return row_major[static_cast<std::size_t>(r * columns + c)];
    }
    [[nodiscard]] std::vector<float> column_major() const {
        std::vector<float> out(row_major.size());
        for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t c = 0; c < columns; ++c) {
                out[static_cast<std::size_t>(c * rows + r)] = at(r, c);
            }
        }
        return out;
    }
};

// Scores a view with per-token data.
template <class Element>
codelength::score_result score(codelength::matrix_view<Element> view, std::span<const std::int64_t> targets) {
    return codelength::score_logits(view, targets, {.keep_per_token = true});
}

// Same totals and the same per-token surprisals, bit for bit.
void require_same(const codelength::score_result& a, const codelength::score_result& b) {
    REQUIRE(a.ledger.tokens() == b.ledger.tokens());
    CHECK(a.ledger.total_bits() == b.ledger.total_bits());
    CHECK(a.surprisal_bits == b.surprisal_bits);
    CHECK(a.z_scores == b.z_scores);
}

// A user-defined adaptive model over the same logits: row t is the prediction for token t.
struct user_model {
    const float* logits = nullptr;
    std::int64_t position = 0;
    [[nodiscard]] std::int64_t vocabulary_size() const { return columns; }
    [[nodiscard]] std::span<const float> next_logits() const {
        return {logits + position * columns, static_cast<std::size_t>(columns)};
    }
    void update(std::int64_t /*token*/) { ++position; }
};

template <class T>
concept viewable = requires(T&& container) {
    codelength::as_matrix_view(std::forward<T>(container));
};

using row_major_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

} // namespace

TEST_CASE("a user model, an Eigen matrix and an xtensor array score like the raw pointers", "[adapters]") {
    const fixture f;
    INFO("seed = " << f.seed);
    const auto raw =
        score(codelength::matrix_view<float>::row_major(f.row_major.data(), rows, columns), f.targets);

    user_model model{f.row_major.data()};
    const auto from_user_model = codelength::score_sequence(model, f.targets, {.keep_per_token = true});
    require_same(from_user_model, raw);

    const row_major_matrix eigen_logits =
        Eigen::Map<const row_major_matrix>(f.row_major.data(), rows, columns);
    const auto eigen_view = codelength::as_matrix_view(eigen_logits);
    CHECK(eigen_view.data == eigen_logits.data()); // no copy
    CHECK(eigen_view.row_stride == columns);
    CHECK(eigen_view.column_stride == 1);
    require_same(score(eigen_view, f.targets), raw);

    xt::xarray<float> xtensor_logits = xt::adapt(f.row_major, std::vector<std::size_t>{rows, columns});
    const auto xtensor_view = codelength::as_matrix_view(xtensor_logits);
    CHECK(xtensor_view.data == xtensor_logits.data()); // no copy
    require_same(score(xtensor_view, f.targets), raw);

    // Both also become sequential models.
    auto eigen_model = codelength::make_logits_replay(eigen_logits);
    CHECK(codelength::model_next_row(eigen_model).data == eigen_logits.data());
    require_same(codelength::score_sequence(eigen_model, f.targets, {.keep_per_token = true}), raw);
    auto xtensor_model = codelength::make_logits_replay(xtensor_logits);
    CHECK(codelength::model_next_row(xtensor_model).data == xtensor_logits.data());
    require_same(codelength::score_sequence(xtensor_model, f.targets, {.keep_per_token = true}), raw);
}

TEST_CASE("Eigen: column-major, Map with padding, Block, Transpose, Ref", "[adapters][eigen]") {
    const fixture f;
    INFO("seed = " << f.seed);

    SECTION("column-major matrix") {
        const std::vector<float> column_major = f.column_major();
        const Eigen::MatrixXf logits = Eigen::Map<const Eigen::MatrixXf>(column_major.data(), rows, columns);
        const auto view = codelength::as_matrix_view(logits);
        CHECK(view.data == logits.data());
        CHECK(view.row_stride == 1);
        CHECK(view.column_stride == rows);
        const codelength::matrix_view<float> raw{column_major.data(), rows, columns, 1, rows};
        require_same(score(view, f.targets), score(raw, f.targets));
        CHECK(view(4, 7) == f.at(4, 7));
    }
    SECTION("Map of a padded buffer (outer stride)") {
        constexpr std::int64_t padded = columns + 5;
        std::vector<float> buffer(static_cast<std::size_t>(rows * padded), 1e30F); // padding never read
        for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t c = 0; c < columns; ++c) {
                buffer[static_cast<std::size_t>(r * padded + c)] = f.at(r, c);
            }
        }
        const Eigen::Map<const row_major_matrix, 0, Eigen::OuterStride<>> map(buffer.data(), rows, columns,
                                                                              Eigen::OuterStride<>(padded));
        const auto view = codelength::as_matrix_view(map);
        CHECK(view.data == buffer.data());
        CHECK(view.row_stride == padded);
        const codelength::matrix_view<float> raw{buffer.data(), rows, columns, padded, 1};
        require_same(score(view, f.targets), score(raw, f.targets));
    }
    SECTION("Block of rows and Transpose") {
        const row_major_matrix logits = Eigen::Map<const row_major_matrix>(f.row_major.data(), rows, columns);
        const auto block_view = codelength::as_matrix_view(logits.middleRows(3, 10));
        CHECK(block_view.data == logits.data() + 3 * columns);
        CHECK(block_view.rows == 10);
        const auto targets = std::span<const std::int64_t>(f.targets).subspan(3, 10);
        require_same(score(block_view, targets), score(codelength::matrix_view<float>::row_major(
                                                           f.row_major.data() + 3 * columns, 10, columns),
                                                       targets));

        // A V x T column-major matrix transposed is the T x V row-major logits.
        const Eigen::MatrixXf by_column =
            Eigen::Map<const Eigen::MatrixXf>(f.row_major.data(), columns, rows);
        const auto transposed_view = codelength::as_matrix_view(by_column.transpose());
        CHECK(transposed_view.data == by_column.data());
        CHECK(transposed_view.rows == rows);
        CHECK(transposed_view.row_stride == columns);
        CHECK(transposed_view.column_stride == 1);
        require_same(
            score(transposed_view, f.targets),
            score(codelength::matrix_view<float>::row_major(f.row_major.data(), rows, columns), f.targets));
    }
    SECTION("Ref and double scalars") {
        Eigen::MatrixXd logits =
            Eigen::Map<const Eigen::MatrixXf>(f.row_major.data(), rows, columns).cast<double>();
        const Eigen::Ref<const Eigen::MatrixXd> ref(logits);
        const auto view = codelength::as_matrix_view(ref);
        STATIC_REQUIRE(std::is_same_v<decltype(view), const codelength::matrix_view<double>>);
        CHECK(view.data == logits.data());
        const codelength::matrix_view<double> raw{logits.data(), rows, columns, 1, rows};
        require_same(score(view, f.targets), score(raw, f.targets));
    }
    SECTION("temporaries that would dangle are rejected at compile time") {
        STATIC_REQUIRE(viewable<Eigen::MatrixXf&>);
        STATIC_REQUIRE(viewable<const Eigen::MatrixXf&>);
        STATIC_REQUIRE(!viewable<Eigen::MatrixXf>);
        STATIC_REQUIRE(!viewable<Eigen::ArrayXXd>);
        STATIC_REQUIRE(viewable<Eigen::Map<Eigen::MatrixXf>>); // a temporary Map only borrows
    }
}

TEST_CASE("xtensor: layouts, adapted buffers and strided views", "[adapters][xtensor]") {
    const fixture f;
    INFO("seed = " << f.seed);
    const auto raw_row_major = codelength::matrix_view<float>::row_major(f.row_major.data(), rows, columns);

    SECTION("column-major xtensor<double, 2>") {
        const std::vector<float> column_major = f.column_major();
        xt::xtensor<double, 2, xt::layout_type::column_major> logits(
            std::array<std::size_t, 2>{static_cast<std::size_t>(rows), static_cast<std::size_t>(columns)});
        for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t c = 0; c < columns; ++c) {
                logits(static_cast<std::size_t>(r), static_cast<std::size_t>(c)) =
                    static_cast<double>(f.at(r, c));
            }
        }
        const auto view = codelength::as_matrix_view(logits);
        CHECK(view.data == logits.data());
        CHECK(view.row_stride == 1);
        CHECK(view.column_stride == rows);
        std::vector<double> column_major_double(column_major.begin(), column_major.end());
        const codelength::matrix_view<double> raw{column_major_double.data(), rows, columns, 1, rows};
        require_same(score(view, f.targets), score(raw, f.targets));
    }
    SECTION("xt::adapt over the caller's buffer") {
        auto adapted = xt::adapt(
            f.row_major.data(), f.row_major.size(), xt::no_ownership(),
            std::array<std::size_t, 2>{static_cast<std::size_t>(rows), static_cast<std::size_t>(columns)});
        const auto view = codelength::as_matrix_view(adapted);
        CHECK(view.data == f.row_major.data());
        require_same(score(view, f.targets), score(raw_row_major, f.targets));
    }
    SECTION("strided views: a row range, every other column, reversed rows") {
        xt::xarray<float> logits = xt::adapt(f.row_major, std::vector<std::size_t>{rows, columns});

        const auto middle = xt::strided_view(logits, {xt::range(4, 12), xt::all()});
        const auto middle_view = codelength::as_matrix_view(middle);
        CHECK(middle_view.data == logits.data() + 4 * columns);
        CHECK(middle_view.rows == 8);
        const auto middle_targets = std::span<const std::int64_t>(f.targets).subspan(4, 8);
        require_same(
            score(middle_view, middle_targets),
            score(codelength::matrix_view<float>::row_major(f.row_major.data() + 4 * columns, 8, columns),
                  middle_targets));

        const auto strided = xt::strided_view(logits, {xt::all(), xt::range(0, columns, 2)});
        const auto strided_view = codelength::as_matrix_view(strided);
        CHECK(strided_view.data == logits.data());
        CHECK(strided_view.columns == (columns + 1) / 2);
        CHECK(strided_view.column_stride == 2);
        std::vector<std::int64_t> half_targets(f.targets.size());
        for (std::size_t r = 0; r < half_targets.size(); ++r) {
            half_targets[r] = f.targets[r] / 2;
        }
        const codelength::matrix_view<float> raw_strided{f.row_major.data(), rows, (columns + 1) / 2, columns,
                                                         2};
        require_same(score(strided_view, half_targets), score(raw_strided, half_targets));

        using namespace xt::placeholders;
        const auto reversed = xt::strided_view(logits, {xt::range(_, _, -1), xt::all()});
        const auto reversed_view = codelength::as_matrix_view(reversed);
        CHECK(reversed_view.row_stride == -columns);
        CHECK(reversed_view.data == logits.data() + (rows - 1) * columns);
        CHECK(reversed_view(0, 5) == f.at(rows - 1, 5));
        const std::vector<std::int64_t> reversed_targets(f.targets.rbegin(), f.targets.rend());
        const codelength::matrix_view<float> raw_reversed{f.row_major.data() + (rows - 1) * columns, rows,
                                                          columns, -columns, 1};
        require_same(score(reversed_view, reversed_targets), score(raw_reversed, reversed_targets));
    }
    SECTION("a single row and the wrong rank") {
        xt::xarray<float> one_row =
            xt::adapt(f.row_major.data(), static_cast<std::size_t>(columns), xt::no_ownership(),
                      std::vector<std::size_t>{1, static_cast<std::size_t>(columns)});
        const auto view = codelength::as_matrix_view(one_row);
        CHECK(view.rows == 1);
        CHECK(view.row_stride != 0);
        const auto cube = xt::xarray<float>::from_shape({2, 3, 4});
        REQUIRE_THROWS_AS(codelength::as_matrix_view(cube), codelength::invalid_argument_error);
        STATIC_REQUIRE(viewable<xt::xarray<float>&>);
        STATIC_REQUIRE(!viewable<xt::xarray<float>>);
        STATIC_REQUIRE(!viewable<xt::xtensor<float, 2>>);
    }
}
