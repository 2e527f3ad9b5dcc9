// Where the commands write their outputs, checked before any work is done (output_target):
//   - `-` is stdout;
//   - a character device (/dev/null, a terminal) or a FIFO is opened and written through, as
//     stdout is: nothing is replaced, so no --force is needed;
//   - a regular file appears whole or not at all: everything is written to a temporary file
//     beside the destination, synced, and only then published under the destination's name.
//     Without --force an existing destination is never replaced (the publish is a hard link,
//     which fails atomically if the name exists); with it, the publish is a rename. A symbolic
//     link is followed: the file it names is replaced and the link is kept;
//   - a directory, a block device, a socket, or a path whose directory cannot be written is
//     refused with the reason (strerror), naming the path;
//   - in every command, an output that is one of the command's inputs (the same device and
//     inode, so also through symbolic and hard links) is refused, even with --force.
#pragma once

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codelength/core/error.hpp"
#include "codelength/io/npy_writer.hpp" // detail::temporary_file_guard, file_closer, write_all, make_npy_header

namespace codelength::cli {

// The name `-` stands for stdin (input) or stdout (output).
inline bool is_standard_stream(const std::string& path) {
    return path == "-";
}

// A readable name for messages: `-` is shown as "stdin"/"stdout".
inline std::string display_name(const std::string& path, const char* stream_name) {
    return is_standard_stream(path) ? std::string(stream_name) : path;
}

// "PATH: WHAT: strerror(error_number)".
inline io_error file_error(const std::string& path, const std::string& what, int error_number) {
    return io_error(path + ": " + what + ": " + std::system_category().message(error_number));
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
    const auto rename_into_place = [&] {
        std::error_code rename_error;
        std::filesystem::rename(temporary, path, rename_error);
        if (rename_error) {
            throw io_error(path.string() + ": cannot rename " + temporary.string() +
                           " into place: " + rename_error.message());
        }
        guard.commit();
    };
    if (overwrite) {
        rename_into_place();
        return;
    }
    std::error_code error;
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
        rename_into_place();
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

// The device and inode of a file, to recognise the same file under two names.
struct file_identity {
    dev_t device = 0;
    ino_t inode = 0;
    [[nodiscard]] bool same_as(const struct stat& status) const noexcept {
        return device == status.st_dev && inode == status.st_ino;
    }
};

// The identity of an input as named on the command line (`-` is stdin), or nullopt when it
// cannot be found (reading it will then report why).
inline std::optional<file_identity> input_identity(const std::string& path) {
    struct stat status {};
    const int result =
        is_standard_stream(path) ? ::fstat(STDIN_FILENO, &status) : ::stat(path.c_str(), &status);
    if (result != 0) {
        return std::nullopt;
    }
    return file_identity{status.st_dev, status.st_ino};
}

namespace detail {

// Owns an open file descriptor: closes it on destruction unless close() or release() did.
class owned_descriptor {
public:
    explicit owned_descriptor(int descriptor) noexcept : m_descriptor(descriptor) {}
    owned_descriptor(const owned_descriptor&) = delete;
    owned_descriptor& operator=(const owned_descriptor&) = delete;
    ~owned_descriptor() {
        if (m_descriptor >= 0) {
            ::close(m_descriptor);
        }
    }
    [[nodiscard]] int get() const noexcept { return m_descriptor; }
    // Closes now and returns ::close's result (0, or -1 with errno).
    int close() noexcept { return ::close(std::exchange(m_descriptor, -1)); }

private:
    int m_descriptor;
};

// Writes all of `bytes` to the descriptor; `name` is used in messages.
inline void write_descriptor(int descriptor, std::span<const std::uint8_t> bytes, const std::string& name) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(descriptor, bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw file_error(name, "cannot write", errno);
        }
        bytes = bytes.subspan(static_cast<std::size_t>(written));
    }
}

// What a non-regular file is called in messages.
inline const char* file_type_name(mode_t mode) {
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    return "a special file";
}

// The directory that will hold a new file at `path` must exist and be writable.
inline void check_directory_writable(const std::filesystem::path& path) {
    const std::filesystem::path parent =
        path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    struct stat status {};
    if (::stat(parent.c_str(), &status) != 0) {
        throw file_error(path.string(), "cannot create the output in " + parent.string(), errno);
    }
    if (!S_ISDIR(status.st_mode)) {
        throw file_error(path.string(), "cannot create the output in " + parent.string(), ENOTDIR);
    }
    if (::faccessat(AT_FDCWD, parent.c_str(), W_OK | X_OK, AT_EACCESS) != 0) {
        throw file_error(path.string(), "cannot create the output in " + parent.string(), errno);
    }
}

} // namespace detail

// An output of a command: checked when made (before the command does its work), written once.
class output_target {
public:
    enum class kind : std::uint8_t {
        standard_output, // `-`
        stream,          // a character device or FIFO, written through
        regular_file,    // published atomically (see the top of this file)
    };

    // Checks where `path` (the value of `option`, for messages, e.g. "--per-token"; empty for a
    // positional OUT) can be written; `inputs` are the command's inputs as named on its command
    // line. Throws io_error naming the path and the reason when it cannot be.
    [[nodiscard]] static output_target prepare(const std::string& path, bool overwrite,
                                               std::initializer_list<std::string> inputs) {
        return prepare(path, overwrite, std::span<const std::string>(inputs.begin(), inputs.size()));
    }
    [[nodiscard]] static output_target prepare(const std::string& path, bool overwrite,
                                               std::span<const std::string> inputs) {
        output_target target;
        target.m_path = path;
        target.m_overwrite = overwrite;
        if (is_standard_stream(path)) {
            target.m_kind = kind::standard_output;
            return target;
        }
        if (path.empty()) {
            throw file_error("''", "cannot write the output", ENOENT);
        }
        struct stat status {};
        if (::stat(path.c_str(), &status) != 0) {
            const int stat_error = errno;
            if (stat_error != ENOENT) {
                throw file_error(path, "cannot write the output", stat_error);
            }
            struct stat link_status {};
            if (::lstat(path.c_str(), &link_status) == 0 && !overwrite) {
                // A symbolic link to nothing: the name is taken.
                throw io_error(path + ": the output file exists (use --force to replace it)");
            }
            target.m_kind = kind::regular_file;
            target.m_destination = path;
            detail::check_directory_writable(target.m_destination);
            return target;
        }
        for (const std::string& input : inputs) {
            const std::optional<file_identity> identity = input_identity(input);
            if (identity && identity->same_as(status)) {
                throw io_error(path + ": the output is the same file as the input " +
                               display_name(input, "stdin") +
                               "; refusing to replace an input (even with --force)");
            }
        }
        if (S_ISDIR(status.st_mode)) {
            throw file_error(path, "cannot write the output", EISDIR);
        }
        if (S_ISCHR(status.st_mode) || S_ISFIFO(status.st_mode)) {
            target.m_kind = kind::stream;
            return target;
        }
        if (!S_ISREG(status.st_mode)) {
            throw io_error(path + ": cannot write the output: it is " +
                           detail::file_type_name(status.st_mode) +
                           " (outputs are regular files, character devices such as /dev/null, FIFOs, or"
                           " `-` for stdout)");
        }
        if (!overwrite) {
            throw io_error(path + ": the output file exists (use --force to replace it)");
        }
        // Replace the file a symbolic link names, not the link.
        std::error_code error;
        target.m_destination = std::filesystem::canonical(path, error);
        if (error) {
            throw io_error(path + ": cannot write the output: " + error.message());
        }
        target.m_kind = kind::regular_file;
        detail::check_directory_writable(target.m_destination);
        return target;
    }

    // The output as named on the command line.
    [[nodiscard]] const std::string& path() const noexcept { return m_path; }
    [[nodiscard]] kind type() const noexcept { return m_kind; }
    [[nodiscard]] bool is_standard_output() const noexcept { return m_kind == kind::standard_output; }

    // For a command that also prints a report on stdout: when this output is stdout, the data
    // keeps the real stdout and everything printed on stdout from now on goes to stderr.
    void move_report_to_stderr() {
        if (m_kind != kind::standard_output || m_data_descriptor >= 0) {
            return;
        }
        std::fflush(stdout);
        m_data_descriptor = ::dup(STDOUT_FILENO);
        if (m_data_descriptor < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
            throw file_error("stdout", "cannot separate the output from the report", errno);
        }
    }

    // Writes the complete output (see the top of this file).
    void write(std::span<const std::uint8_t> bytes) const {
        switch (m_kind) {
        case kind::standard_output:
            if (m_data_descriptor >= 0) {
                detail::write_descriptor(m_data_descriptor, bytes, "stdout");
                return;
            }
            if ((!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) ||
                std::fflush(stdout) != 0) {
                throw file_error("stdout", "cannot write", errno);
            }
            return;
        case kind::stream:
            write_stream(bytes);
            return;
        case kind::regular_file:
            write_file_atomically(m_destination, bytes, m_overwrite);
            return;
        }
    }

    output_target(output_target&& other) noexcept
        : m_path(std::move(other.m_path)), m_destination(std::move(other.m_destination)),
          m_kind(other.m_kind), m_overwrite(other.m_overwrite),
          m_data_descriptor(std::exchange(other.m_data_descriptor, -1)) {}
    output_target& operator=(output_target&&) = delete;
    output_target(const output_target&) = delete;
    output_target& operator=(const output_target&) = delete;
    ~output_target() {
        if (m_data_descriptor >= 0) {
            ::close(m_data_descriptor);
        }
    }

private:
    output_target() = default;

    // A character device or FIFO: opened (a FIFO waits for its reader), checked to be one
    // still, written through and closed.
    void write_stream(std::span<const std::uint8_t> bytes) const {
        detail::owned_descriptor descriptor(::open(m_path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC));
        if (descriptor.get() < 0) {
            throw file_error(m_path, "cannot open for writing", errno);
        }
        struct stat status {};
        if (::fstat(descriptor.get(), &status) != 0) {
            throw file_error(m_path, "cannot stat", errno);
        }
        if (!S_ISCHR(status.st_mode) && !S_ISFIFO(status.st_mode)) {
            throw io_error(m_path + ": cannot write the output: it was replaced while the command ran");
        }
        detail::write_descriptor(descriptor.get(), bytes, m_path);
        if (descriptor.close() != 0) {
            throw file_error(m_path, "cannot close", errno);
        }
    }

    std::string m_path;
    std::filesystem::path m_destination;
    kind m_kind = kind::regular_file;
    bool m_overwrite = false;
    int m_data_descriptor = -1;
};

} // namespace codelength::cli
