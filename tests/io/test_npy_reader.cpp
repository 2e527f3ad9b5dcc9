// read_npy against files numpy wrote (every dtype, order, byte order, format version) and
// against broken files made here (truncated, trailing bytes, bad headers, misaligned data).
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "codelength/io/io.hpp"
#include "io/npy_test_support.hpp"
#include "support/catch.hpp"

using codelength::format_error;
using codelength::io_error;
using codelength::npy_array;
using codelength::npy_dtype;
using codelength::npy_load_mode;
using codelength::read_npy;
using codelength_test::contains;
using codelength_test::craft_npy;
using codelength_test::error_message;
using codelength_test::npy_fixture;

namespace {

constexpr npy_load_mode both_modes[] = {npy_load_mode::read, npy_load_mode::map};

// Checks the (3, 4) grid through matrix<Element>(): matches(value, k) with k = 4 * row + column.
template <class Element, class Matches>
void check_grid(const npy_array& array, Matches matches) {
    const auto matrix = array.matrix<Element>();
    REQUIRE(matrix.rows == 3);
    REQUIRE(matrix.columns == 4);
    for (std::int64_t row = 0; row < 3; ++row) {
        for (std::int64_t column = 0; column < 4; ++column) {
            CHECK(matches(matrix(row, column), 4 * row + column));
        }
    }
}

void check_grid_values(const npy_array& array, std::string_view code) {
    using namespace codelength_test;
    const auto signed_matches = [](auto value, std::int64_t k) {
        return static_cast<std::int64_t>(value) == grid_signed(k);
    };
    const auto unsigned_matches = [](auto value, std::int64_t k) {
        return static_cast<std::uint64_t>(value) == grid_unsigned(k);
    };
    const auto float_matches = [](auto value, std::int64_t k) {
        return static_cast<double>(codelength::widen(value)) == grid_float(k);
    };
    if (code == "b1") {
        check_grid<bool>(array, [](bool value, std::int64_t k) { return value == grid_bool(k); });
    } else if (code == "i1") {
        check_grid<std::int8_t>(array, signed_matches);
    } else if (code == "u1") {
        check_grid<std::uint8_t>(array, unsigned_matches);
    } else if (code == "i2") {
        check_grid<std::int16_t>(array, signed_matches);
    } else if (code == "u2") {
        check_grid<std::uint16_t>(array, unsigned_matches);
    } else if (code == "i4") {
        check_grid<std::int32_t>(array, signed_matches);
    } else if (code == "u4") {
        check_grid<std::uint32_t>(array, unsigned_matches);
    } else if (code == "i8") {
        check_grid<std::int64_t>(array, signed_matches);
    } else if (code == "u8") {
        check_grid<std::uint64_t>(array, unsigned_matches);
    } else if (code == "f2") {
        check_grid<codelength::float16>(array, float_matches);
    } else if (code == "f4") {
        check_grid<float>(array, float_matches);
    } else {
        REQUIRE(code == "f8");
        check_grid<double>(array, float_matches);
    }
}

// A valid (3, 4) float32 file image holding 0, 1, ..., 11: 128 header bytes + 48 data bytes.
std::vector<std::byte> valid_f4_image() {
    std::vector<float> values(12);
    for (std::size_t i = 0; i < values.size(); ++i) {
        values[i] = static_cast<float>(i);
    }
    return craft_npy(std::string("{'descr': '") + codelength_test::native_order_mark() +
                         "f4', 'fortran_order': False, 'shape': (3, 4), }",
                     codelength_test::bytes_of(values));
}

} // namespace

TEST_CASE("read_npy reads numpy's files in every dtype, order, byte order and version") {
    struct dtype_case {
        const char* code;
        npy_dtype dtype;
    };
    const dtype_case cases[] = {
        {"b1", npy_dtype::boolean}, {"i1", npy_dtype::int8},    {"u1", npy_dtype::uint8},
        {"i2", npy_dtype::int16},   {"u2", npy_dtype::uint16},  {"i4", npy_dtype::int32},
        {"u4", npy_dtype::uint32},  {"i8", npy_dtype::int64},   {"u8", npy_dtype::uint64},
        {"f2", npy_dtype::float16}, {"f4", npy_dtype::float32}, {"f8", npy_dtype::float64},
    };
    const std::string_view foreign = std::endian::native == std::endian::little ? "be" : "le";
    int files_checked = 0;
    for (const dtype_case& dtype_case : cases) {
        for (const std::string_view order : {"C", "F"}) {
            for (const std::string_view endian : {"le", "be"}) {
                for (const int version : {1, 2, 3}) {
                    const std::string name = std::string("grid_") + dtype_case.code + "_" +
                                             std::string(order) + "_" + std::string(endian) + "_v" +
                                             std::to_string(version) + ".npy";
                    for (const npy_load_mode mode : both_modes) {
                        const npy_array array = read_npy(npy_fixture(name), mode);
                        const bool fortran = order == "F";
                        const bool swapped = array.header().item_size_bytes() > 1 && endian == foreign;
                        CHECK(array.dtype() == dtype_case.dtype);
                        CHECK(array.shape() == std::vector<std::int64_t>{3, 4});
                        CHECK(array.ndim() == 2);
                        CHECK(array.element_count() == 12);
                        CHECK(array.fortran_order() == fortran);
                        CHECK(array.header().major_version == version);
                        CHECK(array.header().needs_byte_swap() == swapped);
                        // Foreign-endian data is byte-swapped into an owned buffer, never mapped.
                        CHECK(array.is_memory_mapped() == (mode == npy_load_mode::map && !swapped));
                        CHECK(array.strides_elements() ==
                              (fortran ? std::vector<std::int64_t>{1, 3} : std::vector<std::int64_t>{4, 1}));
                        CHECK(array.data_bytes().size() == 12 * array.header().item_size_bytes());
                        check_grid_values(array, dtype_case.code);
                        ++files_checked;
                    }
                }
            }
        }
    }
    CHECK(files_checked == 12 * 2 * 2 * 3 * 2);
}

TEST_CASE("matrix() views Fortran order without copying and flattens C-order (B, T, V)") {
    SECTION("Fortran (T, V): row_stride 1, column_stride T, in the mapped data") {
        const auto array = read_npy(npy_fixture("grid_f4_F_le_v1.npy"), npy_load_mode::map);
        const auto matrix = array.matrix<float>();
        CHECK(matrix.row_stride == 1);
        CHECK(matrix.column_stride == 3);
        CHECK(matrix.data == array.values<float>().data());
        CHECK(static_cast<const void*>(matrix.data) == static_cast<const void*>(array.data_bytes().data()));
        CHECK(array.is_memory_mapped());
        const auto row = matrix.row(1);
        CHECK(row.size == 4);
        CHECK(row.stride == 3);
        CHECK(row[2] == Catch::Approx(codelength_test::grid_float(6)));
    }
    SECTION("C order (2, 3, 4) is viewed as (6, 4)") {
        const auto array = read_npy(npy_fixture("cube_f4_C.npy"));
        CHECK(array.strides_elements() == std::vector<std::int64_t>{12, 4, 1});
        const auto matrix = array.matrix<float>();
        CHECK(matrix.rows == 6);
        CHECK(matrix.columns == 4);
        CHECK(matrix.row_stride == 4);
        CHECK(matrix.column_stride == 1);
        CHECK(matrix(5, 3) == 23.0F);
        CHECK(matrix(4, 1) == 17.0F);
    }
    SECTION("Fortran order (2, 3, 4) has no view in place; 0-d and 1-d are not matrices") {
        const auto cube = read_npy(npy_fixture("cube_f4_F.npy"));
        CHECK(cube.strides_elements() == std::vector<std::int64_t>{1, 2, 6});
        CHECK(cube.values<float>()[1] == 12.0F); // element (1, 0, 0)
        REQUIRE_THROWS_AS(cube.matrix<float>(), format_error);
        const std::string message = error_message([&] { (void)cube.matrix<float>(); });
        CHECK(contains(message, "cube_f4_F.npy: shape (2, 3, 4) in Fortran order"));
        CHECK(!contains(message, "matrix()"));
        const auto vector = read_npy(npy_fixture("vector_i4.npy"));
        REQUIRE_THROWS_AS(vector.matrix<std::int32_t>(), format_error);
        CHECK(contains(error_message([&] { (void)vector.matrix<std::int32_t>(); }),
                       "vector_i4.npy: expected a matrix (T, V) or (B, T, V), found shape (5,)"));
        const auto scalar = read_npy(npy_fixture("scalar_f8.npy"));
        REQUIRE_THROWS_AS(scalar.matrix<double>(), format_error);
    }
}

TEST_CASE("read_npy handles 0-d, 1-d, empty, many-dimensional and huge-header files") {
    for (const npy_load_mode mode : both_modes) {
        const auto scalar = read_npy(npy_fixture("scalar_f8.npy"), mode);
        CHECK(scalar.shape().empty());
        CHECK(scalar.strides_elements().empty());
        REQUIRE(scalar.values<double>().size() == 1);
        CHECK(scalar.values<double>()[0] == 3.5);

        const auto vector = read_npy(npy_fixture("vector_i4.npy"), mode);
        CHECK(vector.shape() == std::vector<std::int64_t>{5});
        CHECK(vector.to_int64() == std::vector<std::int64_t>{-2, -1, 0, 1, 2});

        const auto empty = read_npy(npy_fixture("empty_f4.npy"), mode);
        CHECK(empty.shape() == std::vector<std::int64_t>{0, 3});
        CHECK(empty.values<float>().empty());
        CHECK(empty.data_bytes().empty());
        const auto empty_matrix = empty.matrix<float>();
        CHECK(empty_matrix.rows == 0);
        CHECK(empty_matrix.columns == 3);

        // A header longer than 127 bytes.
        const auto many = read_npy(npy_fixture("many_dims_f4.npy"), mode);
        CHECK(many.header().data_offset_bytes > 128);
        CHECK(many.ndim() == 22);
        CHECK(many.element_count() == 6);
        CHECK(many.matrix<float>().rows == 2);
        CHECK(many.values<float>()[5] == 5.0F);

        // A version 2.0 header longer than 65535 bytes.
        const auto huge = read_npy(npy_fixture("huge_header_v2.npy"), mode);
        CHECK(huge.header().major_version == 2);
        CHECK(huge.header().data_offset_bytes == 70000);
        const auto values = huge.values<double>();
        REQUIRE(values.size() == 4);
        CHECK(values[0] == 1.5);
        CHECK(values[1] == -2.0);
        CHECK(values[2] == 0.25);
        CHECK(values[3] == 8.0);
    }
}

TEST_CASE("read_npy memory-maps large files and reads small ones") {
    const auto path = npy_fixture("large_f4.npy");
    const auto automatic = read_npy(path);
    CHECK(automatic.is_memory_mapped() == (CODELENGTH_IO_HAS_MMAP != 0));
    const auto read = read_npy(path, npy_load_mode::read);
    CHECK(!read.is_memory_mapped());
    const auto mapped_values = automatic.values<float>();
    const auto read_values = read.values<float>();
    REQUIRE(mapped_values.size() == std::size_t{512} * 1024);
    REQUIRE(read_values.size() == mapped_values.size());
    for (std::size_t k = 0; k < mapped_values.size(); k += 997) {
        CHECK(mapped_values[k] == static_cast<float>(k % 4096) / 4.0F);
        CHECK(read_values[k] == mapped_values[k]);
    }
    CHECK(reinterpret_cast<std::uintptr_t>(mapped_values.data()) % 64 == 0);
    CHECK(!read_npy(npy_fixture("grid_f4_C_le_v1.npy")).is_memory_mapped());

    // Copies share the mapping; it outlives the original.
    npy_array copy;
    {
        const auto original = read_npy(path, npy_load_mode::map);
        copy = original;
    }
    CHECK(copy.values<float>()[4097] == 0.25F);
    CHECK(copy.shared_storage() != nullptr);
}

TEST_CASE("values<T>() checks the element type and reads u2 as uint16 or bfloat16") {
    const auto words = read_npy(npy_fixture("bf16_words_u2.npy"));
    CHECK(words.dtype() == npy_dtype::uint16);
    const auto bf16 = words.values<codelength::bfloat16>();
    REQUIRE(bf16.size() == 5);
    CHECK(bf16[0].to_float() == 1.0F);
    CHECK(bf16[1].to_float() == -2.5F);
    CHECK(bf16[2].to_float() == 0.15625F);
    CHECK(bf16[3].to_float() == 65536.0F);
    CHECK(bf16[4].to_float() == -std::numeric_limits<float>::infinity());
    CHECK(words.values<std::uint16_t>()[0] == 0x3f80);
    REQUIRE_THROWS_AS(words.values<float>(), format_error);
    REQUIRE_THROWS_AS(words.values<codelength::float16>(), format_error);
    REQUIRE_THROWS_AS(words.values<std::int16_t>(), format_error);
    const std::string message = error_message([&] { (void)words.values<float>(); });
    CHECK(
        contains(message, "bf16_words_u2.npy: expected float32 elements, but the array holds uint16 ('u2')"));
    CHECK(!contains(message, "values<"));

    const auto grid = read_npy(npy_fixture("grid_f8_C_le_v1.npy"));
    REQUIRE_THROWS_AS(grid.values<float>(), format_error);
    REQUIRE_THROWS_AS(grid.matrix<float>(), format_error);
}

TEST_CASE("big-endian IEEE half specials are swapped and widened exactly") {
    for (const npy_load_mode mode : both_modes) {
        const auto halves = read_npy(npy_fixture("f2_specials_be.npy"), mode);
        CHECK(halves.header().byte_order == std::endian::big);
        CHECK(!halves.is_memory_mapped());
        const auto values = halves.values<codelength::float16>();
        REQUIRE(values.size() == 5);
        CHECK(values[0].to_float() == 1.0F);
        CHECK(values[1].to_float() == 0.0F);
        CHECK(std::signbit(values[1].to_float()));
        CHECK(values[2].to_float() == 65504.0F);
        CHECK(values[3].to_float() == std::numeric_limits<float>::infinity());
        CHECK(values[4].to_float() == std::ldexp(1.0F, -24));
    }
}

TEST_CASE("to_int64() widens integer dtypes with range checks") {
    CHECK(read_npy(npy_fixture("targets_i2.npy")).to_int64() == std::vector<std::int64_t>{-3, 0, 32767});
    CHECK(read_npy(npy_fixture("grid_u4_F_be_v2.npy")).to_int64()[1] ==
          static_cast<std::int64_t>(codelength_test::grid_unsigned(1))); // C order: (0, 1)
    CHECK(read_npy(npy_fixture("grid_b1_C_le_v1.npy")).to_int64()[3] == 1);
    const auto too_big = read_npy(npy_fixture("targets_u8_too_big.npy"));
    REQUIRE_THROWS_AS(too_big.to_int64(), format_error);
    const std::string message = error_message([&] { (void)too_big.to_int64(); });
    CHECK(contains(message, "targets_u8_too_big.npy"));
    CHECK(contains(message, "element 1 is 9223372036854775808"));
    REQUIRE_THROWS_AS(read_npy(npy_fixture("grid_f4_C_le_v1.npy")).to_int64(), format_error);
    const std::string float_message =
        error_message([] { (void)read_npy(npy_fixture("grid_f4_C_le_v1.npy")).to_int64(); });
    CHECK(contains(float_message,
                   "grid_f4_C_le_v1.npy: expected integers, but the array holds float32 ('f4')"));
    CHECK(!contains(float_message, "to_int64"));
}

TEST_CASE("read_npy rejects broken files with the path and the byte offset") {
    const codelength_test::scratch_directory directory;
    const auto valid = valid_f4_image(); // 128 header bytes + 48 data bytes
    const auto path = directory / "broken.npy";
    const auto write = [&](const std::vector<std::byte>& bytes) {
        codelength_test::write_file_bytes(path, bytes);
    };
    const auto failure = [&](npy_load_mode mode) {
        return error_message([&] { (void)read_npy(path, mode); });
    };

    SECTION("the valid image reads in both modes") {
        write(valid);
        for (const npy_load_mode mode : both_modes) {
            const npy_array array = read_npy(path, mode);
            CHECK(array.values<float>()[11] == 11.0F);
        }
    }
    SECTION("truncated data") {
        write(std::vector<std::byte>(valid.begin(), valid.end() - 5));
        for (const npy_load_mode mode : both_modes) {
            REQUIRE_THROWS_AS(read_npy(path, mode), format_error);
            const std::string message = failure(mode);
            CHECK(contains(message, path.string() + ": byte offset 171: truncated data"));
            CHECK(contains(message, "needs 48 data bytes from byte offset 128"));
            CHECK(contains(message, "5 bytes missing"));
        }
    }
    SECTION("data missing entirely") {
        write(std::vector<std::byte>(valid.begin(), valid.begin() + 128));
        for (const npy_load_mode mode : both_modes) {
            REQUIRE_THROWS_AS(read_npy(path, mode), format_error);
        }
    }
    SECTION("extra trailing bytes") {
        auto longer = valid;
        longer.resize(valid.size() + 3, std::byte{0});
        write(longer);
        for (const npy_load_mode mode : both_modes) {
            REQUIRE_THROWS_AS(read_npy(path, mode), format_error);
            const std::string message = failure(mode);
            CHECK(contains(message, path.string() + ": byte offset 176: 3 unexpected trailing bytes"));
        }
    }
    SECTION("truncated header") {
        write(std::vector<std::byte>(valid.begin(), valid.begin() + 40));
        for (const npy_load_mode mode : both_modes) {
            REQUIRE_THROWS_AS(read_npy(path, mode), format_error);
            CHECK(contains(failure(mode), "header length 118 runs past the end"));
        }
    }
    SECTION("header length beyond the file") {
        auto image = valid;
        image[9] = std::byte{0x7f};
        write(image);
        for (const npy_load_mode mode : both_modes) {
            REQUIRE_THROWS_AS(read_npy(path, mode), format_error);
            CHECK(contains(failure(mode), path.string() + ": byte offset 10: header length"));
        }
    }
    SECTION("empty file, bad magic, bad version") {
        write({});
        for (const npy_load_mode mode : both_modes) {
            REQUIRE_THROWS_AS(read_npy(path, mode), format_error);
        }
        auto image = valid;
        image[0] = std::byte{'P'};
        write(image);
        for (const npy_load_mode mode : both_modes) {
            REQUIRE_THROWS_AS(read_npy(path, mode), format_error);
            CHECK(contains(failure(mode), "bad magic"));
        }
        image = valid;
        image[6] = std::byte{9};
        write(image);
        for (const npy_load_mode mode : both_modes) {
            REQUIRE_THROWS_AS(read_npy(path, mode), format_error);
        }
    }
    SECTION("shape overflow and negative dimensions") {
        write(craft_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, "
                        "4611686018427387904), }"));
        for (const npy_load_mode mode : both_modes) {
            REQUIRE_THROWS_AS(read_npy(path, mode), format_error);
            CHECK(contains(failure(mode), path.string()));
        }
        write(craft_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }"));
        for (const npy_load_mode mode : both_modes) {
            REQUIRE_THROWS_AS(read_npy(path, mode), format_error);
        }
        // An absurd but representable size is rejected against the file size, before allocating.
        write(craft_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (9223372036854775807,), }"));
        for (const npy_load_mode mode : both_modes) {
            REQUIRE_THROWS_AS(read_npy(path, mode), format_error);
        }
    }
    SECTION("a bool array holding something other than 0 or 1") {
        const std::vector<std::uint8_t> flags = {1, 0, 2};
        write(craft_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                        codelength_test::bytes_of(flags)));
        for (const npy_load_mode mode : both_modes) {
            REQUIRE_THROWS_AS(read_npy(path, mode), format_error);
            CHECK(contains(failure(mode), "byte offset 130: bool element 2 is 2"));
        }
    }
}

TEST_CASE("read_npy copies misaligned data instead of reading it unaligned") {
    const codelength_test::scratch_directory directory;
    const auto path = directory / "misaligned.npy";
    const std::vector<double> values = {0.5, -1.25, 3.0};
    // alignment 1: the data starts right after the '\n', at an odd offset.
    const std::string dict = std::string("{'descr': '") + codelength_test::native_order_mark() +
                             "f8', 'fortran_order': False, 'shape': (3,), }";
    auto image = craft_npy(dict, codelength_test::bytes_of(values), 1, 1);
    if ((image.size() - 24) % 8 == 0) { // make sure the offset really is misaligned
        image = craft_npy(dict, codelength_test::bytes_of(values), 1, 1, 1);
    }
    codelength_test::write_file_bytes(path, image);
    for (const npy_load_mode mode : both_modes) {
        const auto array = read_npy(path, mode);
        CHECK(array.header().data_offset_bytes % 8 != 0);
        CHECK(!array.is_memory_mapped());
        const auto read_values = array.values<double>();
        CHECK(reinterpret_cast<std::uintptr_t>(read_values.data()) % alignof(double) == 0);
        CHECK(std::vector<double>(read_values.begin(), read_values.end()) == values);
    }
}

TEST_CASE("read_npy reports files it cannot open as io_error naming the path") {
    const codelength_test::scratch_directory directory;
    const auto missing = directory / "does_not_exist.npy";
    for (const npy_load_mode mode : both_modes) {
        REQUIRE_THROWS_AS(read_npy(missing, mode), io_error);
        CHECK(contains(error_message([&] { (void)read_npy(missing, mode); }), missing.string()));
        REQUIRE_THROWS_AS(read_npy(directory.path(), mode), io_error);
    }
}

namespace {

// Whether matrix<float>() / values<float>() / data_bytes() can be called on an Array expression.
template <class Array>
concept matrix_callable = requires(Array&& array) {
    std::forward<Array>(array).template matrix<float>();
};
template <class Array>
concept values_callable = requires(Array&& array) {
    std::forward<Array>(array).template values<float>();
};
template <class Array>
concept data_bytes_callable = requires(Array&& array) {
    std::forward<Array>(array).data_bytes();
};
// Whether the view of a temporary read_npy(path) result can be taken (the old doc example).
template <class Path>
concept view_of_temporary_compiles = requires(const Path& path) {
    codelength::read_npy(path).template matrix<float>();
};

} // namespace

TEST_CASE("views of an npy_array are taken from lvalues only: a temporary's view does not compile") {
    // The old documented example, `read_npy("logits.npy").matrix<float>()`, kept a view into a
    // destroyed temporary (a segfault when mapped, heap-use-after-free otherwise).
    STATIC_REQUIRE(!view_of_temporary_compiles<std::filesystem::path>);
    STATIC_REQUIRE(matrix_callable<npy_array&>);
    STATIC_REQUIRE(matrix_callable<const npy_array&>);
    STATIC_REQUIRE(!matrix_callable<npy_array>);
    STATIC_REQUIRE(!matrix_callable<npy_array&&>);
    STATIC_REQUIRE(!matrix_callable<const npy_array&&>);
    STATIC_REQUIRE(values_callable<const npy_array&>);
    STATIC_REQUIRE(!values_callable<npy_array>);
    STATIC_REQUIRE(!values_callable<const npy_array&&>);
    STATIC_REQUIRE(data_bytes_callable<const npy_array&>);
    STATIC_REQUIRE(!data_bytes_callable<npy_array>);
    // Accessors of a temporary that would return references return copies instead.
    STATIC_REQUIRE(std::is_same_v<decltype(std::declval<npy_array>().shape()), std::vector<std::int64_t>>);
    STATIC_REQUIRE(
        std::is_same_v<decltype(std::declval<const npy_array&>().shape()), const std::vector<std::int64_t>&>);
    STATIC_REQUIRE(std::is_same_v<decltype(std::declval<npy_array>().path()), std::filesystem::path>);
    STATIC_REQUIRE(std::is_same_v<decltype(std::declval<npy_array>().header()), codelength::npy_header>);

    // The documented use: keep the array, view it.
    for (const npy_load_mode mode : both_modes) {
        const npy_array array = read_npy(npy_fixture("large_f4.npy"), mode);
        const codelength::matrix_view<float> logits = array.matrix<float>();
        REQUIRE(logits.rows == 512);
        CHECK(logits(1, 2) == static_cast<float>((1024 + 2) % 4096) / 4.0F);
        for (const std::int64_t dimension : read_npy(npy_fixture("large_f4.npy"), mode).shape()) {
            CHECK((dimension == 512 || dimension == 1024)); // the temporary's shape is a copy
        }
    }
}

TEST_CASE("to_c_order() copies Fortran-order arrays into C order and shares C-order ones") {
    for (const npy_load_mode mode : both_modes) {
        const auto fortran = read_npy(npy_fixture("cube_f4_F.npy"), mode);
        const npy_array c_order = fortran.to_c_order();
        CHECK(!c_order.fortran_order());
        CHECK(fortran.fortran_order()); // the original is unchanged
        CHECK(c_order.shape() == std::vector<std::int64_t>{2, 3, 4});
        CHECK(c_order.path() == fortran.path());
        CHECK(!c_order.is_memory_mapped());
        const auto values = c_order.values<float>();
        REQUIRE(values.size() == 24);
        for (std::size_t k = 0; k < values.size(); ++k) {
            CHECK(values[k] == static_cast<float>(k)); // numpy's np.arange(24).reshape(2, 3, 4)
        }
        const auto matrix = c_order.matrix<float>();
        CHECK(matrix.rows == 6);
        CHECK(matrix(4, 1) == 17.0F); // element (1, 1, 1)

        const auto hyper = read_npy(npy_fixture("hyper_i8_F_be.npy"), mode);
        const npy_array hyper_c = hyper.to_c_order();
        const auto hyper_values = hyper_c.values<std::int64_t>();
        REQUIRE(hyper_values.size() == 120);
        for (std::size_t k = 0; k < hyper_values.size(); ++k) {
            CHECK(hyper_values[k] == static_cast<std::int64_t>(k));
        }

        const auto c_cube = read_npy(npy_fixture("cube_f4_C.npy"), mode);
        const npy_array shared = c_cube.to_c_order();
        CHECK(shared.values<float>().data() == c_cube.values<float>().data());
    }

    SECTION("at most one dimension above 1: the same bytes in both orders, shared") {
        const codelength_test::scratch_directory directory;
        const auto path = directory / "degenerate.npy";
        const std::vector<std::int16_t> words = {1, 2, 3, 4, 5};
        for (const char* shape : {"(1, 5)", "(5, 1)", "(1, 1, 5)", "(5,)"}) {
            codelength_test::write_file_bytes(
                path, craft_npy(std::string("{'descr': '") + codelength_test::native_order_mark() +
                                    "i2', 'fortran_order': True, 'shape': " + shape + ", }",
                                codelength_test::bytes_of(words)));
            const npy_array array = read_npy(path);
            const npy_array c_order = array.to_c_order();
            CHECK(!c_order.fortran_order());
            CHECK(c_order.values<std::int16_t>().data() == array.values<std::int16_t>().data());
            CHECK(c_order.to_int64() == std::vector<std::int64_t>{1, 2, 3, 4, 5});
            CHECK(array.to_int64() == std::vector<std::int64_t>{1, 2, 3, 4, 5});
        }
        codelength_test::write_file_bytes(
            path, craft_npy(std::string("{'descr': '") + codelength_test::native_order_mark() +
                            "f4', 'fortran_order': True, 'shape': (0, 3, 2), }"));
        const npy_array empty = read_npy(path);
        const npy_array empty_c_order = empty.to_c_order();
        CHECK(empty_c_order.values<float>().empty());
        CHECK(empty.to_c_order().shape() == std::vector<std::int64_t>{0, 3, 2});
    }
    CHECK(npy_array().to_c_order().element_count() == npy_array().element_count());
}

TEST_CASE("to_int64() returns C order whatever the file's order (targets saved by np.asfortranarray)") {
    for (const npy_load_mode mode : both_modes) {
        const auto targets = read_npy(npy_fixture("targets_i4_F.npy"), mode);
        REQUIRE(targets.fortran_order());
        CHECK(targets.values<std::int32_t>()[1] == 10); // storage order: element (1, 0)
        CHECK(targets.to_int64() == std::vector<std::int64_t>{0, 1, 2, 10, 11, 12});
        const auto hyper = read_npy(npy_fixture("hyper_i8_F_be.npy"), mode).to_int64();
        REQUIRE(hyper.size() == 120);
        for (std::size_t k = 0; k < hyper.size(); ++k) {
            CHECK(hyper[k] == static_cast<std::int64_t>(k));
        }
        // Every grid fixture in Fortran order reads as numpy's row-major values.
        for (const char* code : {"b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8"}) {
            const auto f =
                read_npy(npy_fixture(std::string("grid_") + code + "_F_be_v1.npy"), mode).to_int64();
            const auto c =
                read_npy(npy_fixture(std::string("grid_") + code + "_C_le_v1.npy"), mode).to_int64();
            CHECK(f == c);
        }
    }
}

TEST_CASE("bfloat16 words are read from uint16 and from the int16 torch gives") {
    for (const npy_load_mode mode : both_modes) {
        const auto unsigned_words = read_npy(npy_fixture("bf16_words_u2.npy"), mode);
        const auto signed_words = read_npy(npy_fixture("bf16_words_i2.npy"), mode);
        CHECK(signed_words.dtype() == npy_dtype::int16);
        const auto from_u2 = unsigned_words.values<codelength::bfloat16>();
        const auto from_i2 = signed_words.values<codelength::bfloat16>();
        REQUIRE(from_i2.size() == 5);
        for (std::size_t i = 0; i < from_i2.size(); ++i) {
            CHECK(from_i2[i].to_float() == from_u2[i].to_float());
        }
        CHECK(from_i2[1].to_float() == -2.5F); // sign bit set: a negative int16
        CHECK(signed_words.values<std::int16_t>()[1] < 0);
        REQUIRE_THROWS_AS(signed_words.values<std::uint16_t>(), format_error);
        REQUIRE_THROWS_AS(signed_words.values<codelength::float16>(), format_error);
    }
}

TEST_CASE("npy_c_order_index_string names an element as numpy indexes it") {
    using codelength::npy_c_order_index_string;
    CHECK(npy_c_order_index_string(std::vector<std::int64_t>{2, 5}, 7) == "(1, 2)");
    CHECK(npy_c_order_index_string(std::vector<std::int64_t>{5}, 3) == "3");
    CHECK(npy_c_order_index_string(std::vector<std::int64_t>{2, 3, 4}, 23) == "(1, 2, 3)");
    CHECK(npy_c_order_index_string(std::vector<std::int64_t>{}, 0) == "()");
}

TEST_CASE("parse_npy reads a file already in memory (a pipe) and names it in errors") {
    const std::vector<std::int64_t> shape{2, 3};
    const std::vector<float> values{1.0F, 2.0F, 3.0F, 4.0F, 5.0F, 6.0F};
    std::vector<std::byte> file = codelength::detail::make_npy_header(codelength::npy_dtype::float32, shape,
                                                                      codelength::npy_memory_order::fortran);
    const auto data = std::as_bytes(std::span(values));
    file.insert(file.end(), data.begin(), data.end());

    const codelength::npy_array array = codelength::parse_npy(file, "stdin");
    REQUIRE(array.path() == "stdin");
    REQUIRE(array.shape() == shape);
    REQUIRE_FALSE(array.is_memory_mapped());
    const codelength::matrix_view<float> matrix = array.matrix<float>();
    REQUIRE(matrix(1, 0) == 2.0F); // Fortran order: element (1, 0) is the second in memory
    REQUIRE(matrix(0, 2) == 5.0F);

    // One byte short: the message names the stream and says "1 byte", not "1 bytes".
    file.pop_back();
    try {
        (void)codelength::parse_npy(file, "stdin");
        FAIL("no error");
    } catch (const codelength::format_error& e) {
        const std::string message = e.what();
        CHECK(message.rfind("stdin", 0) == 0);
        CHECK(message.find("(1 byte missing)") != std::string::npos);
    }
}
