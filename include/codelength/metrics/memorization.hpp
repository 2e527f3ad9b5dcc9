// Memorization evidence for one document (definitions in the README's "Description length and memorization"):
// the model's code length next to generic compressors and a reference model, both zlib conventions, Min-K%
// and Min-K%++, greedy extractability, memorized byte spans and the adversarial compression ratio. Corpus
// summaries with bootstrap intervals are in memorization_summary.hpp.
//
// Everything here takes per-token numbers (score_result's per-token vectors plus each target's
// rank) and the generic compressors' sizes as inputs, so this header links nothing; the helper
// codelength/baselines/document_compression.hpp measures those sizes with zlib/xz/zstd.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/units.hpp"
#include "codelength/metrics/min_k.hpp"
#include "codelength/numerics/compensated_sum.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Teacher-forced per-token values of one document's n >= 1 targets, in position order.
// Every non-empty span has length n; reference_surprisal_bits may be empty (no reference).
struct document_tokens {
    std::span<const double> surprisal_bits;           // -log2 p(x_t | x_<t); +inf when p = 0
    std::span<const double> log_probabilities_nats;   // ln p(x_t | x_<t) (Min-K% input)
    std::span<const double> z_scores;                 // min_k_plus_plus_z_score (Min-K%++ input)
    std::span<const std::int64_t> ranks;              // row_statistics::target_rank; 0 = argmax
    std::span<const std::int64_t> token_bytes;        // UTF-8 bytes of each target, >= 0
    std::span<const double> reference_surprisal_bits; // the same targets under a reference model
};

// Compressed sizes in bytes of the document's text (the bytes its tokens spell).
// zlib_default is the zlib-format stream at zlib's default level, i.e. Python's
// len(zlib.compress(text)): the "zlib entropy" of Carlini et al. 2020 and of MIMIR.
struct generic_compressed_sizes {
    std::uint64_t zlib_default = 0;
    std::uint64_t gzip_9 = 0;
    std::uint64_t xz_9 = 0;
    std::uint64_t zstd_19 = 0;
    std::uint64_t brotli_11 = 0;
};

// The model's code length against one generic compressor's on the same bytes.
// gain_bits = generic_bits - model_bits (> 0: the model describes the text in fewer bits);
// ratio = generic_bits / model_bits (> 1 likewise; +inf when model_bits = 0).
struct compression_gain {
    double generic_bits = 0.0;
    double gain_bits = 0.0;
    double ratio = 0.0;
};

// A maximal run of consecutive tokens each coded in at most the threshold bits per byte
// (see memorization_options). Offsets are relative to the document's first byte/token:
// bytes [byte_begin, byte_end) are spelled by tokens [token_begin, token_end).
struct memorized_span {
    std::int64_t token_begin = 0;
    std::int64_t token_end = 0;
    std::int64_t byte_begin = 0;
    std::int64_t byte_end = 0;
    double model_bits = 0.0;            // sum of the run's surprisals
    double model_bits_per_byte = 0.0;   // model_bits / (byte_end - byte_begin)
    std::optional<double> generic_bits; // the span compressed on its own, when measured
};

// Receives a byte range [byte_begin, byte_end) of the document and returns a generic
// compressor's code length of those bytes alone, in bits (e.g. document_compression.hpp's
// zlib_span_bits).
using span_generic_bits_function = std::function<double(std::int64_t byte_begin, std::int64_t byte_end)>;

// What measure_document_memorization computes beyond the always-present metrics.
struct memorization_options {
    double k_percent = 20.0;                   // Min-K% / Min-K%++ percentage, in (0, 100]
    std::optional<std::int64_t> prefix_tokens; // greedy extractability with this prefix length K
    std::optional<std::int64_t> prompt_tokens; // adversarial compression ratio in tokens
    std::optional<double> prompt_bits;         // adversarial compression ratio in bits
    double span_max_bits_per_byte = 0.5;       // a token joins a span iff bits <= this * its bytes
    std::int64_t span_min_bytes = 32;          // shorter runs are not reported
    double span_min_generic_ratio = 2.0;       // with a span function: generic_bits >= this * model_bits
};

// Every per-document metric; see measure_document_memorization for the definitions.
struct document_memorization {
    std::int64_t tokens = 0;
    std::int64_t bytes = 0;
    double model_bits = 0.0;
    double model_bits_per_byte = 0.0;
    double mean_surprisal_bits = 0.0; // log2 perplexity
    compression_gain gain_over_gzip_9;
    compression_gain gain_over_xz_9;
    compression_gain gain_over_zstd_19;
    compression_gain gain_over_brotli_11;
    double zlib_entropy_over_log_perplexity = 0.0;
    double loss_over_zlib_bytes = 0.0;
    double min_k_percent = 0.0;
    double min_k_plus_plus = 0.0;
    std::optional<double> reference_bits;
    std::optional<double> model_over_reference_bits;
    std::optional<std::int64_t> extraction_suffix_tokens;
    std::optional<bool> greedy_extractable;
    std::optional<double> adversarial_compression_ratio_tokens;
    std::optional<double> adversarial_compression_ratio_bits;
    std::vector<memorized_span> memorized_spans;
    std::int64_t memorized_bytes = 0; // sum of the spans' byte lengths
};

// The compression gain of model_bits over generic_bytes * 8 bits (see compression_gain).
[[nodiscard]] inline compression_gain make_compression_gain(double model_bits, std::uint64_t generic_bytes) {
    compression_gain gain;
    gain.generic_bits = static_cast<double>(generic_bytes) * 8.0;
    gain.gain_bits = gain.generic_bits - model_bits;
    gain.ratio = gain.generic_bits / model_bits;
    return gain;
}

// Greedy k-extractability (Carlini et al. 2022, "Quantifying Memorization Across Neural Language
// Models"): with the first prefix_tokens targets as the prompt, greedy decoding
// reproduces the suffix (targets prefix_tokens..n-1) iff every suffix target is the argmax of
// its teacher-forced distribution (rank 0): teacher forcing on the true prefix is then exactly
// what greedy decoding sees. std::nullopt when there is no suffix (prefix_tokens >= n).
// Throws invalid_argument_error for prefix_tokens < 0.
//   greedy_extractable(std::vector<std::int64_t>{3, 0, 0}, 1) == true
[[nodiscard]] inline std::optional<bool> greedy_extractable(std::span<const std::int64_t> ranks,
                                                            std::int64_t prefix_tokens) {
    if (prefix_tokens < 0) {
        throw invalid_argument_error("greedy_extractable: prefix_tokens must be >= 0, got " +
                                     std::to_string(prefix_tokens));
    }
    if (prefix_tokens >= static_cast<std::int64_t>(ranks.size())) {
        return std::nullopt;
    }
    return std::all_of(ranks.begin() + static_cast<std::ptrdiff_t>(prefix_tokens), ranks.end(),
                       [](std::int64_t rank) { return rank == 0; });
}

// Memorized spans: maximal runs of consecutive tokens with surprisal_bits[t] <=
// max_bits_per_byte * token_bytes[t] (so a 0-byte token joins only with 0 bits, and a p = 0
// token never), kept when their byte length is >= min_bytes and, given span_bits, when the
// generic compressor needs generic_bits >= min_generic_ratio * model_bits for the span alone.
// One left-to-right pass, exact (no smoothing, no overlap): every span is a maximal run, and
// its model bits/byte is at most the threshold because each token's is. Byte offsets are the
// running sum of token_bytes from the document's start.
// Throws invalid_argument_error for mismatched lengths, negative byte counts or min_bytes < 1.
[[nodiscard]] inline std::vector<memorized_span>
find_memorized_spans(std::span<const double> surprisal_bits, std::span<const std::int64_t> token_bytes,
                     double max_bits_per_byte, std::int64_t min_bytes,
                     const span_generic_bits_function& span_bits = {}, double min_generic_ratio = 2.0) {
    if (surprisal_bits.size() != token_bytes.size()) {
        throw invalid_argument_error("find_memorized_spans: " + std::to_string(surprisal_bits.size()) +
                                     " surprisals but " + std::to_string(token_bytes.size()) +
                                     " byte counts");
    }
    if (min_bytes < 1 || !(max_bits_per_byte >= 0.0)) {
        throw invalid_argument_error("find_memorized_spans: need min_bytes >= 1 and max_bits_per_byte >= 0");
    }
    std::vector<memorized_span> spans;
    memorized_span run;
    bool in_run = false;
    std::int64_t byte_offset = 0;
    const auto close_run = [&](std::int64_t token_end) {
        if (!in_run) {
            return;
        }
        in_run = false;
        run.token_end = token_end;
        run.byte_end = byte_offset;
        const std::int64_t length = run.byte_end - run.byte_begin;
        if (length < min_bytes) {
            return;
        }
        run.model_bits_per_byte = run.model_bits / static_cast<double>(length);
        if (span_bits) {
            run.generic_bits = span_bits(run.byte_begin, run.byte_end);
            if (!(*run.generic_bits >= min_generic_ratio * run.model_bits)) {
                return;
            }
        }
        spans.push_back(run);
    };
    for (std::size_t t = 0; t < surprisal_bits.size(); ++t) {
        const std::int64_t bytes = token_bytes[t];
        if (bytes < 0) {
            throw invalid_argument_error("find_memorized_spans: token " + std::to_string(t) + " has " +
                                         detail::count_noun(bytes, "byte", "bytes"));
        }
        const double bits = surprisal_bits[t];
        const auto position = static_cast<std::int64_t>(t);
        if (bits <= max_bits_per_byte * static_cast<double>(bytes)) {
            if (!in_run) {
                in_run = true;
                run = memorized_span{};
                run.token_begin = position;
                run.byte_begin = byte_offset;
            }
            run.model_bits += bits;
        } else {
            close_run(position);
        }
        byte_offset += bytes;
    }
    close_run(static_cast<std::int64_t>(surprisal_bits.size()));
    return spans;
}

namespace detail {

inline void check_document_span(std::size_t size, std::size_t n, const char* name) {
    if (size != n) {
        throw invalid_argument_error(std::string("measure_document_memorization: ") + name + " has " +
                                     std::to_string(size) + " entries but the document has " +
                                     detail::count_noun(n, "token", "tokens"));
    }
}

// Sum of code lengths in a fixed order with compensation; +inf (a p = 0 token) gives +inf.
// Throws invalid_argument_error for NaN or -inf, naming `what` and the index (rounding may
// leave a surprisal a few ulp below 0; that is accepted).
inline double compensated_total(std::span<const double> values, const char* what) {
    compensated_sum sum;
    bool infinite = false;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double v = values[i];
        if (std::isnan(v) || v == -std::numeric_limits<double>::infinity()) {
            throw invalid_argument_error(std::string("measure_document_memorization: ") + what + "[" +
                                         std::to_string(i) + "] is " + std::to_string(v));
        }
        if (std::isinf(v)) {
            infinite = true;
        } else {
            sum.add(v);
        }
    }
    return infinite ? std::numeric_limits<double>::infinity() : sum.value();
}

} // namespace detail

// The memorization metrics of one document with n >= 1 targets and bytes = sum(token_bytes) >= 1:
//   model_bits = sum_t surprisal_bits[t]; model_bits_per_byte = model_bits / bytes;
//   mean_surprisal_bits = model_bits / n = log2(perplexity);
//   gain_over_{gzip_9,xz_9,zstd_19,brotli_11} = make_compression_gain(model_bits, sizes.*);
//   zlib_entropy_over_log_perplexity = 8 * zlib_default / mean_surprisal_bits — Carlini et al.
//     2020 ("Extracting Training Data from Large Language Models") rank by zlib entropy over log
//     perplexity; both logs here are base 2 (zlib entropy in bits, log2 perplexity), so a low
//     ratio means the model finds the text far more predictable than zlib does. Their code
//     divides a natural-log perplexity by zlib bytes, which is this times ln(2)/8: same ranking.
//   loss_over_zlib_bytes = (mean -ln p in nats) / zlib_default — the MIA tools' convention
//     (MIMIR; the Min-K% code's "zlib" score: loss / len(zlib.compress(text))).
//   min_k_percent / min_k_plus_plus over the document's tokens (min_k.hpp; Shi et al. 2023,
//     Zhang et al. 2024) with options.k_percent;
//   reference_bits = sum of reference_surprisal_bits; model_over_reference_bits =
//     model_bits / reference_bits (< 1: the model codes the text in fewer bits than the reference);
//   greedy_extractable(ranks, *prefix_tokens) and its suffix length, when prefix_tokens is set;
//   adversarial compression ratio (Schwarzschild et al. 2024, "Rethinking LLM Memorization
//     through the Lens of Adversarial Compression"), the target being the whole document:
//     tokens: n / prompt_tokens; bits: 8 * min(gzip_9, xz_9, zstd_19, brotli_11) / prompt_bits (the best
//     generic compressor's code length of the target over the prompt's code length); > 1 means
//     the prompt is a shorter description of the text than the text itself;
//   memorized_spans = find_memorized_spans(...) with the options' thresholds.
// Infinite surprisals (p = 0) give infinite bits, not NaN. Throws invalid_argument_error for
// an empty document, 0 bytes, mismatched lengths, or a prompt length/bits <= 0.
[[nodiscard]] inline document_memorization
measure_document_memorization(const document_tokens& document, const generic_compressed_sizes& sizes,
                              const memorization_options& options = {},
                              const span_generic_bits_function& span_bits = {}) {
    const std::size_t n = document.surprisal_bits.size();
    if (n == 0) {
        throw invalid_argument_error("measure_document_memorization: the document has no tokens");
    }
    detail::check_document_span(document.log_probabilities_nats.size(), n, "log_probabilities_nats");
    detail::check_document_span(document.z_scores.size(), n, "z_scores");
    detail::check_document_span(document.ranks.size(), n, "ranks");
    detail::check_document_span(document.token_bytes.size(), n, "token_bytes");
    if (!document.reference_surprisal_bits.empty()) {
        detail::check_document_span(document.reference_surprisal_bits.size(), n, "reference_surprisal_bits");
    }
    document_memorization out;
    out.tokens = static_cast<std::int64_t>(n);
    for (std::size_t t = 0; t < n; ++t) {
        if (document.token_bytes[t] < 0) {
            throw invalid_argument_error("measure_document_memorization: token " + std::to_string(t) +
                                         " has a negative byte count");
        }
        out.bytes += document.token_bytes[t];
    }
    if (out.bytes == 0) {
        throw invalid_argument_error("measure_document_memorization: the document's tokens spell 0 bytes");
    }
    out.model_bits = detail::compensated_total(document.surprisal_bits, "surprisal_bits");
    out.model_bits_per_byte = out.model_bits / static_cast<double>(out.bytes);
    out.mean_surprisal_bits = out.model_bits / static_cast<double>(n);
    out.gain_over_gzip_9 = make_compression_gain(out.model_bits, sizes.gzip_9);
    out.gain_over_xz_9 = make_compression_gain(out.model_bits, sizes.xz_9);
    out.gain_over_zstd_19 = make_compression_gain(out.model_bits, sizes.zstd_19);
    out.gain_over_brotli_11 = make_compression_gain(out.model_bits, sizes.brotli_11);
    out.zlib_entropy_over_log_perplexity =
        static_cast<double>(sizes.zlib_default) * 8.0 / out.mean_surprisal_bits;
    const double mean_loss_nats = out.mean_surprisal_bits / bits_per_nat;
    out.loss_over_zlib_bytes = mean_loss_nats / static_cast<double>(sizes.zlib_default);
    out.min_k_percent = min_k_percent(document.log_probabilities_nats, options.k_percent);
    out.min_k_plus_plus = min_k_plus_plus(document.z_scores, options.k_percent);
    if (!document.reference_surprisal_bits.empty()) {
        out.reference_bits =
            detail::compensated_total(document.reference_surprisal_bits, "reference_surprisal_bits");
        out.model_over_reference_bits = out.model_bits / *out.reference_bits;
    }
    if (options.prefix_tokens) {
        out.greedy_extractable = greedy_extractable(document.ranks, *options.prefix_tokens);
        if (out.greedy_extractable) {
            out.extraction_suffix_tokens = out.tokens - *options.prefix_tokens;
        }
    }
    if (options.prompt_tokens) {
        if (*options.prompt_tokens < 1) {
            throw invalid_argument_error("measure_document_memorization: prompt_tokens must be >= 1");
        }
        out.adversarial_compression_ratio_tokens =
            static_cast<double>(out.tokens) / static_cast<double>(*options.prompt_tokens);
    }
    if (options.prompt_bits) {
        if (!(*options.prompt_bits > 0.0)) {
            throw invalid_argument_error("measure_document_memorization: prompt_bits must be > 0");
        }
        const std::uint64_t best = std::min({sizes.gzip_9, sizes.xz_9, sizes.zstd_19, sizes.brotli_11});
        out.adversarial_compression_ratio_bits = static_cast<double>(best) * 8.0 / *options.prompt_bits;
    }
    out.memorized_spans =
        find_memorized_spans(document.surprisal_bits, document.token_bytes, options.span_max_bits_per_byte,
                             options.span_min_bytes, span_bits, options.span_min_generic_ratio);
    for (const auto& span : out.memorized_spans) {
        out.memorized_bytes += span.byte_end - span.byte_begin;
    }
    return out;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
