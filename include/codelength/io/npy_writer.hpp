// Writing .npy files: format version 1.0, little-endian data, header padded so the data starts
// at a multiple of 64 bytes. The file is written to a temporary file in the same directory and
// renamed into place, so readers never see a half-written file; on any error the temporary
// file is removed.
#pragma once

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"
#include "codelength/io/mapped_file.hpp"
#include "codelength/io/npy_header.hpp"

#if CODELENGTH_IO_HAS_MMAP
#include <unistd.h> // fsync, fileno
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// The element order of the values handed to write_npy.
enum class npy_memory_order : std::uint8_t {
    c,       // row-major: the last index varies fastest
    fortran, // column-major: the first index varies fastest
};

namespace detail {

// The header text, padded with spaces and a '\n' so that preamble + header is a multiple of 64.
[[nodiscard]] inline std::string make_npy_header_text(npy_dtype dtype, std::span<const std::int64_t> shape,
                                                      npy_memory_order order, std::size_t preamble_bytes) {
    const char byte_order = npy_item_size_bytes(dtype) == 1 ? '|' : '<';
    std::string text = "{'descr': '";
    text += byte_order;
    text += npy_type_code(dtype);
    text += "', 'fortran_order': ";
    text += order == npy_memory_order::fortran ? "True" : "False";
    text += ", 'shape': " + npy_shape_string(shape) + ", }";
    constexpr std::size_t alignment_bytes = 64;
    // +1 for the terminating '\n'.
    const std::size_t unpadded = preamble_bytes + text.size() + 1;
    text.append((alignment_bytes - unpadded % alignment_bytes) % alignment_bytes, ' ');
    text += '\n';
    return text;
}

// The complete preamble and header, format version 1.0. At most npy_max_dimensions (64)
// dimensions of at most 20 characters each keep the text far below the uint16 limit of 1.0.
[[nodiscard]] inline std::vector<std::byte>
make_npy_header(npy_dtype dtype, std::span<const std::int64_t> shape, npy_memory_order order) {
    const std::string text = make_npy_header_text(dtype, shape, order, 10);
    static_assert(npy_max_dimensions * 24 + 128 <= std::numeric_limits<std::uint16_t>::max());
    std::vector<std::byte> bytes;
    bytes.reserve(npy_magic.size() + 4 + text.size());
    for (const unsigned char c : npy_magic) {
        bytes.push_back(std::byte{c});
    }
    bytes.push_back(std::byte{1}); // version 1.0
    bytes.push_back(std::byte{0});
    bytes.push_back(static_cast<std::byte>(text.size() & 0xffU)); // little-endian uint16 length
    bytes.push_back(static_cast<std::byte>((text.size() >> 8U) & 0xffU));
    for (const char c : text) {
        bytes.push_back(static_cast<std::byte>(c));
    }
    return bytes;
}

// Removes the temporary file unless the write was committed (renamed into place).
class temporary_file_guard {
public:
    explicit temporary_file_guard(std::filesystem::path path) : m_path(std::move(path)) {}
    temporary_file_guard(const temporary_file_guard&) = delete;
    temporary_file_guard& operator=(const temporary_file_guard&) = delete;
    ~temporary_file_guard() {
        if (!m_committed) {
            std::error_code ignored;
            std::filesystem::remove(m_path, ignored);
        }
    }
    void commit() noexcept { m_committed = true; }

private:
    std::filesystem::path m_path;
    bool m_committed = false;
};

// Closes a FILE* on scope exit if it was not closed explicitly.
struct file_closer {
    std::FILE* file = nullptr;
    file_closer() = default;
    file_closer(const file_closer&) = delete;
    file_closer& operator=(const file_closer&) = delete;
    ~file_closer() {
        if (file != nullptr) {
            std::fclose(file);
        }
    }
};

[[nodiscard]] inline io_error npy_write_error(const std::filesystem::path& path, std::string_view what,
                                              int error_number) {
    return io_error{path.string() + ": " + std::string(what) + ": " +
                    std::system_category().message(error_number)};
}

inline void write_all(std::FILE* file, std::span<const std::byte> bytes, const std::filesystem::path& path) {
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size()) {
        throw npy_write_error(path, "cannot write", errno);
    }
}

// Throws invalid_argument_error, naming `name`, unless `shape` holds exactly the elements of
// `data_bytes` bytes of `dtype`.
inline void check_npy_shape(const std::string& name, npy_dtype dtype, std::size_t data_bytes,
                            std::span<const std::int64_t> shape) {
    if (shape.size() > npy_max_dimensions) {
        throw invalid_argument_error(name + ": write_npy: " + std::to_string(shape.size()) +
                                     " dimensions, at most " + std::to_string(npy_max_dimensions) +
                                     " are allowed");
    }
    const std::size_t item_size_bytes = npy_item_size_bytes(dtype);
    std::uint64_t element_count = 1;
    for (const std::int64_t dimension : shape) {
        if (dimension < 0) {
            throw invalid_argument_error(name + ": write_npy: negative dimension in shape " +
                                         npy_shape_string(shape));
        }
        const auto extent = static_cast<std::uint64_t>(dimension);
        if (extent != 0 && element_count > std::numeric_limits<std::uint64_t>::max() / extent) {
            throw invalid_argument_error(name + ": write_npy: shape " + npy_shape_string(shape) +
                                         " overflows 64 bits");
        }
        element_count *= extent;
    }
    if (element_count != data_bytes / item_size_bytes) {
        throw invalid_argument_error(name + ": write_npy: shape " + npy_shape_string(shape) + " holds " +
                                     std::to_string(element_count) + " elements but " +
                                     std::to_string(data_bytes / item_size_bytes) + " values were given");
    }
}

// Writes header + data to a temporary file beside `path`, then renames it to `path`.
inline void write_npy_bytes(const std::filesystem::path& path, npy_dtype dtype,
                            std::span<const std::byte> data, std::span<const std::int64_t> shape,
                            npy_memory_order order) {
    check_npy_shape(path.string(), dtype, data.size(), shape);
    const std::size_t item_size_bytes = npy_item_size_bytes(dtype);
    const std::vector<std::byte> header = make_npy_header(dtype, shape, order);

    // "x": create exclusively, so two writers never share a temporary file.
    const std::filesystem::path directory = path.parent_path();
    std::random_device entropy;
    std::filesystem::path temporary;
    file_closer closer;
    for (int attempt = 0; attempt < 16 && closer.file == nullptr; ++attempt) {
        temporary = directory / ("." + path.filename().string() + ".tmp-" + std::to_string(entropy()));
        closer.file = std::fopen(temporary.string().c_str(), "wbx");
        if (closer.file == nullptr && errno != EEXIST) {
            throw npy_write_error(temporary, "cannot create the temporary file for " + path.string(), errno);
        }
    }
    if (closer.file == nullptr) {
        throw io_error(path.string() + ": cannot find a free temporary file name beside it");
    }
    temporary_file_guard guard(temporary);

    write_all(closer.file, header, temporary);
    if constexpr (std::endian::native == std::endian::little) {
        write_all(closer.file, data, temporary);
    } else {
        // Swap to little endian in chunks, so memory stays bounded.
        constexpr std::size_t chunk_bytes = std::size_t{1} << 16U;
        std::vector<std::byte> chunk;
        for (std::size_t offset = 0; offset < data.size(); offset += chunk_bytes) {
            const auto part = data.subspan(offset, std::min(chunk_bytes, data.size() - offset));
            chunk.assign(part.begin(), part.end());
            for (std::size_t i = 0; i + item_size_bytes <= chunk.size(); i += item_size_bytes) {
                std::reverse(chunk.data() + i, chunk.data() + i + item_size_bytes);
            }
            write_all(closer.file, chunk, temporary);
        }
    }
    if (std::fflush(closer.file) != 0) {
        throw npy_write_error(temporary, "cannot write", errno);
    }
#if CODELENGTH_IO_HAS_MMAP
    // Data reaches the disk before the rename makes it visible under the final name.
    if (::fsync(::fileno(closer.file)) != 0) {
        throw npy_write_error(temporary, "cannot sync to disk", errno);
    }
#endif
    std::FILE* const file = std::exchange(closer.file, nullptr);
    if (std::fclose(file) != 0) {
        throw npy_write_error(temporary, "cannot close", errno);
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
        throw io_error(path.string() + ": cannot rename " + temporary.string() +
                       " into place: " + error.message());
    }
    guard.commit();
}

} // namespace detail

// The bytes of a .npy file holding `values` (in `order`) with the given shape, for a caller that
// writes them itself (to a pipe, say). Throws invalid_argument_error as write_npy does.
template <npy_element Element>
[[nodiscard]] std::vector<std::uint8_t> npy_file_bytes(std::span<const Element> values,
                                                       const std::vector<std::int64_t>& shape,
                                                       npy_memory_order order = npy_memory_order::c) {
    constexpr npy_dtype dtype = npy_traits<Element>::dtype;
    detail::check_npy_shape("npy_file_bytes", dtype, values.size_bytes(), shape);
    const std::vector<std::byte> header = detail::make_npy_header(dtype, shape, order);
    std::vector<std::uint8_t> bytes(header.size() + values.size_bytes());
    std::memcpy(bytes.data(), header.data(), header.size());
    if (!values.empty()) {
        std::memcpy(bytes.data() + header.size(), values.data(), values.size_bytes());
    }
    if constexpr (std::endian::native != std::endian::little) {
        for (std::size_t at = header.size(); at + sizeof(Element) <= bytes.size(); at += sizeof(Element)) {
            std::reverse(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                         bytes.begin() + static_cast<std::ptrdiff_t>(at + sizeof(Element)));
        }
    }
    return bytes;
}

// Writes `values` (in `order`) as a .npy array of the given shape at `path`, replacing any
// existing file atomically. Throws invalid_argument_error if the shape does not match the
// number of values and io_error naming the path if the file cannot be written.
// Example: `codelength::write_npy("logits.npy", std::span<const float>(logits), {rows, columns});`
template <std::ranges::contiguous_range Values>
requires std::ranges::sized_range<Values> && npy_element<std::ranges::range_value_t<Values>>
void write_npy(const std::filesystem::path& path, const Values& values,
               const std::vector<std::int64_t>& shape, npy_memory_order order = npy_memory_order::c) {
    using element = std::ranges::range_value_t<Values>;
    const std::span<const element> elements(std::ranges::data(values), std::ranges::size(values));
    detail::write_npy_bytes(path, npy_traits<element>::dtype, std::as_bytes(elements), shape, order);
}

} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
