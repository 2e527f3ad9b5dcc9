// Arrays from Python without copies: NumPy arrays (and anything numpy.asarray accepts) through
// NumPy, torch tensors and other `__dlpack__` producers through DLPack. The result borrows the
// object's memory and keeps the object alive; strides are kept as they are.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codelength/codelength.hpp"

namespace codelength::python {

namespace py = pybind11;

// The element types an array can hold, as far as the package reads them.
enum class element_kind {
    float32,
    float64,
    float16,
    bfloat16,
    signed_integer,
    unsigned_integer,
    boolean,
    other
};

// "(2, 3)": a shape as NumPy prints it.
std::string shape_string(std::span<const std::int64_t> shape);
// The name of element `flat_index` (C order) of an array called `name` of that shape: "targets[1, 4]".
std::string element_name(std::string_view name, std::span<const std::int64_t> shape, std::int64_t flat_index);

// A read-only view of an array owned by a Python object (kept alive by `owner`).
struct borrowed_array {
    py::object owner; // the NumPy array or the DLPack capsule
    const std::byte* data = nullptr;
    element_kind kind = element_kind::other;
    std::size_t item_bytes = 0;
    std::vector<std::int64_t> shape;
    std::vector<std::int64_t> strides; // in elements
    std::string name;                  // the argument's name, for messages
    std::string dtype_name;            // as the producer names it ("float32", "bfloat16", "int64", ...)

    [[nodiscard]] std::int64_t ndim() const noexcept { return static_cast<std::int64_t>(shape.size()); }
    [[nodiscard]] std::int64_t element_count() const noexcept;
    // "(2, 3)"
    [[nodiscard]] std::string shape_string() const { return python::shape_string(shape); }
    // The name of element `flat_index` in C order: "targets[1, 4]".
    [[nodiscard]] std::string position_name(std::int64_t flat_index) const {
        return element_name(name, shape, flat_index);
    }
};

// Raises ValueError "<name>[i] = v <why>" for the first negative value of an array of that shape.
void check_not_negative(std::span<const std::int64_t> values, std::span<const std::int64_t> shape,
                        std::string_view name, std::string_view why);

// The targets of `logits` (integers shaped like its rows) in C order, each in [0, V); a negative
// target is allowed (it skips its row) only when `ignored_allowed`. Raises ValueError naming the
// first target outside the vocabulary.
std::vector<std::int64_t> targets_in_vocabulary(const borrowed_array& logits, py::handle targets,
                                                bool ignored_allowed);

// Borrows `object` as an array: a torch tensor (or any other `__dlpack__` producer) through
// DLPack, anything else through numpy.asarray (no copy for NumPy arrays; lists are converted).
// Raises TypeError for objects that are neither and ValueError for a tensor not on the CPU.
borrowed_array borrow_array(py::handle object, std::string_view argument_name);

// Logits (or log-probabilities): a floating-point array of shape (T, V) or (B, T, V), V >= 1.
// Raises TypeError for other dtypes and ValueError for other shapes.
borrowed_array borrow_logits(py::handle object, std::string_view argument_name);

// The elements of an integer array (any integer dtype, any strides) in C order as int64; its
// shape must be `expected_shape`. Raises TypeError for a non-integer dtype and ValueError for
// another shape or an unsigned value above 2^63 - 1.
std::vector<std::int64_t> integers_in_c_order(py::handle object, std::string_view argument_name,
                                              std::span<const std::int64_t> expected_shape);

// The logits' targets shape: every dimension but the last.
std::vector<std::int64_t> targets_shape(const borrowed_array& logits);

// One (rows, V) matrix of a logits array and the flat index of its first row.
template <class Element>
struct logits_block {
    matrix_view<Element> view;
    std::int64_t first_row = 0;
};

// The logits as few matrix views as the strides allow: one for (T, V) and for (B, T, V) whose
// batches are evenly spaced rows, else one per batch. No element is copied.
template <class Element>
std::vector<logits_block<Element>> logits_blocks(const borrowed_array& logits) {
    const auto* data = reinterpret_cast<const Element*>(logits.data);
    const std::int64_t columns = logits.shape.back();
    const std::int64_t column_stride = logits.strides.back();
    if (logits.ndim() == 2) {
        return {{matrix_view<Element>{data, logits.shape[0], columns, logits.strides[0], column_stride}, 0}};
    }
    const std::int64_t batches = logits.shape[0];
    const std::int64_t rows = logits.shape[1];
    if (batches <= 1 || rows <= 1 || logits.strides[0] == rows * logits.strides[1]) {
        const std::int64_t row_stride = rows > 1 || batches <= 1 ? logits.strides[1] : logits.strides[0];
        return {{matrix_view<Element>{data, batches * rows, columns, row_stride, column_stride}, 0}};
    }
    std::vector<logits_block<Element>> blocks;
    blocks.reserve(static_cast<std::size_t>(batches));
    for (std::int64_t b = 0; b < batches; ++b) {
        blocks.push_back({matrix_view<Element>{data + b * logits.strides[0], rows, columns, logits.strides[1],
                                               column_stride},
                          b * rows});
    }
    return blocks;
}

// Calls visit(Element{}) with a value of the logits' element type (float, double, float16 or
// bfloat16); borrow_logits has checked it is one of them.
template <class Visitor>
decltype(auto) visit_element_type(const borrowed_array& logits, Visitor&& visit) {
    switch (logits.kind) {
    case element_kind::float32:
        return visit(float{});
    case element_kind::float64:
        return visit(double{});
    case element_kind::float16:
        return visit(float16{});
    default:
        return visit(bfloat16{});
    }
}

// Whether the logits hold 16-bit floats (log-probabilities get a looser sum-to-one tolerance).
inline bool has_sixteen_bit_elements(const borrowed_array& logits) {
    return logits.kind == element_kind::float16 || logits.kind == element_kind::bfloat16;
}

// The bytes of a bytes-like object (bytes, bytearray, memoryview, a C-contiguous uint8 array),
// borrowed. Raises TypeError for other objects and ValueError for a non-contiguous buffer.
class borrowed_bytes {
public:
    borrowed_bytes(py::handle object, std::string_view argument_name);
    [[nodiscard]] std::span<const std::uint8_t> span() const noexcept { return m_span; }

private:
    std::shared_ptr<Py_buffer> m_buffer;
    std::span<const std::uint8_t> m_span;
};

} // namespace codelength::python
