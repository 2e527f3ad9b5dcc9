// The exception hierarchy of the package: every codelength::error the library throws becomes
// the matching codelength.Error subclass with the same message (file, row, byte offset).
#include <string>

#include "bindings.hpp"
#include "codelength/baselines/baselines.hpp"
#include "codelength/codelength.hpp"

namespace codelength::python {

namespace {

// A new exception class codelength.<name> deriving from `bases` (a class or a tuple), added
// to the module.
py::object new_exception(py::module_& module, const char* name, const char* doc, py::handle bases) {
    const std::string qualified = std::string("codelength.") + name;
    PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
    if (type == nullptr) {
        throw py::error_already_set();
    }
    py::object result = py::reinterpret_steal<py::object>(type);
    module.add_object(name, result);
    return result;
}

// The classes, created once when the module is imported (leaked on purpose: they live as long
// as the interpreter, and translators may run during shutdown).
struct exception_classes {
    PyObject* error;
    PyObject* invalid_argument;
    PyObject* invalid_row;
    PyObject* target_out_of_range;
    PyObject* format;
    PyObject* stream;
    PyObject* stream_model_mismatch;
    PyObject* stream_checksum;
    PyObject* stream_limit;
    PyObject* round_trip;
    PyObject* io;
    PyObject* baseline;
};

exception_classes& classes() {
    static exception_classes instance{};
    return instance;
}

PyObject* keep(const py::object& type) {
    return type.inc_ref().ptr();
}

} // namespace

void bind_errors(py::module_& module) {
    exception_classes& c = classes();
    const py::object value_error = py::reinterpret_borrow<py::object>(PyExc_ValueError);
    const py::object base = new_exception(
        module, "Error", "Base of every error the codelength library reports.", PyExc_Exception);
    c.error = keep(base);
    const py::object invalid_argument =
        new_exception(module, "InvalidArgumentError", "An argument is invalid (shape, count, range).",
                      py::make_tuple(base, value_error));
    c.invalid_argument = keep(invalid_argument);
    const py::object invalid_row =
        new_exception(module, "InvalidRowError",
                      "A row of logits cannot be scored or coded: NaN, +inf, or every entry -inf.",
                      py::make_tuple(base, value_error));
    c.invalid_row = keep(invalid_row);
    c.target_out_of_range = keep(new_exception(module, "TargetOutOfRangeError",
                                               "A target id is outside the vocabulary [0, V).", invalid_row));
    const py::object format =
        new_exception(module, "FormatError", "Malformed input data (a file, a stream or serialized bytes).",
                      py::make_tuple(base, value_error));
    c.format = keep(format);
    const py::object stream = new_exception(
        module, "StreamError",
        "A coded stream was refused: damaged, truncated, or decoded with another model.", format);
    c.stream = keep(stream);
    c.stream_model_mismatch = keep(new_exception(module, "StreamModelMismatchError",
                                                 "The stream was written with another model (its kind, "
                                                 "dtype, vocabulary, precision or fingerprint differ).",
                                                 stream));
    c.stream_checksum = keep(new_exception(
        module, "StreamChecksumError",
        "A checksum of the stream did not match: damaged bytes, or a model that behaved differently.",
        stream));
    c.stream_limit = keep(new_exception(module, "StreamLimitError",
                                        "The stream holds more than the decoding limits allow.", stream));
    c.round_trip = keep(
        new_exception(module, "RoundTripError", "Decoding an encoded sequence did not give it back.", base));
    c.io = keep(new_exception(module, "IoError", "The operating system refused a file operation.",
                              py::make_tuple(base, py::reinterpret_borrow<py::object>(PyExc_OSError))));
    c.baseline =
        keep(new_exception(module, "BaselineError", "A compressor library reported a failure.", base));

    py::register_exception_translator([](std::exception_ptr pointer) {
        if (!pointer) {
            return;
        }
        const exception_classes& k = classes();
        try {
            std::rethrow_exception(pointer);
        } catch (const stream_model_mismatch_error& e) {
            PyErr_SetString(k.stream_model_mismatch, e.what());
        } catch (const stream_checksum_error& e) {
            PyErr_SetString(k.stream_checksum, e.what());
        } catch (const stream_limit_error& e) {
            PyErr_SetString(k.stream_limit, e.what());
        } catch (const stream_error& e) {
            PyErr_SetString(k.stream, e.what());
        } catch (const format_error& e) {
            PyErr_SetString(k.format, e.what());
        } catch (const target_out_of_range_error& e) {
            PyErr_SetString(k.target_out_of_range, e.what());
        } catch (const invalid_row_error& e) {
            PyErr_SetString(k.invalid_row, e.what());
        } catch (const invalid_argument_error& e) {
            PyErr_SetString(k.invalid_argument, e.what());
        } catch (const round_trip_error& e) {
            PyErr_SetString(k.round_trip, e.what());
        } catch (const io_error& e) {
            PyErr_SetString(k.io, e.what());
        } catch (const baseline_error& e) {
            PyErr_SetString(k.baseline, e.what());
        } catch (const error& e) {
            PyErr_SetString(k.error, e.what());
        }
    });
}

} // namespace codelength::python
