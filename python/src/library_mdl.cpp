// codelength.mdl: the description-length quantities of `codelength mdl` (compute_mdl).
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "codelength/baselines/weights_cost.hpp"
#include "codelength/metrics/mdl_report.hpp"
#include "codelength/metrics/mdl_weights.hpp"
#include "library.hpp"

namespace codelength::python {

namespace {

// What codelength.mdl returns: the quantities in report order.
struct mdl_result {
    std::vector<mdl_value> values;

    [[nodiscard]] static py::object value_object(const mdl_value& v) {
        switch (v.type) {
        case mdl_value::kind::number:
            return json_number(v.number);
        case mdl_value::kind::integer:
            return py::int_(v.integer);
        case mdl_value::kind::text:
            return py::str(v.text);
        case mdl_value::kind::integers:
            return py::cast(v.integers);
        }
        return py::none();
    }
    [[nodiscard]] py::dict to_dict() const {
        py::dict d;
        for (const mdl_value& v : values) {
            d[py::str(v.key)] = value_object(v);
        }
        return d;
    }
    [[nodiscard]] py::object get(const std::string& key) const {
        for (const mdl_value& v : values) {
            if (v.key == key) {
                return value_object(v);
            }
        }
        throw py::key_error(key);
    }
};

using parameter_width = std::variant<double, std::string>;

mdl_result mdl(std::optional<std::string> unit, std::optional<std::int64_t> vocabulary_size,
               std::optional<std::int64_t> items, std::optional<std::int64_t> first_block_items,
               const std::vector<std::pair<std::int64_t, double>>& blocks,
               const std::vector<std::pair<std::int64_t, double>>& steps,
               std::optional<double> final_model_code_length, std::optional<std::int64_t> parameters,
               std::optional<parameter_width> bits_per_parameter_value,
               std::optional<std::int64_t> weights_bytes, std::optional<std::int64_t> decompressor_bytes,
               std::optional<std::filesystem::path> weights, std::optional<double> reference_bits_per_item,
               std::optional<double> raw_bytes, std::optional<double> compressed_bytes) {
    mdl_inputs in;
    if (unit) {
        if (*unit != "bits" && *unit != "nats") {
            throw py::value_error("unit: must be 'bits' or 'nats', got '" + *unit + "'");
        }
        in.unit = *unit == "bits" ? information_unit::bits : information_unit::nats;
    }
    in.vocabulary_size = vocabulary_size;
    in.items = items;
    in.first_block_items = first_block_items;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        if (blocks[i].first < 1) {
            throw py::value_error("blocks[" + std::to_string(i) + "]: items must be >= 1, got " +
                                  std::to_string(blocks[i].first));
        }
        in.blocks.push_back({blocks[i].first, blocks[i].second});
    }
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].first < 1) {
            throw py::value_error("steps[" + std::to_string(i) + "]: tokens must be >= 1, got " +
                                  std::to_string(steps[i].first));
        }
        in.steps.push_back({steps[i].first, steps[i].second});
    }
    in.final_model_code_length = final_model_code_length;
    in.parameters = parameters;
    if (bits_per_parameter_value) {
        if (const auto* name = std::get_if<std::string>(&*bits_per_parameter_value)) {
            const std::optional<parameter_format> format = parameter_format_named(*name);
            if (!format) {
                throw py::value_error(
                    "bits_per_parameter: must be a number or one of 'fp32', 'bf16', 'fp16', "
                    "'int8', 'int4', got '" +
                    *name + "'");
            }
            in.bits_per_parameter = bits_per_parameter(*format);
        } else {
            in.bits_per_parameter = std::get<double>(*bits_per_parameter_value);
        }
    }
    in.weights_bytes = weights_bytes;
    in.decompressor_bytes = decompressor_bytes;
    if (weights) {
        py::gil_scoped_release unlocked;
        in.weights_file_bytes_codelength = weights_file_cost_bytes_codelength(*weights);
        in.weights_file_bytes_zstd = weights_file_cost_bytes_zstd(*weights);
    }
    in.reference_bits_per_item = reference_bits_per_item;
    in.raw_bytes = raw_bytes;
    in.compressed_bytes = compressed_bytes;
    mdl_result result;
    result.values = compute_mdl(in, "mdl", [](std::string_view key) { return std::string(key) + ": "; });
    return result;
}

} // namespace

void bind_mdl(py::module_& module) {
    py::class_<mdl_result>(
        module, "MdlResult",
        "The description-length quantities of `codelength mdl`, in its order; to_dict() holds "
        "its --json keys.")
        .def("to_dict", &mdl_result::to_dict,
             "The object `codelength mdl --json` prints for the same inputs.")
        .def("__getitem__", &mdl_result::get, py::arg("key"), "One quantity by its --json key.")
        .def("__contains__",
             [](const mdl_result& r, const std::string& key) {
                 for (const mdl_value& v : r.values) {
                     if (v.key == key) {
                         return true;
                     }
                 }
                 return false;
             })
        .def("keys", [](const mdl_result& r) { return r.to_dict().attr("keys")(); })
        .def("__repr__", [](const mdl_result& r) {
            return "<codelength.MdlResult " + std::string(py::repr(r.to_dict())) + ">";
        });

    module.def("mdl", &mdl, py::kw_only(), py::arg("unit") = py::none(),
               py::arg("vocabulary_size") = py::none(), py::arg("items") = py::none(),
               py::arg("first_block_items") = py::none(),
               py::arg("blocks") = std::vector<std::pair<std::int64_t, double>>{},
               py::arg("steps") = std::vector<std::pair<std::int64_t, double>>{},
               py::arg("final_model_code_length") = py::none(), py::arg("parameters") = py::none(),
               py::arg("bits_per_parameter") = py::none(), py::arg("weights_bytes") = py::none(),
               py::arg("decompressor_bytes") = py::none(), py::arg("weights") = py::none(),
               py::arg("reference_bits_per_item") = py::none(), py::arg("raw_bytes") = py::none(),
               py::arg("compressed_bytes") = py::none(),
               R"doc(Every MDL quantity the inputs allow, as `codelength mdl --json` computes them.

The keywords are the keys of `codelength mdl`'s input file: unit ('bits' or 'nats': the unit of
every code length given), vocabulary_size, items, first_block_items and blocks (a list of
(items, code_length) pairs: the online code), steps (a list of (tokens, mean_loss) pairs: a
training log), final_model_code_length, a model cost (parameters with bits_per_parameter, a
number or 'fp32'/'bf16'/'fp16'/'int8'/'int4'; weights_bytes; decompressor_bytes; or weights, the
path of a weights file coded by the library's coder and by zstd -19), reference_bits_per_item,
raw_bytes and compressed_bytes. Outputs in bits: online_bits, prequential_bits,
information_in_weights_bits, model_bits, two_part_bits, break_even_items, compression rates and
block_ends (see `codelength mdl --help`).)doc");
}

} // namespace codelength::python
