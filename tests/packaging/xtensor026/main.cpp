// Proves that codelength/adapters/xtensor.hpp includes xtensor through the 0.26 paths when
// they exist (see CMakeLists.txt), then scores a 2 x 4 xtensor through the adapter.
#include "codelength/adapters/xtensor.hpp"
#include "codelength/codelength.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>

#if !defined(CODELENGTH_FAKE_XTENSOR_026_XADAPT) || !defined(CODELENGTH_FAKE_XTENSOR_026_XARRAY) ||          \
    !defined(CODELENGTH_FAKE_XTENSOR_026_XTENSOR) || !defined(CODELENGTH_FAKE_XTENSOR_026_XEXPRESSION) ||    \
    !defined(CODELENGTH_FAKE_XTENSOR_026_XSTRIDED_VIEW)
#error "xtensor_compat.hpp did not include every xtensor header through its 0.26 path"
#endif

int main() {
    // Uniform rows over 4 symbols: 2 bits per target.
    xt::xtensor<float, 2> logits = xt::zeros<float>({2, 4});
    const std::array<std::int64_t, 2> targets{1, 3};
    const auto result =
        codelength::score_logits(codelength::as_matrix_view(logits), std::span<const std::int64_t>(targets));
    const double bits = result.ledger.total_bits();
    std::printf("xtensor 0.26 layout: %.6f bits\n", bits);
    return std::fabs(bits - 4.0) < 1e-9 ? 0 : 1;
}
