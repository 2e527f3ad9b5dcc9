// What one decoded input may cost: the one set of limits every decoder of untrusted input takes
// (decode_sequence, decode_top_k_sequence, decompress_bytes), checked against the validated
// header before anything is allocated or decoded. Exceeding one throws stream_limit_error.
//
//   codelength::decoding_limits limits{.max_symbols = 1'000'000};
//   auto tokens = codelength::decode_sequence(model, stream, {.limits = limits});
//   auto data = codelength::decompress_bytes(file, {}, {.max_output_bytes = 1 << 30, .max_memory_mib = 64});
//
// The defaults are finite: a stream of a few bytes can legitimately hold hundreds of millions
// of symbols under a confident model (each costs a fraction of a bit), so no check of the
// header against the payload can stop it; only a limit can. Raise them for inputs you trust.
#pragma once

#include "codelength/core/config.hpp"

#include <cstdint>

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Limits on what one input may make a decoder produce and allocate.
struct decoding_limits {
    // The most symbols a sequence stream may decode to (each costs 8 bytes of output and
    // about 0.5 us of decoding): 2^28 = 268,435,456, 2 GiB of int64 tokens. A replayed logits
    // matrix bounds the count by its rows as well.
    std::uint64_t max_symbols = std::uint64_t{1} << 28U;
    // The most bytes a compressed file may decompress to: 2^31, 2 GiB.
    std::uint64_t max_output_bytes = std::uint64_t{1} << 31U;
    // The most MiB of model tables a compressed file may make the decoder build (the
    // context-mixing model's maximum, 1024 MiB; a PPM file coded with more needs a higher limit).
    std::uint32_t max_memory_mib = 1024;
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
