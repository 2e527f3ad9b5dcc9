// The logits every unit scores: a fixed linear congruential sequence (no <random> distribution,
// whose output may differ between standard libraries), with a confident token per row. Internal
// linkage (an unnamed namespace): as inline functions they would be one weak symbol for a.cpp's
// AVX-512 copy and b.cpp's baseline copy (the hazard this test is about, in the test's own code).
#pragma once

#include <cstdint>
#include <vector>

namespace link_order {
namespace {

constexpr std::int64_t rows = 64;
constexpr std::int64_t columns = 1000;

std::int64_t target(std::int64_t row) {
    return (row * 389 + 7) % columns;
}

std::vector<float> logits() {
    std::vector<float> z(static_cast<std::size_t>(rows * columns));
    std::uint64_t state = 20261206;
    for (std::size_t i = 0; i < z.size(); ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        z[i] = static_cast<float>(static_cast<double>(state >> 40U) / static_cast<double>(1U << 24U) * 12.0 -
                                  9.0);
        if (i % static_cast<std::size_t>(columns) == (i / static_cast<std::size_t>(columns) * 13) % columns) {
            z[i] = 9.5F;
        }
    }
    return z;
}

} // namespace
} // namespace link_order
