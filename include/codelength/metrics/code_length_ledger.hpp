// The code-length ledger: total surprisal bits of a corpus with its token, byte and word
// counts, from which bits/token, bits/byte and the three perplexities follow; mergeable for
// sharded evaluation.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/units.hpp"
#include "codelength/metrics/word_count.hpp"
#include "codelength/numerics/exact_sum.hpp"
#include "codelength/numerics/row_statistics.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Totals of a scored corpus: surprisal bits, scored tokens, UTF-8 bytes and words.
// Every ratio is a weighted total over the whole corpus (the lm-evaluation-harness
// definitions): sum s / tokens, never a mean of per-document means.
//
// Undefined values: every ratio returns std::nullopt when its denominator is 0 (no tokens,
// no bytes or no words added), never NaN. A token with probability 0 has surprisal +inf: it
// is counted in infinite_tokens(), total_bits() and every ratio become +inf, and
// finite_bits() still holds the sum over the other tokens.
//
// Sums are exact (exact_sum: rounded once, when read), so merging (`a += b`) gives totals
// bit-identical to a single pass wherever the shards are cut and in whatever order they are
// merged; `==` compares the exact state. to_bytes()/code_length_ledger_from_bytes()
// (metrics/ledger_bytes.hpp) carry a ledger between processes; to_json() prints it for people.
//   codelength::code_length_ledger ledger;
//   ledger.add_surprisal_bits(1.0);
//   ledger.add_surprisal_bits(3.0);
//   ledger.add_document("hello world"); // 11 bytes, 2 words
//   *ledger.token_perplexity() == 4.0;  // 2^(4 bits / 2 tokens)
class code_length_ledger {
public:
    // Everything a ledger holds, for serialization; from_state() checks it is consistent.
    struct state_type {
        std::int64_t tokens = 0;          // scored tokens, infinite ones included
        std::int64_t infinite_tokens = 0; // scored tokens of surprisal +inf
        std::int64_t entropy_tokens = 0;  // scored tokens added with an entropy
        std::int64_t ignored_tokens = 0;
        std::int64_t bytes = 0;
        std::int64_t words = 0;
        exact_sum finite_bits;  // sum of the finite surprisals, bits
        exact_sum entropy_bits; // sum of the entropies, bits
    };

    // The ledger's complete state (counts and exact sums).
    [[nodiscard]] state_type state() const {
        return {m_tokens, m_infinite_tokens, m_entropy_tokens, m_ignored_tokens,
                m_bytes,  m_words,           m_finite_bits,    m_entropy_bits};
    }

    // A ledger with this state; throws invalid_argument_error naming the field when the state
    // cannot come from a ledger (a negative count, infinite_tokens or entropy_tokens above
    // tokens, a sum holding infinities or NaN, a nonzero sum without its tokens).
    [[nodiscard]] static code_length_ledger from_state(const state_type& state) {
        const auto refuse = [](const std::string& what) {
            throw invalid_argument_error("code_length_ledger state: " + what);
        };
        const std::pair<const char*, std::int64_t> counts[] = {{"tokens", state.tokens},
                                                               {"infinite_tokens", state.infinite_tokens},
                                                               {"entropy_tokens", state.entropy_tokens},
                                                               {"ignored_tokens", state.ignored_tokens},
                                                               {"bytes", state.bytes},
                                                               {"words", state.words}};
        for (const auto& [name, count] : counts) {
            if (count < 0) {
                refuse(std::string(name) + " is negative: " + std::to_string(count));
            }
        }
        if (state.infinite_tokens > state.tokens) {
            refuse("infinite_tokens (" + std::to_string(state.infinite_tokens) + ") exceed tokens (" +
                   std::to_string(state.tokens) + ")");
        }
        if (state.entropy_tokens > state.tokens) {
            refuse("entropy_tokens (" + std::to_string(state.entropy_tokens) + ") exceed tokens (" +
                   std::to_string(state.tokens) + ")");
        }
        const std::pair<const char*, const exact_sum*> sums[] = {{"finite_bits", &state.finite_bits},
                                                                 {"entropy_bits", &state.entropy_bits}};
        for (const auto& [name, sum] : sums) {
            const auto parts = sum->parts();
            if (parts.has_nan || parts.has_positive_infinity || parts.has_negative_infinity) {
                refuse(std::string(name) + " holds an infinity or NaN");
            }
        }
        if (state.tokens == state.infinite_tokens && !(state.finite_bits == exact_sum{})) {
            refuse("finite_bits is nonzero without finite tokens");
        }
        if (state.entropy_tokens == 0 && !(state.entropy_bits == exact_sum{})) {
            refuse("entropy_bits is nonzero without entropy_tokens");
        }
        code_length_ledger ledger;
        ledger.m_tokens = state.tokens;
        ledger.m_infinite_tokens = state.infinite_tokens;
        ledger.m_entropy_tokens = state.entropy_tokens;
        ledger.m_ignored_tokens = state.ignored_tokens;
        ledger.m_bytes = state.bytes;
        ledger.m_words = state.words;
        ledger.m_finite_bits = state.finite_bits;
        ledger.m_entropy_bits = state.entropy_bits;
        return ledger;
    }

    // Adds one row's statistics; rows whose target is < 0 (ignore_index) are only counted in
    // ignored_tokens(). The row's entropy joins mean_entropy_bits().
    void add(const row_statistics& stats) {
        if (!stats.is_scored()) {
            ++m_ignored_tokens;
            return;
        }
        add_surprisal_bits(stats.target_surprisal_bits(), stats.entropy_nats * bits_per_nat);
    }

    // Adds one scored token of surprisal -log2 p bits (+inf when p = 0). Throws
    // invalid_argument_error for NaN or -inf.
    void add_surprisal_bits(double surprisal_bits) {
        if (std::isnan(surprisal_bits) || surprisal_bits == -std::numeric_limits<double>::infinity()) {
            throw invalid_argument_error("code_length_ledger: surprisal of token " +
                                         std::to_string(m_tokens) + " is " + std::to_string(surprisal_bits) +
                                         " bits");
        }
        ++m_tokens;
        if (std::isinf(surprisal_bits)) {
            ++m_infinite_tokens;
        } else {
            m_finite_bits.add(surprisal_bits);
        }
    }

    // Adds one scored token together with the entropy of its predicted distribution in bits.
    // Throws invalid_argument_error for a non-finite entropy.
    void add_surprisal_bits(double surprisal_bits, double entropy_bits) {
        if (!std::isfinite(entropy_bits)) {
            throw invalid_argument_error("code_length_ledger: entropy of token " + std::to_string(m_tokens) +
                                         " is " + std::to_string(entropy_bits) + " bits");
        }
        add_surprisal_bits(surprisal_bits);
        m_entropy_bits.add(entropy_bits);
        ++m_entropy_tokens;
    }

    // Adds UTF-8 bytes of text (the denominator of bits_per_byte). Throws for a negative count.
    void add_bytes(std::int64_t utf8_bytes) { m_bytes += checked_count(utf8_bytes, "bytes"); }
    // Adds words (the denominator of word_perplexity). Throws for a negative count.
    void add_words(std::int64_t words) { m_words += checked_count(words, "words"); }
    // Adds a document's UTF-8 bytes (its size) and words (count_words_whitespace), the
    // lm-evaluation-harness units. Tokens are added separately.
    void add_document(std::string_view utf8_text) {
        add_bytes(static_cast<std::int64_t>(utf8_text.size()));
        add_words(count_words_whitespace(utf8_text));
    }

    // Merges another ledger (a shard of the same corpus) into this one; the sums stay exact.
    code_length_ledger& operator+=(const code_length_ledger& other) noexcept {
        m_finite_bits.add(other.m_finite_bits);
        m_entropy_bits.add(other.m_entropy_bits);
        m_tokens += other.m_tokens;
        m_infinite_tokens += other.m_infinite_tokens;
        m_entropy_tokens += other.m_entropy_tokens;
        m_ignored_tokens += other.m_ignored_tokens;
        m_bytes += other.m_bytes;
        m_words += other.m_words;
        return *this;
    }
    [[nodiscard]] friend code_length_ledger operator+(code_length_ledger a,
                                                      const code_length_ledger& b) noexcept {
        a += b;
        return a;
    }
    // Whether both hold the same counts and the same exact sums (merge order does not matter).
    [[nodiscard]] friend bool operator==(const code_length_ledger& a, const code_length_ledger& b) noexcept {
        return a.m_tokens == b.m_tokens && a.m_infinite_tokens == b.m_infinite_tokens &&
               a.m_entropy_tokens == b.m_entropy_tokens && a.m_ignored_tokens == b.m_ignored_tokens &&
               a.m_bytes == b.m_bytes && a.m_words == b.m_words && a.m_finite_bits == b.m_finite_bits &&
               a.m_entropy_bits == b.m_entropy_bits;
    }

    // sum s_t over scored tokens in bits; +inf when has_infinite_tokens().
    [[nodiscard]] double total_bits() const noexcept {
        return m_infinite_tokens > 0 ? std::numeric_limits<double>::infinity() : m_finite_bits.value();
    }
    // total_bits() in nats (x ln 2).
    [[nodiscard]] double total_nats() const noexcept { return total_bits() * nats_per_bit; }
    // sum s_t over the scored tokens whose surprisal is finite.
    [[nodiscard]] double finite_bits() const noexcept { return m_finite_bits.value(); }

    // Scored tokens: the denominator of bits_per_token (ignored rows are not counted).
    [[nodiscard]] std::int64_t tokens() const noexcept { return m_tokens; }
    // Rows passed to add() with target < 0; in no sum and no denominator.
    [[nodiscard]] std::int64_t ignored_tokens() const noexcept { return m_ignored_tokens; }
    // Scored tokens with probability 0 (surprisal +inf).
    [[nodiscard]] std::int64_t infinite_tokens() const noexcept { return m_infinite_tokens; }
    // Whether some scored token had probability 0, making total_bits() infinite.
    [[nodiscard]] bool has_infinite_tokens() const noexcept { return m_infinite_tokens > 0; }
    // UTF-8 bytes added (0 when none were).
    [[nodiscard]] std::int64_t bytes() const noexcept { return m_bytes; }
    // Words added (0 when none were).
    [[nodiscard]] std::int64_t words() const noexcept { return m_words; }

    // sum s / tokens; nullopt without tokens.
    [[nodiscard]] std::optional<double> bits_per_token() const noexcept { return ratio(m_tokens); }
    // sum s / bytes; nullopt when no bytes were added.
    [[nodiscard]] std::optional<double> bits_per_byte() const noexcept { return ratio(m_bytes); }
    // 2^(sum s / tokens); nullopt without tokens.
    [[nodiscard]] std::optional<double> token_perplexity() const noexcept { return exp2_of(ratio(m_tokens)); }
    // 2^(sum s / bytes) (lm-evaluation-harness byte_perplexity); nullopt without bytes.
    [[nodiscard]] std::optional<double> byte_perplexity() const noexcept { return exp2_of(ratio(m_bytes)); }
    // 2^(sum s / words) (lm-evaluation-harness word_perplexity); nullopt without words.
    [[nodiscard]] std::optional<double> word_perplexity() const noexcept { return exp2_of(ratio(m_words)); }
    // Mean entropy in bits of the predicted distributions, over the scored tokens added with an
    // entropy (add(row_statistics) or the two-argument add_surprisal_bits); nullopt if none.
    [[nodiscard]] std::optional<double> mean_entropy_bits() const noexcept {
        if (m_entropy_tokens == 0) {
            return std::nullopt;
        }
        return m_entropy_bits.value() / static_cast<double>(m_entropy_tokens);
    }
    // How many tokens mean_entropy_bits() averages over.
    [[nodiscard]] std::int64_t entropy_tokens() const noexcept { return m_entropy_tokens; }

private:
    static std::int64_t checked_count(std::int64_t count, const char* what) {
        if (count < 0) {
            throw invalid_argument_error(std::string("code_length_ledger: negative count of ") + what + ": " +
                                         std::to_string(count));
        }
        return count;
    }
    [[nodiscard]] std::optional<double> ratio(std::int64_t denominator) const noexcept {
        if (denominator == 0) {
            return std::nullopt;
        }
        return total_bits() / static_cast<double>(denominator);
    }
    [[nodiscard]] static std::optional<double> exp2_of(std::optional<double> exponent) noexcept {
        if (!exponent) {
            return std::nullopt;
        }
        return std::exp2(*exponent);
    }

    exact_sum m_finite_bits;   // sum of finite surprisals, bits
    exact_sum m_entropy_bits;  // sum of row entropies, bits
    std::int64_t m_tokens = 0; // scored tokens, infinite ones included
    std::int64_t m_infinite_tokens = 0;
    std::int64_t m_entropy_tokens = 0;
    std::int64_t m_ignored_tokens = 0;
    std::int64_t m_bytes = 0;
    std::int64_t m_words = 0;
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
