// A Python model in the coding loop: an object with vocabulary_size, next_logits() and
// update(token), seen by the library as a sequential categorical model whose rows are read in
// place (NumPy arrays or torch tensors, through borrow_array). Every call into Python happens
// with the GIL held; a Python exception raised by the model propagates unchanged.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <utility>

#include "arrays.hpp"
#include "codelength/codelength.hpp"

namespace codelength::python {

namespace py = pybind11;

// What the adapter holds whatever the row element type is: the model's bound methods, the row
// it returned last (kept alive until the next call) and what the first row fixed.
class python_model_source {
public:
    // Takes the model (an object with next_logits() and update(token); vocabulary_size is read
    // after the first row, so a wrapper may learn it from that row) and asks it for its first
    // row, which fixes the element type and V. Raises TypeError/ValueError for a model that
    // lacks a method, or for a first row that is not a 1-D float array of vocabulary_size entries.
    explicit python_model_source(py::object model);

    // The element kind of every row (that of the first).
    [[nodiscard]] element_kind kind() const noexcept { return m_kind; }
    // The name of that element type ("float32", "bfloat16", ...).
    [[nodiscard]] const std::string& dtype_name() const noexcept { return m_dtype_name; }
    [[nodiscard]] std::int64_t vocabulary_size() const noexcept { return m_vocabulary_size; }
    // The model's fingerprint attribute, or 0 when it has none.
    [[nodiscard]] std::uint64_t fingerprint() const noexcept { return m_fingerprint; }

    // The row for the next token: the first row fetched by the constructor the first time, then
    // a new model.next_logits() call each time. The pointer stays valid until the next call.
    const borrowed_array& next_row();
    // Calls model.update(token) and moves to the next step.
    void update(std::int64_t token);

private:
    // Calls model.next_logits() and checks the row against the first one (step = m_step).
    borrowed_array fetch_row();

    py::object m_model;
    py::object m_next_logits;
    py::object m_update;
    borrowed_array m_row;
    bool m_row_is_fresh = false; // m_row has not been handed out yet (the first row)
    std::int64_t m_step = 0;     // tokens passed to update() so far
    element_kind m_kind = element_kind::other;
    std::string m_dtype_name;
    std::int64_t m_vocabulary_size = 0;
    std::uint64_t m_fingerprint = 0;
};

// The sequential categorical model the library codes with; Element is the type of every row.
template <row_element Element>
class python_model {
public:
    explicit python_model(python_model_source& source) noexcept : m_source(&source) {}

    [[nodiscard]] std::int64_t vocabulary_size() const noexcept { return m_source->vocabulary_size(); }
    // Written to the stream header; 0 means "not fingerprinted".
    [[nodiscard]] std::uint64_t fingerprint() const noexcept { return m_source->fingerprint(); }

    // The model's row for the next token, read in place.
    [[nodiscard]] strided_row<Element> next_logits() {
        const borrowed_array& row = m_source->next_row();
        return strided_row<Element>{reinterpret_cast<const Element*>(row.data), row.shape[0], row.strides[0]};
    }

    void update(std::int64_t token) { m_source->update(token); }

private:
    python_model_source* m_source;
};

// Calls visit(python_model<Element>&) with the adapter of the source's element type.
template <class Visitor>
decltype(auto) visit_python_model(python_model_source& source, Visitor&& visit) {
    switch (source.kind()) {
    case element_kind::float32: {
        python_model<float> model(source);
        return visit(model);
    }
    case element_kind::float64: {
        python_model<double> model(source);
        return visit(model);
    }
    case element_kind::float16: {
        python_model<float16> model(source);
        return visit(model);
    }
    default: {
        python_model<bfloat16> model(source);
        return visit(model);
    }
    }
}

} // namespace codelength::python
