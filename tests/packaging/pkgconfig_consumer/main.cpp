// Compiled by tests/packaging/pkgconfig_consumer.cmake with nothing but
// `c++ -std=c++20 $(pkg-config --cflags codelength)` (or `--cflags --libs codelength-dispatch`):
// scores a fixed sequence under a two-symbol model and checks the code length against the
// closed form; with codelength-dispatch, also the run-time kernels on every path.
#include <codelength/codelength.hpp>
#if defined(CODELENGTH_DISPATCH)
#include "../../consumers/dispatch_check.hpp"
#endif

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>

namespace {

// p(0) = 3/4, p(1) = 1/4 as logits log 3 and 0.
struct skewed_model {
    std::array<double, 2> logits{std::log(3.0), 0.0};
    [[nodiscard]] std::int64_t vocabulary_size() const { return 2; }
    [[nodiscard]] std::span<const double> next_logits() const { return logits; }
    void update(std::int64_t /*token*/) {}
};

} // namespace

int main() {
    const std::array<std::int64_t, 8> tokens{0, 0, 1, 0, 0, 0, 1, 0};
    skewed_model model;
    const auto ledger = codelength::score_sequence(model, std::span<const std::int64_t>(tokens));
    const double expected = 6.0 * -std::log2(0.75) + 2.0 * -std::log2(0.25);
#if defined(CODELENGTH_USE_XSIMD)
    const char* kernels = "xsimd";
#else
    const char* kernels = "scalar";
#endif
    std::printf("pkg-config consumer (codelength %s, %s kernels): %.12f bits, expected %.12f\n",
                codelength::version_string, kernels, ledger.total_bits(), expected);
    if (std::strcmp(codelength::version_string, CONSUMER_EXPECTED_VERSION) != 0) {
        std::fprintf(stderr, "header version %s, pkg-config version %s\n", codelength::version_string,
                     CONSUMER_EXPECTED_VERSION);
        return 1;
    }
    if (!(std::fabs(ledger.total_bits() - expected) <= 1e-9 * expected)) {
        return 1;
    }
#if defined(CODELENGTH_DISPATCH)
    const auto score_on_active_path = [&tokens] {
        skewed_model fresh;
        return codelength::score_sequence(fresh, std::span<const std::int64_t>(tokens)).total_bits();
    };
    if (consumer::check_dispatch("pkg-config consumer", score_on_active_path,
                                 static_cast<std::int64_t>(tokens.size())) != 0) {
        return 1;
    }
#endif
    return 0;
}
