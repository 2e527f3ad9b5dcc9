// The exception hierarchy: every invalid input raises a codelength::error subtype whose
// message names where the problem is (file, row, byte offset).
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "codelength/core/config.hpp"
#include "codelength/core/row_fault.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

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

// Why a kernel cannot use a row of logits: a NaN or +inf logit at `column`, or every logit -inf
// (the fault kinds of core/row_fault.hpp, so the dispatch units pass it on unchanged).
struct row_refusal {
    using reason = kernel_abi::fault_kind;
    reason why = reason::bad_logit;
    std::int64_t column = -1;
    double value = 0.0;
};

// invalid_row_error's text for a refusal: "NaN logit at column 7", "every logit is -inf".
[[nodiscard]] inline std::string row_refusal_message(const row_refusal& refusal) {
    switch (refusal.why) {
    case row_refusal::reason::bad_logit:
        return std::string(std::isnan(refusal.value) ? "NaN" : "+inf") + " logit at column " +
               std::to_string(refusal.column);
    case row_refusal::reason::all_minus_infinity:
        return "every logit is -inf";
    case row_refusal::reason::none:
    case row_refusal::reason::internal:
    case row_refusal::reason::out_of_memory:
        break;
    }
    return "internal error: the quantized CDF does not hold the value";
}

// Refuses row `row_index`. The units of codelength::dispatch (CODELENGTH_KERNEL_UNIT) throw the
// refusal itself, which they hand back to their caller, who throws the invalid_row_error: they
// build no strings (whose std:: functions, compiled there for a wider instruction set, would be
// weak symbols the linker could pick for the rest of the program).
[[noreturn]] inline void refuse_row(std::int64_t row_index, const row_refusal& refusal) {
#if defined(CODELENGTH_KERNEL_UNIT)
    (void)row_index;
    throw refusal;
#else
    throw invalid_row_error(row_index, row_refusal_message(refusal));
#endif
}

// "1 byte", "2 bytes": a count and its noun, for messages.
template <std::integral Count>
[[nodiscard]] std::string count_noun(Count count, const char* singular, const char* plural) {
    return std::to_string(count) + " " + (count == 1 ? singular : plural);
}

} // namespace detail

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
