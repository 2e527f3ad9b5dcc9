// Output files that appear whole or not at all: everything is written to a temporary file
// beside the destination, synced, and only then published under the destination's name.
// Without --force an existing destination is never replaced (the publish is a hard link,
// which fails atomically if the name exists); with it, the publish is a rename.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include "codelength/core/error.hpp"
#include "codelength/io/npy_writer.hpp" // detail::temporary_file_guard, file_closer, write_all

namespace codelength::cli {

// Refuses, before any work is done, an output path that exists when overwriting is not allowed.
inline void check_output_path(const std::filesystem::path& path, bool overwrite) {
    std::error_code error;
    const bool exists = std::filesystem::exists(std::filesystem::symlink_status(path, error));
    if (exists && !overwrite) {
        throw io_error(path.string() + ": the output file exists (use --force to replace it)");
    }
    if (exists && std::filesystem::is_directory(path, error)) {
        throw io_error(path.string() + ": the output path is a directory");
    }
}

// A fresh name beside `path` for a temporary file (".NAME.tmp-RANDOM").
inline std::filesystem::path temporary_path_beside(const std::filesystem::path& path) {
    std::random_device entropy;
    return path.parent_path() /
           ("." + path.filename().string() + ".tmp-" + std::to_string(entropy()) + std::to_string(entropy()));
}

// Moves the complete file `temporary` to `path` (see the top of this file); `temporary` is
// gone afterwards whether this succeeds or throws.
inline void publish_file(const std::filesystem::path& temporary, const std::filesystem::path& path,
                         bool overwrite) {
    codelength::detail::temporary_file_guard guard(temporary);
    std::error_code error;
    if (overwrite) {
        std::filesystem::rename(temporary, path, error);
        if (error) {
            throw io_error(path.string() + ": cannot rename " + temporary.string() +
                           " into place: " + error.message());
        }
        guard.commit();
        return;
    }
    std::filesystem::create_hard_link(temporary, path, error);
    if (error == std::errc::file_exists) {
        throw io_error(path.string() + ": the output file exists (use --force to replace it)");
    }
    if (error) {
        // File systems without hard links: check, then rename (a narrow race remains there).
        std::error_code ignored;
        if (std::filesystem::exists(std::filesystem::symlink_status(path, ignored))) {
            throw io_error(path.string() + ": the output file exists (use --force to replace it)");
        }
        std::filesystem::rename(temporary, path, error);
        if (error) {
            throw io_error(path.string() + ": cannot rename " + temporary.string() +
                           " into place: " + error.message());
        }
        guard.commit();
        return;
    }
    // The guard removes the temporary name; the data stays reachable under `path`.
}

// Writes bytes to `path` through a synced temporary file and publish_file.
inline void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                                  bool overwrite) {
    std::filesystem::path temporary;
    codelength::detail::file_closer closer;
    // "x": create exclusively, so two writers never share a temporary file.
    for (int attempt = 0; attempt < 16 && closer.file == nullptr; ++attempt) {
        temporary = temporary_path_beside(path);
        closer.file = std::fopen(temporary.string().c_str(), "wbx");
        if (closer.file == nullptr && errno != EEXIST) {
            throw codelength::detail::npy_write_error(
                temporary, "cannot create the temporary file for " + path.string(), errno);
        }
    }
    if (closer.file == nullptr) {
        throw io_error(path.string() + ": cannot find a free temporary file name beside it");
    }
    codelength::detail::temporary_file_guard guard(temporary);
    codelength::detail::write_all(closer.file, std::as_bytes(bytes), temporary);
    if (std::fflush(closer.file) != 0) {
        throw codelength::detail::npy_write_error(temporary, "cannot write", errno);
    }
#if CODELENGTH_IO_HAS_MMAP
    if (::fsync(::fileno(closer.file)) != 0) {
        throw codelength::detail::npy_write_error(temporary, "cannot sync to disk", errno);
    }
#endif
    std::FILE* const file = std::exchange(closer.file, nullptr);
    if (std::fclose(file) != 0) {
        throw codelength::detail::npy_write_error(temporary, "cannot close", errno);
    }
    guard.commit(); // publish_file owns the temporary file from here
    publish_file(temporary, path, overwrite);
}

} // namespace codelength::cli
