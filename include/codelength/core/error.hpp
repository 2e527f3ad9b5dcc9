// The exception hierarchy: every invalid input raises a codelength::error subtype whose
// message names where the problem is (file, row, byte offset).
#pragma once

#include "codelength/core/config.hpp"
#include <concepts>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace codelength::inline v0 {

// Base of every exception the library throws on invalid input.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A caller-supplied argument is invalid (empty vocabulary, k outside (0, 100], ...).
class invalid_argument_error : public error {
public:
    using error::error;
};

// A row of logits cannot be scored: it holds NaN or +inf, or every entry is -inf.
class invalid_row_error : public error {
public:
    invalid_row_error(std::int64_t row, const std::string& what)
        : error("row " + std::to_string(row) + ": " + what), m_row(row) {}
    // The zero-based index of the offending row.
    [[nodiscard]] std::int64_t row() const noexcept { return m_row; }

private:
    std::int64_t m_row;
};

// A target token id is >= the vocabulary size.
class target_out_of_range_error : public error {
public:
    target_out_of_range_error(std::int64_t row, std::int64_t target, std::int64_t vocabulary_size)
        : error("row " + std::to_string(row) + ": target " + std::to_string(target) +
                " is outside the vocabulary [0, " + std::to_string(vocabulary_size) + ")"),
          m_row(row) {}
    // The zero-based index of the offending row.
    [[nodiscard]] std::int64_t row() const noexcept { return m_row; }

private:
    std::int64_t m_row;
};

// A file is malformed (bad header, truncated, unsupported dtype); the message names the
// file and the byte offset.
class format_error : public error {
public:
    using error::error;
};

// The operating system refused a file operation (open, map, rename).
class io_error : public error {
public:
    using error::error;
};

namespace detail {

// "1 byte", "2 bytes": a count and its noun, for messages.
template <std::integral Count>
[[nodiscard]] std::string count_noun(Count count, const char* singular, const char* plural) {
    return std::to_string(count) + " " + (count == 1 ? singular : plural);
}

} // namespace detail

} // namespace codelength::inline v0
