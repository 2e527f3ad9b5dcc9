// Corpus-level summaries of per-document memorization metrics: the mean with a seeded
// percentile-bootstrap confidence interval.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/metrics/memorization.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// How bootstrap_mean resamples.
struct bootstrap_options {
    double confidence = 0.95;      // central interval, in (0, 1)
    std::int64_t resamples = 1000; // B >= 1
    std::uint64_t seed = 20261128; // std::mt19937_64 seed: equal seeds give equal intervals
};

// The mean of n values with a percentile-bootstrap interval [lower, upper].
struct bootstrap_interval {
    std::int64_t count = 0; // n: the finite values summarized
    double mean = 0.0;
    double lower = 0.0;
    double upper = 0.0;
};

namespace detail {

// Uniform index in [0, n) from the engine by rejection (no modulo bias, and unlike
// std::uniform_int_distribution the same on every standard library).
inline std::size_t uniform_index(std::mt19937_64& engine, std::size_t n) {
    const std::uint64_t range = n;
    const std::uint64_t limit =
        std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % range;
    std::uint64_t draw = engine();
    while (draw >= limit) {
        draw = engine();
    }
    return static_cast<std::size_t>(draw % range);
}

// Linear-interpolation quantile of sorted values (NumPy's default, "type 7"):
// h = (B - 1) q, value = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
inline double sorted_quantile(const std::vector<double>& sorted, double q) {
    const double h = static_cast<double>(sorted.size() - 1) * q;
    const auto low = static_cast<std::size_t>(std::floor(h));
    const std::size_t high = std::min(low + 1, sorted.size() - 1);
    return sorted[low] + (h - static_cast<double>(low)) * (sorted[high] - sorted[low]);
}

} // namespace detail

// Mean of the finite values with a percentile bootstrap interval (Efron): B resamples, each
// drawing n indices uniformly with replacement (detail::uniform_index on std::mt19937_64 seeded
// with options.seed, resample after resample, index after index); each resample's mean is a
// plain left-to-right double sum / n; lower/upper are the (1 - c)/2 and (1 + c)/2 type-7
// quantiles of the B sorted means. Non-finite values (a metric that is undefined or infinite
// for a document) are left out and `count` says how many remained; std::nullopt if none did.
// Throws invalid_argument_error for confidence outside (0, 1) or resamples < 1.
//   bootstrap_mean(std::vector<double>{2, 2, 2}) -> {3, 2, 2, 2}
[[nodiscard]] inline std::optional<bootstrap_interval> bootstrap_mean(std::span<const double> values,
                                                                      const bootstrap_options& options = {}) {
    if (!(options.confidence > 0.0 && options.confidence < 1.0) || options.resamples < 1) {
        throw invalid_argument_error("bootstrap_mean: need 0 < confidence < 1 and resamples >= 1");
    }
    std::vector<double> finite;
    finite.reserve(values.size());
    for (const double v : values) {
        if (std::isfinite(v)) {
            finite.push_back(v);
        }
    }
    if (finite.empty()) {
        return std::nullopt;
    }
    const std::size_t n = finite.size();
    bootstrap_interval out;
    out.count = static_cast<std::int64_t>(n);
    double total = 0.0;
    for (const double v : finite) {
        total += v;
    }
    out.mean = total / static_cast<double>(n);
    std::mt19937_64 engine(options.seed);
    std::vector<double> means(static_cast<std::size_t>(options.resamples));
    for (double& mean : means) {
        double sum = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            sum += finite[detail::uniform_index(engine, n)];
        }
        mean = sum / static_cast<double>(n);
    }
    std::sort(means.begin(), means.end());
    out.lower = detail::sorted_quantile(means, (1.0 - options.confidence) / 2.0);
    out.upper = detail::sorted_quantile(means, (1.0 + options.confidence) / 2.0);
    return out;
}

// One summarized metric: its name (the per-document field) and its bootstrap interval
// (std::nullopt when no document had a finite value).
struct corpus_metric_summary {
    std::string metric;
    std::optional<bootstrap_interval> interval;
};

// Bootstrap means of the per-document metrics, in this order: model_bits_per_byte,
// gain_ratio_over_gzip_9, gain_ratio_over_xz_9, gain_ratio_over_zstd_19, gain_ratio_over_brotli_11,
// zlib_entropy_over_log_perplexity, loss_over_zlib_bytes, min_k_percent, min_k_plus_plus,
// model_over_reference_bits (documents with a reference), greedy_extractable (1 or 0, documents
// with a suffix: the extractable fraction), adversarial_compression_ratio_tokens and _bits
// (when set), memorized_byte_fraction (memorized_bytes / bytes). Each uses bootstrap_mean with
// the same options, so every metric sees the same resampling stream.
[[nodiscard]] inline std::vector<corpus_metric_summary>
summarize_memorization(std::span<const document_memorization> documents,
                       const bootstrap_options& options = {}) {
    const auto summarize = [&](const char* name, auto&& field) {
        std::vector<double> values;
        values.reserve(documents.size());
        for (const auto& d : documents) {
            if (const std::optional<double> v = field(d)) {
                values.push_back(*v);
            }
        }
        return corpus_metric_summary{name, bootstrap_mean(values, options)};
    };
    using opt = std::optional<double>;
    std::vector<corpus_metric_summary> out;
    out.push_back(summarize("model_bits_per_byte", [](const auto& d) { return opt(d.model_bits_per_byte); }));
    out.push_back(
        summarize("gain_ratio_over_gzip_9", [](const auto& d) { return opt(d.gain_over_gzip_9.ratio); }));
    out.push_back(
        summarize("gain_ratio_over_xz_9", [](const auto& d) { return opt(d.gain_over_xz_9.ratio); }));
    out.push_back(
        summarize("gain_ratio_over_zstd_19", [](const auto& d) { return opt(d.gain_over_zstd_19.ratio); }));
    out.push_back(summarize("gain_ratio_over_brotli_11",
                            [](const auto& d) { return opt(d.gain_over_brotli_11.ratio); }));
    out.push_back(summarize("zlib_entropy_over_log_perplexity",
                            [](const auto& d) { return opt(d.zlib_entropy_over_log_perplexity); }));
    out.push_back(
        summarize("loss_over_zlib_bytes", [](const auto& d) { return opt(d.loss_over_zlib_bytes); }));
    out.push_back(summarize("min_k_percent", [](const auto& d) { return opt(d.min_k_percent); }));
    out.push_back(summarize("min_k_plus_plus", [](const auto& d) { return opt(d.min_k_plus_plus); }));
    out.push_back(
        summarize("model_over_reference_bits", [](const auto& d) { return d.model_over_reference_bits; }));
    out.push_back(summarize("greedy_extractable", [](const auto& d) {
        return d.greedy_extractable ? opt(*d.greedy_extractable ? 1.0 : 0.0) : std::nullopt;
    }));
    out.push_back(summarize("adversarial_compression_ratio_tokens",
                            [](const auto& d) { return d.adversarial_compression_ratio_tokens; }));
    out.push_back(summarize("adversarial_compression_ratio_bits",
                            [](const auto& d) { return d.adversarial_compression_ratio_bits; }));
    out.push_back(summarize("memorized_byte_fraction", [](const auto& d) {
        return opt(static_cast<double>(d.memorized_bytes) / static_cast<double>(d.bytes));
    }));
    return out;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
