// A JSON object of named numbers for the library's to_json() functions, written by hand so the
// headers need no JSON library: keys in insertion order, doubles in the shortest form that
// reads back to the same double (std::to_chars), non-finite doubles and empty optionals as null.
#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codelength/core/config.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

// Keys and string values are the library's own ASCII names and hex digits: nothing to escape.
class json_fields {
public:
    json_fields& add(std::string_view key, std::int64_t value) { return raw(key, std::to_string(value)); }
    json_fields& add(std::string_view key, double value) {
        if (!std::isfinite(value)) {
            return raw(key, "null");
        }
        std::array<char, 32> text{}; // the longest shortest form has 24 characters
        const auto result = std::to_chars(text.data(), text.data() + text.size(), value);
        return raw(key, std::string(text.data(), result.ptr));
    }
    json_fields& add(std::string_view key, std::optional<double> value) {
        return value ? add(key, *value) : raw(key, "null");
    }
    json_fields& add_string(std::string_view key, std::string_view ascii) {
        return raw(key, "\"" + std::string(ascii) + "\"");
    }

    [[nodiscard]] std::string str() const { return "{" + m_body + "}"; }

private:
    json_fields& raw(std::string_view key, const std::string& value) {
        if (!m_body.empty()) {
            m_body += ", ";
        }
        m_body += "\"";
        m_body += key;
        m_body += "\": ";
        m_body += value;
        return *this;
    }

    std::string m_body;
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail
