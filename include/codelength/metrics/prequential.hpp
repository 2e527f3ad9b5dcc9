// The prequential (online) code length of bytes under an adaptive model: the sum of -log2 p of
// each byte (or each bit, MSB first, for a binary model) predicted before the model learns it.
// It is what an arithmetic coder driven by the model spends, up to the coder's termination.
//
//   codelength::ppm_model model;
//   const double bits = codelength::prequential_code_length_bits(model, bytes);
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <span>

#include "codelength/coding/frequency_model.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/model_concepts.hpp"
#include "codelength/numerics/row_kernel.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Sum of -log2 p(byte_t | bytes_<t) in bits as `model` learns `bytes` (it is updated).
// A frequency_byte_model is scored by its integer frequencies (p = f / total); a binary model
// bit by bit with p1 clamped to [1, 2^B - 1] as the byte codec does; another adaptive
// categorical model (vocabulary >= 256) by its row, renormalized.
template <class Model>
[[nodiscard]] double prequential_code_length_bits(Model& model, std::span<const std::uint8_t> bytes) {
    if constexpr (frequency_byte_model<Model>) {
        std::array<std::uint32_t, 256> freq{};
        double bits = 0;
        for (const std::uint8_t byte : bytes) {
            const std::uint32_t total = model.next_frequencies(freq);
            bits += std::log2(static_cast<double>(total) / static_cast<double>(freq[byte]));
            model.update(static_cast<std::int64_t>(byte));
        }
        return bits;
    } else if constexpr (binary_model<Model>) {
        constexpr int b = model_probability_bits_v<Model>;
        constexpr std::uint64_t one = std::uint64_t{1} << b;
        double bits = 0;
        for (const std::uint8_t byte : bytes) {
            model_prefetch_byte(model, byte);
            for (int k = 7; k >= 0; --k) {
                const int bit = (byte >> static_cast<unsigned>(k)) & 1;
                std::uint64_t p1 = model_p1(model);
                p1 = p1 < 1 ? 1 : (p1 > one - 1 ? one - 1 : p1);
                const std::uint64_t p = bit != 0 ? p1 : one - p1;
                bits += static_cast<double>(b) - std::log2(static_cast<double>(p));
                model_update_bit(model, bit);
            }
        }
        return bits;
    } else {
        static_assert(check_sequential_categorical_model<Model>());
        double bits = 0;
        std::int64_t position = 0;
        for (const std::uint8_t byte : bytes) {
            bits += compute_row_statistics(model_next_row(model), byte, position++).target_surprisal_bits();
            model_update(model, static_cast<std::int64_t>(byte));
        }
        return bits;
    }
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
