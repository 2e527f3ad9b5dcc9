// codelength.encode / decode (precomputed logits, the streams of `codelength encode`),
// encode_with_model / decode_with_model (a Python model in the loop) and rolling_windows.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "bindings.hpp"
#include "codelength/codelength.hpp"
#include "codelength/coding/sequence_coder.hpp"
#include "codelength/metrics/rolling_windows.hpp"
#include "codelength/models/logits_replay.hpp"
#include "json_number.hpp"
#include "model_adapter.hpp"

namespace codelength::python {

namespace {

// What encode and encode_with_model return: the stream and the fields of `codelength encode --json`.
struct encoded_report {
    py::bytes data;
    coding_ledger ledger;
    std::int64_t vocabulary_size = 0;
    std::string dtype;
    bool verified = false;

    // The object `codelength encode --json` prints, as a dict (None for its nulls, which are
    // the non-finite numbers: ideal_bits is +inf when the model gave a token probability 0).
    [[nodiscard]] py::dict to_dict() const {
        py::dict d;
        json_dict fields(d);
        add_coding_ledger_fields(fields, ledger);
        d["vocabulary_size"] = vocabulary_size;
        d["dtype"] = dtype;
        d["verified"] = verified;
        return d;
    }
};

encoded_report make_report(const encoded_stream& encoded, std::int64_t vocabulary_size, std::string dtype,
                           bool verified) {
    encoded_report report;
    report.data = py::bytes(reinterpret_cast<const char*>(encoded.bytes.data()), encoded.bytes.size());
    report.ledger = encoded.ledger;
    report.vocabulary_size = vocabulary_size;
    report.dtype = std::move(dtype);
    report.verified = verified;
    return report;
}

// Calls visit(matrix_view<Element>) with the logits as one (rows, V) matrix: a view in place
// when the strides allow one (always for (T, V)), else a C-order copy of a (B, T, V) array.
template <class Element, class Visitor>
decltype(auto) visit_logits_as_matrix(const borrowed_array& logits, Visitor&& visit) {
    const std::vector<logits_block<Element>> blocks = logits_blocks<Element>(logits);
    if (blocks.size() == 1) {
        return visit(blocks.front().view);
    }
    const std::int64_t columns = logits.shape.back();
    std::int64_t rows = 0;
    for (const logits_block<Element>& block : blocks) {
        rows += block.view.rows;
    }
    std::vector<Element> copy;
    copy.reserve(static_cast<std::size_t>(rows * columns));
    for (const logits_block<Element>& block : blocks) {
        for (std::int64_t r = 0; r < block.view.rows; ++r) {
            const strided_row<Element> row = block.view.row(r);
            for (std::int64_t c = 0; c < columns; ++c) {
                copy.push_back(row[c]);
            }
        }
    }
    return visit(matrix_view<Element>::row_major(copy.data(), rows, columns));
}

// Raises ValueError unless precision is in [1, 31].
void check_precision_argument(int precision) {
    if (precision < 1 || precision > max_precision_bits) {
        throw py::value_error("precision: " + std::to_string(precision) + " bits is outside [1, " +
                              std::to_string(max_precision_bits) + "]");
    }
}

// The decoding limits of a max_symbols argument (None: the library's default, 2^28).
decoding_options decoding_options_for(const std::optional<std::int64_t>& max_symbols) {
    decoding_options options;
    if (max_symbols) {
        if (*max_symbols < 0) {
            throw py::value_error("max_symbols: " + std::to_string(*max_symbols) + " is negative");
        }
        options.limits.max_symbols = static_cast<std::uint64_t>(*max_symbols);
    }
    return options;
}

py::array_t<std::int64_t> int64_array(const std::vector<std::int64_t>& values,
                                      std::vector<std::int64_t> shape) {
    py::array_t<std::int64_t> array(std::move(shape));
    std::copy(values.begin(), values.end(), array.mutable_data());
    return array;
}

encoded_report encode(const py::object& logits_object, const py::object& targets_object, int precision,
                      bool verify) {
    check_precision_argument(precision);
    const borrowed_array logits = borrow_logits(logits_object, "logits");
    const std::vector<std::int64_t> targets = targets_in_vocabulary(logits, targets_object, false);
    coding_options options;
    options.precision_bits = precision;
    encoded_stream encoded;
    {
        py::gil_scoped_release unlocked;
        encoded = visit_element_type(logits, [&](auto element) {
            using Element = decltype(element);
            return visit_logits_as_matrix<Element>(logits, [&](matrix_view<Element> view) {
                const auto make_model = [&] { return logits_replay(view); };
                if (verify) {
                    return verify_round_trip(make_model, targets, options);
                }
                auto model = make_model();
                return encode_sequence(model, targets, options);
            });
        });
    }
    return make_report(encoded, logits.shape.back(), logits.dtype_name, verify);
}

py::array_t<std::int64_t> decode(const py::object& logits_object, const py::object& data_object,
                                 std::optional<std::int64_t> max_symbols) {
    const borrowed_array logits = borrow_logits(logits_object, "logits");
    const borrowed_bytes data(data_object, "data");
    const decoding_options options = decoding_options_for(max_symbols);
    const std::vector<std::int64_t> shape = targets_shape(logits);
    std::vector<std::int64_t> decoded;
    {
        py::gil_scoped_release unlocked;
        const parsed_stream parsed = parse_stream(data.span());
        const std::int64_t rows = logits.element_count() / logits.shape.back();
        if (parsed.header.symbol_count != static_cast<std::uint64_t>(rows)) {
            throw stream_model_mismatch_error(
                stream_offset::symbol_count,
                "model mismatch: the stream holds " +
                    detail::count_noun(parsed.header.symbol_count, "target", "targets") +
                    ", but the logits of shape " + logits.shape_string() + " have " +
                    detail::count_noun(rows, "row", "rows"));
        }
        decoded = visit_element_type(logits, [&](auto element) {
            using Element = decltype(element);
            return visit_logits_as_matrix<Element>(logits, [&](matrix_view<Element> view) {
                logits_replay model(view);
                return decode_sequence(model, data.span(), options);
            });
        });
    }
    return int64_array(decoded, shape);
}

// The tokens of encode_with_model: a 1-D integer array (or list).
std::vector<std::int64_t> model_tokens(const py::object& tokens_object) {
    const borrowed_array tokens = borrow_array(tokens_object, "tokens");
    if (tokens.ndim() != 1) {
        throw py::value_error("tokens: shape " + tokens.shape_string() + " is not 1-D");
    }
    return integers_in_c_order(tokens_object, "tokens", tokens.shape);
}

encoded_report encode_with_model(const py::object& model_object, const py::object& tokens_object,
                                 int precision) {
    check_precision_argument(precision);
    const std::vector<std::int64_t> tokens = model_tokens(tokens_object);
    python_model_source source(model_object); // asks the model for its first row
    const std::int64_t vocabulary_size = source.vocabulary_size();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i] < 0 || tokens[i] >= vocabulary_size) {
            throw py::value_error("tokens[" + std::to_string(i) + "] = " + std::to_string(tokens[i]) +
                                  " is outside the model's vocabulary [0, " +
                                  std::to_string(vocabulary_size) + ")");
        }
    }
    coding_options options;
    options.precision_bits = precision;
    const encoded_stream encoded =
        visit_python_model(source, [&](auto& model) { return encode_sequence(model, tokens, options); });
    return make_report(encoded, vocabulary_size, source.dtype_name(), false);
}

py::array_t<std::int64_t> decode_with_model(const py::object& model_object, const py::object& data_object,
                                            std::optional<std::int64_t> max_symbols) {
    const borrowed_bytes data(data_object, "data");
    const decoding_options options = decoding_options_for(max_symbols);
    // The container and the limit are checked before the model is called at all.
    const parsed_stream parsed = parse_stream(data.span());
    detail::check_symbol_limit(parsed.header, options.limits);
    python_model_source source(model_object);
    const std::vector<std::int64_t> decoded =
        visit_python_model(source, [&](auto& model) { return decode_sequence(model, data.span(), options); });
    return int64_array(decoded, {static_cast<std::int64_t>(decoded.size())});
}

// The windows of rolling_windows as a list of codelength.TokenWindow named tuples.
py::list windows(const py::object& window_type, std::int64_t n_tokens, std::int64_t context,
                 std::int64_t stride) {
    const std::vector<token_window> found = rolling_windows(n_tokens, context, stride);
    py::list result;
    for (const token_window& window : found) {
        result.append(window_type(window.begin, window.end, window.scored_begin));
    }
    return result;
}

} // namespace

void bind_coding(py::module_& module) {
    py::class_<encoded_report>(
        module, "EncodedStream",
        "A coded stream and where its bits go: the fields of `codelength encode --json`.")
        .def_readonly("data", &encoded_report::data, "The complete stream (header + payload), as bytes.")
        .def_property_readonly(
            "tokens", [](const encoded_report& r) { return r.ledger.tokens; }, "Coded tokens.")
        .def_property_readonly(
            "precision_bits", [](const encoded_report& r) { return r.ledger.precision_bits; },
            "P: every quantized distribution totals 2**P.")
        .def_property_readonly(
            "ideal_bits", [](const encoded_report& r) { return r.ledger.ideal_bits; },
            "Sum of -log2 p(token) under the model's floating-point rows, in bits (inf if some p = 0).")
        .def_property_readonly(
            "quantized_bits", [](const encoded_report& r) { return r.ledger.quantized_bits; },
            "Sum of P - log2 frequency: the information content under the quantized rows, in bits.")
        .def_property_readonly(
            "escape_bits", [](const encoded_report& r) { return r.ledger.escape_bits; },
            "Bits spent on escaped tokens (0 for these streams).")
        .def_property_readonly(
            "coded_bits", [](const encoded_report& r) { return r.ledger.payload_bits; },
            "8 * the payload's bytes: what the range coder wrote.")
        .def_property_readonly(
            "coder_overhead_bits", [](const encoded_report& r) { return r.ledger.coder_overhead_bits; },
            "coded_bits - quantized_bits - escape_bits: the range coder's own cost, in bits.")
        .def_property_readonly(
            "header_bits", [](const encoded_report& r) { return r.ledger.header_bits; },
            "8 * the stream header's bytes.")
        .def_property_readonly(
            "total_bytes", [](const encoded_report& r) { return r.ledger.total_bytes; },
            "len(data): (header_bits + coded_bits) / 8.")
        .def_property_readonly(
            "bits_per_token", [](const encoded_report& r) { return r.ledger.bits_per_token(); },
            "8 * total_bytes / tokens, header included; None without tokens.")
        .def_property_readonly(
            "quantization_loss_bits",
            [](const encoded_report& r) { return r.ledger.quantization_loss_bits(); },
            "quantized_bits - ideal_bits.")
        .def_property_readonly(
            "coder_overhead_fraction",
            [](const encoded_report& r) { return r.ledger.coder_overhead_fraction(); },
            "coder_overhead_bits / (quantized_bits + escape_bits); None when nothing was coded.")
        .def_readonly("vocabulary_size", &encoded_report::vocabulary_size, "V, the length of every row.")
        .def_readonly("dtype", &encoded_report::dtype, "The rows' element type (float32, ..., bfloat16).")
        .def_readonly("verified", &encoded_report::verified, "Whether the stream was decoded and compared.")
        .def("to_dict", &encoded_report::to_dict,
             "The object `codelength encode --json` prints for the same inputs, as a dict (non-finite "
             "numbers as None, like its nulls).")
        .def("__bytes__", [](const encoded_report& r) { return r.data; })
        .def("__repr__", [](const encoded_report& r) {
            return "<codelength.EncodedStream " + std::string(py::repr(r.to_dict())) + ">";
        });

    module.def("encode", &encode, py::arg("logits"), py::arg("targets"),
               py::arg("precision") = precision_bits_24, py::kw_only(), py::arg("verify") = false,
               R"doc(Codes targets[t] with row t of the logits; returns an EncodedStream (data + ledger).

The stream is byte for byte the one `codelength encode --logits L.npy --targets T.npy` writes
for the same values, and `decode(logits, data)` or `codelength decode` turns it back into the
targets. logits: NumPy array or CPU torch tensor of shape (T, V) or (B, T, V), any strides,
dtype float32, float64, float16 or bfloat16; read in place, except a (B, T, V) array whose
batches are not evenly spaced rows (e.g. a transposed or sliced batch axis), which is copied
once into C order. targets: integers of shape (T,) or (B, T), each in [0, V) (negative
targets cannot be coded). precision: P in [1, 31], V <= 2**P. verify: decode the stream in
memory and compare before returning (RoundTripError otherwise). The GIL is released while
coding.)doc");
    module.def("decode", &decode, py::arg("logits"), py::arg("data"), py::kw_only(),
               py::arg("max_symbols") = py::none(),
               R"doc(Decodes a stream written by encode (or `codelength encode`) with the same logits.

Returns the targets as an int64 array of shape (T,) or (B, T), the logits' shape without V.
Nothing is returned that was not verified: a stream of another length, written with other
logits (its fingerprint covers every logit), damaged or truncated raises a
codelength.StreamError subclass. max_symbols: refuse a stream of more symbols (default 2**28;
StreamLimitError). data: bytes, bytearray, memoryview or a C-contiguous uint8 array. The
GIL is released while decoding; a (B, T, V) array with unevenly spaced batches is copied once.)doc");

    module.def("encode_with_model", &encode_with_model, py::arg("model"), py::arg("tokens"),
               py::arg("precision") = precision_bits_24,
               R"doc(Codes tokens with a model in the loop; returns an EncodedStream (data + ledger).

model: an object with vocabulary_size (int), next_logits() -> a 1-D NumPy array or CPU torch
tensor of V logits for the next token (float32, float64, float16 or bfloat16, read in place)
and update(token) appending token to its context; or a plain callable taking the prefix (a
read-only int64 NumPy array of the tokens so far) and returning the next logits. An optional
`fingerprint` attribute (an int, not 0) is written to the stream header, so that
decode_with_model refuses another model before decoding (StreamModelMismatchError).

Calls, in this order: next_logits() once, then for each token update(token) and, before every
token after the first, next_logits(); decode_with_model makes the same calls, so a
deterministic model decodes exactly. The first row fixes the dtype and V; a later row of
another dtype raises TypeError, of another length ValueError, naming the step. A NaN or +inf
logit raises InvalidRowError; an exception raised by the model propagates unchanged. The GIL
is held throughout (the model is Python).

A stream decodes only with a model that returns bit-identical logits at every step. Keep
fixed: the weights, the library versions (torch, numpy, codelength), the dtype, the number of
threads (torch.set_num_threads: reductions split differently round differently), the batch
shape and padding of the forward pass, the device and CPU kind (another SIMD width changes
sums), and any sampling seed. A model that differs by even one ulp either decodes exactly
(the quantized distribution did not change) or raises a StreamError (checksum or payload):
never other tokens.)doc");
    module.def("decode_with_model", &decode_with_model, py::arg("model"), py::arg("data"), py::kw_only(),
               py::arg("max_symbols") = py::none(),
               R"doc(Decodes a stream written by encode_with_model with the same model in the same state.

Returns the tokens as a 1-D int64 array, only after the stream's checks passed: the header
(kind, dtype, V, precision, fingerprint) before the model is used for decoding, the payload
and the CRC-32C of the tokens after. A model that behaves differently raises a StreamError
subclass, never returns other tokens. max_symbols: refuse a stream of more tokens (default
2**28; StreamLimitError), checked before the model is called. The model is called as by
encode_with_model (see there for what must be kept fixed); its exceptions propagate unchanged.)doc");

    const py::object window_type =
        py::module_::import("collections").attr("namedtuple")("TokenWindow", "begin end scored_begin");
    window_type.attr("__module__") = "codelength";
    window_type.attr("__doc__") =
        "One forward pass over a long document: it predicts the targets [begin, end) from the input "
        "tokens [begin - 1, end - 1) (-1 = a beginning-of-sequence token) and scores the targets "
        "[scored_begin, end); the targets before scored_begin are context, scored by an earlier window.";
    module.add_object("TokenWindow", window_type);
    module.def(
        "rolling_windows",
        [window_type](std::int64_t n_tokens, std::int64_t context, std::int64_t stride) {
            return windows(window_type, n_tokens, context, stride);
        },
        py::arg("n_tokens"), py::arg("context"), py::arg("stride"),
        R"doc(The windows that score every one of n_tokens tokens exactly once with up to `context` tokens.

Returns a list of TokenWindow(begin, end, scored_begin) named tuples. The first window is
[0, min(context, n)) and scores all of it; each next one ends `stride` tokens later (at most n),
begins at max(0, end - context) and scores [previous end, end): every scored target of a
later window sees at least context - stride tokens before it. stride == context gives
disjoint windows (lm-evaluation-harness's loglikelihood_rolling); stride < context the
overlapping windows of the Hugging Face perplexity guide. Raises InvalidArgumentError unless
n_tokens >= 0, context >= 1 and 1 <= stride <= context.

    for w in codelength.rolling_windows(len(ids), context=1024, stride=512):
        inputs = [bos] + ids[:-1]            # the input of target t is token t - 1
        logits = model(inputs[w.begin:w.end])
        keep = slice(w.scored_begin - w.begin, w.end - w.begin)
        bits += codelength.score(logits[keep], ids[w.scored_begin:w.end]).total_bits)doc");
}

} // namespace codelength::python
