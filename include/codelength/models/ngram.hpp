// Back-off n-gram models from ARPA files: exact back-off probabilities, a sequential categorical
// model over the vocabulary (so every metric and the coder work with it), and text perplexity in
// the SRILM/KenLM convention.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <numbers>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/io/arpa.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// An ARPA back-off model: p(w | h) for any context h of word ids (oldest first).
// Invariant: every id the model hands out lies in [0, vocabulary_size()).
class arpa_model {
public:
    explicit arpa_model(arpa_file file)
        : m_file(std::move(file)), m_begin_id(m_file.word_id("<s>")), m_end_id(m_file.word_id("</s>")),
          m_unknown_id(m_file.word_id("<unk>")) {
        if (m_file.max_order() < 1 || m_file.vocabulary_size() < 1) {
            throw invalid_argument_error("arpa_model: the model has no words");
        }
    }
    // Reads the ARPA file at path (see parse_arpa for what is accepted).
    [[nodiscard]] static arpa_model from_file(const std::filesystem::path& path) {
        return arpa_model(read_arpa(path));
    }

    [[nodiscard]] const arpa_file& file() const noexcept { return m_file; }
    [[nodiscard]] int order() const noexcept { return m_file.max_order(); }
    [[nodiscard]] std::int64_t vocabulary_size() const noexcept { return m_file.vocabulary_size(); }
    // The id of word, or -1 when it is out of vocabulary.
    [[nodiscard]] std::int32_t word_id(std::string_view word) const { return m_file.word_id(word); }
    // The ids of <s>, </s> and <unk>, or -1 when the model lacks them.
    [[nodiscard]] std::int32_t begin_id() const noexcept { return m_begin_id; }
    [[nodiscard]] std::int32_t end_id() const noexcept { return m_end_id; }
    [[nodiscard]] std::int32_t unknown_id() const noexcept { return m_unknown_id; }

    // log10 p(word | context) by back-off (Katz 1987; the ARPA definition SRILM and KenLM use):
    // with h the last min(|context|, N-1) ids, p(w|h) is the listed value when (h, w) is an
    // n-gram, else log10 bow(h) + log10 p(w|h') with h' = h minus its oldest word, where
    // bow(h) = 0 when h is not listed. Throws invalid_argument_error on an id outside the
    // vocabulary (a negative context id is not allowed either: drop the context at an OOV).
    //   double lp = model.log10_probability(std::array{model.word_id("a")}, model.word_id("b"));
    [[nodiscard]] double log10_probability(std::span<const std::int32_t> context_ids,
                                           std::int32_t word) const {
        check_id(word);
        for (const std::int32_t id : context_ids) {
            check_id(id);
        }
        return log10_probability_unchecked(context_ids, word);
    }

    // As log10_probability, for ids already known to be in range.
    [[nodiscard]] double log10_probability_unchecked(std::span<const std::int32_t> context_ids,
                                                     std::int32_t word) const {
        const std::size_t longest =
            std::min(context_ids.size(), static_cast<std::size_t>(m_file.max_order() - 1));
        std::int32_t tuple[detail::arpa_max_order];
        double log10_backoff_sum = 0.0;
        for (std::size_t k = longest + 1; k-- > 0;) {
            // tuple = the last k context ids, then word.
            std::copy(context_ids.end() - static_cast<std::ptrdiff_t>(k), context_ids.end(), tuple);
            tuple[k] = word;
            const arpa_order& with_word = m_file.order(static_cast<int>(k + 1));
            if (const std::int64_t i = with_word.find(std::span<const std::int32_t>(tuple, k + 1)); i >= 0) {
                return log10_backoff_sum + with_word.log10_probability[static_cast<std::size_t>(i)];
            }
            if (k > 0) {
                const arpa_order& context_order = m_file.order(static_cast<int>(k));
                if (const std::int64_t c = context_order.find(std::span<const std::int32_t>(tuple, k));
                    c >= 0) {
                    log10_backoff_sum += context_order.log10_backoff[static_cast<std::size_t>(c)];
                }
            }
        }
        // Unreachable: every vocabulary word is a 1-gram.
        return -std::numeric_limits<double>::infinity();
    }

private:
    void check_id(std::int32_t id) const {
        if (id < 0 || id >= vocabulary_size()) {
            throw invalid_argument_error("arpa_model: word id " + std::to_string(id) +
                                         " is outside the vocabulary [0, " +
                                         std::to_string(vocabulary_size()) + ")");
        }
    }

    arpa_file m_file;
    std::int32_t m_begin_id;
    std::int32_t m_end_id;
    std::int32_t m_unknown_id;
};

// A sequential categorical model over an arpa_model's vocabulary: next_log_probabilities() is
// the V natural-log probabilities ln p(w | context) for the current context, update(token)
// appends a word id. The context starts as <s> (empty if the model has no <s>) and keeps the
// last N-1 ids. Each row costs O(V * N log n) lookups. The model must outlive this object.
class arpa_sequential_model {
public:
    explicit arpa_sequential_model(const arpa_model& model)
        : m_model(&model), m_row(static_cast<std::size_t>(model.vocabulary_size())) {
        reset();
    }
    // Restarts at the beginning of a sentence (context <s>).
    void reset() {
        m_context.clear();
        if (m_model->begin_id() >= 0) {
            m_context.push_back(m_model->begin_id());
        }
    }
    [[nodiscard]] std::int64_t vocabulary_size() const noexcept { return m_model->vocabulary_size(); }
    // ln p(w | context) for every word id w; valid until the next call or update.
    [[nodiscard]] std::span<const double> next_log_probabilities() {
        for (std::size_t w = 0; w < m_row.size(); ++w) {
            m_row[w] = m_model->log10_probability_unchecked(m_context, static_cast<std::int32_t>(w)) *
                       std::numbers::ln10;
        }
        return m_row;
    }
    // Appends token (a word id in [0, V)) to the context.
    void update(std::int64_t token) {
        if (token < 0 || token >= vocabulary_size()) {
            throw invalid_argument_error("arpa_sequential_model: token " + std::to_string(token) +
                                         " is outside the vocabulary [0, " +
                                         std::to_string(vocabulary_size()) + ")");
        }
        m_context.push_back(static_cast<std::int32_t>(token));
        const auto keep = static_cast<std::size_t>(m_model->order() - 1);
        if (m_context.size() > keep) {
            m_context.erase(m_context.begin(), m_context.end() - static_cast<std::ptrdiff_t>(keep));
        }
    }
    // The current context (oldest first, at most N-1 ids).
    [[nodiscard]] std::span<const std::int32_t> context() const noexcept { return m_context; }

private:
    const arpa_model* m_model;
    std::vector<std::int32_t> m_context;
    std::vector<double> m_row;
};

// The totals of scoring a text with score_text; *_log10_prob are sums of log10 probabilities.
struct ngram_text_score {
    std::int64_t sentences = 0;    // non-empty lines
    std::int64_t words = 0;        // tokens, OOVs included, </s> excluded
    std::int64_t oovs = 0;         // tokens not in the vocabulary
    std::int64_t skipped_oovs = 0; // OOVs not scored because the model has no <unk>
    std::int64_t bytes = 0;        // UTF-8 bytes of the whole text (newlines included)
    double total_log10_prob = 0.0; // every scored token, </s> and OOVs-as-<unk> included
    double oov_log10_prob = 0.0;   // the part of total_log10_prob from OOVs scored as <unk>
    // 10^(-total / (words + sentences)); +inf when an OOV has no <unk> to be scored as.
    std::optional<double> perplexity;
    // 10^(-(total - oov) / (words + sentences - oovs)).
    std::optional<double> perplexity_excluding_oov;
    // -total * log2(10) / bytes; +inf when an OOV has no <unk> to be scored as.
    std::optional<double> bits_per_byte;
};

namespace detail {
inline bool ngram_text_is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}
} // namespace detail

// Scores text (one sentence per line, tokens separated by whitespace) the way SRILM's
// `ngram -ppl` and KenLM's `query` do: each sentence is <s> w1 ... wn </s>, <s> is context only,
// </s> is scored and counted in the perplexity's denominator (words + sentences). An OOV (a
// word outside the vocabulary) is scored as <unk> when the model has it (KenLM); its log10
// probability is in total_log10_prob and in oov_log10_prob, so perplexity counts OOVs (KenLM's
// "Perplexity including OOVs") and perplexity_excluding_oov leaves their tokens and
// probabilities out (KenLM's "excluding OOVs", SRILM's `ppl`, which always excludes OOVs).
// Without <unk> an OOV is skipped as SRILM does: it adds nothing to total_log10_prob, the next
// word's context restarts after it, it is counted in oovs and skipped_oovs, and the
// including-OOV perplexity and bits_per_byte are +inf (the model gives it probability 0).
// Whitespace-only lines are not sentences. Needs </s> in the vocabulary (and <s> for context).
//   auto s = codelength::score_text(model, "the cat\n"); // s.words == 2, s.sentences == 1
[[nodiscard]] inline ngram_text_score score_text(const arpa_model& model, std::string_view text) {
    if (model.end_id() < 0) {
        throw invalid_argument_error("score_text: the model has no </s>");
    }
    ngram_text_score score;
    score.bytes = static_cast<std::int64_t>(text.size());
    const auto keep = static_cast<std::size_t>(model.order() - 1);
    std::vector<std::int32_t> context;
    const auto push = [&](std::int32_t id) {
        context.push_back(id);
        if (context.size() > keep) {
            context.erase(context.begin(), context.end() - static_cast<std::ptrdiff_t>(keep));
        }
    };
    std::size_t position = 0;
    while (position < text.size()) {
        const std::size_t newline = text.find('\n', position);
        const std::size_t end = newline == std::string_view::npos ? text.size() : newline;
        const std::string_view line = text.substr(position, end - position);
        position = end + 1;
        context.clear();
        if (model.begin_id() >= 0) {
            push(model.begin_id());
        }
        bool any_token = false;
        std::size_t i = 0;
        while (i < line.size()) {
            while (i < line.size() && detail::ngram_text_is_space(line[i])) {
                ++i;
            }
            const std::size_t begin = i;
            while (i < line.size() && !detail::ngram_text_is_space(line[i])) {
                ++i;
            }
            if (i == begin) {
                break;
            }
            any_token = true;
            ++score.words;
            std::int32_t id = model.word_id(line.substr(begin, i - begin));
            if (id < 0) {
                ++score.oovs;
                id = model.unknown_id();
                if (id < 0) {
                    ++score.skipped_oovs;
                    context.clear();
                    continue;
                }
                const double log10_p = model.log10_probability_unchecked(context, id);
                score.total_log10_prob += log10_p;
                score.oov_log10_prob += log10_p;
            } else {
                score.total_log10_prob += model.log10_probability_unchecked(context, id);
            }
            push(id);
        }
        if (!any_token) {
            continue;
        }
        ++score.sentences;
        score.total_log10_prob += model.log10_probability_unchecked(context, model.end_id());
    }
    const double infinity = std::numeric_limits<double>::infinity();
    const std::int64_t scored_with_oovs = score.words + score.sentences;
    if (scored_with_oovs > 0) {
        score.perplexity =
            score.skipped_oovs > 0
                ? infinity
                : std::pow(10.0, -score.total_log10_prob / static_cast<double>(scored_with_oovs));
    }
    const std::int64_t scored_without_oovs = scored_with_oovs - score.oovs;
    if (scored_without_oovs > 0) {
        score.perplexity_excluding_oov = std::pow(10.0, -(score.total_log10_prob - score.oov_log10_prob) /
                                                            static_cast<double>(scored_without_oovs));
    }
    if (score.bytes > 0) {
        score.bits_per_byte = score.skipped_oovs > 0
                                  ? infinity
                                  : -score.total_log10_prob * std::numbers::log2e / std::numbers::log10e /
                                        static_cast<double>(score.bytes);
    }
    return score;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
