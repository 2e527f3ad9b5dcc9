// The "library" part of codelength._core (bind_library in library.cpp): compress, decompress,
// measure, memorization, Min-K%, MDL and ARPA models, one source file per group.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "arrays.hpp"
#include "json_number.hpp"

namespace codelength::python {

namespace py = pybind11;

void bind_compression(py::module_& module);  // library_compress.cpp: compress, decompress, measure
void bind_memorization(py::module_& module); // library_memorization.cpp: memorization, Min-K%, Min-K%++
void bind_mdl(py::module_& module);          // library_mdl.cpp: the quantities of `codelength mdl`
void bind_arpa(py::module_& module);         // library_arpa.cpp: ArpaModel

// The values of a 1-D floating-point array or tensor (float32, float64, float16 or bfloat16, any
// stride) widened to double. Raises TypeError for other dtypes and ValueError for another rank.
std::vector<double> doubles_of_vector(py::handle object, std::string_view argument_name);

// The bytes of a bytes-like object, or of a str encoded as UTF-8, copied.
std::vector<std::uint8_t> bytes_or_text(py::handle object, std::string_view argument_name);

// Raises ValueError "<name>: <value> is outside [<minimum>, <maximum>]" unless the value is in range.
void check_range(std::string_view name, double value, double minimum, double maximum);
void check_range(std::string_view name, std::int64_t value, std::int64_t minimum, std::int64_t maximum);

} // namespace codelength::python
