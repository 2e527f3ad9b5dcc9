// Coding with a model that exposes only its top k tokens and their probabilities (as hosted
// LLM APIs do): each row becomes a distribution over k + 1 symbols, the k listed tokens and an
// escape symbol carrying the unlisted mass 1 - sum p_i. A listed token is coded as its
// symbol; an unlisted one as escape followed by its index among the V - k unlisted ids,
// coded uniformly and exactly (see encode_uniform_index).
//
//   codelength::top_k_replay<float> model(ids, probabilities, T, k, V);   // row-major (T, k)
//   auto encoded = codelength::encode_top_k_sequence(model, tokens, {.precision_bits = 24});
//   codelength::top_k_replay<float> replay(ids, probabilities, T, k, V);
//   auto decoded = codelength::decode_top_k_sequence(replay, encoded.bytes);
//
// Probabilities, not log-probabilities, are the input: the escape mass and the quantized CDF
// are then computed with IEEE additions and the quantizer's integer arithmetic only (no exp or
// log, whose last bit may differ between C libraries), so encoder and decoder agree on every
// machine. Convert an API's log-probabilities once (numpy.exp) and keep that array.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "codelength/coding/sequence_coder.hpp"
#include "codelength/core/config.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// One row of a top-k model: k distinct token ids in [0, V) and their probabilities under the
// model's full distribution (each finite and >= 0, summing to at most 1 + 1e-3; the escape
// symbol gets max(0, 1 - sum)). k may be 0 (every token escapes) up to V.
template <class Probability>
struct top_k_row {
    std::span<const std::int64_t> ids;
    std::span<const Probability> probabilities;
};

// A sequential model that exposes only top-k rows: vocabulary_size(), next_top_k() returning
// top_k_row<float> or top_k_row<double> (valid until update), and update(token). It may add
// `std::uint64_t fingerprint(std::uint64_t symbol_count) const` (or fingerprint() const) naming
// its configuration for the stream header.
template <class Model>
concept top_k_model = requires(Model& model, const Model& const_model, std::int64_t token) {
    { const_model.vocabulary_size() } -> std::convertible_to<std::int64_t>;
    model.next_top_k();
    model.update(token);
}
&&(std::same_as<decltype(std::declval<Model&>().next_top_k()), top_k_row<float>> ||
   std::same_as<decltype(std::declval<Model&>().next_top_k()), top_k_row<double>>);

// The probability type of a top-k model's rows.
template <top_k_model Model>
using top_k_probability_t =
    typename std::remove_cvref_t<decltype(std::declval<Model&>().next_top_k().probabilities)>::value_type;

// Precomputed top-k rows replayed in order, like logits_replay: ids and probabilities are
// row-major (rows, k) arrays viewed in place (they must outlive the replay).
template <class Probability>
requires std::same_as<Probability, float> || std::same_as<Probability, double>
class top_k_replay {
public:
    // Throws invalid_argument_error unless both spans hold rows * k values, rows >= 0,
    // 0 <= k <= vocabulary_size.
    top_k_replay(std::span<const std::int64_t> ids, std::span<const Probability> probabilities,
                 std::int64_t rows, std::int64_t k, std::int64_t vocabulary_size)
        : m_ids(ids), m_probabilities(probabilities), m_rows(rows), m_k(k),
          m_vocabulary_size(vocabulary_size) {
        if (rows < 0 || k < 0 || vocabulary_size < 1 || k > vocabulary_size) {
            throw invalid_argument_error(
                "top-k replay: need rows >= 0 and 0 <= k <= V with V >= 1, got rows " + std::to_string(rows) +
                ", k " + std::to_string(k) + ", V " + std::to_string(vocabulary_size));
        }
        const auto expected = static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(k);
        if (ids.size() != expected || probabilities.size() != expected) {
            throw invalid_argument_error("top-k replay: " + detail::count_noun(rows, "row", "rows") + " of " +
                                         std::to_string(k) + " need " + std::to_string(expected) +
                                         " ids and probabilities, got " + std::to_string(ids.size()) +
                                         " and " + std::to_string(probabilities.size()));
        }
    }

    [[nodiscard]] std::int64_t vocabulary_size() const noexcept { return m_vocabulary_size; }
    // Row position() (throws invalid_argument_error past the last row).
    [[nodiscard]] top_k_row<Probability> next_top_k() const {
        if (m_position >= m_rows) {
            throw invalid_argument_error("top-k replay: no row " + std::to_string(m_position) +
                                         " to replay (" + detail::count_noun(m_rows, "row", "rows") + ")");
        }
        const auto first = static_cast<std::size_t>(m_position * m_k);
        const auto k = static_cast<std::size_t>(m_k);
        return {m_ids.subspan(first, k), m_probabilities.subspan(first, k)};
    }
    // Moves to the next row (throws past the last row or for a token outside [0, V)).
    void update(std::int64_t token) {
        if (m_position >= m_rows) {
            throw invalid_argument_error("top-k replay: update past the last row " + std::to_string(m_rows));
        }
        if (token < 0 || token >= m_vocabulary_size) {
            throw target_out_of_range_error(m_position, token, m_vocabulary_size);
        }
        ++m_position;
    }
    [[nodiscard]] std::int64_t position() const noexcept { return m_position; }
    [[nodiscard]] std::int64_t rows() const noexcept { return m_rows; }
    void rewind() noexcept { m_position = 0; }

    // The fingerprint of the symbol_count rows from position(): (scheme, element type, V, k,
    // rows) and every id and probability as little-endian bytes.
    [[nodiscard]] std::uint64_t fingerprint(std::uint64_t symbol_count) const {
        const std::int64_t rows = std::min<std::int64_t>(
            static_cast<std::int64_t>(std::min<std::uint64_t>(symbol_count, stream_max_symbol_count)),
            m_rows - m_position);
        fingerprint_hasher hasher(detail::logits_fingerprint_seed + 1);
        hasher.update_u64(static_cast<std::uint64_t>(stream_element_type_of<Probability>()));
        hasher.update_u64(static_cast<std::uint64_t>(m_vocabulary_size));
        hasher.update_u64(static_cast<std::uint64_t>(m_k));
        hasher.update_u64(static_cast<std::uint64_t>(rows));
        const auto first = m_position * m_k;
        detail::hash_row(hasher, strided_row<std::int64_t>{m_ids.data() + first, rows * m_k, 1});
        detail::hash_row(hasher, strided_row<Probability>{m_probabilities.data() + first, rows * m_k, 1});
        return hasher.digest();
    }

private:
    std::span<const std::int64_t> m_ids;
    std::span<const Probability> m_probabilities;
    std::int64_t m_rows;
    std::int64_t m_k;
    std::int64_t m_vocabulary_size;
    std::int64_t m_position = 0;
};

// --- Exact uniform coding of an index j in [0, M), M up to 2^62.

// Precision of the uniform intervals: the largest the coder supports.
inline constexpr int uniform_precision_bits = max_precision_bits;

namespace detail {

inline constexpr std::uint64_t uniform_total = std::uint64_t{1}
                                               << static_cast<unsigned>(uniform_precision_bits);

// j's interval when [0, 2^31) is split into M nearly equal parts: [floor(j 2^31 / M),
// floor((j + 1) 2^31 / M)); every width is floor(2^31 / M) or one more, >= 1 for M <= 2^31.
[[nodiscard]] constexpr symbol_interval uniform_interval(std::uint64_t j, std::uint64_t count) noexcept {
    const std::uint64_t low = (j * uniform_total) / count; // j < M <= 2^31: product < 2^62
    const std::uint64_t high = ((j + 1) * uniform_total) / count;
    return {static_cast<std::uint32_t>(low), static_cast<std::uint32_t>(high - low)};
}

// The j whose uniform_interval holds value v in [0, 2^31): the largest j with
// floor(j 2^31 / M) <= v, i.e. j 2^31 < (v + 1) M, so j = floor(((v + 1) M - 1) / 2^31) < M.
[[nodiscard]] constexpr std::uint64_t uniform_index_of(std::uint32_t value, std::uint64_t count) noexcept {
    return ((std::uint64_t{value} + 1) * count - 1) >> static_cast<unsigned>(uniform_precision_bits);
}

// How an index range M > 2^31 is split into two digits: H = ceil(M / 2^31) parts of
// base = ceil(M / H) <= 2^31 indices each (the last part holds the rest), so the parts are as
// equal as they can be; high_count = ceil(M / base) <= H <= 2^31 for M <= 2^62.
struct uniform_split {
    std::uint64_t base = 0;
    std::uint64_t high_count = 0;
    explicit constexpr uniform_split(std::uint64_t count) noexcept {
        const std::uint64_t parts = (count + uniform_total - 1) / uniform_total;
        base = (count + parts - 1) / parts;
        high_count = (count + base - 1) / base;
    }
    // The number of low digits under high digit `high`.
    [[nodiscard]] constexpr std::uint64_t low_count(std::uint64_t high, std::uint64_t count) const noexcept {
        return high == high_count - 1 ? count - (high_count - 1) * base : base;
    }
};

// The digits of j in [0, M): for M <= 2^31 one digit in [0, M); above, a high digit j / base
// and a low digit j % base (uniform_split). A digit range of 1 is not coded (it costs 0 bits).
// The cost, sum of 31 - log2(width) over the coded intervals, averages log2 M plus less than
// about M / 2^31 / ln 2 bits per digit of range M (a width is floor(2^31 / M) or one more).
template <class Visit>
void for_each_uniform_digit(std::uint64_t j, std::uint64_t count, Visit&& visit) {
    if (count > uniform_total) {
        const uniform_split split(count);
        const std::uint64_t high = j / split.base;
        for_each_uniform_digit(high, split.high_count, visit);
        for_each_uniform_digit(j % split.base, split.low_count(high, count), visit);
        return;
    }
    if (count > 1) {
        visit(j, count);
    }
}

} // namespace detail

namespace detail {

// Codes j in [0, count) uniformly and calls on_interval(interval) for each interval coded at
// uniform_precision_bits (the top-k coder adds them to its ledger).
template <class Encoder, class OnInterval>
void encode_uniform_digits(Encoder& encoder, std::uint64_t j, std::uint64_t count, OnInterval&& on_interval) {
    for_each_uniform_digit(j, count, [&](std::uint64_t digit, std::uint64_t digit_count) {
        const symbol_interval interval = uniform_interval(digit, digit_count);
        encoder.encode(interval, uniform_precision_bits);
        on_interval(interval);
    });
}

} // namespace detail

// Codes j in [0, count) uniformly (count in [1, 2^62]); returns its exact cost in bits (the
// sum of 31 - log2(width) over the intervals coded).
template <class Encoder>
double encode_uniform_index(Encoder& encoder, std::uint64_t j, std::uint64_t count) {
    double cost_bits = 0.0;
    detail::encode_uniform_digits(encoder, j, count, [&](symbol_interval interval) {
        cost_bits += uniform_precision_bits - std::log2(static_cast<double>(interval.frequency));
    });
    return cost_bits;
}

// Decodes what encode_uniform_index coded for the same count.
template <class Decoder>
[[nodiscard]] std::uint64_t decode_uniform_index(Decoder& decoder, std::uint64_t count) {
    if (count > detail::uniform_total) {
        const detail::uniform_split split(count);
        const std::uint64_t high = decode_uniform_index(decoder, split.high_count);
        return high * split.base + decode_uniform_index(decoder, split.low_count(high, count));
    }
    if (count <= 1) {
        return 0;
    }
    const std::uint64_t j = detail::uniform_index_of(decoder.target(uniform_precision_bits), count);
    decoder.consume(detail::uniform_interval(j, count)); // at the target's precision, 31
    return j;
}

namespace detail {

// Tolerance on sum p_i > 1 (float rounding of API probabilities).
inline constexpr double top_k_sum_tolerance = 1e-3;

// A validated top-k row: the k + 1 probabilities (escape last) in double, the ids sorted.
class top_k_workspace {
public:
    // Checks row (ids distinct and in [0, V), probabilities finite, >= 0, sum <= 1 + 1e-3,
    // not all 0 with k = V) and fills the k + 1 probabilities; throws invalid_row_error.
    template <class Probability>
    void assign(const top_k_row<Probability>& row, std::int64_t vocabulary_size, std::int64_t index) {
        const std::size_t k = row.ids.size();
        if (row.probabilities.size() != k) {
            throw invalid_row_error(index, "top-k row with " + std::to_string(k) + " ids but " +
                                               std::to_string(row.probabilities.size()) + " probabilities");
        }
        if (static_cast<std::int64_t>(k) > vocabulary_size) {
            throw invalid_row_error(index, "top-k row lists " + std::to_string(k) +
                                               " ids, more than the vocabulary size " +
                                               std::to_string(vocabulary_size));
        }
        m_probabilities.resize(k + 1);
        double sum = 0.0; // left to right: the same rounding at both ends
        for (std::size_t i = 0; i < k; ++i) {
            const double p = static_cast<double>(row.probabilities[i]);
            if (!(p >= 0.0) || !std::isfinite(p)) {
                throw invalid_row_error(index, "top-k probability " + std::to_string(i) + " is " +
                                                   std::to_string(p) + " (must be finite and >= 0)");
            }
            m_probabilities[i] = p;
            sum += p;
        }
        if (sum > 1.0 + top_k_sum_tolerance) {
            throw invalid_row_error(index,
                                    "top-k probabilities sum to " + std::to_string(sum) +
                                        " > 1 (probabilities under the whole vocabulary are expected)");
        }
        m_escape_probability = sum < 1.0 ? 1.0 - sum : 0.0;
        m_probabilities[k] = m_escape_probability;
        m_sorted_ids.assign(row.ids.begin(), row.ids.end());
        std::sort(m_sorted_ids.begin(), m_sorted_ids.end());
        for (std::size_t i = 0; i < k; ++i) {
            if (m_sorted_ids[i] < 0 || m_sorted_ids[i] >= vocabulary_size) {
                throw invalid_row_error(index, "top-k id " + std::to_string(m_sorted_ids[i]) +
                                                   " is outside the vocabulary [0, " +
                                                   std::to_string(vocabulary_size) + ")");
            }
            if (i > 0 && m_sorted_ids[i] == m_sorted_ids[i - 1]) {
                throw invalid_row_error(index,
                                        "top-k id " + std::to_string(m_sorted_ids[i]) + " is listed twice");
            }
        }
        if (!(sum > 0.0) && m_escape_probability == 0.0) {
            throw invalid_row_error(index, "every top-k probability is 0");
        }
        m_unlisted = static_cast<std::uint64_t>(vocabulary_size) - k;
    }

    // The k + 1 probabilities: the listed tokens' in row order, then the escape's.
    [[nodiscard]] std::span<const double> probability_row() const noexcept { return m_probabilities; }
    [[nodiscard]] std::int64_t escape_symbol() const noexcept {
        return static_cast<std::int64_t>(m_probabilities.size()) - 1;
    }
    [[nodiscard]] double escape_probability() const noexcept { return m_escape_probability; }
    // V - k.
    [[nodiscard]] std::uint64_t unlisted_count() const noexcept { return m_unlisted; }
    // The index of an unlisted token among the unlisted ids: token - #{listed ids < token}.
    [[nodiscard]] std::uint64_t unlisted_index(std::int64_t token) const noexcept {
        const auto below =
            std::lower_bound(m_sorted_ids.begin(), m_sorted_ids.end(), token) - m_sorted_ids.begin();
        return static_cast<std::uint64_t>(token - below);
    }
    // The unlisted token with index j (inverse of unlisted_index): step over every listed id
    // at or below the candidate, in ascending order.
    [[nodiscard]] std::int64_t unlisted_token(std::uint64_t j) const noexcept {
        auto token = static_cast<std::int64_t>(j);
        for (const std::int64_t id : m_sorted_ids) {
            if (id > token) {
                break;
            }
            ++token;
        }
        return token;
    }

private:
    std::vector<double> m_probabilities;
    std::vector<std::int64_t> m_sorted_ids;
    double m_escape_probability = 0.0;
    std::uint64_t m_unlisted = 0;
};

template <class Model>
[[nodiscard]] std::uint64_t top_k_model_fingerprint(const Model& model, std::uint64_t symbol_count) {
    if constexpr (requires { model.fingerprint(symbol_count); }) {
        return static_cast<std::uint64_t>(model.fingerprint(symbol_count));
    } else if constexpr (requires { model.fingerprint(); }) {
        return static_cast<std::uint64_t>(model.fingerprint());
    } else {
        return 0;
    }
}

template <class Model>
[[nodiscard]] std::uint64_t top_k_symbol_limit(const Model& model) {
    if constexpr (requires {
                      model.rows();
                      model.position();
                  }) {
        return static_cast<std::uint64_t>(std::max<std::int64_t>(
            static_cast<std::int64_t>(model.rows()) - static_cast<std::int64_t>(model.position()), 0));
    } else {
        return stream_max_symbol_count;
    }
}

} // namespace detail

// The descriptor written for (and expected of) a top-k model coding symbol_count symbols.
template <top_k_model Model>
[[nodiscard]] stream_model_descriptor top_k_model_descriptor(const Model& model, int precision_bits,
                                                             std::uint64_t symbol_count) {
    stream_model_descriptor descriptor;
    descriptor.kind = stream_model_kind::top_k;
    descriptor.element_type = stream_element_type_of<top_k_probability_t<Model>>();
    descriptor.precision_bits = precision_bits;
    descriptor.vocabulary_size = static_cast<std::int64_t>(model.vocabulary_size());
    descriptor.fingerprint = detail::top_k_model_fingerprint(model, symbol_count);
    return descriptor;
}

// Encodes tokens with a top-k model (one update per token). The ledger's quantized_bits
// cover the k + 1 symbol distributions (escape included), escape_bits the uniform indices of
// escaped tokens, and ideal_bits is -log2 p_i for a listed token and -log2 p_escape +
// log2(V - k) for an unlisted one. Throws as encode_sequence, plus invalid_row_error for an
// invalid top-k row and invalid_argument_error when k + 1 > 2^P.
template <top_k_model Model>
[[nodiscard]] encoded_stream encode_top_k_sequence(Model& model, std::span<const std::int64_t> tokens,
                                                   coding_options options = {}) {
    const int precision = options.precision_bits;
    const auto vocabulary_size = static_cast<std::int64_t>(model.vocabulary_size());
    detail::check_coding_precision(precision, 1);
    const auto count = static_cast<std::uint64_t>(tokens.size());
    if (count > detail::top_k_symbol_limit(model)) {
        throw invalid_argument_error("cannot code " + std::to_string(count) +
                                     " tokens: the model can produce only " +
                                     detail::count_noun(detail::top_k_symbol_limit(model), "row", "rows"));
    }
    stream_header header;
    header.model = top_k_model_descriptor(model, precision, count);
    header.symbol_count = count;
    header.symbols_crc32c = crc32c_int64_le(tokens);

    encoded_stream result;
    result.bytes = detail::stream_buffer_with_header_room();
    detail::coding_ledger_builder ledger(precision);
    detail::top_k_workspace row_state;
    {
        default_range_encoder encoder(result.bytes);
        for (std::size_t t = 0; t < tokens.size(); ++t) {
            const auto index = static_cast<std::int64_t>(t);
            const std::int64_t token = tokens[t];
            detail::check_coded_token(index, token, vocabulary_size);
            const auto row = model.next_top_k();
            row_state.assign(row, vocabulary_size, index);
            if (row_state.escape_symbol() + 1 > (std::int64_t{1} << precision)) {
                throw invalid_argument_error("row " + std::to_string(index) + ": " +
                                             std::to_string(row_state.escape_symbol()) +
                                             " listed tokens + escape cannot be coded at precision " +
                                             std::to_string(precision) + " bits (k + 1 <= 2^P)");
            }
            const auto listed = std::find(row.ids.begin(), row.ids.end(), token);
            const bool escaped = listed == row.ids.end();
            const std::int64_t symbol = escaped ? row_state.escape_symbol() : listed - row.ids.begin();
            const symbol_interval interval =
                quantize_symbol_from_probabilities(row_state.probability_row(), symbol, precision, index);
            encoder.encode(interval, precision);
            ledger.add_quantized(interval.frequency, precision);
            if (escaped) {
                ledger.add_token(-std::log2(row_state.escape_probability()) +
                                 std::log2(static_cast<double>(row_state.unlisted_count())));
                ledger.add_escaped_token();
                detail::encode_uniform_digits(encoder, row_state.unlisted_index(token),
                                              row_state.unlisted_count(), [&](symbol_interval digit) {
                                                  ledger.add_escape(digit.frequency, uniform_precision_bits);
                                              });
            } else {
                ledger.add_token(-std::log2(row_state.probability_row()[static_cast<std::size_t>(symbol)]));
            }
            model.update(token);
        }
        encoder.finish();
    }
    detail::seal_stream(result.bytes, header);
    result.ledger = ledger.finish(stream_header_bytes, result.bytes.size() - stream_header_bytes);
    return result;
}

// Decodes a stream written by encode_top_k_sequence with the same model in the same state;
// checks, limits and errors as decode_sequence.
template <top_k_model Model>
[[nodiscard]] std::vector<std::int64_t> decode_top_k_sequence(Model& model,
                                                              std::span<const std::uint8_t> stream,
                                                              const decoding_options& options = {}) {
    const parsed_stream parsed = parse_stream(stream);
    const stream_header& header = parsed.header;
    detail::check_symbol_limit(header, options.limits);
    const int precision = header.model.precision_bits;
    const std::uint64_t count = header.symbol_count;
    stream_model_descriptor expected = top_k_model_descriptor(model, precision, count);
    if (options.precision_bits != 0) {
        expected.precision_bits = options.precision_bits;
    }
    check_stream_model(header, expected, detail::top_k_symbol_limit(model));

    const std::int64_t vocabulary_size = expected.vocabulary_size;
    std::vector<std::int64_t> decoded;
    decoded.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, std::uint64_t{1} << 16U)));
    default_range_decoder decoder(parsed.payload);
    detail::top_k_workspace row_state;
    quantized_cdf cdf;
    for (std::uint64_t t = 0; t < count; ++t) {
        const auto index = static_cast<std::int64_t>(t);
        const auto row = model.next_top_k();
        row_state.assign(row, vocabulary_size, index);
        if (row_state.escape_symbol() + 1 > (std::int64_t{1} << precision)) {
            throw stream_model_mismatch_error(stream_offset::precision_bits,
                                              "model mismatch: row " + std::to_string(t) + " lists " +
                                                  std::to_string(row_state.escape_symbol()) +
                                                  " tokens, too many for precision " +
                                                  std::to_string(precision));
        }
        cdf.assign_from_probabilities(row_state.probability_row(), precision, index);
        const std::int64_t symbol = cdf.find(decoder.target(precision));
        decoder.consume(cdf.interval(symbol));
        std::int64_t token = 0;
        if (symbol == row_state.escape_symbol()) {
            const std::uint64_t j = decode_uniform_index(decoder, row_state.unlisted_count());
            detail::check_decoder_state(decoder, header.payload_bytes, t);
            if (row_state.unlisted_count() == 0) {
                throw stream_payload_error(stream_header_bytes +
                                               std::min(decoder.bytes_read(), header.payload_bytes),
                                           "the payload is damaged: symbol " + std::to_string(t) +
                                               " escapes, but the row lists every token");
            }
            token = row_state.unlisted_token(j);
        } else {
            detail::check_decoder_state(decoder, header.payload_bytes, t);
            token = row.ids[static_cast<std::size_t>(symbol)];
        }
        decoded.push_back(token);
        model.update(token);
    }
    detail::verify_decoded_stream(decoder, header, decoded);
    return decoded;
}

// Encodes with one fresh top-k model, decodes with another, throws round_trip_error unless
// identical; returns the stream (as verify_round_trip).
template <class MakeModel>
requires std::invocable<MakeModel&>
    encoded_stream verify_top_k_round_trip(MakeModel&& make_model, std::span<const std::int64_t> tokens,
                                           coding_options options = {}) {
    auto encoder_model = make_model();
    encoded_stream encoded = encode_top_k_sequence(encoder_model, tokens, options);
    auto decoder_model = make_model();
    decoding_options decoding;
    decoding.precision_bits = options.precision_bits;
    decoding.limits.max_symbols = tokens.size();
    check_round_trip(tokens, decode_top_k_sequence(decoder_model, encoded.bytes, decoding));
    return encoded;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
