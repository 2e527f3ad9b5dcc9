// Numbers in the dicts that mirror the CLI's --json output.
#pragma once

#include <pybind11/pybind11.h>

#include <cmath>
#include <optional>

namespace codelength::python {

// A number as `--json` prints it: None when absent or not finite (JSON has no inf or NaN).
inline pybind11::object json_number(std::optional<double> value) {
    if (!value || !std::isfinite(*value)) {
        return pybind11::none();
    }
    return pybind11::float_(*value);
}

} // namespace codelength::python
