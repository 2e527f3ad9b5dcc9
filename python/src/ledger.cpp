// codelength.Ledger: mergeable, serializable totals of a scored corpus (code_length_ledger).
#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include <string>

#include "arrays.hpp"
#include "bindings.hpp"
#include "codelength/codelength.hpp"
#include "json_number.hpp"

namespace codelength::python {

namespace {

py::bytes ledger_bytes(const code_length_ledger& ledger) {
    const std::vector<std::uint8_t> bytes = to_bytes(ledger);
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

code_length_ledger ledger_from(const py::object& data) {
    const borrowed_bytes bytes(data, "data");
    return code_length_ledger_from_bytes(bytes.span());
}

py::dict ledger_dict(const code_length_ledger& l) {
    py::dict d;
    d["tokens"] = l.tokens();
    d["ignored_tokens"] = l.ignored_tokens();
    d["infinite_tokens"] = l.infinite_tokens();
    d["total_bits"] = json_number(l.total_bits());
    d["bits_per_token"] = json_number(l.bits_per_token());
    d["token_perplexity"] = json_number(l.token_perplexity());
    d["mean_entropy_bits"] = json_number(l.mean_entropy_bits());
    d["bytes"] = l.bytes();
    d["bits_per_byte"] = json_number(l.bits_per_byte());
    d["byte_perplexity"] = json_number(l.byte_perplexity());
    d["words"] = l.words();
    d["word_perplexity"] = json_number(l.word_perplexity());
    return d;
}

} // namespace

void bind_ledger(py::module_& module) {
    using ledger = code_length_ledger;
    py::class_<ledger>(module, "Ledger",
                       R"doc(Totals of a scored corpus: surprisal bits with token, byte and word counts.

Ledgers of shards merge with + and += exactly: the sums are exactly rounded (a fixed-point
superaccumulator), so merged totals equal one pass over all rows bit for bit, wherever the
shards were cut and in whatever order they merge. pickle and to_bytes()/from_bytes() carry the
exact state (a versioned, checksummed format).)doc")
        .def(py::init<>())
        .def(
            "add_surprisal_bits",
            [](ledger& l, double surprisal_bits, std::optional<double> entropy_bits) {
                entropy_bits ? l.add_surprisal_bits(surprisal_bits, *entropy_bits)
                             : l.add_surprisal_bits(surprisal_bits);
            },
            py::arg("surprisal_bits"), py::arg("entropy_bits") = py::none(),
            "Adds one scored token of -log2 p bits (inf when p = 0), and optionally its distribution's "
            "entropy.")
        .def("add_bytes", &ledger::add_bytes, py::arg("utf8_bytes"),
             "Adds UTF-8 bytes (the bits_per_byte denominator).")
        .def("add_words", &ledger::add_words, py::arg("words"),
             "Adds words (the word_perplexity denominator).")
        .def(
            "add_document", [](ledger& l, const std::string& text) { l.add_document(text); }, py::arg("text"),
            "Adds a document's UTF-8 bytes and whitespace-separated words.")
        .def_property_readonly("tokens", &ledger::tokens, "Scored tokens.")
        .def_property_readonly("ignored_tokens", &ledger::ignored_tokens, "Rows skipped (target < 0).")
        .def_property_readonly("infinite_tokens", &ledger::infinite_tokens, "Scored tokens of probability 0.")
        .def_property_readonly("total_bits", &ledger::total_bits,
                               "Sum of surprisals in bits (inf with infinite tokens).")
        .def_property_readonly("finite_bits", &ledger::finite_bits, "Sum of the finite surprisals in bits.")
        .def_property_readonly("total_nats", &ledger::total_nats, "total_bits in nats.")
        .def_property_readonly("bits_per_token", &ledger::bits_per_token,
                               "total_bits / tokens; None without tokens.")
        .def_property_readonly("bits_per_byte", &ledger::bits_per_byte,
                               "total_bits / bytes; None without bytes.")
        .def_property_readonly("token_perplexity", &ledger::token_perplexity, "2 ** bits_per_token.")
        .def_property_readonly("byte_perplexity", &ledger::byte_perplexity, "2 ** bits_per_byte.")
        .def_property_readonly("word_perplexity", &ledger::word_perplexity, "2 ** (total_bits / words).")
        .def_property_readonly("mean_entropy_bits", &ledger::mean_entropy_bits,
                               "Mean entropy of the predicted distributions in bits.")
        .def_property_readonly("entropy_tokens", &ledger::entropy_tokens,
                               "Tokens mean_entropy_bits averages over.")
        .def_property_readonly("bytes", &ledger::bytes, "UTF-8 bytes added.")
        .def_property_readonly("words", &ledger::words, "Words added.")
        .def(py::self += py::self)
        .def(py::self + py::self)
        .def(py::self == py::self)
        .def("to_bytes", &ledger_bytes, "The exact state as versioned, checksummed bytes.")
        .def_static(
            "from_bytes", &ledger_from, py::arg("data"),
            "A ledger from to_bytes() output; raises codelength.FormatError for damaged or foreign bytes.")
        .def("to_dict", &ledger_dict,
             "The totals and ratios as a dict (None where undefined or infinite, as JSON prints null).")
        .def(
            "copy", [](const ledger& l) { return l; }, "An independent copy.")
        .def(py::pickle([](const ledger& l) { return ledger_bytes(l); },
                        [](const py::bytes& state) { return ledger_from(state); }))
        .def("__repr__", [](const ledger& l) {
            return "<codelength.Ledger " + std::string(py::repr(ledger_dict(l))) + ">";
        });
}

} // namespace codelength::python
