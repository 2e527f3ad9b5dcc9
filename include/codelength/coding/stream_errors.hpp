// Why a coded stream was refused: one format_error subtype per failure, each naming the byte
// offset (from the start of the stream) where the problem was found.
#pragma once

#include <cstdint>
#include <string>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// Base of every stream decoding failure; what() is "byte offset N: <reason>".
class stream_error : public format_error {
public:
    stream_error(std::uint64_t byte_offset, const std::string& what)
        : format_error("byte offset " + std::to_string(byte_offset) + ": " + what),
          m_byte_offset(byte_offset) {}
    // Where in the stream the problem was found (0 = first byte).
    [[nodiscard]] std::uint64_t byte_offset() const noexcept { return m_byte_offset; }

private:
    std::uint64_t m_byte_offset;
};

// The stream does not start with the magic bytes "CLEN": not a codelength stream.
class stream_magic_error : public stream_error {
public:
    using stream_error::stream_error;
};

// The format version byte names a version this build cannot read.
class stream_version_error : public stream_error {
public:
    using stream_error::stream_error;
};

// The header is damaged: its checksum fails, or a field holds an impossible value.
class stream_header_error : public stream_error {
public:
    using stream_error::stream_error;
};

// The stream was encoded with another model (kind, element type, vocabulary size, precision
// or fingerprint differ, or the model cannot produce as many rows as the stream holds).
class stream_model_mismatch_error : public stream_error {
public:
    using stream_error::stream_error;
};

// The stream ends before the header or the payload it announces.
class stream_truncated_error : public stream_error {
public:
    using stream_error::stream_error;
};

// Bytes follow the end of the payload the header announces.
class stream_trailing_bytes_error : public stream_error {
public:
    using stream_error::stream_error;
};

// The payload does not decode: the decoder needs bytes beyond it, stops short of its end, or
// yields a symbol the model cannot have produced.
class stream_payload_error : public stream_error {
public:
    using stream_error::stream_error;
};

// A checksum fails: the payload's (before decoding) or the decoded symbols' (after).
class stream_checksum_error : public stream_error {
public:
    using stream_error::stream_error;
};

// The header is valid but asks for more than the caller allows (output size, model memory):
// refused before anything is allocated or decoded.
class stream_limit_error : public stream_error {
public:
    using stream_error::stream_error;
};

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
