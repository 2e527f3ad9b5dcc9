// Entry points of the row kernel: one row, or every row of a matrix (optionally threaded).
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <span>
#include <thread>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/numerics/row_kernel_scalar.hpp"
#include "codelength/numerics/row_statistics.hpp"
#if defined(CODELENGTH_USE_XSIMD)
#include "codelength/numerics/row_kernel_simd.hpp"
#endif

namespace codelength::inline v0 {

// Whether compute_row_statistics can run the vectorized kernel in this build.
inline constexpr bool simd_kernel_available =
#if defined(CODELENGTH_USE_XSIMD)
    true;
#else
    false;
#endif

// Statistics of one row of logits for one target (target < 0: no target-dependent fields).
// Throws invalid_row_error for NaN, +inf or all -inf rows and target_out_of_range_error when
// target >= row.size; row_index only names the row in those messages.
//   auto s = codelength::compute_row_statistics(row, /*target=*/3);
//   double bits = s.target_surprisal_bits();
template <class Element>
[[nodiscard]] row_statistics compute_row_statistics(strided_row<Element> row, std::int64_t target,
                                                    std::int64_t row_index = 0,
                                                    kernel_choice kernel = kernel_choice::automatic) {
    if (row.size < 1) {
        throw invalid_row_error(row_index, "empty row (vocabulary size 0)");
    }
#if defined(CODELENGTH_USE_XSIMD)
    if (kernel != kernel_choice::scalar) {
        return detail::row_statistics_simd(row, target, row_index);
    }
#else
    (void)kernel;
#endif
    return detail::row_statistics_scalar(row, target, row_index);
}

// How evaluate_rows runs.
struct row_evaluation_options {
    unsigned threads = 1; // 0 = std::thread::hardware_concurrency()
    kernel_choice kernel = kernel_choice::automatic;
};

// Fills out[r] with the statistics of row r against targets[r]. Rows whose target is < 0 are
// skipped (PyTorch's ignore_index): out[r] is a default row_statistics with target = -1.
// Rows are split into contiguous blocks across threads; the result does not depend on the
// thread count. The first error (lowest row among those found) is rethrown.
template <class Element>
void evaluate_rows(matrix_view<Element> logits, std::span<const std::int64_t> targets,
                   std::span<row_statistics> out, row_evaluation_options options = {},
                   std::int64_t first_row_index = 0) {
    const auto rows = logits.rows;
    if (static_cast<std::int64_t>(targets.size()) != rows || static_cast<std::int64_t>(out.size()) != rows) {
        throw invalid_argument_error("evaluate_rows: " + std::to_string(rows) + " rows of logits but " +
                                     std::to_string(targets.size()) + " targets and " +
                                     std::to_string(out.size()) + " outputs");
    }
    auto run = [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t r = begin; r < end; ++r) {
            const auto t = targets[static_cast<std::size_t>(r)];
            out[static_cast<std::size_t>(r)] =
                t < 0 ? row_statistics{}
                      : compute_row_statistics(logits.row(r), t, first_row_index + r, options.kernel);
        }
    };
    unsigned threads =
        options.threads == 0 ? std::max(1U, std::thread::hardware_concurrency()) : options.threads;
    threads = static_cast<unsigned>(std::min<std::int64_t>(threads, std::max<std::int64_t>(rows, 1)));
    if (threads <= 1) {
        run(0, rows);
        return;
    }
    std::vector<std::exception_ptr> errors(threads);
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (unsigned w = 0; w < threads; ++w) {
        const std::int64_t begin = rows * w / threads;
        const std::int64_t end = rows * (w + 1) / threads;
        workers.emplace_back([&, w, begin, end] {
            try {
                run(begin, end);
            } catch (...) {
                errors[w] = std::current_exception();
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }
    for (const auto& e : errors) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
}

} // namespace codelength::inline v0
