// Coding a token sequence with any sequential categorical model (precomputed logits replayed
// row by row included): each row is quantized to an integer CDF with total 2^P and the token's
// interval is range-coded; the stream (stream_format.hpp) records what decoding needs and a
// checksum of the tokens, and the ledger accounts for every bit of it.
//
//   codelength::logits_replay model(codelength::matrix_view<float>::row_major(p, T, V));
//   auto encoded = codelength::encode_sequence(model, tokens, {.precision_bits = 24});
//   codelength::logits_replay replay(codelength::matrix_view<float>::row_major(p, T, V));
//   std::vector<std::int64_t> decoded = codelength::decode_sequence(replay, encoded.bytes);
//
// The model fingerprint in the header (see model_fingerprint below) lets the decoder refuse
// another model before decoding; the CRC-32C of the tokens and the exact payload length let
// it refuse a damaged stream after decoding. Nothing is returned that was not verified.
// Decoding is bounded before it starts: a symbol count the payload cannot hold is refused by
// parse_stream, and one above decoding_limits::max_symbols (default 2^28) by decode_sequence.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "codelength/coding/checksum.hpp"
#include "codelength/coding/coding_ledger.hpp"
#include "codelength/coding/decoding_limits.hpp"
#include "codelength/coding/fingerprint.hpp"
#include "codelength/coding/quantize.hpp"
#include "codelength/coding/range_coder.hpp"
#include "codelength/coding/stream_errors.hpp"
#include "codelength/coding/stream_format.hpp"
#include "codelength/coding/symbol_interval.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/numerics/row_kernel.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// How encode_sequence codes.
struct coding_options {
    int precision_bits = precision_bits_24; // P in [1, 31]; the vocabulary must fit: V <= 2^P
};

// How decode_sequence checks the stream against the model it is given, and what it may cost.
struct decoding_options {
    int precision_bits = 0; // 0: the stream's P; otherwise the stream must have been coded with it
    // limits.max_symbols bounds the symbols one stream may decode to (finite by default; see
    // decoding_limits.hpp). A replayed logits matrix also bounds them by its rows.
    decoding_limits limits{};
};

// An encoded sequence: the complete stream (header + payload) and its ledger.
struct encoded_stream {
    std::vector<std::uint8_t> bytes;
    coding_ledger ledger;
};

// A decoded sequence differs from the one encoded (verify_round_trip, check_round_trip).
class round_trip_error : public error {
public:
    round_trip_error(std::int64_t index, const std::string& what)
        : error("round trip failed at symbol " + std::to_string(index) + ": " + what), m_index(index) {}
    // The first index where the sequences differ (or the shorter length).
    [[nodiscard]] std::int64_t index() const noexcept { return m_index; }

private:
    std::int64_t m_index;
};

// A model that names its own configuration: `std::uint64_t fingerprint() const` is written to
// the header and compared at decode time (any value but 0; equal configurations, equal values).
template <class Model>
concept fingerprinted_model = requires(const Model& model) {
    { model.fingerprint() } -> std::convertible_to<std::uint64_t>;
};

// A replay of precomputed rows (codelength::logits_replay): logits() returns the matrix_view,
// position() the next row and rows() how many there are.
template <class Model>
concept replayed_rows_model = requires(const Model& model) {
    { model.logits() } -> std::same_as<matrix_view<model_element_t<Model>>>;
    { model.position() } -> std::convertible_to<std::int64_t>;
    { model.rows() } -> std::convertible_to<std::int64_t>;
};

namespace detail {

// The fingerprint seed: "CLEN" and the fingerprint scheme's version.
inline constexpr std::uint64_t logits_fingerprint_seed = 0x434c454e00000001ULL;

// Appends the elements of a row to the hasher as their little-endian bytes.
template <class Element>
void hash_row(fingerprint_hasher& hasher, strided_row<Element> row) {
    if (row.size <= 0) {
        return;
    }
    if (std::endian::native == std::endian::little && row.is_contiguous()) {
        hasher.update(std::as_bytes(std::span<const Element>(row.data, static_cast<std::size_t>(row.size))));
        return;
    }
    constexpr std::size_t chunk_elements = 512;
    std::array<std::byte, chunk_elements * sizeof(Element)> chunk{};
    for (std::int64_t first = 0; first < row.size; first += static_cast<std::int64_t>(chunk_elements)) {
        const auto count = static_cast<std::size_t>(std::min<std::int64_t>(row.size - first, chunk_elements));
        for (std::size_t i = 0; i < count; ++i) {
            std::byte* out = chunk.data() + i * sizeof(Element);
            std::memcpy(out, &row[first + static_cast<std::int64_t>(i)], sizeof(Element));
            if constexpr (std::endian::native == std::endian::big) {
                std::reverse(out, out + sizeof(Element));
            }
        }
        hasher.update(std::span<const std::byte>(chunk.data(), count * sizeof(Element)));
    }
}

} // namespace detail

// The fingerprint of rows [first_row, first_row + row_count) of a logits matrix: the 64-bit
// fingerprint_hasher digest of (scheme version, element type, V, row_count) and then every
// element of those rows, row by row, as little-endian bytes. It covers exactly the numbers the
// quantizer sees, so any change to a coded row (one bit of one logit) changes it, and it is
// the same for C- and Fortran-order storage and on every machine. Cost: one read of the rows
// at memory bandwidth (about 4 multiplies per 32 bytes), below the quantizer's own pass.
template <row_element Element>
[[nodiscard]] std::uint64_t logits_fingerprint(matrix_view<Element> logits, std::int64_t first_row,
                                               std::int64_t row_count) {
    if (first_row < 0 || row_count < 0 || first_row + row_count > logits.rows) {
        throw invalid_argument_error("cannot fingerprint rows [" + std::to_string(first_row) + ", " +
                                     std::to_string(first_row + row_count) + ") are outside the " +
                                     detail::count_noun(logits.rows, "row", "rows") + " of the matrix");
    }
    fingerprint_hasher hasher(detail::logits_fingerprint_seed);
    hasher.update_u64(static_cast<std::uint64_t>(stream_element_type_of<Element>()));
    hasher.update_u64(static_cast<std::uint64_t>(logits.columns));
    hasher.update_u64(static_cast<std::uint64_t>(row_count));
    for (std::int64_t r = first_row; r < first_row + row_count; ++r) {
        detail::hash_row(hasher, logits.row(r));
    }
    return hasher.digest();
}

// The most symbols the model can code from its current state: the rows left in a replay,
// otherwise unbounded (stream_max_symbol_count).
template <class Model>
[[nodiscard]] std::uint64_t model_symbol_limit(const Model& model) {
    if constexpr (replayed_rows_model<Model>) {
        const std::int64_t left =
            static_cast<std::int64_t>(model.rows()) - static_cast<std::int64_t>(model.position());
        return static_cast<std::uint64_t>(std::max<std::int64_t>(left, 0));
    } else {
        return stream_max_symbol_count;
    }
}

// The fingerprint written to the header for coding symbol_count symbols with model from its
// current state: model.fingerprint() if it has one; for a replay, logits_fingerprint of the
// symbol_count rows from its position (clamped to the rows it has); otherwise 0 ("not
// fingerprinted": only kind, element type, V and P are checked, and the token checksum
// catches a wrong model after decoding).
template <class Model>
[[nodiscard]] std::uint64_t model_fingerprint(const Model& model, std::uint64_t symbol_count) {
    if constexpr (fingerprinted_model<Model>) {
        return static_cast<std::uint64_t>(model.fingerprint());
    } else if constexpr (replayed_rows_model<Model>) {
        const auto rows = static_cast<std::int64_t>(std::min(symbol_count, model_symbol_limit(model)));
        return logits_fingerprint(model.logits(), static_cast<std::int64_t>(model.position()), rows);
    } else {
        return 0;
    }
}

// The descriptor written for (and expected of) a categorical model coding symbol_count symbols.
template <class Model>
[[nodiscard]] stream_model_descriptor categorical_model_descriptor(const Model& model, int precision_bits,
                                                                   std::uint64_t symbol_count) {
    stream_model_descriptor descriptor;
    descriptor.kind = stream_model_kind::categorical;
    descriptor.element_type = stream_element_type_of<model_element_t<Model>>();
    descriptor.precision_bits = precision_bits;
    descriptor.vocabulary_size = model_vocabulary_size(model);
    descriptor.fingerprint = model_fingerprint(model, symbol_count);
    return descriptor;
}

namespace detail {

// Throws invalid_argument_error unless P in [1, 31] and 1 <= V <= 2^P.
inline void check_coding_precision(int precision_bits, std::int64_t vocabulary_size) {
    if (precision_bits < 1 || precision_bits > max_precision_bits) {
        throw invalid_argument_error("precision " + std::to_string(precision_bits) + " bits is outside [1, " +
                                     std::to_string(max_precision_bits) + "]");
    }
    if (vocabulary_size < 1 || static_cast<std::uint64_t>(vocabulary_size) >
                                   (std::uint64_t{1} << static_cast<unsigned>(precision_bits))) {
        throw invalid_argument_error("vocabulary size " + std::to_string(vocabulary_size) +
                                     " cannot be coded at precision " + std::to_string(precision_bits) +
                                     " bits: every token needs a frequency >= 1, so V <= 2^P");
    }
}

// Throws unless token can be coded in a vocabulary of V: negative ids (ignore_index) and ids
// >= V cannot.
inline void check_coded_token(std::int64_t index, std::int64_t token, std::int64_t vocabulary_size) {
    if (token < 0) {
        throw invalid_argument_error("row " + std::to_string(index) + ": target " + std::to_string(token) +
                                     " is negative; ignored targets (ignore_index) cannot be coded");
    }
    if (token >= vocabulary_size) {
        throw target_out_of_range_error(index, token, vocabulary_size);
    }
}

template <class Row>
void check_row_size(const Row& row, std::int64_t vocabulary_size, std::int64_t index) {
    if (row.size != vocabulary_size) {
        throw invalid_row_error(index, "the model's row has " + std::to_string(row.size) +
                                           " entries but its vocabulary size is " +
                                           std::to_string(vocabulary_size));
    }
}

// The stream buffer starts with room for the header; the encoder appends the payload after it.
[[nodiscard]] inline std::vector<std::uint8_t> stream_buffer_with_header_room() {
    return std::vector<std::uint8_t>(stream_header_bytes, 0);
}

// Writes the header over the first stream_header_bytes of a buffer that holds the payload after it.
inline void seal_stream(std::vector<std::uint8_t>& bytes, stream_header header) {
    header.payload_bytes = bytes.size() - stream_header_bytes;
    header.payload_crc32c = crc32c(std::span<const std::uint8_t>(bytes).subspan(stream_header_bytes));
    const std::array<std::uint8_t, stream_header_bytes> head = encode_stream_header(header);
    std::copy(head.begin(), head.end(), bytes.begin());
}

// The payload checks after the last symbol, and the token checksum; throws a stream_error.
template <class Decoder>
void verify_decoded_stream(const Decoder& decoder, const stream_header& header,
                           std::span<const std::int64_t> decoded) {
    const std::uint64_t payload_bytes = header.payload_bytes;
    if (decoder.overran() || decoder.stream_size() > payload_bytes) {
        throw stream_payload_error(stream_header_bytes + payload_bytes,
                                   "the payload is damaged or truncated: decoding the " +
                                       detail::count_noun(header.symbol_count, "symbol", "symbols") +
                                       " needs " + std::to_string(decoder.stream_size()) +
                                       " payload bytes, the stream has " + std::to_string(payload_bytes));
    }
    if (decoder.stream_size() < payload_bytes) {
        throw stream_payload_error(stream_header_bytes + decoder.stream_size(),
                                   "the payload is damaged: the " + std::to_string(header.symbol_count) +
                                       " symbols end after " + std::to_string(decoder.stream_size()) +
                                       " payload bytes, but the payload has " +
                                       std::to_string(payload_bytes));
    }
    const std::uint32_t crc = crc32c_int64_le(decoded);
    if (crc != header.symbols_crc32c) {
        throw stream_checksum_error(stream_offset::symbols_crc32c,
                                    "checksum mismatch: the decoded symbols have CRC-32C " +
                                        detail::hex64(crc) + ", the stream records " +
                                        detail::hex64(header.symbols_crc32c) + " (the stream is damaged)");
    }
}

// Throws stream_limit_error when the stream holds more symbols than the caller allows.
inline void check_symbol_limit(const stream_header& header, const decoding_limits& limits) {
    if (header.symbol_count > limits.max_symbols) {
        throw stream_limit_error(stream_offset::symbol_count,
                                 "the stream holds " + std::to_string(header.symbol_count) +
                                     " symbols, over the decoding limit of " +
                                     detail::count_noun(limits.max_symbols, "symbol", "symbols"));
    }
}

// Thrown as soon as the decoder leaves the coded intervals (a damaged payload).
template <class Decoder>
void check_decoder_state(const Decoder& decoder, std::uint64_t payload_bytes, std::uint64_t symbol_index) {
    if (decoder.inconsistent() || decoder.overran()) [[unlikely]] {
        const std::uint64_t read = std::min(decoder.bytes_read(), payload_bytes);
        throw stream_payload_error(
            stream_header_bytes + read,
            std::string("the payload is damaged") +
                (decoder.overran() ? " or truncated: it ends" : ": it is inconsistent") +
                " while decoding symbol " + std::to_string(symbol_index));
    }
}

} // namespace detail

// Throws round_trip_error naming the first index where decoded differs from original.
inline void check_round_trip(std::span<const std::int64_t> original, std::span<const std::int64_t> decoded) {
    const std::size_t common = std::min(original.size(), decoded.size());
    for (std::size_t i = 0; i < common; ++i) {
        if (original[i] != decoded[i]) {
            throw round_trip_error(static_cast<std::int64_t>(i), "decoded " + std::to_string(decoded[i]) +
                                                                     ", encoded " +
                                                                     std::to_string(original[i]));
        }
    }
    if (original.size() != decoded.size()) {
        throw round_trip_error(static_cast<std::int64_t>(common),
                               "decoded " + detail::count_noun(decoded.size(), "symbol", "symbols") +
                                   ", encoded " + std::to_string(original.size()));
    }
}

// Encodes tokens with model, which is advanced by one update per token (model_next_row ->
// quantize at options.precision_bits -> range-code -> model_update). Returns the stream and its
// ledger (ideal bits from the row kernel on the model's own rows).
// Throws invalid_argument_error for P outside [1, 31], V > 2^P or a negative token,
// target_out_of_range_error for a token >= V, and whatever the model throws (invalid_row_error
// for NaN rows, past the last row of a replay, ...).
template <class Model>
[[nodiscard]] encoded_stream encode_sequence(Model& model, std::span<const std::int64_t> tokens,
                                             coding_options options = {}) {
    static_assert(check_sequential_categorical_model<Model>());
    const int precision = options.precision_bits;
    const std::int64_t vocabulary_size = model_vocabulary_size(model);
    detail::check_coding_precision(precision, vocabulary_size);
    const auto count = static_cast<std::uint64_t>(tokens.size());
    if (count > model_symbol_limit(model)) {
        throw invalid_argument_error("cannot code " + std::to_string(count) +
                                     " tokens: the model can produce only " +
                                     detail::count_noun(model_symbol_limit(model), "row", "rows"));
    }
    stream_header header;
    header.model = categorical_model_descriptor(model, precision, count); // before the model moves
    header.symbol_count = count;
    header.symbols_crc32c = crc32c_int64_le(tokens);

    encoded_stream result;
    result.bytes = detail::stream_buffer_with_header_room();
    detail::coding_ledger_builder ledger(precision);
    {
        default_range_encoder encoder(result.bytes);
        for (std::size_t t = 0; t < tokens.size(); ++t) {
            const auto index = static_cast<std::int64_t>(t);
            const std::int64_t token = tokens[t];
            detail::check_coded_token(index, token, vocabulary_size);
            const auto row = model_next_row(model);
            detail::check_row_size(row, vocabulary_size, index);
            ledger.add_token(compute_row_statistics(row, token, index).target_surprisal_bits());
            const symbol_interval interval = quantize_symbol(row, token, precision, index);
            encoder.encode(interval, precision);
            ledger.add_quantized(interval.frequency, precision);
            model_update(model, token);
        }
        encoder.finish();
    }
    detail::seal_stream(result.bytes, header);
    result.ledger = ledger.finish(stream_header_bytes, result.bytes.size() - stream_header_bytes);
    return result;
}

// Decodes a stream written by encode_sequence with the same model in the same state (a fresh
// replay of the same logits). Returns the tokens only after every check passed; throws a
// stream_error subtype otherwise (stream_errors.hpp; in order: container, including a symbol
// count the payload cannot hold; stream_limit_error above options.limits.max_symbols; model
// mismatch; payload; checksum). The model is advanced by one update per decoded token.
// Memory and time: at most limits.max_symbols symbols, and the result grows with the symbols
// actually decoded, never with a header claim alone.
template <class Model>
[[nodiscard]] std::vector<std::int64_t> decode_sequence(Model& model, std::span<const std::uint8_t> stream,
                                                        const decoding_options& options = {}) {
    static_assert(check_sequential_categorical_model<Model>());
    const parsed_stream parsed = parse_stream(stream);
    const stream_header& header = parsed.header;
    detail::check_symbol_limit(header, options.limits);
    const int precision = header.model.precision_bits;
    const std::uint64_t count = header.symbol_count;
    stream_model_descriptor expected = categorical_model_descriptor(model, precision, count);
    if (options.precision_bits != 0) {
        expected.precision_bits = options.precision_bits;
    }
    check_stream_model(header, expected, model_symbol_limit(model));

    const std::int64_t vocabulary_size = expected.vocabulary_size;
    std::vector<std::int64_t> decoded;
    decoded.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, std::uint64_t{1} << 16U)));
    default_range_decoder decoder(parsed.payload);
    for (std::uint64_t t = 0; t < count; ++t) {
        const auto index = static_cast<std::int64_t>(t);
        const auto row = model_next_row(model);
        detail::check_row_size(row, vocabulary_size, index);
        // The symbol whose interval holds the target, without materializing the CDF.
        const quantized_symbol found = quantize_find_symbol(row, decoder.target(precision), precision, index);
        decoder.consume(found.interval);
        detail::check_decoder_state(decoder, header.payload_bytes, t);
        decoded.push_back(found.symbol);
        model_update(model, found.symbol);
    }
    detail::verify_decoded_stream(decoder, header, decoded);
    return decoded;
}

// Encodes tokens with one fresh model, decodes with another, and throws round_trip_error
// unless the result is identical; returns the encoded stream. make_model() must return a model
// in the same initial state each time (e.g. a new logits_replay over the same matrix).
//   auto encoded = codelength::verify_round_trip([&] { return codelength::logits_replay(view); }, tokens);
template <class MakeModel>
requires std::invocable<MakeModel&> encoded_stream verify_round_trip(MakeModel&& make_model,
                                                                     std::span<const std::int64_t> tokens,
                                                                     coding_options options = {}) {
    auto encoder_model = make_model();
    encoded_stream encoded = encode_sequence(encoder_model, tokens, options);
    auto decoder_model = make_model();
    decoding_options decoding;
    decoding.precision_bits = options.precision_bits;
    decoding.limits.max_symbols = tokens.size(); // the caller's own tokens: no more, no fewer
    const std::vector<std::int64_t> decoded = decode_sequence(decoder_model, encoded.bytes, decoding);
    check_round_trip(tokens, decoded);
    return encoded;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
