// L(model) of a two-part code as the real compressed size of a weights file, coded with the
// library's own context-mixing byte coder (two-part code L(model) + L(data | model), Rissanen 1978;
// compress/byte_codec.hpp). The zstd -19 counterpart is baselines/weights_cost.hpp (it links zstd).
//
//   const auto cost = codelength::model_cost::from_weights_file_bytes(
//       codelength::weights_file_cost_bytes_codelength("model.safetensors"));
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "codelength/compress/byte_codec.hpp"
#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// The whole file at `path` as bytes. Throws io_error naming the path when it cannot be read.
[[nodiscard]] inline std::vector<std::uint8_t> read_weights_file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw io_error(path.string() + ": cannot open for reading");
    }
    std::vector<std::uint8_t> bytes;
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        bytes.insert(bytes.end(), reinterpret_cast<const std::uint8_t*>(buffer),
                     reinterpret_cast<const std::uint8_t*>(buffer) + in.gcount());
    }
    if (in.bad()) {
        throw io_error(path.string() + ": read failed");
    }
    return bytes;
}

// Size in bytes of the weights file at `path` compressed by compress_bytes with `options`
// (default: the context-mixing model), container header included: the bytes a decoder needs.
[[nodiscard]] inline std::uint64_t
weights_file_cost_bytes_codelength(const std::filesystem::path& path,
                                   const compression_options& options = {}) {
    const std::vector<std::uint8_t> bytes = read_weights_file_bytes(path);
    return compress_bytes(bytes, options).bytes.size();
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
