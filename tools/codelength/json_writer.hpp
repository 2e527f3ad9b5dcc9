// A minimal JSON object writer for the tool's reports: keys in insertion order, numbers in the
// shortest form that reads back to the same double, non-finite numbers as null, strings as
// valid UTF-8 (each byte that is not part of well-formed UTF-8 becomes U+FFFD; add_name also
// keeps such a name's raw bytes in hex).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "number_format.hpp"

namespace codelength::cli {

class json_object {
public:
    json_object& add(std::string_view key, double value) {
        return raw(key, std::isfinite(value) ? format_double(value) : "null");
    }
    json_object& add(std::string_view key, std::optional<double> value) {
        return value ? add(key, *value) : raw(key, "null");
    }
    json_object& add(std::string_view key, std::int64_t value) { return raw(key, std::to_string(value)); }
    json_object& add(std::string_view key, bool value) { return raw(key, value ? "true" : "false"); }
    json_object& add(std::string_view key, std::string_view value) { return raw(key, quote(value)); }
    json_object& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
    json_object& add_object(std::string_view key, const json_object& value) { return raw(key, value.str()); }
    // A name from outside (a file name): `key` holds it as valid UTF-8 (U+FFFD for each byte
    // that is not well-formed UTF-8) and, only when that changed it, `key`_hex holds its raw
    // bytes in hex, so that the exact name can be recovered (bytes.fromhex in Python).
    json_object& add_name(std::string_view key, std::string_view name) {
        add(key, name);
        if (!is_valid_utf8(name)) {
            add(std::string(key) + "_hex", std::string_view(to_hex(name)));
        }
        return *this;
    }

    [[nodiscard]] std::string str() const { return "{" + m_body + "}"; }

    // A JSON string literal with the escapes RFC 8259 requires, always valid UTF-8: a byte that
    // is not part of a well-formed UTF-8 sequence becomes U+FFFD.
    [[nodiscard]] static std::string quote(std::string_view text) {
        std::string out = "\"";
        for (const char c : to_valid_utf8(text)) {
            switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20U) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
                    out += escaped;
                } else {
                    out += c;
                }
            }
        }
        return out + "\"";
    }

    // The shortest decimal that reads back to `value` (number_format.hpp), as every table prints.
    [[nodiscard]] static std::string format_double(double value) { return format_shortest(value); }

private:
    json_object& raw(std::string_view key, const std::string& value) {
        if (!m_body.empty()) {
            m_body += ", ";
        }
        m_body += quote(key) + ": " + value;
        return *this;
    }
    std::string m_body;
};

} // namespace codelength::cli
