// The parts of the extension module `codelength._core`, one function per source file.
#pragma once

#include <pybind11/pybind11.h>

namespace codelength::python {

namespace py = pybind11;

void bind_errors(py::module_& module);  // errors.cpp: the codelength.Error hierarchy
void bind_ledger(py::module_& module);  // ledger.cpp: Ledger
void bind_score(py::module_& module);   // score.cpp: score, ScoreResult, inspect_array
void bind_coding(py::module_& module);  // coding.cpp: encode/decode, with precomputed logits or a model
void bind_library(py::module_& module); // library.cpp: compress, measure, memorization, Min-K%, MDL, ARPA
void bind_kernels(py::module_& module); // kernels.cpp: kernels(), use_kernels() (codelength::dispatch)

} // namespace codelength::python
