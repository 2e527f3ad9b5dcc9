// The names of the built-in byte models ("cm", "ppm", "order0") as `codelength compress --model`
// and the Python package's compress(model=...) accept them.
#pragma once

#include <optional>
#include <string_view>

#include "codelength/compress/byte_codec.hpp"
#include "codelength/core/config.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// The name of a byte model kind: "cm", "ppm" or "order0" ("?" for a value outside the enum).
[[nodiscard]] inline const char* byte_model_name(byte_model_kind kind) noexcept {
    switch (kind) {
    case byte_model_kind::cm:
        return "cm";
    case byte_model_kind::ppm:
        return "ppm";
    case byte_model_kind::order0:
        return "order0";
    }
    return "?";
}

// The byte model kind a name selects ("cm", "ppm" or "order0"); std::nullopt for any other name.
//   byte_model_named("ppm") == byte_model_kind::ppm
[[nodiscard]] inline std::optional<byte_model_kind> byte_model_named(std::string_view name) noexcept {
    for (const byte_model_kind kind : {byte_model_kind::cm, byte_model_kind::ppm, byte_model_kind::order0}) {
        if (name == byte_model_name(kind)) {
            return kind;
        }
    }
    return std::nullopt;
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
