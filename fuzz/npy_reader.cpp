// Fuzzes read_npy on a file holding the input, loaded both ways (memory-mapped and read).
// Invariants: any input loads or throws a codelength::error; both ways agree on the header and
// the data; a loaded array yields its matrix view or integer values, or a codelength::error.
#include <algorithm>
#include <array>
#include <optional>
#include <unistd.h>

#include "codelength/io/npy_reader.hpp"
#include "codelength/io/npy_writer.hpp"
#include "fuzz_target.hpp"
#include "io/npy_test_support.hpp"

namespace {

// One scratch file per process (fuzzers may run in parallel), removed at exit.
struct scratch_file {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("codelength_fuzz_npy_" + std::to_string(::getpid()) + ".npy");
    scratch_file() = default;
    scratch_file(const scratch_file&) = delete;
    scratch_file& operator=(const scratch_file&) = delete;
    ~scratch_file() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
    }
};

void use(const codelength::npy_array& array) {
    try {
        switch (array.dtype()) {
        case codelength::npy_dtype::float32:
            static_cast<void>(array.matrix<float>());
            break;
        case codelength::npy_dtype::float64:
            static_cast<void>(array.matrix<double>());
            break;
        case codelength::npy_dtype::float16:
            static_cast<void>(array.matrix<codelength::float16>());
            break;
        default:
            static_cast<void>(array.to_int64());
            break;
        }
    } catch (const codelength::error&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const scratch_file scratch;
    codelength::fuzz::write_seed(scratch.path.parent_path(), scratch.path.filename().string(),
                                 std::span<const std::uint8_t>(data, size));
    std::optional<codelength::npy_array> mapped;
    std::optional<codelength::npy_array> read;
    try {
        mapped.emplace(codelength::read_npy(scratch.path, codelength::npy_load_mode::map));
    } catch (const codelength::error&) {
    }
    try {
        read.emplace(codelength::read_npy(scratch.path, codelength::npy_load_mode::read));
    } catch (const codelength::error&) {
    }
    if (mapped.has_value() != read.has_value()) {
        codelength::fuzz::fail("the mapped and the read load disagree on whether the file is valid");
    }
    if (!read) {
        return 0;
    }
    if (mapped->dtype() != read->dtype() || mapped->shape() != read->shape() ||
        mapped->fortran_order() != read->fortran_order() ||
        !std::ranges::equal(mapped->data_bytes(), read->data_bytes())) {
        codelength::fuzz::fail("the mapped and the read load differ");
    }
    use(*read);
    return 0;
}

void codelength::fuzz::write_seed_corpus(const std::filesystem::path& dir) {
    const std::vector<float> floats = {0.5F, -1.0F, 3.25F, 7.0F, -0.0F, 1e30F};
    write_npy(dir / "float32_2x3", floats, {2, 3});
    write_npy(dir / "float32_1x2x3_fortran", floats, {3, 2}, npy_memory_order::fortran);
    write_npy(dir / "float64_6", std::vector<double>{1, 2, 3, 4, 5, 6}, {6});
    write_npy(dir / "int64_3", std::vector<std::int64_t>{0, 5, -7}, {3});
    write_npy(dir / "uint16_2x2", std::vector<std::uint16_t>{1, 2, 3, 65535}, {2, 2});
    write_npy(dir / "int32_empty", std::vector<std::int32_t>{}, {0, 4});
    write_npy(dir / "bool_4", std::array<bool, 4>{false, true, true, false}, {4});
    write_npy(dir / "scalar_float64", std::vector<double>{2.5}, {});
    // Crafted: a big-endian version 1.0 file and a version 2.0 header.
    const auto save = [&](const char* name, const std::vector<std::byte>& file) {
        write_seed(dir, name, std::span(reinterpret_cast<const std::uint8_t*>(file.data()), file.size()));
    };
    save("float32_big_endian_v1",
         codelength_test::craft_npy(
             "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
             codelength_test::to_bytes(std::string_view("\x3f\x80\x00\x00\xc0\x00\x00\x00", 8))));
    save("int16_v2",
         codelength_test::craft_npy("{'descr': '<i2', 'fortran_order': False, 'shape': (1, 1), }",
                                    codelength_test::to_bytes(std::string_view("\x2a\x00", 2)), 2));
}
