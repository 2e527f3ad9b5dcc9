// Entry points of the row kernel: one row, or every row of a matrix (optionally threaded).
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/half_types.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/core/thread_count.hpp"
#include "codelength/numerics/row_kernel_scalar.hpp"
#include "codelength/numerics/row_statistics.hpp"
#if defined(CODELENGTH_DISPATCH)
#include "codelength/numerics/dispatched_kernels.hpp"
#elif defined(CODELENGTH_USE_XSIMD)
#include "codelength/numerics/row_kernel_simd.hpp"
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

#if defined(CODELENGTH_DISPATCH)
namespace detail {

// The row kernel of the active path of codelength::dispatch.
template <class Element>
row_statistics dispatched_row_statistics(strided_row<Element> row, std::int64_t target,
                                         std::int64_t row_index) {
    const bool scored = check_target(target, row.size, row_index);
    kernel_abi::row_statistics_output out{};
    kernel_abi::active_kernels().row_statistics[kernel_element_index<Element>()](kernel_row(row), target,
                                                                                 &out);
    throw_if_fault(out.fault, row_index);
    return load_row_statistics(out, scored ? target : -1);
}

} // namespace detail
#endif

// Statistics of one row of logits for one target (target < 0: no target-dependent fields).
// Throws invalid_row_error for NaN, +inf or all -inf rows and target_out_of_range_error when
// target >= row.size, invalid_argument_error for kernel_choice::simd in a build without xsimd
// (simd_kernel_available); row_index only names the row in those messages. With
// codelength::dispatch, automatic and simd run the active instruction set's kernel.
//   auto s = codelength::compute_row_statistics(row, /*target=*/3);
//   double bits = s.target_surprisal_bits();
template <class Element>
[[nodiscard]] row_statistics compute_row_statistics(strided_row<Element> row, std::int64_t target,
                                                    std::int64_t row_index = 0,
                                                    kernel_choice kernel = kernel_choice::automatic) {
    detail::check_kernel_available(kernel);
    if (row.size < 1) {
        throw invalid_row_error(row_index, "empty row (vocabulary size 0)");
    }
#if defined(CODELENGTH_DISPATCH)
    if (kernel != kernel_choice::scalar) {
        return detail::dispatched_row_statistics(row, target, row_index);
    }
#elif defined(CODELENGTH_USE_XSIMD)
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

namespace detail {

// Starts one worker thread of evaluate_rows at the end of `workers` (tests substitute a
// launcher that fails).
struct start_worker_thread {
    template <class Threads, class Work>
    void operator()(Threads& workers, Work&& work) const {
        workers.emplace_back(std::forward<Work>(work));
    }
};

// evaluate_rows with the thread launcher as a parameter: `start(workers, work)` appends a
// std::jthread running work() to `workers`. If starting a thread throws (std::system_error when
// the system refuses another thread), the threads already started finish their blocks and are
// joined before the exception propagates: no thread outlives the call.
template <class Element, class StartThread>
void evaluate_rows_with(matrix_view<Element> logits, std::span<const std::int64_t> targets,
                        std::span<row_statistics> out, const row_evaluation_options& options,
                        std::int64_t first_row_index, StartThread&& start) {
    const auto rows = logits.rows;
    if (static_cast<std::int64_t>(targets.size()) != rows || static_cast<std::int64_t>(out.size()) != rows) {
        throw invalid_argument_error("evaluate_rows: " + detail::count_noun(rows, "row", "rows") +
                                     " of logits but " + std::to_string(targets.size()) + " targets and " +
                                     std::to_string(out.size()) + " outputs");
    }
    check_kernel_available(options.kernel);
    auto run = [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t r = begin; r < end; ++r) {
            const auto t = targets[static_cast<std::size_t>(r)];
            out[static_cast<std::size_t>(r)] =
                t < 0 ? row_statistics{}
                      : compute_row_statistics(logits.row(r), t, first_row_index + r, options.kernel);
        }
    };
    const unsigned threads = thread_count(options.threads, static_cast<std::uint64_t>(rows));
    if (threads <= 1) {
        run(0, rows);
        return;
    }
    std::vector<std::exception_ptr> errors(threads);
    // Declared after everything the workers use, so on every exit (an exception from `start`
    // included) the jthreads join first: a std::thread still joinable here would terminate.
    std::vector<std::jthread> workers;
    workers.reserve(threads);
    for (unsigned w = 0; w < threads; ++w) {
        const std::int64_t begin = rows * w / threads;
        const std::int64_t end = rows * (w + 1) / threads;
        start(workers, [&run, &errors, w, begin, end] {
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

} // namespace detail

// Fills out[r] with the statistics of row r against targets[r]. Rows whose target is < 0 are
// skipped (PyTorch's ignore_index): out[r] is a default row_statistics with target = -1.
// Rows are split into contiguous blocks across threads; the result does not depend on the
// thread count. The first error (lowest row among those found) is rethrown; when the system
// cannot start another thread, its std::system_error is rethrown after the threads already
// started have been joined.
template <class Element>
void evaluate_rows(matrix_view<Element> logits, std::span<const std::int64_t> targets,
                   std::span<row_statistics> out, row_evaluation_options options = {},
                   std::int64_t first_row_index = 0) {
    detail::evaluate_rows_with(logits, targets, out, options, first_row_index, detail::start_worker_thread{});
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
