// `codelength ngram`: perplexity and code length of a text under an ARPA back-off n-gram model,
// in the SRILM/KenLM convention (</s> counted; with and without OOVs).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "arguments.hpp"
#include "byte_files.hpp"
#include "codelength/core/error.hpp"
#include "codelength/io/arpa.hpp"
#include "codelength/models/ngram.hpp"
#include "json_writer.hpp"

namespace codelength::cli {

inline constexpr const char* ngram_usage =
    "usage: codelength ngram --arpa M.arpa --text F [--json]\n"
    "\n"
    "Scores F (one sentence per line, whitespace-separated tokens) under the ARPA model as SRILM's\n"
    "`ngram -ppl` and KenLM's `query` do: each sentence is <s> w1 .. wn </s>, </s> is scored and\n"
    "counted. OOVs are scored as <unk> when the model has it (perplexity includes them,\n"
    "perplexity_excluding_oov leaves them out); without <unk> they are skipped and the including-OOV\n"
    "perplexity is infinite (null in JSON). Whitespace-only lines are not sentences. Either file\n"
    "may be `-` for stdin (not both). Wall-clock seconds are reported only with --timing.\n"
    "\n";

inline arguments ngram_arguments() {
    arguments args;
    args.option("arpa", "FILE", "the ARPA back-off model (SRILM, KenLM, IRSTLM)")
        .option("text", "FILE", "the text to score: one sentence per line")
        .flag("json", "print one JSON object instead of the table");
    add_timing_flag(args).flag("help", "show this help", 'h');
    return args;
}

namespace detail {

inline std::string format_ngram_value(std::optional<double> value) {
    return value ? json_object::format_double(*value) : std::string("n/a");
}

} // namespace detail

// Runs `codelength ngram` with argv[first..); returns the exit status.
inline int run_ngram(int argc, char** argv, int first) {
    arguments args = ngram_arguments();
    args.parse(argc, argv, first);
    if (args.print_help_if_asked(ngram_usage)) {
        return 0;
    }
    args.reject_positional();
    const std::string arpa_path = args.required("arpa");
    const std::string text_path = args.required("text");
    const auto started = std::chrono::steady_clock::now();
    check_stdin_named_once({arpa_path, text_path});
    const arpa_model model(parse_arpa(read_whole_text(arpa_path), display_name(arpa_path, "stdin")));
    const std::string text = read_whole_text(text_path);
    const ngram_text_score score = score_text(model, text);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    if (args.has("json")) {
        json_object report;
        report.add("order", static_cast<std::int64_t>(model.order()))
            .add("vocabulary_size", model.vocabulary_size())
            .add("sentences", score.sentences)
            .add("words", score.words)
            .add("oovs", score.oovs)
            .add("skipped_oovs", score.skipped_oovs)
            .add("bytes", score.bytes)
            .add("total_log10_prob", score.total_log10_prob)
            .add("oov_log10_prob", score.oov_log10_prob)
            .add("perplexity", score.perplexity)
            .add("perplexity_excluding_oov", score.perplexity_excluding_oov)
            .add("bits_per_byte", score.bits_per_byte);
        if (args.has("timing")) {
            report.add("seconds", seconds);
        }
        std::printf("%s\n", report.str().c_str());
        return 0;
    }
    std::printf("%-26s %d\n", "order", model.order());
    std::printf("%-26s %lld\n", "vocabulary_size", static_cast<long long>(model.vocabulary_size()));
    std::printf("%-26s %lld\n", "sentences", static_cast<long long>(score.sentences));
    std::printf("%-26s %lld\n", "words", static_cast<long long>(score.words));
    std::printf("%-26s %lld%s\n", "oovs", static_cast<long long>(score.oovs),
                score.skipped_oovs > 0 ? " (no <unk>: skipped, probability 0)" : "");
    std::printf("%-26s %lld\n", "bytes", static_cast<long long>(score.bytes));
    std::printf("%-26s %s\n", "total_log10_prob", json_object::format_double(score.total_log10_prob).c_str());
    std::printf("%-26s %s\n", "perplexity", detail::format_ngram_value(score.perplexity).c_str());
    std::printf("%-26s %s\n", "perplexity_excluding_oov",
                detail::format_ngram_value(score.perplexity_excluding_oov).c_str());
    std::printf("%-26s %s\n", "bits_per_byte", detail::format_ngram_value(score.bits_per_byte).c_str());
    if (args.has("timing")) {
        std::printf("%-26s %.3f\n", "seconds", seconds);
    }
    return 0;
}

} // namespace codelength::cli
