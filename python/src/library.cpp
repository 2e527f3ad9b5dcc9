// bind_library and the helpers its parts share (library.hpp).
#include "library.hpp"

#include <cmath>

#include "bindings.hpp"
#include "codelength/core/half_types.hpp"

namespace codelength::python {

namespace {

template <class Element>
void append_widened(const borrowed_array& array, std::vector<double>& out) {
    const auto* data = reinterpret_cast<const Element*>(array.data);
    for (std::int64_t i = 0; i < array.shape[0]; ++i) {
        out.push_back(static_cast<double>(widen(data[i * array.strides[0]])));
    }
}

} // namespace

std::vector<double> doubles_of_vector(py::handle object, std::string_view argument_name) {
    const borrowed_array array = borrow_array(object, argument_name);
    const element_kind kind = array.kind;
    if (kind != element_kind::float32 && kind != element_kind::float64 && kind != element_kind::float16 &&
        kind != element_kind::bfloat16) {
        throw py::type_error(array.name + ": dtype " + array.dtype_name + " is not a floating-point dtype");
    }
    if (array.ndim() != 1) {
        throw py::value_error(array.name + ": shape " + array.shape_string() + " is not 1-D");
    }
    std::vector<double> values;
    values.reserve(static_cast<std::size_t>(array.shape[0]));
    visit_element_type(array, [&](auto element) { append_widened<decltype(element)>(array, values); });
    return values;
}

std::vector<std::uint8_t> bytes_or_text(py::handle object, std::string_view argument_name) {
    if (py::isinstance<py::str>(object)) {
        const std::string text = object.cast<std::string>();
        return {text.begin(), text.end()};
    }
    const borrowed_bytes bytes(object, argument_name);
    return {bytes.span().begin(), bytes.span().end()};
}

void check_range(std::string_view name, double value, double minimum, double maximum) {
    if (!(value >= minimum && value <= maximum)) {
        throw py::value_error(std::string(name) + ": " + std::string(py::repr(py::float_(value))) +
                              " is outside [" + std::string(py::repr(py::float_(minimum))) + ", " +
                              std::string(py::repr(py::float_(maximum))) + "]");
    }
}

void check_range(std::string_view name, std::int64_t value, std::int64_t minimum, std::int64_t maximum) {
    if (value < minimum || value > maximum) {
        throw py::value_error(std::string(name) + ": " + std::to_string(value) + " is outside [" +
                              std::to_string(minimum) + ", " + std::to_string(maximum) + "]");
    }
}

void bind_library(py::module_& module) {
    bind_compression(module);
    bind_memorization(module);
    bind_mdl(module);
    bind_arpa(module);
}

} // namespace codelength::python
