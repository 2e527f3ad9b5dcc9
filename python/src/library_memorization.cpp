// codelength.memorization (the records and summary of `codelength memorization`) and the
// membership-inference scores min_k_percent and min_k_plus_plus on 1-D arrays.
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "codelength/baselines/corpus_memorization.hpp"
#include "codelength/metrics/memorization_summary.hpp"
#include "codelength/metrics/min_k.hpp"
#include "library.hpp"

namespace codelength::python {

namespace {

// The settings of one memorization run (the options of `codelength memorization`).
struct memorization_settings {
    memorization_options options;
    bootstrap_options bootstrap;
    unsigned threads = 1;
};

// What codelength.memorization returns: the object `codelength memorization --json` prints.
struct memorization_report {
    memorization_settings settings;
    std::int64_t vocabulary_size = 0;
    py::list documents;
    py::dict summary;

    [[nodiscard]] py::dict to_dict() const {
        const memorization_options& o = settings.options;
        const auto optional_integer = [](std::optional<std::int64_t> v) {
            return v ? py::object(py::int_(*v)) : py::object(py::none());
        };
        py::dict d;
        d["k_percent"] = json_number(o.k_percent);
        d["prefix_tokens"] = optional_integer(o.prefix_tokens);
        d["prompt_tokens"] = optional_integer(o.prompt_tokens);
        d["prompt_bits"] = json_number(o.prompt_bits);
        d["span_max_bits_per_byte"] = json_number(o.span_max_bits_per_byte);
        d["span_min_bytes"] = o.span_min_bytes;
        d["span_min_generic_ratio"] = json_number(o.span_min_generic_ratio);
        d["bootstrap_resamples"] = settings.bootstrap.resamples;
        d["bootstrap_confidence"] = json_number(settings.bootstrap.confidence);
        d["bootstrap_seed"] = settings.bootstrap.seed;
        d["vocabulary_size"] = vocabulary_size;
        d["summary"] = py::module_::import("copy").attr("deepcopy")(summary);
        d["documents"] = py::module_::import("copy").attr("deepcopy")(documents);
        return d;
    }
};

// One record as `--json` prints it: scalar fields (integers as int, inf and NaN as None),
// greedy_extractable as a bool, then the spans.
py::dict record_dict(const memorization_record& r) {
    py::dict d;
    for (const memorization_field& field : memorization_record_fields(r)) {
        const std::string key = field.name;
        if (key == "memorized_spans") {
            continue; // the list below
        }
        if (key == "greedy_extractable") {
            d[field.name] = r.metrics.greedy_extractable
                                ? py::object(py::bool_(*r.metrics.greedy_extractable))
                                : py::object(py::none());
        } else if (field.integral && field.value) {
            d[field.name] = static_cast<std::int64_t>(*field.value);
        } else {
            d[field.name] = json_number(field.value);
        }
    }
    py::list spans;
    for (const memorized_span& s : r.metrics.memorized_spans) {
        py::dict span;
        span["byte_begin"] = s.byte_begin;
        span["byte_end"] = s.byte_end;
        span["token_begin"] = s.token_begin;
        span["token_end"] = s.token_end;
        span["model_bits"] = json_number(s.model_bits);
        span["model_bits_per_byte"] = json_number(s.model_bits_per_byte);
        span["zlib_bits"] = json_number(s.generic_bits);
        spans.append(span);
    }
    d["memorized_spans"] = spans;
    return d;
}

// The teacher-forced values of every row of `logits` (the GIL released while the kernel runs).
teacher_forced_tokens evaluate_logits(const borrowed_array& logits, const std::vector<std::int64_t>& targets,
                                      unsigned threads) {
    teacher_forced_tokens out;
    out.resize(targets.size());
    py::gil_scoped_release unlocked;
    visit_element_type(logits, [&](auto element) {
        using element_type = decltype(element);
        for (const logits_block<element_type>& block : logits_blocks<element_type>(logits)) {
            evaluate_teacher_forced(
                block.view,
                std::span<const std::int64_t>(targets).subspan(static_cast<std::size_t>(block.first_row),
                                                               static_cast<std::size_t>(block.view.rows)),
                out, block.first_row, threads);
        }
    });
    return out;
}

memorization_report
memorization(const py::object& logits_object, const py::object& targets_object,
             const py::object& doc_offsets_object, const py::object& text_object,
             const py::object& token_bytes_object, const py::object& reference_logits_object,
             std::optional<std::int64_t> prefix_tokens, double k, std::optional<std::int64_t> prompt_tokens,
             double span_bits_per_byte, std::int64_t span_min_bytes, double span_generic_ratio,
             std::int64_t resamples, double confidence, std::int64_t seed, std::int64_t threads) {
    memorization_settings settings;
    check_range("k", k, 0.0, 100.0);
    settings.options.k_percent = k;
    if (prefix_tokens) {
        check_range("prefix_tokens", *prefix_tokens, 0, INT64_MAX);
        settings.options.prefix_tokens = prefix_tokens;
    }
    if (prompt_tokens) {
        check_range("prompt_tokens", *prompt_tokens, 1, INT64_MAX);
        settings.options.prompt_tokens = prompt_tokens;
    }
    check_range("span_bits_per_byte", span_bits_per_byte, 0.0, 1e9);
    settings.options.span_max_bits_per_byte = span_bits_per_byte;
    check_range("span_min_bytes", span_min_bytes, 1, INT64_MAX);
    settings.options.span_min_bytes = span_min_bytes;
    check_range("span_generic_ratio", span_generic_ratio, 0.0, 1e9);
    settings.options.span_min_generic_ratio = span_generic_ratio;
    check_range("resamples", resamples, 1, 100000000);
    settings.bootstrap.resamples = resamples;
    check_range("confidence", confidence, 0.0, 0.999999);
    settings.bootstrap.confidence = confidence;
    check_range("seed", seed, 0, INT64_MAX);
    settings.bootstrap.seed = static_cast<std::uint64_t>(seed);
    check_range("threads", threads, 0, 1024);
    settings.threads = static_cast<unsigned>(threads);

    const borrowed_array logits = borrow_logits(logits_object, "logits");
    const std::vector<std::int64_t> shape = targets_shape(logits);
    const std::vector<std::int64_t> targets = integers_in_c_order(targets_object, "targets", shape);
    check_not_negative(targets, shape, "targets", "(every target of a document is scored; no ignore_index)");
    const std::vector<std::int64_t> token_bytes =
        integers_in_c_order(token_bytes_object, "token_bytes", shape);
    check_not_negative(token_bytes, shape, "token_bytes", "(byte counts cannot be negative)");
    const borrowed_array offsets_array = borrow_array(doc_offsets_object, "doc_offsets");
    if (offsets_array.ndim() != 1) {
        throw py::value_error("doc_offsets: shape " + offsets_array.shape_string() + " is not 1-D");
    }
    const std::vector<std::int64_t> offsets =
        integers_in_c_order(doc_offsets_object, "doc_offsets", offsets_array.shape);
    const std::vector<std::int64_t> bounds =
        document_boundaries(offsets, static_cast<std::int64_t>(targets.size()), "doc_offsets");
    const std::vector<std::uint8_t> text = bytes_or_text(text_object, "text");
    std::optional<borrowed_array> reference_logits;
    if (!reference_logits_object.is_none()) {
        reference_logits = borrow_logits(reference_logits_object, "reference_logits");
        if (targets_shape(*reference_logits) != shape) {
            throw py::value_error("reference_logits: shape " + reference_logits->shape_string() +
                                  " does not fit the targets of the logits " + logits.shape_string());
        }
    }
    if (settings.options.prompt_tokens) {
        settings.options.prompt_bits =
            uniform_prompt_bits(*settings.options.prompt_tokens, logits.shape.back());
    }

    const teacher_forced_tokens model = evaluate_logits(logits, targets, settings.threads);
    std::vector<double> reference_bits;
    if (reference_logits) {
        reference_bits = evaluate_logits(*reference_logits, targets, settings.threads).surprisal_bits;
    }
    std::vector<memorization_record> records;
    std::vector<corpus_metric_summary> summary;
    {
        py::gil_scoped_release unlocked;
        records = measure_corpus_memorization(model, reference_bits, token_bytes, bounds, text,
                                              settings.options, {}, {}, settings.threads);
        std::vector<document_memorization> all;
        all.reserve(records.size());
        for (const memorization_record& r : records) {
            all.push_back(r.metrics);
        }
        summary = summarize_memorization(all, settings.bootstrap);
    }

    memorization_report report;
    report.settings = settings;
    report.vocabulary_size = logits.shape.back();
    for (const memorization_record& r : records) {
        report.documents.append(record_dict(r));
    }
    for (const corpus_metric_summary& s : summary) {
        if (s.interval) {
            py::dict interval;
            interval["count"] = s.interval->count;
            interval["mean"] = json_number(s.interval->mean);
            interval["lower"] = json_number(s.interval->lower);
            interval["upper"] = json_number(s.interval->upper);
            report.summary[py::str(s.metric)] = interval;
        } else {
            report.summary[py::str(s.metric)] = py::none();
        }
    }
    return report;
}

double min_k_percent_of(const py::object& values, double k) {
    const std::vector<double> log_probabilities_nats = doubles_of_vector(values, "log_probabilities_nats");
    check_range("k", k, 0.0, 100.0);
    return min_k_percent(log_probabilities_nats, k);
}

double min_k_plus_plus_of(const py::object& values, double k) {
    const std::vector<double> z_scores = doubles_of_vector(values, "z_scores");
    check_range("k", k, 0.0, 100.0);
    return min_k_plus_plus(z_scores, k);
}

} // namespace

void bind_memorization(py::module_& module) {
    py::class_<memorization_report>(module, "MemorizationResult",
                                    "Per-document memorization records and their corpus summary: the object "
                                    "`codelength memorization --json` prints.")
        .def_readonly("documents", &memorization_report::documents,
                      "One dict per document (the CLI's record keys; memorized_spans is a list of dicts).")
        .def_readonly(
            "summary", &memorization_report::summary,
            "Per metric a dict (count, mean, lower, upper: bootstrap interval), None without values.")
        .def_readonly("vocabulary_size", &memorization_report::vocabulary_size,
                      "V, the logits' last dimension.")
        .def_property_readonly(
            "k_percent", [](const memorization_report& r) { return r.settings.options.k_percent; },
            "The k of Min-K% and Min-K%++, in percent.")
        .def_property_readonly(
            "prompt_bits", [](const memorization_report& r) { return r.settings.options.prompt_bits; },
            "prompt_tokens * log2(V): the adversarial prompt's code length in bits; None without "
            "prompt_tokens.")
        .def("to_dict", &memorization_report::to_dict,
             "The object `codelength memorization --json` prints for the same inputs (a deep copy).")
        .def("__repr__", [](const memorization_report& r) {
            return "<codelength.MemorizationResult documents=" + std::to_string(py::len(r.documents)) + ">";
        });

    module.def("memorization", &memorization, py::arg("logits"), py::arg("targets"), py::arg("doc_offsets"),
               py::arg("text"), py::arg("token_bytes"), py::kw_only(),
               py::arg("reference_logits") = py::none(), py::arg("prefix_tokens") = py::none(),
               py::arg("k") = 20.0, py::arg("prompt_tokens") = py::none(),
               py::arg("span_bits_per_byte") = 0.5, py::arg("span_min_bytes") = 32,
               py::arg("span_generic_ratio") = 2.0, py::arg("resamples") = 1000, py::arg("confidence") = 0.95,
               py::arg("seed") = 20261128, py::arg("threads") = 1,
               R"doc(Per-document memorization evidence, as `codelength memorization --json`.

logits: teacher-forced logits (T, V) or (B, T, V) (NumPy or CPU torch, read in place); row t
predicts targets[t] (every target >= 0). doc_offsets: 1-D integers, where each document starts
(increasing), optionally followed by the end. text: the documents' bytes (bytes-like or str as
UTF-8), concatenated. token_bytes: UTF-8 bytes of each target (shape of the targets); document
d's text is the next sum(token_bytes) bytes. reference_logits: a reference model's logits for the
same targets (adds reference_bits and model_over_reference_bits). prefix_tokens: greedy
extractability with this prefix. k: percent for Min-K% and Min-K%++. prompt_tokens: adversarial
compression ratio (prompt bits = prompt_tokens * log2 V). span_bits_per_byte, span_min_bytes,
span_generic_ratio: memorized spans. resamples, confidence, seed: the bootstrap. threads: threads
for the row kernel and the documents' compressors (0 = all cores).)doc");
    module.def(
        "min_k_percent", &min_k_percent_of, py::arg("log_probabilities_nats"), py::arg("k") = 20.0,
        "Min-K% prob (Shi et al. 2023): the mean of the lowest k% token log-probabilities (ln p, nats) "
        "of a 1-D array, over max(1, floor(n * k / 100)) tokens; -inf if one of them is -inf. "
        "InvalidArgumentError for an empty array, NaN or +inf.");
    module.def("min_k_plus_plus", &min_k_plus_plus_of, py::arg("z_scores"), py::arg("k") = 20.0,
               "Min-K%++ (Zhang et al. 2024): the mean of the lowest k% per-token z-scores of a 1-D array "
               "(ScoreResult.min_k_plus_plus_z), counted as in min_k_percent. InvalidArgumentError for an "
               "empty array, NaN or +inf.");
}

} // namespace codelength::python
