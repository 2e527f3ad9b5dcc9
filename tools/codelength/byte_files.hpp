// Whole-file input and output for the byte commands (compress, decompress, measure): `-`
// names stdin or stdout; files are published atomically through output_file.hpp; a progress
// bar on stderr, drawn only when stderr is a terminal.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h> // isatty

#include "codelength/core/error.hpp"
#include "output_file.hpp"

namespace codelength::cli {

// The name `-` stands for stdin (input) or stdout (output).
inline bool is_standard_stream(const std::string& path) {
    return path == "-";
}

// A readable name for messages: `-` is shown as "stdin"/"stdout".
inline std::string display_name(const std::string& path, const char* stream_name) {
    return is_standard_stream(path) ? std::string(stream_name) : path;
}

namespace detail {

inline io_error read_error(const std::string& name, const char* what, int error_number) {
    return io_error(name + ": " + what + ": " + std::system_category().message(error_number));
}

// Reads `file` to its end; `name` is used in messages.
inline std::vector<std::uint8_t> read_stream(std::FILE* file, const std::string& name) {
    std::vector<std::uint8_t> bytes;
    std::vector<std::uint8_t> buffer(std::size_t{1} << 20);
    for (;;) {
        const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file);
        bytes.insert(bytes.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(got));
        if (got < buffer.size()) {
            if (std::ferror(file) != 0) {
                throw read_error(name, "cannot read", errno);
            }
            return bytes;
        }
    }
}

} // namespace detail

// The whole content of `path` (or of stdin for `-`); io_error naming the file otherwise.
inline std::vector<std::uint8_t> read_whole_input(const std::string& path) {
    if (is_standard_stream(path)) {
        return detail::read_stream(stdin, "stdin");
    }
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        throw io_error(path + ": is a directory, not a file");
    }
    std::FILE* const file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
        throw detail::read_error(path, "cannot open", errno);
    }
    codelength::detail::file_closer closer;
    closer.file = file;
    return detail::read_stream(file, path);
}

// Refuses an output that exists without --force (nothing to check for stdout).
inline void check_output(const std::string& path, bool overwrite) {
    if (!is_standard_stream(path)) {
        check_output_path(path, overwrite);
    }
}

// Writes the complete output: atomically to a file (see output_file.hpp), or to stdout.
inline void write_whole_output(const std::string& path, std::span<const std::uint8_t> bytes, bool overwrite) {
    if (!is_standard_stream(path)) {
        write_file_atomically(path, bytes, overwrite);
        return;
    }
    if ((!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) ||
        std::fflush(stdout) != 0) {
        throw detail::read_error("stdout", "cannot write", errno);
    }
}

// A one-line progress bar on stderr, redrawn at most ten times a second; silent unless stderr
// is a terminal and the input has at least `min_bytes` bytes. finish() erases the line.
class progress_bar {
public:
    progress_bar(std::string label, std::uint64_t total_bytes,
                 std::uint64_t min_bytes = std::uint64_t{1} << 20)
        : m_label(std::move(label)), m_total(total_bytes),
          m_enabled(total_bytes >= min_bytes && ::isatty(::fileno(stderr)) != 0) {}
    progress_bar(const progress_bar&) = delete;
    progress_bar& operator=(const progress_bar&) = delete;
    ~progress_bar() { finish(); }

    // Starts a new phase ("compress", "verify") of the same input.
    void phase(const char* name) {
        m_phase = name;
        m_last_draw = {};
    }
    // Reports that `done` of `total` bytes are processed (the codec's own count).
    void update(std::uint64_t done, std::uint64_t total) {
        m_total = total;
        if (!m_enabled) {
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now - m_last_draw < std::chrono::milliseconds(100) && done < m_total) {
            return;
        }
        m_last_draw = now;
        constexpr int width = 30;
        const double fraction = m_total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(m_total);
        const int filled = static_cast<int>(fraction * width);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(width, '.');
        std::fprintf(stderr, "\r%s %-8s [%s] %5.1f%%", m_label.c_str(), m_phase, bar.c_str(),
                     100.0 * fraction);
        std::fflush(stderr);
        m_drawn = true;
    }
    void finish() {
        if (m_drawn) {
            std::fputs("\r\033[K", stderr);
            std::fflush(stderr);
            m_drawn = false;
        }
    }

private:
    std::string m_label;
    std::uint64_t m_total;
    bool m_enabled;
    bool m_drawn = false;
    const char* m_phase = "";
    std::chrono::steady_clock::time_point m_last_draw{};
};

} // namespace codelength::cli
