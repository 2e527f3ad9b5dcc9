// Memory for file contents: a read-only memory mapping of a whole file (POSIX mmap), and an
// owned 64-byte-aligned buffer for data that has to be copied (byte-swapped, misaligned, or
// read on platforms without mmap).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include "codelength/core/config.hpp"
#include "codelength/core/error.hpp"

// 1 where POSIX mmap is available; define it to 0 to force the reading fallback.
#ifndef CODELENGTH_IO_HAS_MMAP
#if (defined(__unix__) || defined(__APPLE__)) && __has_include(<sys/mman.h>)
#define CODELENGTH_IO_HAS_MMAP 1
#else
#define CODELENGTH_IO_HAS_MMAP 0
#endif
#endif

#if CODELENGTH_IO_HAS_MMAP
#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE {

// A whole file mapped read-only into memory; move-only, unmapped on destruction.
// If another process truncates the file while it is mapped, reading the vanished pages raises
// SIGBUS: map only files nobody rewrites in place (the npy writer always replaces by rename).
class mapped_file {
public:
    mapped_file() = default;
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    mapped_file(mapped_file&& other) noexcept
        : m_address(std::exchange(other.m_address, nullptr)),
          m_size_bytes(std::exchange(other.m_size_bytes, 0)) {}
    mapped_file& operator=(mapped_file&& other) noexcept {
        if (this != &other) {
            unmap();
            m_address = std::exchange(other.m_address, nullptr);
            m_size_bytes = std::exchange(other.m_size_bytes, 0);
        }
        return *this;
    }
    ~mapped_file() { unmap(); }

    // Maps the regular file at `path` read-only; throws io_error naming the path on failure.
    // An empty file yields an empty mapping (mmap cannot map zero bytes).
    [[nodiscard]] static mapped_file open_read_only(const std::filesystem::path& path) {
#if CODELENGTH_IO_HAS_MMAP
        const auto fail = [&](std::string_view what, int error_number) {
            return io_error(path.string() + ": " + std::string(what) + ": " +
                            std::system_category().message(error_number));
        };
        const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (descriptor < 0) {
            throw fail("cannot open for reading", errno);
        }
        struct descriptor_closer {
            int descriptor;
            ~descriptor_closer() { ::close(descriptor); }
        } const closer{descriptor};
        struct stat status {};
        if (::fstat(descriptor, &status) != 0) {
            throw fail("cannot stat", errno);
        }
        if (!S_ISREG(status.st_mode)) {
            throw io_error(path.string() + ": not a regular file");
        }
        if (status.st_size < 0 ||
            static_cast<std::uintmax_t>(status.st_size) > std::numeric_limits<std::size_t>::max()) {
            throw io_error(path.string() + ": file size does not fit in memory");
        }
        mapped_file file;
        file.m_size_bytes = static_cast<std::size_t>(status.st_size);
        if (file.m_size_bytes == 0) {
            return file;
        }
        void* address = ::mmap(nullptr, file.m_size_bytes, PROT_READ, MAP_PRIVATE, descriptor, 0);
        if (address == MAP_FAILED) {
            const int error_number = errno;
            file.m_size_bytes = 0;
            throw fail("cannot memory-map", error_number);
        }
        file.m_address = address;
        return file;
#else
        throw io_error(path.string() + ": memory mapping is not available on this platform");
#endif
    }

    // The mapped bytes (empty for an empty file or a default-constructed object).
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
        return {static_cast<const std::byte*>(m_address), m_address == nullptr ? 0 : m_size_bytes};
    }
    [[nodiscard]] std::size_t size_bytes() const noexcept {
        return m_size_bytes;
    }

private:
    void unmap() noexcept {
#if CODELENGTH_IO_HAS_MMAP
        if (m_address != nullptr) {
            ::munmap(m_address, m_size_bytes);
        }
#endif
        m_address = nullptr;
        m_size_bytes = 0;
    }

    void* m_address = nullptr;
    std::size_t m_size_bytes = 0;
};

namespace detail {

// Owned raw storage aligned to 64 bytes; move-only. It comes from an allocation function,
// which implicitly creates objects of implicit-lifetime types ([intro.object]/10, C++20), so
// filling it with bytes and then reading it as float, int64, float16, ... is defined behaviour.
class aligned_buffer {
public:
    static constexpr std::size_t alignment_bytes = 64;

    aligned_buffer() = default;
    explicit aligned_buffer(std::size_t size_bytes)
        : m_data(size_bytes == 0 ? nullptr
                                 : static_cast<std::byte*>(
                                       ::operator new (size_bytes, std::align_val_t{alignment_bytes}))),
          m_size_bytes(size_bytes) {}
    aligned_buffer(const aligned_buffer&) = delete;
    aligned_buffer& operator=(const aligned_buffer&) = delete;
    aligned_buffer(aligned_buffer&& other) noexcept
        : m_data(std::exchange(other.m_data, nullptr)), m_size_bytes(std::exchange(other.m_size_bytes, 0)) {}
    aligned_buffer& operator=(aligned_buffer&& other) noexcept {
        if (this != &other) {
            release();
            m_data = std::exchange(other.m_data, nullptr);
            m_size_bytes = std::exchange(other.m_size_bytes, 0);
        }
        return *this;
    }
    ~aligned_buffer() { release(); }

    [[nodiscard]] std::byte* data() noexcept { return m_data; }
    [[nodiscard]] const std::byte* data() const noexcept { return m_data; }
    [[nodiscard]] std::size_t size_bytes() const noexcept { return m_size_bytes; }

private:
    void release() noexcept {
        if (m_data != nullptr) {
            ::operator delete (m_data, std::align_val_t{alignment_bytes});
        }
        m_data = nullptr;
        m_size_bytes = 0;
    }

    std::byte* m_data = nullptr;
    std::size_t m_size_bytes = 0;
};

} // namespace detail
} // namespace codelength::inline v0::inline CODELENGTH_TARGET_NAMESPACE
