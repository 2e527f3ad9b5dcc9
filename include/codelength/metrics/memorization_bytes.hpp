// Versioned, checksummed bytes of per-document memorization records with their document
// indices, so the shards of a corpus measured in different processes can be gathered on one
// and put back in document order (duplicates and gaps refused) before summarize_memorization.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/detail/checked_bytes.hpp"
#include "codelength/metrics/memorization.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// One document's record and its 0-based index in the corpus.
struct indexed_document_memorization {
    std::int64_t document_index = 0;
    document_memorization memorization;
};

// The first four bytes of serialized memorization records.
inline constexpr std::array<std::uint8_t, 4> memorization_bytes_magic = {'C', 'L', 'D', 'M'};
// The format version written by to_bytes() and the only one memorization_records_from_bytes() reads.
inline constexpr std::uint8_t memorization_bytes_version = 1;

// Layout of version 1 (integers little-endian, doubles as their 8 IEEE-754 bytes, so every
// value, NaN payloads and the sign of zero included, comes back bit for bit):
//   0   4 bytes  magic "CLDM"
//   4   1 byte   version (1)
//   5   uint64   record count R
//   then R records:
//     int64 document_index, tokens, bytes, memorized_bytes
//     19 doubles: model_bits, model_bits_per_byte, mean_surprisal_bits,
//                 gain_over_{gzip_9, xz_9, zstd_19, brotli_11} each generic_bits, gain_bits, ratio,
//                 zlib_entropy_over_log_perplexity, loss_over_zlib_bytes, min_k_percent, min_k_plus_plus
//     1 byte which optionals are set: bit 0 reference_bits, 1 model_over_reference_bits,
//            2 extraction_suffix_tokens, 3 greedy_extractable, 4 its value (true),
//            5 adversarial_compression_ratio_tokens, 6 adversarial_compression_ratio_bits
//     the set optionals in that order (int64 extraction_suffix_tokens, doubles otherwise)
//     uint64 span count S, then S spans: int64 token_begin, token_end, byte_begin, byte_end,
//            doubles model_bits, model_bits_per_byte, 1 byte (bit 0: generic_bits set), [double]
//   end 4 bytes  CRC-32C of every byte before it
namespace detail {

inline constexpr std::uint8_t memo_reference_bits = 1U;
inline constexpr std::uint8_t memo_model_over_reference = 2U;
inline constexpr std::uint8_t memo_extraction_suffix = 4U;
inline constexpr std::uint8_t memo_greedy_set = 8U;
inline constexpr std::uint8_t memo_greedy_true = 16U;
inline constexpr std::uint8_t memo_acr_tokens = 32U;
inline constexpr std::uint8_t memo_acr_bits = 64U;
inline constexpr std::uint8_t memo_known_flags = 127U;
// The fewest bytes a record and a span take: what bounds a count read from the bytes.
inline constexpr std::size_t memo_min_record_bytes = 4 * 8 + 19 * 8 + 1 + 8;
inline constexpr std::size_t memo_min_span_bytes = 6 * 8 + 1;

// The 19 doubles of a record in layout order.
template <class Record, class Visit>
void visit_memorization_doubles(Record& d, Visit&& visit) {
    visit(d.model_bits, "model_bits");
    visit(d.model_bits_per_byte, "model_bits_per_byte");
    visit(d.mean_surprisal_bits, "mean_surprisal_bits");
    for (auto* gain :
         {&d.gain_over_gzip_9, &d.gain_over_xz_9, &d.gain_over_zstd_19, &d.gain_over_brotli_11}) {
        visit(gain->generic_bits, "generic_bits");
        visit(gain->gain_bits, "gain_bits");
        visit(gain->ratio, "ratio");
    }
    visit(d.zlib_entropy_over_log_perplexity, "zlib_entropy_over_log_perplexity");
    visit(d.loss_over_zlib_bytes, "loss_over_zlib_bytes");
    visit(d.min_k_percent, "min_k_percent");
    visit(d.min_k_plus_plus, "min_k_plus_plus");
}

inline void append_memorization(std::vector<std::uint8_t>& out, std::int64_t index,
                                const document_memorization& d) {
    for (const std::int64_t count : {index, d.tokens, d.bytes, d.memorized_bytes}) {
        append_le(out, static_cast<std::uint64_t>(count), 8);
    }
    visit_memorization_doubles(d, [&](double value, const char*) { append_double(out, value); });
    const auto flag = [](bool set, std::uint8_t bit) { return set ? bit : std::uint8_t{0}; };
    out.push_back(
        static_cast<std::uint8_t>(flag(d.reference_bits.has_value(), memo_reference_bits) |
                                  flag(d.model_over_reference_bits.has_value(), memo_model_over_reference) |
                                  flag(d.extraction_suffix_tokens.has_value(), memo_extraction_suffix) |
                                  flag(d.greedy_extractable.has_value(), memo_greedy_set) |
                                  flag(d.greedy_extractable.value_or(false), memo_greedy_true) |
                                  flag(d.adversarial_compression_ratio_tokens.has_value(), memo_acr_tokens) |
                                  flag(d.adversarial_compression_ratio_bits.has_value(), memo_acr_bits)));
    for (const auto* value : {&d.reference_bits, &d.model_over_reference_bits}) {
        if (*value) {
            append_double(out, **value);
        }
    }
    if (d.extraction_suffix_tokens) {
        append_le(out, static_cast<std::uint64_t>(*d.extraction_suffix_tokens), 8);
    }
    for (const auto* value :
         {&d.adversarial_compression_ratio_tokens, &d.adversarial_compression_ratio_bits}) {
        if (*value) {
            append_double(out, **value);
        }
    }
    append_le(out, d.memorized_spans.size(), 8);
    for (const memorized_span& span : d.memorized_spans) {
        for (const std::int64_t offset : {span.token_begin, span.token_end, span.byte_begin, span.byte_end}) {
            append_le(out, static_cast<std::uint64_t>(offset), 8);
        }
        append_double(out, span.model_bits);
        append_double(out, span.model_bits_per_byte);
        out.push_back(static_cast<std::uint8_t>(span.generic_bits ? 1U : 0U));
        if (span.generic_bits) {
            append_double(out, *span.generic_bits);
        }
    }
}

// The format around `count` records; record(i) gives the i-th document index and record.
template <class Record>
std::vector<std::uint8_t> memorization_bytes(std::size_t count, const Record& record) {
    auto out = begin_format(memorization_bytes_magic, memorization_bytes_version);
    append_le(out, count, 8);
    for (std::size_t i = 0; i < count; ++i) {
        const auto [index, memorization] = record(i);
        append_memorization(out, index, memorization);
    }
    seal_format(out);
    return out;
}

// A count of items of at least `item_bytes` each, refused when the rest cannot hold them.
inline std::size_t read_item_count(checked_reader& reader, const char* what, std::size_t item_bytes) {
    const std::size_t at = reader.offset();
    const std::uint64_t count = reader.read(8, what);
    if (count > reader.remaining() / item_bytes) {
        reader.fail(at, std::string(what) + " " + std::to_string(count) + " do not fit in the " +
                            std::to_string(reader.remaining()) + " bytes that remain");
    }
    return static_cast<std::size_t>(count);
}

inline memorized_span read_memorized_span(checked_reader& reader) {
    const std::size_t at = reader.offset();
    memorized_span span;
    span.token_begin = reader.read_count("a span's token_begin");
    span.token_end = reader.read_count("a span's token_end");
    span.byte_begin = reader.read_count("a span's byte_begin");
    span.byte_end = reader.read_count("a span's byte_end");
    if (span.token_begin > span.token_end || span.byte_begin > span.byte_end) {
        reader.fail(at, "a span ends before it begins");
    }
    span.model_bits = reader.read_double("a span's model_bits");
    span.model_bits_per_byte = reader.read_double("a span's model_bits_per_byte");
    const std::size_t flag_at = reader.offset();
    const auto has_generic = reader.read(1, "a span's flags");
    if (has_generic > 1) {
        reader.fail(flag_at, "a span's flags byte is " + std::to_string(has_generic) + " (0 or 1)");
    }
    if (has_generic == 1) {
        span.generic_bits = reader.read_double("a span's generic_bits");
    }
    return span;
}

inline indexed_document_memorization read_memorization(checked_reader& reader) {
    indexed_document_memorization out;
    out.document_index = reader.read_count("document_index");
    document_memorization& d = out.memorization;
    d.tokens = reader.read_count("tokens");
    d.bytes = reader.read_count("bytes");
    d.memorized_bytes = reader.read_count("memorized_bytes");
    visit_memorization_doubles(d, [&](double& value, const char* name) { value = reader.read_double(name); });
    const std::size_t flags_at = reader.offset();
    const auto flags = static_cast<std::uint8_t>(reader.read(1, "the optional flags"));
    if ((flags & ~memo_known_flags) != 0 ||
        ((flags & memo_greedy_true) != 0 && (flags & memo_greedy_set) == 0)) {
        reader.fail(flags_at, "unknown optional flags " + std::to_string(flags));
    }
    if ((flags & memo_reference_bits) != 0) {
        d.reference_bits = reader.read_double("reference_bits");
    }
    if ((flags & memo_model_over_reference) != 0) {
        d.model_over_reference_bits = reader.read_double("model_over_reference_bits");
    }
    if ((flags & memo_extraction_suffix) != 0) {
        d.extraction_suffix_tokens = reader.read_count("extraction_suffix_tokens");
    }
    if ((flags & memo_greedy_set) != 0) {
        d.greedy_extractable = (flags & memo_greedy_true) != 0;
    }
    if ((flags & memo_acr_tokens) != 0) {
        d.adversarial_compression_ratio_tokens = reader.read_double("adversarial_compression_ratio_tokens");
    }
    if ((flags & memo_acr_bits) != 0) {
        d.adversarial_compression_ratio_bits = reader.read_double("adversarial_compression_ratio_bits");
    }
    d.memorized_spans.resize(read_item_count(reader, "memorized spans", memo_min_span_bytes));
    for (memorized_span& span : d.memorized_spans) {
        span = read_memorized_span(reader);
    }
    return out;
}

} // namespace detail

// Records with their document indices as bytes (format version 1, see the layout above), in
// the order given. Throws invalid_argument_error for a negative document index.
//   auto bytes = codelength::to_bytes(std::span<const codelength::indexed_document_memorization>(records));
//   codelength::memorization_records_from_bytes(bytes) has the same records, bit for bit
[[nodiscard]] inline std::vector<std::uint8_t>
to_bytes(std::span<const indexed_document_memorization> records) {
    for (const auto& record : records) {
        if (record.document_index < 0) {
            throw invalid_argument_error("memorization bytes: negative document index " +
                                         std::to_string(record.document_index));
        }
    }
    return detail::memorization_bytes(records.size(), [&](std::size_t i) {
        return std::pair<std::int64_t, const document_memorization&>(records[i].document_index,
                                                                     records[i].memorization);
    });
}

// A shard of consecutive documents, records[i] being document first_document + i.
[[nodiscard]] inline std::vector<std::uint8_t> to_bytes(std::span<const document_memorization> records,
                                                        std::int64_t first_document) {
    if (first_document < 0) {
        throw invalid_argument_error("memorization bytes: negative first document " +
                                     std::to_string(first_document));
    }
    return detail::memorization_bytes(records.size(), [&](std::size_t i) {
        return std::pair<std::int64_t, const document_memorization&>(
            first_document + static_cast<std::int64_t>(i), records[i]);
    });
}

// The records serialized by to_bytes(), in their order. Throws format_error ("memorization
// bytes: offset N: ...") for damaged, truncated, foreign or inconsistent input: another magic
// or version, a checksum mismatch, trailing bytes, a count the bytes cannot hold, negative
// indices or counts, unknown flags, a span that ends before it begins.
[[nodiscard]] inline std::vector<indexed_document_memorization>
memorization_records_from_bytes(std::span<const std::uint8_t> bytes) {
    detail::checked_reader reader(bytes, "memorization bytes");
    reader.read_header(memorization_bytes_magic, memorization_bytes_version, "memorization records");
    std::vector<indexed_document_memorization> records(
        detail::read_item_count(reader, "records", detail::memo_min_record_bytes));
    for (auto& record : records) {
        record = detail::read_memorization(reader);
    }
    reader.read_checksum_and_end("the records");
    return records;
}

// The records of every shard in document order, as summarize_memorization takes them: sorted
// by document_index, which must run over 0, 1, ..., document_count - 1 exactly once each
// (document_count defaults to the number of records). Throws invalid_argument_error naming the
// first duplicated, missing or out-of-range document.
//   gather_in_document_order(shard_1_records + shard_0_records) -> documents 0, 1, 2, ...
[[nodiscard]] inline std::vector<document_memorization>
gather_in_document_order(std::vector<indexed_document_memorization> records,
                         std::optional<std::int64_t> document_count = std::nullopt) {
    const std::int64_t count = document_count.value_or(static_cast<std::int64_t>(records.size()));
    std::sort(records.begin(), records.end(),
              [](const auto& a, const auto& b) { return a.document_index < b.document_index; });
    std::vector<document_memorization> out;
    out.reserve(records.size());
    for (auto& record : records) {
        const auto expected = static_cast<std::int64_t>(out.size());
        if (record.document_index < expected) {
            throw invalid_argument_error("gather_in_document_order: document " +
                                         std::to_string(record.document_index) + " appears twice");
        }
        if (record.document_index > expected) {
            throw invalid_argument_error("gather_in_document_order: document " + std::to_string(expected) +
                                         " is missing");
        }
        if (record.document_index >= count) {
            throw invalid_argument_error("gather_in_document_order: document " +
                                         std::to_string(record.document_index) + " is beyond the " +
                                         std::to_string(count) + " documents");
        }
        out.push_back(std::move(record.memorization));
    }
    if (static_cast<std::int64_t>(out.size()) < count) {
        throw invalid_argument_error("gather_in_document_order: document " + std::to_string(out.size()) +
                                     " is missing");
    }
    return out;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
