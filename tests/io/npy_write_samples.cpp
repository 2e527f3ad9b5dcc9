// Writes written_*.npy with codelength::write_npy into the directory given as the argument, so
// that `make_npy_fixtures.py verify` can check numpy reads them (the io/numpy_loads_written_npy test).
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iostream>
#include <vector>

#include "codelength/io/npy_writer.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: npy_write_samples OUTPUT_DIRECTORY\n";
        return 2;
    }
    try {
        using codelength::write_npy;
        const std::filesystem::path directory = argv[1];
        std::filesystem::create_directories(directory);
        // The (3, 4) grid of make_npy_fixtures.py: (k - 5) / 2 with k = 4 * row + column.
        std::vector<float> grid_c;
        std::vector<double> grid_fortran;
        grid_c.reserve(12);
        grid_fortran.reserve(12);
        for (int k = 0; k < 12; ++k) {
            grid_c.push_back(static_cast<float>(k - 5) / 2.0F);
        }
        for (int column = 0; column < 4; ++column) {
            for (int row = 0; row < 3; ++row) {
                grid_fortran.push_back(static_cast<double>(4 * row + column - 5) / 2.0);
            }
        }
        write_npy(directory / "written_f4.npy", grid_c, {3, 4});
        write_npy(directory / "written_f8_F.npy", grid_fortran, {3, 4},
                  codelength::npy_memory_order::fortran);
        write_npy(directory / "written_i8.npy", std::vector<std::int64_t>{-(1LL << 40), -1, 0, 1, 1LL << 62},
                  {5});
        write_npy(directory / "written_i4.npy", std::vector<std::int32_t>{-7, 0, 7, 2147483647}, {2, 2});
        write_npy(directory / "written_i2.npy", std::vector<std::int16_t>{-32768, 0, 32767}, {3});
        write_npy(directory / "written_u2_bf16.npy",
                  std::vector<codelength::bfloat16>{codelength::bfloat16::from_float(1.0F),
                                                    codelength::bfloat16::from_float(-2.5F),
                                                    codelength::bfloat16::from_float(0.15625F)},
                  {3});
        write_npy(directory / "written_f2.npy",
                  std::vector<codelength::float16>{codelength::float16::from_float(0.5F),
                                                   codelength::float16::from_float(-2.0F),
                                                   codelength::float16::from_float(65504.0F)},
                  {3});
        write_npy(directory / "written_u1.npy", std::vector<std::uint8_t>{0, 1, 255}, {3});
        const bool flags[] = {true, false, true};
        write_npy(directory / "written_b1.npy", flags, {3});
        write_npy(directory / "written_scalar_f8.npy", std::vector<double>{3.25}, {});
        write_npy(directory / "written_empty_f4.npy", std::vector<float>{}, {0, 5});
    } catch (const std::exception& failure) {
        std::cerr << "npy_write_samples: " << failure.what() << '\n';
        return 1;
    }
    return 0;
}
