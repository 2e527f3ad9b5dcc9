// Built without CODELENGTH_USE_XSIMD (tests/numerics/CMakeLists.txt): the library as a user
// with CODELENGTH_WITH_XSIMD=OFF gets it. Asking for kernel_choice::simd must throw instead
// of running the scalar kernel quietly, in the row kernel and in the quantizer.
#if defined(CODELENGTH_USE_XSIMD)
#error "no_simd_build.cpp must be compiled without CODELENGTH_USE_XSIMD"
#endif

#include <cstdint>
#include <span>
#include <vector>

#include "codelength/coding/quantize.hpp"
#include "codelength/numerics/numerics.hpp"
#include "support/catch.hpp"

using codelength::kernel_choice;

TEST_CASE("without xsimd, kernel_choice::simd throws invalid_argument_error", "[numerics]") {
    STATIC_REQUIRE_FALSE(codelength::simd_kernel_available);
    const std::vector<float> values{0.5F, -1.0F, 2.0F, 0.25F};
    const codelength::strided_row<float> row{values.data(), 4, 1};
    REQUIRE_THROWS_AS(codelength::compute_row_statistics(row, 1, 0, kernel_choice::simd),
                      codelength::invalid_argument_error);
    REQUIRE_THROWS_WITH(codelength::compute_row_statistics(row, 1, 0, kernel_choice::simd),
                        Catch::Contains("kernel_choice::simd") && Catch::Contains("without xsimd"));
    REQUIRE_THROWS_AS(codelength::quantize_symbol(row, 1, 24, 0, kernel_choice::simd),
                      codelength::invalid_argument_error);
    REQUIRE_THROWS_AS(codelength::quantize_find_symbol(row, 5, 24, 0, kernel_choice::simd),
                      codelength::invalid_argument_error);
    // evaluate_rows refuses before looking at any row, even when every target is ignored.
    const auto view = codelength::matrix_view<float>::row_major(values.data(), 1, 4);
    const std::vector<std::int64_t> ignored{-100};
    std::vector<codelength::row_statistics> out(1);
    REQUIRE_THROWS_AS(codelength::evaluate_rows(view, ignored, std::span<codelength::row_statistics>(out),
                                                {.threads = 1, .kernel = kernel_choice::simd}),
                      codelength::invalid_argument_error);
}

TEST_CASE("without xsimd, automatic and scalar run the scalar kernel", "[numerics]") {
    const std::vector<float> values{0.5F, -1.0F, 2.0F, 0.25F};
    const codelength::strided_row<float> row{values.data(), 4, 1};
    const auto automatic = codelength::compute_row_statistics(row, 1, 0, kernel_choice::automatic);
    const auto scalar = codelength::compute_row_statistics(row, 1, 0, kernel_choice::scalar);
    CHECK(automatic.log_sum_exp_nats == scalar.log_sum_exp_nats);
    CHECK(automatic.target_rank == 3);
    CHECK(codelength::quantize_symbol(row, 1, 24, 0, kernel_choice::automatic) ==
          codelength::quantize_symbol(row, 1, 24, 0, kernel_choice::scalar));
}
