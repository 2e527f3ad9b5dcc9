// parse_npy_header on in-memory images: every accepted spelling and every rejected one.
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "codelength/io/npy_header.hpp"
#include "io/npy_test_support.hpp"
#include "support/catch.hpp"

using codelength::format_error;
using codelength::npy_dtype;
using codelength::npy_header;
using codelength::parse_npy_header;
using codelength_test::contains;
using codelength_test::craft_npy;
using codelength_test::error_message;

namespace {

npy_header parse(const std::vector<std::byte>& image) {
    return parse_npy_header(image, "crafted.npy");
}

std::string parse_error(const std::vector<std::byte>& image) {
    return error_message([&] { (void)parse(image); });
}

} // namespace

TEST_CASE("parse_npy_header reads a numpy-style version 1.0 header") {
    const auto header = parse(craft_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"));
    CHECK(header.major_version == 1);
    CHECK(header.minor_version == 0);
    CHECK(header.dtype == npy_dtype::float32);
    CHECK(header.byte_order == std::endian::little);
    CHECK(!header.fortran_order);
    CHECK(header.shape == std::vector<std::int64_t>{3, 4});
    CHECK(header.data_offset_bytes == 128); // 10 + 60 + '\n' padded to a multiple of 64
    CHECK(header.element_count == 12);
    CHECK(header.data_size_bytes == 48);
    CHECK(header.item_size_bytes() == 4);
}

TEST_CASE("parse_npy_header accepts any key order, whitespace and trailing commas") {
    SECTION("keys in reverse order, no trailing comma") {
        const auto header = parse(craft_npy("{'shape': (3, 4), 'fortran_order': True, 'descr': '>f8'}"));
        CHECK(header.dtype == npy_dtype::float64);
        CHECK(header.byte_order == std::endian::big);
        CHECK(header.fortran_order);
        CHECK(header.shape == std::vector<std::int64_t>{3, 4});
    }
    SECTION("double quotes, tabs, newlines, no spaces, trailing comma in the shape") {
        const auto header =
            parse(craft_npy("\t{ \"descr\" :'<i4' ,\n 'fortran_order':False,'shape':(3,4,),}"));
        CHECK(header.dtype == npy_dtype::int32);
        CHECK(header.shape == std::vector<std::int64_t>{3, 4});
    }
    SECTION("1-d shape (5,)") {
        const auto header = parse(craft_npy("{'descr': '<u2', 'fortran_order': False, 'shape': (5,), }"));
        CHECK(header.shape == std::vector<std::int64_t>{5});
        CHECK(header.element_count == 5);
        CHECK(header.data_size_bytes == 10);
    }
    SECTION("0-d shape () holds one element") {
        const auto header = parse(craft_npy("{'descr': '<f8', 'fortran_order': False, 'shape': ( ), }"));
        CHECK(header.shape.empty());
        CHECK(header.element_count == 1);
        CHECK(header.data_size_bytes == 8);
    }
    SECTION("a zero dimension gives no data") {
        const auto header = parse(craft_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }"));
        CHECK(header.element_count == 0);
        CHECK(header.data_size_bytes == 0);
    }
    SECTION("Python 2 long suffixes") {
        const auto header = parse(craft_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2L, 3L), }"));
        CHECK(header.shape == std::vector<std::int64_t>{2, 3});
    }
}

TEST_CASE("parse_npy_header knows every supported dtype and byte-order mark") {
    struct expectation {
        const char* descr;
        npy_dtype dtype;
        std::endian byte_order;
    };
    const std::vector<expectation> expectations = {
        {"|b1", npy_dtype::boolean, std::endian::native}, {"|i1", npy_dtype::int8, std::endian::native},
        {"|u1", npy_dtype::uint8, std::endian::native},   {"<u1", npy_dtype::uint8, std::endian::native},
        {"<i2", npy_dtype::int16, std::endian::little},   {">u2", npy_dtype::uint16, std::endian::big},
        {"<i4", npy_dtype::int32, std::endian::little},   {">u4", npy_dtype::uint32, std::endian::big},
        {">i8", npy_dtype::int64, std::endian::big},      {"<u8", npy_dtype::uint64, std::endian::little},
        {"<f2", npy_dtype::float16, std::endian::little}, {">f4", npy_dtype::float32, std::endian::big},
        {"=f8", npy_dtype::float64, std::endian::native},
    };
    for (const expectation& expected : expectations) {
        const auto header = parse(craft_npy(std::string("{'descr': '") + expected.descr +
                                            "', 'fortran_order': False, 'shape': (2,), }"));
        CHECK(header.dtype == expected.dtype);
        CHECK(header.byte_order == expected.byte_order);
        CHECK(header.needs_byte_swap() == (expected.byte_order != std::endian::native));
    }
}

TEST_CASE("parse_npy_header reads versions 2.0 and 3.0 and long headers") {
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
    SECTION("version 2.0 and 3.0 have a 4-byte header length") {
        for (const unsigned major : {2U, 3U}) {
            const auto header = parse(craft_npy(dict, {}, major));
            CHECK(header.major_version == major);
            CHECK(header.data_offset_bytes == 128);
            CHECK(header.shape == std::vector<std::int64_t>{3, 4});
        }
    }
    SECTION("a version 1.0 header longer than 127 bytes") {
        std::string shape = "(";
        for (int i = 0; i < 30; ++i) {
            shape += "1, ";
        }
        shape += "7)";
        const auto header =
            parse(craft_npy("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + "}"));
        CHECK(header.data_offset_bytes > 128);
        CHECK(header.shape.size() == 31);
        CHECK(header.element_count == 7);
    }
    SECTION("a version 2.0 header longer than 65535 bytes") {
        const auto header = parse(craft_npy(dict, {}, 2, 64, 70000));
        CHECK(header.data_offset_bytes > 70000);
        CHECK(header.data_offset_bytes % 64 == 0);
        CHECK(header.element_count == 12);
    }
}

TEST_CASE("parse_npy_header rejects a broken preamble naming the offset") {
    const auto valid = craft_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }");
    SECTION("empty buffer") {
        REQUIRE_THROWS_AS(parse({}), format_error);
        CHECK(contains(parse_error({}), "crafted.npy: byte offset 0"));
    }
    SECTION("bad magic") {
        auto image = valid;
        image[3] = std::byte{'X'};
        REQUIRE_THROWS_AS(parse(image), format_error);
        CHECK(contains(parse_error(image), "byte offset 3: bad magic"));
    }
    SECTION("unsupported versions") {
        for (const auto& [major, minor] :
             std::vector<std::pair<int, int>>{{0, 0}, {4, 0}, {1, 1}, {255, 255}}) {
            auto image = valid;
            image[6] = static_cast<std::byte>(major);
            image[7] = static_cast<std::byte>(minor);
            REQUIRE_THROWS_AS(parse(image), format_error);
            CHECK(contains(parse_error(image), "byte offset 6: unsupported format version"));
        }
    }
    SECTION("truncated inside the magic, the version and the header length") {
        for (const std::size_t size : {std::size_t{4}, std::size_t{7}, std::size_t{9}}) {
            const std::vector<std::byte> image(valid.begin(),
                                               valid.begin() + static_cast<std::ptrdiff_t>(size));
            REQUIRE_THROWS_AS(parse(image), format_error);
        }
        auto version2 = craft_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", {}, 2);
        version2.resize(11);
        REQUIRE_THROWS_AS(parse(version2), format_error);
        CHECK(contains(parse_error(version2), "byte offset 11: file ends inside the header length"));
    }
    SECTION("header length beyond the buffer") {
        auto image = valid;
        image[8] = std::byte{0xff};
        image[9] = std::byte{0xff};
        REQUIRE_THROWS_AS(parse(image), format_error);
        CHECK(contains(parse_error(image), "byte offset 10: header length 65535 runs past the end"));
        auto huge = craft_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", {}, 2);
        huge[11] = std::byte{0xff}; // 4 GiB header
        REQUIRE_THROWS_AS(parse(huge), format_error);
    }
    SECTION("truncated header text") {
        auto image = valid;
        image.resize(40);
        REQUIRE_THROWS_AS(parse(image), format_error);
    }
}

TEST_CASE("parse_npy_header rejects a malformed dict naming the offset") {
    const auto rejects = [](const std::string& dict, const std::string& expected_part) {
        const auto image = craft_npy(dict);
        REQUIRE_THROWS_AS(parse(image), format_error);
        const std::string message = parse_error(image);
        CHECK(contains(message, "crafted.npy: byte offset "));
        CHECK(contains(message, expected_part));
    };
    SECTION("dict structure") {
        rejects("", "expected '{'");
        rejects("'descr': '<f4'", "expected '{'");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)", "expected ',' or '}'");
        rejects("{'descr': '<f4' 'fortran_order': False, 'shape': (3,)}", "expected ',' or '}'");
        rejects("{'descr' '<f4', 'fortran_order': False, 'shape': (3,)}", "expected ':'");
        rejects("{descr: '<f4', 'fortran_order': False, 'shape': (3,)}", "expected a string key");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), } x", "after the header dict");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }}", "after the header dict");
        rejects("{'descr': '<f4, 'fortran_order': False, 'shape': (3,)}", "unsupported dtype descr");
        rejects("{'descr': '<f4\\n', 'fortran_order': False, 'shape': (3,)}", "escape sequences");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (3,),,}", "expected a string key");
    }
    SECTION("unknown, duplicate and missing keys") {
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'extra': 1}", "unknown key 'extra'");
        rejects("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}",
                "duplicate key 'descr'");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'shape': (3,)}",
                "duplicate key 'shape'");
        rejects("{'fortran_order': False, 'shape': (3,)}", "no 'descr' key");
        rejects("{'descr': '<f4', 'shape': (3,)}", "no 'fortran_order' key");
        rejects("{'descr': '<f4', 'fortran_order': False}", "no 'shape' key");
        rejects("{}", "no 'descr' key");
    }
    SECTION("wrong descr") {
        rejects("{'descr': '<c8', 'fortran_order': False, 'shape': (3,)}", "unsupported dtype descr '<c8'");
        rejects("{'descr': '<U4', 'fortran_order': False, 'shape': (3,)}", "unsupported dtype descr");
        rejects("{'descr': '|O', 'fortran_order': False, 'shape': (3,)}", "unsupported dtype descr");
        rejects("{'descr': 'f4', 'fortran_order': False, 'shape': (3,)}", "unsupported dtype descr");
        rejects("{'descr': '<f3', 'fortran_order': False, 'shape': (3,)}", "unsupported dtype descr");
        rejects("{'descr': '<f16', 'fortran_order': False, 'shape': (3,)}", "unsupported dtype descr");
        rejects("{'descr': '', 'fortran_order': False, 'shape': (3,)}", "unsupported dtype descr");
        rejects("{'descr': '|f4', 'fortran_order': False, 'shape': (3,)}", "byte-order mark '|'");
        rejects("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,)}", "structured dtypes");
        rejects("{'descr': 4, 'fortran_order': False, 'shape': (3,)}", "expected a dtype string");
    }
    SECTION("fortran_order not a bool") {
        rejects("{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}", "expected True or False");
        rejects("{'descr': '<f4', 'fortran_order': 'False', 'shape': (3,)}", "expected True or False");
        rejects("{'descr': '<f4', 'fortran_order': None, 'shape': (3,)}", "expected True or False");
        rejects("{'descr': '<f4', 'fortran_order': true, 'shape': (3,)}", "expected True or False");
    }
    SECTION("bad shapes") {
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': [3, 4]}", "must be a tuple");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (5)}", "is an integer, not a tuple");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': 5}", "expected '('");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (3, -4)}", "negative dimension");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4.0)}", "expected ',' or ')'");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (3 4)}", "expected ',' or ')'");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (,)}", "expected a dimension");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (18446744073709551616,)}",
                "does not fit in a signed 64-bit integer");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775808,)}",
                "does not fit in a signed 64-bit integer");
    }
    SECTION("shapes whose byte size overflows, even with a zero dimension") {
        rejects(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904)}",
            "too large");
        rejects("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,)}", "too large");
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4611686018427387904, "
                "4611686018427387904)}",
                "too large");
    }
    SECTION("more than 64 dimensions") {
        std::string shape = "(";
        for (int i = 0; i < 65; ++i) {
            shape += "1,";
        }
        shape += ")";
        rejects("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + "}",
                "more than 64 dimensions");
    }
}

TEST_CASE("parse_npy_header: the largest representable byte size is accepted") {
    const auto header =
        parse(craft_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (9223372036854775807,)}"));
    CHECK(header.data_size_bytes == 9223372036854775807ULL);
}

TEST_CASE("parse_npy_header never fails other than with format_error on damaged input") {
    const auto valid = craft_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4, 5,), }");
    SECTION("every prefix") {
        for (std::size_t size = 0; size < valid.size(); ++size) {
            const std::vector<std::byte> prefix(valid.begin(),
                                                valid.begin() + static_cast<std::ptrdiff_t>(size));
            REQUIRE_THROWS_AS(parse(prefix), format_error);
        }
    }
    SECTION("random single-byte and double-byte mutations (seed 20240611)") {
        std::mt19937 random(20240611U);
        std::uniform_int_distribution<std::size_t> position(0, valid.size() - 1);
        std::uniform_int_distribution<int> value(0, 255);
        int parsed = 0;
        int rejected = 0;
        for (int trial = 0; trial < 20000; ++trial) {
            auto image = valid;
            image[position(random)] = static_cast<std::byte>(value(random));
            if (trial % 2 == 0) {
                image[position(random)] = static_cast<std::byte>(value(random));
            }
            try {
                const auto header = parse(image);
                CHECK(header.data_offset_bytes <= image.size());
                ++parsed;
            } catch (const format_error&) {
                ++rejected;
            }
        }
        CHECK(parsed + rejected == 20000);
        CHECK(rejected > 0);
    }
}
