// evaluate_rows when a worker thread cannot be started, and what kernel_choice::simd does in a
// build with xsimd (tests/numerics/no_simd_build.cpp covers the build without it).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "codelength/coding/quantize.hpp"
#include "codelength/numerics/numerics.hpp"
#include "support/catch.hpp"
#include "support/kernel_paths.hpp"

namespace {

using codelength::kernel_choice;
using codelength::row_statistics;

std::vector<float> random_logits(std::size_t count, std::uint64_t seed) {
    std::mt19937_64 generator(seed);
    std::normal_distribution<float> normal(0.0F, 3.0F);
    std::vector<float> values(count);
    for (auto& v : values) {
        v = normal(generator);
    }
    return values;
}

} // namespace

TEST_CASE("evaluate_rows: a thread that cannot start is reported after the started ones are joined",
          "[numerics][threads]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const std::int64_t rows = 64;
    const std::int64_t vocabulary = 500;
    const auto logits = random_logits(static_cast<std::size_t>(rows * vocabulary), 11);
    const auto view = codelength::matrix_view<float>::row_major(logits.data(), rows, vocabulary);
    std::vector<std::int64_t> targets(static_cast<std::size_t>(rows));
    for (std::int64_t r = 0; r < rows; ++r) {
        targets[static_cast<std::size_t>(r)] = (r * 37) % vocabulary;
    }
    std::vector<row_statistics> out(static_cast<std::size_t>(rows));
    std::atomic<int> started{0};
    std::atomic<int> finished{0};
    int launches = 0;
    // Starts threads 0-2, then fails as pthread_create does when the system refuses a thread.
    // Each started worker sleeps first, so it is still running when the failure happens.
    const auto failing_start = [&](auto& workers, auto work) {
        if (++launches == 4) {
            throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again),
                                    "test: no more threads");
        }
        workers.emplace_back([&started, &finished, work]() mutable {
            ++started;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            work();
            ++finished;
        });
    };
    REQUIRE_THROWS_AS(codelength::detail::evaluate_rows_with(view, targets, std::span<row_statistics>(out),
                                                             {.threads = 8}, 0, failing_start),
                      std::system_error);
    CHECK(launches == 4);
    // Joined before the exception left evaluate_rows: all three ran to the end, none is running.
    CHECK(started.load() == 3);
    CHECK(finished.load() == 3);
    // Their blocks (rows [0, 24) of 8 blocks of 8) were computed.
    CHECK(out[0].is_scored());
    CHECK(out[23].is_scored());
    CHECK_FALSE(out[24].is_scored());

    // The public entry point with the real launcher still works afterwards.
    std::vector<row_statistics> threaded(out.size());
    codelength::evaluate_rows(view, targets, threaded, {.threads = 8});
    codelength::evaluate_rows(view, targets, out, {.threads = 1});
    for (std::size_t r = 0; r < out.size(); ++r) {
        CHECK(threaded[r].target_log_probability_nats == out[r].target_log_probability_nats);
    }
}

TEST_CASE("kernel_choice::simd runs the vectorized kernel when the build has xsimd", "[numerics]") {
    CODELENGTH_TEST_ON_EVERY_KERNEL_PATH();
    const auto row_values = random_logits(1000, 5);
    const codelength::strided_row<float> row{row_values.data(), 1000, 1};
    if constexpr (codelength::simd_kernel_available) {
        const auto simd = codelength::compute_row_statistics(row, 17, 0, kernel_choice::simd);
        const auto scalar = codelength::compute_row_statistics(row, 17, 0, kernel_choice::scalar);
        // Float exp in lanes against double std::exp: close, and not bit-identical, so the
        // vectorized kernel really ran (with codelength::dispatch: unless the scalar path is
        // active, which runs the same code as kernel_choice::scalar).
        CHECK(simd.log_sum_exp_nats == Catch::Approx(scalar.log_sum_exp_nats).epsilon(1e-6));
#if defined(CODELENGTH_DISPATCH)
        const bool vectorized = codelength::active_instruction_set() != codelength::instruction_set::scalar;
#else
        const bool vectorized = true;
#endif
        CHECK((simd.log_sum_exp_nats != scalar.log_sum_exp_nats) == vectorized);
        CHECK(codelength::compute_row_statistics(row, 17, 0, kernel_choice::automatic).log_sum_exp_nats ==
              simd.log_sum_exp_nats);
        const auto interval = codelength::quantize_symbol(row, 17, 24, 0, kernel_choice::simd);
        CHECK(interval == codelength::quantize_symbol(row, 17, 24, 0, kernel_choice::scalar));
    } else {
        REQUIRE_THROWS_AS(codelength::compute_row_statistics(row, 17, 0, kernel_choice::simd),
                          codelength::invalid_argument_error);
        REQUIRE_THROWS_AS(codelength::quantize_symbol(row, 17, 24, 0, kernel_choice::simd),
                          codelength::invalid_argument_error);
    }
}
