// rolling_windows: every token scored exactly once and in order, windows within the context,
// the context each scored token sees, hand-computed cases and argument checks.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "codelength/core/error.hpp"
#include "codelength/metrics/rolling_windows.hpp"
#include "support/catch.hpp"

using codelength::rolling_windows;
using codelength::token_window;

TEST_CASE("rolling windows: hand-computed cases", "[metrics][rolling_windows]") {
    CHECK(rolling_windows(10, 4, 2) ==
          std::vector<token_window>{{0, 4, 0}, {2, 6, 4}, {4, 8, 6}, {6, 10, 8}});
    // stride == context: disjoint windows, as lm-evaluation-harness's loglikelihood_rolling;
    // the last one keeps the full context and scores only the 2 new tokens.
    CHECK(rolling_windows(10, 4, 4) == std::vector<token_window>{{0, 4, 0}, {4, 8, 4}, {6, 10, 8}});
    // The last stride is cut at n but the window still spans the whole context.
    CHECK(rolling_windows(11, 5, 3) == std::vector<token_window>{{0, 5, 0}, {3, 8, 5}, {6, 11, 8}});
    CHECK(rolling_windows(3, 8, 2) == std::vector<token_window>{{0, 3, 0}}); // n < context: one window
    CHECK(rolling_windows(0, 8, 2).empty());
    CHECK(rolling_windows(3, 1, 1) == std::vector<token_window>{{0, 1, 0}, {1, 2, 1}, {2, 3, 2}});
}

TEST_CASE("rolling windows: coverage, length and context for many shapes", "[metrics][rolling_windows]") {
    for (std::int64_t n = 0; n <= 40; ++n) {
        for (std::int64_t context = 1; context <= 12; ++context) {
            for (std::int64_t stride = 1; stride <= context; ++stride) {
                INFO("n = " << n << ", context = " << context << ", stride = " << stride);
                const auto windows = rolling_windows(n, context, stride);
                const std::int64_t expected_count =
                    n == 0 ? 0 : 1 + (std::max<std::int64_t>(n - context, 0) + stride - 1) / stride;
                REQUIRE(static_cast<std::int64_t>(windows.size()) == expected_count);
                std::vector<int> scored(static_cast<std::size_t>(n), 0);
                std::int64_t next = 0; // the first target not yet scored
                for (const auto& w : windows) {
                    REQUIRE(0 <= w.begin);
                    REQUIRE(w.begin <= w.scored_begin);
                    REQUIRE(w.scored_begin < w.end); // each window scores something
                    REQUIRE(w.end <= n);
                    CHECK(w.end - w.begin <= context);
                    CHECK(w.scored_begin == next); // in order, no gap, no overlap
                    for (std::int64_t t = w.scored_begin; t < w.end; ++t) {
                        ++scored[static_cast<std::size_t>(t)];
                        // Context seen by target t: the targets [begin, t) of the window.
                        if (w.begin > 0) {
                            CHECK(t - w.begin >= context - stride);
                        }
                    }
                    // The window is as long as the model allows: full context, or from the start.
                    CHECK((w.end - w.begin == context || w.begin == 0));
                    next = w.end;
                }
                CHECK(next == n);
                CHECK(std::all_of(scored.begin(), scored.end(), [](int c) { return c == 1; }));
            }
        }
    }
}

TEST_CASE("rolling windows: large documents do not overflow", "[metrics][rolling_windows]") {
    const std::int64_t n = std::int64_t{1} << 40;
    const auto windows = rolling_windows(n, std::int64_t{1} << 38, std::int64_t{1} << 37);
    REQUIRE(windows.size() == 7); // 1 + (2^40 - 2^38) / 2^37
    CHECK(windows.back() == token_window{n - (std::int64_t{1} << 38), n, n - (std::int64_t{1} << 37)});
}

TEST_CASE("rolling windows: invalid arguments are named", "[metrics][rolling_windows]") {
    using codelength::invalid_argument_error;
    CHECK_THROWS_AS(rolling_windows(-1, 4, 2), invalid_argument_error);
    CHECK_THROWS_WITH(rolling_windows(-1, 4, 2), "rolling windows: n_tokens is -1, it must be >= 0");
    CHECK_THROWS_AS(rolling_windows(10, 0, 1), invalid_argument_error);
    CHECK_THROWS_WITH(rolling_windows(10, 0, 1), "rolling windows: context_tokens is 0, it must be >= 1");
    CHECK_THROWS_AS(rolling_windows(10, 4, 0), invalid_argument_error);
    CHECK_THROWS_WITH(rolling_windows(10, 4, 0),
                      "rolling windows: stride_tokens is 0, it must be in [1, context_tokens = 4]");
    CHECK_THROWS_AS(rolling_windows(10, 4, 5), invalid_argument_error);
    CHECK_THROWS_WITH(rolling_windows(10, 4, 5),
                      "rolling windows: stride_tokens is 5, it must be in [1, context_tokens = 4]");
}
