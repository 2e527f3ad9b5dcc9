// codelength.ArpaModel: an ARPA back-off n-gram model and the text scores of `codelength ngram`.
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "codelength/io/arpa.hpp"
#include "codelength/models/ngram.hpp"
#include "library.hpp"

namespace codelength::python {

namespace {

// The scores of one text and the model's order and vocabulary size: `codelength ngram --json`.
struct ngram_report {
    int order = 0;
    std::int64_t vocabulary_size = 0;
    ngram_text_score score;

    [[nodiscard]] py::dict to_dict() const {
        py::dict d;
        d["order"] = order;
        d["vocabulary_size"] = vocabulary_size;
        d["sentences"] = score.sentences;
        d["words"] = score.words;
        d["oovs"] = score.oovs;
        d["skipped_oovs"] = score.skipped_oovs;
        d["bytes"] = score.bytes;
        d["total_log10_prob"] = json_number(score.total_log10_prob);
        d["oov_log10_prob"] = json_number(score.oov_log10_prob);
        d["perplexity"] = json_number(score.perplexity);
        d["perplexity_excluding_oov"] = json_number(score.perplexity_excluding_oov);
        d["bits_per_byte"] = json_number(score.bits_per_byte);
        return d;
    }
};

ngram_report score_arpa_text(const arpa_model& model, const py::object& text_object) {
    const std::vector<std::uint8_t> bytes = bytes_or_text(text_object, "text");
    ngram_report report;
    report.order = model.order();
    report.vocabulary_size = model.vocabulary_size();
    {
        py::gil_scoped_release unlocked;
        report.score =
            score_text(model, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    }
    return report;
}

} // namespace

void bind_arpa(py::module_& module) {
    py::class_<ngram_report>(module, "NgramScore",
                             "A text scored under an ARPA model: the fields of `codelength ngram --json`.")
        .def_readonly("order", &ngram_report::order, "The model's highest n-gram order.")
        .def_readonly("vocabulary_size", &ngram_report::vocabulary_size, "Words in the model's vocabulary.")
        .def_property_readonly(
            "sentences", [](const ngram_report& r) { return r.score.sentences; }, "Non-empty lines.")
        .def_property_readonly(
            "words", [](const ngram_report& r) { return r.score.words; },
            "Tokens, OOVs included, </s> excluded.")
        .def_property_readonly(
            "oovs", [](const ngram_report& r) { return r.score.oovs; }, "Tokens not in the vocabulary.")
        .def_property_readonly(
            "skipped_oovs", [](const ngram_report& r) { return r.score.skipped_oovs; },
            "OOVs not scored because the model has no <unk>.")
        .def_property_readonly(
            "bytes", [](const ngram_report& r) { return r.score.bytes; }, "UTF-8 bytes of the text.")
        .def_property_readonly(
            "total_log10_prob", [](const ngram_report& r) { return r.score.total_log10_prob; },
            "Sum of log10 p over every scored token (</s> and OOVs as <unk> included).")
        .def_property_readonly(
            "oov_log10_prob", [](const ngram_report& r) { return r.score.oov_log10_prob; },
            "The part of total_log10_prob from OOVs scored as <unk>.")
        .def_property_readonly(
            "perplexity", [](const ngram_report& r) { return r.score.perplexity; },
            "10 ** (-total_log10_prob / (words + sentences)); inf when an OOV has no <unk>.")
        .def_property_readonly(
            "perplexity_excluding_oov",
            [](const ngram_report& r) { return r.score.perplexity_excluding_oov; },
            "Perplexity over the in-vocabulary tokens.")
        .def_property_readonly(
            "bits_per_byte", [](const ngram_report& r) { return r.score.bits_per_byte; },
            "-total_log10_prob * log2(10) / bytes; inf when an OOV has no <unk>.")
        .def("to_dict", &ngram_report::to_dict,
             "The object `codelength ngram --json` prints (without --timing; inf as None).")
        .def("__repr__", [](const ngram_report& r) {
            return "<codelength.NgramScore " + std::string(py::repr(r.to_dict())) + ">";
        });

    py::class_<arpa_model, std::shared_ptr<arpa_model>>(
        module, "ArpaModel",
        "An ARPA back-off n-gram model (SRILM, KenLM, IRSTLM), as `codelength ngram --arpa` reads it.")
        .def(py::init([](const std::filesystem::path& path) {
                 py::gil_scoped_release unlocked;
                 return std::make_shared<arpa_model>(arpa_model::from_file(path));
             }),
             py::arg("path"),
             "Reads the ARPA file at path; IoError when it cannot be read, FormatError (naming the line) "
             "when it is "
             "malformed.")
        .def_static(
            "from_text",
            [](const py::object& text, const std::string& source_name) {
                const std::vector<std::uint8_t> bytes = bytes_or_text(text, "text");
                py::gil_scoped_release unlocked;
                return std::make_shared<arpa_model>(
                    parse_arpa(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                               source_name));
            },
            py::arg("text"), py::arg("source_name") = "<text>",
            "Parses the text of an ARPA file (str or bytes); source_name prefixes error messages.")
        .def_property_readonly("order", &arpa_model::order, "The highest n-gram order.")
        .def_property_readonly("vocabulary_size", &arpa_model::vocabulary_size,
                               "Words in the vocabulary (the 1-grams, <s> and </s> included).")
        .def("score_text", &score_arpa_text, py::arg("text"),
             R"doc(Scores a text (str or UTF-8 bytes; one sentence per line, whitespace-separated tokens)
as `codelength ngram` does, in the SRILM/KenLM convention: each sentence is <s> w1 .. wn </s>,
</s> scored and counted; OOVs scored as <unk> when the model has it. The GIL is released.)doc")
        .def("__repr__", [](const arpa_model& m) {
            return "<codelength.ArpaModel order=" + std::to_string(m.order()) +
                   " vocabulary_size=" + std::to_string(m.vocabulary_size()) + ">";
        });
}

} // namespace codelength::python
