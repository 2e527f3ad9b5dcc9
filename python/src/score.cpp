// codelength.score: code lengths of targets under logits held by NumPy or torch, read in place.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "bindings.hpp"
#include "codelength/codelength.hpp"
#include "json_number.hpp"

namespace codelength::python {

namespace {

// What codelength.score returns: the fields of `codelength score --json`, the ledger, and the
// per-token arrays when asked.
struct score_report {
    code_length_ledger ledger;
    std::int64_t vocabulary_size = 0;
    std::string dtype;
    double k_percent = 20.0;
    std::optional<double> min_k_percent;
    std::optional<double> min_k_plus_plus;
    bool has_bytes = false;
    // Per-token arrays shaped like the targets, NaN where a target was ignored (per_token=True).
    py::object surprisal_bits = py::none();
    py::object entropy_bits = py::none();
    py::object log_probability_nats = py::none();
    py::object min_k_plus_plus_z = py::none();

    // The object `codelength score --json` prints, as a dict (None for its nulls: absent or
    // infinite values, e.g. total_bits when a target had probability 0).
    [[nodiscard]] py::dict to_dict() const {
        py::dict d;
        d["tokens"] = ledger.tokens();
        d["ignored_tokens"] = ledger.ignored_tokens();
        d["infinite_tokens"] = ledger.infinite_tokens();
        d["vocabulary_size"] = vocabulary_size;
        d["dtype"] = dtype;
        d["total_bits"] = json_number(ledger.total_bits());
        d["bits_per_token"] = json_number(ledger.bits_per_token());
        d["token_perplexity"] = json_number(ledger.token_perplexity());
        d["mean_entropy_bits"] = json_number(ledger.mean_entropy_bits());
        d["k_percent"] = k_percent;
        d["min_k_percent"] = json_number(min_k_percent);
        d["min_k_plus_plus"] = json_number(min_k_plus_plus);
        if (has_bytes) {
            d["bytes"] = ledger.bytes();
            d["bits_per_byte"] = json_number(ledger.bits_per_byte());
        }
        return d;
    }
};

// Scores every block of the logits and joins the results in row order (the exact ledger makes
// the joined totals equal to one pass over all rows).
template <class Element>
score_result score_blocks(const borrowed_array& logits, std::span<const std::int64_t> targets,
                          const score_options& options) {
    score_result joined;
    for (const logits_block<Element>& block : logits_blocks<Element>(logits)) {
        score_result part = score_logits(block.view,
                                         targets.subspan(static_cast<std::size_t>(block.first_row),
                                                         static_cast<std::size_t>(block.view.rows)),
                                         options);
        joined.ledger += part.ledger;
        joined.has_per_token = part.has_per_token;
        for (const std::int64_t row : part.rows) {
            joined.rows.push_back(block.first_row + row);
        }
        const auto append = [](std::vector<double>& to, const std::vector<double>& from) {
            to.insert(to.end(), from.begin(), from.end());
        };
        append(joined.surprisal_bits, part.surprisal_bits);
        append(joined.log_probabilities_nats, part.log_probabilities_nats);
        append(joined.z_scores, part.z_scores);
        append(joined.entropies_bits, part.entropies_bits);
    }
    return joined;
}

// A float64 array shaped like the targets holding values[i] at rows[i] and NaN elsewhere.
py::array_t<double> per_target_array(const std::vector<std::int64_t>& shape,
                                     const std::vector<std::int64_t>& rows,
                                     const std::vector<double>& values) {
    py::array_t<double> array(std::vector<py::ssize_t>(shape.begin(), shape.end()));
    double* out = array.mutable_data();
    std::fill(out, out + array.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        out[rows[i]] = values[i];
    }
    return array;
}

score_report score(const py::object& logits_object, const py::object& targets_object, bool logprobs,
                   const py::object& token_bytes_object, double k_percent, unsigned threads, bool per_token) {
    if (!(k_percent > 0.0 && k_percent <= 100.0)) {
        throw py::value_error("k: " + std::to_string(k_percent) + " is outside (0, 100]");
    }
    const borrowed_array logits = borrow_logits(logits_object, "logits");
    const std::vector<std::int64_t> shape = targets_shape(logits);
    const std::vector<std::int64_t> targets = targets_in_vocabulary(logits, targets_object, true);
    std::optional<std::vector<std::int64_t>> token_bytes;
    if (!token_bytes_object.is_none()) {
        token_bytes = integers_in_c_order(token_bytes_object, "token_bytes", shape);
        check_not_negative(*token_bytes, shape, "token_bytes", "(byte counts cannot be negative)");
    }
    score_options options;
    options.threads = threads;
    options.keep_per_token = true; // Min-K% and Min-K%++ need every token's values
    if (logprobs) {
        options.log_probability_tolerance_nats = has_sixteen_bit_elements(logits) ? 0.05 : 1e-3;
    }

    score_report report;
    report.vocabulary_size = logits.shape.back();
    report.dtype = logits.dtype_name;
    report.k_percent = k_percent;
    score_result result;
    {
        py::gil_scoped_release unlocked;
        result = visit_element_type(
            logits, [&](auto element) { return score_blocks<decltype(element)>(logits, targets, options); });
        if (token_bytes) {
            for (std::size_t t = 0; t < targets.size(); ++t) {
                if (targets[t] >= 0) {
                    result.ledger.add_bytes((*token_bytes)[t]);
                }
            }
        }
        if (result.ledger.tokens() > 0) {
            report.min_k_percent = min_k_percent(result, k_percent);
            report.min_k_plus_plus = min_k_plus_plus(result, k_percent);
        }
    }
    report.ledger = result.ledger;
    report.has_bytes = token_bytes.has_value();
    if (per_token) {
        report.surprisal_bits = per_target_array(shape, result.rows, result.surprisal_bits);
        report.entropy_bits = per_target_array(shape, result.rows, result.entropies_bits);
        report.log_probability_nats = per_target_array(shape, result.rows, result.log_probabilities_nats);
        report.min_k_plus_plus_z = per_target_array(shape, result.rows, result.z_scores);
    }
    return report;
}

// What the package reads of an array: its address, dtype, shape and strides in elements.
py::dict inspect_array(const py::object& object) {
    const borrowed_array array = borrow_array(object, "array");
    py::dict d;
    d["data_address"] = reinterpret_cast<std::uintptr_t>(array.data);
    d["dtype"] = array.dtype_name;
    d["shape"] = py::tuple(py::cast(array.shape));
    d["strides_elements"] = py::tuple(py::cast(array.strides));
    return d;
}

} // namespace

void bind_score(py::module_& module) {
    py::class_<score_report>(module, "ScoreResult",
                             "Code lengths of a scored sequence: the fields of `codelength score --json`.")
        .def_property_readonly(
            "tokens", [](const score_report& r) { return r.ledger.tokens(); }, "Scored tokens.")
        .def_property_readonly(
            "ignored_tokens", [](const score_report& r) { return r.ledger.ignored_tokens(); },
            "Rows skipped because their target was negative (ignore_index).")
        .def_property_readonly(
            "infinite_tokens", [](const score_report& r) { return r.ledger.infinite_tokens(); },
            "Scored tokens of probability 0 (they make total_bits infinite).")
        .def_readonly("vocabulary_size", &score_report::vocabulary_size, "V, the logits' last dimension.")
        .def_readonly("dtype", &score_report::dtype, "The logits' element type.")
        .def_property_readonly(
            "total_bits", [](const score_report& r) { return r.ledger.total_bits(); },
            "Sum of -log2 p(target) over the scored tokens, in bits.")
        .def_property_readonly(
            "bits_per_token", [](const score_report& r) { return r.ledger.bits_per_token(); },
            "total_bits / tokens; None without tokens.")
        .def_property_readonly(
            "token_perplexity", [](const score_report& r) { return r.ledger.token_perplexity(); },
            "2 ** bits_per_token; None without tokens.")
        .def_property_readonly(
            "perplexity", [](const score_report& r) { return r.ledger.token_perplexity(); },
            "The same as token_perplexity.")
        .def_property_readonly(
            "mean_entropy_bits", [](const score_report& r) { return r.ledger.mean_entropy_bits(); },
            "Mean entropy of the predicted distributions in bits; None without tokens.")
        .def_readonly("k_percent", &score_report::k_percent, "The k of Min-K% and Min-K%++, in percent.")
        .def_readonly(
            "min_k_percent", &score_report::min_k_percent,
            "Mean ln p of the k% least likely tokens, in nats (Shi et al. 2024); None without tokens.")
        .def_readonly(
            "min_k_plus_plus", &score_report::min_k_plus_plus,
            "Mean z-score of the k% lowest-scoring tokens (Zhang et al. 2025); None without tokens.")
        .def_property_readonly(
            "bytes",
            [](const score_report& r) {
                return r.has_bytes ? std::optional(r.ledger.bytes()) : std::nullopt;
            },
            "UTF-8 bytes of the scored tokens (token_bytes given); else None.")
        .def_property_readonly(
            "bits_per_byte",
            [](const score_report& r) { return r.has_bytes ? r.ledger.bits_per_byte() : std::nullopt; },
            "total_bits / bytes (token_bytes given, bytes > 0); else None.")
        .def_readonly("ledger", &score_report::ledger, "The mergeable totals (codelength.Ledger).")
        .def_readonly(
            "surprisal_bits", &score_report::surprisal_bits,
            "Per target -log2 p in bits, shaped like the targets, NaN where ignored (per_token=True).")
        .def_readonly("entropy_bits", &score_report::entropy_bits,
                      "Per target the entropy of its predicted distribution in bits (per_token=True).")
        .def_readonly("log_probability_nats", &score_report::log_probability_nats,
                      "Per target ln p in nats, the Min-K% input (per_token=True).")
        .def_readonly("min_k_plus_plus_z", &score_report::min_k_plus_plus_z,
                      "Per target the Min-K%++ z-score (per_token=True).")
        .def("to_dict", &score_report::to_dict,
             "The object `codelength score --json` prints for the same inputs, as a dict.")
        .def("__repr__", [](const score_report& r) {
            return "<codelength.ScoreResult " + std::string(py::repr(r.to_dict())) + ">";
        });

    module.def("score", &score, py::arg("logits"), py::arg("targets"), py::kw_only(),
               py::arg("logprobs") = false, py::arg("token_bytes") = py::none(), py::arg("k") = 20.0,
               py::arg("threads") = 1u, py::arg("per_token") = false,
               R"doc(Scores targets[t] under row t of the logits, reading the array in place.

logits: NumPy array or CPU torch tensor of shape (T, V) or (B, T, V), any strides, dtype
float32, float64, float16 or bfloat16 (torch, through DLPack). targets: integers of shape (T,)
or (B, T); a negative target (ignore_index = -100) skips its row. logprobs: the rows are
log-probabilities (checked to sum to 1). token_bytes: UTF-8 bytes per target, adds
bits_per_byte. k: percent for Min-K% and Min-K%++. threads: row-kernel threads (0 = all
cores). per_token: also return per-target arrays. The GIL is released while the kernel runs.)doc");
    module.def("inspect_array", &inspect_array, py::arg("array"),
               "What codelength reads of an array or tensor, without copying it: data_address, dtype, shape "
               "and strides_elements.");
}

} // namespace codelength::python
