// An adaptive order-0 byte model: one integer count per byte value, incremented by a fixed step
// and halved when their total passes a limit, so recent bytes weigh more. Integer only: the
// frequencies are bit-identical on every machine, so the model can drive the range coder.
//
//   codelength::order0_model model;
//   std::array<std::uint32_t, 256> freq{};
//   const std::uint32_t total = model.next_frequencies(freq);   // p(b) = freq[b] / total
//   model.update(byte);
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Tuning of order0_model (part of its fingerprint).
struct order0_options {
    std::uint32_t increment = 32;         // added to a byte's count when it is seen
    std::uint32_t total_limit = 1U << 16; // counts are halved (rounding up) once the total exceeds it
};

// Adaptive order-0 model over 256 byte values.
// Invariants: every count >= 1; total = sum of counts <= total_limit + increment < 2^30.
class order0_model {
public:
    static constexpr int frequency_total_bits = 30;

    explicit order0_model(const order0_options& options = {}) : m_options(options) {
        if (options.increment == 0 || options.increment > (1U << 20) || options.total_limit < 512 ||
            options.total_limit > (1U << 28)) {
            throw invalid_argument_error(
                "order-0 model: the count increment must be in [1, 2^20] and the total "
                "limit in [512, 2^28] (got " +
                std::to_string(options.increment) + ", " + std::to_string(options.total_limit) + ")");
        }
        m_counts.fill(1);
        m_total = 256;
    }

    [[nodiscard]] std::int64_t vocabulary_size() const noexcept { return 256; }

    // Fills out with the current counts (each >= 1) and returns their total.
    std::uint32_t next_frequencies(std::span<std::uint32_t, 256> out) const noexcept {
        for (std::size_t i = 0; i < 256; ++i) {
            out[i] = m_counts[i];
        }
        return m_total;
    }

    // ln(count / total) for each byte: the same distribution next_frequencies() codes with.
    [[nodiscard]] std::span<const double, 256> next_log_probabilities() noexcept {
        const double log_total = std::log(static_cast<double>(m_total));
        for (std::size_t i = 0; i < 256; ++i) {
            m_log_probabilities[i] = std::log(static_cast<double>(m_counts[i])) - log_total;
        }
        return m_log_probabilities;
    }

    // Learns byte `token`; throws invalid_argument_error outside [0, 255].
    void update(std::int64_t token) {
        if (token < 0 || token > 255) {
            throw invalid_argument_error("order-0 model: token " + std::to_string(token) +
                                         " is not a byte value in [0, 255]");
        }
        m_counts[static_cast<std::size_t>(token)] += m_options.increment;
        m_total += m_options.increment;
        if (m_total > m_options.total_limit) {
            m_total = 0;
            for (auto& count : m_counts) {
                count = (count + 1) / 2; // stays >= 1
                m_total += count;
            }
        }
    }

    // Identifies the model and its options (not its learned state).
    [[nodiscard]] std::uint64_t fingerprint() const noexcept {
        return 0x6f72646572305f31ULL ^ (std::uint64_t{m_options.increment} << 32U) ^ m_options.total_limit;
    }

    [[nodiscard]] const order0_options& options() const noexcept { return m_options; }

private:
    order0_options m_options;
    std::array<std::uint32_t, 256> m_counts{};
    std::uint32_t m_total = 0;
    std::array<double, 256> m_log_probabilities{};
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
