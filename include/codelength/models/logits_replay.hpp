// Precomputed logits as a model: a T x V matrix (from any framework, read in place) replayed
// row by row, so anything that scores or codes a sequential model also scores a logits dump.
#pragma once

#include <cstdint>
#include <string>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/matrix_view.hpp"
#include "codelength/core/model_concepts.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// A sequential categorical model whose context is a row index: next_logits() is row r of the
// matrix and update(token) moves to row r + 1. Zero-copy: it keeps only the view, so the
// matrix must outlive it. Row r is the distribution of the token that update() receives next
// (the caller aligns logits and tokens, e.g. logits[:-1] against tokens[1:]).
//   codelength::logits_replay model(codelength::matrix_view<float>::row_major(p, T, V));
//   auto ledger = codelength::score_sequence(model, tokens); // tokens.size() <= T
template <row_element Element>
class logits_replay {
public:
    // Throws invalid_argument_error for a negative shape, an empty vocabulary or a null pointer.
    explicit logits_replay(matrix_view<Element> logits) : m_logits(logits) {
        if (logits.rows < 0 || logits.columns < 1) {
            throw invalid_argument_error(
                "logits_replay: the matrix must have rows >= 0 and columns >= 1, got " +
                std::to_string(logits.rows) + " x " + std::to_string(logits.columns));
        }
        if (logits.rows > 0 && logits.data == nullptr) {
            throw invalid_argument_error("logits_replay: null data pointer for a non-empty matrix");
        }
    }

    // V, the number of columns.
    [[nodiscard]] std::int64_t vocabulary_size() const noexcept { return m_logits.columns; }

    // The current row (a view into the matrix). Throws invalid_argument_error past the last row.
    [[nodiscard]] strided_row<Element> next_logits() const {
        if (m_position >= m_logits.rows) {
            throw invalid_argument_error("logits_replay: no row " + std::to_string(m_position) +
                                         " to replay (the matrix has " + std::to_string(m_logits.rows) +
                                         " rows)");
        }
        return m_logits.row(m_position);
    }

    // Moves to the next row. Throws target_out_of_range_error when token is outside
    // [0, V) and invalid_argument_error past the last row; the position is then unchanged.
    void update(std::int64_t token) {
        if (m_position >= m_logits.rows) {
            throw invalid_argument_error("logits_replay: update at row " + std::to_string(m_position) +
                                         " past the last row (the matrix has " +
                                         detail::count_noun(m_logits.rows, "row", "rows") + ")");
        }
        if (token < 0 || token >= m_logits.columns) {
            throw target_out_of_range_error(m_position, token, m_logits.columns);
        }
        ++m_position;
    }

    // The index of the row next_logits() returns.
    [[nodiscard]] std::int64_t position() const noexcept { return m_position; }
    // T, the number of rows.
    [[nodiscard]] std::int64_t rows() const noexcept { return m_logits.rows; }
    // The replayed matrix.
    [[nodiscard]] matrix_view<Element> logits() const noexcept { return m_logits; }
    // Goes back to row 0.
    void rewind() noexcept { m_position = 0; }

private:
    matrix_view<Element> m_logits;
    std::int64_t m_position = 0;
};

template <class Element>
logits_replay(matrix_view<Element>) -> logits_replay<Element>;

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
