// write_npy: round trips through read_npy for every element type, the header layout, and the
// guarantee that no half-written or temporary file is left behind.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "codelength/io/io.hpp"
#include "io/npy_test_support.hpp"
#include "support/catch.hpp"

using codelength::invalid_argument_error;
using codelength::io_error;
using codelength::npy_load_mode;
using codelength::read_npy;
using codelength::write_npy;
using codelength_test::contains;
using codelength_test::error_message;

namespace {

// Bitwise equality, so float16/bfloat16 words and -0.0 compare exactly.
template <class Element>
bool same_bits(std::span<const Element> left, const std::vector<Element>& right) {
    if (left.size() != right.size()) {
        return false;
    }
    return right.empty() || std::memcmp(left.data(), right.data(), right.size() * sizeof(Element)) == 0;
}

template <class Element>
void check_round_trip(const codelength_test::scratch_directory& directory,
                      const std::vector<Element>& values) {
    const auto path =
        directory / (std::string(codelength::npy_type_code(codelength::npy_traits<Element>::dtype)) + ".npy");
    const std::vector<std::int64_t> shape = {2, static_cast<std::int64_t>(values.size() / 2)};
    write_npy(path, values, shape);
    for (const npy_load_mode mode : {npy_load_mode::read, npy_load_mode::map}) {
        const auto array = read_npy(path, mode);
        CHECK(array.dtype() == codelength::npy_traits<Element>::dtype);
        CHECK(array.shape() == shape);
        CHECK(!array.fortran_order());
        CHECK(same_bits(array.values<Element>(), values));
    }
}

} // namespace

TEST_CASE("write_npy round-trips every element type through read_npy") {
    const codelength_test::scratch_directory directory;
    check_round_trip<float>(directory, {0.5F, -1.0F, std::numeric_limits<float>::max(), -0.0F});
    check_round_trip<double>(directory, {0.1, -2.0, std::numeric_limits<double>::denorm_min(), 1e300});
    check_round_trip<std::int64_t>(directory, {std::numeric_limits<std::int64_t>::min(), -1, 0, 1LL << 62});
    check_round_trip<std::int32_t>(directory, {std::numeric_limits<std::int32_t>::min(), -1, 0, 7});
    check_round_trip<std::int16_t>(directory, {-32768, 32767});
    check_round_trip<std::uint16_t>(directory, {0, 65535});
    check_round_trip<std::uint32_t>(directory, {0, 4294967295U});
    check_round_trip<std::uint64_t>(directory, {0, std::numeric_limits<std::uint64_t>::max()});
    check_round_trip<std::int8_t>(directory, {-128, 127});
    check_round_trip<std::uint8_t>(directory, {0, 255});
    // std::vector<bool> is not contiguous: bools are written from a plain array.
    const bool flags[] = {true, false, false, true};
    write_npy(directory / "b1.npy", flags, {4});
    const auto bool_array = read_npy(directory / "b1.npy");
    const auto bools = bool_array.values<bool>();
    CHECK(std::vector<bool>(bools.begin(), bools.end()) == std::vector<bool>{true, false, false, true});
    check_round_trip<codelength::float16>(
        directory, {codelength::float16::from_float(0.5F), codelength::float16::from_float(-65504.0F)});
    // bfloat16 is stored as 'u2' words and read back as bfloat16 or as uint16.
    const std::vector<codelength::bfloat16> bf16 = {codelength::bfloat16::from_float(1.0F),
                                                    codelength::bfloat16::from_float(-2.5F)};
    write_npy(directory / "bf16.npy", bf16, {2});
    const auto words = read_npy(directory / "bf16.npy");
    CHECK(words.dtype() == codelength::npy_dtype::uint16);
    CHECK(words.values<codelength::bfloat16>()[1].to_float() == -2.5F);
    CHECK(words.values<std::uint16_t>()[0] == 0x3f80);
}

TEST_CASE("write_npy writes a version 1.0 little-endian header padded to 64 bytes") {
    const codelength_test::scratch_directory directory;
    const std::vector<std::int32_t> values = {1, 2, 3, 4, 5, 6};
    const auto path = directory / "layout.npy";
    write_npy(path, std::span<const std::int32_t>(values), {3, 2});
    const auto bytes = codelength_test::read_file_bytes(path);
    // numpy's layout: 60 dict characters, then spaces up to a multiple of 64 and '\n'.
    REQUIRE(bytes.size() == 128 + 24);
    CHECK(std::to_integer<int>(bytes[0]) == 0x93);
    CHECK(std::to_integer<int>(bytes[6]) == 1);
    CHECK(std::to_integer<int>(bytes[7]) == 0);
    CHECK(std::to_integer<int>(bytes[8]) == 118); // header length, little-endian
    CHECK(std::to_integer<int>(bytes[9]) == 0);
    CHECK(std::to_integer<char>(bytes[127]) == '\n');
    const std::string text(reinterpret_cast<const char*>(bytes.data()) + 10, 118);
    CHECK(text.starts_with("{'descr': '<i4', 'fortran_order': False, 'shape': (3, 2), }    "));
    CHECK(std::to_integer<int>(bytes[128]) == 1); // little-endian data
    CHECK(std::to_integer<int>(bytes[129]) == 0);
    const auto header = codelength::parse_npy_header(bytes, path.string());
    CHECK(header.data_offset_bytes == 128);
    CHECK(header.byte_order == std::endian::little);
}

TEST_CASE("write_npy writes Fortran order, 0-d and empty arrays") {
    const codelength_test::scratch_directory directory;
    SECTION("Fortran order (2, 3) reads back as a strided matrix") {
        const std::vector<double> column_major = {1, 4, 2, 5, 3, 6}; // [[1, 2, 3], [4, 5, 6]]
        write_npy(directory / "f.npy", column_major, {2, 3}, codelength::npy_memory_order::fortran);
        const auto array = read_npy(directory / "f.npy");
        CHECK(array.fortran_order());
        const auto matrix = array.matrix<double>();
        CHECK(matrix.row_stride == 1);
        CHECK(matrix.column_stride == 2);
        CHECK(matrix(0, 2) == 3.0);
        CHECK(matrix(1, 0) == 4.0);
    }
    SECTION("0-d") {
        const std::array<double, 1> scalar = {3.25};
        write_npy(directory / "s.npy", scalar, {});
        const auto array = read_npy(directory / "s.npy");
        CHECK(array.shape().empty());
        CHECK(array.values<double>()[0] == 3.25);
    }
    SECTION("empty") {
        write_npy(directory / "e.npy", std::vector<float>{}, {0, 5});
        const auto array = read_npy(directory / "e.npy", npy_load_mode::map);
        CHECK(array.shape() == std::vector<std::int64_t>{0, 5});
        CHECK(array.values<float>().empty());
    }
}

TEST_CASE("write_npy replaces files atomically and leaves nothing behind on error") {
    const codelength_test::scratch_directory directory;
    const auto path = directory / "out.npy";
    SECTION("overwriting replaces the content; no temporary file remains") {
        write_npy(path, std::vector<float>{1, 2, 3}, {3});
        write_npy(path, std::vector<std::int64_t>{7, 8}, {2});
        CHECK(read_npy(path).to_int64() == std::vector<std::int64_t>{7, 8});
        CHECK(directory.entries() == std::vector<std::string>{"out.npy"});
    }
    SECTION("a shape that does not match the values") {
        REQUIRE_THROWS_AS(write_npy(path, std::vector<float>{1, 2, 3}, {2, 2}), invalid_argument_error);
        const std::string message = error_message([&] {
            write_npy(path, std::vector<float>{1, 2, 3}, {2, 2});
        });
        CHECK(contains(message, path.string()));
        CHECK(contains(message, "holds 4 elements but 3 values"));
        REQUIRE_THROWS_AS(write_npy(path, std::vector<float>{1, 2, 3}, {-1, -3}), invalid_argument_error);
        REQUIRE_THROWS_AS(write_npy(path, std::vector<float>{}, {1LL << 62, 1LL << 62, 1LL << 62, 0}),
                          invalid_argument_error);
        CHECK(directory.entries().empty());
    }
    SECTION("too many dimensions") {
        REQUIRE_THROWS_AS(write_npy(path, std::vector<float>{1}, std::vector<std::int64_t>(65, 1)),
                          invalid_argument_error);
        write_npy(path, std::vector<float>{1}, std::vector<std::int64_t>(64, 1));
        CHECK(read_npy(path).ndim() == 64);
    }
    SECTION("a directory that does not exist") {
        const auto nowhere = directory / "missing" / "out.npy";
        REQUIRE_THROWS_AS(write_npy(nowhere, std::vector<float>{1}, {1}), io_error);
        CHECK(contains(error_message([&] { write_npy(nowhere, std::vector<float>{1}, {1}); }),
                       nowhere.string()));
        CHECK(directory.entries().empty());
    }
    SECTION("the target is a directory: the rename fails and the temporary file is removed") {
        std::filesystem::create_directories(path / "inside");
        REQUIRE_THROWS_AS(write_npy(path, std::vector<float>{1}, {1}), io_error);
        CHECK(contains(error_message([&] { write_npy(path, std::vector<float>{1}, {1}); }), "cannot rename"));
        CHECK(directory.entries() == std::vector<std::string>{"out.npy"});
        CHECK(std::filesystem::is_directory(path));
    }
}
