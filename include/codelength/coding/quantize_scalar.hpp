// The portable quantization kernel: plain loops over the fixed-point pipeline of
// quantize_fixed_point.hpp. It is the reference the SIMD kernel must match bit for bit.
#pragma once

#include <cstdint>
#include <limits>

#include "codelength/coding/quantize_fixed_point.hpp"
#include "codelength/core/config.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

// Where a kernel reads exponent steps: a contiguous run of float logits (steps computed on
// the fly against the row maximum) or steps computed beforehand (double rows).
struct logit_chunk {
    const float* logits = nullptr;
    float max_logit = 0.0F;
    [[nodiscard]] std::uint32_t step(std::int64_t i) const noexcept {
        return exponent_steps(logits[i], max_logit);
    }
};
struct step_chunk {
    const std::uint32_t* steps = nullptr;
    [[nodiscard]] std::uint32_t step(std::int64_t i) const noexcept { return steps[i]; }
};

// A chunk's maximum, and whether every entry is below +inf (false: NaN or +inf somewhere).
template <class Float>
struct maximum_scan {
    Float max = -std::numeric_limits<Float>::infinity();
    bool valid = true;
};

struct scalar_quantize_kernel {
    template <class Float>
    [[nodiscard]] static maximum_scan<Float> maximum(const Float* values, std::int64_t n) noexcept {
        maximum_scan<Float> result;
        for (std::int64_t i = 0; i < n; ++i) {
            const Float v = values[i];
            result.valid = result.valid && v < std::numeric_limits<Float>::infinity();
            result.max = v > result.max ? v : result.max;
        }
        return result;
    }

    // Sum of the weights of entries [begin, end) of the source.
    template <class Source>
    [[nodiscard]] static std::uint64_t sum_weights(const Source& source, std::int64_t begin,
                                                   std::int64_t end) noexcept {
        std::uint64_t total = 0;
        for (std::int64_t i = begin; i < end; ++i) {
            total += weight_of_steps(source.step(i));
        }
        return total;
    }

    // Writes the weights of entries [begin, end) to out[0, end - begin) and returns their sum.
    template <class Source>
    static std::uint64_t store_weights(const Source& source, std::int64_t begin, std::int64_t end,
                                       std::uint32_t* out) noexcept {
        std::uint64_t total = 0;
        for (std::int64_t i = begin; i < end; ++i) {
            const std::uint32_t w = weight_of_steps(source.step(i));
            out[i - begin] = w;
            total += w;
        }
        return total;
    }

    // In place: cdf[1..V] hold the weights w_0..w_{V-1} on entry and
    // cdf[i] = scale(w_0 + ... + w_{i-1}) + i on exit (the caller sets cdf[0] = 0).
    static void scan_cdf(std::uint32_t* cdf, std::int64_t vocabulary_size, const cdf_scale& scale) noexcept {
        std::uint64_t cumulative = 0;
        for (std::int64_t i = 1; i <= vocabulary_size; ++i) {
            cumulative += cdf[i];
            cdf[i] = static_cast<std::uint32_t>(scale.apply(cumulative)) + static_cast<std::uint32_t>(i);
        }
    }
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail
