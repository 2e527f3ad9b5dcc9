// codelength::adapt_npy: xtensor views over read .npy data, without copying (test_io_xtensor).
#include <cstdint>
#include <vector>

#include "codelength/adapters/xtensor_npy.hpp"
#include "codelength/io/io.hpp"
#include "io/npy_test_support.hpp"
#include "support/catch.hpp"

TEST_CASE("adapt_npy views C-order data in place, with the file's shape") {
    const codelength_test::scratch_directory directory;
    std::vector<float> values(2 * 3 * 4);
    for (std::size_t i = 0; i < values.size(); ++i) {
        values[i] = static_cast<float>(i) * 0.5F;
    }
    codelength::write_npy(directory / "cube.npy", values, {2, 3, 4});
    const auto array = codelength::read_npy(directory / "cube.npy", codelength::npy_load_mode::map);
    const auto tensor = codelength::adapt_npy<float>(array);
    REQUIRE(tensor.dimension() == 3);
    CHECK(tensor.shape()[0] == 2);
    CHECK(tensor.shape()[1] == 3);
    CHECK(tensor.shape()[2] == 4);
    CHECK(tensor.data() == array.values<float>().data()); // no copy
    CHECK(tensor(1, 2, 3) == 11.5F);
    CHECK(tensor(0, 1, 0) == 2.0F);
}

TEST_CASE("adapt_npy keeps Fortran layout and outlives the npy_array") {
    const codelength_test::scratch_directory directory;
    const std::vector<double> column_major = {1, 4, 2, 5, 3, 6}; // [[1, 2, 3], [4, 5, 6]]
    codelength::write_npy(directory / "f.npy", column_major, {2, 3}, codelength::npy_memory_order::fortran);
    auto array = codelength::read_npy(directory / "f.npy");
    const auto tensor = codelength::adapt_npy<double>(array);
    array = codelength::npy_array{}; // the adaptor shares ownership of the data
    CHECK(tensor.layout() == xt::layout_type::column_major);
    CHECK(tensor(0, 2) == 3.0);
    CHECK(tensor(1, 0) == 4.0);
    CHECK(tensor(1, 2) == 6.0);
}

TEST_CASE("adapt_npy checks the element type") {
    const codelength_test::scratch_directory directory;
    codelength::write_npy(directory / "i.npy", std::vector<std::int64_t>{1, 2}, {2});
    const auto array = codelength::read_npy(directory / "i.npy");
    REQUIRE_THROWS_AS(codelength::adapt_npy<float>(array), codelength::format_error);
    CHECK(codelength::adapt_npy<std::int64_t>(array)(1) == 2);
}
