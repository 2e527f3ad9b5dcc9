// Rolling windows over a long document for a model with a maximum context: which targets each
// forward pass predicts and which of them it scores, so every token is scored exactly once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// One forward pass over a long document. Its targets are the positions [begin, end); its input
// is the tokens [begin - 1, end - 1), position -1 being a beginning-of-sequence token, so the
// pass holds end - begin tokens. It scores only the targets [scored_begin, end); the targets
// [begin, scored_begin) are there as context, already scored by an earlier window.
struct token_window {
    std::int64_t begin = 0;
    std::int64_t end = 0;
    std::int64_t scored_begin = 0;

    friend bool operator==(const token_window&, const token_window&) = default;
};

// The windows for n_tokens tokens under a model of at most context_tokens positions, advancing
// by stride_tokens. The first window is [0, min(context, n)) and scores all of it; each next
// window ends stride tokens later (at most n), begins at max(0, end - context) and scores
// [previous end, end). n_tokens = 0 gives no window.
//
// Guarantees: the scored ranges are consecutive and cover [0, n) exactly once, in order;
// no window is longer than context_tokens; a scored target t of a window sees the t - begin
// targets before it in the window plus the input token at begin - 1, where t - begin >=
// context - stride, or begin = 0 and it sees every token before it (the whole first window
// does). There are ceil(max(n - context, 0) / stride) + 1 windows (none when n = 0).
//
// This is the sliding-window scheme of the Hugging Face guide "Perplexity of fixed-length
// models" (huggingface.co/docs/transformers/perplexity), except that the last window also
// keeps the full context (the guide's windows start at multiples of the stride, so its last
// one can be shorter); it equals lm-evaluation-harness's get_rolling_token_windows with
// max_seq_len = context_tokens and context_len = context_tokens - stride_tokens + 1, and with
// stride == context it is that harness's disjoint rolling windows of loglikelihood_rolling.
// Throws invalid_argument_error naming the argument unless n_tokens >= 0, context_tokens >= 1
// and 1 <= stride_tokens <= context_tokens.
//   rolling_windows(10, 4, 2) == {{0, 4, 0}, {2, 6, 4}, {4, 8, 6}, {6, 10, 8}}
[[nodiscard]] inline std::vector<token_window>
rolling_windows(std::int64_t n_tokens, std::int64_t context_tokens, std::int64_t stride_tokens) {
    if (n_tokens < 0) {
        throw invalid_argument_error("rolling windows: n_tokens is " + std::to_string(n_tokens) +
                                     ", it must be >= 0");
    }
    if (context_tokens < 1) {
        throw invalid_argument_error("rolling windows: context_tokens is " + std::to_string(context_tokens) +
                                     ", it must be >= 1");
    }
    if (stride_tokens < 1 || stride_tokens > context_tokens) {
        throw invalid_argument_error(
            "rolling windows: stride_tokens is " + std::to_string(stride_tokens) +
            ", it must be in [1, context_tokens = " + std::to_string(context_tokens) + "]");
    }
    std::vector<token_window> windows;
    if (n_tokens == 0) {
        return windows;
    }
    const std::int64_t after_first = std::max<std::int64_t>(n_tokens - context_tokens, 0);
    windows.reserve(static_cast<std::size_t>(after_first / stride_tokens + 2));
    std::int64_t end = std::min(context_tokens, n_tokens);
    windows.push_back({0, end, 0});
    while (end < n_tokens) {
        const std::int64_t scored_begin = end;
        // n - end >= 1 here, so min() keeps end + stride from overflowing past n.
        end += std::min(stride_tokens, n_tokens - end);
        windows.push_back({std::max<std::int64_t>(0, end - context_tokens), end, scored_begin});
    }
    return windows;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
