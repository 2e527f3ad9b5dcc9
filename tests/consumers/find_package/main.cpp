// A downstream program against an installed codelength: its own adaptive model, scored by the
// library and checked against the code length the program works out by hand.
#include <codelength/codelength.hpp>
#if defined(CONSUMER_WITH_BASELINES)
#include <codelength/baselines/baselines.hpp>
#endif
// CONSUMER_WITH_DISPATCH: linked to codelength::dispatch, which must define CODELENGTH_DISPATCH;
// otherwise linked to codelength::codelength alone, the headers-only path, which must not.
#if defined(CONSUMER_WITH_DISPATCH) != defined(CODELENGTH_DISPATCH)
#error "codelength::dispatch should define CODELENGTH_DISPATCH, and codelength::codelength alone should not"
#endif
#if defined(CODELENGTH_DISPATCH)
#include "../dispatch_check.hpp"
#else
#define CONSUMER_STRINGIFY_IMPL(x) #x
#define CONSUMER_STRINGIFY(x) CONSUMER_STRINGIFY_IMPL(x)
#endif

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <span>
#include <type_traits>
#include <vector>

// The API lives in the inline versioned namespace (codelength::v0 while the major version is
// 0), so codelength::x and codelength::v0::x name one entity, and a copy of another major
// version vendored into the same program has distinct names.
static_assert(CODELENGTH_VERSION_MAJOR == 0, "the consumer checks the v0 namespace");
static_assert(std::is_same_v<codelength::v0::error, codelength::error>);
static_assert(std::is_same_v<codelength::v0::code_length_ledger, codelength::code_length_ledger>);

namespace {

// Order-0 adaptive Krichevsky-Trofimov estimator: p(a) = (n_a + 1/2) / (n + V/2), offered as
// logits log(n_a + 1/2) (the softmax renormalizes, so the shared denominator is not needed).
class kt_order0_model {
public:
    explicit kt_order0_model(std::int64_t vocabulary)
        : m_counts(static_cast<std::size_t>(vocabulary), 0), m_logits(static_cast<std::size_t>(vocabulary)) {}

    [[nodiscard]] std::int64_t vocabulary_size() const { return static_cast<std::int64_t>(m_counts.size()); }

    [[nodiscard]] std::span<const float> next_logits() {
        for (std::size_t a = 0; a < m_counts.size(); ++a) {
            m_logits[a] = static_cast<float>(std::log(static_cast<double>(m_counts[a]) + 0.5));
        }
        return m_logits;
    }

    void update(std::int64_t token) { ++m_counts[static_cast<std::size_t>(token)]; }

    // The exact KT probability of `token` (for the float-rounding sanity check only).
    [[nodiscard]] double probability(std::int64_t token) const {
        const auto n = std::accumulate(m_counts.begin(), m_counts.end(), std::int64_t{0});
        return (static_cast<double>(m_counts[static_cast<std::size_t>(token)]) + 0.5) /
               (static_cast<double>(n) + 0.5 * static_cast<double>(m_counts.size()));
    }

private:
    std::vector<std::int64_t> m_counts;
    std::vector<float> m_logits;
};

// A skewed, deterministic sequence over `vocabulary` symbols (a small LCG, no <random>).
std::vector<std::int64_t> make_tokens(std::int64_t count, std::int64_t vocabulary) {
    std::vector<std::int64_t> tokens;
    std::uint32_t state = 12345U;
    for (std::int64_t i = 0; i < count; ++i) {
        state = state * 1664525U + 1013904223U;
        const auto u = static_cast<std::int64_t>(state >> 16U) % (vocabulary * vocabulary);
        tokens.push_back(
            static_cast<std::int64_t>(std::sqrt(static_cast<double>(u)))); // favours large symbols
    }
    return tokens;
}

// Relative agreement with the by-hand value: 1e-9 for double rows. Float rows may be scored by
// the SIMD kernel, which evaluates exp in float lanes (about 1 ULP = 6e-8 per term; up to
// 1.3e-8 relative seen on this sequence), so they get 1e-6 -- far below any formula error.
template <class Logit>
bool close(double a, double b) {
    const double tolerance = sizeof(Logit) >= sizeof(double) ? 1e-9 : 1e-6;
    return std::fabs(a - b) <= tolerance * std::fmax(std::fabs(a), std::fabs(b));
}

} // namespace

int main() {
    if (std::strcmp(codelength::version_string, CONSUMER_EXPECTED_VERSION) != 0) {
        std::fprintf(stderr, "header version %s != package version %s\n", codelength::version_string,
                     CONSUMER_EXPECTED_VERSION);
        return 1;
    }
    constexpr std::int64_t vocabulary = 6;
    const std::vector<std::int64_t> tokens = make_tokens(500, vocabulary);

    // By hand: replay a fresh model; -log2 softmax(logits)[token] in double, from the very
    // float logits the library sees, and the exact KT value as a float-rounding sanity check.
    double expected_bits = 0.0;
    double exact_kt_bits = 0.0;
    {
        kt_order0_model model(vocabulary);
        for (const auto token : tokens) {
            const auto logits = model.next_logits();
            double sum = 0.0;
            for (const float z : logits) {
                sum += std::exp(static_cast<double>(z));
            }
            expected_bits += (std::log(sum) - static_cast<double>(logits[static_cast<std::size_t>(token)])) /
                             std::log(2.0);
            exact_kt_bits -= std::log2(model.probability(token));
            model.update(token);
        }
    }

    kt_order0_model model(vocabulary);
    const codelength::code_length_ledger ledger =
        codelength::score_sequence(model, std::span<const std::int64_t>(tokens));
    const double total = ledger.total_bits();
    const std::int64_t n = ledger.tokens();

    std::printf("find_package consumer: %lld tokens, %.12f bits (by hand %.12f, exact KT %.12f)\n",
                static_cast<long long>(n), total, expected_bits, exact_kt_bits);
    if (n != static_cast<std::int64_t>(tokens.size())) {
        std::fprintf(stderr, "ledger counts %lld tokens, expected %zu\n", static_cast<long long>(n),
                     tokens.size());
        return 1;
    }
    if (!close<float>(total, expected_bits)) {
        std::fprintf(stderr, "code length mismatch: library %.17g bits, by hand %.17g bits\n", total,
                     expected_bits);
        return 1;
    }
    if (std::fabs(total - exact_kt_bits) > 1e-5 * exact_kt_bits) {
        std::fprintf(stderr, "code length %.17g bits is far from the exact KT %.17g bits\n", total,
                     exact_kt_bits);
        return 1;
    }
#if defined(CODELENGTH_DISPATCH)
    // The kernels chosen at run time: the widest path, and the same code length on every path.
    const auto score_on_active_path = [&tokens] {
        kt_order0_model fresh(vocabulary);
        return codelength::score_sequence(fresh, std::span<const std::int64_t>(tokens)).total_bits();
    };
    if (consumer::check_dispatch("find_package consumer", score_on_active_path, n) != 0) {
        return 1;
    }
#else
    std::printf("find_package consumer: headers only, kernels compiled as %s\n",
                CONSUMER_STRINGIFY(CODELENGTH_TARGET_NAMESPACE));
#endif
#if defined(CONSUMER_WITH_BASELINES)
    // codelength::baselines links the compressor libraries: a real gzip stream of the tokens.
    std::vector<std::uint8_t> bytes(tokens.size());
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        bytes[i] = static_cast<std::uint8_t>(tokens[i]);
    }
    const auto sizes = codelength::measure_baselines(bytes);
    std::printf("find_package consumer: gzip -9 %llu bytes, xz -9 %llu, zstd -19 %llu, brotli 11 %llu\n",
                static_cast<unsigned long long>(sizes.gzip_9), static_cast<unsigned long long>(sizes.xz_9),
                static_cast<unsigned long long>(sizes.zstd_19),
                static_cast<unsigned long long>(sizes.brotli_11));
    // 500 symbols of at most 3 bits each: every compressor beats the raw bytes, none reaches 0.
    for (const auto size : {sizes.gzip_9, sizes.xz_9, sizes.zstd_19, sizes.brotli_11}) {
        if (size == 0 || size >= bytes.size()) {
            std::fprintf(stderr, "implausible baseline size %llu for %zu bytes\n",
                         static_cast<unsigned long long>(size), bytes.size());
            return 1;
        }
    }
#endif
    return 0;
}
