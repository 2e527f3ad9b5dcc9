// Memorization records for a corpus of documents laid end to end, as `codelength memorization`
// and the Python package's memorization() report them: the row kernel over teacher-forced logits,
// the documents' boundaries, and one document_memorization (with the generic compressors' sizes
// of its text) per document. Part of codelength::baselines (zlib, liblzma, libzstd, libbrotlienc).
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "codelength/baselines/document_compression.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/core/thread_count.hpp"
#include "codelength/metrics/memorization.hpp"
#include "codelength/metrics/min_k.hpp"
#include "codelength/numerics/row_kernel.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Per-target values of teacher-forced rows: surprisal, ln p, Min-K%++ z, rank and the row's
// entropy in bits.
struct teacher_forced_tokens {
    std::vector<double> surprisal_bits;
    std::vector<double> log_probabilities_nats;
    std::vector<double> z_scores;
    std::vector<std::int64_t> ranks;
    std::vector<double> entropy_bits;

    // Makes room for n targets.
    void resize(std::size_t n) {
        surprisal_bits.resize(n);
        log_probabilities_nats.resize(n);
        z_scores.resize(n);
        ranks.resize(n);
        entropy_bits.resize(n);
    }
};

// Runs the row kernel over every row of `logits` against targets (one per row, all >= 0), 4,096
// rows at a time, and stores row r's values at index first_row + r of `out` (which must hold
// that many). Row errors (NaN, +inf, every entry -inf, a target outside [0, V)) are thrown as
// the kernel throws them, naming row first_row + r.
template <class Element>
void evaluate_teacher_forced(matrix_view<Element> logits, std::span<const std::int64_t> targets,
                             teacher_forced_tokens& out, std::int64_t first_row = 0, unsigned threads = 1) {
    constexpr std::int64_t block_rows = 4096;
    if (static_cast<std::int64_t>(targets.size()) != logits.rows ||
        static_cast<std::int64_t>(out.surprisal_bits.size()) < first_row + logits.rows) {
        throw invalid_argument_error("evaluate_teacher_forced: " + std::to_string(logits.rows) + " rows, " +
                                     std::to_string(targets.size()) + " targets and room for " +
                                     std::to_string(out.surprisal_bits.size()) + " values from " +
                                     std::to_string(first_row));
    }
    std::vector<row_statistics> block(
        static_cast<std::size_t>(std::min<std::int64_t>(block_rows, logits.rows)));
    for (std::int64_t begin = 0; begin < logits.rows; begin += block_rows) {
        const std::int64_t count = std::min(block_rows, logits.rows - begin);
        auto part = logits;
        part.data = logits.data + begin * logits.row_stride;
        part.rows = count;
        const std::span<row_statistics> stats(block.data(), static_cast<std::size_t>(count));
        evaluate_rows(part, targets.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(count)),
                      stats, row_evaluation_options{threads, kernel_choice::automatic}, first_row + begin);
        for (std::int64_t i = 0; i < count; ++i) {
            const row_statistics& s = stats[static_cast<std::size_t>(i)];
            const auto t = static_cast<std::size_t>(first_row + begin + i);
            out.surprisal_bits[t] = s.target_surprisal_bits();
            out.log_probabilities_nats[t] = s.target_log_probability_nats;
            out.z_scores[t] = min_k_plus_plus_z_score(s);
            out.ranks[t] = s.target_rank;
            out.entropy_bits[t] = s.entropy_nats * bits_per_nat;
        }
    }
}

// The document boundaries [bounds[d], bounds[d + 1]) from document offsets: the target index
// where each document starts (increasing, within [0, targets]), optionally followed by the end
// (targets otherwise). Throws invalid_argument_error, its message starting with `name`, for an
// empty list, an offset out of range or not above the one before, or only the end.
//   document_boundaries(std::vector<std::int64_t>{0, 3}, 5, "offsets") == {0, 3, 5}
[[nodiscard]] inline std::vector<std::int64_t>
document_boundaries(std::span<const std::int64_t> offsets, std::int64_t targets, const std::string& name) {
    std::vector<std::int64_t> bounds(offsets.begin(), offsets.end());
    if (bounds.empty()) {
        throw invalid_argument_error(name + ": no documents");
    }
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        if (bounds[i] < 0 || bounds[i] > targets) {
            throw invalid_argument_error(name + ": element " + std::to_string(i) + " is " +
                                         std::to_string(bounds[i]) + ", outside [0, " +
                                         std::to_string(targets) + "]");
        }
        if (i > 0 && bounds[i] <= bounds[i - 1]) {
            throw invalid_argument_error(name + ": element " + std::to_string(i) + " (" +
                                         std::to_string(bounds[i]) + ") is not greater than element " +
                                         std::to_string(i - 1) + " (" + std::to_string(bounds[i - 1]) +
                                         "): documents must be non-empty and in order");
        }
    }
    if (bounds.back() != targets) {
        bounds.push_back(targets); // the last document runs to the end of the targets
    }
    if (bounds.size() < 2) {
        throw invalid_argument_error(name + ": no documents (the only offset is the end, " +
                                     std::to_string(targets) + ")");
    }
    return bounds;
}

// The code length of an adversarial-compression prompt of prompt_tokens tokens, each coded
// uniformly over the vocabulary: prompt_tokens * log2(V) bits; std::nullopt for V = 1 (a prompt
// then costs no bits and the ratio is undefined).
[[nodiscard]] inline std::optional<double> uniform_prompt_bits(std::int64_t prompt_tokens,
                                                               std::int64_t vocabulary_size) {
    const double bits = static_cast<double>(prompt_tokens) * std::log2(static_cast<double>(vocabulary_size));
    return bits > 0.0 ? std::optional<double>(bits) : std::nullopt;
}

// One document's record: its position in the corpus, the generic sizes of its text, every metric.
struct memorization_record {
    std::int64_t document = 0;
    std::int64_t token_begin = 0;
    std::int64_t byte_begin = 0;
    generic_compressed_sizes sizes;
    document_memorization metrics;
};

// One scalar field of a record: its name, its value (std::nullopt when undefined) and whether it
// counts something (printed as an integer).
struct memorization_field {
    const char* name;
    std::optional<double> value;
    bool integral;
};

// The scalar fields of a record in report order (`codelength memorization --json` and --csv, the
// Python records' keys); memorized_spans is the spans' count, greedy_extractable 1/0.
[[nodiscard]] inline std::vector<memorization_field>
memorization_record_fields(const memorization_record& r) {
    const document_memorization& m = r.metrics;
    const auto d = [](double v) { return std::optional<double>(v); };
    const auto i = [](std::int64_t v) { return std::optional<double>(static_cast<double>(v)); };
    const auto u = [](std::uint64_t v) { return std::optional<double>(static_cast<double>(v)); };
    const std::optional<double> suffix =
        m.extraction_suffix_tokens ? std::optional<double>(static_cast<double>(*m.extraction_suffix_tokens))
                                   : std::nullopt;
    const std::optional<double> extractable =
        m.greedy_extractable ? std::optional<double>(*m.greedy_extractable ? 1.0 : 0.0) : std::nullopt;
    return {
        {"document", i(r.document), true},
        {"token_begin", i(r.token_begin), true},
        {"tokens", i(m.tokens), true},
        {"byte_begin", i(r.byte_begin), true},
        {"bytes", i(m.bytes), true},
        {"model_bits", d(m.model_bits), false},
        {"model_bits_per_byte", d(m.model_bits_per_byte), false},
        {"mean_surprisal_bits", d(m.mean_surprisal_bits), false},
        {"zlib_bytes", u(r.sizes.zlib_default), true},
        {"gzip_9_bytes", u(r.sizes.gzip_9), true},
        {"xz_9_bytes", u(r.sizes.xz_9), true},
        {"zstd_19_bytes", u(r.sizes.zstd_19), true},
        {"brotli_11_bytes", u(r.sizes.brotli_11), true},
        {"gain_bits_over_gzip_9", d(m.gain_over_gzip_9.gain_bits), false},
        {"gain_ratio_over_gzip_9", d(m.gain_over_gzip_9.ratio), false},
        {"gain_bits_over_xz_9", d(m.gain_over_xz_9.gain_bits), false},
        {"gain_ratio_over_xz_9", d(m.gain_over_xz_9.ratio), false},
        {"gain_bits_over_zstd_19", d(m.gain_over_zstd_19.gain_bits), false},
        {"gain_ratio_over_zstd_19", d(m.gain_over_zstd_19.ratio), false},
        {"gain_bits_over_brotli_11", d(m.gain_over_brotli_11.gain_bits), false},
        {"gain_ratio_over_brotli_11", d(m.gain_over_brotli_11.ratio), false},
        {"zlib_entropy_over_log_perplexity", d(m.zlib_entropy_over_log_perplexity), false},
        {"loss_over_zlib_bytes", d(m.loss_over_zlib_bytes), false},
        {"min_k_percent", d(m.min_k_percent), false},
        {"min_k_plus_plus", d(m.min_k_plus_plus), false},
        {"reference_bits", m.reference_bits, false},
        {"model_over_reference_bits", m.model_over_reference_bits, false},
        {"extraction_suffix_tokens", suffix, true},
        {"adversarial_compression_ratio_tokens", m.adversarial_compression_ratio_tokens, false},
        {"adversarial_compression_ratio_bits", m.adversarial_compression_ratio_bits, false},
        {"memorized_spans", i(static_cast<std::int64_t>(m.memorized_spans.size())), true},
        {"memorized_bytes", i(m.memorized_bytes), true},
        {"greedy_extractable", extractable, false},
    };
}

// Names of the inputs of measure_corpus_memorization, for its error messages (file paths in the
// command-line tool, argument names in the Python package).
struct corpus_memorization_names {
    std::string token_bytes = "token_bytes";
    std::string text = "text";
};

// One memorization_record per document [bounds[d], bounds[d + 1]) of the targets: document d's
// text is the next sum(token_bytes[bounds[d] .. bounds[d + 1])) bytes of `text`, its tokens
// model's values at those indices, its reference bits those of reference_surprisal_bits (empty:
// no reference). Throws invalid_argument_error when `text` does not have exactly as many bytes
// as the token bytes up to the last document's end, when a document spells 0 bytes, or when the
// lengths differ; memorization metrics throw as measure_document_memorization does.
// `on_document(done, documents)`, when given, is called after each document (progress lines),
// from one thread at a time, with `done` counting up.
// `threads` (0 = std::thread::hardware_concurrency()) measure documents in parallel, each with
// its own compressors: the records do not depend on the thread count, and the error thrown is
// the one a single thread meets first (the lowest failing document). Each thread holds xz -9's
// tables (xz_9_encoder: 674 MiB of address space, about 70 MiB resident) until the call returns.
[[nodiscard]] inline std::vector<memorization_record> measure_corpus_memorization(
    const teacher_forced_tokens& model, std::span<const double> reference_surprisal_bits,
    std::span<const std::int64_t> token_bytes, std::span<const std::int64_t> bounds,
    std::span<const std::uint8_t> text, const memorization_options& options,
    const corpus_memorization_names& names = {},
    const std::function<void(std::size_t, std::size_t)>& on_document = {}, unsigned threads = 1) {
    const std::size_t targets = token_bytes.size();
    if (model.surprisal_bits.size() != targets ||
        (!reference_surprisal_bits.empty() && reference_surprisal_bits.size() != targets) ||
        bounds.size() < 2 || bounds.back() > static_cast<std::int64_t>(targets)) {
        throw invalid_argument_error("measure_corpus_memorization: " + std::to_string(targets) +
                                     " token byte counts, " + std::to_string(model.surprisal_bits.size()) +
                                     " model values, " + std::to_string(reference_surprisal_bits.size()) +
                                     " reference values and " + std::to_string(bounds.size()) +
                                     " boundaries do not fit together");
    }
    std::vector<std::int64_t> byte_offsets(targets + 1, 0); // byte_offsets[t] = bytes before target t
    for (std::size_t t = 0; t < targets; ++t) {
        if (token_bytes[t] < 0) {
            throw invalid_argument_error(names.token_bytes + ": element " + std::to_string(t) + " is " +
                                         std::to_string(token_bytes[t]) +
                                         " (byte counts cannot be negative)");
        }
        byte_offsets[t + 1] = byte_offsets[t] + token_bytes[t];
    }
    const std::int64_t needed_bytes = byte_offsets[static_cast<std::size_t>(bounds.back())];
    if (needed_bytes != static_cast<std::int64_t>(text.size())) {
        throw invalid_argument_error(names.text + " has " + std::to_string(text.size()) + " bytes but " +
                                     names.token_bytes + " sums to " + std::to_string(needed_bytes) +
                                     " bytes over targets [0, " + std::to_string(bounds.back()) + ")");
    }
    const std::size_t documents = bounds.size() - 1;
    std::vector<memorization_record> records(documents);
    const auto measure = [&](std::size_t d, xz_9_encoder& xz) {
        const auto begin = static_cast<std::size_t>(bounds[d]);
        const std::size_t n = static_cast<std::size_t>(bounds[d + 1]) - begin;
        memorization_record& record = records[d];
        record.document = static_cast<std::int64_t>(d);
        record.token_begin = bounds[d];
        record.byte_begin = byte_offsets[begin];
        const auto document_text =
            text.subspan(static_cast<std::size_t>(record.byte_begin),
                         static_cast<std::size_t>(byte_offsets[begin + n] - record.byte_begin));
        if (document_text.empty()) {
            throw invalid_argument_error(names.token_bytes + ": document " + std::to_string(d) +
                                         " (targets [" + std::to_string(begin) + ", " +
                                         std::to_string(begin + n) + ")) spells 0 bytes");
        }
        document_tokens tokens;
        tokens.surprisal_bits = std::span(model.surprisal_bits).subspan(begin, n);
        tokens.log_probabilities_nats = std::span(model.log_probabilities_nats).subspan(begin, n);
        tokens.z_scores = std::span(model.z_scores).subspan(begin, n);
        tokens.ranks = std::span(model.ranks).subspan(begin, n);
        tokens.token_bytes = token_bytes.subspan(begin, n);
        if (!reference_surprisal_bits.empty()) {
            tokens.reference_surprisal_bits = reference_surprisal_bits.subspan(begin, n);
        }
        record.sizes = measure_generic_sizes(document_text, xz);
        record.metrics =
            measure_document_memorization(tokens, record.sizes, options, zlib_span_bits(document_text));
    };
    // Workers (the calling thread and threads - 1 more) take the next document in order; after a
    // failure they skip the documents above the lowest failed one but still measure those below
    // it, so that one is found, as one thread would find it.
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> lowest_failed{documents};
    std::vector<std::exception_ptr> errors(documents);
    std::mutex progress_mutex;
    std::size_t done = 0;
    const auto work = [&] {
        xz_9_encoder xz;
        for (std::size_t d = next++; d < documents; d = next++) {
            if (d > lowest_failed.load()) {
                continue;
            }
            try {
                measure(d, xz);
                if (on_document) {
                    const std::lock_guard lock(progress_mutex);
                    on_document(++done, documents);
                }
            } catch (...) { // a callback's exception counts as this document's
                errors[d] = std::current_exception();
                for (std::size_t seen = lowest_failed.load();
                     d < seen && !lowest_failed.compare_exchange_weak(seen, d);) {
                }
            }
        }
    };
    {
        // The jthreads join when the block ends, also when starting one throws.
        std::vector<std::jthread> workers;
        const unsigned threads_used = detail::thread_count(threads, documents);
        workers.reserve(threads_used - 1);
        try {
            for (unsigned w = 1; w < threads_used; ++w) {
                workers.emplace_back(work);
            }
        } catch (...) {
            lowest_failed = 0; // the workers already started stop at their next document
            throw;
        }
        work();
    }
    if (const std::size_t d = lowest_failed.load(); d < documents) {
        std::rethrow_exception(errors[d]);
    }
    return records;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
