// Scores four tokens under a uniform model over 4 symbols: exactly 2 bits each, with the
// kernels codelength::dispatch chose for this CPU.
#include <codelength/codelength.hpp>
#include <codelength/numerics/dispatch.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <span>

namespace {

struct uniform_model {
    std::array<float, 4> logits{};
    [[nodiscard]] std::int64_t vocabulary_size() const { return 4; }
    [[nodiscard]] std::span<const float> next_logits() const { return logits; }
    void update(std::int64_t /*token*/) {}
};

} // namespace

int main() {
    const std::array<std::int64_t, 4> tokens{0, 3, 1, 2};
    uniform_model model;
    const auto ledger = codelength::score_sequence(model, std::span<const std::int64_t>(tokens));
    std::printf("codelength %s (%s kernels): %.6f bits for %lld tokens\n", codelength::version_string,
                codelength::instruction_set_name(codelength::active_instruction_set()), ledger.total_bits(),
                static_cast<long long>(ledger.tokens()));
    const double error = ledger.total_bits() - 8.0;
    return error < 1e-9 && error > -1e-9 ? 0 : 1;
}
