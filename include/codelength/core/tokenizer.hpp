// What a tokenizer is: text bytes to token ids with the bytes each token covers, and back.
// Language-model scoring and compression (bits per byte, lm-compress) take any type
// satisfying `tokenizer`: models/byte_tokenizer.hpp (ids are bytes) and
// adapters/sentencepiece.hpp (a SentencePiece model).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// A text as tokens: ids[i] is the i-th token and token_bytes[i] the number of bytes of the
// ORIGINAL text it covers (tokens cover consecutive, non-overlapping byte ranges in order).
// Invariant: ids.size() == token_bytes.size() and the token_bytes sum to the text's size,
// except when the tokenizer produced no token for a non-empty text (a SentencePiece model
// whose normalizer removes the whole text, e.g. only whitespace): then both are empty.
// A token may cover 0 bytes (SentencePiece's dummy-prefix "▁", a control symbol).
struct tokenized_text {
    std::vector<std::int64_t> ids;
    std::vector<std::int64_t> token_bytes;
};

// A tokenizer: ids in [0, vocabulary_size()), a beginning-of-sequence id for the model's
// first prediction, a fingerprint for stream headers, encode and decode.
//   encode(text)   -> tokenized_text (see its invariant)
//   decode(ids)    -> the bytes the ids stand for; decode(encode(text).ids) == text exactly
//                     when round_trips(t, text) (a lossy normalizer can make it false)
//   fingerprint()  -> 64 bits identifying the tokenizer (same ids for the same text)
template <typename T>
concept tokenizer = requires(const T& t, std::string_view text, std::span<const std::int64_t> ids) {
    { t.vocabulary_size() } -> std::convertible_to<std::int64_t>;
    { t.bos_id() } -> std::convertible_to<std::int64_t>;
    { t.fingerprint() } -> std::convertible_to<std::uint64_t>;
    { t.encode(text) } -> std::same_as<tokenized_text>;
    { t.decode(ids) } -> std::same_as<std::string>;
};

// Whether `tokenized` (encode(text) of `tok`) decodes back to exactly `text`. A compressor
// that stores token ids must refuse a text for which this is false: its stream would decode
// to different bytes.
template <tokenizer Tokenizer>
[[nodiscard]] bool round_trips(const Tokenizer& tok, std::string_view text, const tokenized_text& tokenized) {
    return tok.decode(tokenized.ids) == text;
}

// Whether decode(encode(text)) == text for `tok`.
//   codelength::round_trips(codelength::byte_tokenizer{}, "any bytes") == true
template <tokenizer Tokenizer>
[[nodiscard]] bool round_trips(const Tokenizer& tok, std::string_view text) {
    return round_trips(tok, text, tok.encode(text));
}

// Checks tokenized_text's invariant against the text it came from and the vocabulary; throws
// invalid_argument_error naming the first offending token (an id outside the vocabulary, a
// negative byte count, counts that do not sum to the text's size, vectors of unequal length).
inline void check_tokenized_text(const tokenized_text& tokenized, std::string_view text,
                                 std::int64_t vocabulary_size) {
    const auto refuse = [](const std::string& what) {
        throw invalid_argument_error("tokenized text: " + what);
    };
    if (tokenized.ids.size() != tokenized.token_bytes.size()) {
        refuse(std::to_string(tokenized.ids.size()) + " ids but " +
               std::to_string(tokenized.token_bytes.size()) + " byte counts");
    }
    std::int64_t covered = 0;
    for (std::size_t i = 0; i < tokenized.ids.size(); ++i) {
        if (tokenized.ids[i] < 0 || tokenized.ids[i] >= vocabulary_size) {
            refuse("token " + std::to_string(i) + ": id " + std::to_string(tokenized.ids[i]) +
                   " is outside the vocabulary [0, " + std::to_string(vocabulary_size) + ")");
        }
        if (tokenized.token_bytes[i] < 0) {
            refuse("token " + std::to_string(i) + " covers a negative byte count " +
                   std::to_string(tokenized.token_bytes[i]));
        }
        covered += tokenized.token_bytes[i];
    }
    const auto size = static_cast<std::int64_t>(text.size());
    if (!tokenized.ids.empty() && covered != size) {
        refuse("the tokens cover " + detail::count_noun(covered, "byte", "bytes") + " of a text of " +
               detail::count_noun(size, "byte", "bytes"));
    }
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
