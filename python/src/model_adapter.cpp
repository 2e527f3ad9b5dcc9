// A Python model in the coding loop (see model_adapter.hpp).
#include "model_adapter.hpp"

#include <limits>

namespace codelength::python {

namespace {

std::string type_name(py::handle object) {
    return py::str(py::type::handle_of(object).attr("__name__"));
}

// The model as an object with next_logits() and update(token): a plain callable taking the
// prefix is wrapped by codelength._model_loop.PrefixModel.
py::object as_model_object(py::object model) {
    if (!py::hasattr(model, "next_logits") && PyCallable_Check(model.ptr()) != 0) {
        return py::module_::import("codelength._model_loop").attr("PrefixModel")(model);
    }
    for (const char* method : {"next_logits", "update"}) {
        if (!py::hasattr(model, method)) {
            throw py::type_error(
                "model: expected an object with vocabulary_size, next_logits() and update(token), "
                "or a callable taking the prefix; " +
                type_name(model) + " has no " + method);
        }
    }
    return model;
}

// The model's vocabulary_size (an int attribute or a method returning one), >= 1.
std::int64_t read_vocabulary_size(const py::object& model) {
    if (!py::hasattr(model, "vocabulary_size")) {
        throw py::type_error("model: " + type_name(model) + " has no vocabulary_size");
    }
    py::object value = model.attr("vocabulary_size");
    if (PyCallable_Check(value.ptr()) != 0) {
        value = value();
    }
    if (!py::isinstance<py::int_>(value) || py::isinstance<py::bool_>(value)) {
        throw py::type_error("model.vocabulary_size: expected an int, got " + type_name(value));
    }
    const auto size = value.cast<long long>();
    if (size < 1) {
        throw py::value_error("model.vocabulary_size: " + std::to_string(size) + " is not >= 1");
    }
    return static_cast<std::int64_t>(size);
}

// The model's optional fingerprint attribute: an int in [1, 2^64), or 0 without one (absent or None).
std::uint64_t read_fingerprint(const py::object& model) {
    if (!py::hasattr(model, "fingerprint")) {
        return 0;
    }
    const py::object value = model.attr("fingerprint");
    if (value.is_none()) {
        return 0;
    }
    if (!py::isinstance<py::int_>(value) || py::isinstance<py::bool_>(value)) {
        throw py::type_error("model.fingerprint: expected an int, got " + type_name(value));
    }
    const py::int_ zero(0);
    const py::int_ limit = py::reinterpret_steal<py::int_>(
        PyLong_FromUnsignedLongLong(std::numeric_limits<unsigned long long>::max()));
    if (value.attr("__le__")(zero).cast<bool>() || value.attr("__gt__")(limit).cast<bool>()) {
        throw py::value_error("model.fingerprint: " + std::string(py::str(value)) +
                              " is outside [1, 2**64 - 1] (0 would mean \"no fingerprint\")");
    }
    return static_cast<std::uint64_t>(value.cast<unsigned long long>());
}

bool is_float_kind(element_kind kind) noexcept {
    return kind == element_kind::float32 || kind == element_kind::float64 || kind == element_kind::float16 ||
           kind == element_kind::bfloat16;
}

} // namespace

python_model_source::python_model_source(py::object model) : m_model(as_model_object(std::move(model))) {
    m_next_logits = m_model.attr("next_logits");
    m_update = m_model.attr("update");
    m_row = fetch_row();
    m_row_is_fresh = true;
    m_kind = m_row.kind;
    m_dtype_name = m_row.dtype_name;
    m_vocabulary_size = read_vocabulary_size(m_model);
    if (m_row.shape[0] != m_vocabulary_size) {
        throw py::value_error(m_row.name + " returned " + std::to_string(m_row.shape[0]) +
                              " logits, but model.vocabulary_size is " + std::to_string(m_vocabulary_size));
    }
    m_fingerprint = read_fingerprint(m_model);
}

borrowed_array python_model_source::fetch_row() {
    const std::string name = "model.next_logits() at step " + std::to_string(m_step);
    const py::object result = m_next_logits();
    borrowed_array row = borrow_array(result, name);
    if (!is_float_kind(row.kind)) {
        throw py::type_error(name + " returned dtype " + row.dtype_name +
                             "; a row must be float32, float64, float16 or bfloat16");
    }
    if (m_vocabulary_size != 0 && row.kind != m_kind) {
        throw py::type_error(name + " returned dtype " + row.dtype_name + ", but the first row was " +
                             m_dtype_name + "; a model must return one dtype throughout");
    }
    if (row.ndim() != 1) {
        throw py::value_error(name + " returned shape " + row.shape_string() +
                              "; a row must be 1-D, one logit per token id (e.g. logits.reshape(-1))");
    }
    if (m_vocabulary_size != 0 && row.shape[0] != m_vocabulary_size) {
        throw py::value_error(name + " returned " + std::to_string(row.shape[0]) +
                              " logits, but vocabulary_size is " + std::to_string(m_vocabulary_size));
    }
    return row;
}

const borrowed_array& python_model_source::next_row() {
    if (m_row_is_fresh) {
        m_row_is_fresh = false;
    } else {
        m_row = fetch_row();
    }
    return m_row;
}

void python_model_source::update(std::int64_t token) {
    m_update(token);
    ++m_step;
}

} // namespace codelength::python
