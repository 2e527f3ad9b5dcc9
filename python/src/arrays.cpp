// Borrowing NumPy arrays and DLPack tensors (see arrays.hpp).
#include "arrays.hpp"

#include <limits>
#include <utility>

#include "dlpack_abi.hpp"

namespace codelength::python {

namespace {

std::string argument(std::string_view name) {
    return std::string(name);
}

// numpy.<name>, looked up once (kept for the interpreter's lifetime).
py::handle numpy_function(const char* name) {
    static auto* asarray = new py::object(py::module_::import("numpy").attr("asarray"));
    static auto* ascontiguousarray = new py::object(py::module_::import("numpy").attr("ascontiguousarray"));
    return std::string_view(name) == "asarray" ? *asarray : *ascontiguousarray;
}

// The kind and name of a NumPy dtype (names built here: asking NumPy costs a microsecond).
std::pair<element_kind, std::string> numpy_kind(const py::dtype& dtype) {
    const char kind = dtype.kind();
    const auto bytes = static_cast<std::size_t>(dtype.itemsize());
    const std::string bits = std::to_string(8 * bytes);
    switch (kind) {
    case 'f':
        if (bytes == 4) {
            return {element_kind::float32, "float32"};
        }
        if (bytes == 8) {
            return {element_kind::float64, "float64"};
        }
        if (bytes == 2) {
            return {element_kind::float16, "float16"};
        }
        return {element_kind::other, "float" + bits};
    case 'i':
        return {element_kind::signed_integer, "int" + bits};
    case 'u':
        return {element_kind::unsigned_integer, "uint" + bits};
    case 'b':
        return {element_kind::boolean, "bool"};
    default: {
        std::string name = py::str(dtype.attr("name"));
        if (kind == 'V' && bytes == 2 && name == "bfloat16") { // ml_dtypes' bfloat16
            return {element_kind::bfloat16, name};
        }
        return {element_kind::other, name};
    }
    }
}

borrowed_array borrow_numpy(py::handle object, std::string_view name) {
    py::array array;
    try {
        array = py::isinstance<py::array>(object) ? py::reinterpret_borrow<py::array>(object)
                                                  : py::array(numpy_function("asarray")(object));
    } catch (py::error_already_set& e) {
        throw py::type_error(argument(name) + ": expected an array or a tensor, got " +
                             std::string(py::str(py::type::handle_of(object).attr("__name__"))) + " (" +
                             e.what() + ")");
    }
    const py::dtype dtype = array.dtype();
    if (dtype.byteorder() == '>') {
        array = numpy_function("asarray")(array, dtype.attr("newbyteorder")("="));
    }
    borrowed_array result;
    std::tie(result.kind, result.dtype_name) = numpy_kind(array.dtype());
    result.item_bytes = static_cast<std::size_t>(array.itemsize());
    result.name = argument(name);
    const auto item = static_cast<std::int64_t>(result.item_bytes);
    bool aligned_strides = true;
    for (py::ssize_t d = 0; d < array.ndim(); ++d) {
        aligned_strides = aligned_strides && array.strides(d) % item == 0;
    }
    if (!aligned_strides) { // a field of a structured array: strides are not whole elements
        array = numpy_function("ascontiguousarray")(array);
    }
    result.data = static_cast<const std::byte*>(array.data());
    for (py::ssize_t d = 0; d < array.ndim(); ++d) {
        result.shape.push_back(static_cast<std::int64_t>(array.shape(d)));
        result.strides.push_back(static_cast<std::int64_t>(array.strides(d)) / item);
    }
    result.owner = std::move(array);
    return result;
}

// The kind and name of a DLPack element type.
std::pair<element_kind, std::string> dlpack_kind(const dlpack::dl_data_type& type) {
    const std::string bits = std::to_string(type.bits);
    if (type.lanes != 1) {
        return {element_kind::other, "vector of " + std::to_string(type.lanes)};
    }
    switch (type.code) {
    case dlpack::type_float:
        if (type.bits == 32) {
            return {element_kind::float32, "float32"};
        }
        if (type.bits == 64) {
            return {element_kind::float64, "float64"};
        }
        if (type.bits == 16) {
            return {element_kind::float16, "float16"};
        }
        return {element_kind::other, "float" + bits};
    case dlpack::type_bfloat:
        return {type.bits == 16 ? element_kind::bfloat16 : element_kind::other, "bfloat" + bits};
    case dlpack::type_int:
        return {element_kind::signed_integer, "int" + bits};
    case dlpack::type_uint:
        return {element_kind::unsigned_integer, "uint" + bits};
    case dlpack::type_bool:
        return {element_kind::boolean, "bool"};
    default:
        return {element_kind::other, "DLPack type code " + std::to_string(type.code)};
    }
}

borrowed_array borrow_dlpack(py::handle object, std::string_view name) {
    py::object source = py::reinterpret_borrow<py::object>(object);
    if (py::getattr(source, "requires_grad", py::none()).is(py::bool_(true))) {
        source = source.attr("detach")(); // a view: DLPack refuses tensors that require grad
    }
    py::object capsule;
    try {
        capsule = source.attr("__dlpack__")();
    } catch (py::error_already_set&) {
        // torch raises for devices DLPack cannot name (meta); say which device it is.
        if (py::hasattr(source, "device") && py::hasattr(source.attr("device"), "type") &&
            std::string(py::str(source.attr("device").attr("type"))) != "cpu") {
            throw py::value_error(argument(name) + ": the tensor is on " +
                                  std::string(py::str(source.attr("device"))) +
                                  "; codelength reads CPU memory (use tensor.cpu())");
        }
        throw;
    }
    auto* managed = static_cast<dlpack::dl_managed_tensor*>(PyCapsule_GetPointer(capsule.ptr(), "dltensor"));
    if (managed == nullptr) {
        throw py::error_already_set();
    }
    // The capsule keeps its name, so its destructor returns the tensor to its producer.
    const dlpack::dl_tensor& tensor = managed->tensor;
    if (tensor.device.device_type != dlpack::device_cpu) {
        const std::string where = py::hasattr(source, "device")
                                      ? std::string(py::str(source.attr("device")))
                                      : "DLPack device type " + std::to_string(tensor.device.device_type);
        throw py::value_error(argument(name) + ": the tensor is on " + where +
                              "; codelength reads CPU memory (use tensor.cpu())");
    }
    borrowed_array result;
    std::tie(result.kind, result.dtype_name) = dlpack_kind(tensor.dtype);
    result.item_bytes = (static_cast<std::size_t>(tensor.dtype.bits) + 7) / 8;
    result.name = argument(name);
    result.data = static_cast<const std::byte*>(tensor.data) + tensor.byte_offset;
    std::int64_t compact_stride = 1;
    result.shape.assign(tensor.shape, tensor.shape + tensor.ndim);
    result.strides.resize(result.shape.size());
    for (std::int32_t d = tensor.ndim - 1; d >= 0; --d) {
        const auto i = static_cast<std::size_t>(d);
        result.strides[i] = tensor.strides != nullptr ? tensor.strides[d] : compact_stride;
        compact_stride *= result.shape[i];
    }
    result.owner = std::move(capsule);
    return result;
}

} // namespace

std::int64_t borrowed_array::element_count() const noexcept {
    std::int64_t count = 1;
    for (const std::int64_t extent : shape) {
        count *= extent;
    }
    return count;
}

std::string shape_string(std::span<const std::int64_t> shape) {
    std::string text = "(";
    for (std::size_t d = 0; d < shape.size(); ++d) {
        text += (d > 0 ? ", " : "") + std::to_string(shape[d]);
    }
    return text + (shape.size() == 1 ? ",)" : ")");
}

std::string element_name(std::string_view name, std::span<const std::int64_t> shape,
                         std::int64_t flat_index) {
    std::vector<std::int64_t> index(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        index[d] = shape[d] > 0 ? flat_index % shape[d] : 0;
        flat_index = shape[d] > 0 ? flat_index / shape[d] : 0;
    }
    std::string text = std::string(name) + "[";
    for (std::size_t d = 0; d < index.size(); ++d) {
        text += (d > 0 ? ", " : "") + std::to_string(index[d]);
    }
    return text + "]";
}

void check_not_negative(std::span<const std::int64_t> values, std::span<const std::int64_t> shape,
                        std::string_view name, std::string_view why) {
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i] < 0) {
            throw py::value_error(element_name(name, shape, static_cast<std::int64_t>(i)) + " = " +
                                  std::to_string(values[i]) + " " + std::string(why));
        }
    }
}

std::vector<std::int64_t> targets_in_vocabulary(const borrowed_array& logits, py::handle targets_object,
                                                bool ignored_allowed) {
    const std::vector<std::int64_t> shape = targets_shape(logits);
    std::vector<std::int64_t> targets = integers_in_c_order(targets_object, "targets", shape);
    const std::int64_t vocabulary_size = logits.shape.back();
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (targets[i] >= vocabulary_size || (targets[i] < 0 && !ignored_allowed)) {
            throw py::value_error(element_name("targets", shape, static_cast<std::int64_t>(i)) + " = " +
                                  std::to_string(targets[i]) + " is outside the vocabulary [0, " +
                                  std::to_string(vocabulary_size) + ") of the logits" +
                                  (targets[i] < 0 ? " (ignored targets cannot be coded)" : ""));
        }
    }
    return targets;
}

borrowed_array borrow_array(py::handle object, std::string_view argument_name) {
    if (!py::isinstance<py::array>(object) && py::hasattr(object, "__dlpack__")) {
        return borrow_dlpack(object, argument_name);
    }
    return borrow_numpy(object, argument_name);
}

borrowed_array borrow_logits(py::handle object, std::string_view argument_name) {
    borrowed_array logits = borrow_array(object, argument_name);
    switch (logits.kind) {
    case element_kind::float32:
    case element_kind::float64:
    case element_kind::float16:
    case element_kind::bfloat16:
        break;
    default:
        throw py::type_error(logits.name + ": dtype " + logits.dtype_name +
                             " is not supported (float32, float64, float16 or bfloat16)");
    }
    if (logits.ndim() != 2 && logits.ndim() != 3) {
        throw py::value_error(logits.name + ": shape " + logits.shape_string() +
                              " is neither (T, V) nor (B, T, V)");
    }
    if (logits.shape.back() < 1) {
        throw py::value_error(logits.name + ": shape " + logits.shape_string() +
                              " has an empty vocabulary (V = 0)");
    }
    return logits;
}

std::vector<std::int64_t> targets_shape(const borrowed_array& logits) {
    return {logits.shape.begin(), logits.shape.end() - 1};
}

namespace {

template <class Integer>
void append_in_c_order(const borrowed_array& array, std::vector<std::int64_t>& out) {
    const std::int64_t count = array.element_count();
    const auto* base = reinterpret_cast<const Integer*>(array.data);
    for (std::int64_t flat = 0; flat < count; ++flat) {
        std::int64_t rest = flat;
        std::int64_t offset = 0;
        for (std::size_t d = array.shape.size(); d-- > 0;) {
            offset += (rest % array.shape[d]) * array.strides[d];
            rest /= array.shape[d];
        }
        const Integer value = base[offset];
        if constexpr (std::is_unsigned_v<Integer> && sizeof(Integer) == 8) {
            if (value > static_cast<Integer>(std::numeric_limits<std::int64_t>::max())) {
                throw py::value_error(array.position_name(flat) + " = " + std::to_string(value) +
                                      " does not fit in int64");
            }
        }
        out.push_back(static_cast<std::int64_t>(value));
    }
}

} // namespace

std::vector<std::int64_t> integers_in_c_order(py::handle object, std::string_view argument_name,
                                              std::span<const std::int64_t> expected_shape) {
    const borrowed_array array = borrow_array(object, argument_name);
    if (array.kind != element_kind::signed_integer && array.kind != element_kind::unsigned_integer) {
        throw py::type_error(array.name + ": dtype " + array.dtype_name + " is not an integer dtype");
    }
    if (!std::equal(array.shape.begin(), array.shape.end(), expected_shape.begin(), expected_shape.end())) {
        throw py::value_error(array.name + ": shape " + array.shape_string() + " differs from the expected " +
                              shape_string(expected_shape));
    }
    std::vector<std::int64_t> values;
    values.reserve(static_cast<std::size_t>(array.element_count()));
    const bool is_signed = array.kind == element_kind::signed_integer;
    switch (array.item_bytes) {
    case 1:
        is_signed ? append_in_c_order<std::int8_t>(array, values)
                  : append_in_c_order<std::uint8_t>(array, values);
        break;
    case 2:
        is_signed ? append_in_c_order<std::int16_t>(array, values)
                  : append_in_c_order<std::uint16_t>(array, values);
        break;
    case 4:
        is_signed ? append_in_c_order<std::int32_t>(array, values)
                  : append_in_c_order<std::uint32_t>(array, values);
        break;
    case 8:
        is_signed ? append_in_c_order<std::int64_t>(array, values)
                  : append_in_c_order<std::uint64_t>(array, values);
        break;
    default:
        throw py::type_error(array.name + ": dtype " + array.dtype_name + " is not supported");
    }
    return values;
}

borrowed_bytes::borrowed_bytes(py::handle object, std::string_view argument_name) {
    if (!PyObject_CheckBuffer(object.ptr())) {
        throw py::type_error(argument(argument_name) + ": expected a bytes-like object, got " +
                             std::string(py::str(py::type::handle_of(object).attr("__name__"))));
    }
    auto buffer = std::make_unique<Py_buffer>();
    if (PyObject_GetBuffer(object.ptr(), buffer.get(), PyBUF_C_CONTIGUOUS) != 0) {
        PyErr_Clear();
        throw py::value_error(argument(argument_name) + ": the buffer is not C-contiguous bytes");
    }
    m_buffer = std::shared_ptr<Py_buffer>(buffer.release(), [](Py_buffer* held) {
        PyBuffer_Release(held);
        delete held;
    });
    m_span = {static_cast<const std::uint8_t*>(m_buffer->buf), static_cast<std::size_t>(m_buffer->len)};
}

} // namespace codelength::python
