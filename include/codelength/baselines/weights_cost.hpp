// L(model) of a two-part code as the zstd -19 size of a weights file (the two-part code's L(model)), the
// generic-compressor counterpart of weights_file_cost_bytes_codelength. Part of
// codelength::baselines (links zstd).
//
//   const auto cost = codelength::model_cost::from_weights_file_bytes(
//       codelength::weights_file_cost_bytes_zstd("model.safetensors"));
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "codelength/baselines/baselines.hpp"
#include "codelength/core/config.hpp"
#include "codelength/metrics/mdl_weights.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Size in bytes of the zstd -19 frame of the weights file at `path` (zstd_19_bytes).
// Throws io_error naming the path when it cannot be read.
[[nodiscard]] inline std::uint64_t weights_file_cost_bytes_zstd(const std::filesystem::path& path) {
    const std::vector<std::uint8_t> bytes = read_weights_file_bytes(path);
    return zstd_19_bytes(bytes);
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
