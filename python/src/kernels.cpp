// codelength.kernels() and codelength.use_kernels(): which SIMD code path the C++ kernels take
// (codelength::dispatch, numerics/dispatch.hpp), and choosing a narrower one.
#include "bindings.hpp"

#include <string>

#include <pybind11/stl.h>

#include "codelength/core/error.hpp"
#include "codelength/numerics/dispatch.hpp"

namespace codelength::python {

namespace {

std::string available_names() {
    std::string names;
    for (const auto isa : all_instruction_sets) {
        if (instruction_set_available(isa)) {
            names += names.empty() ? "" : ", ";
            names += instruction_set_name(isa);
        }
    }
    return names;
}

py::dict kernels() {
    py::list available;
    for (const auto isa : all_instruction_sets) {
        if (instruction_set_available(isa)) {
            available.append(instruction_set_name(isa));
        }
    }
    py::dict result;
    result["active"] = instruction_set_name(active_instruction_set());
    result["detected"] = instruction_set_name(detected_instruction_set());
    result["available"] = available;
    return result;
}

void use_kernels(const std::string& name) {
    for (const auto isa : all_instruction_sets) {
        if (name != instruction_set_name(isa)) {
            continue;
        }
        if (!try_use_instruction_set(isa)) {
            throw invalid_argument_error(
                "use_kernels: the path '" + name +
                "' is not available on this machine (available: " + available_names() + ")");
        }
        return;
    }
    throw invalid_argument_error(
        "use_kernels: unknown path '" + name +
        "' (the paths are scalar, sse2, avx2, avx512, neon; available here: " + available_names() + ")");
}

} // namespace

void bind_kernels(py::module_& module) {
    module.def(
        "kernels", &kernels,
        R"doc(The SIMD code path of the C++ kernels: {"active": ..., "detected": ..., "available": [...]}.

"detected" is the widest path this build and this CPU run; "active" is the one in use (the
widest, or CODELENGTH_ISA from the environment, or what use_kernels() chose). Every path gives
the same encoded bytes; scores agree within 1e-6 bits per token.)doc");
    module.def("use_kernels", &use_kernels, py::arg("name"),
               R"doc(Makes `name` ("scalar", "sse2", "avx2", "avx512", "neon") the path of every later call,
in every thread. Raises InvalidArgumentError for an unknown name or a path this machine lacks.)doc");
}

} // namespace codelength::python
