// Bytes and words of a tokenized document for the code-length ledger: bits per byte, byte
// and word perplexity the lm-evaluation-harness way for any tokenizer (METRICS.md:
// bits_per_byte = sum s / sum utf8_bytes, words = len(re.split(r"\s+", doc))).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/tokenizer.hpp"
#include "codelength/metrics/code_length_ledger.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Adds the ORIGINAL text's UTF-8 bytes and whitespace-split words to the ledger (the
// denominators of bits_per_byte, byte_perplexity and word_perplexity), after checking that
// `tokenized` (its encoding, whose tokens' surprisals the caller adds) covers exactly those
// bytes. The units never depend on the tokenizer: a SentencePiece model and a byte model
// scored on the same text get the same bytes and words. Throws invalid_argument_error
// (check_tokenized_text) when the token byte counts do not fit the text.
//   ledger.add_surprisal_bits(...) for each of tokenized.ids;
//   codelength::add_tokenized_document(ledger, text, tokenized, tok.vocabulary_size());
//   *ledger.bits_per_byte();  // sum of surprisal bits / text.size()
inline void add_tokenized_document(code_length_ledger& ledger, std::string_view text,
                                   const tokenized_text& tokenized, std::int64_t vocabulary_size) {
    check_tokenized_text(tokenized, text, vocabulary_size);
    ledger.add_document(text);
}

// The bytes of the original text covered by tokens [first, first + count) of `tokenized`
// (e.g. the scored part of a window); throws invalid_argument_error when the range is
// outside the tokens.
[[nodiscard]] inline std::int64_t token_range_bytes(const tokenized_text& tokenized, std::size_t first,
                                                    std::size_t count) {
    const std::size_t size = tokenized.token_bytes.size();
    if (first > size || count > size - first) {
        throw invalid_argument_error("token_range_bytes: tokens [" + std::to_string(first) + ", " +
                                     std::to_string(first + count) + ") are outside the " +
                                     detail::count_noun(size, "token", "tokens"));
    }
    std::int64_t bytes = 0;
    for (std::size_t i = first; i < first + count; ++i) {
        bytes += tokenized.token_bytes[i];
    }
    return bytes;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
