// A SentencePiece model (libsentencepiece) as a codelength tokenizer: token ids with the
// bytes of the original text each token covers, decode, BOS id and a model fingerprint.
// Link libsentencepiece (CMake: codelength::sentencepiece in this project's build tree).
#pragma once

#include <sentencepiece_processor.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codelength/coding/fingerprint.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/tokenizer.hpp"
#include "codelength/io/mapped_file.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

namespace detail {

// One piece of a SentencePiece encoding: its id, its [begin, end) byte span in the original
// text (SentencePiece maps normalized offsets back to the input), and whether it is a
// byte-fallback piece <0xNN>.
struct sentencepiece_span {
    std::int64_t id = 0;
    std::int64_t begin = 0;
    std::int64_t end = 0;
    bool is_byte = false;
};

// The bytes of the original text (of `text_bytes` bytes) each piece covers, summing to
// text_bytes exactly (pieces non-empty). SentencePiece's spans leave gaps where normalization
// dropped text (leading/trailing/repeated whitespace) and give empty spans to the dummy
// prefix "▁" and to all but the last byte piece of a byte-fallback character, so:
//  - piece i covers [cut_i, cut_{i+1}) with cut_i = begin_i, except cut_0 = 0 and
//    cut_n = text_bytes: bytes the normalizer dropped count for the piece before them (the
//    first piece for leading ones);
//  - a run of k byte pieces spelling one character whose original span has exactly k bytes
//    (the character was not changed by normalization) covers 1 byte per piece; otherwise the
//    last piece of the run covers the whole character (e.g. NFKC turned "Ａ" into "A").
// Throws invalid_argument_error if the spans go backwards or past the text (never seen from
// SentencePiece; checked so a wrong span cannot make the counts wrong silently).
[[nodiscard]] inline std::vector<std::int64_t>
sentencepiece_token_bytes(std::span<const sentencepiece_span> pieces, std::int64_t text_bytes) {
    const std::size_t n = pieces.size();
    std::vector<std::int64_t> cut(n + 1);
    for (std::size_t i = 0; i < n; ++i) {
        cut[i] = i == 0 ? 0 : pieces[i].begin;
    }
    cut[n] = text_bytes;
    for (std::size_t i = 0; i < n; ++i) {
        if (!pieces[i].is_byte || pieces[i].end != pieces[i].begin) {
            continue;
        }
        // Pieces i..j-1: empty byte pieces at one offset; piece j: the byte piece with the span.
        std::size_t j = i;
        while (j + 1 < n && pieces[j + 1].is_byte && pieces[j + 1].begin == pieces[i].begin &&
               pieces[j].end == pieces[j].begin) {
            ++j;
        }
        const auto run = static_cast<std::int64_t>(j - i + 1);
        if (j > i && pieces[j].end - pieces[j].begin == run) {
            for (std::size_t k = i + 1; k <= j; ++k) {
                cut[k] = pieces[i].begin + static_cast<std::int64_t>(k - i);
            }
        }
        i = j;
    }
    std::vector<std::int64_t> counts(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (cut[i + 1] < cut[i] || cut[i + 1] > text_bytes) {
            throw invalid_argument_error("sentencepiece: piece " + std::to_string(i) + " spans bytes [" +
                                         std::to_string(pieces[i].begin) + ", " +
                                         std::to_string(pieces[i].end) + ") out of order in a text of " +
                                         count_noun(text_bytes, "byte", "bytes"));
        }
        counts[i] = cut[i + 1] - cut[i];
    }
    return counts;
}

} // namespace detail

// A loaded SentencePiece model as a `tokenizer` (core/tokenizer.hpp).
//   codelength::sentencepiece_tokenizer spm("tokenizer.model");
//   codelength::tokenized_text t = spm.encode(text);    // ids + bytes of `text` per token
//   if (!codelength::round_trips(spm, text, t)) { /* refuse to compress: lossy normalizer */ }
//   std::string back = spm.decode(t.ids);
//
// Bytes per token: see detail::sentencepiece_token_bytes; the counts always sum to the
// original text's size (unless the model yields no token at all, e.g. for "   " with the
// default normalizer: then there are no tokens and no counts).
//
// Round trips: SentencePiece normalizes before it tokenizes, and decode returns the
// normalized text. The default normalizer (nmt_nfkc, remove_extra_whitespaces, add_dummy_prefix)
// is lossy: NFKC folds compatibility characters ("Ａ" -> "A"), newlines and tabs become spaces,
// whitespace runs collapse and leading/trailing whitespace is dropped; invalid UTF-8 becomes
// U+FFFD; without --byte_fallback, characters outside the vocabulary decode as " ⁇ ". Use
// round_trips() before storing ids. Models trained with --normalization_rule_name=identity
// --remove_extra_whitespaces=false --byte_fallback=true round-trip every valid UTF-8 text.
class sentencepiece_tokenizer {
public:
    // Loads the model file (a serialized ModelProto, spm_train's .model). Throws io_error when
    // the file cannot be read and format_error when it is not a SentencePiece model; both
    // messages name the path.
    explicit sentencepiece_tokenizer(const std::filesystem::path& model_file)
        : m_processor(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
        const mapped_file file = [&] {
            try {
                return mapped_file::open_read_only(model_file);
            } catch (const io_error& e) {
                throw io_error(std::string("sentencepiece model ") + e.what());
            }
        }();
        const std::span<const std::byte> bytes = file.bytes();
        load(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
             model_file.string());
    }

    // Loads a serialized ModelProto held in memory; `name` stands for it in error messages.
    static sentencepiece_tokenizer from_serialized_model(std::string_view serialized_model,
                                                         std::string_view name = "(in memory)") {
        return {serialized_model, name};
    }

    // The number of pieces (ids are 0..vocabulary_size()-1).
    [[nodiscard]] std::int64_t vocabulary_size() const { return m_processor->GetPieceSize(); }

    // The id a model's first prediction is conditioned on: the model's <s> (bos_id()) if it
    // has one; else its </s> (eos_id(), as GPT-style models use end-of-text); else its <unk>
    // (which every SentencePiece model has). model_bos_id() tells whether <s> exists.
    [[nodiscard]] std::int64_t bos_id() const {
        if (m_processor->bos_id() >= 0) {
            return m_processor->bos_id();
        }
        if (m_processor->eos_id() >= 0) {
            return m_processor->eos_id();
        }
        return m_processor->unk_id();
    }
    // SentencePiece's own <s> id: -1 when the model was trained with --bos_id=-1.
    [[nodiscard]] std::int64_t model_bos_id() const { return m_processor->bos_id(); }

    // fingerprint_hasher over the serialized model (pieces, scores, normalizer, trainer spec).
    [[nodiscard]] std::uint64_t fingerprint() const noexcept { return m_fingerprint; }

    // The ids of `text` and the bytes of `text` each covers (see the class comment). Throws
    // invalid_argument_error for a text of 4 GiB or more (SentencePiece's offsets are 32-bit)
    // and error if SentencePiece fails.
    [[nodiscard]] tokenized_text encode(std::string_view text) const {
        if (text.size() > std::numeric_limits<std::uint32_t>::max()) {
            throw invalid_argument_error("sentencepiece: a text of " + std::to_string(text.size()) +
                                         " bytes is too long (SentencePiece's offsets are 32-bit)");
        }
        sentencepiece::ImmutableSentencePieceText encoded;
        const auto status = m_processor->Encode(text, encoded.mutable_proto());
        if (!status.ok()) {
            throw error("sentencepiece: encode failed: " + status.ToString());
        }
        const std::size_t n = encoded.pieces_size();
        std::vector<detail::sentencepiece_span> spans(n);
        tokenized_text out;
        out.ids.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto piece = encoded.pieces(static_cast<int>(i));
            const auto id = static_cast<int>(piece.id());
            spans[i] = {id, piece.begin(), piece.end(), m_processor->IsByte(id)};
            out.ids[i] = id;
        }
        out.token_bytes = detail::sentencepiece_token_bytes(spans, static_cast<std::int64_t>(text.size()));
        return out;
    }

    // The text of ids (SentencePiece's detokenization: "▁" -> space, the dummy prefix dropped,
    // byte pieces -> their bytes). Throws invalid_argument_error naming the first id outside
    // the vocabulary.
    [[nodiscard]] std::string decode(std::span<const std::int64_t> ids) const {
        const std::int64_t size = vocabulary_size();
        std::vector<int> narrow(ids.size());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (ids[i] < 0 || ids[i] >= size) {
                throw invalid_argument_error("sentencepiece decode: token " + std::to_string(i) + ": id " +
                                             std::to_string(ids[i]) + " is outside the vocabulary [0, " +
                                             std::to_string(size) + ")");
            }
            narrow[i] = static_cast<int>(ids[i]);
        }
        std::string out;
        const auto status = m_processor->Decode(narrow, &out);
        if (!status.ok()) {
            throw error("sentencepiece: decode failed: " + status.ToString());
        }
        return out;
    }

    // The underlying processor, for what this adapter does not wrap (pieces, scores, sampling).
    [[nodiscard]] const sentencepiece::SentencePieceProcessor& processor() const noexcept {
        return *m_processor;
    }

private:
    sentencepiece_tokenizer(std::string_view serialized_model, std::string_view name)
        : m_processor(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
        load(serialized_model, name);
    }

    void load(std::string_view serialized_model, std::string_view name) {
        const auto status = m_processor->LoadFromSerializedProto(serialized_model);
        if (!status.ok()) {
            throw format_error("sentencepiece model " + std::string(name) +
                               ": not a SentencePiece model: " + status.ToString());
        }
        if (m_processor->GetPieceSize() <= 0) {
            throw format_error("sentencepiece model " + std::string(name) + ": the model has no pieces");
        }
        const std::string serialized = m_processor->serialized_model_proto();
        fingerprint_hasher hasher;
        hasher.update(std::as_bytes(std::span(serialized.data(), serialized.size())));
        m_fingerprint = hasher.digest();
    }

    std::unique_ptr<sentencepiece::SentencePieceProcessor> m_processor; // null only in a moved-from object
    std::uint64_t m_fingerprint = 0;
};

static_assert(tokenizer<sentencepiece_tokenizer>);

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
