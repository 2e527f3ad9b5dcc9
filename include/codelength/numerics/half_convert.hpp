// Widening of contiguous bfloat16 / float16 words to float, with the CPU's conversion
// instructions where the build enables them (AVX2, AVX-512, F16C) and exact bit
// manipulation otherwise. Every path gives the same floats.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__AVX2__) || defined(__F16C__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "codelength/core/config.hpp"
#include "codelength/core/half_types.hpp"

// GCC 12 reports AVX-512 intrinsics' deliberately undefined registers as uninitialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail {

// out[i] = float(in[i]) for i < n; bfloat16 words become the high half of a float.
inline void widen_16bit(const bfloat16* in, std::int64_t n, float* out) noexcept {
    std::int64_t i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16) {
        const __m256i words = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
        const __m512i wide = _mm512_slli_epi32(_mm512_cvtepu16_epi32(words), 16);
        _mm512_storeu_ps(out + i, _mm512_castsi512_ps(wide));
    }
#elif defined(__AVX2__)
    for (; i + 8 <= n; i += 8) {
        const __m128i words = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
        const __m256i wide = _mm256_slli_epi32(_mm256_cvtepu16_epi32(words), 16);
        _mm256_storeu_ps(out + i, _mm256_castsi256_ps(wide));
    }
#endif
    // The tail counted from 0: with `for (; i < n; ++i)` GCC 12 at -O3 for AVX2 derives an
    // impossible trip count when n is a known constant (-Waggressive-loop-optimizations).
    const std::int64_t tail = n - i;
    for (std::int64_t j = 0; j < tail; ++j) {
        out[i + j] = in[i + j].to_float();
    }
}

// out[i] = float(in[i]) for i < n, IEEE binary16 to binary32 (exact).
inline void widen_16bit(const float16* in, std::int64_t n, float* out) noexcept {
    std::int64_t i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16) {
        const __m256i words = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
        _mm512_storeu_ps(out + i, _mm512_cvtph_ps(words));
    }
#elif defined(__F16C__)
    for (; i + 8 <= n; i += 8) {
        const __m128i words = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(words));
    }
#endif
    // The tail counted from 0: with `for (; i < n; ++i)` GCC 12 at -O3 for AVX2 derives an
    // impossible trip count when n is a known constant (-Waggressive-loop-optimizations).
    const std::int64_t tail = n - i;
    for (std::int64_t j = 0; j < tail; ++j) {
        out[i + j] = in[i + j].to_float();
    }
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
