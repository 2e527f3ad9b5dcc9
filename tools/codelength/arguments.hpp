// A small command-line parser: `--name value`, `--name=value`, `--flag` and one-letter
// aliases (`-o value`, `-f`), each option declared once with a placeholder for its value and
// its help text; `-h` and `--help` on every command; unknown options and missing values are
// usage errors. Conventions for every command: placeholders say what they want (FILE, N,
// PERCENT, MIB, BYTES), ranges are written [low, high] (closed) or (low, high] (half-open).
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "number_format.hpp"

namespace codelength::cli {

// A mistake in how the command was called (exit status 2, with the usage text).
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class arguments {
public:
    // Declares an option that takes a value, with the placeholder its help shows for the value
    // (FILE, N, PERCENT, MIB, BYTES, ...) and optionally a one-letter alias (`-o`):
    // `args.option("threads", "N", "threads for the row kernel")` shows `--threads N`.
    arguments& option(std::string name, std::string placeholder, std::string help, char alias = '\0') {
        m_declared.push_back({std::move(name), std::move(placeholder), std::move(help), true, alias});
        return *this;
    }
    // An option whose placeholder is its name in capitals (`--seed SEED`), as argparse does.
    arguments& option(std::string name, std::string help, char alias = '\0') {
        std::string placeholder;
        for (const char c : name) {
            placeholder += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        return option(std::move(name), std::move(placeholder), std::move(help), alias);
    }
    // Declares a flag (no value), optionally with a one-letter alias (`help` always has `-h`).
    arguments& flag(std::string name, std::string help, char alias = '\0') {
        if (name == "help") {
            alias = 'h';
        }
        m_declared.push_back({std::move(name), std::string(), std::move(help), false, alias});
        return *this;
    }

    // Parses argv[first..argc); positional arguments are kept in order.
    void parse(int argc, char** argv, int first) {
        for (int i = first; i < argc; ++i) {
            std::string_view word = argv[i];
            const bool is_alias = word.size() == 2 && word[0] == '-' && word[1] != '-';
            if (!is_alias && (word.size() < 3 || word.substr(0, 2) != "--")) {
                m_positional.emplace_back(word);
                continue;
            }
            std::string name(word.substr(is_alias ? 1 : 2));
            std::optional<std::string> value;
            if (const auto equals = name.find('='); !is_alias && equals != std::string::npos) {
                value = name.substr(equals + 1);
                name.resize(equals);
            }
            const declared* d = is_alias ? find_alias(word[1]) : find(name);
            if (d == nullptr) {
                throw usage_error("unknown option " + std::string(is_alias ? "-" : "--") + name);
            }
            name = d->name;
            if (d->takes_value && !value) {
                if (i + 1 >= argc) {
                    throw usage_error("--" + name + " needs a value");
                }
                value = argv[++i];
            }
            if (!d->takes_value && value) {
                throw usage_error("--" + name + " takes no value");
            }
            if (m_values.count(name) != 0) {
                throw usage_error("--" + name + " given twice");
            }
            m_values[name] = value.value_or("");
        }
    }

    [[nodiscard]] bool has(const std::string& name) const { return m_values.count(name) != 0; }
    [[nodiscard]] std::optional<std::string> get(const std::string& name) const {
        const auto it = m_values.find(name);
        return it == m_values.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    // The value of a required option.
    [[nodiscard]] std::string required(const std::string& name) const {
        auto value = get(name);
        if (!value) {
            throw usage_error("--" + name + " is required");
        }
        return *value;
    }
    // An integer option within [low, high].
    [[nodiscard]] std::int64_t integer(const std::string& name, std::int64_t fallback, std::int64_t low,
                                       std::int64_t high) const {
        const auto value = get(name);
        if (!value) {
            return fallback;
        }
        std::size_t used = 0;
        std::int64_t parsed = 0;
        try {
            parsed = std::stoll(*value, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != value->size() || parsed < low || parsed > high) {
            throw usage_error("--" + name + " must be an integer in " + closed_range(low, high) + ", got '" +
                              *value + "'");
        }
        return parsed;
    }
    // A floating-point option in the half-open interval (low, high].
    [[nodiscard]] double number(const std::string& name, double fallback, double low, double high) const {
        const auto value = get(name);
        if (!value) {
            return fallback;
        }
        std::size_t used = 0;
        double parsed = 0.0;
        try {
            parsed = std::stod(*value, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != value->size() || !(parsed > low && parsed <= high)) {
            throw usage_error("--" + name + " must be a number in (" + format_shortest(low) + ", " +
                              format_shortest(high) + "], got '" + *value + "'");
        }
        return parsed;
    }
    [[nodiscard]] const std::vector<std::string>& positional() const noexcept { return m_positional; }

    // A closed integer range as the tool prints every range: "[8, 1024]".
    [[nodiscard]] static std::string closed_range(std::int64_t low, std::int64_t high) {
        return "[" + std::to_string(low) + ", " + std::to_string(high) + "]";
    }

    // One line per declared option.
    // With --help (-h): prints `usage` and the options on stdout and returns true (the command
    // then exits with status 0).
    bool print_help_if_asked(const char* usage) const {
        if (!has("help")) {
            return false;
        }
        std::fputs(usage, stdout);
        std::fputs(help().c_str(), stdout);
        return true;
    }
    // A usage error when the command was given positional arguments it does not take.
    void reject_positional() const {
        if (!m_positional.empty()) {
            throw usage_error("unexpected argument '" + m_positional.front() + "'");
        }
    }

    [[nodiscard]] std::string help() const {
        std::string text;
        for (const auto& d : m_declared) {
            std::string left = std::string(d.alias != '\0' ? "  -" + std::string(1, d.alias) + ", " : "  ") +
                               "--" + d.name + (d.takes_value ? " " + d.placeholder : "");
            left.resize(std::max<std::size_t>(left.size() + 2, 26), ' ');
            text += left + d.help + "\n";
        }
        return text;
    }

private:
    struct declared {
        std::string name;
        std::string placeholder; // what the value is (FILE, N, ...); empty for a flag
        std::string help;
        bool takes_value;
        char alias;
    };
    [[nodiscard]] const declared* find(const std::string& name) const {
        for (const auto& d : m_declared) {
            if (d.name == name) {
                return &d;
            }
        }
        return nullptr;
    }
    [[nodiscard]] const declared* find_alias(char alias) const {
        for (const auto& d : m_declared) {
            if (alias != '\0' && d.alias == alias) {
                return &d;
            }
        }
        return nullptr;
    }
    std::vector<declared> m_declared;
    std::map<std::string, std::string> m_values;
    std::vector<std::string> m_positional;
};

} // namespace codelength::cli
