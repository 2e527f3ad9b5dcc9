// The extension module codelength._core; the package codelength re-exports it.
#include "bindings.hpp"

#include "codelength/version.hpp"

PYBIND11_MODULE(_core, module) {
    namespace py = pybind11;
    module.doc() = "codelength: how many bits a model needs to describe data (the C++ core).";
    module.attr("__version__") = codelength::version_string;
    codelength::python::bind_errors(module);
    codelength::python::bind_ledger(module);
    codelength::python::bind_score(module);
    codelength::python::bind_coding(module);
    codelength::python::bind_library(module);
    codelength::python::bind_kernels(module);
}
