// A downstream program that vendors codelength with add_subdirectory: its own order-1 adaptive
// model (double logits), scored by the library and checked against the hand-computed value.
#include <codelength/codelength.hpp>
#if defined(CODELENGTH_DISPATCH) // linked to codelength::dispatch
#include "../dispatch_check.hpp"
#endif

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>
#include <type_traits>
#include <vector>

// The inline versioned namespace: codelength::error is codelength::v0::error.
static_assert(CODELENGTH_VERSION_MAJOR == 0, "the consumer checks the v0 namespace");
static_assert(std::is_same_v<codelength::v0::error, codelength::error>);

namespace {

// Order-1 Laplace (add-one) model: p(a | previous b) = (n_ba + 1) / (n_b + V), offered as
// logits log(n_ba + 1). The first token is coded in the context "previous = 0".
class laplace_order1_model {
public:
    explicit laplace_order1_model(std::int64_t vocabulary)
        : m_vocabulary(vocabulary), m_counts(static_cast<std::size_t>(vocabulary * vocabulary), 0),
          m_logits(static_cast<std::size_t>(vocabulary)) {}

    [[nodiscard]] std::int64_t vocabulary_size() const { return m_vocabulary; }

    [[nodiscard]] std::span<const double> next_logits() {
        for (std::int64_t a = 0; a < m_vocabulary; ++a) {
            m_logits[static_cast<std::size_t>(a)] = std::log(static_cast<double>(count(m_previous, a)) + 1.0);
        }
        return m_logits;
    }

    void update(std::int64_t token) {
        ++m_counts[static_cast<std::size_t>(m_previous * m_vocabulary + token)];
        m_previous = token;
    }

private:
    [[nodiscard]] std::int64_t count(std::int64_t previous, std::int64_t token) const {
        return m_counts[static_cast<std::size_t>(previous * m_vocabulary + token)];
    }

    std::int64_t m_vocabulary;
    std::int64_t m_previous = 0;
    std::vector<std::int64_t> m_counts;
    std::vector<double> m_logits;
};

bool close(double a, double b) {
    return std::fabs(a - b) <= 1e-9 * std::fmax(std::fabs(a), std::fabs(b));
}

} // namespace

int main() {
    constexpr std::int64_t vocabulary = 4;
    // A mostly periodic sequence 0 1 2 3 0 1 2 3 ... with a substitution every 7th token.
    std::vector<std::int64_t> tokens;
    for (std::int64_t i = 0; i < 400; ++i) {
        tokens.push_back(i % 7 == 6 ? (i * 3) % vocabulary : i % vocabulary);
    }

    // By hand: -log2 softmax(logits)[token] over a fresh model, in double.
    double expected_bits = 0.0;
    {
        laplace_order1_model model(vocabulary);
        for (const auto token : tokens) {
            const auto logits = model.next_logits();
            double sum = 0.0;
            for (const double z : logits) {
                sum += std::exp(z);
            }
            expected_bits -= std::log2(std::exp(logits[static_cast<std::size_t>(token)]) / sum);
            model.update(token);
        }
    }

    laplace_order1_model model(vocabulary);
    const codelength::code_length_ledger ledger =
        codelength::score_sequence(model, std::span<const std::int64_t>(tokens));
    const double total = ledger.total_bits();
    const std::int64_t n = ledger.tokens();

    std::printf("add_subdirectory consumer: %lld tokens, %.12f bits (by hand %.12f)\n",
                static_cast<long long>(n), total, expected_bits);
    if (n != static_cast<std::int64_t>(tokens.size())) {
        std::fprintf(stderr, "ledger counts %lld tokens, expected %zu\n", static_cast<long long>(n),
                     tokens.size());
        return 1;
    }
    if (!close(total, expected_bits)) {
        std::fprintf(stderr, "code length mismatch: library %.17g bits, by hand %.17g bits\n", total,
                     expected_bits);
        return 1;
    }
#if defined(CODELENGTH_DISPATCH)
    const auto score_on_active_path = [&tokens] {
        laplace_order1_model fresh(vocabulary);
        return codelength::score_sequence(fresh, std::span<const std::int64_t>(tokens)).total_bits();
    };
    if (consumer::check_dispatch("add_subdirectory consumer", score_on_active_path, n) != 0) {
        return 1;
    }
#endif
    return 0;
}
