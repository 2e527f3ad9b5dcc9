// The byte-level tokenizer of byte models: token id = byte value, 256 ids, one byte per token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/core/tokenizer.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Tokens are the text's bytes (ids 0..255, V = 256), each covering 1 byte, so every text
// round-trips and bits per token equals bits per byte. The beginning-of-sequence id is 0
// (byte models predict their first byte from a NUL context by convention).
//   codelength::byte_tokenizer bytes;
//   auto t = bytes.encode("hé");  // ids {104, 195, 169}, token_bytes {1, 1, 1}
//   bytes.decode(t.ids) == "hé";
class byte_tokenizer {
public:
    static constexpr std::int64_t byte_vocabulary_size = 256;

    [[nodiscard]] static constexpr std::int64_t vocabulary_size() noexcept { return byte_vocabulary_size; }
    [[nodiscard]] static constexpr std::int64_t bos_id() noexcept { return 0; }

    // A fixed value naming this tokenizer in stream headers ("bytes_v1" in ASCII).
    [[nodiscard]] static constexpr std::uint64_t fingerprint() noexcept { return 0x62797465735f7631ULL; }

    // One token per byte: ids[i] = the byte value of text[i], token_bytes[i] = 1.
    [[nodiscard]] static tokenized_text encode(std::string_view text) {
        tokenized_text out;
        out.ids.resize(text.size());
        out.token_bytes.assign(text.size(), 1);
        for (std::size_t i = 0; i < text.size(); ++i) {
            out.ids[i] = static_cast<unsigned char>(text[i]);
        }
        return out;
    }

    // The bytes of ids; throws invalid_argument_error naming the first id outside [0, 256).
    [[nodiscard]] static std::string decode(std::span<const std::int64_t> ids) {
        std::string out(ids.size(), '\0');
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (ids[i] < 0 || ids[i] >= byte_vocabulary_size) {
                throw invalid_argument_error("byte_tokenizer::decode: token " + std::to_string(i) + ": id " +
                                             std::to_string(ids[i]) + " is not a byte (0..255)");
            }
            out[i] = static_cast<char>(static_cast<unsigned char>(ids[i]));
        }
        return out;
    }
};

static_assert(tokenizer<byte_tokenizer>);

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
