// A minimal JSON object writer for the tool's reports: keys in insertion order, numbers with
// 17 significant digits (round-trip exact), non-finite numbers as null.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

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

    [[nodiscard]] std::string str() const { return "{" + m_body + "}"; }

    // A JSON string literal with the escapes RFC 8259 requires.
    [[nodiscard]] static std::string quote(std::string_view text) {
        std::string out = "\"";
        for (const char c : text) {
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

    [[nodiscard]] static std::string format_double(double value) {
        char text[32];
        std::snprintf(text, sizeof text, "%.17g", value);
        return text;
    }

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
