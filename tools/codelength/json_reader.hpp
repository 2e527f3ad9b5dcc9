// A small strict JSON reader (RFC 8259) for the tool's inputs, e.g. the records that
// `codelength memorization --json` writes: objects keep their members in order, numbers are
// doubles (std::from_chars, exact round trip), strings are UTF-8 (\u escapes with surrogate
// pairs decoded). Anything RFC 8259 does not allow — trailing commas, comments, NaN/Infinity,
// leading zeros, control characters in strings, lone surrogates, invalid UTF-8, duplicate keys,
// text after the value, nesting deeper than 256 — is an invalid_argument_error naming the
// source, the line and the column (both from 1, columns in bytes).
//   const json_value v = parse_json(text, "records.json");
//   for (const json_value& d : v.member("documents")->items) { ... }
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "codelength/core/error.hpp"
#include "number_format.hpp"

namespace codelength::cli {

struct json_value {
    enum class kind : std::uint8_t { null, boolean, number, string, array, object };
    kind type = kind::null;
    bool boolean = false;
    double number = 0.0;
    std::string text;               // a string's value
    std::vector<json_value> items;  // an array's elements
    std::vector<std::string> keys;  // an object's member names, in order
    std::vector<json_value> values; // and their values
    std::int64_t line = 0;          // where the value starts
    std::int64_t column = 0;

    // The member named `key` of an object, or nullptr (also for a value that is no object).
    [[nodiscard]] const json_value* member(std::string_view key) const {
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (keys[i] == key) {
                return &values[i];
            }
        }
        return nullptr;
    }
    // "null", "a boolean", "a number", "a string", "an array" or "an object", for messages.
    [[nodiscard]] const char* kind_name() const noexcept {
        switch (type) {
        case kind::null:
            return "null";
        case kind::boolean:
            return "a boolean";
        case kind::number:
            return "a number";
        case kind::string:
            return "a string";
        case kind::array:
            return "an array";
        case kind::object:
            return "an object";
        }
        return "a value";
    }
};

namespace detail {

class json_parser {
public:
    json_parser(std::string_view text, std::string source) : m_text(text), m_source(std::move(source)) {}

    json_value parse_document() {
        if (m_text.substr(0, 3) == "\xEF\xBB\xBF") {
            m_position = 3; // a UTF-8 byte order mark
        }
        skip_space();
        json_value value = parse_value(0);
        skip_space();
        if (m_position < m_text.size()) {
            fail("unexpected text after the JSON value");
        }
        return value;
    }

private:
    static constexpr int max_depth = 256;

    [[noreturn]] void fail(const std::string& what) const { fail_at(m_position, what); }
    [[noreturn]] void fail_at(std::size_t position, const std::string& what) const {
        std::int64_t line = 1;
        std::size_t line_start = 0;
        for (std::size_t i = 0; i < position && i < m_text.size(); ++i) {
            if (m_text[i] == '\n') {
                ++line;
                line_start = i + 1;
            }
        }
        throw invalid_argument_error(m_source + ":" + std::to_string(line) + ":" +
                                     std::to_string(position - line_start + 1) + ": invalid JSON: " + what);
    }

    [[nodiscard]] bool at_end() const noexcept { return m_position >= m_text.size(); }
    [[nodiscard]] char peek() const noexcept { return at_end() ? '\0' : m_text[m_position]; }

    void skip_space() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
            ++m_position;
        }
    }

    void expect(char c, const char* what) {
        if (peek() != c || at_end()) {
            fail(std::string("expected ") + what + describe_here());
        }
        ++m_position;
    }

    [[nodiscard]] std::string describe_here() const {
        if (at_end()) {
            return ", found the end of the input";
        }
        const auto c = static_cast<unsigned char>(peek());
        if (c >= 0x20U && c < 0x7FU) {
            return std::string(", found '") + peek() + "'";
        }
        return ", found byte 0x" + to_hex(m_text.substr(m_position, 1));
    }

    // Sets where `value` starts (the lines are counted once, as the parser moves forward).
    void locate(json_value& value) {
        for (; m_line_scan < m_position; ++m_line_scan) {
            if (m_text[m_line_scan] == '\n') {
                ++m_lines_before;
                m_line_start = m_line_scan + 1;
            }
        }
        value.line = 1 + m_lines_before;
        value.column = static_cast<std::int64_t>(m_position - m_line_start + 1);
    }

    json_value parse_value(int depth) {
        if (depth > max_depth) {
            fail("nested deeper than " + std::to_string(max_depth) + " levels");
        }
        json_value value;
        locate(value);
        switch (peek()) {
        case '{':
            parse_object(value, depth);
            break;
        case '[':
            parse_array(value, depth);
            break;
        case '"':
            value.type = json_value::kind::string;
            value.text = parse_string();
            break;
        case 't':
            literal("true");
            value.type = json_value::kind::boolean;
            value.boolean = true;
            break;
        case 'f':
            literal("false");
            value.type = json_value::kind::boolean;
            break;
        case 'n':
            literal("null");
            break;
        default:
            if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
                value.type = json_value::kind::number;
                value.number = parse_number();
            } else {
                fail("expected a value" + describe_here());
            }
        }
        return value;
    }

    void literal(std::string_view word) {
        if (m_text.substr(m_position, word.size()) != word) {
            fail("expected a value" + describe_here());
        }
        m_position += word.size();
    }

    // The elements of an object or array from its opening bracket on: element() reads each,
    // commas separate them, `close` ends them (`what` names the expected separator in errors).
    template <class Element>
    void parse_elements(char close, const char* what, Element element) {
        ++m_position; // the opening bracket
        skip_space();
        if (peek() == close) {
            ++m_position;
            return;
        }
        while (true) {
            skip_space();
            element();
            skip_space();
            if (peek() != ',') {
                expect(close, what);
                return;
            }
            ++m_position;
        }
    }

    void parse_object(json_value& value, int depth) {
        value.type = json_value::kind::object;
        parse_elements('}', "',' or '}' in an object", [&] {
            const std::size_t key_position = m_position;
            if (peek() != '"') {
                fail("expected a member name in double quotes" + describe_here());
            }
            std::string key = parse_string();
            if (value.member(key) != nullptr) {
                fail_at(key_position, "duplicate member name \"" + to_valid_utf8(key) + "\"");
            }
            skip_space();
            expect(':', "':' after a member name");
            skip_space();
            json_value member = parse_value(depth + 1);
            value.keys.push_back(std::move(key));
            value.values.push_back(std::move(member));
        });
    }

    void parse_array(json_value& value, int depth) {
        value.type = json_value::kind::array;
        parse_elements(']', "',' or ']' in an array", [&] { value.items.push_back(parse_value(depth + 1)); });
    }

    double parse_number() {
        const std::size_t start = m_position;
        const auto digits = [&] {
            const std::size_t from = m_position;
            while (!at_end() && peek() >= '0' && peek() <= '9') {
                ++m_position;
            }
            return m_position - from;
        };
        if (peek() == '-') {
            ++m_position;
        }
        if (peek() == '0') {
            ++m_position;
            if (!at_end() && peek() >= '0' && peek() <= '9') {
                fail("a number has a leading zero");
            }
        } else if (digits() == 0) {
            fail("expected a digit" + describe_here());
        }
        if (peek() == '.') {
            ++m_position;
            if (digits() == 0) {
                fail("expected a digit after '.'" + describe_here());
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            ++m_position;
            if (peek() == '+' || peek() == '-') {
                ++m_position;
            }
            if (digits() == 0) {
                fail("expected a digit in the exponent" + describe_here());
            }
        }
        double number = 0.0;
        const char* first = m_text.data() + start;
        const char* last = m_text.data() + m_position;
        const auto [end, error] = std::from_chars(first, last, number);
        if (error == std::errc::result_out_of_range) {
            fail_at(start, "the number " + std::string(first, last) + " is out of the range of a double");
        }
        if (error != std::errc() || end != last) {
            fail_at(start, "cannot read the number " + std::string(first, last));
        }
        return number;
    }

    unsigned hex4() {
        unsigned code = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = peek();
            unsigned digit = 0;
            if (c >= '0' && c <= '9') {
                digit = static_cast<unsigned>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                digit = static_cast<unsigned>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                digit = static_cast<unsigned>(c - 'A' + 10);
            } else {
                fail("expected 4 hexadecimal digits after \\u" + describe_here());
            }
            code = code * 16U + digit;
            ++m_position;
        }
        return code;
    }

    static void append_utf8(std::string& out, unsigned code) {
        if (code < 0x80U) {
            out += static_cast<char>(code);
        } else if (code < 0x800U) {
            out += static_cast<char>(0xC0U | (code >> 6U));
            out += static_cast<char>(0x80U | (code & 0x3FU));
        } else if (code < 0x10000U) {
            out += static_cast<char>(0xE0U | (code >> 12U));
            out += static_cast<char>(0x80U | ((code >> 6U) & 0x3FU));
            out += static_cast<char>(0x80U | (code & 0x3FU));
        } else {
            out += static_cast<char>(0xF0U | (code >> 18U));
            out += static_cast<char>(0x80U | ((code >> 12U) & 0x3FU));
            out += static_cast<char>(0x80U | ((code >> 6U) & 0x3FU));
            out += static_cast<char>(0x80U | (code & 0x3FU));
        }
    }

    std::string parse_string() {
        ++m_position; // "
        std::string out;
        while (true) {
            if (at_end()) {
                fail("unterminated string");
            }
            const char c = peek();
            if (c == '"') {
                ++m_position;
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20U) {
                fail("a control character (byte 0x" + to_hex(m_text.substr(m_position, 1)) +
                     ") in a string must be escaped");
            }
            if (c != '\\') {
                const std::size_t length = utf8_sequence_length(m_text.substr(m_position));
                if (length == 0) {
                    fail("invalid UTF-8 in a string (byte 0x" + to_hex(m_text.substr(m_position, 1)) + ")");
                }
                out.append(m_text.substr(m_position, length));
                m_position += length;
                continue;
            }
            const std::size_t escape_position = m_position;
            ++m_position;
            const char e = peek();
            ++m_position;
            switch (e) {
            case '"':
            case '\\':
            case '/':
                out += e;
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                unsigned code = hex4();
                if (code >= 0xD800U && code <= 0xDBFFU) {
                    if (m_text.substr(m_position, 2) != "\\u") {
                        fail_at(escape_position, "a high surrogate \\u escape without its low surrogate");
                    }
                    m_position += 2;
                    const unsigned low = hex4();
                    if (low < 0xDC00U || low > 0xDFFFU) {
                        fail_at(escape_position, "a high surrogate \\u escape without its low surrogate");
                    }
                    code = 0x10000U + ((code - 0xD800U) << 10U) + (low - 0xDC00U);
                } else if (code >= 0xDC00U && code <= 0xDFFFU) {
                    fail_at(escape_position, "a lone low surrogate \\u escape");
                }
                append_utf8(out, code);
                break;
            }
            default:
                fail_at(escape_position, "unknown escape in a string");
            }
        }
    }

    std::string_view m_text;
    std::string m_source;
    std::size_t m_position = 0;
    // Line counting for value positions: lines before m_line_scan, and where the last one starts.
    std::size_t m_line_scan = 0;
    std::int64_t m_lines_before = 0;
    std::size_t m_line_start = 0;
};

} // namespace detail

// Parses `text` as one JSON value; errors name `source` (a file name), the line and column.
[[nodiscard]] inline json_value parse_json(std::string_view text, const std::string& source) {
    return detail::json_parser(text, source).parse_document();
}

} // namespace codelength::cli
