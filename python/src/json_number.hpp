// Numbers in the dicts that mirror the CLI's --json output.
#pragma once

#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace codelength::python {

// A number as `--json` prints it: None when absent or not finite (JSON has no inf or NaN).
inline pybind11::object json_number(std::optional<double> value) {
    if (!value || !std::isfinite(*value)) {
        return pybind11::none();
    }
    return pybind11::float_(*value);
}

// A dict filled the way the CLI's JSON writer is, for the library's field lists (e.g.
// add_coding_ledger_fields): integers as int, doubles through json_number.
class json_dict {
public:
    explicit json_dict(pybind11::dict& dict) : m_dict(dict) {}
    json_dict& add(std::string_view key, std::int64_t value) {
        m_dict[pybind11::str(key.data(), key.size())] = value;
        return *this;
    }
    json_dict& add(std::string_view key, double value) { return add(key, std::optional<double>(value)); }
    json_dict& add(std::string_view key, std::optional<double> value) {
        m_dict[pybind11::str(key.data(), key.size())] = json_number(value);
        return *this;
    }

private:
    pybind11::dict& m_dict;
};

} // namespace codelength::python
